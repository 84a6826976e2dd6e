#!/usr/bin/env bash
# Configure and build mlbox into ./build (Release with debug info, Ninja).
#
# Ninja decides by modification times: a source edited (or checked out by a merge) while its
# object was being compiled from the old text gets an object newer than itself, and later
# builds keep the stale object. After building, sources changed since the build started are
# touched and built again, so the binaries always match the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(mktemp)
trap 'rm -f "$started"' EXIT
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build "$@"
changed=$(find src tests fuzz bench templates CMakeLists.txt -newer "$started" -type f \
  \( -name '*.cpp' -o -name '*.h' -o -name '*.txt' -o -name '*.yaml' \) 2>/dev/null || true)
if [ -n "$changed" ]; then
  echo "build.sh: sources changed during the build, building them again:" >&2
  echo "$changed" | sed 's/^/  /' >&2
  echo "$changed" | xargs touch
  ninja -C build "$@"
fi
