#!/usr/bin/env bash
# The AWS fake against the real AWS CLI (botocore): what the CLI signs and sends is
# accepted, and a bad signature, an unknown key, a wrong token, a wrong region scope,
# unknown/missing/mistyped members and bad enum values are rejected with AWS error shapes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
command -v aws >/dev/null || fail "the aws CLI is needed (scripts/install-deps.sh installs awscli)"

start_aws_fake fake ecr --ecr-password pw-from-fake
use_test_aws_credentials
E=(--endpoint-url "$AWS_FAKE_URL" --output json)
# aws_fails ARGS...: the CLI must fail (v1 exits 255, v2 254); stderr in $WORK/stderr.
aws_fails() {
  set +e
  aws "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  local rc=$?
  set -e
  [ $rc -ne 0 ] || fail "aws $* succeeded"
}

aws ecr get-authorization-token "${E[@]}" >"$WORK/token.json"
[ "$(json "$WORK/token.json" 'd["authorizationData"][0]["authorizationToken"]')" = \
  "$(printf 'AWS:pw-from-fake' | base64)" ] || fail "unexpected authorization token"
pass "aws ecr get-authorization-token is accepted"

aws ecr create-repository --repository-name team/model --image-tag-mutability IMMUTABLE \
  "${E[@]}" >"$WORK/repo.json"
[ "$(json "$WORK/repo.json" 'd["repository"]["repositoryUri"]')" = \
  "$AWS_TEST_ACCOUNT.dkr.ecr.$AWS_TEST_REGION.amazonaws.com/team/model" ] || fail "repositoryUri"
aws_fails ecr create-repository --repository-name team/model "${E[@]}"
grep -q RepositoryAlreadyExistsException "$WORK/stderr" || fail "no RepositoryAlreadyExistsException"
aws_fails ecr describe-repositories --repository-names nope "${E[@]}"
grep -q RepositoryNotFoundException "$WORK/stderr" || fail "no RepositoryNotFoundException"
pass "aws ecr create-repository / describe-repositories behave like ECR"

AWS_SECRET_ACCESS_KEY=tampered aws_fails ecr get-authorization-token "${E[@]}"
grep -q "InvalidSignatureException" "$WORK/stderr" || fail "a bad signature was not rejected"
AWS_ACCESS_KEY_ID=AKIDUNKNOWN aws_fails ecr get-authorization-token "${E[@]}"
grep -q "UnrecognizedClientException" "$WORK/stderr" || fail "an unknown key was not rejected"
AWS_SESSION_TOKEN=unexpected aws_fails ecr get-authorization-token "${E[@]}"
grep -q "UnrecognizedClientException" "$WORK/stderr" || fail "an unexpected token was accepted"
aws_fails ecr get-authorization-token "${E[@]}" --region eu-west-1
grep -q "valid region" "$WORK/stderr" || fail "a wrong region scope was accepted"
pass "bad signature, unknown key, unexpected token and wrong region are rejected"

# Requests the CLI would refuse to send: signed by hand (the fake's own signer is
# independent of mlbox's), then checked for the validation error AWS would give.
python3 - "$AWS_FAKE_URL" "$AWS_TEST_KEY" "$AWS_TEST_SECRET" "$AWS_TEST_REGION" "$AWS_FAKES" <<'PY'
import datetime, hashlib, json, sys, urllib.request
url, key, secret, region, fakes = sys.argv[1:6]
sys.path.insert(0, fakes)
import aws_fake

def call(target, body, tamper=False):
    data = json.dumps(body).encode()
    host = url.split("//")[1]
    amz = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": amz,
               "x-amz-target": "AmazonEC2ContainerRegistry_V20150921." + target}
    names = sorted(headers)
    creq = "\n".join(["POST", "/", "", "".join(f"{n}:{headers[n]}\n" for n in names),
                      ";".join(names), hashlib.sha256(data).hexdigest()])
    scope = f"{amz[:8]}/{region}/ecr/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(creq.encode()).hexdigest()])
    sig = aws_fake.expected_signature(secret, amz, region, "ecr", sts)
    if tamper:
        sig = ("0" if sig[0] != "0" else "1") + sig[1:]
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    req = urllib.request.Request(url + "/", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())

def rejected(target, body, code, words, tamper=False):
    status, out = call(target, body, tamper)
    assert status >= 400 and out.get("__type") == code, (target, body, status, out)
    assert words in out.get("message", ""), (words, out)

status, out = call("DescribeRepositories", {"repositoryNames": ["team/model"]})
assert status == 200 and out["repositories"][0]["repositoryName"] == "team/model", out
rejected("DescribeRepositories", {}, "InvalidSignatureException", "does not match", tamper=True)
rejected("CreateRepository", {"repositoryName": "x1", "colour": "red"},
         "InvalidParameterException", "unknown member 'colour'")
rejected("CreateRepository", {}, "InvalidParameterException",
         "repositoryName: required member is missing")
rejected("CreateRepository", {"repositoryName": 7}, "InvalidParameterException",
         "expected a string")
rejected("CreateRepository", {"repositoryName": "x2", "imageTagMutability": "SOMETIMES"},
         "InvalidParameterException", "is not one of")
rejected("CreateRepository", {"repositoryName": "x3", "tags": [{"Key": "a", "Value": 1}]},
         "InvalidParameterException", "tags[0].Value: expected a string")
rejected("CreateRepository", {"repositoryName": "x4",
                              "imageScanningConfiguration": {"scanOnPush": "yes"}},
         "InvalidParameterException", "expected a boolean")
rejected("FlyToTheMoon", {}, "UnknownOperationException", "no operation")
print("hand-signed checks passed")
PY
pass "unknown/missing/mistyped members, bad enums, unknown operations and a flipped signature are rejected"

[ "$(fake_log_count 'e.get("operation") == "CreateRepository"')" = 1 ] || fail "log count"
[ "$(fake_log_count 'e.get("rejected") == "InvalidParameterException"')" = 6 ] || fail "rejections"
pass "the fake logs accepted and rejected requests"
