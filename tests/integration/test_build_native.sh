#!/usr/bin/env bash
# mlbox build (native): a base made by umoci, the trainer bundle and the code layer become
# one image in .mlbox/oci that skopeo and umoci accept; the rootfs holds base + /opt/mlbox +
# /workspace (context rules applied); the same project elsewhere gives the same digest; a
# code-only change reuses the trainer layer; a private key in the context stops the build
# with exit 3 until it is listed in context.allow_secrets; a locked deps layer is installed with
# pip --target and cached by the lock; a registry base is pulled into the store and built on.
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TRAINER=${MLBOX_TRAINER:-}
# Without a trainer build (MLBOX_BUILD_TRAINER=OFF) any dynamically linked binary exercises
# the same bundling path.
[ -n "$TRAINER" ] && [ -x "$TRAINER" ] || TRAINER=$(type -P true)
cd "$WORK"

# --- a base image made by an independent tool -----------------------------------------------
umoci init --layout base >/dev/null
umoci new --image base:v1 >/dev/null
umoci unpack --rootless --image base:v1 bb >/dev/null
mkdir -p bb/rootfs/etc bb/rootfs/usr/bin
echo 'ID=mlbox-test-base' >bb/rootfs/etc/os-release
cp "$(type -P true)" bb/rootfs/usr/bin/true
cp "$(type -P true)" bb/rootfs/usr/bin/python  # train.command's program must be in the image
umoci repack --image base:v1 bb >/dev/null
umoci config --image base:v1 --config.env BASE_VAR=kept --config.cmd /bin/sh >/dev/null
rm -rf bb

make_project() { # DIR
  mkdir -p "$1/src" "$1/data" "$1/notebooks"
  cat >"$1/mlbox.yaml" <<'YAML'
name: native-test
python:
  version: "3.11"
train:
  command: python train.py --epochs 2
image:
  base: oci:../base:v1
context:
  exclude: [data, "**/*.ipynb"]
YAML
  printf 'print("train")\n' >"$1/train.py"
  printf 'X = 1\n' >"$1/src/model.py"
  head -c 100000 /dev/zero >"$1/data/big.bin"
  echo '{}' >"$1/notebooks/explore.ipynb"
  printf '__pycache__\n' >"$1/.mlboxignore"
}
mkdir -p one two
ln -s "$WORK/base" one/base  # image.base is oci:../base:v1 from either project
ln -s "$WORK/base" two/base
make_project one/proj
make_project two/proj

json() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

