#!/usr/bin/env bash
# mlbox watch and mlbox report on cloud jobs, through the fakes: an AWS Batch job (the strict
# AWS fake, s3rver behind its SigV4-verifying S3 proxy, a spot reclaim of attempt 1) and a
# Vertex job (vertex_fake.py and its Cloud Storage part). Each fake holds the job's last
# attempt RUNNING while the test plays its container: the real mlbox-trainer with the job's
# environment (bucket destinations, live metrics every 0.3 s) runs a command that appends
# metrics.jsonl lines behind gates the test opens. `mlbox watch --json` must show the stage
# from the backend's state and attempts and the metrics from the bucket before the job ends;
# `mlbox report` then plots exactly the bucket's metrics, the attempts, and the image's lock
# digest and base that the job record kept at submit time (the image store is gone by then).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"
: "${MLBOX_TRAINER:?}"
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
LOCK="sha256:$(printf 'mlbox.lock of the test' | sha256sum | cut -d' ' -f1)"
BASE="python:3.11-slim@sha256:$(printf 'base' | sha256sum | cut -d' ' -f1)"

# make_labelled_image PROJECT TAG: a synthetic image whose labels name LOCK and BASE.
make_labelled_image() {
  python3 "$FAKES/make_oci_image.py" "$1/.mlbox/oci" "$2" --layers 200K --seed 7 \
    --label "io.mlbox.lock.digest=$LOCK" --label "org.opencontainers.image.base.name=$BASE" >/dev/null
}
# jsonl_has FILE EXPR: some JSON line of FILE satisfies EXPR (python, on `d`).
jsonl_has() {
  python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
        if eval(sys.argv[2]):
            sys.exit(0)
    except (ValueError, KeyError, TypeError):
        pass
sys.exit(1)
PY
}
wait_jsonl() {  # FILE EXPR WHAT: 90 s at most
  local i
  for i in $(seq 900); do jsonl_has "$1" "$2" && return 0; sleep 0.1; done
  tail -5 "$1"; cat "${1%.jsonl}.err" 2>/dev/null || true
  fail "mlbox watch never showed $3"
}
# The container's command: one metrics.jsonl line, then one more per gate, then the end.
cat >"$WORK/train.sh" <<'SH'
set -e
echo '{"step": 1, "loss": 0.8, "accuracy": 0.6}' >>"$MLBOX_OUTPUT_DIR/metrics.jsonl"
while [ ! -e "$GATE/1" ]; do sleep 0.1; done
echo '{"step": 2, "loss": 0.5, "accuracy": 0.75}' >>"$MLBOX_OUTPUT_DIR/metrics.jsonl"
while [ ! -e "$GATE/2" ]; do sleep 0.1; done
SH
# play_container NAME ENVFILE: runs the trainer with the environment in ENVFILE (KEY=VALUE
# lines) and the gated command; the watch of JOB (WATCH file) must show step 1, then step 2,
# from the bucket while the job is RUNNING; then the command ends.
play_container() {
  local name=$1 envfile=$2 watch=$3 gate="$WORK/gate-$1" env_lines
  mkdir -p "$gate"
  mapfile -t env_lines <"$envfile"
  env "${env_lines[@]}" GATE="$gate" MLBOX_METRICS_SYNC_SECONDS=0.3 \
    timeout 180 "$MLBOX_TRAINER" -- /bin/sh "$WORK/train.sh" >"$WORK/$name-trainer.out" 2>&1 &
  local pid=$!
  cleanup_hooks+=("kill $pid 2>/dev/null")
  wait_jsonl "$watch" "d['state'] == 'RUNNING' and d['metrics']['loss']['points'] == 1" \
    "$name: step 1 from the bucket while the job runs"
  kill -0 $pid 2>/dev/null || { cat "$WORK/$name-trainer.out"; fail "$name: the container ended early"; }
  touch "$gate/1"
  wait_jsonl "$watch" "d['state'] == 'RUNNING' and d['metrics']['loss']['points'] == 2 and d['metrics']['accuracy']['last'] == 0.75" \
    "$name: step 2 from the bucket while the job runs"
  touch "$gate/2"
  wait $pid || { cat "$WORK/$name-trainer.out"; fail "$name: the trainer failed"; }
}
# check_watch NAME FILE STAGES...: the JSON lines of a watch that ended: every one an object,
# the loss points never going back, the stages (consecutive repeats merged) holding STAGES in
# order, the last update SUCCEEDED with both metrics.jsonl lines.
check_watch() {
  local name=$1 file=$2
  shift 2
  python3 - "$file" "$@" <<'PY' || fail "$name: the watch's JSON lines do not follow the job"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = sys.argv[2:]
stages = []
for d in lines:
    if not stages or stages[-1] != d["stage"]:
        stages.append(d["stage"])
it = iter(stages)
assert all(s in it for s in want), f"stages {stages}, expected in order {want}"
points = [d["metrics"].get("loss", {}).get("points", 0) for d in lines]
assert points == sorted(points), points
last = lines[-1]
assert last["state"] == "SUCCEEDED", last
assert last["metrics"]["loss"] == {"x": 2, "last": 0.5, "points": 2}, last["metrics"]
print(f"  {len(lines)} updates; stages: {' -> '.join(stages)}")
PY
}
# check_report NAME JOB OUTCOMES: the HTML run card plots the bucket's metrics.jsonl, shows
# the attempts (python list of outcomes) and the lock digest and base from the job record.
check_report() {
  local name=$1 job=$2 outcomes=$3
  expect_rc 0 timeout 60 "$MLBOX" report "$job" -o "$WORK/$name.html"
  python3 - "$WORK/$name.html" "$outcomes" "$LOCK" "$BASE" <<'PY' || fail "$name: the run card"
import ast, sys
from html.parser import HTMLParser
html, outcomes, lock, base = open(sys.argv[1]).read(), ast.literal_eval(sys.argv[2]), sys.argv[3], sys.argv[4]
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.points = {}; s.attempts = {}
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag == "circle" and "pt" in (a.get("class") or "").split():
            s.points.setdefault(a["data-metric"], []).append((float(a["data-x"]), float(a["data-y"])))
        if tag == "rect" and "data-attempt" in a:
            s.attempts[int(a["data-attempt"])] = a.get("data-outcome")
p = P(); p.feed(html)
assert sorted(p.points["loss"]) == [(1, 0.8), (2, 0.5)], p.points
assert sorted(p.points["accuracy"]) == [(1, 0.6), (2, 0.75)], p.points
assert [p.attempts[k] for k in sorted(p.attempts)] == outcomes, p.attempts
assert lock in html, "no lock digest"
assert base in html, "no base image"
PY
  expect_rc 0 timeout 60 "$MLBOX" report "$job" --format md
  grep -qF "| lock digest | \`$LOCK\` |" "$WORK/stdout" || { cat "$WORK/stdout"; fail "$name: Markdown card without the lock digest"; }
  grep -qF "| base image | \`$BASE\` |" "$WORK/stdout" || fail "$name: Markdown card without the base"
}

