#!/usr/bin/env bash
# The embedded default end to end, as the README's demo runs it: the native TorchScript
# example built by mlbox (busybox base from Debian's busybox-static), pushed to a real
# docker-registry started here, run with runc through `mlbox run`, fetched, and the model
# loaded in Python (python3-torch) with the accuracy the run reported. The digest skopeo
# sees in the registry is the one the job ran. Then the same image without runc (host
# fallback) gives the same model, and a `cancel --preempt` rehearsal resumes attempt 2 from
# the checkpoint.
source "$(dirname "$0")/lib.sh"
: "${MLBOX_TRAINER:?the end-to-end test needs mlbox-trainer (build with MLBOX_BUILD_TRAINER=ON)}"
PY=/usr/bin/python3
SRC="$MLBOX_SOURCE_DIR"
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
job_state() { "$MLBOX" --json status "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

# A registry of our own on a free port.
PORT=$(free_port)
cat > "$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/registry}}
http: {addr: 127.0.0.1:$PORT}
YAML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
cleanup_hooks+=("kill $REG_PID")
wait_for 60 curl -fsS "http://127.0.0.1:$PORT/v2/" || fail "docker-registry did not start"

BASE=$(bash "$SRC/docker/make-busybox-base.sh" "$WORK/bases")
P="$WORK/native-digits"
cp -r "$SRC/examples/native-digits" "$P"
bash "$P/prepare.sh"
cd "$P"
# Shorter than the example (4 epochs), same model and data.
sed -i "s|^framework:|image:\n  repository: 127.0.0.1:$PORT/e2e/native-digits\n  base: \"$BASE\"\nframework:|; s|^    epochs: 10|    epochs: 4|" mlbox.yaml

"$MLBOX" freeze --no-index --find-links "$(torch_wheelhouse)" >/dev/null
"$MLBOX" --json build >"$WORK/build.json"
DIGEST=$(json "$WORK/build.json" 'd["digest"]')
"$MLBOX" --json push >"$WORK/push.json"
[ "$(json "$WORK/push.json" 'd["digest"]')" = "$DIGEST" ] || fail "push digest differs from build digest"
REMOTE=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$PORT/e2e/native-digits:latest" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
[ "$REMOTE" = "$DIGEST" ] || fail "skopeo sees $REMOTE, mlbox built $DIGEST"
pass "build -> push: skopeo sees the built digest ($DIGEST)"

# Run the image with runc.
expect_rc 0 "$MLBOX" run
JOB=$("$MLBOX" --json jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$MLBOX" --json status "$JOB" >"$WORK/job.json"
[ "$(json "$WORK/job.json" 'd["state"]')" = SUCCEEDED ] || fail "job not SUCCEEDED"
[ "$(json "$WORK/job.json" 'd["details"]["isolation"]')" = runc ] || fail "job did not run under runc"
[ "$(json "$WORK/job.json" 'd["image_digest"]')" = "$DIGEST" ] || fail "job ran another digest"
"$MLBOX" fetch "$JOB" -o "$WORK/out-runc" >/dev/null
[ -f "$WORK/out-runc/model/model.pt" ] || fail "fetch brought no model"
val_acc=$($PY -c "import json; print(json.load(open('$WORK/out-runc/history.json'))['history']['val_accuracy'][-1])")
read -r py_acc nval < <($PY "$SRC/tests/integration/trainer/digits_eval.py" "$WORK/out-runc/model/model.pt" 0.2)
$PY -c "import sys; sys.exit(0 if $val_acc >= 0.80 and abs($py_acc - $val_acc) <= 1.0/$nval + 1e-9 else 1)" ||
  fail "run reported val_accuracy $val_acc, Python measures $py_acc"
pass "mlbox run (runc) -> fetch: the model loads in python3-torch with accuracy $py_acc (run said $val_acc)"

# The same image on the host fallback: the same model.
expect_rc 0 "$MLBOX" run --no-runc
JOB2=$("$MLBOX" --json jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ "$JOB2" != "$JOB" ] || fail "no second job"
"$MLBOX" fetch "$JOB2" -o "$WORK/out-host" >/dev/null
cmp <($PY -c "import json; print(json.load(open('$WORK/out-runc/history.json'))['history'])") \
    <($PY -c "import json; print(json.load(open('$WORK/out-host/history.json'))['history'])") ||
  fail "host fallback trained differently"
read -r py_acc2 _ < <($PY "$SRC/tests/integration/trainer/digits_eval.py" "$WORK/out-host/model/model.pt" 0.2)
[ "$py_acc2" = "$py_acc" ] || fail "fallback model accuracy $py_acc2 != $py_acc"
pass "runc unavailable (--no-runc): the host fallback produces the same model"

# Preemption rehearsal: cancel --preempt during training; attempt 2 resumes and finishes.
sed -i 's|^    epochs: 4|    epochs: 12|' mlbox.yaml
"$MLBOX" build >/dev/null
JOB3=$("$MLBOX" run --detach)
wait_for 120 sh -c "ls '$MLBOX_HOME/jobs/$JOB3/output/checkpoints/'ckpt-* 2>/dev/null | grep -q ." ||
  { "$MLBOX" logs "$JOB3"; fail "no checkpoint appeared"; }
expect_rc 0 "$MLBOX" cancel "$JOB3" --preempt --grace 20
wait_for 600 sh -c "[ \"\$('$MLBOX' --json status $JOB3 | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = SUCCEEDED ]" ||
  { "$MLBOX" status "$JOB3"; fail "preempted job did not finish"; }
"$MLBOX" --json status "$JOB3" >"$WORK/job3.json"
[ "$(json "$WORK/job3.json" 'd["attempts"][0]["outcome"]')" = preempted ] || fail "attempt 1 not preempted"
[ "$(json "$WORK/job3.json" 'len(d["attempts"])')" = 2 ] || fail "expected 2 attempts"
"$MLBOX" logs "$JOB3" >"$WORK/logs3"
grep -q "resum" "$WORK/logs3" || { tail -20 "$WORK/logs3"; fail "attempt 2 did not resume from a checkpoint"; }
pass "cancel --preempt: attempt 1 preempted, attempt 2 resumed from its checkpoint and succeeded"
