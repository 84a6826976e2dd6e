#!/usr/bin/env bash
# mlbox push to an ECR registry host: a real docker-registry with htpasswd (user AWS,
# password handed out by the fake ECR API), reached as
# 123456789012.dkr.ecr.us-east-1.amazonaws.com through MLBOX_CONNECT_TO; the ECR API is the
# strict AWS fake (AWS_ENDPOINT_URL_ECR), which checks every request's SigV4 signature and
# its shapes against the botocore model.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"

PROJ=$WORK/proj
make_image "$PROJ" v1 "2M,300K,20K" 7 >/dev/null
PW="ecr-pw-$RANDOM$RANDOM"
start_aws_fake ecr ecr --ecr-password "$PW" --ecr-repo existing/repo
htpasswd -Bbc "$WORK/htpasswd" AWS "$PW" 2>/dev/null
start_registry ecr-registry "  htpasswd: {realm: ecr-test, path: $WORK/htpasswd}"

HOST=$AWS_TEST_ACCOUNT.dkr.ecr.$AWS_TEST_REGION.amazonaws.com
export MLBOX_CONNECT_TO="$HOST::127.0.0.1:$REG_PORT"
export AWS_ENDPOINT_URL_ECR=$AWS_FAKE_URL
PUSH=("$MLBOX" -C "$PROJ" push "$HOST/team/model:v1" --insecure-registry "$HOST")

# --- no AWS credentials: exit 4, saying what to set ----------------------------------------
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export AWS_REGION=$AWS_TEST_REGION
expect_rc 4 "${PUSH[@]}"
grep -q "AWS_ACCESS_KEY_ID" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no hint naming AWS_ACCESS_KEY_ID"; }
pass "missing AWS credentials exit 4 and name what to set"

use_test_aws_credentials
# --- wrong secret: the fake rejects the signature, mlbox exits 4 ----------------------------
AWS_SECRET_ACCESS_KEY=not-the-secret expect_rc 4 "${PUSH[@]}"
grep -q "InvalidSignatureException" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no AWS error code"; }
grep -q "ECR GetAuthorizationToken" "$WORK/stderr" || fail "the error does not name the operation"
grep -q "not-the-secret" "$WORK/stderr" && fail "the secret reached the output"
pass "a bad signature is an auth error naming ECR GetAuthorizationToken and the AWS code"

# --- --no-create on a missing repository -----------------------------------------------------
expect_rc 6 "${PUSH[@]}" --no-create
grep -q "ECR repository 'team/model' does not exist" "$WORK/stderr" || { cat "$WORK/stderr"; fail "unclear --no-create error"; }
grep -q "create-repository" "$WORK/stderr" || fail "the --no-create error does not say what to do"
[ "$(fake_log_count 'e.get("operation") == "CreateRepository"')" = 0 ] || fail "created despite --no-create"
pass "--no-create on a missing repository fails with a clear error"

# --- push: token, CreateRepository, upload; skopeo agrees ----------------------------------
: >"$AWS_FAKE_LOG"
expect_rc 0 "${PUSH[@]}" --json -vv
D=$(json "$WORK/stdout" 'd["digest"]')
[ "$D" = "$(tagged_digest "$PROJ/.mlbox/oci" v1)" ] || fail "pushed digest differs from the store's"
grep -q "$PW" "$WORK/stderr" && fail "the registry password reached the -vv log"
grep -q "$AWS_TEST_SECRET" "$WORK/stderr" && fail "the AWS secret reached the -vv log"
[ "$(fake_log_count 'e.get("operation") == "GetAuthorizationToken" and e["input"] == {}')" = 1 ] ||
  fail "expected one signed GetAuthorizationToken"
[ "$(fake_log_count 'e.get("operation") == "CreateRepository" and e["input"] == {"repositoryName": "team/model", "registryId": "'$AWS_TEST_ACCOUNT'"}')" = 1 ] ||
  { cat "$AWS_FAKE_LOG"; fail "expected one CreateRepository for team/model"; }
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { cat "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
skopeo_agrees "127.0.0.1:$REG_PORT/team/model:v1" "$D" "$PROJ/.mlbox/oci" v1 "AWS:$PW"
pass "push to $HOST: signed GetAuthorizationToken + CreateRepository, skopeo agrees on $D"

# --- again: the repository exists now, nothing is created ---------------------------------
: >"$AWS_FAKE_LOG"
expect_rc 0 "${PUSH[@]}" --json
[ "$(fake_log_count 'e.get("operation") == "CreateRepository"')" = 0 ] || fail "created an existing repository"
[ "$(fake_log_count 'e.get("operation") == "DescribeRepositories"')" = 1 ] || fail "no existence check"
expect_rc 0 "$MLBOX" -C "$PROJ" push "$HOST/existing/repo:v1" --insecure-registry "$HOST" --no-create
pass "existing repositories are pushed to without CreateRepository, --no-create included"

# --- pull through the same credential chain ----------------------------------------------
mkdir -p "$WORK/pulled"
expect_rc 0 "$MLBOX" -C "$WORK/pulled" pull "$HOST/team/model:v1" --insecure-registry "$HOST" --json
pass "pull from $HOST authenticates through ECR too"
