#!/usr/bin/env bash
# mlbox sweep on AWS Batch, end to end through the CLI against the strict AWS fake (Batch and
# CloudWatch Logs validated against the botocore models, SigV4 checked), a real docker-registry
# behind the ECR host name, and s3rver behind the fake's S3 proxy: one array job
# (arrayProperties.size = 6) whose children read their trial from the plan mlbox uploaded
# (the fake's children do what mlbox-trainer does with it); child 1 fails, child 2 is
# spot-reclaimed and retried, trial-006 is cancelled right after the submit. Status reads
# each child's metric from its output in S3; the best trial is the best of the fetched
# history.json files; fetch brings its model. A parameter nothing consumes is exit 3 with
# nothing sent; a mistyped subcommand is exit 2 with the one meant. `mlbox report SWEEP` plots
# a point per trial at (its value, its metric) and marks the failed and cancelled ones.
#
# Then a second sweep whose children are the REAL mlbox-trainer, each run here with its
# child's environment (the plan in S3, AWS_BATCH_JOB_ARRAY_INDEX) while the fake holds the
# children RUNNING: the trainer delivers each trial's --lr, uploads its metrics, and with
# `early_stopping: {rule: median}` the worst child stops itself against its completed peers'
# metrics in S3 (exit 0, summary.json "stopped"); status shows it STOPPED. The report of that
# sweep is opened in headless Chromium (screenshot + DOM checks of the parameter chart and the
# overlaid curves against the fetched metrics.jsonl files).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/aws_lib.sh"

start_batch_world --batch-array-fail 1 --batch-array-reclaim 2

PROJ=$WORK/proj
make_image "$PROJ" latest "200K" 5 >/dev/null
cat >"$PROJ/train.py" <<'PY'
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--batch_size", type=int)
PY
write_batch_manifest "$PROJ"
cd "$PROJ"
SWEEP_CMD=("$MLBOX" sweep --target batch --no-build --insecure-registry "$HOST" --metric val_accuracy)

# --- bad input: nothing consumes --momentum -> exit 3, no request ---------------------------
: >"$AWS_FAKE_LOG"
expect_rc 3 timeout 60 "${SWEEP_CMD[@]}" --param lr=0.01,0.1 --param momentum=0.9,0.99
grep -q "'momentum' (deliver: args): no file of the project mentions '--momentum'" "$WORK/stderr" ||
  fail "unconsumed parameter: $(cat "$WORK/stderr")"
[ "$(fake_log_count 'True')" = 0 ] || fail "requests were sent for an invalid sweep"
pass "a parameter nothing consumes: exit 3 before anything is sent"

# --- dry run ------------------------------------------------------------------------------------
expect_rc 0 timeout 60 "${SWEEP_CMD[@]}" --param lr=0.001,0.01,0.1 --param batch_size=16,32 --dry-run
python3 - "$WORK/stdout" <<'PY' || fail "dry run: $(cat "$WORK/stdout")"
import json, sys
d = json.load(open(sys.argv[1]))
reqs = d["requests"]
assert reqs[0]["method"] == "PUT" and reqs[0]["url"].endswith("/plan.json"), reqs[0]
assert len(reqs[0]["body"]["trials"]) == 6
submit = [r for r in reqs if r["url"].endswith("/v1/submitjob")][0]["body"]
assert submit["arrayProperties"] == {"size": 6}, submit
PY
[ "$(fake_log_count 'True')" = 0 ] || fail "--dry-run sent requests"
pass "--dry-run: the plan and one SubmitJob with arrayProperties.size 6, nothing sent"

# --- submit; cancel trial-006 at once ------------------------------------------------------------
expect_rc 0 timeout 120 "$MLBOX" --json sweep --target batch --no-build --insecure-registry "$HOST" \
  --metric val_accuracy --param lr=0.001,0.01,0.1 --param batch_size=16,32 --parallel 6
