#!/usr/bin/env bash
# The README's main job on the embedded default (this machine, no cloud configured):
#   a local registry (Debian's docker-registry on 127.0.0.1), the native TorchScript example
#   on scikit-learn's digits: mlbox freeze -> build -> push -> run -> fetch, then the
#   validation accuracy and where the model is. A second run reuses the cached base, layers
#   and trainer bundle, and mlbox-native compiled against the locked torch.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/install-deps.sh"
bash "$ROOT/scripts/build.sh" >/dev/null
export PATH="$ROOT/build:$PATH"
export MLBOX_HOME=${MLBOX_HOME:-$HOME/.local/share/mlbox}
DEMO=${MLBOX_DEMO_DIR:-$MLBOX_HOME/demo}
mkdir -p "$DEMO"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "a local registry and a busybox base image (both from Debian packages)"
REGISTRY=$(bash "$ROOT/docker/local-registry.sh" start)
BASE=$(bash "$ROOT/docker/make-busybox-base.sh" "$MLBOX_HOME/bases")
echo "registry $REGISTRY, base $BASE"

step "the native TorchScript example: model and data from python3-torch / python3-sklearn"
P="$DEMO/native-digits"
mkdir -p "$P"
# Refresh the example's files; keep .mlbox/ (the store and caches) from an earlier run.
cp -r "$ROOT/examples/native-digits/." "$P/"
bash "$P/prepare.sh"
cd "$P"
sed -i "s|^framework:|image:\n  repository: $REGISTRY/native-digits\n  base: \"$BASE\"\nframework:|" mlbox.yaml
mlbox machines --gpu T4 --spot | head -4

step "mlbox freeze (torch from a local wheelhouse: Debian's libtorch as a torch wheel)"
WHEELHOUSE=$(/usr/bin/python3 "$ROOT/docker/make_torch_wheel.py" "$MLBOX_HOME/wheels")
mlbox freeze --no-index --find-links "$WHEELHOUSE"
step "mlbox build (native: no daemon; the first build compiles mlbox-native against that torch)"
mlbox build
step "mlbox push"
mlbox push
echo "registry says: $(skopeo inspect --tls-verify=false "docker://$REGISTRY/native-digits:latest" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"

step "mlbox run (the image, with runc, on this machine)"
mlbox run
JOB=$(mlbox --json jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
step "mlbox fetch $JOB"
# One folder per job: fetch refuses to write into a folder that already holds files.
mlbox fetch "$JOB" -o "$P/fetched/$JOB"
python3 - "$P/fetched/$JOB" <<'PY'
import json, os, sys
out = sys.argv[1]
for root, _, files in os.walk(out):
    if "history.json" in files:
        h = json.load(open(os.path.join(root, "history.json")))["history"]
        print(f"validation accuracy after {len(h['val_accuracy'])} epochs: {h['val_accuracy'][-1]:.4f}")
    if "model.pt" in files:
        print(f"model: {os.path.join(root, 'model.pt')}")
PY
