#!/usr/bin/env bash
# Keyless Google credentials end to end: `mlbox push` to us-docker.pkg.dev (a real
# docker-registry with token auth, through MLBOX_CONNECT_TO) where tests/fakes/token_server.py
# takes user oauth2accesstoken only with a token the fakes issued, through
#  - external_account ADC (workload identity federation): a CI's OIDC token (an RS256 JWT
#    from tests/fakes/oidc_issuer.py) exchanged at tests/fakes/google_sts_fake.py's Security
#    Token Service, which verifies its signature, issuer, audience and expiry; then a service
#    account impersonated through its IAM Credentials generateAccessToken, which takes only
#    Bearer tokens the STS issued. File-sourced (text) and url-sourced (json) subject tokens;
#  - impersonated_service_account ADC with authorized_user source credentials
#    (tests/fakes/gcp_oauth_fake.py's refresh grant), with a delegate.
# Then what must fail: an expired or forged OIDC token, a service account the federated
# principal may not impersonate — exit 4 naming STS's / IAM's error, no token in -vv output.
# gcloud, given the same external_account file, gets its token from the same fakes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"

PROJ=$WORK/proj
make_image "$PROJ" v1 "300K,20K" 23 >/dev/null
SA=ci-pusher@mlbox-test.iam.gserviceaccount.com
POOL=projects/123456/locations/global/workloadIdentityPools/github
AUDIENCE=//iam.googleapis.com/$POOL/providers/mlbox
ISSUED=$WORK/issued.jsonl
: >"$ISSUED"

$PY "$FAKES/oidc_issuer.py" keygen "$WORK/oidc"
$PY "$FAKES/oidc_issuer.py" keygen "$WORK/forger"
mint() { $PY "$FAKES/oidc_issuer.py" mint "$WORK/oidc" --aud "https://iam.googleapis.com/$POOL/providers/mlbox" "$@"; }
mint >"$WORK/oidc-token"
SUBJECT_AUTH="runner-$RANDOM$RANDOM"
$PY "$FAKES/google_sts_fake.py" --port-file "$WORK/sts.port" --issued "$ISSUED" --log "$WORK/sts.log" \
  --oidc-key "$WORK/oidc/issuer.pub" --audience "$AUDIENCE" --service-account "$SA" \
  --service-account "final@mlbox-test.iam.gserviceaccount.com" \
  --subject-file "$WORK/oidc-token" --subject-auth "$SUBJECT_AUTH" 2>"$WORK/sts.err" &
cleanup_hooks+=("kill $!")
$PY "$FAKES/gcp_oauth_fake.py" --port-file "$WORK/oauth.port" --issued "$ISSUED" --log "$WORK/oauth.log" \
  --refresh-token "cid.apps:csecret:1//refresh-abc" 2>"$WORK/oauth.err" &
cleanup_hooks+=("kill $!")
for _ in $(seq 600); do [ -s "$WORK/sts.port" ] && [ -s "$WORK/oauth.port" ] && break; sleep 0.1; done
[ -s "$WORK/sts.port" ] || { cat "$WORK/sts.err"; fail "the STS fake did not start"; }
STS="http://127.0.0.1:$(cat "$WORK/sts.port")"
TOKEN_URI="http://127.0.0.1:$(cat "$WORK/oauth.port")/token"

# --- a TLS registry named us-docker.pkg.dev, token auth (as test_gcp_registry_auth) -------
start_gar_registry "$ISSUED" us-docker.pkg.dev
export NO_GCE_CHECK=true
unset CLOUDSDK_CONFIG GCE_METADATA_HOST GOOGLE_CLOUD_QUOTA_PROJECT
REF=us-docker.pkg.dev/mlbox-test/repo/app:v1
last_principal() { tail -n 1 "$ISSUED" | $PY -c 'import json,sys; print(json.load(sys.stdin)["principal"])'; }
no_secrets() {
  grep -q 'ya29\.' "$WORK/stderr" "$WORK/stdout" && fail "$1: an access token reached the output"
  grep -qF "$(cut -d. -f2 "$WORK/oidc-token")" "$WORK/stderr" "$WORK/stdout" && fail "$1: the OIDC token reached the output"
  grep -q 'eyJ' "$WORK/stderr" && fail "$1: a JWT reached the -vv log"
  return 0
}

