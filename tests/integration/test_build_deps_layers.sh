#!/usr/bin/env bash
# Per-package dependency layers (issue #20): the native builder installs each locked package
# in a layer of its own on a Debian Python base (debootstrap, tests/fixtures/make_python_base.sh).
# Inside the image pip sees one consistent site-packages (`pip check`, every package imports,
# namespace packages from two layers, a console script, a .pth file); two projects that lock the
# same wheels get the same layers; adding one package to the lock makes exactly one new deps
# layer, and the push sends it (with the code layer, which carries mlbox.lock, and the config)
# and nothing else; a second repository mounts the shared package layers instead of receiving
# them.
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"
source "$MLBOX_SOURCE_DIR/tests/integration/registry_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TRAINER=${MLBOX_TRAINER:-}
[ -n "$TRAINER" ] && [ -x "$TRAINER" ] || TRAINER=$(type -P true)
BASE=$(bash "$MLBOX_SOURCE_DIR/tests/fixtures/make_python_base.sh" "${MLBOX_BUILD_DIR:-$WORK}/test-cache")
WH="$WORK/wheelhouse"
$PY "$MLBOX_SOURCE_DIR/tests/fixtures/make_package_wheels.py" "$WH" \
  'alpha==1.0:script=alpha-cli,requires=beta>=2' 'beta==2.1' 'nsa==1.0:ns=nsp' 'nsb==1.0:ns=nsp' \
  'gamma==0.3:pth=1' 'heavy==1.0:mb=3' 'delta==0.1' >/dev/null
cd "$WORK"
djson() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

