#!/usr/bin/env bash
# Benchmark: what mlbox adds to an image, and what that costs a job at start, before vs after
# the trainer split (#15), measured side by side in one run.
#   bench/image_bytes.sh BEFORE_BUILD_DIR [AFTER_BUILD_DIR] [REPEATS]
# BEFORE_BUILD_DIR holds mlbox and mlbox-trainer of an earlier version (e.g. a worktree of the
# commit before the split, built with -DMLBOX_BUILD_TESTS=OFF).
# Prints, for a command-mode project and for the native demo (examples/native-digits), the
# bytes of mlbox's layers (trainer; native) compressed and on disk, and, for the command-mode
# image, pull (skopeo from a local docker-registry) + unpack (umoci) + start (runc:
# mlbox-trainer -- /bin/true) seconds, median of REPEATS. IMAGE_BYTES_NATIVE=0 skips the native
# demo (when BEFORE is already past the split, e.g. to measure the trainer without libcurl).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BEFORE=$(realpath "${1:?usage: bench/image_bytes.sh BEFORE_BUILD_DIR [AFTER_BUILD_DIR] [REPEATS]}")
AFTER=$(realpath "${2:-$ROOT/build}")
REPEATS=${3:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlbox-bench.XXXXXX")
trap 'kill $REG_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/data}}
http: {addr: 127.0.0.1:$PORT}
YAML
docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/"; do sleep 0.1; done
R=127.0.0.1:$PORT
BASE=$(bash "$ROOT/docker/make-busybox-base.sh" "$WORK/bases")
WH=$(/usr/bin/python3 "$ROOT/docker/make_torch_wheel.py" "$WORK/wheels")
layer_bytes() {  # BUILD_JSON ROLE... -> compressed bytes of those layers
  python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(l["size"] for l in d["layers"] if l["role"] in sys.argv[2:]))
PY
}
mib() { echo "scale=1; $1 / 1048576" | bc; }

command_project() {  # DIR
  mkdir -p "$1" && cd "$1"
  printf 'print("hello")\n' >train.py
  cat >mlbox.yaml <<YAML
name: cmd-bench
python: {version: "3.11"}
image: {base: "$BASE", repository: "$R/bench/cmd"}
train: {command: ["/bin/sh", "-c", "true"]}
YAML
}
native_project() {  # DIR WITH_TORCH
  mkdir -p "$1" && cp -r "$ROOT/examples/native-digits/." "$1/" && cd "$1"
  bash prepare.sh >/dev/null
  sed -i "s|^framework:|image:\n  base: \"$BASE\"\nframework:|" mlbox.yaml
  [ "$2" = yes ] || sed -i '/packages: \["torch/d' mlbox.yaml
}

declare -A C D
for v in before after; do
  B=$BEFORE; [ $v = after ] && B=$AFTER
  export MLBOX_HOME="$WORK/home-$v" MLBOX_NATIVE_CACHE="$WORK/native-cache"
  (command_project "$WORK/$v-cmd"
   "$B/mlbox" freeze --no-index >/dev/null
   MLBOX_TRAINER="$B/mlbox-trainer" "$B/mlbox" --json build >"$WORK/$v-cmd.json"
   "$B/mlbox" push "$R/bench/cmd-$v:latest" >/dev/null
   umoci unpack --image .mlbox/oci:latest "$WORK/$v-cmd-rootfs" >/dev/null)
  C[$v]=$(layer_bytes "$WORK/$v-cmd.json" trainer)
  D[$v]=$(du -sb "$WORK/$v-cmd-rootfs/rootfs/opt/mlbox" | cut -f1)
  [ "${IMAGE_BYTES_NATIVE:-1}" = 0 ] && continue
  (if [ $v = before ]; then native_project "$WORK/$v-native" no; "$B/mlbox" freeze --no-index >/dev/null
   else native_project "$WORK/$v-native" yes; "$B/mlbox" freeze --no-index --find-links "$WH" >/dev/null; fi
   MLBOX_TRAINER="$B/mlbox-trainer" "$B/mlbox" --json build >"$WORK/$v-native.json"
   umoci unpack --image .mlbox/oci:latest "$WORK/$v-native-rootfs" >/dev/null)
  C[$v-native]=$(layer_bytes "$WORK/$v-native.json" trainer native)
  D[$v-native]=$(du -sb --exclude=site-packages "$WORK/$v-native-rootfs/rootfs/opt/mlbox" | cut -f1)
done

start_secs() {  # IMAGE -> seconds for pull + unpack + runc start, median of REPEATS
  local times=()
  for r in $(seq "$REPEATS"); do
    local dir="$WORK/pull-$r-$RANDOM"
    mkdir -p "$dir"
    local t0; t0=$(date +%s.%N)
    skopeo copy -q --src-tls-verify=false "docker://$1" "oci:$dir/oci:latest" >/dev/null || exit 1
    umoci unpack --image "$dir/oci:latest" "$dir/bundle" >/dev/null || exit 1
    python3 - "$dir/bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/opt/mlbox/bin/mlbox-trainer", "--no-timestamps", "--", "/bin/true"]
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"))
PY
    runc --root "$WORK/runc" run -b "$dir/bundle" "bench-$r-$RANDOM" </dev/null >"$WORK/runc.log" 2>&1 ||
      { cat "$WORK/runc.log" >&2; exit 1; }
    local t1; t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
    rm -rf "$dir"
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((REPEATS + 1) / 2))p"
}
S_before=$(start_secs "$R/bench/cmd-before:latest") || exit 1
S_after=$(start_secs "$R/bench/cmd-after:latest") || exit 1

ratio() { echo "scale=1; $1 / $2" | bc; }
printf '%-44s %12s %12s %8s\n' "what mlbox adds" "before" "after" "ratio"
printf '%-44s %10s MB %9s MB %7sx\n' "command mode, compressed (trainer layer)" "$(mib "${C[before]}")" "$(mib "${C[after]}")" "$(ratio "${C[before]}" "${C[after]}")"
printf '%-44s %10s MB %9s MB %7sx\n' "command mode, on disk (/opt/mlbox)" "$(mib "${D[before]}")" "$(mib "${D[after]}")" "$(ratio "${D[before]}" "${D[after]}")"
[ "${IMAGE_BYTES_NATIVE:-1}" = 0 ] || printf '%-44s %10s MB %9s MB %7sx\n' "native demo, compressed (trainer + native)" "$(mib "${C[before-native]}")" "$(mib "${C[after-native]}")" "$(ratio "${C[before-native]}" "${C[after-native]}")"
[ "${IMAGE_BYTES_NATIVE:-1}" = 0 ] || printf '%-44s %10s MB %9s MB %7sx\n' "native demo, on disk (/opt/mlbox w/o deps)" "$(mib "${D[before-native]}")" "$(mib "${D[after-native]}")" "$(ratio "${D[before-native]}" "${D[after-native]}")"
printf '%-44s %10.2f s %10.2f s %7sx\n' "command mode: pull + unpack + start" "$S_before" "$S_after" "$(ratio "$S_before" "$S_after")"
[ "${IMAGE_BYTES_NATIVE:-1}" = 0 ] || echo "(native demo after: its torch is the lock's own dependency in the deps layer, $(mib "$(layer_bytes "$WORK/after-native.json" deps)") MB compressed, not counted as mlbox's)"