# external_account FILE SOURCE-JSON [IMPERSONATION-URL]
external_account() {
  $PY - "$1" "$AUDIENCE" "$STS/v1/token" "$2" "${3:-}" <<'PY'
import json, sys
out, aud, token_url, source, imp = sys.argv[1:6]
j = {"type": "external_account", "audience": aud,
     "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": token_url,
     "credential_source": json.loads(source)}
if imp:
    j["service_account_impersonation_url"] = imp
json.dump(j, open(out, "w"), indent=1)
PY
}
IMP="$STS/v1/projects/-/serviceAccounts/$SA:generateAccessToken"

# --- 1. file-sourced OIDC token, impersonating a service account --------------------------
external_account "$WORK/wif.json" "{\"file\": \"$WORK/oidc-token\"}" "$IMP"
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wif.json" expect_rc 0 "$MLBOX" -C "$PROJ" --json -vv push "$REF"
D=$(json "$WORK/stdout" 'd["digest"]')
[ "$D" = "$(tagged_digest "$PROJ/.mlbox/oci" v1)" ] || fail "pushed digest differs from the store's"
[ "$(last_principal)" = "$SA" ] || fail "the registry token was not the impersonated account's"
grep -q '"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange".*"scope": "https://www.googleapis.com/auth/cloud-platform", "outcome": "200"' "$WORK/sts.log" ||
  { cat "$WORK/sts.log"; fail "no accepted token exchange"; }
grep -q '"path": "generateAccessToken", "account": "'$SA'", "caller": "principal://iam.googleapis.com/'$POOL'/subject/' "$WORK/sts.log" ||
  { cat "$WORK/sts.log"; fail "generateAccessToken was not called with the federated token"; }
no_secrets "external_account"
pass "external_account (file, text): OIDC token -> STS exchange -> generateAccessToken for $SA -> push $D"

# --- 2. url-sourced token in json format, the federated token used directly ---------------
external_account "$WORK/wif-url.json" \
  "{\"url\": \"$STS/subject\", \"headers\": {\"X-Subject-Auth\": \"$SUBJECT_AUTH\"}, \"format\": {\"type\": \"json\", \"subject_token_field_name\": \"value\"}}"
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wif-url.json" expect_rc 0 "$MLBOX" -C "$PROJ" --json -vv push "$REF"
case "$(last_principal)" in principal://iam.googleapis.com/$POOL/subject/*) ;; *) fail "not a federated token: $(last_principal)" ;; esac
grep -q '"path": "/subject", "outcome": "200"' "$WORK/sts.log" || fail "the subject token URL was not asked"
grep -q "$SUBJECT_AUTH" "$WORK/stderr" && fail "the subject URL's secret header reached the -vv log"
no_secrets "external_account url"
pass "external_account (url, json format, headers): the federated token pushes directly"

# --- 3. impersonated_service_account with gcloud user credentials and a delegate ----------
$PY - "$WORK/imp.json" "$STS" "$TOKEN_URI" "$SA" <<'PY'
import json, sys
out, sts, token_uri, sa = sys.argv[1:5]
json.dump({"type": "impersonated_service_account",
           "service_account_impersonation_url":
               f"{sts}/v1/projects/-/serviceAccounts/final@mlbox-test.iam.gserviceaccount.com:generateAccessToken",
           "delegates": [sa],
           "source_credentials": {"type": "authorized_user", "client_id": "cid.apps",
                                  "client_secret": "csecret", "refresh_token": "1//refresh-abc",
                                  "token_uri": token_uri}}, open(out, "w"))
PY
GOOGLE_APPLICATION_CREDENTIALS="$WORK/imp.json" expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$REF"
[ "$(last_principal)" = "final@mlbox-test.iam.gserviceaccount.com" ] || fail "not the impersonated account"
grep -q '"caller": "user:cid.apps", "delegates": \["projects/-/serviceAccounts/'$SA'"\]' "$WORK/sts.log" ||
  { cat "$WORK/sts.log"; fail "generateAccessToken did not get the user token and the delegate"; }
pass "impersonated_service_account: user credentials -> generateAccessToken (with a delegate) -> push"

