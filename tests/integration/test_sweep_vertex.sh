#!/usr/bin/env bash
# mlbox sweep --target vertex end to end: one HyperparameterTuningJob to tests/fakes/vertex_fake.py
# (parsed strictly with the official CustomJob proto and the trimmed
# hyperparameter_tuning_job.proto / study.proto under tests/fakes/protos), whose trials walk
# ACTIVE -> SUCCEEDED (trial 2 INFEASIBLE, trial 3's VM restarted once); the trials' values
# come from the service, their metrics from its final measurements, their outputs from its GCS
# fake. One trial is cancelled through its CustomJob; the best trial's model is fetched. The
# study sent: GRID_SEARCH with the log range as discrete points; Bayesian is the service's
# default algorithm (no field). `mlbox report SWEEP` reads the trials' outputs from the GCS
# fake and plots each trial at (its value, its metric).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
source "$(dirname "$0")/gcp_lib.sh"

start_gcp_fakes --hpt-fail-trial 2 --hpt-preempt-trial 3
use_gcp_fakes
export MLBOX_ALLOW_LOCAL_REGISTRY=1 MLBOX_POLL_INTERVAL=0.2

start_registry reg
PROJ=$WORK/proj
make_image "$PROJ" latest "200K" 7 >/dev/null
cat >"$PROJ/mlbox.yaml" <<YAML
name: digits
train:
  command: python train.py
image:
  repository: 127.0.0.1:$REG_PORT/mlbox-test/digits
targets:
  vertex:
    project: mlbox-test
    region: us-central1
    output: gs://mlbox-out/runs
    machine: n1-standard-8
sweep:
  metric: val_accuracy
  goal: max
  algorithm: random
  max_trials: 5
  parallel_trials: 2
  parameters:
    lr: {min: 0.0001, max: 0.1, scale: log}
    batch_size: [16, 32, 64]
YAML
cat >"$PROJ/train.py" <<'PY'
import argparse
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--batch_size", type=int)
PY
cd "$PROJ"
requests() { $PY - "$WORK/requests.jsonl" "$1" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if eval(sys.argv[2], {}, {"e": json.loads(l)})))
PY
}

# --- dry run of a grid: the float range goes as discrete points ---------------------------------
expect_rc 0 "$MLBOX" sweep --target vertex --no-build --algorithm grid --max-trials 6 --dry-run
$PY - "$WORK/stdout" <<'PY' || fail "grid dry run: $(cat "$WORK/stdout")"
import json, sys
d = json.load(open(sys.argv[1]))
b = d["requests"][0]["body"]
assert d["requests"][0]["url"].endswith("/projects/mlbox-test/locations/us-central1/hyperparameterTuningJobs")
s = b["studySpec"]
assert s["algorithm"] == "GRID_SEARCH" and s["metrics"] == [{"metricId": "val_accuracy", "goal": "MAXIMIZE"}]
lr = [p for p in s["parameters"] if p["parameterId"] == "lr"][0]
assert lr["discreteValueSpec"]["values"] == [0.0001, 0.00316228, 0.1], lr
assert b["maxTrialCount"] == 6 and b["parallelTrialCount"] == 2, b
env = {e["name"]: e["value"] for e in b["trialJobSpec"]["workerPoolSpecs"][0]["containerSpec"]["env"]}
assert json.loads(env["MLBOX_SWEEP_PARAMS"])["metric"] == "val_accuracy"
PY
[ ! -s "$WORK/requests.jsonl" ] || fail "--dry-run sent requests"
expect_rc 0 "$MLBOX" sweep --target vertex --no-build --algorithm bayesian --dry-run
$PY -c "import json,sys; b=json.load(open(sys.argv[1]))['requests'][0]['body']; assert 'algorithm' not in b['studySpec'], b" "$WORK/stdout" ||
  fail "bayesian sent an algorithm"
