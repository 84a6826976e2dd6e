#!/usr/bin/env bash
# The GPU check, ready to run on a machine with an NVIDIA GPU and a CUDA build of torch in a
# Python (PYTHON, default python3) -- nothing in CI depends on it:
#   1. builds mlbox-native from src/native against that torch (CMake + the system compiler;
#      a CUDA torch's TorchConfig also wants the CUDA toolkit: nvcc and the headers),
#   2. runs its probe: device name, memory, compute capability, a checked matmul on each GPU,
#   3. trains the bench CNN (bench/trainer: seed-style MNIST CNN, batch 64, Adam) for the same
#      steps natively on cuda:0 and with the PyTorch Python loop on the same GPU, interleaved,
#      and prints samples/s of each and the ratio.
#
#   PYTHON=/path/to/venv/bin/python bench/gpu/run.sh [OUT_DIR] [STEPS] [REPEATS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$(mktemp -d /tmp/mlbox-gpu.XXXXXX)}
STEPS=${2:-600}
REPEATS=${3:-3}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
"$PY" - <<'PY' || { echo "bench/gpu: needs a CUDA torch and a visible GPU in $PY" >&2; exit 2; }
import torch
assert torch.cuda.is_available(), "torch.cuda.is_available() is False"
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s): "
      f"{torch.cuda.get_device_name(0)}")
PY
TORCH_DIR=$("$PY" -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')
TORCH_LIB=$("$PY" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')

echo "== building mlbox-native against $TORCH_DIR"
cmake -S "$ROOT/src/native" -B "$OUT/build" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$TORCH_DIR" \
  -DMLBOX_NATIVE_STATIC_DEPS=ON -DCMAKE_BUILD_RPATH="$TORCH_LIB" >"$OUT/cmake.log" 2>&1 ||
  { tail -30 "$OUT/cmake.log"; exit 1; }
cmake --build "$OUT/build" --parallel >>"$OUT/cmake.log" 2>&1 || { grep -m10 error "$OUT/cmake.log"; exit 1; }
NATIVE="$OUT/build/mlbox-native"

echo "== probe"
"$NATIVE" --probe | tee "$OUT/probe.txt"
grep -q "^cuda:0 .* matmul ok" "$OUT/probe.txt" || { echo "bench/gpu: no CUDA device passed the matmul check" >&2; exit 1; }

echo "== native vs the Python loop on cuda:0 ($STEPS steps, $REPEATS repeats)"
"$PY" "$ROOT/bench/trainer/make_data.py" "$OUT" >/dev/null
"$PY" "$ROOT/examples/native-digits/make_model.py" "$OUT/model.pt" --mnist >/dev/null
cat >"$OUT/native.json" <<JSON
{"model": "$OUT/model.pt",
 "data": {"train": {"path": "$OUT/images-idx3-ubyte", "format": "idx",
                    "labels_path": "$OUT/labels-idx1-ubyte", "scale": 0.00392156862745098},
          "validation_split": 0.2},
 "input_shape": [1, 28, 28], "epochs": 1000, "max_steps": $STEPS, "batch_size": 64, "seed": 1,
 "device": "cuda", "optimizer": {"name": "adam", "lr": 0.001},
 "metrics": ["loss", "accuracy"], "checkpoint": {"every_epochs": 0, "resume": false},
 "tensorboard": false}
JSON
native=() python=()
for r in $(seq "$REPEATS"); do
  MLBOX_OUTPUT_DIR="$OUT/native-$r" "$NATIVE" --config "$OUT/native.json" 2>"$OUT/native-$r.log" ||
    { tail -20 "$OUT/native-$r.log"; exit 1; }
  native+=("$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples_per_sec"])' "$OUT/native-$r/native_summary.json")")
  BENCH_DEVICE=cuda "$PY" "$ROOT/bench/trainer/python_loop.py" "$ROOT/examples/native-digits" \
    "$OUT/images-idx3-ubyte" "$OUT/labels-idx1-ubyte" "$STEPS" 64 4 1 0.2 lean "$OUT/python-$r.json"
  python+=("$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples_per_sec"])' "$OUT/python-$r.json")")
done
"$PY" - "${native[*]}" "${python[*]}" <<'PY'
import statistics, sys
n = [float(v) for v in sys.argv[1].split()]
p = [float(v) for v in sys.argv[2].split()]
mn, mp = statistics.median(n), statistics.median(p)
print(f"native (mlbox-native, cuda:0)   {mn:10.1f} samples/s  (runs: {', '.join(f'{v:.0f}' for v in n)})")
print(f"python loop (lean, cuda:0)      {mp:10.1f} samples/s  (runs: {', '.join(f'{v:.0f}' for v in p)})")
print(f"ratio native / python           {mn / mp:10.2f}x")
PY
