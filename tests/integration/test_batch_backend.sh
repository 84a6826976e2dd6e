#!/usr/bin/env bash
# The AWS Batch backend and the S3 client (driven by tests/tools/mlbox_aws_tool) against
# the strict AWS fake (Batch + CloudWatch Logs plug-ins validating against the botocore
# models, SigV4 checked) and a real S3 API server, s3rver (which verifies SigV4 itself):
# definition reuse, a spot reclaim on attempt 1 retried by the retry strategy, logs of both
# attempts through nextForwardToken pages, fetch of the outputs, cancel vs terminate by
# state, and mlbox's requests compared field by field with what the aws CLI sends.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
TOOL="$MLBOX_BUILD_DIR/tests/mlbox_aws_tool"
[ -x "$TOOL" ] || fail "$TOOL is not built"
command -v aws >/dev/null || fail "the aws CLI is needed (scripts/install-deps.sh installs it)"
start_s3rver
# s3rver does not check SigV4 ("unimplemented" in its source): the fake verifies S3
# requests the S3 way and forwards them to it (--s3-proxy).
start_aws_fake aws "batch,logs" --batch-queue gpu-spot --batch-spot-reclaim \
  --s3-endpoint "http://127.0.0.1:$S3PORT" --s3-proxy "http://127.0.0.1:$S3PORT"
use_test_aws_credentials
export AWS_ENDPOINT_URL_BATCH=$AWS_FAKE_URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$AWS_FAKE_URL
export AWS_ENDPOINT_URL_S3=$AWS_FAKE_URL

# --- S3 client against s3rver ----------------------------------------------------------------
head -c $((12 * 1024 * 1024 + 12345)) /dev/urandom >"$WORK/big.bin"
printf 'small object\n' >"$WORK/small.txt"
[ "$("$TOOL" s3-put mlbox-out "data/big.bin" "$WORK/big.bin" $((5 << 20)) $((5 << 20)) | json /dev/stdin 'd["parts"]')" = 3 ] ||
  fail "expected a 3-part multipart upload"
"$TOOL" s3-put mlbox-out "data/dir/a b+ü.txt" "$WORK/small.txt" >/dev/null
"$TOOL" s3-get mlbox-out "data/big.bin" "$WORK/big.back" >/dev/null
cmp "$WORK/big.bin" "$WORK/big.back" || fail "multipart object read back differs"
"$TOOL" s3-get mlbox-out "data/dir/a b+ü.txt" "$WORK/small.back" >/dev/null
cmp "$WORK/small.txt" "$WORK/small.back" || fail "object with spaces/+/utf-8 differs"
"$TOOL" s3-ls mlbox-out data/ >"$WORK/ls.json"
[ "$(json "$WORK/ls.json" 'sorted((o["key"], o["size"]) for o in d)')" = \
  "[('data/big.bin', 12595257), ('data/dir/a b+ü.txt', 13)]" ] || { cat "$WORK/ls.json"; fail "listing"; }
AWS_SECRET_ACCESS_KEY=wrong expect_rc 4 "$TOOL" s3-ls mlbox-out data/
grep -q "SignatureDoesNotMatch" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no S3 error code"; }
expect_rc 6 "$TOOL" s3-get mlbox-out "data/missing" "$WORK/missing"
grep -q "NoSuchKey" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no NoSuchKey"; }
[ ! -e "$WORK/missing" ] && [ ! -e "$WORK/missing.part" ] || fail "a failed get left a file"
[ "$(fake_log_count 'e.get("service") == "s3" and "operation" in e')" -ge 8 ] || fail "S3 requests did not pass the verifier"
[ "$(fake_log_count 'e.get("service") == "s3" and "uploadId=" in e.get("query", "") and e["operation"].startswith("PUT")')" = 3 ] ||
  fail "expected 3 signed UploadPart requests"
pass "S3: multipart put, get, ListObjectsV2, odd keys (SigV4 verified), signature and NoSuchKey errors (s3rver)"

