#!/usr/bin/env bash
# Layer compression throughput: mlbox's parallel gzip (and zstd) against gzip -6 and pigz -6
# on the same tar, in the same run. Prints seconds, MB/s, output size and the ratios.
#   bench/parallel_gzip.sh [BUILD_DIR] [SIZE_MB]
set -euo pipefail
BUILD=${1:-build}
MB=${2:-200}
TOOL=$BUILD/tests/mlbox_image_tool
[ -x "$TOOL" ] || { echo "build it first: ninja -C $BUILD mlbox_image_tool" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# A realistic layer: source files and shared objects, tarred, cut to SIZE_MB.
tar -cf - /usr/lib/python3* /usr/lib/x86_64-linux-gnu /usr/share/doc 2>/dev/null |
  head -c $((MB * 1024 * 1024)) >"$WORK/in.tar" || true
cat "$WORK/in.tar" >/dev/null
size=$(stat -c %s "$WORK/in.tar")
threads=$(nproc)
run() { # NAME CMD...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" <"$WORK/in.tar" >"$WORK/out"
  t1=$(date +%s.%N)
  local secs; secs=$(echo "$t1 - $t0" | bc -l)
  printf '%-28s %7.2f s %8.1f MB/s %11d bytes\n' "$name" "$secs" \
    "$(echo "$size / 1000000 / $secs" | bc -l)" "$(stat -c %s "$WORK/out")"
  eval "T_${name//[^a-zA-Z0-9]/_}=$secs"
}
echo "input: $((size / 1000000)) MB tar, $threads cores"
run gzip gzip -6 -n -c
if command -v pigz >/dev/null; then run pigz pigz -6 -n -c -p "$threads"; fi
run mlbox_gzip "$TOOL" compress gzip --threads "$threads"
run mlbox_gzip_1thread "$TOOL" compress gzip --threads 1
run mlbox_zstd "$TOOL" compress zstd --threads "$threads"
printf 'ratio gzip/mlbox_gzip (speed-up over gzip -6): %.2fx\n' "$(echo "$T_gzip / $T_mlbox_gzip" | bc -l)"
if [ -n "${T_pigz:-}" ]; then
  printf 'ratio pigz/mlbox_gzip (>1: mlbox faster):      %.2fx\n' "$(echo "$T_pigz / $T_mlbox_gzip" | bc -l)"
fi
printf 'ratio gzip/mlbox_zstd:                          %.2fx\n' "$(echo "$T_gzip / $T_mlbox_zstd" | bc -l)"
