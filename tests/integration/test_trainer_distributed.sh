#!/usr/bin/env bash
# Distributed native mode: two ranks on 127.0.0.1 (c10d + Gloo), once with Vertex's
# CLUSTER_SPEC and once with AWS Batch's multi-node variables. Both ranks must end with
# identical weights (checked in-process across ranks), equal to a single-process run with the
# same global batch within tolerance; only rank 0 writes checkpoints and outputs.
set -euo pipefail
T="${MLBOX_TRAINER:?MLBOX_TRAINER must point at mlbox-trainer}"
SRC="${MLBOX_SOURCE_DIR:?}"
PY=/usr/bin/python3
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export MLBOX_DIST_TIMEOUT_SECONDS=60

$PY "$SRC/examples/native-digits/make_model.py" "$WORK/model.pt" --tiny --seed 5
config() {  # $1 = per-rank batch size
  cat <<JSON
{
  "model": "$WORK/model.pt",
  "data": {"train": {"path": "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
                     "scale": 0.0625},
           "validation_split": 0.2},
  "input_shape": [1, 8, 8],
  "epochs": 2, "batch_size": $1, "seed": 5, "threads": 1,
  "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
  "metrics": ["loss", "accuracy"],
  "checkpoint": {"every_epochs": 1, "every_steps": 10}
}
JSON
}
config 64 > "$WORK/single.json"
config 32 > "$WORK/ranked.json"

echo "== single process, batch 64"
MLBOX_OUTPUT_DIR="$WORK/single" "$T" native --config "$WORK/single.json" 2>"$WORK/single.log" \
  || { cat "$WORK/single.log"; fail "single run"; }

run_pair() {  # $1 = name; env for rank 0 and rank 1 in R0_ENV / R1_ENV arrays
  local name=$1
  env "${R0_ENV[@]}" "$T" native --config "$WORK/ranked.json" 2>"$WORK/$name.r0.log" & local p0=$!
  env "${R1_ENV[@]}" "$T" native --config "$WORK/ranked.json" 2>"$WORK/$name.r1.log" & local p1=$!
  PIDS=($p0 $p1)
  local rc0=0 rc1=0
  wait $p0 || rc0=$?
  wait $p1 || rc1=$?
  PIDS=()
  [ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] || { tail -5 "$WORK/$name".r*.log; fail "$name: ranks exited $rc0/$rc1"; }
  grep -q "rank 1/2 joining 127.0.0.1" "$WORK/$name.r1.log" || fail "$name: rank 1 did not get rank 1/2"
}

check_pair() {  # $1 = name, $2 = output dir
  local name=$1 out=$2
  $PY - "$out" "$WORK/single" <<'PY' || fail "$name: differs from single-process training"
import json, sys, torch
out, single = sys.argv[1], sys.argv[2]
s = json.load(open(f"{out}/native_summary.json"))
assert s["rank_weight_divergence"] == 0.0, f"ranks diverged: {s['rank_weight_divergence']}"
a = torch.jit.load(f"{out}/model/model.pt").state_dict()
b = torch.jit.load(f"{single}/model/model.pt").state_dict()
worst = max((a[k] - b[k]).abs().max().item() for k in a)
ha = json.load(open(f"{out}/history.json"))["history"]
hb = json.load(open(f"{single}/history.json"))["history"]
hworst = max(abs(x - y) for k in hb for x, y in zip(ha[k], hb[k]))
print(f"  ranks identical; vs single process: max |dw| = {worst:.2e}, max |d metric| = {hworst:.2e}")
assert worst < 1e-4 and hworst < 1e-4, (worst, hworst)
PY
  ls "$out"/checkpoints/ckpt-*.mlbox >/dev/null || fail "$name: no checkpoints from rank 0"
}

