#!/usr/bin/env bash
# Preemption: 10 native runs of a tiny CNN on the digits, each stopped at a random point
# (8 x SIGTERM, 2 x SIGKILL) and resumed; plus truncated / bit-flipped checkpoints. Every run
# must end with the uninterrupted run's history and weights. See preemption_driver.py.
set -euo pipefail
T="${MLBOX_TRAINER:?MLBOX_TRAINER must point at mlbox-trainer}"
SRC="${MLBOX_SOURCE_DIR:?}"
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
$PY "$SRC/examples/native-digits/make_model.py" "$WORK/tiny.pt" --tiny --seed 3
cat > "$WORK/config.json" <<JSON
{
  "model": "$WORK/tiny.pt",
  "data": {"train": {"path": "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
                     "scale": 0.0625},
           "validation_split": 0.2},
  "input_shape": [1, 8, 8],
  "epochs": 4, "batch_size": 32, "seed": 11, "threads": 1,
  "optimizer": {"name": "adam", "lr": 0.01},
  "lr_schedule": {"name": "step", "step_size": 1, "gamma": 0.5},
  "metrics": ["loss", "accuracy"],
  "checkpoint": {"every_epochs": 1, "every_steps": 10, "keep": 3},
  "log_every_steps": 1,
  "tensorboard": false
}
JSON
$PY "$SRC/tests/integration/trainer/preemption_driver.py" "$T" "$WORK/config.json" "$WORK/runs" 10
