#!/usr/bin/env bash
# Keyless AWS credentials end to end: `mlbox push` to an ECR host whose API is the strict AWS
# fake, with credentials from each source of the chain in turn — web identity (environment
# and profile; the OIDC token is an RS256 JWT from a fake issuer that STS verifies), a
# profile role assumed with a source profile (cached on disk, 0600), credential_process,
# SSO (the `aws sso login` cache + GetRoleCredentials), the ECS container endpoint and
# IMDSv2. The fake accepts ECR calls only when signed with the credentials it issued.
# Then what must fail: expired and forged OIDC tokens (exit 4, STS's code, no token in the
# -vv output), a source_profile loop (exit 3), a failing or garbling credential_process
# (exit 4 with its stderr), a stale SSO login (exit 4, run `aws sso login`).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"

ISSUER="$MLBOX_SOURCE_DIR/tests/fakes/oidc_issuer.py"
python3 "$ISSUER" keygen "$WORK/oidc"
python3 "$ISSUER" keygen "$WORK/forger"
ROLE=arn:aws:iam::$AWS_TEST_ACCOUNT:role/mlbox-ci
SSO_TOKEN="sso-access-$RANDOM$RANDOM"
ECS_TOKEN="ecs-auth-$RANDOM$RANDOM"

PROJ=$WORK/proj
make_image "$PROJ" v1 "300K,20K" 3 >/dev/null
PW="ecr-pw-$RANDOM$RANDOM"
start_aws_fake keyless ecr,sts,batch,logs --batch-queue gpu-spot --ecr-password "$PW" --ecr-repo team/model \
  --oidc-key "$WORK/oidc/issuer.pub" --sts-role "$ROLE" --imds-role mlbox-instance \
  --container-auth-token "$ECS_TOKEN" --sso-access-token "$SSO_TOKEN" \
  --sso-role "$AWS_TEST_ACCOUNT/MLBoxDeveloper"
htpasswd -Bbc "$WORK/htpasswd" AWS "$PW" 2>/dev/null
start_registry ecr-registry "  htpasswd: {realm: ecr-test, path: $WORK/htpasswd}"

HOST=$AWS_TEST_ACCOUNT.dkr.ecr.$AWS_TEST_REGION.amazonaws.com
export MLBOX_CONNECT_TO="$HOST::127.0.0.1:$REG_PORT"
export AWS_ENDPOINT_URL=$AWS_FAKE_URL AWS_REGION=$AWS_TEST_REGION
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export XDG_CACHE_HOME="$WORK/cache"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
PUSH=(push "$HOST/team/model:v1" --insecure-registry "$HOST")

# push_with WHAT [env...]: push, then check the fake accepted ECR calls signed with issued
# credentials and rejected nothing.
push_with() {
  local what=$1
  shift
  : >"$AWS_FAKE_LOG"
  expect_rc 0 env "$@" "$MLBOX" -C "$PROJ" --json -vv "${PUSH[@]}"
  [ "$(fake_log_count 'e.get("operation") == "GetAuthorizationToken"')" = 1 ] ||
    { cat "$AWS_FAKE_LOG"; fail "$what: no accepted GetAuthorizationToken"; }
  [ "$(fake_log_count '"rejected" in e')" = 0 ] || { cat "$AWS_FAKE_LOG"; fail "$what: the fake rejected a request"; }
  [ "$(fake_log_count '"issued" in e')" -ge 1 ] || fail "$what: no temporary credentials were issued"
  grep -q "$PW" "$WORK/stderr" && fail "$what: the registry password reached the -vv log"
  return 0
}

# --- web identity from the environment (GitHub Actions / GitLab CI / EKS IRSA) -------------
python3 "$ISSUER" mint "$WORK/oidc" >"$WORK/oidc-token"
push_with "web identity" AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/oidc-token" AWS_ROLE_ARN="$ROLE" \
  AWS_ROLE_SESSION_NAME=gh-run-1
[ "$(fake_log_count 'e.get("operation") == "AssumeRoleWithWebIdentity" and not e["signed"] and e["input"] == {"RoleArn": "'$ROLE'", "RoleSessionName": "gh-run-1"}')" = 1 ] ||
  { cat "$AWS_FAKE_LOG"; fail "expected one unsigned AssumeRoleWithWebIdentity"; }
grep -q "$(cut -d. -f3 "$WORK/oidc-token")" "$WORK/stderr" && fail "the OIDC token reached the -vv log"
grep -q "AWS credentials: AssumeRoleWithWebIdentity ($ROLE, token $WORK/oidc-token) (key \*\*\*\*[A-Z0-9]\{4\}, until " "$WORK/stderr" ||
  { grep "AWS credentials" "$WORK/stderr"; fail "-vv does not say where the credentials came from"; }