SWEEP=$(json "$WORK/stdout" 'd["id"]')
PARENT=$(json "$WORK/stdout" 'd["remote_id"]')
[ "$(fake_log_count 'e.get("operation") == "SubmitJob"')" = 1 ] || fail "expected one SubmitJob"
[ "$(fake_log_count '"rejected" in e')" = 0 ] || { grep rejected "$AWS_FAKE_LOG"; fail "the fake rejected a request"; }
PLAN=$WORK/s3/mlbox-out/runs/$SWEEP/plan.json
ls "$WORK/s3/mlbox-out/runs/$SWEEP/" >/dev/null 2>&1 || fail "no sweep prefix in S3"
expect_rc 0 timeout 60 "$MLBOX" sweep cancel "$SWEEP" --trial trial-006
[ "$(fake_log_count 'e.get("operation") in ("CancelJob", "TerminateJob")')" = 1 ] || fail "no cancel request"
grep -q "$PARENT:5" "$AWS_FAKE_LOG" || fail "the cancel did not name child 5"
pass "sweep submitted as one array job ($PARENT); trial-006 (child 5) cancelled"

# --- status until every trial ended --------------------------------------------------------------
for _ in $(seq 200); do
  timeout 60 "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
  [ "$(json "$WORK/status.json" 'd["state"]')" != RUNNING ] && break
  sleep 0.2
done
python3 - "$WORK/status.json" <<'PY' || fail "status: $(cat "$WORK/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "SUCCEEDED", d["state"]
t = {x["id"]: x for x in d["trials"]}
assert t["trial-002"]["state"] == "FAILED" and t["trial-002"]["metric"] is None, t["trial-002"]
assert t["trial-006"]["state"] == "CANCELLED", t["trial-006"]
for i in ("trial-001", "trial-003", "trial-004", "trial-005"):
    assert t[i]["state"] == "SUCCEEDED" and t[i]["metric"] is not None, t[i]
    assert t[i]["cost_usd"] is not None and t[i]["cost_usd"] >= 0, t[i]
PY
[ "$(fake_log_count 'e.get("operation") == "DescribeJobs" and len(e["input"]["jobs"]) == 5')" -ge 1 ] ||
  fail "status did not describe the five live children in one DescribeJobs"
pass "status: the failed child FAILED, the cancelled CANCELLED, the others SUCCEEDED with metrics (one DescribeJobs for all live children)"

timeout 60 "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
for t in trial-001 trial-003 trial-004 trial-005; do
  expect_rc 0 timeout 60 "$MLBOX" sweep fetch "$SWEEP" --trial $t -o "$WORK/fetched/$t"
done
python3 - "$WORK/status.json" "$WORK/fetched" <<'PY' || fail "best trial"
import json, os, sys
d = json.load(open(sys.argv[1]))
acc = {}
for t in os.listdir(sys.argv[2]):
    h = json.load(open(os.path.join(sys.argv[2], t, "history.json")))
    acc[t] = h["history"]["val_accuracy"][-1]
    trial = [x for x in d["trials"] if x["id"] == t][0]
    assert h["params"] == trial["parameters"], (h["params"], trial["parameters"])
    assert abs(trial["metric"] - acc[t]) < 1e-12, (t, trial["metric"], acc[t])
