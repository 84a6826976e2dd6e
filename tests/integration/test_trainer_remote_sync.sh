#!/usr/bin/env bash
# mlbox-trainer with bucket destinations, as on AWS Batch: MLBOX_MODEL_DIR and
# MLBOX_CHECKPOINT_DIR are s3:// URIs, credentials come from the container credentials
# endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + its token), S3 is s3rver behind the
# SigV4-verifying fake. Attempt 1 gets its data from MLBOX_DATA_SOURCES, writes a
# checkpoint, is preempted (SIGTERM) and still uploads it; attempt 2 finds it restored and
# writes the model; summary.json lands beside the model prefix; staging dirs are removed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
: "${MLBOX_TRAINER:?}"

start_s3rver
start_aws_fake aws "logs" --s3-endpoint "http://127.0.0.1:$S3PORT" \
  --s3-proxy "http://127.0.0.1:$S3PORT"

# The ECS/Batch agent's credentials endpoint: answers only with the right token.
CREDPORT=$(free_port)
cat >"$WORK/creds.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/v2/credentials/task" or self.headers.get("Authorization") != "agent-token-123":
            self.send_response(403); self.end_headers(); return
        body = json.dumps({"AccessKeyId": "S3RVER", "SecretAccessKey": "S3RVER", "Token": "",
                           "Expiration": "2099-01-01T00:00:00Z"}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
        with open(sys.argv[2], "a") as f: f.write("served\n")
    def log_message(self, *a): pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$WORK/creds.py" "$CREDPORT" "$WORK/creds.log" &
cleanup_hooks+=("kill $!")
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$CREDPORT/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$CREDPORT/" || fail "the container-credentials server did not start (30 s)"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export AWS_CONFIG_FILE="$WORK/none" AWS_SHARED_CREDENTIALS_FILE="$WORK/none"
export AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$CREDPORT/v2/credentials/task"
export AWS_CONTAINER_AUTHORIZATION_TOKEN=agent-token-123
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3=$AWS_FAKE_URL
export MLBOX_PLATFORM=aws-batch AWS_BATCH_JOB_ID=job-1
export MLBOX_MODEL_DIR=s3://mlbox-out/runs/j1/model
export MLBOX_CHECKPOINT_DIR=s3://mlbox-out/runs/j1/checkpoints
export MLBOX_TENSORBOARD_DIR=s3://mlbox-out/runs/j1/tensorboard
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"

# Data: a plain prefix, written straight to s3rver (it does not check signatures).
mkdir -p "$WORK/s3/mlbox-out"
curl -s -X PUT --data-binary 'digits,42' "http://127.0.0.1:$S3PORT/mlbox-out/datasets/train/a.csv" >/dev/null
export MLBOX_DATA_SOURCES="train=s3://mlbox-out/datasets/train"
export MLBOX_DATA_DIR="$WORK/data"

# Attempt 1: reads its data, writes a checkpoint, then is preempted.
cat >"$WORK/attempt1.sh" <<'SH'
set -e
grep -q 'digits,42' "$MLBOX_DATA_DIR/train/a.csv"
echo "step 5" >"$MLBOX_CHECKPOINT_DIR/ckpt-5"
echo ready
sleep 60
SH
preempt_when_ready "$WORK/a1.out" env AWS_BATCH_JOB_ATTEMPT=1 "$MLBOX_TRAINER" --grace 5 --sync-interval 0.3 -- \
  /bin/sh "$WORK/attempt1.sh"
rc=$PREEMPT_RC
[ "$rc" = 75 ] || { cat "$WORK/a1.out"; fail "preempted attempt exited $rc, expected 75"; }
[ "$(curl -s "http://127.0.0.1:$S3PORT/mlbox-out/runs/j1/checkpoints/ckpt-5")" = "step 5" ] ||
  { cat "$WORK/a1.out"; fail "the checkpoint did not reach S3"; }
grep -q "data train: 1 file(s) from s3://mlbox-out/datasets/train" "$WORK/a1.out" ||
  { cat "$WORK/a1.out"; fail "data not materialised"; }
[ -s "$WORK/creds.log" ] || fail "the container credentials endpoint was never asked"
pass "attempt 1: data from MLBOX_DATA_SOURCES, checkpoint uploaded on preemption (exit 75)"

# Attempt 2: the checkpoint is restored from S3; the model and summary are uploaded.
cat >"$WORK/attempt2.sh" <<'SH'
set -e
[ "$(cat "$MLBOX_CHECKPOINT_DIR/ckpt-5")" = "step 5" ]
echo "weights" >"$MLBOX_MODEL_DIR/model.pt"
echo "scalars" >"$MLBOX_TENSORBOARD_DIR/events.out"
SH
AWS_BATCH_JOB_ATTEMPT=2 timeout 60 "$MLBOX_TRAINER" -- /bin/sh "$WORK/attempt2.sh" \
  >"$WORK/a2.out" 2>&1 || { cat "$WORK/a2.out"; fail "attempt 2 failed"; }
grep -q "restored 1 file(s) from s3://mlbox-out/runs/j1/checkpoints" "$WORK/a2.out" ||
  { cat "$WORK/a2.out"; fail "no restore message"; }
[ "$(curl -s "http://127.0.0.1:$S3PORT/mlbox-out/runs/j1/model/model.pt")" = weights ] ||
  fail "model not uploaded"
[ "$(curl -s "http://127.0.0.1:$S3PORT/mlbox-out/runs/j1/tensorboard/events.out")" = scalars ] ||
  fail "tensorboard not uploaded"
curl -s "http://127.0.0.1:$S3PORT/mlbox-out/runs/j1/summary.json" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["exit_code"] == 0 and len(d["attempts"]) >= 1, d' ||
  fail "summary.json not uploaded beside the model prefix"
[ -z "$(ls "$TMPDIR" | grep mlbox-remote || true)" ] || fail "staging dirs left in $TMPDIR: $(ls "$TMPDIR")"
[ "$(fake_log_count 'e.get("service") == "s3" and e.get("operation", "").startswith("PUT")')" -ge 4 ] ||
  fail "uploads did not pass the SigV4 verifier"
pass "attempt 2: checkpoint restored, model/tensorboard/summary uploaded, staging removed"

# Live metrics: metrics.jsonl and TensorBoard files reach S3 while the job runs.
s3_get() { curl -sf "http://127.0.0.1:$S3PORT/mlbox-out/$1"; }
MLBOX_MODEL_DIR=s3://mlbox-out/live/model MLBOX_CHECKPOINT_DIR=s3://mlbox-out/live/checkpoints \
  MLBOX_TENSORBOARD_DIR=s3://mlbox-out/live/tensorboard AWS_BATCH_JOB_ATTEMPT=1 \
  check_live_metrics s3_get live/metrics.jsonl live/tensorboard/events.out.tfevents.1.live
pass "live metrics: metrics.jsonl (re-uploaded as it grew) and TensorBoard events in S3 before the job ended"

# Wrong agent token: a clear auth error (exit 4), nothing run.
AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong expect_rc 4 timeout 30 "$MLBOX_TRAINER" -- /bin/true
grep -q "container credentials from http://127.0.0.1:$CREDPORT/v2/credentials/task: HTTP 403" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "credentials error message"; }
pass "bad container credentials -> exit 4 naming the endpoint"