pass "web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE): unsigned STS call, ECR signed with the role's credentials"

# The Batch backend (what `mlbox submit --target batch` drives) gets the same credentials.
TOOL="$MLBOX_BUILD_DIR/tests/mlbox_aws_tool"
cat >"$WORK/spec.json" <<EOF_SPEC
{"name": "digits", "image_ref": "$HOST/team/model:v1",
 "image_digest": "sha256:$(printf image | sha256sum | cut -d' ' -f1)", "command": ["python", "train.py"],
 "machine": "g4dn.xlarge", "output_uri": "s3://mlbox-out/runs/r1", "job_queue": "gpu-spot",
 "job_role_arn": "arn:aws:iam::$AWS_TEST_ACCOUNT:role/mlbox-job", "max_runtime_seconds": 3600}
EOF_SPEC
: >"$AWS_FAKE_LOG"
expect_rc 0 env AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/oidc-token" AWS_ROLE_ARN="$ROLE" "$TOOL" submit "$WORK/spec.json"
[ "$(fake_log_count 'e.get("operation") == "SubmitJob"')" = 1 ] || { cat "$AWS_FAKE_LOG"; fail "no accepted SubmitJob"; }
[ "$(fake_log_count 'e.get("operation") == "AssumeRoleWithWebIdentity"')" = 1 ] || fail "Batch calls walked the chain more than once"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { cat "$AWS_FAKE_LOG"; fail "the fake rejected a Batch request"; }
pass "Batch: RegisterJobDefinition and SubmitJob signed with the web identity role's credentials, one STS call"

# --- web identity from a profile -------------------------------------------------------------
cat >"$AWS_CONFIG_FILE" <<EOF_CONF
[profile ci]
role_arn = $ROLE
web_identity_token_file = $WORK/oidc-token
EOF_CONF
push_with "web identity profile" AWS_PROFILE=ci
[ "$(fake_log_count 'e.get("operation") == "AssumeRoleWithWebIdentity" and e["input"]["RoleSessionName"].startswith("mlbox-")')" = 1 ] ||
  { cat "$AWS_FAKE_LOG"; fail "expected AssumeRoleWithWebIdentity with a default session name"; }
pass "web identity from a profile (web_identity_token_file + role_arn)"

# --- expired and forged tokens: exit 4 with STS's code, the token never printed -------------
python3 "$ISSUER" mint "$WORK/oidc" --ttl -60 >"$WORK/expired-token"
expect_rc 4 env AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/expired-token" AWS_ROLE_ARN="$ROLE" \
  "$MLBOX" -C "$PROJ" -vv "${PUSH[@]}"
grep -q "ExpiredTokenException" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no ExpiredTokenException"; }
grep -q "AssumeRoleWithWebIdentity" "$WORK/stderr" || fail "the error does not name the STS call"
grep -qF "$(cut -d. -f2 "$WORK/expired-token")" "$WORK/stderr" "$WORK/stdout" && fail "the expired token was echoed"
python3 "$ISSUER" mint "$WORK/oidc" --key "$WORK/forger/issuer.key" >"$WORK/forged-token"
expect_rc 4 env AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/forged-token" AWS_ROLE_ARN="$ROLE" \
  "$MLBOX" -C "$PROJ" -vv "${PUSH[@]}"
grep -q "InvalidIdentityToken" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no InvalidIdentityToken"; }
grep -qF "$(cut -d. -f2 "$WORK/forged-token")" "$WORK/stderr" "$WORK/stdout" && fail "the forged token was echoed"
python3 "$ISSUER" mint "$WORK/oidc" --aud sts.example.com >"$WORK/foreign-token"
expect_rc 4 env AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/foreign-token" AWS_ROLE_ARN="$ROLE" \
  "$MLBOX" -C "$PROJ" "${PUSH[@]}"
grep -q "Incorrect token audience" "$WORK/stderr" || { cat "$WORK/stderr"; fail "a foreign audience was accepted"; }
pass "expired, forged and foreign-audience OIDC tokens exit 4 naming STS's error; no token echoed with -vv"