(cd one/proj && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b1.json") || fail "build one"
sleep 1
touch two/proj/train.py
(cd two/proj && "$MLBOX" --json build --trainer "$TRAINER" --threads 3 >"$WORK/b2.json") || fail "build two"
d1=$(json b1.json 'd["manifest"]'); d2=$(json b2.json 'd["manifest"]')
[ "$d1" = "$d2" ] || fail "same project in two places gave $d1 and $d2"
[ "$(json b1.json '[l["role"] for l in d["layers"]]')" = "['base', 'trainer', 'code']" ] ||
  fail "layer roles: $(cat b1.json)"
pass "reproducible native build $d1"

STORE=one/proj/.mlbox/oci
skopeo inspect "oci:$STORE:latest" >inspect.json || fail "skopeo inspect"
skopeo inspect --config "oci:$STORE:latest" >config.json || fail "skopeo inspect --config"
$PY - <<'PY' || fail "image config"
import json
c = json.load(open("config.json"))["config"]
assert c["Entrypoint"] == ["/opt/mlbox/bin/mlbox-trainer", "--"], c
assert c["Cmd"] == ["python", "train.py", "--epochs", "2"], c
assert c["WorkingDir"] == "/workspace", c
assert "BASE_VAR=kept" in c["Env"] and "PYTHONUNBUFFERED=1" in c["Env"], c["Env"]
assert c["Labels"]["io.mlbox.builder"] == "native", c
PY
umoci unpack --rootless --image "$STORE:latest" bundle >/dev/null || fail "umoci unpack"
R=bundle/rootfs
[ "$(cat $R/etc/os-release)" = "ID=mlbox-test-base" ] || fail "base layer missing"
[ -x $R/opt/mlbox/bin/mlbox-trainer ] || fail "trainer missing"
[ -f $R/workspace/train.py ] && [ -f $R/workspace/src/model.py ] || fail "code missing"
[ ! -e $R/workspace/data ] || fail "excluded data/ in the image"
[ ! -e $R/workspace/notebooks/explore.ipynb ] || fail "excluded notebook in the image"
[ ! -e $R/workspace/.mlbox ] || fail ".mlbox in the image"
cmp one/proj/train.py $R/workspace/train.py || fail "train.py differs"
pass "skopeo and umoci accept it; rootfs = base + /opt/mlbox + /workspace"

# --- code-only change -------------------------------------------------------------------------
printf 'print("train v2")\n' >one/proj/train.py
(cd one/proj && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b3.json") || fail "rebuild"
[ "$(json b3.json 'd["layers"][-2]["reused"]')" = "True" ] || fail "trainer layer not reused"
[ "$(json b3.json 'd["layers"][-2]["digest"]')" = "$(json b1.json 'd["layers"][-2]["digest"]')" ] ||
  fail "trainer layer changed"
[ "$(json b3.json 'd["layers"][-1]["digest"]')" != "$(json b1.json 'd["layers"][-1]["digest"]')" ] ||
  fail "code layer did not change"
# The builder's counters: only the code layer was made (tarred, hashed, read from disk).
$PY - "$WORK/b3.json" <<'PY' || fail "per-layer cached/rebuilt flags"
import json, sys
layers = {l["role"]: l for l in json.load(open(sys.argv[1]))["layers"]}
t, c = layers["trainer"], layers["code"]
assert t["cached"] and not t["rebuilt"] and t["bytes_read"] == 0, t
assert c["rebuilt"] and not c["cached"] and c["bytes_read"] > 0, c
assert layers["base"]["reused"] and layers["base"]["bytes_read"] == 0, layers["base"]
PY
pass "code-only change rebuilt only the code layer (cached/rebuilt flags, bytes read)"

# --- secrets ----------------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f one/proj/src/id_ed25519
before=$(json b3.json 'd["manifest"]')
(cd one/proj && expect_rc 3 "$MLBOX" build --trainer "$TRAINER")
grep -q "src/id_ed25519" "$WORK/stderr" || fail "refusal does not name the key: $(cat "$WORK/stderr")"
grep -q "openssh-private-key" "$WORK/stderr" || fail "refusal does not say why"
[ "$(skopeo inspect "oci:$STORE:latest" | $PY -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')" = "$before" ] ||
  fail "latest moved despite the refusal"
printf '  allow_secrets: [src/id_ed25519]\n' >>one/proj/mlbox.yaml
(cd one/proj && "$MLBOX" build --trainer "$TRAINER" --compression zstd >/dev/null) ||
  fail "build refused although the key is allowed"
skopeo inspect --raw "oci:$STORE:latest" | grep -q 'tar+zstd' || fail "zstd layers not used"
pass "secret refused with exit 3, allowed when listed; zstd build"

# --- locked dependencies -------------------------------------------------------------------------
WH="$WORK/wheelhouse"
python3 "$MLBOX_SOURCE_DIR/tests/fixtures/make_wheels.py" "$WH" 'alpha==1.0:beta>=2' 'beta==2.1' >/dev/null
printf 'alpha\n' >two/proj/requirements.txt
sed -i 's/^  version: "3.11"$/  version: "3.11"\n  requirements: requirements.txt/' two/proj/mlbox.yaml
(cd two/proj && "$MLBOX" freeze --no-index --find-links "$WH" >/dev/null) || fail "freeze"
(cd two/proj && "$MLBOX" --json build --trainer "$TRAINER" --no-index --find-links "$WH" >"$WORK/b4.json") ||
  fail "build with locked deps"
[ "$(json b4.json '[(l["role"], l.get("path", "")) for l in d["layers"]]')" = "[('base', ''), ('deps', 'alpha'), ('deps', 'beta'), ('trainer', ''), ('code', '')]" ] ||
  fail "layer roles with deps (one per locked package): $(cat b4.json)"
rm -rf bundle
umoci unpack --rootless --image two/proj/.mlbox/oci:latest bundle >/dev/null || fail "umoci unpack deps image"
ls bundle/rootfs/opt/mlbox/site-packages | grep -q '^alpha' || fail "alpha not installed in the deps layer"
ls bundle/rootfs/opt/mlbox/site-packages | grep -q '^beta' || fail "beta not installed in the deps layer"
(cd two/proj && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b5.json") || fail "rebuild with deps"
[ "$(json b5.json 'd["layers"][1]["reused"]')" = "True" ] || fail "deps layer not reused for an unchanged lock"
[ "$(json b5.json '[(l["role"], l["rebuilt"]) for l in d["layers"]]')" = "[('base', False), ('deps', False), ('deps', False), ('trainer', False), ('code', False)]" ] ||
  fail "unchanged rebuild with deps: $(cat b5.json)"
[ "$(json b5.json 'd["manifest"]')" = "$(json b4.json 'd["manifest"]')" ] || fail "unchanged project, new digest"
printf 'alpha\nbeta\n' >two/proj/requirements.txt  # changed since the freeze
(cd two/proj && "$MLBOX" build --trainer "$TRAINER" >/dev/null 2>"$WORK/stale.err") || fail "build with a stale lock"
grep -q "run 'mlbox freeze' to update it" "$WORK/stale.err" || fail "no stale-lock warning: $(cat "$WORK/stale.err")"
printf 'alpha\n' >two/proj/requirements.txt
pass "deps layers from mlbox.lock (pip --target per package for the lock's platform), cached; stale lock warned"

# --- a registry base: pulled into the store first, then built on ------------------------------
source "$MLBOX_SOURCE_DIR/tests/integration/registry_lib.sh"
start_registry reg
skopeo copy -q --dest-tls-verify=false oci:base:v1 "docker://127.0.0.1:$REG_PORT/base:v1" ||
  fail "skopeo push of the base"
make_project three
sed -i "s|base: oci:../base:v1|base: 127.0.0.1:$REG_PORT/base:v1|" three/mlbox.yaml
(cd three && "$MLBOX" --json build --trainer "$TRAINER" --insecure-registry "127.0.0.1:$REG_PORT" >"$WORK/b6.json") ||
  fail "build on a registry base"
base_layer=$(skopeo inspect oci:base:v1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["Layers"][0])')
[ "$(json b6.json 'd["layers"][0]["digest"]')" = "$base_layer" ] || fail "registry base layer not first"
skopeo inspect --config oci:three/.mlbox/oci:latest | grep -q "127.0.0.1:$REG_PORT/base:v1" ||
  fail "org.opencontainers.image.base.name label does not name the registry base"
umoci unpack --rootless --image three/.mlbox/oci:latest bundle3 >/dev/null || fail "umoci unpack registry-based image"
[ "$(cat bundle3/rootfs/etc/os-release)" = "ID=mlbox-test-base" ] || fail "registry base content missing"
pass "registry base pulled into the store and built on"

# --- a docker-archive base (docker save format, uncompressed layers) ---------------------------
skopeo copy -q oci:base:v1 "docker-archive:$WORK/base.tar:base:v1" || fail "skopeo copy to docker-archive"
make_project four
sed -i "s|base: oci:../base:v1|base: docker-archive:../base.tar|" four/mlbox.yaml
head -c 3000000 /dev/urandom >four/weights.bin  # large: the assets layer
(cd four && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b7.json") || fail "build on a docker-archive base"
base_diff=$(skopeo inspect --config oci:base:v1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["rootfs"]["diff_ids"][0])')
[ "$(json b7.json 'd["layers"][0]["diff_id"]')" = "$base_diff" ] || fail "archive base layer diff_id"
[ "$(json b7.json 'd["layers"][0]["media_type"]')" = "application/vnd.oci.image.layer.v1.tar+gzip" ] ||
  fail "archive base layer not compressed: $(json b7.json 'd["layers"][0]')"
umoci unpack --rootless --image four/.mlbox/oci:latest bundle4 >/dev/null || fail "umoci unpack docker-archive-based image"
[ "$(cat bundle4/rootfs/etc/os-release)" = "ID=mlbox-test-base" ] || fail "archive base content missing"
[ -f bundle4/rootfs/workspace/train.py ] && [ -x bundle4/rootfs/opt/mlbox/bin/mlbox-trainer ] ||
  fail "layers on the archive base missing"
(cd four && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b8.json") || fail "rebuild on the archive base"
[ "$(json b8.json 'd["manifest"]')" = "$(json b7.json 'd["manifest"]')" ] || fail "archive base: unchanged project, new digest"
pass "docker-archive base imported (layers gzip'd, diff_ids checked) and built on"

# Large context files sit in the assets layer, which a code change does not re-read.
printf 'print("train v3")\n' >four/train.py
(cd four && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b9.json") || fail "code change on the archive base"
[ "$(json b9.json '[(l["role"], l["rebuilt"]) for l in d["layers"]]')" = "[('base', False), ('trainer', False), ('assets', False), ('code', True)]" ] ||
  fail "assets layer: $(cat b9.json)"
[ "$(json b9.json '[l["bytes_read"] for l in d["layers"] if l["role"] == "assets"][0]')" = 0 ] || fail "assets re-read"
[ -f bundle4/rootfs/workspace/weights.bin ] && cmp four/weights.bin bundle4/rootfs/workspace/weights.bin ||
  fail "weights.bin not in the image"
[ "$(json b7.json '[l["role"] for l in d["layers"]]')" = "['base', 'trainer', 'assets', 'code']" ] ||
  fail "layer roles with a large file: $(cat b7.json)"
pass "large files in a cached assets layer; a code change rebuilt only the code layer"

# A directory with 4 MiB or more of files (vendored code, a copied stdlib) gets a cached
# layer of its own below the code layer; editing it rebuilds just that layer.
mkdir -p four/third_party/pkg
for i in $(seq 1 12); do
  $PY -c "import sys; sys.stdout.write(('x = %d  # vendored\n' % $i) * 24000)" >"four/third_party/pkg/m$i.py"
done
(cd four && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b10.json") || fail "build with a vendored directory"
[ "$(json b10.json '[(l["role"], l.get("path", "")) for l in d["layers"][1:]]')" = \
  "[('trainer', ''), ('vendor', 'third_party'), ('assets', ''), ('code', '')]" ] ||
  fail "vendor layer: $(cat b10.json)"
printf 'print("train v4")\n' >four/train.py
(cd four && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b11.json") || fail "code change beside a vendored directory"
[ "$(json b11.json '[(l["role"], l["rebuilt"], l["bytes_read"]) for l in d["layers"][1:-1]]')" = \
  "[('trainer', False, 0), ('vendor', False, 0), ('assets', False, 0)]" ] || fail "vendor layer re-read: $(cat b11.json)"
[ "$(json b11.json 'd["layers"][2]["digest"]')" = "$(json b10.json 'd["layers"][2]["digest"]')" ] ||
  fail "vendor layer digest moved on a code change"
echo 'y = 1' >>four/third_party/pkg/m3.py
(cd four && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/b12.json") || fail "vendored file edited"
[ "$(json b12.json '[l["rebuilt"] for l in d["layers"][1:]]')" = "[False, True, False, False]" ] ||
  fail "editing a vendored file: $(cat b12.json)"
[ "$(json b12.json 'd["layers"][-1]["digest"]')" = "$(json b11.json 'd["layers"][-1]["digest"]')" ] ||
  fail "code layer moved when only the vendored directory changed"
rm -rf bundle5
umoci unpack --rootless --image four/.mlbox/oci:latest bundle5 >/dev/null || fail "umoci unpack with a vendor layer"
diff -r four/third_party bundle5/rootfs/workspace/third_party >/dev/null && cmp four/train.py bundle5/rootfs/workspace/train.py ||
  fail "vendored files differ in the image"
pass "vendored directory in its own cached layer: a code change leaves it alone, an edit rebuilds only it"
