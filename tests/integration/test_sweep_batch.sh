#!/usr/bin/env bash
# mlbox sweep on AWS Batch, end to end through the CLI against the strict AWS fake (Batch and
# CloudWatch Logs validated against the botocore models, SigV4 checked), a real docker-registry
# behind the ECR host name, and s3rver behind the fake's S3 proxy: one array job
# (arrayProperties.size = 6) whose children read their trial from the plan mlbox uploaded
# (the fake's children do what mlbox-trainer does with it); child 1 fails, child 2 is
# spot-reclaimed and retried, trial-006 is cancelled right after the submit. Status reads
# each child's metric from its output in S3; the best trial is the best of the fetched
# history.json files; fetch brings its model. A parameter nothing consumes is exit 3 with
# nothing sent.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"

start_s3rver
PW="ecr-pw-$RANDOM$RANDOM"
start_aws_fake aws "ecr,batch,logs" --ecr-password "$PW" --batch-queue gpu-spot \
  --batch-array-fail 1 --batch-array-reclaim 2 --s3-endpoint "http://127.0.0.1:$S3PORT" \
  --s3-proxy "http://127.0.0.1:$S3PORT"
htpasswd -Bbc "$WORK/htpasswd" AWS "$PW" 2>/dev/null
start_registry ecr-registry "  htpasswd: {realm: ecr-test, path: $WORK/htpasswd}"
use_test_aws_credentials
HOST=$AWS_TEST_ACCOUNT.dkr.ecr.$AWS_TEST_REGION.amazonaws.com
export MLBOX_CONNECT_TO="$HOST::127.0.0.1:$REG_PORT"
export AWS_ENDPOINT_URL=$AWS_FAKE_URL
export MLBOX_POLL_INTERVAL=0.2

PROJ=$WORK/proj
make_image "$PROJ" latest "200K" 5 >/dev/null
cat >"$PROJ/train.py" <<'PY'
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--batch_size", type=int)
PY
cat >"$PROJ/mlbox.yaml" <<YAML
name: digits
train:
  command: python train.py
image:
  repository: $HOST/team/digits
resources:
  gpu: T4:1
  spot: true
targets:
  batch:
    region: us-east-1
    job_queue: gpu-spot
    output: s3://mlbox-out/runs
YAML
cd "$PROJ"
SWEEP_CMD=("$MLBOX" sweep --target batch --no-build --insecure-registry "$HOST" --metric val_accuracy)

# --- bad input: nothing consumes --momentum -> exit 3, no request ---------------------------
: >"$AWS_FAKE_LOG"
expect_rc 3 timeout 60 "${SWEEP_CMD[@]}" --param lr=0.01,0.1 --param momentum=0.9,0.99
grep -q "'momentum' (deliver: args): no file of the project mentions '--momentum'" "$WORK/stderr" ||
  fail "unconsumed parameter: $(cat "$WORK/stderr")"
[ "$(fake_log_count 'True')" = 0 ] || fail "requests were sent for an invalid sweep"
pass "a parameter nothing consumes: exit 3 before anything is sent"

# --- dry run ------------------------------------------------------------------------------------
expect_rc 0 timeout 60 "${SWEEP_CMD[@]}" --param lr=0.001,0.01,0.1 --param batch_size=16,32 --dry-run
python3 - "$WORK/stdout" <<'PY' || fail "dry run: $(cat "$WORK/stdout")"
import json, sys
d = json.load(open(sys.argv[1]))
reqs = d["requests"]
assert reqs[0]["method"] == "PUT" and reqs[0]["url"].endswith("/plan.json"), reqs[0]
assert len(reqs[0]["body"]["trials"]) == 6
submit = [r for r in reqs if r["url"].endswith("/v1/submitjob")][0]["body"]
assert submit["arrayProperties"] == {"size": 6}, submit
PY
[ "$(fake_log_count 'True')" = 0 ] || fail "--dry-run sent requests"
pass "--dry-run: the plan and one SubmitJob with arrayProperties.size 6, nothing sent"

# --- submit; cancel trial-006 at once ------------------------------------------------------------
expect_rc 0 timeout 120 "$MLBOX" --json sweep --target batch --no-build --insecure-registry "$HOST" \
  --metric val_accuracy --param lr=0.001,0.01,0.1 --param batch_size=16,32 --parallel 6
