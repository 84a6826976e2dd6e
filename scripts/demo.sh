#!/usr/bin/env bash
# The README's main job on the embedded default (this machine, no cloud):
#   init -> freeze -> dockerfile on the examples, then the native example's training run by
#   mlbox-trainer on this machine.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/install-deps.sh"
bash "$ROOT/scripts/build.sh" >/dev/null
export PATH="$ROOT/build:$PATH"
DEMO=${MLBOX_DEMO_DIR:-$(mktemp -d /tmp/mlbox-demo.XXXXXX)}
mkdir -p "$DEMO"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "mlbox init: a manifest for the PyTorch script example"
rm -rf "$DEMO/pytorch-mnist" && cp -r "$ROOT/examples/pytorch-mnist" "$DEMO/pytorch-mnist"
rm "$DEMO/pytorch-mnist/mlbox.yaml"
mlbox -C "$DEMO/pytorch-mnist" init --yes
sed -n '1,25p' "$DEMO/pytorch-mnist/mlbox.yaml"

step "mlbox machines: where a T4 is cheapest on spot"
mlbox machines --gpu T4 --spot | head -6

step "the native TorchScript example: prepare, freeze, dockerfile"
rm -rf "$DEMO/native-digits" && cp -r "$ROOT/examples/native-digits" "$DEMO/native-digits"
bash "$DEMO/native-digits/prepare.sh"
cd "$DEMO/native-digits"
mlbox freeze --no-index
mlbox dockerfile
mlbox config --explain | head -12

step "train it here with mlbox-trainer native (the image's entrypoint, run on the host)"
MLBOX_OUTPUT_DIR="$PWD/runs/local" mlbox-trainer native --config .mlbox/context/code/.mlbox-native.json
python3 - "$PWD/runs/local" <<'PY'
import json, os, sys
out = sys.argv[1]
h = json.load(open(os.path.join(out, "history.json")))["history"]
print(f"validation accuracy after {len(h['val_accuracy'])} epochs: {h['val_accuracy'][-1]:.4f}")
print(f"model: {os.path.join(out, 'model', 'model.pt')}  history: {os.path.join(out, 'history.json')}")
PY
echo "model and outputs: $PWD/runs/local"
echo "demo directory: $DEMO"
