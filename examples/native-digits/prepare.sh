#!/usr/bin/env bash
# Make the example's inputs from what Debian ships: the TorchScript model (python3-torch)
# and the 8x8 digits data set (python3-sklearn). Run from anywhere; writes next to itself.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p data
cp /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz data/digits.csv.gz
[ -f model.pt ] || /usr/bin/python3 make_model.py model.pt --seed 0 >/dev/null