expect_rc 2 "$MLBOX" sweep --target local --no-build --algorithm bayesian
grep -q "Vertex AI's own search" "$WORK/stderr" || fail "bayesian on local: $(cat "$WORK/stderr")"
pass "dry runs: grid with discrete log points; Bayesian is the service's default; refused locally"

# --- the sweep --------------------------------------------------------------------------------------
expect_rc 0 "$MLBOX" --json sweep --target vertex --no-build
SWEEP=$(json "$WORK/stdout" 'd["id"]')
[ "$(requests 'e["method"] == "POST" and e["path"].endswith("/hyperparameterTuningJobs")')" = 1 ] ||
  fail "expected one HyperparameterTuningJob"
grep -q INVALID_ARGUMENT "$WORK/vertex.log" && fail "the fake refused a request"
# Cancel trial 4 once it runs (through its CustomJob).
for _ in $(seq 100); do
  "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
  $PY -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(t['id']=='trial-004' and t['state']=='RUNNING' for t in d['trials']) else 1)" "$WORK/status.json" && break
done
expect_rc 0 "$MLBOX" sweep cancel "$SWEEP" --trial trial-004
[ "$(requests 'e["method"] == "POST" and e["path"].endswith(":cancel") and "/customJobs/" in e["path"]')" = 1 ] ||
  fail "no CustomJob cancel for trial 4"
for _ in $(seq 200); do
  "$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
  [ "$(json "$WORK/status.json" 'd["state"]')" != RUNNING ] && break
done
$PY - "$WORK/status.json" <<'PY' || fail "status: $(cat "$WORK/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "SUCCEEDED", d["state"]
t = {x["id"]: x for x in d["trials"]}
assert len(t) == 5
assert t["trial-002"]["state"] == "FAILED" and "exited with 1" in t["trial-002"]["message"], t["trial-002"]
assert t["trial-004"]["state"] == "CANCELLED", t["trial-004"]
ok = [x for x in t.values() if x["state"] == "SUCCEEDED"]
assert {x["id"] for x in ok} == {"trial-001", "trial-003", "trial-005"}, t
for x in ok:
    lr = float(x["parameters"]["lr"]); bs = x["parameters"]["batch_size"]
    assert 1e-4 <= lr <= 0.1 and bs in ("16", "32", "64"), x
    assert x["metric"] is not None and x["output"].endswith("/" + x["job_id"]), x
best = max(ok, key=lambda x: x["metric"])
assert d["best"]["id"] == best["id"], (d["best"], best)
PY
pass "tuning job: values from the service, trial 2 FAILED, trial 4 cancelled via its CustomJob, best by final measurement"

BEST=$(json "$WORK/status.json" 'd["best"]["id"]')
BEST_VT=$(json "$WORK/status.json" 'd["best"]["job_id"]')
expect_rc 0 "$MLBOX" sweep fetch "$SWEEP" -o "$WORK/best"
grep -q "TORCHSCRIPT trial $BEST_VT" "$WORK/best/model/model.pt" || fail "fetched another model"
$PY - "$WORK/best/history.json" "$WORK/status.json" <<'PY' || fail "fetched history vs the best metric"
import json, sys
h = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
assert abs(h["history"]["val_accuracy"][-1] - d["best"]["metric"]) < 1e-12
# the values the service chose are the trial's (numbers compared as numbers: 16.0 is 16)
assert {k: float(v) for k, v in h["params"].items()} == \
    {k: float(v) for k, v in d["best"]["parameters"].items()}, (h["params"], d["best"]["parameters"])
PY
expect_rc 0 "$MLBOX" sweep logs "$SWEEP" --trial trial-003
grep -q "attempt 2 starting" "$WORK/stdout" && grep -q -- "--lr=" "$WORK/stdout" ||
  fail "trial 3's logs: $(cat "$WORK/stdout")"
expect_rc 0 "$MLBOX" sweep status "$SWEEP"
grep -qE "^\* +$BEST " "$WORK/stdout" || fail "table: $(cat "$WORK/stdout")"
pass "fetch brings the best trial's model; logs of the restarted trial; the table marks $BEST"