# ================================ AWS Batch ================================================
start_batch_world --batch-spot-reclaim

PROJ=$WORK/batch-proj
make_labelled_image "$PROJ" latest
write_batch_manifest "$PROJ"
cd "$PROJ"
curl -sf -X POST -d '{"on": true}' "$AWS_FAKE_URL/__fake/batch/hold" >/dev/null || fail "the Batch fake has no hold"
expect_rc 0 timeout 120 "$MLBOX" submit --target batch --no-build --insecure-registry "$HOST"
BID=$(cat "$WORK/stdout")
cd "$WORK"
rm -rf "$PROJ/.mlbox"  # from here on no image store: the run card has only the record
"$MLBOX" watch "$BID" --json --interval 0.3 >"$WORK/batch-watch.jsonl" 2>"$WORK/batch-watch.err" &
watcher=$!
cleanup_hooks+=("kill $watcher 2>/dev/null")
wait_jsonl "$WORK/batch-watch.jsonl" "d['stage'] == 'running attempt 2'" "attempt 2 running after the reclaim"
# The container of attempt 2: the environment Batch gives it (the fake's record of it).
curl -sf "$AWS_FAKE_URL/__fake/state" >"$WORK/batch-state.json"
python3 - "$WORK/batch-state.json" >"$WORK/batch.env" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))["batch"]["jobs"]
(job_id, job), = jobs.items()
for e in job["container"]["environment"]:
    print(e["name"] + "=" + e["value"])
print("AWS_BATCH_JOB_ID=" + job_id)
print("AWS_BATCH_JOB_ATTEMPT=2")
PY
grep -q "^MLBOX_MODEL_DIR=s3://mlbox-out/runs/$BID/model$" "$WORK/batch.env" || { cat "$WORK/batch.env"; fail "the job's environment"; }
echo "AWS_ENDPOINT_URL_S3=$AWS_FAKE_URL" >>"$WORK/batch.env"
play_container batch "$WORK/batch.env" "$WORK/batch-watch.jsonl"
pass "Batch: watch shows step 1, then step 2, read from s3://mlbox-out/runs/$BID while attempt 2 runs"
curl -sf -X POST -d '{"on": false}' "$AWS_FAKE_URL/__fake/batch/hold" >/dev/null
for _ in $(seq 600); do kill -0 $watcher 2>/dev/null || break; sleep 0.1; done
wait $watcher || { cat "$WORK/batch-watch.err"; fail "Batch: watch exited $? for a succeeded job"; }
check_watch Batch "$WORK/batch-watch.jsonl" "running attempt 1" "attempt 1 preempted, queued to resume" \
  "pulling the image for attempt 2" "running attempt 2" "succeeded"
