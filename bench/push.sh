#!/usr/bin/env bash
# Benchmark: mlbox push vs skopeo copy of the same OCI layout to the same local
# docker-registry, in one run. Prints cold-push and unchanged re-push times and ratios.
#   bench/push.sh [BUILD_DIR] [LAYERS]    (default LAYERS: 160M,100M,40M,8M,1M)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
LAYERS=${2:-160M,100M,40M,8M,1M}
MLBOX=$BUILD/mlbox
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlbox-bench.XXXXXX")
export MLBOX_HOME=$WORK/home
trap 'kill $REG_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/data"
cat >"$WORK/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/data}}
http: {addr: 127.0.0.1:$PORT}
YAML
docker-registry serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/"; do sleep 0.1; done
python3 "$ROOT/tests/fakes/make_oci_image.py" "$WORK/proj/.mlbox/oci" bench --layers "$LAYERS" --seed 7 >/dev/null
SIZE=$(du -sm "$WORK/proj/.mlbox/oci" | cut -f1)
R=127.0.0.1:$PORT
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
m_cold=$(secs "$MLBOX" -C "$WORK/proj" --no-progress push "$R/bench/mlbox:bench")
s_cold=$(secs skopeo copy --dest-tls-verify=false "oci:$WORK/proj/.mlbox/oci:bench" "docker://$R/bench/skopeo:bench")
m_again=$(secs "$MLBOX" -C "$WORK/proj" --no-progress push "$R/bench/mlbox:bench")
s_again=$(secs skopeo copy --dest-tls-verify=false "oci:$WORK/proj/.mlbox/oci:bench" "docker://$R/bench/skopeo:bench")
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "image: $LAYERS (${SIZE} MB on disk), registry: docker-registry $(docker-registry --version | awk '{print $3}') on 127.0.0.1"
printf '%-28s %10s %10s %14s\n' "case" "mlbox s" "skopeo s" "skopeo/mlbox"
printf '%-28s %10.2f %10.2f %14s\n' "cold push" "$m_cold" "$s_cold" "$(ratio "$s_cold" "$m_cold")"
printf '%-28s %10.2f %10.2f %14s\n' "re-push, unchanged" "$m_again" "$s_again" "$(ratio "$s_again" "$m_again")"
