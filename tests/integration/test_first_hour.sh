#!/usr/bin/env bash
# The first hour of a new user, through the CLI as they type it (issue: the first hour). Each
# section is one trap a new user fell into; each fails on the mlbox that had the trap.
source "$MLBOX_SOURCE_DIR/tests/integration/lib.sh"
cd "$WORK"
umoci init --layout base >/dev/null
umoci new --image base:v1 >/dev/null
# A base with `python` (a stand-in that is never run): the build checks that the image's
# command can start.
umoci unpack --rootless --image base:v1 bb >/dev/null
mkdir -p bb/rootfs/usr/bin && cp "$(type -P true)" bb/rootfs/usr/bin/python
umoci repack --image base:v1 bb >/dev/null && rm -rf bb

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

# --- trap 6: offline freeze ----------------------------------------------------------------
# An index that cannot be reached is a network error (exit 5) with pip's own words (pip is
# asked for one retry, not five: test_freeze_lock checks the command);
# a requirement that no source has is exit 3. (Was: 16 s, exit 3 "no matching distribution".)
mkdir -p offline && cd offline
printf 'name: offline\npython:\n  version: "3.11"\n  requirements: requirements.txt\ntrain:\n  command: python train.py\nimage:\n  base: oci:%s/base:v1\n' "$WORK" >mlbox.yaml
printf 'alpha\n' >requirements.txt
echo 'import alpha' >train.py
closed=$(free_port)
expect_rc 5 "$MLBOX" freeze --index-url "http://127.0.0.1:$closed/simple"
grep -q "pip cannot reach the package index" "$WORK/stderr" || { cat "$WORK/stderr"; fail "unreachable index not named"; }
grep -qi "connection refused\|failed to establish" "$WORK/stderr" || { cat "$WORK/stderr"; fail "pip's own error hidden"; }
[ ! -e mlbox.lock ] || fail "a failed freeze wrote mlbox.lock"
mkdir -p "$WORK/empty-wheelhouse"
expect_rc 3 "$MLBOX" freeze --no-index --find-links "$WORK/empty-wheelhouse"
grep -q "cannot resolve requirement 'alpha'" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no-match error"; }
pass "trap 6: unreachable index -> exit 5 with pip's words; missing distribution -> exit 3"

# The lock remembers freeze's wheel sources: a build told nothing installs from them.
python3 "$MLBOX_SOURCE_DIR/tests/fixtures/make_wheels.py" "$WORK/wheelhouse" 'alpha==1.0' >/dev/null
"$MLBOX" freeze --no-index --find-links "$WORK/wheelhouse" >/dev/null 2>&1 || fail "offline freeze"
grep -q "^# find-links: $WORK/wheelhouse$" mlbox.lock || { cat mlbox.lock; fail "find-links not in the lock"; }
grep -q "^# no-index: true$" mlbox.lock || fail "no-index not in the lock"
expect_rc 0 "$MLBOX" build --trainer "$(type -P true)"
grep -q "installing from mlbox freeze's wheel sources --no-index --find-links $WORK/wheelhouse" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "the build did not use the lock's wheel sources"; }
cd "$WORK"
pass "trap 6: the build installs from the wheel sources freeze recorded"

# --- trap 10: an image whose command cannot start ------------------------------------------
# The build checks the command against the image's files: its program on the PATH (the base
# has python, not python3) and its script in the code layer. (Was: exit 0; the job failed on
# the cloud GPU at its first step.)
mkdir -p "$WORK/entry" && cd "$WORK/entry"
printf 'name: entry\ntrain:\n  command: python3 train.py\nimage:\n  base: oci:%s/base:v1\n' "$WORK" >mlbox.yaml
echo 'print(1)' >train.py
expect_rc 3 "$MLBOX" build --trainer "$(type -P true)"
grep -q "the image's command 'python3 train.py' cannot start: 'python3' is not on the PATH" "$WORK/stderr" &&
  grep -q "the image has /usr/bin/python" "$WORK/stderr" || { cat "$WORK/stderr"; fail "a missing program was built"; }
sed -i 's/python3 train.py/python trian.py/' mlbox.yaml
expect_rc 3 "$MLBOX" build --trainer "$(type -P true)"
grep -q "names trian.py, which is not in the image (/workspace/trian.py)" "$WORK/stderr" || { cat "$WORK/stderr"; fail "a missing script was built"; }
sed -i 's/trian.py/train.py/' mlbox.yaml
printf 'context:\n  exclude: ["*.py"]\n' >>mlbox.yaml
expect_rc 3 "$MLBOX" build --trainer "$(type -P true)"
grep -q "context.exclude or .mlboxignore" "$WORK/stderr" || { cat "$WORK/stderr"; fail "an excluded script was built"; }
pass "trap 10: the build refuses a command whose program or script is not in the image"

# init proposes data: for a data folder and keeps it out of the code layer.
mkdir -p "$WORK/withdata/data" && cd "$WORK/withdata"
echo 'import csv' >train.py
printf 'a,b\n1,2\n' >data/train.csv
head -c 200000 /dev/urandom >data/images.npy
expect_rc 0 "$MLBOX" init
grep -q "^data:$" mlbox.yaml && grep -q '^  data: "data"$' mlbox.yaml || { cat mlbox.yaml; fail "init did not propose data:"; }
grep -q '"data/"' mlbox.yaml || fail "init did not exclude data/ from the code layer"
printf 'image:\n  base: oci:%s/base:v1\n' "$WORK" >>mlbox.yaml
expect_rc 0 "$MLBOX" --json build --trainer "$(type -P true)"
layers=$(python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]))["layers"] if l["role"] == "code"))' "$WORK/stdout")
for l in $layers; do
  tar -tzf ".mlbox/oci/blobs/sha256/${l#sha256:}" | grep -q "data/" && fail "the data folder went into the code layer"
  tar -tzf ".mlbox/oci/blobs/sha256/${l#sha256:}" | grep -q "train.py" || fail "train.py is not in the code layer"
done
cd "$WORK"
pass "trap 10: init proposes data: for data/ and keeps it out of the code layer"

echo PASS
