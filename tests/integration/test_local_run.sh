#!/usr/bin/env bash
# mlbox run on this machine: a busybox image (hand-made OCI layout) through runc -- env
# contract, read-only root, pid namespace, output bind mount, failure exit code 7, logs,
# status, jobs, fetch, cancel and a preemption that resumes from the checkpoint -- and the
# fallback without runc (host mlbox-trainer).
source "$(dirname "$0")/lib.sh"
HAND="$MLBOX_SOURCE_DIR/tests/integration/local/oci_by_hand.py"
BB=/bin/busybox
[ -x "$BB" ] || fail "busybox-static is missing (scripts/install-deps.sh installs it)"
PROJ="$WORK/proj"
mkdir -p "$PROJ"
cd "$PROJ"

# The image: busybox with applet links, WorkingDir /work, a script as Cmd.
python3 - "$WORK/spec.json" "$BB" <<'PY'
import json, sys
bb = sys.argv[2]
entries = [{"path": "bin", "type": "dir"}, {"path": "bin/busybox", "src": bb, "mode": "0755"}]
for a in ["sh", "echo", "cat", "sleep", "mkdir", "touch", "hostname", "ls", "pwd", "id", "test", "["]:
    entries.append({"path": "bin/" + a, "type": "symlink", "target": "busybox"})
entries += [{"path": "etc", "type": "dir"}, {"path": "etc/passwd", "data": "root:x:0:0::/root:/bin/sh\n"},
            {"path": "work", "type": "dir"}, {"path": "work/train.sh", "mode": "0755", "data": r'''#!/bin/sh
set -e
echo "hello from $MLBOX_JOB_ID attempt $MLBOX_ATTEMPT in $(pwd)"
echo "output=$MLBOX_OUTPUT_DIR model=$MLBOX_MODEL_DIR ckpt=$MLBOX_CHECKPOINT_DIR data=$MLBOX_DATA_DIR tb=$MLBOX_TENSORBOARD_DIR"
echo "pid=$$ greeting=$GREETING"
mkdir -p "$MLBOX_MODEL_DIR" "$MLBOX_TENSORBOARD_DIR"
echo weights > "$MLBOX_MODEL_DIR/model.txt"
echo '{"loss": [1.0, 0.5]}' > "$MLBOX_OUTPUT_DIR/history.json"
if touch /rootfs-write-test 2>/dev/null; then echo "root is WRITABLE"; else echo "root is read-only"; fi
touch /tmp/ok && echo "tmp is writable"
'''},
            {"path": "work/loop.sh", "mode": "0755", "data": r'''#!/bin/sh
mkdir -p "$MLBOX_CHECKPOINT_DIR"
if [ -f "$MLBOX_CHECKPOINT_DIR/ckpt" ]; then
  echo "attempt $MLBOX_ATTEMPT resumed from $(cat "$MLBOX_CHECKPOINT_DIR/ckpt")"; exit 0
fi
trap 'echo "attempt $MLBOX_ATTEMPT saving"; echo step7 > "$MLBOX_CHECKPOINT_DIR/ckpt"; exit 75' TERM
echo ready
while :; do sleep 0.1; done
'''}]
spec = {"layers": [{"compression": "gzip", "entries": entries}],
        "config": {"Env": ["PATH=/bin", "GREETING=from-image"], "WorkingDir": "/work",
                   "Cmd": ["/bin/sh", "train.sh"]}}
json.dump(spec, open(sys.argv[1], "w"))
PY
python3 "$HAND" "$PROJ/.mlbox/oci" latest "$WORK/spec.json" >/dev/null