best = max(acc, key=acc.get)
assert d["best"]["id"] == best and abs(d["best"]["metric"] - acc[best]) < 1e-12, (d["best"], acc)
PY
expect_rc 0 timeout 60 "$MLBOX" sweep fetch "$SWEEP" -o "$WORK/best"
BEST=$(json "$WORK/status.json" 'd["best"]["id"]')
IDX=$(( ${BEST#trial-} - 1 ))
grep -q "fake torchscript model $PARENT:$IDX $BEST" "$WORK/best/model/model.pt" ||
  fail "fetch brought another model: $(cat "$WORK/best/model/model.pt")"
pass "best trial = the best of the children's history.json ($BEST); fetch brings its model"

expect_rc 0 timeout 60 "$MLBOX" sweep logs "$SWEEP" --trial trial-003
grep -q "SIGTERM received" "$WORK/stdout" && grep -q "training finished" "$WORK/stdout" ||
  fail "the reclaimed child's logs: $(cat "$WORK/stdout")"
timeout 60 "$MLBOX" --json sweep status "$SWEEP" | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = [x for x in d["trials"] if x["id"] == "trial-002"][0]
assert "Essential container" in t["message"], t' || fail "failed trial message"
expect_rc 0 timeout 60 "$MLBOX" sweep status "$SWEEP"
grep -qE "^\* +$BEST " "$WORK/stdout" || fail "table: $(cat "$WORK/stdout")"
expect_rc 0 timeout 60 "$MLBOX" jobs
grep -q "sweep $SWEEP (aws-batch, $PARENT, 6 trials" "$WORK/stdout" || fail "jobs: $(cat "$WORK/stdout")"
pass "logs of the reclaimed child (both attempts), the failure's reason, the table, mlbox jobs"

# --- a mistyped subcommand ------------------------------------------------------------------
expect_rc 2 timeout 60 "$MLBOX" sweep staus "$SWEEP"
grep -q "'staus' is not an mlbox sweep subcommand" "$WORK/stderr" &&
  grep -q "did you mean 'mlbox sweep status'" "$WORK/stderr" || fail "typo: $(cat "$WORK/stderr")"
pass "mlbox sweep staus: exit 2, did you mean 'mlbox sweep status'"

# --- report of the cloud sweep: trials' outputs from S3, the parameter charts ----------------
expect_rc 0 timeout 120 "$MLBOX" report "$SWEEP" -o "$WORK/sweep1.html"
timeout 60 "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
/usr/bin/python3 "$(dirname "$0")/check_sweep_report.py" "$WORK/sweep1.html" "$WORK/status.json" ||
  fail "the sweep report's parameter charts"
grep -q 'class="trial-miss"[^>]*data-trial="trial-002"[^>]*data-state="FAILED"' "$WORK/sweep1.html" ||
  fail "the failed trial is not marked in the chart"
grep -q 'class="trial-miss"[^>]*data-trial="trial-006"[^>]*data-state="CANCELLED"' "$WORK/sweep1.html" ||
  fail "the cancelled trial is not marked in the chart"
expect_rc 0 timeout 120 "$MLBOX" report "$SWEEP" --format md
grep -qE "^\| \*\*best\*\* \| $BEST \|" "$WORK/stdout" || { cat "$WORK/stdout"; fail "Markdown: no best row"; }
grep -qE "^\|  \| trial-002 \| .* \| no metric \| FAILED \|" "$WORK/stdout" || fail "Markdown: failed trial row"
pass "report of a Batch sweep: a point per trial with its metric, failed/cancelled marked, best ringed; Markdown table"

# ============== the real mlbox-trainer as each child; the median rule on Batch ==============
: "${MLBOX_TRAINER:?}"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/install-deps.sh installs it)"
P2=$WORK/proj2
make_image "$P2" latest "200K" 6 >/dev/null
cat >"$P2/train.py" <<'PY'
# val_accuracy falls with lr (0.9 at 0.001 ... 0.5 at 0.1) and rises over the steps.
import argparse, json, math, os, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--steps", type=int, default=int(os.environ.get("STEPS", "5")))
a = p.parse_args()
final = 0.9 - 0.2 * (math.log10(a.lr) + 3)
with open(os.path.join(os.environ["MLBOX_OUTPUT_DIR"], "metrics.jsonl"), "a") as f:
    for step in range(1, a.steps + 1):
        acc = round(final * (0.5 + 0.5 * step / a.steps), 6)
        f.write(json.dumps({"step": step, "loss": round(1 - acc, 6), "val_accuracy": acc}) + "\n")
        f.flush()
        time.sleep(float(os.environ.get("STEP_SECONDS", "0.05")))
PY
cat >"$P2/mlbox.yaml" <<YAML
name: digits
train:
  command: python3 train.py
image:
  repository: $HOST/team/digits
resources:
  gpu: T4:1
  spot: true
targets:
  batch:
    region: us-east-1
    job_queue: gpu-spot
    output: s3://mlbox-out/runs
sweep:
  metric: val_accuracy
  goal: max
  grid_points: 4
  parameters:
    lr: {min: 0.001, max: 0.1, scale: log}
  early_stopping: {rule: median, min_trials: 2, after_steps: 2}
YAML
cd "$P2"
curl -sf -X POST -d '{"on": true}' "$AWS_FAKE_URL/__fake/batch/hold" >/dev/null
curl -sf -X POST -d '{"on": true}' "$AWS_FAKE_URL/__fake/batch/external" >/dev/null || fail "the fake has no external children"
expect_rc 0 timeout 120 "$MLBOX" --json sweep --target batch --no-build --insecure-registry "$HOST" --parallel 4
S2=$(json "$WORK/stdout" 'd["id"]')
P2ID=$(json "$WORK/stdout" 'd["remote_id"]')
# Status walks each child to RUNNING (the fake holds them there).
for _ in $(seq 30); do
  timeout 60 "$MLBOX" --json sweep status "$S2" >"$WORK/s2.json"
  [ "$(json "$WORK/s2.json" 'sum(t["state"] == "RUNNING" for t in d["trials"])')" = 4 ] && break
done
[ "$(json "$WORK/s2.json" 'sum(t["state"] == "RUNNING" for t in d["trials"])')" = 4 ] || fail "children not running: $(cat "$WORK/s2.json")"
curl -sf "$AWS_FAKE_URL/__fake/state" >"$WORK/batch-state.json"
# child_env I: the environment Batch gives child I (the fake's record of it, plus what Batch
# sets at run time).
child_env() {
  python3 - "$WORK/batch-state.json" "$P2ID" "$1" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))["batch"]["jobs"]
job_id = f"{sys.argv[2]}:{sys.argv[3]}"
for e in jobs[job_id]["container"]["environment"]:
    print(e["name"] + "=" + e["value"])
print("AWS_BATCH_JOB_ID=" + job_id)
print("AWS_BATCH_JOB_ARRAY_INDEX=" + sys.argv[3])
print("AWS_BATCH_JOB_ATTEMPT=1")
PY
}
# play_child I EXTRA_ENV...: mlbox-trainer with child I's environment runs `python3 train.py`
# (the plan's --lr appended by the trainer).
play_child() {
  local i=$1 env_lines
  shift
  child_env "$i" >"$WORK/child$i.env"
  grep -q "^MLBOX_SWEEP_PLAN=s3://mlbox-out/runs/$S2/plan.json$" "$WORK/child$i.env" || { cat "$WORK/child$i.env"; fail "child $i: no plan in its environment"; }
  echo "AWS_ENDPOINT_URL_S3=$AWS_FAKE_URL" >>"$WORK/child$i.env"
  mapfile -t env_lines <"$WORK/child$i.env"
  (cd "$P2" && env "${env_lines[@]}" "$@" timeout 120 "$MLBOX_TRAINER" -- /usr/bin/python3 train.py \
    >"$WORK/child$i.out" 2>&1)
}
# Children 0-2 run to the end at once (no live checks: metrics at the end only).
for i in 0 1 2; do
  play_child $i MLBOX_METRICS_SYNC_SECONDS=0 &
  pids[$i]=$!
