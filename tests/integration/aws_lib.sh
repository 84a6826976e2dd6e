# Helpers for AWS tests (sourced after lib.sh): the strict AWS API fake from tests/fakes.
AWS_FAKES="$MLBOX_SOURCE_DIR/tests/fakes"
AWS_SPECS="${MLBOX_SPECS_DIR:-$MLBOX_SOURCE_DIR/../shared/specs}/aws"
[ -f "$AWS_SPECS/ecr-2015-09-21.service-2.json" ] || fail "botocore models not found in $AWS_SPECS"
AWS_TEST_KEY=AKIDMLBOXTEST0000001
AWS_TEST_SECRET=mlbox/test+secret/0123456789abcdefghijklmn
AWS_TEST_ACCOUNT=123456789012
AWS_TEST_REGION=us-east-1
# Hermetic: never ask a real instance metadata service (tests that want IMDS point at a fake).
export AWS_EC2_METADATA_DISABLED=true

# start_aws_fake NAME SERVICES [extra args...]: starts aws_fake.py; sets AWS_FAKE_PORT,
# AWS_FAKE_URL and AWS_FAKE_LOG (its JSON-lines request log).
start_aws_fake() {
  local name=$1 services=$2
  shift 2
  mkdir -p "$WORK/$name"
  AWS_FAKE_LOG="$WORK/$name/requests.jsonl"
  : >"$AWS_FAKE_LOG"
  python3 "$AWS_FAKES/aws_fake.py" --specs "$AWS_SPECS" --port-file "$WORK/$name/port" \
    --log "$AWS_FAKE_LOG" --access-key "$AWS_TEST_KEY" --secret-key "$AWS_TEST_SECRET" \
    --region "$AWS_TEST_REGION" --account "$AWS_TEST_ACCOUNT" --services "$services" "$@" \
    >"$WORK/$name/out" 2>&1 &
  local pid=$! i=0
  cleanup_hooks+=("kill $pid")
  while [ ! -s "$WORK/$name/port" ]; do
    i=$((i + 1))
    [ $i -le 600 ] || { cat "$WORK/$name/out" >&2; fail "aws_fake did not start"; }
    kill -0 $pid 2>/dev/null || { cat "$WORK/$name/out" >&2; fail "aws_fake exited"; }
    sleep 0.1
  done
  AWS_FAKE_PORT=$(cat "$WORK/$name/port")
  AWS_FAKE_URL="http://127.0.0.1:$AWS_FAKE_PORT"
}

# use_test_aws_credentials: the environment the fake accepts (no shared files).
use_test_aws_credentials() {
  export AWS_ACCESS_KEY_ID=$AWS_TEST_KEY AWS_SECRET_ACCESS_KEY=$AWS_TEST_SECRET
  export AWS_REGION=$AWS_TEST_REGION AWS_DEFAULT_REGION=$AWS_TEST_REGION
  export AWS_CONFIG_FILE="$WORK/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/no-aws-creds"
  unset AWS_SESSION_TOKEN AWS_PROFILE
}

# fake_log_count FILTER: how many accepted log lines match a python expression on `e`.
fake_log_count() {
  python3 - "$AWS_FAKE_LOG" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if eval(sys.argv[2], {}, {"e": e}):
        n += 1
print(n)
PY
}

# json FILE EXPR: a field of a JSON file (python expression on `d`).
declare -F json >/dev/null ||
  json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# start_s3rver: a real S3 API server (s3rver, from npm) with bucket mlbox-out in $WORK/s3;
# sets S3PORT. s3rver accepts only the key pair S3RVER/S3RVER, so AWS_TEST_KEY/SECRET become
# that (start the fake after this, so it verifies signatures with the same pair).
start_s3rver() {
  command -v s3rver >/dev/null || fail "s3rver is needed (scripts/install-deps.sh installs it)"
  AWS_TEST_KEY=S3RVER
  AWS_TEST_SECRET=S3RVER
  S3PORT=$(free_port)
  mkdir -p "$WORK/s3"
  s3rver -d "$WORK/s3" -a 127.0.0.1 -p "$S3PORT" --silent --configure-bucket mlbox-out \
    >"$WORK/s3rver.log" 2>&1 &
  cleanup_hooks+=("kill $!")
  local i
  for i in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$S3PORT/" && return 0; sleep 0.1; done
  fail "s3rver did not start: $(cat "$WORK/s3rver.log")"
}

# start_batch_world [aws_fake args...]: what a Batch job meets: s3rver (bucket mlbox-out) behind
# the strict fake (ecr, batch, logs; queue gpu-spot; S3 checked then proxied to s3rver), and a
# docker-registry standing in for ECR, reached as $HOST (the account's ECR host name), whose
# password is the one ecr:GetAuthorizationToken hands out. Exports the test credentials,
# MLBOX_CONNECT_TO, AWS_ENDPOINT_URL and MLBOX_POLL_INTERVAL=0.2; sets HOST and ECR_PW.
start_batch_world() {
  start_s3rver
  ECR_PW="ecr-pw-$RANDOM$RANDOM"
  start_aws_fake aws "ecr,batch,logs" --ecr-password "$ECR_PW" --batch-queue gpu-spot \
    --s3-endpoint "http://127.0.0.1:$S3PORT" --s3-proxy "http://127.0.0.1:$S3PORT" "$@"
  htpasswd -Bbc "$WORK/htpasswd" AWS "$ECR_PW" 2>/dev/null
  start_registry ecr-registry "  htpasswd: {realm: ecr-test, path: $WORK/htpasswd}"
  use_test_aws_credentials
  HOST=$AWS_TEST_ACCOUNT.dkr.ecr.$AWS_TEST_REGION.amazonaws.com
  export MLBOX_CONNECT_TO="$HOST::127.0.0.1:$REG_PORT" AWS_ENDPOINT_URL=$AWS_FAKE_URL
  export MLBOX_POLL_INTERVAL=0.2
}

# write_batch_manifest DIR [YAML]: mlbox.yaml in DIR for $HOST/team/digits on one spot T4 in
# queue gpu-spot (us-east-1), outputs under s3://mlbox-out/runs; YAML (top-level lines) is
# added before resources:.
write_batch_manifest() {
  cat >"$1/mlbox.yaml" <<YAML
name: digits
train:
  command: python train.py
image:
  repository: $HOST/team/digits
${2:+$2
}resources:
  gpu: T4:1
  spot: true
targets:
  batch:
    region: us-east-1
    job_queue: gpu-spot
    output: s3://mlbox-out/runs
YAML
}
