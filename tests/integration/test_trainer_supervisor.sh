#!/usr/bin/env bash
# Supervisor mode against scripted child processes: exit codes, timestamps, signal forwarding
# to the whole process group, SIGTERM grace period, checkpoint restore/sync, summary.json.
set -euo pipefail
T="${MLBOX_TRAINER:?MLBOX_TRAINER must point at mlbox-trainer}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# wait_file FILE PID: waits until FILE exists (120 s at most, failing then, or as soon as PID
# has exited): the scripted children say when their traps are in place, so no signal is sent
# before a handler exists, however slow the machine.
wait_file() {
  for _ in $(seq 1200); do
    [ -e "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || fail "process $2 exited before $1 appeared"
    sleep 0.1
  done
  fail "$1 did not appear within 120 s"
}

echo "== success, timestamps, layout in the child's environment"
export MLBOX_OUTPUT_DIR="$WORK/out"
"$T" -- sh -c 'echo "dir=$MLBOX_MODEL_DIR job=$MLBOX_JOB_ID"' >stdout.txt 2>stderr.txt || fail "rc $?"
grep -Eq '^20[0-9-]+T[0-9:.]+Z dir='"$WORK"'/out/model job=local$' stdout.txt || fail "stdout: $(cat stdout.txt)"
[ "$(json out/summary.json 'd["outcome"]')" = succeeded ] || fail "summary outcome"
[ ! -e out/failure ] || fail "failure file after success"

echo "== failure keeps the child's code and writes the reason"
set +e; "$T" -- sh -c 'echo boom-reason >&2; exit 3' >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 3 ] || fail "expected 3, got $rc"
grep -q boom-reason out/failure || fail "failure file: $(cat out/failure)"
[ "$(json out/summary.json 'd["outcome"]')" = failed ] || fail "summary outcome"

echo "== a command that cannot start: 127"
set +e; "$T" -- /nonexistent/prog >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 127 ] || fail "expected 127, got $rc"

echo "== SIGUSR1 is forwarded to the process group (grandchild included)"
cat > child_usr1.sh <<'SH'
sh -c 'trap "echo grandchild-usr1 > gc.txt; exit 0" USR1; echo ready > gc-ready.txt; while :; do sleep 0.05; done' &
trap 'echo child-usr1 > c.txt; wait; exit 0' USR1
echo ready > ready.txt
while :; do sleep 0.05; done
SH
"$T" -- sh child_usr1.sh >/dev/null 2>&1 & SUP=$!
wait_file ready.txt $SUP
wait_file gc-ready.txt $SUP
kill -USR1 $SUP
wait $SUP || fail "rc $? after USR1"
[ -e c.txt ] && [ -e gc.txt ] || fail "USR1 not delivered to the group"

echo "== SIGTERM: child saves a checkpoint, supervisor syncs it and exits 75 (preempted)"
rm -rf ready.txt out; mkdir -p dest
echo old > dest/restored.txt
cat > child_term.sh <<'SH'
[ -e "$MLBOX_CHECKPOINT_DIR/restored.txt" ] && echo restored-ok > restore_seen.txt
echo step1 > "$MLBOX_CHECKPOINT_DIR/ckpt-1"
trap 'echo final > "$MLBOX_CHECKPOINT_DIR/ckpt-final"; exit 0' TERM
echo ready > ready.txt
while :; do sleep 0.05; done
SH
set +e
MLBOX_CHECKPOINT_DIR="$WORK/dest" "$T" --stage-checkpoints "$WORK/stage" --sync-interval 0.3 \
  -- sh child_term.sh >/dev/null 2>sup.err & SUP=$!
wait_file ready.txt $SUP
# ckpt-1 was written before ready.txt: only the periodic sync (every 0.3 s) can copy it.
for _ in $(seq 1200); do [ -e dest/ckpt-1 ] && break; sleep 0.1; done
[ -e dest/ckpt-1 ] || fail "periodic sync did not copy ckpt-1 while the job ran (120 s)"
kill -TERM $SUP; wait $SUP; rc=$?; set -e
[ $rc -eq 75 ] || fail "expected 75, got $rc: $(cat sup.err)"
[ -e restore_seen.txt ] || fail "checkpoint not restored into staging before start"
[ "$(cat dest/ckpt-final)" = final ] || fail "final checkpoint not synced"
[ "$(json out/summary.json 'd["outcome"]')" = preempted ] || fail "summary outcome"
grep -q preempted out/failure || fail "failure reason"

echo "== SIGTERM ignored: SIGKILL after the grace period"
rm -f ready.txt
cat > child_stubborn.sh <<'SH'
trap '' TERM
echo ready > ready.txt
while :; do sleep 0.05; done
SH
set +e
"$T" --grace 1 -- sh child_stubborn.sh >/dev/null 2>sup.err & SUP=$!
wait_file ready.txt $SUP
start=$(date +%s.%N)
kill -TERM $SUP; wait $SUP; rc=$?; set -e
elapsed=$(python3 -c "import time; print(time.time() - $start)")
[ $rc -eq 75 ] || fail "expected 75, got $rc"
[ "$(json out/summary.json 'd["killed_after_grace"]')" = True ] || fail "not killed after grace"
python3 -c "import sys; sys.exit(0 if 0.9 < $elapsed < 30 else 1)" || fail "grace took $elapsed s"
grep -q "grace period of 1000 ms is over" sup.err || fail "no grace note"

echo "== summary.json accumulates attempts"
MLBOX_ATTEMPT=2 "$T" -- true >/dev/null 2>&1
[ "$(json out/summary.json 'len(d["attempts"])')" = 2 ] || fail "attempts: $(cat out/summary.json)"
[ "$(json out/summary.json 'd["attempts"][0]["outcome"]')" = preempted ] || fail "attempt 1"

echo "== --require-gpu without a GPU refuses to start (69)"
set +e; "$T" --require-gpu -- true >/dev/null 2>err.txt; rc=$?; set -e
if "$T" --probe | grep -q "matmul ok" && "$T" --probe | grep -q '^cuda:'; then
  [ $rc -eq 0 ] || fail "GPU present but rc $rc"
else
  [ $rc -eq 69 ] || fail "expected 69, got $rc"
  grep -q "ERROR: the job asked for GPUs" err.txt || fail "no loud message"
fi
echo PASS
