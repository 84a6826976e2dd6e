#!/usr/bin/env bash
# mlbox submit to AWS Batch, end to end through the CLI against the strict AWS fake (ECR,
# Batch, CloudWatch Logs validated against the botocore models, SigV4 checked), a real
# docker-registry behind the ECR host name, and s3rver behind the fake's SigV4-verifying S3
# proxy: push, data staging (only changed files move), submit -> spot reclaim on attempt 1
# -> attempt 2 SUCCEEDED, logs -f across both attempts, fetch of the model, the job history
# surviving a new process, --dry-run, and cancel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"

start_batch_world --batch-spot-reclaim

PROJ=$WORK/proj
make_image "$PROJ" latest "1M,200K" 11 >/dev/null
mkdir -p "$PROJ/data"
printf 'a,1\n' >"$PROJ/data/a.csv"
head -c 300000 /dev/urandom >"$PROJ/data/b.bin"
write_batch_manifest "$PROJ" "data:
  train: data"
cd "$PROJ"
SUBMIT=("$MLBOX" submit --target batch --no-build --insecure-registry "$HOST")  # a synthetic image

# --- dry run: the exact requests, nothing sent -------------------------------------------
: >"$AWS_FAKE_LOG"
expect_rc 0 "${SUBMIT[@]}" --dry-run
python3 - "$WORK/stdout" <<'PY' || fail "dry-run output: $(cat "$WORK/stdout")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["dry_run"] and d["backend"] == "aws-batch", d
s = d["spec"]
assert s["machine"] == "g4dn.xlarge" and s["spot"] and s["gpu_count"] == 1, s
assert s["output_uri"].startswith("s3://mlbox-out/runs/aws-batch-"), s
assert d["requests"], d
assert "secret" not in json.dumps(d).lower()
PY
# The dry run reads (issue 18: HEADs tell the bytes a push would send, after ECR's registry
# login) and writes nothing: no other AWS call, nothing in the registry.
[ "$(fake_log_count 'e.get("operation") != "GetAuthorizationToken"')" = 0 ] ||
  { cat "$AWS_FAKE_LOG"; fail "--dry-run sent requests"; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -u "AWS:$ECR_PW" "http://127.0.0.1:$REG_PORT/v2/team/digits/tags/list")" = 404 ] ||
  fail "--dry-run pushed"
grep -q "push: .* in 3 of 3 blobs the registry lacks; pull: " "$WORK/stderr" || fail "dry-run push estimate: $(cat "$WORK/stderr")"
timeout 20 "$MLBOX" jobs --json | python3 -c 'import json,sys; assert json.load(sys.stdin) == []' ||
  fail "--dry-run left a job record"
pass "--dry-run prints the spec and requests, writes nothing (reads only for the push estimate), records nothing"

# --- submit, follow: spot reclaim on attempt 1, attempt 2 succeeds -------------------------
expect_rc 0 timeout 120 "${SUBMIT[@]}" --follow
grep -q "── attempt 1 ──" "$WORK/stdout" && grep -q "── attempt 2 ──" "$WORK/stdout" ||
  { cat "$WORK/stdout" "$WORK/stderr"; fail "logs -f did not show both attempts"; }
grep -q "data train: 2 files, 2 uploaded" "$WORK/stderr" ||
  { cat "$WORK/stderr"; fail "data staging message"; }
ID=$(timeout 20 "$MLBOX" --json jobs | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
timeout 20 "$MLBOX" --json status "$ID" >"$WORK/status.json"
python3 - "$WORK/status.json" <<'PY' || fail "status: $(cat "$WORK/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "SUCCEEDED", d["state"]
a = d["attempts"]
assert len(a) == 2 and a[0]["outcome"] == "preempted" and a[1]["outcome"] == "succeeded", a
PY
[ "$(fake_log_count 'e.get("operation") == "RegisterJobDefinition"')" = 1 ] || fail "expected one definition"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { grep rejected "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
pass "submit --follow: attempt 1 preempted (Host EC2), attempt 2 SUCCEEDED, both attempts' logs"

# --- logs again from a new process, fetch, jobs table ---------------------------------------
expect_rc 0 timeout 30 "$MLBOX" logs "${ID:0:22}"
grep -q "── attempt 2 ──" "$WORK/stdout" || fail "mlbox logs (prefix) after the fact"
expect_rc 0 timeout 30 "$MLBOX" fetch "$ID" -o "$WORK/fetched"
[ -s "$WORK/fetched/model/model.pt" ] && [ -s "$WORK/fetched/history.json" ] ||
  { ls -R "$WORK/fetched"; fail "fetch did not bring the model and history.json"; }
expect_rc 0 timeout 20 "$MLBOX" jobs
grep -q "$ID .*aws-batch *g4dn.xlarge T4x1 spot *SUCCEEDED *2 " "$WORK/stdout" ||
  { cat "$WORK/stdout"; fail "jobs table row"; }
pass "logs by prefix, fetch (model.pt, history.json), jobs table with machine/state/attempts"

# --- a second submit: the unchanged data is not uploaded again -----------------------------
expect_rc 0 timeout 120 "${SUBMIT[@]}"
grep -q "data train: 2 files, 0 uploaded" "$WORK/stderr" || { cat "$WORK/stderr"; fail "data re-uploaded"; }
ID2=$(cat "$WORK/stdout")
[ "$(fake_log_count 'e.get("operation") == "RegisterJobDefinition"')" = 1 ] ||
  fail "an identical job definition was registered again"
expect_rc 0 timeout 30 "$MLBOX" cancel "$ID2"
[ "$(timeout 20 "$MLBOX" --json status "$ID2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = CANCELLED ] ||
  fail "cancelled job state"
[ "$(fake_log_count 'e.get("operation") in ("CancelJob", "TerminateJob")')" = 1 ] || fail "no cancel request"
pass "resubmit: data not re-uploaded, definition reused; cancel"

# --- bad input: no credentials -> exit 4 and no record ----------------------------------------
n=$(timeout 20 "$MLBOX" --json jobs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; expect_rc 4 timeout 60 "${SUBMIT[@]}")
[ "$(timeout 20 "$MLBOX" --json jobs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$n" ] ||
  fail "a refused submit left a record"
pass "missing AWS credentials -> exit 4, no record"
