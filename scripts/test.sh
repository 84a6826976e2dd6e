#!/usr/bin/env bash
# The whole test suite: install deps, build, run every CTest test (unit + integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 900 "$@"
