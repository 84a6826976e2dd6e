#!/usr/bin/env bash
# mlbox build --builder buildah: the generated Dockerfile and staged context (the same bytes
# `mlbox dockerfile` writes) built by buildah (vfs storage in a private root, chroot
# isolation, --layers, --timestamp from SOURCE_DATE_EPOCH) on the cached Debian Python base
# of test_dockerfile_buildah (the Dockerfile checks for the image's Python), exported into
# .mlbox/oci under the build tag; skopeo and umoci read it, `mlbox push` sends it to a real
# registry where skopeo sees the same digest, `mlbox run` runs it with runc, a code-only
# rebuild reuses buildah's cached layers, and a missing tool is an error naming the package.
source "$(dirname "$0")/lib.sh"
source "$MLBOX_SOURCE_DIR/tests/integration/registry_lib.sh"
: "${MLBOX_TRAINER:?the buildah test bundles mlbox-trainer (build with MLBOX_BUILD_TRAINER=ON)}"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# buildah's storage: private to this test, vfs (works without overlay or fuse).
cat >"$WORK/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$WORK/storage"
runroot = "$WORK/runroot"
CONF
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf" STORAGE_DRIVER=vfs
# vfs with chroot isolation mounts nothing: removing $WORK removes the storage (buildah rmi
# of vfs layers takes minutes).

BASE="oci:$(bash "$MLBOX_SOURCE_DIR/tests/fixtures/make_python_base.sh" "${MLBOX_BUILD_DIR:-$WORK}/test-cache"):python"
start_registry reg
P="$WORK/proj"
mkdir -p "$P/src"
cd "$P"
printf 'echo "hello from the buildah image, v1"\n' >src/train.sh
printf 'X = 1\n' >src/model.py
echo "not for the image" >notes.tmp
printf '*.tmp\n' >.dockerignore
cat >mlbox.yaml <<YAML
name: buildah-test
python:
  version: "3.11"
image:
  base: "$BASE"
  repository: 127.0.0.1:$REG_PORT/it/buildah-test
train:
  command: ["/bin/sh", "src/train.sh"]
YAML
"$MLBOX" freeze --no-index >/dev/null || fail "freeze"

# --- a missing tool names its package ------------------------------------------------------
mkdir -p "$WORK/nobin"
expect_rc 3 env PATH="$WORK/nobin" "$MLBOX" build --builder buildah
grep -q "buildah is not installed" "$WORK/stderr" && grep -q "apt-get install buildah" "$WORK/stderr" ||
  fail "missing buildah: $(cat "$WORK/stderr")"
expect_rc 3 env PATH="$WORK/nobin" "$MLBOX" build --builder docker
grep -q "apt-get install docker.io" "$WORK/stderr" || fail "missing docker: $(cat "$WORK/stderr")"
pass "a missing builder is exit 3 naming the Debian package"

# --- build and export ---------------------------------------------------------------------
export SOURCE_DATE_EPOCH=1700000000
timeout 600 "$MLBOX" --json build --builder buildah >"$WORK/b1.json" 2>"$WORK/b1.err" ||
  { tail -30 "$WORK/b1.err"; fail "mlbox build --builder buildah"; }
[ "$(json "$WORK/b1.json" 'd["builder"]')" = buildah ] || fail "builder: $(cat "$WORK/b1.json")"
grep -q "^buildah: STEP" "$WORK/b1.err" || fail "buildah's output was not streamed: $(head "$WORK/b1.err")"
D1=$(json "$WORK/b1.json" 'd["digest"]')
cp .mlbox/Dockerfile "$WORK/Dockerfile.buildah"
"$MLBOX" dockerfile >/dev/null
cmp .mlbox/Dockerfile "$WORK/Dockerfile.buildah" || fail "build rendered another Dockerfile than mlbox dockerfile"
[ ! -e .mlbox/context/code/notes.tmp ] || fail ".dockerignore not applied"
pass "buildah built the generated Dockerfile ($D1), output streamed"

skopeo inspect "oci:.mlbox/oci:latest" >"$WORK/inspect.json" || fail "skopeo inspect"
[ "$(json "$WORK/inspect.json" 'd["Digest"]')" = "$D1" ] || fail "latest in .mlbox/oci is not the built image"
[ "$(json "$WORK/inspect.json" 'd["Created"]')" = "2023-11-14T22:13:20Z" ] ||
  fail "SOURCE_DATE_EPOCH not passed as --timestamp: $(json "$WORK/inspect.json" 'd["Created"]')"
skopeo inspect --config "oci:.mlbox/oci:latest" >"$WORK/config.json"
python3 - "$WORK/config.json" "sha256:$(sha256sum mlbox.lock | cut -d' ' -f1)" <<'PY' || fail "image config"
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert c["Entrypoint"] == ["/opt/mlbox/bin/mlbox-trainer", "--"], c
assert c["Cmd"] == ["/bin/sh", "src/train.sh"], c
assert c["WorkingDir"] == "/workspace", c
assert c["Labels"]["io.mlbox.lock.digest"] == sys.argv[2], c["Labels"]
PY
umoci unpack --rootless --image .mlbox/oci:latest "$WORK/bundle" >/dev/null || fail "umoci unpack"
R="$WORK/bundle/rootfs"
[ -x "$R/usr/bin/python3" ] && [ -x "$R/opt/mlbox/bin/mlbox-trainer" ] || fail "base or trainer missing"
cmp src/train.sh "$R/workspace/src/train.sh" || fail "code layer differs"
[ ! -e "$R/workspace/notes.tmp" ] || fail "ignored file in the image"
pass "exported into .mlbox/oci:latest: skopeo and umoci read it; --timestamp, labels, rootfs"

# --- push and run work as after a native build ---------------------------------------------
"$MLBOX" --json push >"$WORK/push.json" || fail "mlbox push"
[ "$(json "$WORK/push.json" 'd["digest"]')" = "$D1" ] || fail "pushed another digest: $(cat "$WORK/push.json")"
REMOTE=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$REG_PORT/it/buildah-test:latest" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
[ "$REMOTE" = "$D1" ] || fail "skopeo sees $REMOTE in the registry, buildah built $D1"
pass "mlbox push of the buildah image; skopeo inspects $REMOTE in the registry"
expect_rc 0 timeout 120 "$MLBOX" run
grep -q "hello from the buildah image, v1" "$WORK/stdout" "$WORK/stderr" ||
  { cat "$WORK/stdout" "$WORK/stderr"; fail "mlbox run of the buildah image"; }
pass "mlbox run runs the buildah image"

# --- code-only rebuild: buildah's layer cache keeps everything but the code ------------------
printf 'echo "hello from the buildah image, v2"\n' >src/train.sh
timeout 600 "$MLBOX" --json build --builder buildah >"$WORK/b2.json" 2>"$WORK/b2.err" ||
  { tail -30 "$WORK/b2.err"; fail "rebuild"; }
grep -q "Using cache" "$WORK/b2.err" || fail "buildah did not reuse its cached layers"
python3 - "$WORK/b1.json" "$WORK/b2.json" <<'PY' || fail "code-only rebuild changed more than the code layer"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
la, lb = [l["digest"] for l in a["layers"]], [l["digest"] for l in b["layers"]]
assert len(la) == len(lb), (la, lb)
assert la[:-1] == lb[:-1], (la, lb)
assert la[-1] != lb[-1], "the code layer did not change"
assert a["digest"] != b["digest"]
PY
pass "code-only rebuild: only the last (code) layer changed"
