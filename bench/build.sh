#!/usr/bin/env bash
# Image build: mlbox's native builder against `buildah bud` (vfs storage, chroot isolation)
# of the Dockerfile `mlbox dockerfile` generates, followed by `buildah push oci:` so both
# end with a compressed OCI image, on the same ~450 MB context over the same busybox base,
# in the same run. Cases: cold build with gzip, cold build with zstd, and the rebuild after
# a one-line change to one small code file (gzip). The base is Debian's busybox-static plus a
# stub python3.11 (see below). Prints seconds and ratios (buildah /
# mlbox: > 1 means mlbox is faster) and the load average around each case. Not a test.
#
#   bench/build.sh [BUILD_DIR] [CONTEXT_MB]
#
# The context, deterministic for one machine's Debian packages: Python's stdlib (compressible
# source), shared libraries from /usr/lib/x86_64-linux-gnu in name order (libtorch among
# them) and an AES-CTR keystream with a fixed key (incompressible), under deps/, plus 40
# small files under src/. The trainer bundle is made once before timing (both builders
# copy the same bundle); page cache is warmed by reading the context first.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
MB=${2:-450}
SRC=$(cd "$(dirname "$0")/.." && pwd)
MLBOX="$BUILD/mlbox"
[ -x "$MLBOX" ] || { echo "build it first: ninja -C $BUILD mlbox" >&2; exit 1; }
TRAINER=${MLBOX_TRAINER:-$BUILD/mlbox-trainer}
if [ ! -x "$TRAINER" ]; then
  TRAINER=$(type -P true)
  echo "note: no mlbox-trainer in $BUILD; bundling $TRAINER instead (smaller trainer layer)"
