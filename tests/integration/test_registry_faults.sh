#!/usr/bin/env bash
# mlbox push / pull through a fault-injecting proxy (tests/fakes/fault_proxy.py, reached via
# http_proxy like any corporate proxy) in front of a real docker-registry: connections
# dropped mid-body, 503 and 429 with Retry-After. Pushes complete, digests verify, the
# chunked path re-sends at most one chunk per broken request, a killed push leaves no tag
# and the next push finishes it, and an OCI-refusing registry gets Docker schema2.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
unset no_proxy NO_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY

start_registry faults
R=127.0.0.1:$REG_PORT
PROJ=$WORK/proj
# >= 200 MB over five layers; the big ones go up in 8 MiB chunks.
make_image "$PROJ" big "112M,80M,12M,2M,100K" 21 >/dev/null
CHUNK=$((8 * 1048576))
# Bytes in blobs larger than one chunk (those go up in PATCH requests).
TOTAL_CHUNKED=$(for d in $(layer_digests "$PROJ/.mlbox/oci" big); do
  stat -c %s "$PROJ/.mlbox/oci/blobs/sha256/${d#sha256:}"; done | awk -v c=$CHUNK '$1 > c {s += $1} END {print s}')

start_proxy() {  # start_proxy NAME ARGS...: sets PROXY_PORT
  local name=$1
  shift
  PROXY_PORT=$(free_port)
  python3 "$FAKES/fault_proxy.py" --port "$PROXY_PORT" --upstream "$R" --stats "$WORK/$name.json" "$@" \
    2>"$WORK/$name.log" &
  local pid=$!
  cleanup_hooks+=("kill $pid 2>/dev/null")
  eval "${name}_PID=$pid"
  wait_http "http://127.0.0.1:$PROXY_PORT/v2/"
}

start_proxy flaky --drop-body-every 4 --status 503:11 --status 429:17 --drop-response-every 3
export_proxy() { echo "http_proxy=http://127.0.0.1:$1"; }

t0=$(date +%s)
expect_rc 0 env "$(export_proxy "$PROXY_PORT")" "$MLBOX" -C "$PROJ" --json push "$R/big/app:big" \
  --jobs 4 --chunk-size $CHUNK
cp "$WORK/stdout" "$WORK/push.json"
cat "$WORK/push.json"
D=$(json "$WORK/push.json" 'd["digest"]')
S="$WORK/flaky.json"
faults=$(json "$S" 'sum(d["faults"].values())')
body_faults=$(json "$S" 'd["faults_on_body_requests"]')
drops=$(json "$S" 'd["faults"].get("drop-body", 0)')
[ "$drops" -ge 3 ] || fail "the proxy dropped only $drops connections; the test proves nothing"
[ "$(json "$S" 'd["faults"].get("429", 0)')" -ge 1 ] || fail "no 429 was injected"
[ "$(json "$S" 'd["faults"].get("503", 0)')" -ge 1 ] || fail "no 503 was injected"
[ "$(json "$WORK/push.json" 'd["upload_restarts"]')" = 0 ] || fail "a chunked upload restarted from byte 0"
[ "$(json "$WORK/push.json" 'd["upload_resumes"]')" -ge 1 ] || fail "no upload resumed"
patch_received=$(json "$S" 'd["received"].get("PATCH", 0)')
patch_forwarded=$(json "$S" 'd["forwarded"].get("PATCH", 0)')
[ "$patch_forwarded" = "$TOTAL_CHUNKED" ] || fail "registry got $patch_forwarded chunk bytes, blobs hold $TOTAL_CHUNKED"
limit=$((TOTAL_CHUNKED + body_faults * CHUNK))
[ "$patch_received" -le "$limit" ] ||
  fail "mlbox sent $patch_received chunk bytes: more than one chunk re-sent per fault ($body_faults faults, limit $limit)"
skopeo_agrees "$R/big/app:big" "$D" "$PROJ/.mlbox/oci" big
pass "push of $((TOTAL_CHUNKED / 1048576 + 2)) MB through $faults faults ($drops dropped bodies): resumed, at most one chunk re-sent per fault ($(( (patch_received - TOTAL_CHUNKED) / 1048576 )) MiB extra), skopeo agrees ($(( $(date +%s) - t0 ))s)"

