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
# wait_for SECONDS CMD...: poll until CMD succeeds, for SECONDS of wall time at most.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  while [ $SECONDS -lt $deadline ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  "$@" >/dev/null 2>&1
}
# job_field JOB FIELD: a field of `mlbox --json status JOB` (FIELD is a Python subscript: '["state"]').
job_field() {
  "$MLBOX" --json status "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$2"
}

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

# check_live_metrics FETCH OUTPUT_KEY TB_KEY: runs a command-mode job under $MLBOX_TRAINER
# (metrics sync every 0.3 s) that appends a metrics.jsonl line and writes a TensorBoard file,
# then waits for the test; `FETCH KEY` (prints an object's bytes) must show both under the
# bucket while the job still runs; a second line must follow, also before the job ends.
check_live_metrics() {
  local fetch=$1 out_key=$2 tb_key=$3 gate="$WORK/live-gate"
  mkdir -p "$gate"
  cat >"$WORK/live.sh" <<'SH'
set -e
echo '{"step": 1, "loss": 0.9}' >>"$MLBOX_OUTPUT_DIR/metrics.jsonl"
echo "scalars-1" >"$MLBOX_TENSORBOARD_DIR/events.out.tfevents.1.live"
while [ ! -e "$LIVE_GATE/1" ]; do sleep 0.1; done
echo '{"step": 2, "loss": 0.4}' >>"$MLBOX_OUTPUT_DIR/metrics.jsonl"
while [ ! -e "$LIVE_GATE/2" ]; do sleep 0.1; done
SH
  MLBOX_METRICS_SYNC_SECONDS=0.3 LIVE_GATE="$gate" timeout 120 "$MLBOX_TRAINER" -- \
    /bin/sh "$WORK/live.sh" >"$WORK/live.out" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill -9 $pid 2>/dev/null")
  local got=""
  for _ in $(seq 300); do
    got=$($fetch "$out_key" || true)
    [[ "$got" == *'"step": 1'* ]] && [ "$($fetch "$tb_key" || true)" = scalars-1 ] && break
    sleep 0.1
  done
  [[ "$got" == *'"step": 1'* ]] || { cat "$WORK/live.out"; fail "metrics.jsonl not in the bucket after 30 s of running"; }
  [ "$($fetch "$tb_key")" = scalars-1 ] || { cat "$WORK/live.out"; fail "TensorBoard file not in the bucket while running"; }
  kill -0 $pid 2>/dev/null || fail "the job ended before the check (the test proves nothing)"
  touch "$gate/1"
  for _ in $(seq 300); do
    got=$($fetch "$out_key" || true)
    [[ "$got" == *'"step": 2'* ]] && break
    sleep 0.1
  done
  [[ "$got" == *'"step": 1'*'"step": 2'* ]] || { cat "$WORK/live.out"; fail "the grown metrics.jsonl was not uploaded again: $got"; }
  kill -0 $pid 2>/dev/null || fail "the job ended before the second check"
  touch "$gate/2"
  wait $pid || { cat "$WORK/live.out"; fail "the live-metrics job failed"; }
}

# runc_probe BUNDLE OUT: runs /opt/mlbox/bin/mlbox-trainer --probe in an image unpacked by umoci
# (120 s at most), its output in OUT; fails the test when runc or the probe fails.
runc_probe() {
  local bundle=$1 out=$2 id="mlbox-probe-$$-$RANDOM"
  python3 - "$bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/opt/mlbox/bin/mlbox-trainer", "--probe"]
c["process"]["terminal"] = False
c["process"]["cwd"] = "/"
json.dump(c, open(sys.argv[1], "w"))
PY
  cleanup_hooks+=("runc --root '$WORK/runc' delete --force $id >/dev/null 2>&1")
  timeout 120 runc --root "$WORK/runc" run -b "$bundle" "$id" </dev/null >"$out" 2>&1 ||
    { cat "$out"; fail "runc run mlbox-trainer --probe"; }
}