done
for i in 0 1 2; do wait ${pids[$i]} || { cat "$WORK/child$i.out"; fail "child $i: the trainer failed"; }; done
grep -q "sweep $S2 trial-001: lr=0.001" "$WORK/child0.out" || { cat "$WORK/child0.out"; fail "child 0 did not take trial-001's lr"; }
# Child 3 (lr 0.1, the worst) checks its peers every 0.3 s: two completed, it is below their median.
start=$(date +%s.%N)
play_child 3 MLBOX_METRICS_SYNC_SECONDS=0.3 STEPS=60 STEP_SECONDS=0.25 ||
  { cat "$WORK/child3.out"; fail "child 3: the trainer exited $? (a stopped trial exits 0)"; }
took=$(python3 -c "import time; print(round(time.time() - $start, 1))")
grep -q "stopping the job early: best .* at step .* < median .* of 3 completed trials" "$WORK/child3.out" ||
  { cat "$WORK/child3.out"; fail "child 3 did not stop itself"; }
python3 -c "import sys; sys.exit(0 if $took < 12 else 1)" || fail "child 3 ran ${took}s: not stopped early (60 steps take 15 s)"
pass "real mlbox-trainer per child: plan from S3 by AWS_BATCH_JOB_ARRAY_INDEX; the worst child stopped itself after ${took}s (exit 0)"

curl -sf -X POST -d '{"on": false}' "$AWS_FAKE_URL/__fake/batch/hold" >/dev/null
for _ in $(seq 60); do
  timeout 60 "$MLBOX" --json sweep status "$S2" >"$WORK/s2.json"
  [ "$(json "$WORK/s2.json" 'd["state"]')" != RUNNING ] && break
