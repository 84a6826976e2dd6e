#!/usr/bin/env bash
# A real OCI registry on this machine for the demo and for trying mlbox push/pull:
# Debian's docker-registry (distribution 2.8) on 127.0.0.1, storage under $MLBOX_HOME.
#
#   docker/local-registry.sh start [PORT]   start (default port 5000, or the next free one); prints HOST:PORT
#   docker/local-registry.sh status         prints HOST:PORT if running, exit 1 if not
#   docker/local-registry.sh stop
set -euo pipefail
home=${MLBOX_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mlbox}
dir="$home/registry"
mkdir -p "$dir/storage"
pidfile="$dir/pid"; addrfile="$dir/addr"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "${1:-status}" in
  start)
    if running; then cat "$addrfile"; exit 0; fi
    port=${2:-5000}
    while python3 -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1',$port)) else 1)"; [ $? -ne 0 ]; do
      port=$((port + 1))
    done
    cat > "$dir/config.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $dir/storage}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port}
YAML
    nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 100); do
      curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
      sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$dir/registry.log" >&2; exit 1; }
    echo "127.0.0.1:$port" | tee "$addrfile"
    ;;
  status) running && cat "$addrfile" || { echo "not running" >&2; exit 1; } ;;
  stop) if running; then kill "$(cat "$pidfile")"; fi; rm -f "$pidfile" "$addrfile" ;;
  *) echo "usage: $0 start [PORT] | status | stop" >&2; exit 2 ;;
esac
