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
