# Helpers for Google Cloud tests (sourced after lib.sh): the metadata-server/OAuth fake and the
# strict Vertex AI + Cloud Logging + Cloud Storage fake from tests/fakes.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3  # Debian's, with python3-protobuf/cryptography
GCP_FAKES="$MLBOX_SOURCE_DIR/tests/fakes"
GCP_SPECS="${MLBOX_SPECS_DIR:-$MLBOX_SOURCE_DIR/../shared/specs}"

# start_gcp_fakes [vertex_fake.py args...]: starts gcp_oauth_fake.py (tokens in
# $WORK/issued.jsonl, a metadata server for vm@mlbox-test) and vertex_fake.py (accepted requests
# in $WORK/requests.jsonl), each killed on exit. Sets V (the Vertex/Logging/GCS fake's URL) and
# GCP_METADATA (host:port of the metadata server). Exports nothing; see use_gcp_fakes.
start_gcp_fakes() {
  $PY "$GCP_FAKES/gcp_oauth_fake.py" --port-file "$WORK/oauth.port" --issued "$WORK/issued.jsonl" \
    --metadata-email "vm@mlbox-test.iam.gserviceaccount.com" 2>"$WORK/oauth.log" &
  local oauth=$!
  cleanup_hooks+=("kill $oauth")
  $PY "$GCP_FAKES/vertex_fake.py" --port-file "$WORK/vertex.port" --oauth-issued "$WORK/issued.jsonl" \
    --requests "$WORK/requests.jsonl" --specs "$GCP_SPECS" "$@" 2>"$WORK/vertex.log" &
  local vertex=$! i=0
  cleanup_hooks+=("kill $vertex")
  until [ -s "$WORK/oauth.port" ] && [ -s "$WORK/vertex.port" ]; do
    i=$((i + 1))
    kill -0 $oauth 2>/dev/null || { cat "$WORK/oauth.log" >&2; fail "the OAuth fake exited"; }
    kill -0 $vertex 2>/dev/null || { cat "$WORK/vertex.log" >&2; fail "the Vertex fake exited"; }
    [ $i -le 600 ] || { cat "$WORK/vertex.log" >&2; fail "the Vertex fake did not start"; }
    sleep 0.1
  done
  V="http://127.0.0.1:$(cat "$WORK/vertex.port")"
  GCP_METADATA="127.0.0.1:$(cat "$WORK/oauth.port")"
}

# use_gcp_fakes: point mlbox (and the trainer) at the fakes: credentials from the metadata
# server, Vertex AI, Cloud Logging and Cloud Storage at V; no key file, no gcloud config.
use_gcp_fakes() {
  export GCE_METADATA_HOST="$GCP_METADATA"
  export CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM="$V/" CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING="$V/"
  export STORAGE_EMULATOR_HOST="$V"
  unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG
}
