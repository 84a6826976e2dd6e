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

# write_vertex_manifest DIR REPOSITORY [NAME]: a minimal mlbox.yaml in DIR whose target `vertex`
# runs in mlbox-test / us-central1 with outputs under gs://mlbox-out/runs.
write_vertex_manifest() {
  cat >"$1/mlbox.yaml" <<YAML
name: ${3:-digits}
python: {version: "3.11"}
train:
  command: python train.py
image:
  repository: $2
targets:
  vertex:
    project: mlbox-test
    region: us-central1
    output: gs://mlbox-out/runs
YAML
}

# start_gar_registry ISSUED HOST...: a TLS docker-registry ("gar", registry_lib.sh) whose
# certificate (from a test CA, $WORK/ca.crt) names each HOST, with token auth from
# tests/fakes/token_server.py, which grants only OAuth tokens listed in ISSUED. Each HOST:443 is
# routed to it (MLBOX_CONNECT_TO) and the CA trusted (SSL_CERT_FILE). Sets REG_PORT.
start_gar_registry() {
  local issued=$1 san="" connect="" h
  shift
  for h in "$@"; do
    san+="DNS:$h,"
    connect+="${connect:+,}$h:443:127.0.0.1:@PORT@"
  done
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.crt" -days 2 \
    -subj "/CN=mlbox-test-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$WORK/srv.key" -out "$WORK/srv.csr" \
    -subj "/CN=$1" 2>/dev/null
  printf 'subjectAltName=%sIP:127.0.0.1\n' "$san" >"$WORK/san.ext"
  openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
    -out "$WORK/srv.crt" -days 2 -extfile "$WORK/san.ext" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/token.key" -out "$WORK/token.crt" \
    -days 2 -subj "/CN=mlbox-test-token" 2>/dev/null
  TPORT=$(free_port)
  python3 "$GCP_FAKES/token_server.py" --port "$TPORT" --key "$WORK/token.key" \
    --cert "$WORK/token.crt" --oauth-issued "$issued" --log "$WORK/tokens.log" \
    2>"$WORK/token-server.log" &
  cleanup_hooks+=("kill $!")
  wait_http "http://127.0.0.1:$TPORT/"
  REG_SCHEME=https REG_HTTP_EXTRA=", tls: {certificate: $WORK/srv.crt, key: $WORK/srv.key}" \
    start_registry gar "  token: {realm: http://127.0.0.1:$TPORT/token, service: mlbox-test-registry, issuer: mlbox-test-issuer, rootcertbundle: $WORK/token.crt}"
  export MLBOX_CONNECT_TO="${connect//@PORT@/$REG_PORT}"
  export SSL_CERT_FILE="$WORK/ca.crt"
}
