#!/usr/bin/env bash
# mlbox submit --target batch end to end against the AWS fakes: the image goes to the ECR
# host (docker-registry behind MLBOX_CONNECT_TO, ECR API fake), the job to the Batch fake
# (spot reclaim on attempt 1), logs from the CloudWatch Logs fake, outputs from s3rver
# (behind the fake's SigV4-checking S3 proxy). status / logs / fetch / cancel work on the
# job record afterwards.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"
command -v s3rver >/dev/null || fail "s3rver is needed (scripts/install-deps.sh installs it)"

AWS_TEST_KEY=S3RVER
AWS_TEST_SECRET=S3RVER
S3PORT=$(free_port)
mkdir -p "$WORK/s3"
s3rver -d "$WORK/s3" -a 127.0.0.1 -p "$S3PORT" --silent --configure-bucket mlbox-out \
  >"$WORK/s3rver.log" 2>&1 &
cleanup_hooks+=("kill $!")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$S3PORT/" && break; sleep 0.1; done
PW="ecr-pw-$RANDOM"
start_aws_fake aws "ecr,batch,logs" --ecr-password "$PW" --batch-queue gpu-spot \
  --batch-spot-reclaim --s3-endpoint "http://127.0.0.1:$S3PORT" --s3-proxy "http://127.0.0.1:$S3PORT"
htpasswd -Bbc "$WORK/htpasswd" AWS "$PW" 2>/dev/null
start_registry ecr-registry "  htpasswd: {realm: ecr-test, path: $WORK/htpasswd}"
use_test_aws_credentials
HOST=$AWS_TEST_ACCOUNT.dkr.ecr.$AWS_TEST_REGION.amazonaws.com
export MLBOX_CONNECT_TO="$HOST::127.0.0.1:$REG_PORT" MLBOX_POLL_INTERVAL=0.2
export AWS_ENDPOINT_URL=$AWS_FAKE_URL

PROJ=$WORK/proj
make_image "$PROJ" v1 "200K,20K" 3 >/dev/null
cat >"$PROJ/mlbox.yaml" <<YAML
name: digits
python: {version: "3.11"}
train:
  command: python train.py
image:
  repository: $HOST/digits
targets:
  batch:
    region: us-east-1
    job_queue: gpu-spot
    output: s3://mlbox-out/runs
YAML
echo 'print("hi")' >"$PROJ/train.py"
cd "$PROJ"

expect_rc 0 "$MLBOX" --json submit --target batch --machine g4dn.xlarge --dry-run
[ "$(json "$WORK/stdout" '[r["url"].rsplit("/", 1)[1] for r in d["requests"]]')" = \
  "['describejobdefinitions', 'registerjobdefinition', 'submitjob']" ] || fail "dry-run plan"
[ "$(fake_log_count 'e.get("service") == "batch"')" = 0 ] || fail "--dry-run sent Batch requests"
pass "submit --dry-run prints the Batch requests and sends none"

expect_rc 0 "$MLBOX" --json submit --target batch --machine g4dn.xlarge --insecure-registry "$HOST"
ID=$(json "$WORK/stdout" 'd["id"]')
[ "$(fake_log_count 'e.get("operation") == "CreateRepository"')" = 1 ] || fail "no CreateRepository"
[ "$(fake_log_count 'e.get("operation") == "SubmitJob"')" = 1 ] || fail "no SubmitJob"
pass "submit: pushed to $HOST (ECR auth, repository created) and submitted $ID"

for _ in $(seq 30); do
  expect_rc 0 "$MLBOX" --json status "$ID"
  [ "$(json "$WORK/stdout" 'd["state"]')" = SUCCEEDED ] && break
done
[ "$(json "$WORK/stdout" 'd["state"]')" = SUCCEEDED ] || fail "job did not succeed: $(cat "$WORK/stdout")"
[ "$(json "$WORK/stdout" '[a["outcome"] for a in d["attempts"]]')" = "['preempted', 'succeeded']" ] ||
  fail "attempts: $(cat "$WORK/stdout")"
pass "status: attempt 1 preempted (spot reclaim), attempt 2 succeeded"

expect_rc 0 "$MLBOX" logs "$ID"
grep -q "SIGTERM received" "$WORK/stdout" || fail "attempt 1 log missing: $(cat "$WORK/stdout")"
grep -q "training finished" "$WORK/stdout" || fail "attempt 2 log missing"
pass "logs: both attempts"

expect_rc 0 "$MLBOX" --json fetch "$ID" -o "$WORK/out"
[ -f "$WORK/out/model/model.pt" ] && [ -f "$WORK/out/history.json" ] || fail "fetch: $(cat "$WORK/stdout")"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { grep rejected "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
pass "fetch: model and history.json; every AWS request passed the model and signature checks"