jsonl_has "$WORK/batch-watch.jsonl" "d['state'] == 'SUCCEEDED' and [a['outcome'] for a in d['attempts']] == ['preempted', 'succeeded']" ||
  fail "Batch: the last update does not show both attempts"
[ "$(fake_log_count 'e.get("service") == "s3" and e.get("operation", "").startswith("GET ") and e["operation"].endswith("/model/model.pt")')" = 0 ] ||
  fail "Batch: watch downloaded the model (it reads the metrics files only)"
pass "Batch: the stages follow Batch's states and attempts (reclaim, resume), ending succeeded; exit 0; no model downloaded"
check_report batch "$BID" "['preempted', 'succeeded']"
[ "$(fake_log_count 'e.get("service") == "s3" and e.get("operation", "").startswith("GET ") and e["operation"].endswith("/model/model.pt")')" -ge 1 ] ||
  fail "Batch: report did not fetch the outputs (or the model check above looks for the wrong request)"
pass "Batch: report plots the bucket's metrics, both attempts, lock digest and base from the record"

# ================================ Vertex AI ================================================
start_gcp_fakes
use_gcp_fakes
export MLBOX_ALLOW_LOCAL_REGISTRY=1
start_registry reg
PROJ=$WORK/vertex-proj
make_labelled_image "$PROJ" v1
write_vertex_manifest "$PROJ" "127.0.0.1:$REG_PORT/mlbox-test/digits"
cd "$PROJ"
curl -sf -X POST -d '{"on": true}' "$V/__fake/hold" >/dev/null || fail "the Vertex fake has no hold"
expect_rc 0 timeout 120 "$MLBOX" --json submit --target vertex --machine n1-standard-8 --tag v1 --no-build
VID=$(json "$WORK/stdout" 'd.get("id") or d.get("job_id") or d["job"]["id"]')
cd "$WORK"
rm -rf "$PROJ/.mlbox"
"$MLBOX" watch "$VID" --json --interval 0.3 >"$WORK/vertex-watch.jsonl" 2>"$WORK/vertex-watch.err" &
watcher=$!
cleanup_hooks+=("kill $watcher 2>/dev/null")
wait_jsonl "$WORK/vertex-watch.jsonl" "d['stage'] == 'running attempt 1'" "the Vertex job running"
# The container: the CustomJob's env plus what Vertex sets from baseOutputDirectory.
grep '"POST"' "$WORK/requests.jsonl" | tail -1 >"$WORK/vertex-create.json"
python3 - "$WORK/vertex-create.json" >"$WORK/vertex.env" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))["body"]
base = body["jobSpec"]["baseOutputDirectory"]["outputUriPrefix"].rstrip("/")
for e in body["jobSpec"]["workerPoolSpecs"][0]["containerSpec"].get("env", []):
    print(e["name"] + "=" + e["value"])
print(f"AIP_MODEL_DIR={base}/model/")
print(f"AIP_CHECKPOINT_DIR={base}/checkpoints/")
print(f"AIP_TENSORBOARD_LOG_DIR={base}/logs/")
print("CLOUD_ML_JOB_ID=1001")
print("MLBOX_PLATFORM=vertex")
PY
grep -q "^AIP_MODEL_DIR=gs://mlbox-out/runs/$VID/model/$" "$WORK/vertex.env" || { cat "$WORK/vertex.env"; fail "the Vertex job's environment"; }
play_container vertex "$WORK/vertex.env" "$WORK/vertex-watch.jsonl"
pass "Vertex: watch shows step 1, then step 2, read from gs://mlbox-out/runs/$VID while the job runs"
curl -sf -X POST -d '{"on": false}' "$V/__fake/hold" >/dev/null
for _ in $(seq 600); do kill -0 $watcher 2>/dev/null || break; sleep 0.1; done
wait $watcher || { cat "$WORK/vertex-watch.err"; fail "Vertex: watch exited $? for a succeeded job"; }
check_watch Vertex "$WORK/vertex-watch.jsonl" "running attempt 1" "succeeded"
pass "Vertex: the stages follow Vertex's states, ending succeeded; exit 0"
check_report vertex "$VID" "['succeeded']"
pass "Vertex: report plots the bucket's metrics, the attempt, lock digest and base from the record"

expect_rc 2 "$MLBOX" watch "${VID}0"
grep -q "did you mean" "$WORK/stderr" || { cat "$WORK/stderr"; fail "unknown id: no closest id"; }
pass "unknown job id: exit 2 with the closest id"
