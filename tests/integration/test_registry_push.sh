#!/usr/bin/env bash
# mlbox push / pull against a real docker-registry on 127.0.0.1: anonymous, htpasswd Basic
# auth, and token auth (RS256 JWTs from tests/fakes/token_server.py, verified by the
# registry). After each push, skopeo inspect and skopeo copy must agree on every digest.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"

PROJ=$WORK/proj
make_image "$PROJ" v1 "3M,600K,40K" 11 >/dev/null

# --- anonymous -------------------------------------------------------------------------
start_registry anon
R=127.0.0.1:$REG_PORT
expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$R/team/app:v1" --jobs 3 --chunk-size 1048576
cp "$WORK/stdout" "$WORK/push1.json"
D=$(json "$WORK/push1.json" 'd["digest"]')
[ "$D" = "$(tagged_digest "$PROJ/.mlbox/oci" v1)" ] || fail "pushed digest differs from the store's"
[ "$(json "$WORK/push1.json" 'd["blobs_uploaded"]')" = 4 ] || fail "expected 4 uploads"
[ "$(json "$WORK/push1.json" 'd["upload_restarts"]')" = 0 ] || fail "uploads restarted"
skopeo_agrees "$R/team/app:v1" "$D" "$PROJ/.mlbox/oci" v1
pass "anonymous push (chunked and monolithic) matches skopeo inspect and skopeo copy"

expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$R/team/app:v1"
[ "$(json "$WORK/stdout" 'd["blobs_skipped"]')" = 4 ] || fail "re-push should skip every blob"
[ "$(json "$WORK/stdout" 'd["bytes_uploaded"]')" = 0 ] || fail "re-push sent bytes"
pass "re-push of an unchanged image sends no blob"

expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$R/other/app:v1"
[ "$(json "$WORK/stdout" 'd["blobs_mounted"]')" = 4 ] || { cat "$WORK/stdout"; fail "expected 4 mounts"; }
skopeo_agrees "$R/other/app:v1" "$D" "$PROJ/.mlbox/oci" v1
pass "push to a second repository mounts every blob"

# The default reference: image.repository from mlbox.yaml and the store's tag.
cat >"$PROJ/mlbox.yaml" <<YAML
name: demo
image:
  repository: $R/team/fromyaml
train:
  command: python train.py
YAML
if "$MLBOX" -C "$PROJ" --json push >"$WORK/stdout" 2>"$WORK/stderr"; then
  [ "$(json "$WORK/stdout" 'd["reference"]')" = "$R/team/fromyaml:v1" ] || fail "default reference"
  pass "push without REF uses image.repository and the store's tag"
else
  grep -q "mlbox.yaml" "$WORK/stderr" || { cat "$WORK/stderr"; fail "push without REF"; }
  echo "note: the manifest schema refused the minimal mlbox.yaml; REF default not checked"
fi
rm -f "$PROJ/mlbox.yaml"

# Pull into another store: same manifest, same blobs, verified.
expect_rc 0 "$MLBOX" -C "$WORK/proj2" --json pull "$R/team/app:v1"
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "pulled another digest"
[ "$(tagged_digest "$WORK/proj2/.mlbox/oci" v1)" = "$D" ] || fail "pull did not tag v1"
for d in $(layer_digests "$PROJ/.mlbox/oci" v1); do
  cmp -s "$PROJ/.mlbox/oci/blobs/sha256/${d#sha256:}" "$WORK/proj2/.mlbox/oci/blobs/sha256/${d#sha256:}" ||
    fail "pulled blob $d differs"
done
expect_rc 6 "$MLBOX" -C "$WORK/proj2" pull "$R/team/app:nope"
grep -q "MANIFEST_UNKNOWN" "$WORK/stderr" || { cat "$WORK/stderr"; fail "error lacks the registry code"; }
grep -q "HTTP 404" "$WORK/stderr" || fail "error lacks the status"
pass "pull stores and tags the same image; an unknown tag names HTTP 404 MANIFEST_UNKNOWN"

# Pull an index (made by skopeo copy --all of a multi-arch list is not possible offline:
# build one by hand) picks linux/amd64.
python3 - "$PROJ/.mlbox/oci" "$D" <<'PY'
import json, sys, hashlib, os
layout, digest = sys.argv[1], sys.argv[2]
man = open(os.path.join(layout, "blobs", "sha256", digest[7:]), "rb").read()
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
                      "size": len(man), "platform": {"architecture": "amd64", "os": "linux"}}]}