done
for i in 1 2 3 4; do
  expect_rc 0 timeout 60 "$MLBOX" sweep fetch "$S2" --trial trial-00$i -o "$WORK/f2/trial-00$i"
done
python3 - "$WORK/s2.json" "$WORK/f2" <<'PY' || fail "status of the real children: $(cat "$WORK/s2.json")"
import json, os, sys
d = json.load(open(sys.argv[1]))
t = {x["id"]: x for x in d["trials"]}
assert d["state"] == "SUCCEEDED", d["state"]
assert t["trial-004"]["state"] == "STOPPED", t["trial-004"]
assert t["trial-004"]["message"].startswith("stopped early: best "), t["trial-004"]
for i in ("trial-001", "trial-002", "trial-003"):
    assert t[i]["state"] == "SUCCEEDED", t[i]
for i, x in t.items():
    lines = [json.loads(l) for l in open(os.path.join(sys.argv[2], i, "metrics.jsonl"))]
    assert x["metric"] == lines[-1]["val_accuracy"], (i, x["metric"], lines[-1])
    s = json.load(open(os.path.join(sys.argv[2], i, "summary.json")))
    assert s["outcome"] == ("stopped" if i == "trial-004" else "succeeded"), (i, s)
assert len(open(os.path.join(sys.argv[2], "trial-004", "metrics.jsonl")).readlines()) < 40
assert d["best"]["id"] == "trial-001", d["best"]
PY
pass "status: trial-004 STOPPED (stopped early), the others SUCCEEDED with their last val_accuracy from S3; best trial-001"

cd "$WORK"
ART="$MLBOX_BUILD_DIR/test-artifacts/sweep_batch"
rm -rf "$ART" && mkdir -p "$ART"
expect_rc 0 timeout 120 "$MLBOX" report "$S2" -o "$ART/report.html"
CHROME_FLAGS=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$WORK/chromium-profile")
timeout 120 "$CHROMIUM" "${CHROME_FLAGS[@]}" --screenshot="$ART/report.png" --window-size=1200,2600 \
  "file://$ART/report.html" >"$WORK/shot.log" 2>&1 || { cat "$WORK/shot.log"; fail "chromium --screenshot failed"; }
[ "$(stat -c %s "$ART/report.png")" -gt 20000 ] || fail "the screenshot is suspiciously small (blank page?)"
timeout 120 "$CHROMIUM" "${CHROME_FLAGS[@]}" --dump-dom "file://$ART/report.html" >"$ART/report.dom.html" 2>"$WORK/dom.log" ||
  { cat "$WORK/dom.log"; fail "chromium --dump-dom failed"; }
/usr/bin/python3 "$(dirname "$0")/check_sweep_report.py" "$ART/report.dom.html" "$WORK/s2.json" ||
  fail "the parameter chart Chromium built"
python3 - "$ART/report.dom.html" "$WORK/f2" "$S2" <<'PY' || fail "the overlaid curves Chromium built"
import json, os, sys
from html.parser import HTMLParser
dom, fetched, sweep = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.points = {}; s.attempts = []
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag == "circle" and "pt" in (a.get("class") or "").split() and a["data-metric"] == "val_accuracy":
            s.points.setdefault(a["data-job"], []).append((float(a["data-x"]), float(a["data-y"])))
        if tag == "rect" and "data-attempt" in a:
            s.attempts.append(a.get("data-outcome"))
p = P(); p.feed(dom)
for trial in sorted(os.listdir(fetched)):
    want = [(float(l["step"]), l["val_accuracy"]) for l in map(json.loads, open(os.path.join(fetched, trial, "metrics.jsonl")))]
    got = sorted(p.points.get(f"{sweep}/{trial}", []))
    assert got == want, f"{trial}: plotted {got}, metrics.jsonl has {want}"
assert sorted(p.attempts) == ["stopped", "succeeded", "succeeded", "succeeded"], p.attempts
PY
pass "report of the sweep in headless Chromium: each trial's curve = its metrics.jsonl, the chart's points and best ($ART/report.png)"
