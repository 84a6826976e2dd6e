#!/usr/bin/env bash
# scripts/test-sanitize.sh: the unit tests and the fuzz corpora replay under ASan + UBSan, in
# their own build directory (build-asan/; only mlbox_tests and the replay binaries: no
# mlbox CLI, no trainer, no libtorch). Any leak, overflow or undefined behaviour fails the
# run. With clang installed the objects also carry libFuzzer's coverage hooks, so
# scripts/fuzz.sh builds its harnesses in the same directory without recompiling mlbox.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${MLBOX_ASAN_BUILD_DIR:-build-asan}
# -O1 -g1: the usual sanitizer/libFuzzer level; it builds in about half the time of -O2 -g.
flags="-O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
compilers=()
if command -v clang++ >/dev/null; then
  flags="$flags -fsanitize=fuzzer-no-link"
  compilers=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
fi
start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DMLBOX_BUILD_NATIVE=OFF \
  "${compilers[@]}" -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
ninja -C "$build" mlbox_tests fuzz_replay_binaries
built=$(date +%s)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" -R '^(unit|fuzz_replay)$' --output-on-failure
echo "test-sanitize: passed (build $((built - start)) s, tests $(($(date +%s) - built)) s)"
