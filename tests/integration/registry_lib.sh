# Helpers for registry tests (sourced after lib.sh): a real docker-registry on 127.0.0.1,
# the fakes from tests/fakes, and JSON field access.
FAKES="$MLBOX_SOURCE_DIR/tests/fakes"

# wait_http URL [SECONDS]: until URL answers anything (any HTTP status).
wait_http() {
  local url=$1 limit=${2:-60} i=0
  while ! curl -sk -o /dev/null "$url"; do
    i=$((i + 1))
    [ $i -le $((limit * 10)) ] || fail "$url did not come up"
    sleep 0.1
  done
}

# start_registry NAME [AUTH_YAML]: starts docker-registry with storage under $WORK/NAME;
# sets REG_PORT. AUTH_YAML is inserted as the config's auth: section; REG_HTTP_EXTRA is
# appended to its http: map (", tls: {...}") and REG_SCHEME=https waits for TLS.
start_registry() {
  local name=$1 auth=${2:-}
  REG_PORT=$(free_port)
  mkdir -p "$WORK/$name/data"
  {
    echo "version: 0.1"
    echo "log: {level: error, accesslog: {disabled: true}}"
    echo "storage: {filesystem: {rootdirectory: $WORK/$name/data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$REG_PORT, secret: mlbox-test-secret${REG_HTTP_EXTRA:-}}"
    if [ -n "$auth" ]; then echo "auth:"; echo "$auth"; fi
  } >"$WORK/$name/config.yml"
  docker-registry serve "$WORK/$name/config.yml" >"$WORK/$name/log" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill $pid")
  wait_http "${REG_SCHEME:-http}://127.0.0.1:$REG_PORT/v2/"
}

# json FILE EXPR: a field of a JSON file (python expression on `d`).
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# make_image PROJECT TAG LAYERS SEED: a test image in PROJECT/.mlbox/oci; prints its digest.
make_image() {
  python3 "$FAKES/make_oci_image.py" "$1/.mlbox/oci" "$2" --layers "$3" --seed "$4"
}

# layer_digests LAYOUT TAG: config + layer digests of the tagged manifest, one per line.
layer_digests() {
  python3 - "$1" "$2" <<'PY'
import json, sys, os
layout, tag = sys.argv[1], sys.argv[2]
index = json.load(open(os.path.join(layout, "index.json")))
m = [d for d in index["manifests"]
     if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
man = json.load(open(os.path.join(layout, "blobs", *m["digest"].split(":"))))
print(man["config"]["digest"])
for l in man["layers"]:
    print(l["digest"])
PY
}

# tagged_digest LAYOUT TAG
tagged_digest() {
  python3 - "$1" "$2" <<'PY'
import json, sys, os
index = json.load(open(os.path.join(sys.argv[1], "index.json")))
print([d["digest"] for d in index["manifests"]
       if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]][0])
PY
}

# skopeo_agrees REF DIGEST LAYOUT TAG [USER:PASSWORD]: skopeo inspect and skopeo copy see
# the manifest digest mlbox reported and the same config and layer digests as the store.
skopeo_agrees() {
  local ref=$1 digest=$2 layout=$3 tag=$4 creds=${5:-}
  local inspect_creds=() copy_creds=()
  if [ -n "$creds" ]; then inspect_creds=(--creds "$creds"); copy_creds=(--src-creds "$creds"); fi
  set -- "${inspect_creds[@]}"
  skopeo inspect --tls-verify=false "$@" --raw "docker://$ref" >"$WORK/raw.json"
  local raw
  raw="sha256:$(sha256sum "$WORK/raw.json" | cut -d' ' -f1)"
  [ "$raw" = "$digest" ] || fail "skopeo sees manifest $raw, mlbox pushed $digest"
  skopeo inspect --tls-verify=false "$@" "docker://$ref" >"$WORK/inspect.json"
  [ "$(json "$WORK/inspect.json" 'd["Digest"]')" = "$digest" ] || fail "skopeo inspect digest differs"
  json "$WORK/inspect.json" '"\n".join(d["Layers"])' >"$WORK/skopeo-layers"
  layer_digests "$layout" "$tag" | tail -n +2 >"$WORK/our-layers"
  diff "$WORK/skopeo-layers" "$WORK/our-layers" || fail "skopeo lists other layers"
  rm -rf "$WORK/skopeo-copy"
  skopeo copy -q --dest-oci-accept-uncompressed-layers --src-tls-verify=false "${copy_creds[@]}" "docker://$ref" "oci:$WORK/skopeo-copy:copied" >/dev/null
  [ "$(tagged_digest "$WORK/skopeo-copy" copied)" = "$digest" ] || fail "skopeo copy got another manifest"
  layer_digests "$WORK/skopeo-copy" copied >"$WORK/copy-blobs"
  layer_digests "$layout" "$tag" >"$WORK/our-blobs"
  diff "$WORK/copy-blobs" "$WORK/our-blobs" || fail "skopeo copy got other blobs"
  while read -r d; do
    [ "sha256:$(sha256sum "$WORK/skopeo-copy/blobs/sha256/${d#sha256:}" | cut -d' ' -f1)" = "$d" ] ||
      fail "blob $d copied by skopeo does not match its digest"
  done <"$WORK/copy-blobs"
}