fi
for t in buildah skopeo umoci openssl; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done
WORK="${TMPDIR:-/var/tmp}/mlbox-bench-build.$$"
rm -rf "$WORK"
mkdir -p "$WORK"
cleanup() {
  CONTAINERS_STORAGE_CONF="$WORK/storage.conf" buildah rm --all >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export MLBOX_HOME="$WORK/mlbox-home" STORAGE_DRIVER=vfs
export CONTAINERS_STORAGE_CONF="$WORK/storage.conf"
fresh_storage() {
  CONTAINERS_STORAGE_CONF="$WORK/storage.conf" buildah rm --all >/dev/null 2>&1 || true
  rm -rf "$WORK/storage" "$WORK/runroot"
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$WORK/storage" "$WORK/runroot" >"$WORK/storage.conf"
}
fresh_storage

# The generated Dockerfile checks for the image's Python: the busybox base with a stub
# python3.11 keeps that RUN step cheap and offline for buildah. Both builders get this base.
BASE=$(bash "$SRC/tests/fixtures/make_busybox_stub_python_base.sh" "$WORK/bases")

# --- the context -----------------------------------------------------------------------------
C="$WORK/context"
mkdir -p "$C/deps/stdlib" "$C/deps/lib" "$C/deps/blob" "$C/src"
budget=$((MB * 1000 * 1000))
(cd /usr/lib/python3.11 && find . -name '*.py' -size -1024k -print0 | sort -z |
  tar --null -T - -cf - | tar -C "$C/deps/stdlib" -xf -)
used=$(du -sb "$C/deps" | cut -f1)
libs_budget=$(( (budget - used) * 55 / 100 ))
for f in $(find /usr/lib/x86_64-linux-gnu -maxdepth 1 -type f -name '*.so*' | sort); do
  size=$(stat -c %s "$f")
  [ $((size)) -lt $((64 << 20)) ] || [ "$(basename "$f")" = libtorch_cpu.so.1.13.0 ] || continue
  [ $((libs_budget - size)) -gt 0 ] || continue
  cp "$f" "$C/deps/lib/"
  libs_budget=$((libs_budget - size))
done
used=$(du -sb "$C/deps" | cut -f1)
left=$((budget - used))
i=0
while [ "$left" -gt 0 ]; do
  n=$(( left < 16000000 ? left : 16000000 ))
  (set +o pipefail
    openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%032x' $i)" \
      -nosalt -in /dev/zero 2>/dev/null | head -c "$n" >"$C/deps/blob/blob-$i.bin")
  left=$((left - n)); i=$((i + 1))
done
for j in $(seq -w 1 40); do
  printf '# module %s\nimport math\n\ndef f%s(x):\n    return math.sqrt(x) * %s\n' "$j" "$j" "$j" >"$C/src/mod_$j.py"
done
printf 'import sys\nprint("train", sys.argv)\n' >"$C/src/train.py"
echo "context: $(du -sb "$C" | cut -f1) bytes, $(find "$C" -type f | wc -l) files" \
  "(stdlib $(du -sb "$C/deps/stdlib" | cut -f1), libs $(du -sb "$C/deps/lib" | cut -f1)," \
  "random $(du -sb "$C/deps/blob" | cut -f1))"
echo "machine: $(nproc) cores; trainer: $TRAINER"

make_project() { # DIR
  mkdir -p "$1"
  cp -a "$C/." "$1/"
  cat >"$1/mlbox.yaml" <<YAML
name: bench-build
python:
  version: "3.11"
image:
  base: "$BASE"
train:
  command: ["python3", "src/train.py"]
YAML
  (cd "$1" && "$MLBOX" -q freeze --no-index >/dev/null &&
    MLBOX_TRAINER="$TRAINER" "$MLBOX" -q dockerfile >/dev/null &&
    # `dockerfile` filled the secret-scan cache: mlbox's cold build must scan like a first build.
    rm -f .mlbox/secret-scan-cache.json)
  cat $(find "$1" -type f) >/dev/null  # warm the page cache
}

declare -A T
timeit() { # NAME CMD...: runs CMD, records seconds in T[NAME]
  local name=$1; shift
  local l0 t0 t1
  l0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  "$@" >"$WORK/$name.log" 2>&1 || { tail -20 "$WORK/$name.log"; echo "FAILED: $name" >&2; exit 1; }
  t1=$(date +%s.%N)
  T[$name]=$(echo "$t1 - $t0" | bc -l)
  printf '%-26s %8.2f s   (load %s -> %s)\n' "$name" "${T[$name]}" "$l0" "$(cut -d' ' -f1 /proc/loadavg)"
}
mlbox_build() { # DIR COMPRESSION
  (cd "$1" && MLBOX_TRAINER="$TRAINER" "$MLBOX" -q build --compression "$2" --trainer "$TRAINER")
}
buildah_build() { # DIR COMPRESSION OCI_DIR
  buildah bud --isolation chroot --layers -q -f "$1/.mlbox/Dockerfile" -t localhost/bench:latest \
    "$1/.mlbox/context" &&
    buildah push -q --compression-format "$2" localhost/bench:latest "oci:$3:latest"
}

# --- cold, gzip ----------------------------------------------------------------------------
make_project "$WORK/p-gzip"
timeit mlbox_cold_gzip mlbox_build "$WORK/p-gzip" gzip
fresh_storage
timeit buildah_cold_gzip buildah_build "$WORK/p-gzip" gzip "$WORK/out-gzip"
# --- code-only rebuild, gzip (one line appended to one small file, in place: the staged
# context hard-links it) ---------------------------------------------------------------------
echo "# one more line" >>"$WORK/p-gzip/src/mod_07.py"
timeit mlbox_rebuild_gzip mlbox_build "$WORK/p-gzip" gzip
timeit buildah_rebuild_gzip buildah_build "$WORK/p-gzip" gzip "$WORK/out-gzip"
skopeo inspect "oci:$WORK/p-gzip/.mlbox/oci:latest" >/dev/null
skopeo inspect "oci:$WORK/out-gzip:latest" >/dev/null
echo "image sizes: mlbox gzip $(du -sb "$WORK/p-gzip/.mlbox/oci/blobs" | cut -f1)," \
  "buildah gzip $(du -sb "$WORK/out-gzip/blobs" | cut -f1) bytes"
rm -rf "$WORK/p-gzip" "$WORK/out-gzip"
# --- cold, zstd ----------------------------------------------------------------------------
make_project "$WORK/p-zstd"
timeit mlbox_cold_zstd mlbox_build "$WORK/p-zstd" zstd
fresh_storage
timeit buildah_cold_zstd buildah_build "$WORK/p-zstd" zstd "$WORK/out-zstd"
echo "image sizes: mlbox zstd $(du -sb "$WORK/p-zstd/.mlbox/oci/blobs" | cut -f1)," \
  "buildah zstd $(du -sb "$WORK/out-zstd/blobs" | cut -f1) bytes"

ratio() { echo "scale=2; ${T[$1]} / ${T[$2]}" | bc -l; }
echo
printf 'ratio cold gzip   buildah/mlbox: %sx (target >= 3)\n' "$(ratio buildah_cold_gzip mlbox_cold_gzip)"
printf 'ratio cold zstd   buildah/mlbox: %sx (target >= 10)\n' "$(ratio buildah_cold_zstd mlbox_cold_zstd)"
printf 'ratio code-only rebuild (gzip) buildah/mlbox: %sx (target >= 30)\n' \
  "$(ratio buildah_rebuild_gzip mlbox_rebuild_gzip)"
