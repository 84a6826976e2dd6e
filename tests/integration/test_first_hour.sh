#!/usr/bin/env bash
# The first hour of a new user, through the CLI as they type it (issue: the first hour). Each
# section is one trap a new user fell into; each fails on the mlbox that had the trap.
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"
cd "$WORK"

# --- trap 2: an image without its dependencies ------------------------------------------------
# requirements.txt names torch and there is no mlbox.lock: `build` refuses like `dockerfile`,
# naming the missing lock and the command that makes it (was: exit 0, an image without torch).
mkdir -p reqs && cd reqs
cat >mlbox.yaml <<'YAML'
name: first
python:
  version: "3.11"
  requirements: requirements.txt
train:
  command: python train.py
image:
  base: oci:../base:v1
YAML
printf 'torch==2.3.1\nnumpy\n' >requirements.txt
echo 'import torch' >train.py
expect_rc 3 "$MLBOX" build
grep -q "needs 2 packages (torch==2.3.1, numpy) but there is no mlbox.lock" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "build without a lock was not refused"; }
grep -q "mlbox freeze" "$WORK/stderr" || fail "the refusal does not name 'mlbox freeze'"
[ ! -e .mlbox/oci/index.json ] ||
  python3 -c 'import json; assert json.load(open(".mlbox/oci/index.json"))["manifests"] == []' ||
  fail "a refused build stored an image"
# framework: pytorch alone asks for torch just the same.
printf 'name: fw\npython: {version: "3.11"}\nframework: {name: pytorch}\ntrain:\n  command: python train.py\nimage:\n  base: oci:../base:v1\n' >mlbox.yaml
expect_rc 3 "$MLBOX" build
grep -q "needs 1 package (torch) but there is no mlbox.lock" "$WORK/stderr" || { cat "$WORK/stderr"; fail "framework without a lock"; }
cd "$WORK"
# No image.base and no lock: the message names both, not a lock that does not exist.
mkdir -p nobase && cd nobase
printf 'name: nobase\npython: {version: "3.11"}\ntrain:\n  command: python train.py\n' >mlbox.yaml
echo 'print(1)' >train.py
expect_rc 3 "$MLBOX" build
grep -q "no base image: mlbox.yaml sets no image.base and there is no mlbox.lock" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no-base message"; }
cd "$WORK"
pass "trap 2: build refuses requirements without a lock, and names the real missing piece"

echo PASS
