#!/usr/bin/env bash
# "Add one small package to a big lock": bytes pushed and wall time for mlbox (native build,
# one layer per locked package, then `mlbox push`) against buildah + skopeo (`buildah bud
# --layers` of the Dockerfile `mlbox dockerfile` generates, then `skopeo copy
# containers-storage:... docker://...`), each to its own local docker-registry, in the same
# run. The wheels are generated (random payloads, tests/fixtures/make_package_wheels.py): one
# torch-sized wheel (60%), four CUDA-library-sized ones (8% each), eight of 1.5% and twenty
# small ones; the base is the Debian Python base of the tests (debootstrap, cached in
# BUILD_DIR/test-cache). Prints, for the cold build + push and for the one-package change:
# seconds, bytes each registry received, and the ratios. Not a test.
#
#   bench/deps_push.sh [BUILD_DIR] [WHEELS_MB]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
MB=${2:-1500}
SRC=$(cd "$(dirname "$0")/.." && pwd)
MLBOX="$BUILD/mlbox"
[ -x "$MLBOX" ] || { echo "build it first: ninja -C $BUILD mlbox" >&2; exit 1; }
TRAINER=${MLBOX_TRAINER:-$(type -P true)}
for t in buildah skopeo docker-registry; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done
WORK="${TMPDIR:-/var/tmp}/mlbox-bench-deps.$$"
rm -rf "$WORK"
mkdir -p "$WORK"
export MLBOX_HOME="$WORK/mlbox-home"
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf"
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' \
  "$WORK/storage" "$WORK/runroot" >"$WORK/storage.conf"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  buildah rm --all >/dev/null 2>&1 || true
  buildah rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

registry() { # NAME -> prints the port
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$WORK/$1"
  printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s, secret: bench}\n' \
    "$WORK/$1/data" "$port" >"$WORK/$1/config.yml"
  docker-registry serve "$WORK/$1/config.yml" >"$WORK/$1/log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
  echo "$port"
}
stored() { du -sb "$WORK/$1/data" 2>/dev/null | cut -f1 || echo 0; }

BASE=$(bash "$SRC/tests/fixtures/make_python_base.sh" "$BUILD/test-cache")
WH="$WORK/wheels"
specs=("torchlike==2.3.1:mb=$((MB * 60 / 100))")
for i in 1 2 3 4; do specs+=("cudalib$i==12.1:mb=$((MB * 8 / 100))"); done
for i in $(seq 1 8); do specs+=("midpkg$i==1.0:mb=$((MB * 15 / 1000))"); done
for i in $(seq 1 20); do specs+=("smallpkg$i==1.0"); done
specs+=("tinyadd==0.1")
python3 "$SRC/tests/fixtures/make_package_wheels.py" "$WH" "${specs[@]}" >/dev/null
echo "wheels: $(du -sb "$WH" | cut -f1) bytes in $(ls "$WH" | wc -l) files; machine: $(nproc) cores"

P="$WORK/proj"
mkdir -p "$P"
printf 'print("train")\n' >"$P/train.py"
for s in "${specs[@]}"; do n=${s%%==*}; [ "$n" = tinyadd ] || echo "$n"; done >"$P/requirements.txt"
cat >"$P/mlbox.yaml" <<YAML
name: bench-deps
python:
  version: "3.11"
  requirements: requirements.txt
image:
  base: oci:$BASE:python
train:
  command: ["python3", "train.py"]
YAML
prepare() {
  (cd "$P" && "$MLBOX" -q freeze --no-index --find-links "$WH" >/dev/null &&
    MLBOX_TRAINER="$TRAINER" "$MLBOX" -q dockerfile --find-links "$WH" >/dev/null)
}
prepare
M_PORT=$(registry reg-mlbox)
B_PORT=$(registry reg-buildah)

declare -A T
timeit() { # NAME CMD...
  local name=$1; shift
  local t0 t1 l0
  l0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  "$@" >"$WORK/$name.log" 2>&1 || { tail -20 "$WORK/$name.log"; echo "FAILED: $name" >&2; exit 1; }
  t1=$(date +%s.%N)
  T[$name]=$(echo "$t1 - $t0" | bc -l)
  printf '%-24s %8.2f s   (load %s -> %s)\n' "$name" "${T[$name]}" "$l0" "$(cut -d' ' -f1 /proc/loadavg)"
}
mlbox_side() { # TAG
  (cd "$P" && "$MLBOX" --json build --trainer "$TRAINER" >"$WORK/build-$1.json" &&
    "$MLBOX" --json push "127.0.0.1:$M_PORT/bench/app:$1" >"$WORK/push-$1.json")
}
buildah_side() { # TAG
  buildah bud --isolation chroot --layers -q -f "$P/.mlbox/Dockerfile" -t "localhost/bench:$1" \
    "$P/.mlbox/context" &&
    skopeo copy -q --dest-tls-verify=false "containers-storage:localhost/bench:$1" \
      "docker://127.0.0.1:$B_PORT/bench/app:$1"
}

m0=$(stored reg-mlbox); b0=$(stored reg-buildah)
timeit mlbox_cold mlbox_side v1
timeit buildah_cold buildah_side v1
m1=$(stored reg-mlbox); b1=$(stored reg-buildah)

echo tinyadd >>"$P/requirements.txt"
prepare
timeit mlbox_add mlbox_side v2
timeit buildah_add buildah_side v2
m2=$(stored reg-mlbox); b2=$(stored reg-buildah)
echo "mlbox rebuilt: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join((l["role"]+" "+l.get("path","")).strip() for l in d["layers"] if l["rebuilt"]))' "$WORK/build-v2.json")"
echo "mlbox push v2: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["blobs_uploaded"], "blobs,", d["bytes_uploaded"], "bytes sent of", d["bytes_total"], ";", d["blobs_mounted"], "mounted,", d["blobs_skipped"], "already there")' "$WORK/push-v2.json")"

echo
printf 'cold build + push     mlbox %8.2f s, %12d bytes stored | buildah+skopeo %8.2f s, %12d bytes stored | time ratio %sx\n' \
  "${T[mlbox_cold]}" $((m1 - m0)) "${T[buildah_cold]}" $((b1 - b0)) "$(echo "scale=1; ${T[buildah_cold]} / ${T[mlbox_cold]}" | bc -l)"
printf 'add one package       mlbox %8.2f s, %12d bytes stored | buildah+skopeo %8.2f s, %12d bytes stored\n' \
  "${T[mlbox_add]}" $((m2 - m1)) "${T[buildah_add]}" $((b2 - b1))
printf 'ratio add one package: bytes mlbox/buildah %s%% (goal <= 5%%), time buildah/mlbox %sx (goal >= 20x)\n' \
  "$(echo "scale=2; 100 * ($m2 - $m1) / ($b2 - $b1)" | bc -l)" "$(echo "scale=1; ${T[buildah_add]} / ${T[mlbox_add]}" | bc -l)"
