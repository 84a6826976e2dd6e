#!/usr/bin/env bash
# replay_corpora.sh BIN_DIR CORPUS_DIR: runs fuzz_<name>_replay over CORPUS_DIR/<name>/ for
# every harness; fails when one crashes, or when a harness or a corpus is missing.
set -u
bin_dir=$1 corpus_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
status=0
for source in "$here"/fuzz_*.cpp; do
  name=$(basename "$source" .cpp)
  name=${name#fuzz_}
  if [ ! -x "$bin_dir/fuzz_${name}_replay" ]; then
    echo "fuzz_replay: $bin_dir/fuzz_${name}_replay is not built" >&2
    status=1
    continue
  fi
  if [ -z "$(ls -A "$corpus_dir/$name" 2>/dev/null)" ]; then
    echo "fuzz_replay: no corpus for $name (add seeds under fuzz/corpus/$name/)" >&2
    status=1
    continue
  fi
  "$bin_dir/fuzz_${name}_replay" "$corpus_dir/$name" || { echo "fuzz_replay: $name failed" >&2; status=1; }
done
exit $status