# Pull through the same proxy: responses cut in half are downloaded again and verified.
expect_rc 0 env "$(export_proxy "$PROXY_PORT")" "$MLBOX" -C "$WORK/pulled" --json pull "$R/big/app:big"
[ "$(json "$WORK/stdout" 'd["digest"]')" = "$D" ] || fail "pulled another digest"
[ "$(json "$S" 'd["faults"].get("drop-response", 0)')" -ge 1 ] || fail "no response was cut"
for d in $(layer_digests "$PROJ/.mlbox/oci" big); do
  cmp -s "$PROJ/.mlbox/oci/blobs/sha256/${d#sha256:}" "$WORK/pulled/.mlbox/oci/blobs/sha256/${d#sha256:}" ||
    fail "pulled blob $d differs"
done
pass "pull through cut responses: every blob verified"

# A push killed half-way leaves no tag; the next push finishes it. The push stops itself once
# its first blob is in (MLBOX_TEST_PAUSE, util/fault_point.h), while the large ones are still
# going, so the kill lands half-way however fast the machine is.
make_image "$PROJ" killed "60M,40M,1M" 22 >/dev/null
MLBOX_TEST_PAUSE=blobs-uploaded:1 MLBOX_TEST_PAUSE_FILE="$WORK/push.paused" \
  "$MLBOX" -C "$PROJ" push "$R/big/killed:killed" --chunk-size $CHUNK --jobs 4 >"$WORK/killed.out" 2>&1 &
PUSH_PID=$!
for _ in $(seq 1 1200); do
  [ -s "$WORK/push.paused" ] && break
  kill -0 $PUSH_PID 2>/dev/null || { cat "$WORK/killed.out"; fail "the push exited before its pause point"; }
  sleep 0.1
done
[ "$(cat "$WORK/push.paused" 2>/dev/null)" = "$PUSH_PID" ] || fail "the push never reached its pause point (120 s)"
kill -9 $PUSH_PID
wait $PUSH_PID 2>/dev/null || true
code=$(curl -s -o /dev/null -w '%{http_code}' \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/big/killed/manifests/killed")
[ "$code" = 404 ] || fail "a killed push left the tag (HTTP $code)"
expect_rc 0 "$MLBOX" -C "$PROJ" --json push "$R/big/killed:killed" --chunk-size $CHUNK
[ "$(json "$WORK/stdout" 'd["blobs_skipped"]')" -ge 1 ] || fail "the second push skipped nothing"
D=$(json "$WORK/stdout" 'd["digest"]')
skopeo_agrees "$R/big/killed:killed" "$D" "$PROJ/.mlbox/oci" killed
pass "a push killed half-way leaves no tag; the next push finishes it ($(json "$WORK/stdout" 'd["blobs_skipped"]') blobs already there)"

# A registry that refuses OCI manifests gets Docker schema2.
make_image "$PROJ" small "1M,20K" 23 >/dev/null
start_proxy strict --reject-oci
expect_rc 0 env "$(export_proxy "$PROXY_PORT")" "$MLBOX" -C "$PROJ" --json push "$R/big/docker:small"
[ "$(json "$WORK/stdout" 'd["docker_schema2_fallback"]')" = True ] || fail "no Docker fallback"
D=$(json "$WORK/stdout" 'd["digest"]')
skopeo inspect --tls-verify=false --raw "docker://$R/big/docker:small" >"$WORK/raw.json"
[ "sha256:$(sha256sum "$WORK/raw.json" | cut -d' ' -f1)" = "$D" ] || fail "skopeo sees another manifest"
[ "$(json "$WORK/raw.json" 'd["mediaType"]')" = application/vnd.docker.distribution.manifest.v2+json ] ||
  fail "not a Docker schema2 manifest"
pass "OCI manifest refused (400 MANIFEST_INVALID): pushed as Docker schema2, skopeo agrees"
