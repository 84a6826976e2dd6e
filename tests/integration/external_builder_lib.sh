# Checks shared by the external-builder tests (buildah, podman), sourced after lib.sh. They
# run in the project directory, whose src/train.sh is the code and notes.tmp is ignored.
# containers/storage private to the test, vfs (works without overlay or fuse); podman's
# engine settings for a machine without journald or systemd, its state under $WORK rather
# than /run/libpod. vfs with chroot isolation mounts nothing: removing $WORK removes the
# storage (buildah rmi of vfs layers takes minutes).
cat >"$WORK/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$WORK/storage"
runroot = "$WORK/runroot"
CONF
cat >"$WORK/containers.conf" <<CONF
[engine]
events_logger = "file"
cgroup_manager = "cgroupfs"
tmp_dir = "$WORK/libpod-tmp"
CONF
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf" CONTAINERS_CONF="$WORK/containers.conf" STORAGE_DRIVER=vfs

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# make_project NAME BASE [IMAGE_YAML_LINE]: $WORK/proj (the current directory afterwards) with
# src/train.sh echoing "NAME v1", an ignored notes.tmp, and an mlbox.yaml naming BASE (plus
# one more line under image:, e.g. a repository), frozen offline without pinning the base.
make_project() {
  P="$WORK/proj"
  mkdir -p "$P/src"
  cd "$P"
  printf 'echo "%s v1"\n' "$1" >src/train.sh
  echo "not for the image" >notes.tmp
  printf '*.tmp\n' >.dockerignore
  {
    printf 'name: %s-test\npython:\n  version: "3.11"\nimage:\n  base: "%s"\n' "$1" "$2"
    [ -z "${3:-}" ] || printf '  %s\n' "$3"
    printf 'train:\n  command: ["/bin/sh", "src/train.sh"]\n'
  } >mlbox.yaml
  "$MLBOX" freeze --no-index --pin-base no >/dev/null || fail "freeze"
}

# check_exported_image BUILD_JSON [CREATED]: .mlbox/oci:latest is the image the build
# reported, skopeo and umoci read it, its creation time is CREATED (default: SOURCE_DATE_EPOCH
# 1700000000 as --timestamp; "-": not checked), the config is mlbox's, and the unpacked rootfs
# ($R afterwards) holds the code but not ignored files.
check_exported_image() {
  local digest created=${2:-2023-11-14T22:13:20Z}
  digest=$(json "$1" 'd["digest"]')
  skopeo inspect "oci:.mlbox/oci:latest" >"$WORK/inspect.json" || fail "skopeo inspect"
  [ "$(json "$WORK/inspect.json" 'd["Digest"]')" = "$digest" ] || fail "latest in .mlbox/oci is not the built image"
  [ "$created" = - ] || [ "$(json "$WORK/inspect.json" 'd["Created"]')" = "$created" ] ||
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
  rm -rf "$WORK/bundle"
  umoci unpack --rootless --image .mlbox/oci:latest "$WORK/bundle" >/dev/null || fail "umoci unpack"
  R="$WORK/bundle/rootfs"
  [ -x "$R/opt/mlbox/bin/mlbox-trainer" ] || fail "trainer missing"
  cmp src/train.sh "$R/workspace/src/train.sh" || fail "code layer differs"
  [ ! -e "$R/workspace/notes.tmp" ] || fail "ignored file in the image"
}

# check_code_only_rebuild BUILD1_JSON BUILD2_JSON: only the last (code) layer changed.
check_code_only_rebuild() {
  python3 - "$1" "$2" <<'PY' || fail "code-only rebuild changed more than the code layer"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
la, lb = [l["digest"] for l in a["layers"]], [l["digest"] for l in b["layers"]]
assert len(la) == len(lb), (la, lb)
assert la[:-1] == lb[:-1], (la, lb)
assert la[-1] != lb[-1], "the code layer did not change"
assert a["digest"] != b["digest"]
PY
}

# check_missing_tool TOOL PACKAGE: with TOOL off PATH, `mlbox build --builder TOOL` is exit 3
# naming the Debian package.
check_missing_tool() {
  mkdir -p "$WORK/nobin"
  expect_rc 3 env PATH="$WORK/nobin" "$MLBOX" build --builder "$1"
  grep -q "$1 is not installed" "$WORK/stderr" && grep -q "apt-get install $2" "$WORK/stderr" ||
    fail "missing $1: $(cat "$WORK/stderr")"
}