# --- a role assumed with a source profile, cached on disk ----------------------------------
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF_CRED
[base]
aws_access_key_id = $AWS_TEST_KEY
aws_secret_access_key = $AWS_TEST_SECRET
EOF_CRED
cat >"$AWS_CONFIG_FILE" <<EOF_CONF
[profile deploy]
role_arn = $ROLE
source_profile = base
role_session_name = deploy-session
[profile loop-a]
role_arn = $ROLE
source_profile = loop-b
[profile loop-b]
role_arn = $ROLE
source_profile = loop-a
[profile tool]
credential_process = "$WORK/creds tool" --fmt json
[profile broken-tool]
credential_process = sh -c 'echo starting >&2; echo "token service unreachable: 503" >&2; exit 2'
[profile garbage-tool]
credential_process = echo not-json
[profile sso-dev]
sso_session = corp
sso_account_id = $AWS_TEST_ACCOUNT
sso_role_name = MLBoxDeveloper
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
EOF_CONF
push_with "assume role" AWS_PROFILE=deploy
[ "$(fake_log_count 'e.get("assumed_by") == "'$AWS_TEST_KEY'"')" = 1 ] ||
  { cat "$AWS_FAKE_LOG"; fail "AssumeRole was not signed with the source profile's key"; }
CACHED=$(ls "$XDG_CACHE_HOME"/mlbox/aws-credentials/*.json)
[ "$(stat -c %a "$CACHED")" = 600 ] || fail "the credential cache file is not 0600"
[ "$(stat -c %a "$XDG_CACHE_HOME/mlbox/aws-credentials")" = 700 ] || fail "the cache dir is not 0700"
: >"$AWS_FAKE_LOG"
expect_rc 0 env AWS_PROFILE=deploy "$MLBOX" -C "$PROJ" --json "${PUSH[@]}"
[ "$(fake_log_count 'e.get("operation") == "AssumeRole"')" = 0 ] || fail "the cached role was assumed again"
[ "$(fake_log_count 'e.get("operation") == "GetAuthorizationToken"')" = 1 ] || fail "no ECR call with the cached role"
pass "role_arn + source_profile: AssumeRole signed with the source's key; cached on disk (0600) and reused"

expect_rc 3 env AWS_PROFILE=loop-a "$MLBOX" -C "$PROJ" "${PUSH[@]}"
grep -q "loop-a -> loop-b -> loop-a" "$WORK/stderr" || { cat "$WORK/stderr"; fail "the loop is not named"; }
pass "a source_profile loop exits 3 naming the loop"

# --- credential_process -------------------------------------------------------------------------
cat >"$WORK/creds tool" <<EOF_TOOL
#!/bin/sh
[ "\$1" = --fmt ] && [ "\$2" = json ] || { echo "bad args: \$*" >&2; exit 9; }
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2099-01-01T00:00:00Z"}' \
  "$AWS_TEST_KEY" "$AWS_TEST_SECRET"
EOF_TOOL
chmod +x "$WORK/creds tool"
: >"$AWS_FAKE_LOG"
expect_rc 0 env AWS_PROFILE=tool "$MLBOX" -C "$PROJ" --json -vv "${PUSH[@]}"
[ "$(fake_log_count 'e.get("operation") == "GetAuthorizationToken"')" = 1 ] || fail "credential_process: no ECR call"
grep -q "$AWS_TEST_SECRET" "$WORK/stderr" && fail "the process's secret reached the -vv log"
expect_rc 4 env AWS_PROFILE=broken-tool "$MLBOX" -C "$PROJ" "${PUSH[@]}"
grep -q "exited with status 2" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no exit status"; }
grep -q "token service unreachable: 503" "$WORK/stderr" || fail "the process's stderr is not shown"
expect_rc 4 env AWS_PROFILE=garbage-tool "$MLBOX" -C "$PROJ" "${PUSH[@]}"
grep -q "not a JSON object" "$WORK/stderr" || { cat "$WORK/stderr"; fail "garbage output not explained"; }
pass "credential_process: quoted command run without a shell; failure and garbage exit 4 with its stderr"

# --- SSO: the aws sso login cache, GetRoleCredentials -----------------------------------------
mkdir -p "$HOME/.aws/sso/cache"
SSO_CACHE="$HOME/.aws/sso/cache/$(printf corp | sha1sum | cut -d' ' -f1).json"
printf '{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "%s", "expiresAt": "%s"}' \
  "$SSO_TOKEN" "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" >"$SSO_CACHE"
push_with "sso" AWS_PROFILE=sso-dev
[ "$(fake_log_count 'e.get("operation") == "GetRoleCredentials" and e["input"] == {"roleName": "MLBoxDeveloper", "accountId": "'$AWS_TEST_ACCOUNT'"}')" = 1 ] ||
  { cat "$AWS_FAKE_LOG"; fail "expected one GetRoleCredentials"; }
grep -q "$SSO_TOKEN" "$WORK/stderr" && fail "the SSO access token reached the -vv log"
printf '{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "%s", "expiresAt": "%s"}' \
  "$SSO_TOKEN" "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" >"$SSO_CACHE"
expect_rc 4 env AWS_PROFILE=sso-dev "$MLBOX" -C "$PROJ" "${PUSH[@]}"
grep -q "aws sso login" "$WORK/stderr" || { cat "$WORK/stderr"; fail "a stale SSO login does not say to run aws sso login"; }
pass "SSO: cached login traded at GetRoleCredentials; a stale login exits 4 saying to run aws sso login"

# --- the ECS / Batch container endpoint, then IMDSv2 ------------------------------------------
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
echo "$ECS_TOKEN" >"$WORK/ecs-token"
push_with "container" AWS_CONTAINER_CREDENTIALS_FULL_URI="$AWS_FAKE_URL/ecs/credentials" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$WORK/ecs-token"
[ "$(fake_log_count 'e.get("service") == "ecs" and e.get("operation") == "credentials"')" = 1 ] || fail "no ECS credentials call"
expect_rc 4 env AWS_CONTAINER_CREDENTIALS_FULL_URI="$AWS_FAKE_URL/ecs/credentials" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong "$MLBOX" -C "$PROJ" "${PUSH[@]}"
grep -q "container credentials" "$WORK/stderr" || { cat "$WORK/stderr"; fail "unclear container error"; }
pass "container credentials: FULL_URI with the token file's Authorization; a wrong token exits 4"

push_with "imds" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$AWS_FAKE_URL"
[ "$(fake_log_count 'e.get("service") == "imds" and e.get("operation") == "credentials"')" = 1 ] || fail "no IMDS credentials call"
[ "$(fake_log_count 'e.get("service") == "imds" and e.get("operation") == "token"')" -ge 1 ] || fail "no IMDSv2 session token"
pass "IMDSv2: session token first, then the instance role's credentials"

# --- the real aws CLI against the STS fake: what botocore sends is accepted --------------
if command -v aws >/dev/null; then
  OUT=$(env -u AWS_ENDPOINT_URL AWS_DEFAULT_REGION=$AWS_TEST_REGION AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null aws sts assume-role-with-web-identity \
    --endpoint-url "$AWS_FAKE_URL" --role-arn "$ROLE" --role-session-name cli \
    --web-identity-token "$(python3 "$ISSUER" mint "$WORK/oidc")" --output json) ||
    fail "aws sts assume-role-with-web-identity was refused"
  read -r K S T < <(python3 -c 'import json,sys; c=json.load(sys.stdin)["Credentials"]; print(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])' <<<"$OUT")
  ARN=$(AWS_ACCESS_KEY_ID=$K AWS_SECRET_ACCESS_KEY=$S AWS_SESSION_TOKEN=$T AWS_DEFAULT_REGION=$AWS_TEST_REGION \
    AWS_CONFIG_FILE=/dev/null aws sts get-caller-identity --endpoint-url "$AWS_FAKE_URL" --query Arn --output text) ||
    fail "aws sts get-caller-identity with the issued credentials was refused"
  [ "$ARN" = "arn:aws:sts::$AWS_TEST_ACCOUNT:assumed-role/mlbox-ci/cli" ] || fail "caller identity $ARN"
  AWS_ACCESS_KEY_ID=$AWS_TEST_KEY AWS_SECRET_ACCESS_KEY=$AWS_TEST_SECRET AWS_DEFAULT_REGION=$AWS_TEST_REGION \
    AWS_CONFIG_FILE=/dev/null aws sts assume-role --endpoint-url "$AWS_FAKE_URL" --role-arn "$ROLE" \
    --role-session-name cli2 --duration-seconds 900 --output json >/dev/null || fail "aws sts assume-role was refused"
  set +e
  AWS_ACCESS_KEY_ID=$AWS_TEST_KEY AWS_SECRET_ACCESS_KEY=wrong AWS_DEFAULT_REGION=$AWS_TEST_REGION \
    AWS_CONFIG_FILE=/dev/null aws sts assume-role --endpoint-url "$AWS_FAKE_URL" --role-arn "$ROLE" \
    --role-session-name cli3 >/dev/null 2>"$WORK/cli.err"
  rc=$?
  set -e
  [ $rc -ne 0 ] && grep -q SignatureDoesNotMatch "$WORK/cli.err" || fail "a bad signature from the aws CLI was accepted"
  pass "the aws CLI's AssumeRoleWithWebIdentity, GetCallerIdentity (with the issued keys) and AssumeRole are accepted; a bad signature is not"
else
  echo "note: aws CLI not installed; the STS fake was not checked against it"
fi