echo "== Vertex CLUSTER_SPEC, 2 ranks"
PORT=$(free_port)
SPEC0="{\"cluster\":{\"workerpool0\":[\"127.0.0.1:$PORT\"],\"workerpool1\":[\"127.0.0.1:1\"]},\"task\":{\"type\":\"workerpool0\",\"index\":0}}"
SPEC1="{\"cluster\":{\"workerpool0\":[\"127.0.0.1:$PORT\"],\"workerpool1\":[\"127.0.0.1:1\"]},\"task\":{\"type\":\"workerpool1\",\"index\":0}}"
V="$WORK/vertex"
COMMON=(AIP_MODEL_DIR="$V/model" AIP_CHECKPOINT_DIR="$V/checkpoints" AIP_TENSORBOARD_LOG_DIR="$V/logs" CLOUD_ML_JOB_ID=42)
R0_ENV=("${COMMON[@]}" CLUSTER_SPEC="$SPEC0")
R1_ENV=("${COMMON[@]}" CLUSTER_SPEC="$SPEC1")
run_pair vertex
check_pair vertex "$V"

echo "== AWS Batch multi-node variables, 2 nodes"
PORT=$(free_port)
B="$WORK/batch"
COMMON=(AWS_BATCH_JOB_ID="job#0" AWS_BATCH_JOB_ATTEMPT=1 AWS_BATCH_JOB_NUM_NODES=2
        AWS_BATCH_JOB_MAIN_NODE_INDEX=0 MASTER_PORT=$PORT MLBOX_OUTPUT_DIR="$B")
R0_ENV=("${COMMON[@]}" AWS_BATCH_JOB_NODE_INDEX=0)
R1_ENV=("${COMMON[@]}" AWS_BATCH_JOB_NODE_INDEX=1 AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS=127.0.0.1)
run_pair batch
check_pair batch "$B"

# One process per GPU: the supervisor starts MLBOX_NPROC_PER_NODE ranks on one node (the
# documented hook that stands CPU ranks in for GPUs; on a GPU machine it is the GPU count).
echo "== one node, 2 processes (MLBOX_NPROC_PER_NODE=2 standing in for 2 GPUs)"
PORT=$(free_port)
N="$WORK/pernode"
MLBOX_NPROC_PER_NODE=2 MASTER_PORT=$PORT MLBOX_OUTPUT_DIR="$N" \
  "$T" native --config "$WORK/ranked.json" >"$WORK/pernode.out" 2>"$WORK/pernode.log" \
  || { tail -20 "$WORK/pernode.log"; fail "pernode: exit $?"; }
grep -q "2 processes on this node" "$WORK/pernode.log" || fail "pernode: no per-node process count"
grep -q "\[rank 1\] .*rank 1/2 joining 127.0.0.1" "$WORK/pernode.log" ||
  { grep rank "$WORK/pernode.log" | head; fail "pernode: rank 1 did not join as 1/2"; }
check_pair pernode "$N"
# The supervisor names each rank once ("[rank 0] mlbox-trainer: ..."); mlbox-native does not
# repeat it. One process per node keeps the trainer's own "[rank 0]" (nothing else names it).
grep -q "\[rank 0\] mlbox-trainer: model saved to" "$WORK/pernode.log" ||
  { grep "mlbox-trainer:" "$WORK/pernode.log" | head; fail "pernode: rank 0's lines lack the supervisor's prefix"; }
if grep -q "\[rank [0-9]*\] mlbox-trainer: \[rank" "$WORK/pernode.log"; then
  grep "mlbox-trainer: \[rank" "$WORK/pernode.log" | head -3; fail "pernode: the rank is named twice"
fi
grep -q "mlbox-trainer: \[rank 0\] model saved to" "$WORK/batch.r0.log" ||
  { grep "mlbox-trainer:" "$WORK/batch.r0.log" | head; fail "batch: rank 0 not named in its own lines"; }
# Preempted with 2 processes on the node: SIGTERM to the supervisor stops both ranks (exit 75,
# a checkpoint saved); the next attempt resumes both from it and ends with the same weights as
# an uninterrupted 2-process run. 6 epochs (~140 steps): the SIGTERM follows the first
# checkpoint file (step 10) by one poll, long before the end.
echo "== one node, 2 processes, preempted and resumed"
sed 's/"epochs": 2/"epochs": 6/' "$WORK/ranked.json" >"$WORK/long.json"
PORT=$(free_port)
MLBOX_NPROC_PER_NODE=2 MASTER_PORT=$PORT MLBOX_OUTPUT_DIR="$WORK/long" \
  "$T" native --config "$WORK/long.json" >/dev/null 2>"$WORK/long.log" ||
  { tail -20 "$WORK/long.log"; fail "uninterrupted 6-epoch run"; }
