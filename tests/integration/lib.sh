# Shared helpers for integration tests (sourced).
set -euo pipefail
: "${MLBOX:?MLBOX must point at the mlbox binary}"
: "${MLBOX_SOURCE_DIR:?}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlbox-it.XXXXXX")
export MLBOX_HOME="$WORK/mlbox-home"
export HOME="$WORK/home"
mkdir -p "$HOME"
cleanup_hooks=()
cleanup() {
  local rc=$?
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
# expect_rc CODE CMD...: run CMD, fail unless it exits with CODE; stderr saved in $WORK/stderr.
expect_rc() {
  local want=$1; shift
  set +e
  "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  local got=$?
  set -e
  [ "$got" -eq "$want" ] || { cat "$WORK/stderr" >&2; fail "'$*' exited $got, expected $want"; }
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# preempt_when_ready OUT CMD...: runs CMD in the background (output to OUT), waits (120 s at
# most, failing then) until OUT says "ready", sends SIGTERM, waits (30 s at most, then SIGKILL) and sets
# PREEMPT_RC to its exit status.
preempt_when_ready() {
  local out=$1; shift
  "$@" >"$out" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill -9 $pid 2>/dev/null")
  for _ in $(seq 1200); do grep -q ready "$out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  grep -q ready "$out" || { cat "$out"; fail "'$*' did not get ready"; }
  sleep 0.5
  kill -TERM $pid
  for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -9 $pid 2>/dev/null || true
  set +e
  wait $pid
  PREEMPT_RC=$?
  set -e
}

# Shared by the tests that build native-mode images (and kept between runs): the torch test
# wheel (Debian's libtorch with a real wheel's layout, docker/make_torch_wheel.py) and
# mlbox-native compiled against it (minutes the first time, then a cache hit).
export MLBOX_NATIVE_CACHE=${MLBOX_NATIVE_CACHE:-$MLBOX_BUILD_DIR/test-cache/native}
torch_wheelhouse() { /usr/bin/python3 "$MLBOX_SOURCE_DIR/docker/make_torch_wheel.py" "$MLBOX_BUILD_DIR/test-cache"; }
