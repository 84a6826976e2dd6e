#!/usr/bin/env bash
# mlbox push to Google registry names (us-docker.pkg.dev, gcr.io) with Application Default
# Credentials: a real docker-registry (TLS, token auth) reached through MLBOX_CONNECT_TO;
# tests/fakes/token_server.py accepts user oauth2accesstoken only with an access token that
# tests/fakes/gcp_oauth_fake.py issued; the OAuth fake verifies the RS256 JWT of the
# service-account key, refresh-token grants and metadata-server requests.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"

PROJ=$WORK/proj
make_image "$PROJ" v1 "2M,300K,20K" 21 >/dev/null
SA=trainer@mlbox-test.iam.gserviceaccount.com

# --- the OAuth fake, checked first against hand-made JWTs -----------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/sa.key" 2>/dev/null
openssl pkey -in "$WORK/sa.key" -pubout -out "$WORK/sa.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/wrong.key" 2>/dev/null
OPORT=$(free_port)
ISSUED=$WORK/issued.jsonl
$PY "$FAKES/gcp_oauth_fake.py" --port "$OPORT" --issued "$ISSUED" --log "$WORK/oauth.log" \
  --service-account "$SA=$WORK/sa.pub" --refresh-token "cid.apps:csecret:1//refresh-abc" \
  --metadata-email "vm@mlbox-test.iam.gserviceaccount.com" 2>"$WORK/oauth.err" &
cleanup_hooks+=("kill $!")
wait_http "http://127.0.0.1:$OPORT/tokeninfo"
TOKEN_URI="http://127.0.0.1:$OPORT/token"

$PY - "$TOKEN_URI" "$WORK/sa.key" "$WORK/wrong.key" "$SA" <<'PY' || fail "the OAuth fake accepts what it must refuse"
import base64, json, sys, time, urllib.request, urllib.parse, urllib.error
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
uri, key, wrong, sa = sys.argv[1:5]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def jwt(alg, claims, keyfile):
    si = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    if keyfile is None:
        return si + "."
    k = serialization.load_pem_private_key(open(keyfile, "rb").read(), None)
    return si + "." + b64(k.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256()))
