#!/usr/bin/env bash
# S3 transfers through a fault-injecting proxy (tests/fakes/fault_proxy.py) in front of the
# SigV4-verifying fake and s3rver: request bodies cut half-way, 503s with Retry-After, responses
# cut half-way. mlbox-trainer's data staging (MLBOX_DATA_SOURCES), checkpoint/model upload and
# checkpoint restore, and the S3 client's get/put/list (what `mlbox fetch` of a Batch job uses)
# all complete with every byte verified against what was stored.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
: "${MLBOX_TRAINER:?}"
TOOL=${MLBOX_BUILD_DIR:?}/tests/mlbox_aws_tool
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

start_s3rver
start_aws_fake aws "logs" --s3-endpoint "http://127.0.0.1:$S3PORT" --s3-proxy "http://127.0.0.1:$S3PORT"
PROXY_PORT=$(free_port)
python3 "$MLBOX_SOURCE_DIR/tests/fakes/fault_proxy.py" --port "$PROXY_PORT" \
  --upstream "127.0.0.1:$AWS_FAKE_PORT" --drop-body-every 3 --status 503:5 --drop-response-every 3 \
  --stats "$WORK/faults.json" 2>"$WORK/proxy.log" &
cleanup_hooks+=("kill $!")
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/" && break; sleep 0.1; done
use_test_aws_credentials
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$PROXY_PORT"
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
rand() { python3 -c "import random,sys; r=random.Random(int(sys.argv[1])); sys.stdout.buffer.write(r.randbytes(int(sys.argv[2])))" "$@"; }
s3sum() { curl -s "http://127.0.0.1:$S3PORT/mlbox-out/$1" | sha256sum | cut -d' ' -f1; }

# Data staging: three objects of 1-3 MB, downloaded through cut responses.
for i in 1 2 3; do
  rand "$i" $((i * 1000000)) >"$WORK/d$i.bin"
  curl -sf -X PUT --data-binary @"$WORK/d$i.bin" "http://127.0.0.1:$S3PORT/mlbox-out/datasets/train/d$i.bin" >/dev/null
done
export MLBOX_DATA_SOURCES="train=s3://mlbox-out/datasets/train" MLBOX_DATA_DIR="$WORK/data"
export MLBOX_PLATFORM=aws-batch AWS_BATCH_JOB_ID=job-faults
export MLBOX_MODEL_DIR=s3://mlbox-out/runs/f1/model MLBOX_CHECKPOINT_DIR=s3://mlbox-out/runs/f1/checkpoints
export MLBOX_TENSORBOARD_DIR=s3://mlbox-out/runs/f1/tensorboard
cat >"$WORK/attempt1.sh" <<SH
set -e
for i in 1 2 3; do cmp "\$MLBOX_DATA_DIR/train/d\$i.bin" "$WORK/d\$i.bin"; done
cp "$WORK/d3.bin" "\$MLBOX_CHECKPOINT_DIR/ckpt-3"
cp "$WORK/d2.bin" "\$MLBOX_MODEL_DIR/model.pt"
SH
AWS_BATCH_JOB_ATTEMPT=1 timeout 300 "$MLBOX_TRAINER" -- /bin/sh "$WORK/attempt1.sh" >"$WORK/a1.out" 2>&1 ||
  { cat "$WORK/a1.out"; fail "attempt 1 failed through the faults"; }
[ "$(s3sum runs/f1/checkpoints/ckpt-3)" = "$(sha256sum <"$WORK/d3.bin" | cut -d' ' -f1)" ] || fail "checkpoint corrupt in S3"
[ "$(s3sum runs/f1/model/model.pt)" = "$(sha256sum <"$WORK/d2.bin" | cut -d' ' -f1)" ] || fail "model corrupt in S3"
pass "trainer: data staged, checkpoint and model uploaded, every byte verified"

# Restore through the same faults.
cat >"$WORK/attempt2.sh" <<SH
set -e
cmp "\$MLBOX_CHECKPOINT_DIR/ckpt-3" "$WORK/d3.bin"
SH
AWS_BATCH_JOB_ATTEMPT=2 timeout 300 "$MLBOX_TRAINER" -- /bin/sh "$WORK/attempt2.sh" >"$WORK/a2.out" 2>&1 ||
  { cat "$WORK/a2.out"; fail "attempt 2 could not restore through the faults"; }
pass "trainer: checkpoint restored intact"

# The S3 client as fetch uses it: list, get (multi-MB), put multipart.
rand 9 12000000 >"$WORK/big.bin"
"$TOOL" s3-put mlbox-out runs/f1/outputs/big.bin "$WORK/big.bin" 5242880 5242880 >"$WORK/put.json" ||
  fail "multipart put through the faults"
[ "$(s3sum runs/f1/outputs/big.bin)" = "$(sha256sum <"$WORK/big.bin" | cut -d' ' -f1)" ] || fail "multipart object corrupt"
"$TOOL" s3-ls mlbox-out runs/f1/ >"$WORK/ls.json" || fail "list through the faults"
python3 -c 'import json,sys; keys={o["key"] for o in json.load(open(sys.argv[1]))}; assert "runs/f1/outputs/big.bin" in keys and "runs/f1/model/model.pt" in keys, keys' "$WORK/ls.json" ||
  fail "listing incomplete: $(cat "$WORK/ls.json")"
"$TOOL" s3-get mlbox-out runs/f1/outputs/big.bin "$WORK/got.bin" >/dev/null || fail "get through the faults"
cmp "$WORK/got.bin" "$WORK/big.bin" || fail "downloaded object differs"
[ -z "$(ls "$WORK" | grep -E '\.partial$|\.tmp' || true)" ] || fail "partial files left: $(ls "$WORK")"
python3 - "$WORK/faults.json" <<'PY' || fail "the proxy injected too few faults: $(cat "$WORK/faults.json")"
import json, sys
f = json.load(open(sys.argv[1]))["faults"]
assert f.get("drop-body", 0) >= 1 and f.get("503", 0) >= 1 and f.get("drop-response", 0) >= 1, f
print("faults injected:", f)
PY
pass "S3 client: multipart put, list and get through cut bodies, 503s and cut responses"
echo PASS