b = json.dumps(idx, separators=(",", ":")).encode()
d = hashlib.sha256(b).hexdigest()
open(os.path.join(layout, "blobs", "sha256", d), "wb").write(b)
index = json.load(open(os.path.join(layout, "index.json")))
index["manifests"].append({"mediaType": idx["mediaType"], "digest": "sha256:" + d, "size": len(b),
                           "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
PY
expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$R/team/multi:multi" --tag multi
IDX=$(json "$WORK/stdout" 'd["digest"]')
[ "$IDX" = "$(tagged_digest "$PROJ/.mlbox/oci" multi)" ] || fail "index digest differs"
expect_rc 0 "$MLBOX" -C "$WORK/proj3" --json pull "$R/team/multi:multi"
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "index pull did not pick linux/amd64"
[ "$(json "$WORK/stdout" 'd["index_digest"]')" = "$IDX" ] || fail "index digest not reported"
pass "an index is pushed with its manifests; pull resolves it to linux/amd64"

# --- htpasswd Basic auth ------------------------------------------------------------
htpasswd -Bbc "$WORK/htpasswd" alice 's3cret!pw' 2>/dev/null
start_registry basic "  htpasswd: {realm: mlbox-test, path: $WORK/htpasswd}"
R=127.0.0.1:$REG_PORT
expect_rc 4 "$MLBOX" -C "$PROJ" push "$R/team/app:v1"
grep -q "HTTP 401" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no HTTP 401 in the error"; }
grep -q "docker login" "$WORK/stderr" || fail "the error does not say what to do"
mkdir -p "$HOME/.docker"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf 'alice:wrong' | base64)" >"$HOME/.docker/config.json"
expect_rc 4 "$MLBOX" -C "$PROJ" -vv push "$R/team/app:v1"
grep -q "wrong" "$WORK/stderr" && fail "a password reached the log"
grep -q "Authorization: Basic REDACTED" "$WORK/stderr" || fail "-vv trace lacks the redacted header"
printf '{"auths":{"http://%s":{"auth":"%s"}}}' "$R" "$(printf 'alice:s3cret!pw' | base64)" >"$HOME/.docker/config.json"
expect_rc 0 "$MLBOX" -C "$PROJ" --json -vv push "$R/team/app:v1"
grep -q 's3cret' "$WORK/stderr" && fail "the password reached the log"
D=$(json "$WORK/stdout" 'd["digest"]')
skopeo_agrees "$R/team/app:v1" "$D" "$PROJ/.mlbox/oci" v1 'alice:s3cret!pw'
pass "htpasswd Basic auth from ~/.docker/config.json; failures exit 4; no secret in -vv logs"

# $DOCKER_CONFIG points elsewhere; REGISTRY_AUTH_FILE wins over it.
mkdir -p "$WORK/dockercfg"
mv "$HOME/.docker/config.json" "$WORK/dockercfg/config.json"
DOCKER_CONFIG="$WORK/dockercfg" expect_rc 0 "$MLBOX" -C "$WORK/proj4" pull "$R/team/app:v1"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf 'alice:nope' | base64)" >"$WORK/auth.json"
DOCKER_CONFIG="$WORK/dockercfg" REGISTRY_AUTH_FILE="$WORK/auth.json" \
  expect_rc 4 "$MLBOX" -C "$WORK/proj4" pull "$R/team/app:v1"
pass "\$DOCKER_CONFIG and \$REGISTRY_AUTH_FILE are read, in that precedence"

# --- token auth -----------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/token.key" -out "$WORK/token.crt" \
  -days 2 -subj "/CN=mlbox-test-token" 2>/dev/null
TPORT=$(free_port)
python3 "$FAKES/token_server.py" --port "$TPORT" --key "$WORK/token.key" --cert "$WORK/token.crt" \
  --user 'alice:t0ken-pw' --refresh-token 'refresh-xyz=alice' --log "$WORK/tokens.log" \
  2>"$WORK/token-server.log" &
cleanup_hooks+=("kill $!")
wait_http "http://127.0.0.1:$TPORT/"
start_registry token "  token: {realm: http://127.0.0.1:$TPORT/token, service: mlbox-test-registry, issuer: mlbox-test-issuer, rootcertbundle: $WORK/token.crt}"
R=127.0.0.1:$REG_PORT
rm -f "$HOME/.docker/config.json"
expect_rc 4 "$MLBOX" -C "$PROJ" push "$R/team/app:v1"
grep -q "401" "$WORK/stderr" || { cat "$WORK/stderr"; fail "anonymous token push: no 401"; }
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf 'alice:t0ken-pw' | base64)" >"$HOME/.docker/config.json"
: >"$WORK/tokens.log"
expect_rc 0 "$MLBOX" -C "$PROJ" --json -vv push "$R/team/app:v1" --jobs 4
grep -q 'eyJ' "$WORK/stderr" && fail "a token reached the log"
D=$(json "$WORK/stdout" 'd["digest"]')
n=$(wc -l <"$WORK/tokens.log")
[ "$n" -le 2 ] || fail "$n tokens fetched for one push: the cache does not work"
skopeo_agrees "$R/team/app:v1" "$D" "$PROJ/.mlbox/oci" v1 'alice:t0ken-pw'
pass "token auth (GET with Basic), $n token(s) for the whole push; skopeo agrees"

printf '{"auths":{"%s":{"identitytoken":"refresh-xyz"}}}' "$R" >"$WORK/oauth.json"
rm -f "$HOME/.docker/config.json"
REGISTRY_AUTH_FILE="$WORK/oauth.json" expect_rc 0 "$MLBOX" -C "$WORK/proj5" --json pull "$R/team/app:v1"
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "oauth pull digest"
printf '{"auths":{"%s":{"identitytoken":"stolen"}}}' "$R" >"$WORK/oauth.json"
REGISTRY_AUTH_FILE="$WORK/oauth.json" expect_rc 4 "$MLBOX" -C "$WORK/proj5" pull "$R/team/app:v1"
pass "token auth with an identity token (OAuth2 POST refresh_token grant)"