def post(assertion):
    body = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": assertion}).encode()
    req = urllib.request.Request(uri, body, {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        return 200, json.load(urllib.request.urlopen(req))
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
now = int(time.time())
good = {"iss": sa, "scope": "https://www.googleapis.com/auth/cloud-platform", "aud": uri,
        "iat": now, "exp": now + 3600}
assert post(jwt("RS256", good, key))[0] == 200
for name, token in [("alg none", jwt("none", good, None)),
                    ("wrong key", jwt("RS256", good, wrong)),
                    ("expired", jwt("RS256", dict(good, iat=now - 7200, exp=now - 3600), key)),
                    ("too long", jwt("RS256", dict(good, exp=now + 7200), key)),
                    ("other aud", jwt("RS256", dict(good, aud="https://evil/token"), key)),
                    ("HS256", jwt("HS256", good, key))]:
    status, reply = post(token)
    assert status == 400 and reply["error"] in ("invalid_grant",), (name, status, reply)
PY
pass "OAuth fake: a good RS256 JWT gets a token; alg=none, wrong key, expired, too long, other aud, HS256 -> 400 invalid_grant"

# --- a TLS registry named us-docker.pkg.dev and gcr.io, token auth ----------------------
start_gar_registry "$ISSUED" us-docker.pkg.dev gcr.io
export NO_GCE_CHECK=true
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG GCE_METADATA_HOST

# No Google credentials at all: anonymous, refused by the registry, exit 4 saying what to do.
expect_rc 4 "$MLBOX" -C "$PROJ" push us-docker.pkg.dev/mlbox-test/repo/app:v1
grep -q "gcloud auth application-default login" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no ADC hint"; }
pass "no ADC: exit 4 with the gcloud hint"

last_token() { tail -n 1 "$ISSUED" | $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
last_principal() { tail -n 1 "$ISSUED" | $PY -c 'import json,sys; print(json.load(sys.stdin)["principal"])'; }

# --- 1. service-account key ---------------------------------------------------------------
$PY - "$WORK/sa.key" "$SA" "$TOKEN_URI" "$WORK/sa.json" <<'PY'
import json, sys
key, sa, uri, out = sys.argv[1:5]
json.dump({"type": "service_account", "project_id": "mlbox-test", "private_key_id": "0123abcd",
           "private_key": open(key).read(), "client_email": sa, "client_id": "1",
           "token_uri": uri}, open(out, "w"))
PY
: >"$WORK/tokens.log"
jwt_grants() { grep -c '"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "outcome": "200"' "$WORK/oauth.log"; }
G0=$(jwt_grants)
GOOGLE_APPLICATION_CREDENTIALS="$WORK/sa.json" \
  expect_rc 0 "$MLBOX" -C "$PROJ" --json -vv push us-docker.pkg.dev/mlbox-test/repo/app:v1
D=$(json "$WORK/stdout" 'd["digest"]')
[ "$D" = "$(tagged_digest "$PROJ/.mlbox/oci" v1)" ] || fail "pushed digest differs from the store's"
[ "$(last_principal)" = "$SA" ] || fail "the token was not issued to the service account"
grep -q '"user": "oauth2accesstoken"' "$WORK/tokens.log" || fail "registry token not for oauth2accesstoken"
grep -q 'ya29\.' "$WORK/stderr" && fail "an access token reached the -vv log"
grep -q 'eyJ' "$WORK/stderr" && fail "a JWT reached the -vv log"
grep -q 'PRIVATE KEY' "$WORK/stderr" && fail "the key reached the log"
[ $(($(jwt_grants) - G0)) -eq 1 ] || fail "$(($(jwt_grants) - G0)) JWT grants for one push: the token cache does not work"
skopeo_agrees "127.0.0.1:$REG_PORT/mlbox-test/repo/app:v1" "$D" "$PROJ/.mlbox/oci" v1 "oauth2accesstoken:$(last_token)"
pass "push to us-docker.pkg.dev with a service-account key (RS256 JWT verified); skopeo agrees; no secret in -vv"

# --- 2. gcloud's authorized_user credentials (CLOUDSDK_CONFIG) -----------------------------
mkdir -p "$WORK/gcloud"
printf '{"type":"authorized_user","client_id":"cid.apps","client_secret":"csecret","refresh_token":"1//refresh-abc","token_uri":"%s"}' \
  "$TOKEN_URI" >"$WORK/gcloud/application_default_credentials.json"
CLOUDSDK_CONFIG="$WORK/gcloud" expect_rc 0 "$MLBOX" -C "$PROJ" --json push gcr.io/mlbox-test/app:v1
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "authorized_user push digest"
[ "$(last_principal)" = "user:cid.apps" ] || fail "the token was not a refresh-token grant"
skopeo_agrees "127.0.0.1:$REG_PORT/mlbox-test/app:v1" "$D" "$PROJ/.mlbox/oci" v1 "oauth2accesstoken:$(last_token)"
CLOUDSDK_CONFIG="$WORK/gcloud" expect_rc 0 "$MLBOX" -C "$WORK/pulled" --json pull gcr.io/mlbox-test/app:v1
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "authorized_user pull digest"
sed -i 's/1\/\/refresh-abc/1\/\/revoked/' "$WORK/gcloud/application_default_credentials.json"
CLOUDSDK_CONFIG="$WORK/gcloud" expect_rc 4 "$MLBOX" -C "$PROJ" push gcr.io/mlbox-test/app:v1
grep -q "invalid_grant" "$WORK/stderr" || { cat "$WORK/stderr"; fail "revoked refresh token: no invalid_grant"; }
pass "push and pull on gcr.io with gcloud authorized_user credentials; a revoked refresh token exits 4"

# --- 3. the metadata server ----------------------------------------------------------------
GCE_METADATA_HOST="127.0.0.1:$OPORT" NO_GCE_CHECK= \
  expect_rc 0 "$MLBOX" -C "$PROJ" --json push us-docker.pkg.dev/mlbox-test/repo/meta:v1
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "metadata push digest"
[ "$(last_principal)" = "vm@mlbox-test.iam.gserviceaccount.com" ] || fail "not a metadata token"
skopeo_agrees "127.0.0.1:$REG_PORT/mlbox-test/repo/meta:v1" "$D" "$PROJ/.mlbox/oci" v1 "oauth2accesstoken:$(last_token)"
pass "push with a metadata-server token (Metadata-Flavor: Google); skopeo agrees"

# --- 4. a key the OAuth server does not know for that account ------------------------------
$PY - "$WORK/wrong.key" "$SA" "$TOKEN_URI" "$WORK/wrong.json" <<'PY'
import json, sys
key, sa, uri, out = sys.argv[1:5]
json.dump({"type": "service_account", "private_key_id": "deadbeef", "private_key": open(key).read(),
           "client_email": sa, "token_uri": uri}, open(out, "w"))
PY
GOOGLE_APPLICATION_CREDENTIALS="$WORK/wrong.json" \
  expect_rc 4 "$MLBOX" -C "$PROJ" push us-docker.pkg.dev/mlbox-test/repo/app:v1
for want in "$WORK/wrong.json" "HTTP 400" "invalid_grant" "Invalid JWT Signature" \
  "gcloud auth application-default login" "$TOKEN_URI"; do
  grep -qF "$want" "$WORK/stderr" || { cat "$WORK/stderr"; fail "wrong-key error lacks '$want'"; }
done
grep -q 'eyJ' "$WORK/stderr" && fail "the JWT reached the error"
sed 's/^/  | /' "$WORK/stderr"
pass "a JWT signed with the wrong key: exit 4 naming the key file, token URI, HTTP 400 invalid_grant and what to do"

# --- a reference client against the fake: gcloud with the same key ------------------------
if command -v gcloud >/dev/null; then
  export CLOUDSDK_CONFIG="$WORK/gcloud-ref" CLOUDSDK_CORE_DISABLE_PROMPTS=1
  timeout 120 gcloud auth activate-service-account --key-file="$WORK/sa.json" >/dev/null 2>&1 ||
    fail "gcloud could not activate the key against the fake"
  T=$(timeout 120 gcloud auth print-access-token 2>/dev/null)
  grep -q "\"token\": \"$T\"" "$ISSUED" || fail "gcloud's token was not issued by the fake"
  unset CLOUDSDK_CONFIG
  pass "gcloud auth print-access-token gets a token from the fake with the same key"
else
  echo "note: gcloud not installed; the fake was not checked against it"
fi
