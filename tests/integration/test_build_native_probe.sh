#!/usr/bin/env bash
# The trainer bundle's closure is complete and holds no libtorch: mlbox builds a command-mode
# project on a busybox base (Debian's busybox-static, no libc), given as a docker-archive made
# by skopeo; umoci unpacks the image and runc runs /opt/mlbox/bin/mlbox-trainer --probe from
# that bundle (GPU truth from the driver: none here).
source "$(dirname "$0")/lib.sh"
: "${MLBOX_TRAINER:?this test bundles the real mlbox-trainer (build with MLBOX_BUILD_TRAINER=ON)}"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

BASE=$(bash "$MLBOX_SOURCE_DIR/docker/make-busybox-base.sh" "${MLBOX_BUILD_DIR:-$WORK}/test-cache")
layout=${BASE#oci:}
layout=${layout%:latest}
skopeo copy -q "oci:$layout:latest" "docker-archive:$WORK/busybox.tar:busybox:latest" ||
  fail "skopeo copy to a docker-archive"
P="$WORK/proj"
mkdir -p "$P"
cd "$P"
printf 'print("train")\n' >train.py
cat >mlbox.yaml <<YAML
name: probe-test
python:
  version: "3.11"
image:
  base: docker-archive:$WORK/busybox.tar
train:
  command: ["/bin/sh", "-c", "true"]
YAML
"$MLBOX" --json build --trainer "$MLBOX_TRAINER" >"$WORK/b.json" || fail "build on the docker-archive base"
[ "$(json "$WORK/b.json" '[l["role"] for l in d["layers"]]')" = "['base', 'trainer', 'code']" ] ||
  fail "layers: $(cat "$WORK/b.json")"

umoci unpack --image .mlbox/oci:latest "$WORK/bundle" >/dev/null || fail "umoci unpack"
R="$WORK/bundle/rootfs"
[ -x "$R/bin/busybox" ] || fail "busybox base missing"
# The base brings no shared libraries at all: whatever the trainer loads comes from /opt/mlbox.
found=$(find "$R" -path "$R/opt" -prune -o \( -name 'lib*.so*' -o -name 'ld-linux*' \) -print)
[ -z "$found" ] || fail "the base is not bare: $found"
torch=$(find "$R" -name 'libtorch*' -o -name 'libc10*' -o -name mlbox-native -o -name 'libcurl*')
[ -z "$torch" ] || fail "a command-mode image carries libtorch, libcurl or mlbox-native: $torch"
# The supervisor's bundle, closure and loader included, stays within 15 MB on disk (#15).
bytes=$(du -sb "$R/opt/mlbox" | cut -f1)
[ "$bytes" -le $((15 * 1024 * 1024)) ] || fail "the trainer bundle is $bytes bytes (> 15 MiB): $(ls -la "$R/opt/mlbox/lib")"
pass "docker-archive busybox base + trainer bundle ($((bytes / 1024)) KiB on disk, no libtorch, no libcurl), unpacked by umoci; the base has no libraries"

runc_probe "$WORK/bundle" "$WORK/probe.out"
grep -q "no CUDA driver" "$WORK/probe.out" && grep -q "no mlbox-native in this image" "$WORK/probe.out" ||
  { cat "$WORK/probe.out"; fail "probe output"; }
pass "runc runs /opt/mlbox/bin/mlbox-trainer --probe in the busybox image: $(head -1 "$WORK/probe.out")"
