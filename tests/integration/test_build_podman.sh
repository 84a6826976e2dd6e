#!/usr/bin/env bash
# mlbox build --builder podman: the generated Dockerfile and staged context built by podman
# (vfs storage and a containers.conf private to the test, chroot isolation, --layers,
# --timestamp) on the busybox base with a stub python3.11, pushed by podman into an OCI
# layout and imported into .mlbox/oci under the build tag. skopeo and umoci read the result,
# the config and rootfs are mlbox's, a code-only rebuild changes only the code layer, and a
# missing podman names its package.
source "$(dirname "$0")/lib.sh"
source "$MLBOX_SOURCE_DIR/tests/integration/external_builder_lib.sh"
command -v podman >/dev/null || fail "podman is not installed: run scripts/install-deps.sh (apt-get install podman)"

TRAINER=$(type -P true)  # any dynamically linked binary exercises the bundling

BASE=$(bash "$MLBOX_SOURCE_DIR/tests/fixtures/make_busybox_stub_python_base.sh" "${MLBOX_BUILD_DIR:-$WORK}/test-cache")
make_project podman "$BASE"

check_missing_tool podman podman
pass "a missing podman is exit 3 naming the package"

export SOURCE_DATE_EPOCH=1700000000
timeout 300 "$MLBOX" --json build --builder podman --trainer "$TRAINER" >"$WORK/b1.json" 2>"$WORK/b1.err" ||
  { tail -30 "$WORK/b1.err"; fail "mlbox build --builder podman"; }
[ "$(json "$WORK/b1.json" 'd["builder"]')" = podman ] || fail "builder: $(cat "$WORK/b1.json")"
grep -q "^podman: STEP" "$WORK/b1.err" || fail "podman's output was not streamed: $(head "$WORK/b1.err")"
podman images --format '{{.Repository}}:{{.Tag}}' | grep -x >/dev/null "localhost/mlbox/podman-test:latest" ||
  fail "image name in podman's storage: $(podman images)"
D1=$(json "$WORK/b1.json" 'd["digest"]')
check_exported_image "$WORK/b1.json"
[ -x "$R/bin/busybox" ] || fail "base missing"
pass "podman built the generated Dockerfile ($D1); skopeo and umoci read .mlbox/oci:latest"

printf 'echo "podman v2"\n' >src/train.sh
timeout 300 "$MLBOX" --json build --builder podman --trainer "$TRAINER" >"$WORK/b2.json" 2>"$WORK/b2.err" ||
  { tail -30 "$WORK/b2.err"; fail "rebuild"; }
check_code_only_rebuild "$WORK/b1.json" "$WORK/b2.json"
pass "code-only rebuild with podman: only the last (code) layer changed"