# --- report: the trials' outputs from Cloud Storage, the parameter charts, the curves -------------
"$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
expect_rc 0 "$MLBOX" report "$SWEEP" -o "$WORK/report.html"
$PY "$(dirname "$0")/check_sweep_report.py" "$WORK/report.html" "$WORK/status.json" ||
  fail "the Vertex sweep's parameter charts"
$PY - "$WORK/report.html" "$WORK/best/history.json" "$SWEEP/$BEST" <<'PY' || fail "the best trial's curve in the report"
import json, sys
from html.parser import HTMLParser
html, h, job = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.points = []
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag == "circle" and "pt" in (a.get("class") or "").split() and a["data-job"] == job \
                and a["data-metric"] == "val_accuracy":
            s.points.append((float(a["data-x"]), float(a["data-y"])))
p = P(); p.feed(html)
want = [(float(e), v) for e, v in zip(h["epoch"], h["history"]["val_accuracy"])]
assert sorted(p.points) == want, (p.points, want)
PY
grep -q 'class="trial-miss"[^>]*data-trial="trial-002"[^>]*data-state="FAILED"' "$WORK/report.html" ||
  fail "the failed trial is not marked in the chart"
pass "report of a Vertex sweep: a point per trial, the failed one marked, the best trial's curve = its history.json"

# --- cancel the whole sweep --------------------------------------------------------------------------
expect_rc 0 "$MLBOX" --json sweep --target vertex --no-build --max-trials 4
S2=$(json "$WORK/stdout" 'd["id"]')
expect_rc 0 "$MLBOX" sweep cancel "$S2"
for _ in $(seq 50); do
  "$MLBOX" --json sweep status "$S2" >"$WORK/s2.json"
  [ "$(json "$WORK/s2.json" 'd["state"]')" != RUNNING ] && break
done
[ "$(json "$WORK/s2.json" 'd["state"]')" = CANCELLED ] || fail "cancelled sweep: $(cat "$WORK/s2.json")"
pass "sweep cancel: the tuning job and its trials CANCELLED"

# --- the real mlbox-trainer as each trial's container -----------------------------------------------
# The fake appends each trial's values to its CustomJob's arguments; the test runs mlbox-trainer
# with that container's arguments and environment (what Vertex sets: AIP_* under the trial,
# CLOUD_ML_TRIAL_ID, CLOUD_ML_HP_METRIC_FILE). The trainer takes the values out of the
# arguments, delivers them (--lr=V appended again for train.py), uploads the outputs to the
# GCS fake and writes the hypertune file, whose last report the fake makes the trial's final
# measurement, as the service does.
: "${MLBOX_TRAINER:?}"
RUN=$WORK/vrun
mkdir -p "$RUN" "$WORK/hpt"
cat >"$RUN/train.py" <<'PY'
import argparse, json, math, os
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, required=True)
p.add_argument("--batch_size", type=float, required=True)
a = p.parse_args()
final = round(0.9 - 0.1 * abs(math.log10(a.lr) + 2) + a.batch_size / 10000, 6)
with open(os.path.join(os.environ["MLBOX_OUTPUT_DIR"], "metrics.jsonl"), "a") as f:
    for step in (1, 2, 3):
        f.write(json.dumps({"step": step, "val_accuracy": round(final * step / 3, 6)}) + "\n")
PY
curl -sf -X POST -d "{\"on\": true, \"metrics_dir\": \"$WORK/hpt\"}" "$V/__fake/hpt/external" >/dev/null ||
  fail "the Vertex fake has no external trials"
expect_rc 0 "$MLBOX" --json sweep --target vertex --no-build --max-trials 3 --parallel 3
S3=$(json "$WORK/stdout" 'd["id"]')
for _ in $(seq 50); do
  "$MLBOX" --json sweep status "$S3" >"$WORK/s3.json"
  [ "$(json "$WORK/s3.json" 'sum(t["state"] == "RUNNING" for t in d["trials"])')" = 3 ] && break