# --- plan, submit, definition reuse -----------------------------------------------------------
DIGEST="sha256:$(printf 'image' | sha256sum | cut -d' ' -f1)"
cat >"$WORK/spec.json" <<EOF
{"name": "digits", "image_ref": "$AWS_TEST_ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/team/digits:v1",
 "image_digest": "$DIGEST", "command": ["python", "train.py", "--epochs", "2"],
 "env": {"SEED": "7"}, "machine": "g4dn.xlarge", "output_uri": "s3://mlbox-out/runs/r1",
 "job_queue": "gpu-spot", "job_role_arn": "arn:aws:iam::$AWS_TEST_ACCOUNT:role/mlbox-job",
 "max_runtime_seconds": 3600}
EOF
"$TOOL" plan "$WORK/spec.json" >"$WORK/plan.json"
[ "$(json "$WORK/plan.json" '[r["url"] for r in d]')" = \
  "['$AWS_FAKE_URL/v1/describejobdefinitions', '$AWS_FAKE_URL/v1/registerjobdefinition', '$AWS_FAKE_URL/v1/submitjob']" ] ||
  fail "unexpected plan"
: >"$AWS_FAKE_LOG"
"$TOOL" plan "$WORK/spec.json" >/dev/null
[ "$(fake_log_count 'True')" = 0 ] || fail "plan sent requests"
"$TOOL" submit "$WORK/spec.json" >"$WORK/submit1.json"
[ "$(json "$WORK/submit1.json" 'd["registered"]')" = True ] || fail "first submit did not register"
"$TOOL" submit "$WORK/spec.json" >"$WORK/submit2.json"
[ "$(json "$WORK/submit2.json" 'd["registered"]')" = False ] || fail "second submit registered again"
[ "$(json "$WORK/submit2.json" 'd["definition"]')" = mlbox-digits:1 ] || fail "not reusing revision 1"
[ "$(fake_log_count 'e.get("operation") == "RegisterJobDefinition"')" = 1 ] || fail "definitions"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { cat "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
# The planned bodies are what was sent.
python3 - "$WORK/plan.json" "$AWS_FAKE_LOG" <<'PY' || fail "plan differs from the requests sent"
import json, sys
plan = json.load(open(sys.argv[1]))
sent = [json.loads(l) for l in open(sys.argv[2])]
reg = [e["input"] for e in sent if e.get("operation") == "RegisterJobDefinition"][0]
sub = [e["input"] for e in sent if e.get("operation") == "SubmitJob"][0]
assert plan[1]["body"] == reg, (plan[1]["body"], reg)
planned = dict(plan[2]["body"]); planned["jobDefinition"] = sub["jobDefinition"]
assert planned == sub, (planned, sub)
PY
pass "plan = requests sent; an identical ACTIVE definition is reused (no new revision)"

# --- what the aws CLI sends for the same job, field by field ----------------------------------
cat >"$WORK/cli-container.json" <<EOF
{"image": "$AWS_TEST_ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/team/digits@$DIGEST",
 "command": ["python", "train.py", "--epochs", "2"],
 "jobRoleArn": "arn:aws:iam::$AWS_TEST_ACCOUNT:role/mlbox-job",
 "resourceRequirements": [{"type": "VCPU", "value": "4"}, {"type": "MEMORY", "value": "14745"},
                          {"type": "GPU", "value": "1"}],
 "environment": [{"name": "MLBOX_PLATFORM", "value": "aws-batch"}],
 "logConfiguration": {"logDriver": "awslogs",
   "options": {"awslogs-group": "/aws/batch/job", "awslogs-stream-prefix": "mlbox"}}}
EOF
cat >"$WORK/cli-overrides.json" <<EOF
{"environment": [
   {"name": "MLBOX_CHECKPOINT_DIR", "value": "s3://mlbox-out/runs/r1/checkpoints"},
   {"name": "MLBOX_MODEL_DIR", "value": "s3://mlbox-out/runs/r1/model"},
   {"name": "MLBOX_TENSORBOARD_DIR", "value": "s3://mlbox-out/runs/r1/tensorboard"},
   {"name": "SEED", "value": "7"}]}
EOF
aws batch register-job-definition --endpoint-url "$AWS_FAKE_URL" --job-definition-name cli-digits \
  --type container --platform-capabilities EC2 \
  --container-properties "file://$WORK/cli-container.json" >/dev/null
aws batch submit-job --endpoint-url "$AWS_FAKE_URL" --job-name mlbox-digits --job-queue gpu-spot \
  --job-definition mlbox-digits:1 --timeout attemptDurationSeconds=3600 \
  --container-overrides "file://$WORK/cli-overrides.json" \
  --retry-strategy 'attempts=3,evaluateOnExit=[{onStatusReason="Host EC2*",action=RETRY},{onReason="*",action=EXIT}]' \
  >/dev/null
python3 - "$AWS_FAKE_LOG" <<'PY' || fail "mlbox's requests differ from the aws CLI's"
import json, sys
sent = [json.loads(l) for l in open(sys.argv[1]) if '"operation"' in l]
regs = [e["input"] for e in sent if e["operation"] == "RegisterJobDefinition"]
subs = [e["input"] for e in sent if e["operation"] == "SubmitJob"]
ours, cli = regs[0], regs[-1]
def norm(d):
    d = json.loads(json.dumps(d))
    d.pop("jobDefinitionName")
    c = d["containerProperties"]
    c["environment"] = sorted((e["name"], e["value"]) for e in c["environment"])
    return d
a, b = norm(ours), norm(cli)
# Container properties key by key first (the precise message), then every other field.
for k in sorted(set(a["containerProperties"]) | set(b["containerProperties"])):
    assert a["containerProperties"].get(k) == b["containerProperties"].get(k), \
        f"containerProperties.{k}: mlbox {a['containerProperties'].get(k)} vs cli {b['containerProperties'].get(k)}"
for k in sorted(set(a) | set(b)):
    assert a.get(k) == b.get(k), f"RegisterJobDefinition.{k}: mlbox {a.get(k)} vs cli {b.get(k)}"
ours, cli = subs[0], subs[-1]
for k in sorted(set(ours) | set(cli)):
    assert ours.get(k) == cli.get(k), f"SubmitJob.{k}: mlbox {ours.get(k)} vs cli {cli.get(k)}"
print("field by field: RegisterJobDefinition %d fields, SubmitJob %d fields" % (len(a), len(ours)))
PY
pass "RegisterJobDefinition and SubmitJob equal what the aws CLI sends for the same job"

# --- run to completion: spot reclaim on attempt 1, retried, succeeded -------------------------
JOB=$(json "$WORK/submit1.json" 'd["remote_id"]')
printf '{"id":"aws-test-1","output_dir":"s3://mlbox-out/runs/r1","details":%s}' \
  "$(json "$WORK/submit1.json" 'json.dumps(dict(d["details"], remote_id=d["remote_id"]))')" >"$WORK/record.json"
states=()
for _ in $(seq 30); do
  "$TOOL" refresh "$WORK/record.json" >"$WORK/status.json"
  s=$(json "$WORK/status.json" 'd["state"]')
  states+=("$s")
  [ "$s" = SUCCEEDED ] && break
done
echo "states: ${states[*]}"
# Throttling (400 ThrottlingException) is retried with backoff, not reported.
curl -s -X POST -d '{"count": 2}' "$AWS_FAKE_URL/__fake/throttle" >/dev/null
"$TOOL" refresh "$WORK/record.json" >"$WORK/status.json" 2>"$WORK/throttle.err" ||
  { cat "$WORK/throttle.err"; fail "a throttled call was not retried"; }
grep -q "throttled the request" "$WORK/throttle.err" || fail "no throttling warning"
[ "$(fake_log_count '"throttled" in e')" = 2 ] || fail "expected 2 throttled requests"
[ "$s" = SUCCEEDED ] || fail "job did not succeed"
[[ " ${states[*]} " == *" RUNNING RETRYING "* ]] || fail "no RUNNING -> RETRYING after the reclaim"
[ "$(json "$WORK/status.json" '[a["outcome"] for a in d["attempts"]]')" = "['preempted', 'succeeded']" ] ||
  fail "attempts: $(cat "$WORK/status.json")"
pass "spot reclaim on attempt 1 is RETRYING, attempt 2 SUCCEEDED (states: ${states[*]})"

# --- logs of both attempts, page by page --------------------------------------------------------
"$TOOL" logs "$WORK/record.json" >"$WORK/logs.json"
json "$WORK/logs.json" '"\n".join("%d %s" % (l["attempt"], l["text"]) for l in d["lines"])' >"$WORK/logs.txt"
cat "$WORK/logs.txt"
grep -q "^1 mlbox-trainer: SIGTERM received" "$WORK/logs.txt" || fail "attempt 1 log missing"
grep -q "^2 mlbox-trainer: training finished" "$WORK/logs.txt" || fail "attempt 2 log missing"
[ "$(wc -l <"$WORK/logs.txt")" = 8 ] || fail "expected 8 log lines"
[ "$(fake_log_count 'e.get("operation") == "GetLogEvents" and "nextToken" in e["input"]')" -ge 4 ] ||
  fail "logs were not read through nextForwardToken pages"
CURSOR=$(json "$WORK/logs.json" 'd["cursor"]')
"$TOOL" logs "$WORK/record.json" "$CURSOR" >"$WORK/logs2.json"
[ "$(json "$WORK/logs2.json" 'len(d["lines"])')" = 0 ] || fail "the cursor repeated lines"
pass "logs: both attempts in order through nextForwardToken; the cursor resumes without repeats"

# --- fetch --------------------------------------------------------------------------------------
"$TOOL" fetch "$WORK/record.json" "$WORK/out" >"$WORK/fetched.json"
[ -f "$WORK/out/model/model.pt" ] && [ -f "$WORK/out/history.json" ] || fail "fetch missed outputs"
[ ! -e "$WORK/out/checkpoints" ] || fail "checkpoints fetched without --checkpoints"
[ "$(json "$WORK/out/history.json" 'd["attempts"]')" = 2 ] || fail "history.json content"
"$TOOL" fetch "$WORK/record.json" "$WORK/out2" --checkpoints >/dev/null
[ -f "$WORK/out2/checkpoints/ckpt-2.pt" ] || fail "--checkpoints did not fetch checkpoints"
pass "fetch: model/ and history.json from the job's S3 prefix (checkpoints on request)"

# --- cancel: CancelJob while queued, TerminateJob while running ---------------------------------
record_for() {
  "$TOOL" submit "$WORK/spec.json" >"$WORK/s.json"
  printf '{"id":"%s","output_dir":"s3://mlbox-out/runs/r1","details":%s}' "$1" \
    "$(json "$WORK/s.json" 'json.dumps(dict(d["details"], remote_id=d["remote_id"]))')" >"$WORK/$1.json"
}
record_for queued
"$TOOL" refresh "$WORK/queued.json" >/dev/null  # RUNNABLE
"$TOOL" cancel "$WORK/queued.json" >/dev/null
[ "$(json /dev/stdin 'd["state"]' < <("$TOOL" refresh "$WORK/queued.json"))" = CANCELLED ] || fail "not cancelled"
record_for running
for _ in 1 2 3; do "$TOOL" refresh "$WORK/running.json" >/dev/null; done  # RUNNING
"$TOOL" cancel "$WORK/running.json" >/dev/null
[ "$(json /dev/stdin 'd["state"]' < <("$TOOL" refresh "$WORK/running.json"))" = CANCELLED ] || fail "not terminated"
[ "$(fake_log_count 'e.get("operation") == "CancelJob"')" = 1 ] || fail "expected one CancelJob"
[ "$(fake_log_count 'e.get("operation") == "TerminateJob"')" = 1 ] || fail "expected one TerminateJob"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { grep rejected "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
pass "cancel: CancelJob while RUNNABLE, TerminateJob while RUNNING; every request passed the model checks"