make_project() { # DIR
  mkdir -p "$1"
  printf 'alpha\nnsa\nnsb\ngamma\nheavy\n' >"$1/requirements.txt"
  printf 'print("train")\n' >"$1/train.py"
  cat >"$1/mlbox.yaml" <<YAML
name: deps-layers
python:
  version: "3.11"
  requirements: requirements.txt
image:
  base: oci:$BASE:python
train:
  command: ["python3", "train.py"]
YAML
  (cd "$1" && "$MLBOX" freeze --no-index --find-links "$WH" >/dev/null) || fail "freeze $1"
}
build() { # DIR OUT.json
  (cd "$1" && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/$2") || fail "build $1"
}
deps() { djson "$1" '[(l["path"], l["digest"]) for l in d["layers"] if l["role"] == "deps"]'; }

make_project one
build one b1.json
[ "$(djson b1.json '[l["path"] for l in d["layers"] if l["role"] == "deps"]')" = \
  "['alpha', 'beta', 'gamma', 'heavy', 'nsa', 'nsb']" ] || fail "deps layers: $(cat b1.json)"
skopeo inspect --config oci:one/.mlbox/oci:latest >config.json
grep -q "\"io.mlbox.lock.digest\": \"sha256:$(sha256sum one/mlbox.lock | cut -d' ' -f1)\"" config.json ||
  fail "the lock digest label is gone"
pass "one layer per locked package; the lock digest label stays"

# --- inside the image: one consistent site-packages -----------------------------------------
B=(buildah --root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver vfs)
cleanup_hooks+=("${B[*]} rm --all >/dev/null 2>&1")
skopeo copy -q "oci:$WORK/one/.mlbox/oci:latest" \
  "containers-storage:[vfs@$WORK/storage+$WORK/runroot]localhost/deps-it:latest" ||
  fail "skopeo copy of the image into buildah's storage"
CTR=$("${B[@]}" from --pull-never localhost/deps-it:latest) || fail "buildah from the image"
# One run in the image (each buildah run costs seconds on vfs): pip check, every locked
# package imported, pip's view of the site-packages, the console script, the .pth file
# processed at start-up (gamma.pth puts gamma_extra/ on sys.path through the site hook, with
# no help from the command), and the packages still import with the user site off.
"${B[@]}" run --isolation chroot "$CTR" -- sh -c '
  set -e
  python3 -m pip check
  for pkg in alpha beta gamma heavy nsp.nsa nsp.nsb; do python3 -c "import $pkg" && echo "imported $pkg"; done
  python3 -m pip list --path /opt/mlbox/site-packages --format freeze
  /opt/mlbox/site-packages/bin/alpha-cli
  test -f /opt/mlbox/site-packages/gamma.pth
  python3 -c "import sys, gamma_extra_mod; assert \"/opt/mlbox/site-packages/gamma_extra\" in sys.path, sys.path; print(\"pth ok\")"
  python3 -s -c "import alpha, gamma; print(\"no user site: imports ok\")"
' >inside.out 2>&1 || { cat inside.out; fail "the checks inside the image failed"; }
for want in "No broken requirements found." "imported alpha" "imported beta" "imported gamma" \
  "imported heavy" "imported nsp.nsa" "imported nsp.nsb" alpha==1.0 beta==2.1 gamma==0.3 \
  heavy==1.0 nsa==1.0 nsb==1.0 "alpha 1.0" "pth ok" "no user site: imports ok"; do
  grep -qxF "$want" inside.out || { cat inside.out; fail "inside the image: no '$want'"; }
done
pass "pip check, every package imports (namespace package from two layers), console script, .pth processed at start-up"

# --- the same lock elsewhere: the same layers ----------------------------------------------------
make_project two
printf 'print("other code")\n' >two/train.py
cp one/mlbox.lock two/mlbox.lock
build two b2.json
[ "$(deps b1.json)" = "$(deps b2.json)" ] || fail "same lock, other deps layers"
pass "two projects locking the same wheels share every deps layer digest"

# --- push, add one package, push again ---------------------------------------------------------
start_registry reg
R=127.0.0.1:$REG_PORT
expect_rc 0 "$MLBOX" -C one --json push "$R/team/one:v1"
cp "$WORK/stdout" push1.json
printf 'delta\n' >>one/requirements.txt
(cd one && "$MLBOX" freeze --no-index --find-links "$WH" >/dev/null) || fail "re-freeze"
build one b3.json
$PY - b1.json b3.json <<'PY' || fail "one added package: $(cat b3.json)"
import json, sys
a, b = (json.load(open(p))["layers"] for p in sys.argv[1:])
da = {l["path"]: l["digest"] for l in a if l["role"] == "deps"}
db = {l["path"]: l["digest"] for l in b if l["role"] == "deps"}
assert set(db) - set(da) == {"delta"} and set(da) <= set(db), (da, db)
assert all(db[k] == v for k, v in da.items()), "an unchanged package's layer moved"
made = [(l["role"], l.get("path")) for l in b if l["rebuilt"]]
assert [m for m in made if m[0] == "deps"] == [("deps", "delta")], made
PY
expect_rc 0 "$MLBOX" -C one --json push "$R/team/one:v2"
cp "$WORK/stdout" push2.json
$PY - b3.json push2.json <<'PY' || fail "second push: $(cat push2.json)"
import json, sys
layers = json.load(open(sys.argv[1]))["layers"]
push = json.load(open(sys.argv[2]))
delta = [l for l in layers if l["role"] == "deps" and l["path"] == "delta"][0]
code = [l for l in layers if l["role"] == "code"][0]
assert push["blobs_uploaded"] == 3, push  # delta's layer, the code layer (mlbox.lock), config
config_size = push["bytes_total"] - sum(l["size"] for l in layers)
assert push["bytes_uploaded"] == delta["size"] + code["size"] + config_size, push
assert push["bytes_uploaded"] < 0.05 * push["bytes_total"], push
print(f"sent {push['bytes_uploaded']} of {push['bytes_total']} bytes")
PY
pass "one package added: one new deps layer; the push sent it, the code layer and the config only"

expect_rc 0 "$MLBOX" -C two --json push "$R/other/two:v1"
cp "$WORK/stdout" push3.json
[ "$(djson push3.json 'd["blobs_mounted"]')" -ge 6 ] ||
  fail "the shared package layers were not mounted across repositories: $(cat push3.json)"
pass "another repository mounts the shared package layers ($(djson push3.json 'd["blobs_mounted"]') mounted)"