# --- submit to Vertex AI (the fake) with the same federated credentials and a quota project --
$PY "$FAKES/vertex_fake.py" --port-file "$WORK/vertex.port" --oauth-issued "$ISSUED" \
  --requests "$WORK/requests.jsonl" --specs "${MLBOX_SPECS_DIR:-$MLBOX_SOURCE_DIR/../shared/specs}" \
  2>"$WORK/vertex.log" &
cleanup_hooks+=("kill $!")
for _ in $(seq 600); do [ -s "$WORK/vertex.port" ] && break; sleep 0.1; done
[ -s "$WORK/vertex.port" ] || { cat "$WORK/vertex.log"; fail "the Vertex fake did not start"; }
V="http://127.0.0.1:$(cat "$WORK/vertex.port")"
write_vertex_manifest "$PROJ" "us-docker.pkg.dev/mlbox-test/repo/app"
echo 'print("hi")' >"$PROJ/train.py"
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wif.json" GOOGLE_CLOUD_QUOTA_PROJECT=mlbox-billing \
  CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM="$V/" \
  expect_rc 0 "$MLBOX" -C "$PROJ" --json submit --no-build --target vertex --machine n1-standard-8 --gpu T4:1 --tag v1
$PY - "$WORK/requests.jsonl" <<'PY' || fail "the CustomJob request lacks x-goog-user-project"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
creates = [r for r in reqs if r["method"] == "POST" and r["path"].endswith("/customJobs")]
assert len(creates) == 1, reqs
assert creates[0]["user_project"] == "mlbox-billing", creates[0]
PY
pass "submit --target vertex with external_account credentials: the Vertex fake accepts the impersonated token; x-goog-user-project = GOOGLE_CLOUD_QUOTA_PROJECT"

# --- what must fail ----------------------------------------------------------------------
mint --ttl -60 >"$WORK/oidc-token"
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wif.json" expect_rc 4 "$MLBOX" -C "$PROJ" -vv push "$REF"
grep -q "invalid_grant" "$WORK/stderr" && grep -q "The ID Token has expired" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "an expired OIDC token: no invalid_grant / expiry"; }
grep -q "$WORK/wif.json" "$WORK/stderr" || fail "the error does not name the credentials file"
no_secrets "expired"
$PY "$FAKES/oidc_issuer.py" mint "$WORK/oidc" --key "$WORK/forger/issuer.key" \
  --aud "https://iam.googleapis.com/$POOL/providers/mlbox" >"$WORK/oidc-token"
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wif.json" expect_rc 4 "$MLBOX" -C "$PROJ" -vv push "$REF"
grep -q "Invalid JWT signature" "$WORK/stderr" || { cat "$WORK/stderr"; fail "a forged OIDC token: no signature error"; }
no_secrets "forged"
mint >"$WORK/oidc-token"
external_account "$WORK/wif-other.json" "{\"file\": \"$WORK/oidc-token\"}" \
  "$STS/v1/projects/-/serviceAccounts/admin@mlbox-test.iam.gserviceaccount.com:generateAccessToken"
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wif-other.json" expect_rc 4 "$MLBOX" -C "$PROJ" push "$REF"
grep -q "PERMISSION_DENIED" "$WORK/stderr" && grep -q "roles/iam.workloadIdentityUser" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "impersonation refused: unclear error"; }
pass "expired and forged OIDC tokens, a service account not granted: exit 4 naming the error and what to do; no token echoed"

# --- gcloud with the same external_account file gets its token from the same fakes ---------
if command -v gcloud >/dev/null; then
  export CLOUDSDK_CONFIG="$WORK/gcloud-ref" CLOUDSDK_CORE_DISABLE_PROMPTS=1
  timeout 120 gcloud auth login --cred-file="$WORK/wif.json" >/dev/null 2>&1 ||
    fail "gcloud could not use the external_account file"
  T=$(timeout 120 gcloud auth print-access-token 2>/dev/null) || fail "gcloud got no token from the fakes"
  grep -q "\"token\": \"$T\", \"principal\": \"$SA\"" "$ISSUED" || fail "gcloud's token was not issued for $SA by the fake"
  unset CLOUDSDK_CONFIG
  pass "gcloud auth print-access-token with the same external_account file: STS + generateAccessToken accepted"
else
  echo "note: gcloud not installed; the fakes were not checked against it"
fi