PR="$WORK/preempted"
PORT=$(free_port)
MLBOX_NPROC_PER_NODE=2 MASTER_PORT=$PORT MLBOX_OUTPUT_DIR="$PR" \
  "$T" native --config "$WORK/long.json" >"$WORK/pr1.out" 2>"$WORK/pr1.log" &
PID=$!
PIDS=($PID)
for _ in $(seq 1200); do ls "$PR"/checkpoints/ckpt-*.mlbox >/dev/null 2>&1 && break; sleep 0.1; done
kill -TERM $PID
set +e; wait $PID; rc=$?; set -e
PIDS=()
[ $rc -eq 75 ] || { tail -20 "$WORK/pr1.log"; fail "preempt: exit $rc, expected 75 (preempted)"; }
grep -q "\[rank 1\] mlbox-native: preempted" "$WORK/pr1.log" || { tail -20 "$WORK/pr1.log"; fail "preempt: rank 1 did not stop on request"; }
PORT=$(free_port)
MLBOX_NPROC_PER_NODE=2 MASTER_PORT=$PORT MLBOX_OUTPUT_DIR="$PR" MLBOX_ATTEMPT=2 \
  "$T" native --config "$WORK/long.json" >"$WORK/pr2.out" 2>"$WORK/pr2.log" ||
  { tail -20 "$WORK/pr2.log"; fail "preempt: the resumed attempt failed"; }
# Rank 0 says where it resumed; the ranks' weights are checked equal in-process at the end, and
# against the uninterrupted run below.
grep -q "\[rank 0\] .*resumed from" "$WORK/pr2.log" && grep -q "weights across 2 ranks: identical" "$WORK/pr2.log" ||
  { grep -i "resum\|identical" "$WORK/pr2.log"; fail "preempt: the ranks did not resume from the checkpoint"; }
$PY - "$PR" "$WORK/long" <<'PY' || fail "preempt: the resumed run differs from the uninterrupted one"
import sys, torch
a = torch.jit.load(f"{sys.argv[1]}/model/model.pt").state_dict()
b = torch.jit.load(f"{sys.argv[2]}/model/model.pt").state_dict()
worst = max((a[k] - b[k]).abs().max().item() for k in a)
print(f"  preempted + resumed vs uninterrupted: max |dw| = {worst:.2e}")
assert worst < 1e-4, worst
PY

MLBOX_NPROC_PER_NODE=two "$T" native --config "$WORK/ranked.json" 2>"$WORK/bad.log" && fail "MLBOX_NPROC_PER_NODE=two accepted"
grep -q "MLBOX_NPROC_PER_NODE='two'" "$WORK/bad.log" || fail "bad MLBOX_NPROC_PER_NODE not named"

# Command mode: one process per node, with what torchrun / Lightning read.
echo "== command mode exports the launcher variables"
env AWS_BATCH_JOB_ID="job#0" AWS_BATCH_JOB_NUM_NODES=2 AWS_BATCH_JOB_MAIN_NODE_INDEX=0 \
  AWS_BATCH_JOB_NODE_INDEX=1 AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS=10.0.0.5 \
  MLBOX_OUTPUT_DIR="$WORK/cmd" "$T" --no-timestamps -- env >"$WORK/cmd.env" 2>"$WORK/cmd.log" ||
  { cat "$WORK/cmd.log"; fail "command mode"; }
for kv in NNODES=2 NODE_RANK=1 RANK=1 WORLD_SIZE=2 LOCAL_RANK=0 MASTER_ADDR=10.0.0.5 \
          PET_NNODES=2 PET_NODE_RANK=1 PET_MASTER_ADDR=10.0.0.5 PET_NPROC_PER_NODE=1 \
          MLBOX_GPUS_PER_NODE=1; do
  grep -qx "$kv" "$WORK/cmd.env" || { cat "$WORK/cmd.env"; fail "command mode: $kv not exported"; }
done
echo PASS