# 1. runc: success, env contract, isolation.
expect_rc 0 "$MLBOX" run -e GREETING=from-job
grep -q "hello from local-" "$WORK/stdout" || { cat "$WORK/stdout" "$WORK/stderr"; fail "no job output"; }
grep -q "in /work" "$WORK/stdout" || fail "cwd is not the image's WorkingDir"
grep -q "output=/mlbox/output model=/mlbox/output/model ckpt=/mlbox/output/checkpoints data=/mlbox/data tb=/mlbox/output/tensorboard" "$WORK/stdout" ||
  { cat "$WORK/stdout"; fail "env contract"; }
grep -q "pid=1 greeting=from-job" "$WORK/stdout" || fail "not pid 1 in its own namespace, or --env lost"
grep -q "root is read-only" "$WORK/stdout" || fail "rootfs is writable"
grep -q "tmp is writable" "$WORK/stdout" || fail "/tmp not writable"
grep -q "runc is not used" "$WORK/stderr" && fail "runc not used although root with runc"
id=$("$MLBOX" --json jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$(job_field "$id" '["state"]')" = SUCCEEDED ] || fail "state"
out=$(job_field "$id" '["output_dir"]')
[ "$(cat "$out/model/model.txt")" = weights ] || fail "model not in the output dir"
pass "runc run: env contract, pid namespace, read-only root, writable /tmp, output bind mount"

expect_rc 0 "$MLBOX" logs "${id:0:18}"
grep -q "hello from $id attempt 1" "$WORK/stdout" || fail "mlbox logs by prefix"
expect_rc 0 "$MLBOX" fetch "$id" -o "$WORK/fetched"
[ -f "$WORK/fetched/model/model.txt" ] && [ -f "$WORK/fetched/history.json" ] || fail "fetch"
expect_rc 0 "$MLBOX" jobs
grep -q "$id.*SUCCEEDED" "$WORK/stdout" || fail "jobs table"
pass "logs (prefix), fetch, jobs"

# 1b. fetch never deletes what it did not create, nor writes outside -o (issue 13).
mkdir -p "$WORK/mine" && echo keep >"$WORK/mine/notes.txt"
expect_rc 2 "$MLBOX" fetch "$id" -o "$WORK/mine"
grep -q "is not empty" "$WORK/stderr" || { cat "$WORK/stderr"; fail "no reason for the refusal"; }
[ "$(cat "$WORK/mine/notes.txt")" = keep ] && [ ! -e "$WORK/mine/model" ] || fail "fetch touched a non-empty folder"
expect_rc 0 "$MLBOX" fetch "$id" -o "$WORK/mine" --force
[ "$(cat "$WORK/mine/notes.txt")" = keep ] && [ -f "$WORK/mine/model/model.txt" ] || fail "--force did not merge"
mkdir -p "$WORK/here" && echo keep >"$WORK/here/notes.txt"
(cd "$WORK/here" && expect_rc 2 "$MLBOX" fetch "$id" -o . --force)
(cd "$WORK/here" && expect_rc 2 "$MLBOX" -C "$PROJ" fetch "$id" -o "$PROJ" --force)
[ "$(ls "$WORK/here")" = notes.txt ] || fail "fetch -o . wrote into the current folder"
mkdir -p "$WORK/host-secrets"
ln -s "$WORK/host-secrets" "$out/evil"
expect_rc 6 "$MLBOX" fetch "$id" -o "$WORK/linked"
grep -q "outside the job's outputs" "$WORK/stderr" || { cat "$WORK/stderr"; fail "link not refused"; }
[ ! -e "$WORK/linked" ] || [ -z "$(ls -A "$WORK/linked")" ] || fail "files written before the link was refused"
rm "$out/evil"
pass "fetch: non-empty -o refused (kept), --force merges, '.' and the project refused, links out refused"

# 2. A failing command: exit 7, FAILED, the exit code recorded.
expect_rc 7 "$MLBOX" run -- /bin/sh -c 'echo failing; exit 3'
grep -q "FAILED (exit code 3)" "$WORK/stderr" || { cat "$WORK/stderr"; fail "failure message"; }
fid=$("$MLBOX" --json jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$(job_field "$fid" '["attempts"][0]["exit_code"]')" = 3 ] || fail "exit code not recorded"
pass "failing job: exit 7, FAILED, exit code 3 recorded"

# 2b. Why did it fail? status (no id: the newest job) and logs name the reason the trainer
# wrote to output/failure and show the job's last lines (was: "job is required", and only
# "job failed (exited with code 127)").
expect_rc 7 "$MLBOX" run -- /bin/sh -c 'echo "loading data"; echo "cannot run python train.py: No such file or directory" >"$MLBOX_OUTPUT_DIR/failure"; exit 127'
expect_rc 0 "$MLBOX" status
grep -q "state:    FAILED" "$WORK/stdout" || { cat "$WORK/stdout"; fail "status without an id: not the newest job"; }
grep -q "reason:   cannot run python train.py: No such file or directory" "$WORK/stdout" ||
  { cat "$WORK/stdout"; fail "status does not say why the job failed"; }
grep -q "  | loading data" "$WORK/stdout" || { cat "$WORK/stdout"; fail "status does not show the last lines"; }
expect_rc 0 "$MLBOX" logs
grep -q "loading data" "$WORK/stdout" || fail "logs without an id: not the newest job"
grep -q "failed: cannot run python train.py" "$WORK/stderr" || { cat "$WORK/stderr"; fail "logs does not say why"; }
"$MLBOX" --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "cannot run python" in d["failure"]["reason"], d' ||
  fail "status --json has no failure reason"
pass "failed job: status and logs (newest job by default) give the reason and the last lines"

# 3. Preemption: SIGTERM, checkpoint, attempt 2 resumes from it.
pid_json=$("$MLBOX" --json run --detach -- /bin/sh /work/loop.sh)
pid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$pid_json")
wait_for 120 sh -c "'$MLBOX' logs $pid | grep -q ready" || fail "detached job never started"
expect_rc 0 "$MLBOX" cancel "$pid" --preempt --grace 10
wait_for 120 sh -c "[ \"\$('$MLBOX' --json status $pid | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = SUCCEEDED ]" ||
  { "$MLBOX" status "$pid"; fail "preempted job did not finish"; }
[ "$(job_field "$pid" '["attempts"][0]["exit_code"]')" = 75 ] || fail "attempt 1 not exit 75"
[ "$(job_field "$pid" '["attempts"][0]["outcome"]')" = preempted ] || fail "attempt 1 not preempted"
"$MLBOX" logs "$pid" >"$WORK/plogs"
grep -q "attempt 1 saving" "$WORK/plogs" && grep -q "attempt 2 resumed from step7" "$WORK/plogs" ||
  { cat "$WORK/plogs"; fail "attempt 2 did not resume from the checkpoint"; }
pass "cancel --preempt: attempt 1 checkpointed (75), attempt 2 resumed and succeeded"
# fetch leaves checkpoints/ out unless asked for, as for a cloud job (issue 14, trap 7).
expect_rc 0 "$MLBOX" fetch "$pid" -o "$WORK/no-ckpt"
[ ! -e "$WORK/no-ckpt/checkpoints" ] || fail "fetch of a local job copied checkpoints/ unasked"
expect_rc 0 "$MLBOX" fetch "$pid" -o "$WORK/with-ckpt" --checkpoints
[ "$(cat "$WORK/with-ckpt/checkpoints/ckpt")" = step7 ] || fail "fetch --checkpoints did not copy them"
pass "fetch of a local job: checkpoints/ only with --checkpoints"

# 4. Cancel: CANCELLED, no retry.
cid=$("$MLBOX" run --detach -- /bin/sh /work/loop.sh)
wait_for 120 sh -c "'$MLBOX' logs $cid | grep -q ready" || fail "detached job never started"
"$MLBOX" logs -f "$cid" >"$WORK/follow.txt" 2>&1 &
follower=$!
cleanup_hooks+=("kill $follower 2>/dev/null")
expect_rc 0 "$MLBOX" cancel "$cid" --grace 10
wait_for 60 sh -c "! kill -0 $follower" || fail "logs -f did not stop when the job ended"
grep -q ready "$WORK/follow.txt" || fail "logs -f printed nothing"
wait_for 60 sh -c "[ \"\$('$MLBOX' --json status $cid | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = CANCELLED ]" ||
  fail "cancelled job is not CANCELLED"
[ "$(job_field "$cid" '["attempts"].__len__()')" = 1 ] || fail "a cancelled job was retried"
expect_rc 2 "$MLBOX" cancel "$cid"
pass "cancel: CANCELLED, not retried, logs -f ends with the job; cancelling again is a usage error"

# 4b. A runner killed with SIGKILL: status reports the job FAILED instead of RUNNING forever.
kid=$("$MLBOX" run --detach -- /bin/sh /work/loop.sh)
wait_for 120 sh -c "'$MLBOX' logs $kid | grep -q ready" || fail "detached job never started"
runner=$(job_field "$kid" '["details"]["runner_pid"]')
child=$(job_field "$kid" '["details"]["pid"]')
kill -KILL "$runner"
cleanup_hooks+=("kill -TERM $child 2>/dev/null")
wait_for 60 sh -c "! kill -0 $runner 2>/dev/null || grep -q '^State:.*Z' /proc/$runner/status" || fail "runner survived SIGKILL"
expect_rc 0 "$MLBOX" status "$kid"
grep -q "state:    FAILED" "$WORK/stdout" || { cat "$WORK/stdout" "$WORK/stderr"; fail "lost job not FAILED"; }
grep -q "runner process is gone" "$WORK/stderr" || fail "no warning for the lost job"
kill -TERM "$child" 2>/dev/null || true
pass "runner killed: status marks the job FAILED"

# 5. Without runc the image's command never runs on the host by surprise (issue 13): a run
# is refused unless the host is asked for (--no-runc, MLBOX_NO_RUNC=1), and then mlbox says
# plainly that the command runs on this host as this user.
mkdir -p "$WORK/no-runc-path"
ln -sf "$(command -v python3)" "$WORK/no-runc-path/python3"
PATH="$WORK/no-runc-path" expect_rc 3 "$MLBOX" run -o "$WORK/refused-out"
grep -q "runc is not installed" "$WORK/stderr" && grep -q -- "--no-runc" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no refusal without runc"; }
[ ! -e "$WORK/refused-out/model" ] || fail "the command ran on the host without being asked"
if [ -z "${MLBOX_TRAINER:-}" ] || [ ! -x "$MLBOX_TRAINER" ]; then
  fail "MLBOX_TRAINER must point at a built mlbox-trainer for the host-process test"
fi
expect_rc 0 "$MLBOX" run --no-runc -o "$WORK/host-out"
grep -q "the image's command runs on this host as $(id -un) (uid $(id -u)), outside any container (--no-runc was given)" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "no plain warning"; }
grep -q "hello from local-.* attempt 1 in $MLBOX_HOME/cache/rootfs/.*/work" "$WORK/stdout" ||
  { cat "$WORK/stdout"; fail "host-process cwd is not the rootfs WorkingDir"; }
grep -q "output=$WORK/host-out " "$WORK/stdout" || fail "host-process env contract (host paths)"
[ "$(cat "$WORK/host-out/model/model.txt")" = weights ] || fail "host-process output"
MLBOX_NO_RUNC=1 expect_rc 7 "$MLBOX" run -- /bin/sh -c 'exit 4'
grep -q "MLBOX_NO_RUNC is set" "$WORK/stderr" || fail "MLBOX_NO_RUNC not honoured"
pass "without runc: refused unless asked; --no-runc / MLBOX_NO_RUNC=1 run on the host, said plainly"
