#!/usr/bin/env bash
# Native mode end to end: trains the seed-style CNN on the sklearn 8x8 digits (Debian's
# python3-sklearn), checks the stated validation accuracy, reloads the saved TorchScript model
# in Python and compares accuracies, and decodes the TensorBoard event file independently.
set -euo pipefail
T="${MLBOX_TRAINER:?MLBOX_TRAINER must point at mlbox-trainer}"
SRC="${MLBOX_SOURCE_DIR:?}"
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
MIN_VAL_ACC=0.88   # stated target for 8 epochs on the last 20% of the digits

cd "$WORK"
$PY "$SRC/examples/native-digits/make_model.py" model.pt --seed 0
sed -e 's/"epochs": 10/"epochs": 8/' "$SRC/examples/native-digits/config.json" > config.json
MLBOX_OUTPUT_DIR="$WORK/out" "$T" native --config config.json 2>train.log || { cat train.log; fail "training failed"; }
tail -3 train.log
[ -s out/model/model.pt ] || fail "no model"
val_acc=$($PY -c "import json; h=json.load(open('out/history.json')); print(h['history']['val_accuracy'][-1])")
epochs=$($PY -c "import json; h=json.load(open('out/history.json')); print(len(h['epoch']))")
[ "$epochs" = 8 ] || fail "history has $epochs epochs"
echo "native val_accuracy $val_acc (target >= $MIN_VAL_ACC)"
$PY -c "import sys; sys.exit(0 if $val_acc >= $MIN_VAL_ACC else 1)" || fail "val_accuracy $val_acc < $MIN_VAL_ACC"

read py_acc nval < <($PY "$SRC/tests/integration/trainer/digits_eval.py" out/model/model.pt 0.2)
echo "python val_accuracy $py_acc on $nval samples"
# Same model, same data: at most one borderline sample may flip with a different batch split.
$PY -c "import sys; sys.exit(0 if abs($py_acc - $val_acc) <= 1.0/$nval + 1e-9 else 1)" \
  || fail "python accuracy $py_acc != native $val_acc"

ev=$(ls out/tensorboard/events.out.tfevents.*)
mkdir payloads
$PY "$SRC/tests/integration/trainer/tfevents_check.py" "$ev" --dump-payload payloads > scalars.json \
  || fail "event file does not decode"
$PY - <<'PY' || fail "TensorBoard scalars differ from history.json"
import json
s = json.load(open("scalars.json")); h = json.load(open("out/history.json"))["history"]
for k, vals in h.items():
    got = s["epoch_" + k]
    assert [st for st, _ in got] == list(range(len(vals))), (k, got)
    assert all(abs(a - b) <= 1e-6 * max(1, abs(b)) for (_, a), b in zip(got, vals)), (k, got, vals)
print("tensorboard scalars:", sorted(s))
PY
protoc --decode_raw < payloads/record0.bin | grep -q 'brain.Event:2' || fail "protoc: record0"
protoc --decode_raw < payloads/record1.bin > rec1.txt
grep -q '"epoch_' rec1.txt || fail "protoc: record1 has no tag: $(cat rec1.txt)"
echo PASS