SWEEP=$(json "$WORK/stdout" 'd["id"]')
PARENT=$(json "$WORK/stdout" 'd["remote_id"]')
[ "$(fake_log_count 'e.get("operation") == "SubmitJob"')" = 1 ] || fail "expected one SubmitJob"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { grep rejected "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
PLAN=$WORK/s3/mlbox-out/runs/$SWEEP/plan.json
ls "$WORK/s3/mlbox-out/runs/$SWEEP/" >/dev/null 2>&1 || fail "no sweep prefix in S3"
expect_rc 0 timeout 60 "$MLBOX" sweep cancel "$SWEEP" --trial trial-006
[ "$(fake_log_count 'e.get("operation") in ("CancelJob", "TerminateJob")')" = 1 ] || fail "no cancel request"
grep -q "$PARENT:5" "$AWS_FAKE_LOG" || fail "the cancel did not name child 5"
pass "sweep submitted as one array job ($PARENT); trial-006 (child 5) cancelled"

# --- status until every trial ended --------------------------------------------------------------
for _ in $(seq 200); do
  timeout 60 "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
  [ "$(json "$WORK/status.json" 'd["state"]')" != RUNNING ] && break
  sleep 0.2
done
python3 - "$WORK/status.json" <<'PY' || fail "status: $(cat "$WORK/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "SUCCEEDED", d["state"]
t = {x["id"]: x for x in d["trials"]}
assert t["trial-002"]["state"] == "FAILED" and t["trial-002"]["metric"] is None, t["trial-002"]
assert t["trial-006"]["state"] == "CANCELLED", t["trial-006"]
for i in ("trial-001", "trial-003", "trial-004", "trial-005"):
    assert t[i]["state"] == "SUCCEEDED" and t[i]["metric"] is not None, t[i]
    assert t[i]["cost_usd"] is not None and t[i]["cost_usd"] >= 0, t[i]
PY
pass "status: the failed child FAILED, the cancelled CANCELLED, the others SUCCEEDED with metrics"

timeout 60 "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
for t in trial-001 trial-003 trial-004 trial-005; do
  expect_rc 0 timeout 60 "$MLBOX" sweep fetch "$SWEEP" --trial $t -o "$WORK/fetched/$t"
done
python3 - "$WORK/status.json" "$WORK/fetched" <<'PY' || fail "best trial"
import json, os, sys
d = json.load(open(sys.argv[1]))
acc = {}
for t in os.listdir(sys.argv[2]):
    h = json.load(open(os.path.join(sys.argv[2], t, "history.json")))
    acc[t] = h["history"]["val_accuracy"][-1]
    trial = [x for x in d["trials"] if x["id"] == t][0]
    assert h["params"] == trial["parameters"], (h["params"], trial["parameters"])
    assert abs(trial["metric"] - acc[t]) < 1e-12, (t, trial["metric"], acc[t])
best = max(acc, key=acc.get)
assert d["best"]["id"] == best and abs(d["best"]["metric"] - acc[best]) < 1e-12, (d["best"], acc)
PY
expect_rc 0 timeout 60 "$MLBOX" sweep fetch "$SWEEP" -o "$WORK/best"
BEST=$(json "$WORK/status.json" 'd["best"]["id"]')
IDX=$(( ${BEST#trial-} - 1 ))
grep -q "fake torchscript model $PARENT:$IDX $BEST" "$WORK/best/model/model.pt" ||
  fail "fetch brought another model: $(cat "$WORK/best/model/model.pt")"
pass "best trial = the best of the children's history.json ($BEST); fetch brings its model"

expect_rc 0 timeout 60 "$MLBOX" sweep logs "$SWEEP" --trial trial-003
grep -q "SIGTERM received" "$WORK/stdout" && grep -q "training finished" "$WORK/stdout" ||
  fail "the reclaimed child's logs: $(cat "$WORK/stdout")"
timeout 60 "$MLBOX" --json sweep status "$SWEEP" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = [x for x in d["trials"] if x["id"] == "trial-002"][0]
assert "Essential container" in t["message"], t' || fail "failed trial message"
expect_rc 0 timeout 60 "$MLBOX" sweep status "$SWEEP"
grep -qE "^\* +$BEST " "$WORK/stdout" || fail "table: $(cat "$WORK/stdout")"
expect_rc 0 timeout 60 "$MLBOX" jobs
grep -q "sweep $SWEEP (aws-batch, $PARENT, 6 trials" "$WORK/stdout" || fail "jobs: $(cat "$WORK/stdout")"
pass "logs of the reclaimed child (both attempts), the failure's reason, the table, mlbox jobs"