done
curl -sf "$V/__fake/hpt/trials" >"$WORK/hpt-trials.json"
for tid in 1 2 3; do
  $PY - "$WORK/hpt-trials.json" "$S3" "$tid" "$WORK/hpt" >"$WORK/vt$tid.env" 2>"$WORK/vt$tid.args" <<'PY'
import json, sys
trials, sweep, tid, hpt = json.load(open(sys.argv[1]))["trials"], sys.argv[2], sys.argv[3], sys.argv[4]
t = [x for x in trials if x["id"] == tid and sweep in x["output"]][0]
c = t["containerSpec"]
for e in c.get("env", []):
    print(e["name"] + "=" + e["value"])
out = t["output"]
print(f"AIP_MODEL_DIR={out}/model/")
print(f"AIP_CHECKPOINT_DIR={out}/checkpoints/")
print(f"AIP_TENSORBOARD_LOG_DIR={out}/logs/")
print("CLOUD_ML_JOB_ID=" + t["customJob"].rsplit("/", 1)[1])
print("CLOUD_ML_TRIAL_ID=" + tid)
print(f"CLOUD_ML_HP_METRIC_FILE={hpt}/{tid}/output.metrics")
print("MLBOX_PLATFORM=vertex")
for a in c.get("args", []):
    print(a, file=sys.stderr)
PY
  grep -q -- "^--lr=" "$WORK/vt$tid.args" || { cat "$WORK/vt$tid.args"; fail "trial $tid: no --lr appended by the service"; }
  mapfile -t env_lines <"$WORK/vt$tid.env"
  mapfile -t args <"$WORK/vt$tid.args"
  [ "${args[0]}" = python ] && [ "${args[1]}" = train.py ] || fail "trial $tid: container args ${args[*]}"
  args[0]=/usr/bin/python3
  (cd "$RUN" && env "${env_lines[@]}" timeout 120 "$MLBOX_TRAINER" -- "${args[@]}" >"$WORK/vt$tid.out" 2>&1) ||
    { cat "$WORK/vt$tid.out"; fail "trial $tid: the trainer failed"; }
done
for _ in $(seq 50); do
  "$MLBOX" --json sweep status "$S3" >"$WORK/s3.json"
  [ "$(json "$WORK/s3.json" 'd["state"]')" != RUNNING ] && break
done
$PY - "$WORK/s3.json" "$WORK/hpt" <<'PY' || fail "the real trainers' sweep: $(cat "$WORK/s3.json")"
import json, math, os, sys
d, hpt = json.load(open(sys.argv[1])), sys.argv[2]
assert d["state"] == "SUCCEEDED", d["state"]
for t in d["trials"]:
    assert t["state"] == "SUCCEEDED", t
    lr, bs = float(t["parameters"]["lr"]), int(float(t["parameters"]["batch_size"]))
    want = round(0.9 - 0.1 * abs(math.log10(lr) + 2) + bs / 10000, 6)
    assert t["metric"] == want, (t["id"], t["metric"], want)
    lines = [json.loads(l) for l in open(os.path.join(hpt, t["job_id"], "output.metrics"))]
    assert [l["global_step"] for l in lines] == ["1", "2", "3"], lines
    assert lines[-1]["val_accuracy"] == str(want) and lines[-1]["trial"] == t["job_id"], lines[-1]
best = max(d["trials"], key=lambda t: t["metric"])
assert d["best"]["id"] == best["id"], (d["best"], best)
PY
expect_rc 0 "$MLBOX" report "$S3" -o "$WORK/report3.html"
$PY "$(dirname "$0")/check_sweep_report.py" "$WORK/report3.html" "$WORK/s3.json" || fail "report of the real trials"
grep -c 'class="pt"[^>]*data-metric="val_accuracy"' "$WORK/report3.html" | grep -qx 9 ||
  fail "the report does not plot the 3 x 3 val_accuracy reports the trainers uploaded"
pass "real mlbox-trainer per Vertex trial: values from the appended args, hypertune file -> final measurement = its last val_accuracy; report from GCS"
