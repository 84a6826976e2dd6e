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
source "$MLBOX_SOURCE_DIR/tests/integration/external_builder_lib.sh"
: "${MLBOX_TRAINER:?the buildah test bundles mlbox-trainer (build with MLBOX_BUILD_TRAINER=ON)}"

BASE="oci:$(bash "$MLBOX_SOURCE_DIR/tests/fixtures/make_python_base.sh" "${MLBOX_BUILD_DIR:-$WORK}/test-cache"):python"
start_registry reg
make_project buildah "$BASE" "repository: 127.0.0.1:$REG_PORT/it/buildah-test"
printf 'X = 1\n' >src/model.py

# --- a missing tool names its package ------------------------------------------------------
check_missing_tool buildah buildah
check_missing_tool docker docker.io
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

check_exported_image "$WORK/b1.json"
[ -x "$R/usr/bin/python3" ] || fail "base missing"
pass "exported into .mlbox/oci:latest: skopeo and umoci read it; --timestamp, labels, rootfs"

# --- push and run work as after a native build ---------------------------------------------
"$MLBOX" --json push >"$WORK/push.json" || fail "mlbox push"
[ "$(json "$WORK/push.json" 'd["digest"]')" = "$D1" ] || fail "pushed another digest: $(cat "$WORK/push.json")"
REMOTE=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$REG_PORT/it/buildah-test:latest" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
[ "$REMOTE" = "$D1" ] || fail "skopeo sees $REMOTE in the registry, buildah built $D1"
pass "mlbox push of the buildah image; skopeo inspects $REMOTE in the registry"
expect_rc 0 timeout 120 "$MLBOX" run
grep -q "buildah v1" "$WORK/stdout" "$WORK/stderr" ||
  { cat "$WORK/stdout" "$WORK/stderr"; fail "mlbox run of the buildah image"; }
pass "mlbox run runs the buildah image"

# --- code-only rebuild: buildah's layer cache keeps everything but the code ------------------
printf 'echo "buildah v2"\n' >src/train.sh
timeout 600 "$MLBOX" --json build --builder buildah >"$WORK/b2.json" 2>"$WORK/b2.err" ||
  { tail -30 "$WORK/b2.err"; fail "rebuild"; }
grep -q "Using cache" "$WORK/b2.err" || fail "buildah did not reuse its cached layers"
check_code_only_rebuild "$WORK/b1.json" "$WORK/b2.json"
pass "code-only rebuild: only the last (code) layer changed"
