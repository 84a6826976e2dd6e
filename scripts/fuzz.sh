#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [HARNESS...]: builds the libFuzzer harnesses under fuzz/ with clang
# (ASan + UBSan + libFuzzer; in build-asan/, the objects scripts/test-sanitize.sh builds) and
# runs each for SECONDS (default 60), growing its corpus in build-asan/fuzz-corpus/<name>
# from the checked-in seeds. A crash, leak, timeout or memory blow-up fails the harness; the
# input is saved under build-asan/fuzz-findings/<name>/: add it to fuzz/corpus/<name>/ with
# the fix so CI replays it. Not run by CI (see docs/fuzzing.md); MLBOX_FUZZ_JOBS=N runs N
# harnesses at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${MLBOX_ASAN_BUILD_DIR:-build-asan}
command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang++ (apt-get install clang)" >&2; exit 2; }

# The same flags as scripts/test-sanitize.sh, so the two share objects.
# -O1 -g1: the usual sanitizer/libFuzzer level; it builds in about half the time of -O2 -g.
flags="-O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
flags="$flags -fsanitize=fuzzer-no-link"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DMLBOX_BUILD_NATIVE=OFF \
  -DMLBOX_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.cpp; do harnesses+=("$(basename "$f" .cpp | sed 's/^fuzz_//')"); done
fi
ninja -C "$build" "${harnesses[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_one() {
  local name=$1
  local corpus="$build/fuzz-corpus/$name" findings="$build/fuzz-findings/$name"
  mkdir -p "$corpus" "$findings"
  cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  # -rss_limit_mb: the harnesses bound their inputs; more than this is a finding.
  local rc=0
  "$build/fuzz/fuzz_$name" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 \
    >"$build/fuzz-$name.log" 2>&1 || rc=$?
  local execs cov
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$name.log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$build/fuzz-$name.log" | tail -1 | grep -o '[0-9]*' || echo '?')
  if [ $rc -eq 0 ]; then
    echo "$name: ok, $execs executions, coverage $cov edges"
  else
    echo "$name: FAILED (exit $rc), see $build/fuzz-$name.log and $findings/"
  fi
  return $rc
}
status=0
jobs=${MLBOX_FUZZ_JOBS:-1}
running=0
for name in "${harnesses[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ $running -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
