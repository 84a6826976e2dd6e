#!/usr/bin/env bash
# mlbox sweep on this machine: examples/native-digits (2 epochs) over 3 learning rates x 2
# batch sizes, 2 trials at once, each trial a local job of the image mlbox built. The table's
# best trial and metric must be the best of the trials' own history.json; each trial's native
# config got its values (history.json's batch size; different learning rates train
# differently); never more than 2 ran at once. Bad input first: a parameter nothing consumes
# and an invalid sweep: section are exit 3 before anything is built or run.
source "$(dirname "$0")/lib.sh"
: "${MLBOX_TRAINER:?the sweep test needs mlbox-trainer (build with MLBOX_BUILD_TRAINER=ON)}"
SRC="$MLBOX_SOURCE_DIR"
PY=/usr/bin/python3
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

BASE=$(bash "$SRC/docker/make-busybox-base.sh" "$WORK/bases")
P="$WORK/native-digits"
cp -r "$SRC/examples/native-digits" "$P"
bash "$P/prepare.sh"
cd "$P"
sed -i "s|^framework:|image:\n  base: \"$BASE\"\nframework:|; s|^    epochs: 10|    epochs: 2|" mlbox.yaml
"$MLBOX" freeze --no-index --find-links "$(torch_wheelhouse)" >/dev/null

# --- bad input: exit 3, nothing built, no job -------------------------------------------------
expect_rc 3 "$MLBOX" sweep --param dropout=0.1,0.2 --metric val_accuracy
grep -q "'dropout' (deliver: config): train.native has no key 'dropout'" "$WORK/stderr" ||
  fail "unconsumed parameter message: $(cat "$WORK/stderr")"
[ ! -e .mlbox/oci ] || fail "an unconsumed parameter still built the image"
cp mlbox.yaml mlbox.yaml.good
printf 'sweep:\n  metric: val_accuracy\n  parameters:\n    lr: {min: 0.1, max: 0.01}\n' >>mlbox.yaml
expect_rc 3 "$MLBOX" sweep
grep -q "mlbox.yaml:[0-9]*:[0-9]*: .*sweep.parameters.lr.min 0.1 is greater than max 0.01" "$WORK/stderr" ||
  fail "min > max message: $(cat "$WORK/stderr")"
cp mlbox.yaml.good mlbox.yaml
printf 'sweep:\n  metric: val_accuracy\n  parameters:\n    lr: {min: 0, max: 0.1, scale: log}\n    batch_size: []\n' >>mlbox.yaml
expect_rc 3 "$MLBOX" build
grep -q "log scale with min 0" "$WORK/stderr" && grep -q "sweep.parameters.batch_size is an empty list" "$WORK/stderr" ||
  fail "log/empty messages: $(cat "$WORK/stderr")"
cp mlbox.yaml.good mlbox.yaml
[ "$("$MLBOX" --json jobs)" = "[]" ] || fail "bad input left jobs"
pass "a parameter nothing consumes, min > max, log scale from 0, an empty list: exit 3, nothing run"

# --- the sweep --------------------------------------------------------------------------------
echo "$(date +%T) sweeping"
expect_rc 0 timeout 900 "$MLBOX" --json sweep --param lr=0.001,0.01,0.05 --param batch_size=16,64 \
  --metric val_accuracy --goal max --parallel 2 --follow
cp "$WORK/stdout" "$WORK/sweep.json"
echo "$(date +%T) swept"
SWEEP=$(json "$WORK/sweep.json" 'd["id"]')
$PY - "$WORK/sweep.json" "$P/runs" <<'PY' || fail "the sweep's result: $(cat "$WORK/sweep.json")"
import json, os, sys
d = json.load(open(sys.argv[1]))
root = os.path.join(sys.argv[2], d["id"])
trials = d["trials"]
assert len(trials) == 6, len(trials)
assert all(t["state"] == "SUCCEEDED" for t in trials), [t["state"] for t in trials]
assert {(t["parameters"]["lr"], t["parameters"]["batch_size"]) for t in trials} == \
    {(lr, bs) for lr in ("0.001", "0.01", "0.05") for bs in ("16", "64")}
seen = {}
for t in trials:
    h = json.load(open(os.path.join(root, t["id"], "history.json")))
    acc = h["history"]["val_accuracy"][-1]
    assert abs(acc - t["metric"]) < 1e-9, (t["id"], acc, t["metric"])
    assert h["params"]["batch_size"] == int(t["parameters"]["batch_size"]), (t, h["params"])
    assert len(h["epoch"]) == 2
    seen[t["id"]] = (acc, h["history"]["loss"])
best_id = max(seen, key=lambda k: seen[k][0])
assert d["best"]["id"] == best_id and abs(d["best"]["metric"] - seen[best_id][0]) < 1e-9, (d["best"], seen)
# the trials' order is the metric's, best first
assert [t["metric"] for t in trials] == sorted((t["metric"] for t in trials), reverse=True)
# the learning rate reached the native config: same batch size, other lr -> other curves
by_bs = {}
for t in trials:
    by_bs.setdefault(t["parameters"]["batch_size"], []).append(tuple(seen[t["id"]][1]))
for bs, curves in by_bs.items():
    assert len(set(curves)) == 3, (bs, curves)
print("best", best_id, seen[best_id][0])
PY
pass "6 trials SUCCEEDED; best trial and metric = the best of the trials' history.json; values delivered"

# At most 2 trials at once: the trials' jobs' attempts never overlap by more than 2.
"$MLBOX" --json jobs --all >"$WORK/jobs.json"
$PY - "$WORK/jobs.json" "$SWEEP" <<'PY' || fail "parallelism"
import json, sys, datetime
jobs = [j for j in json.load(open(sys.argv[1])) if j.get("sweep") == sys.argv[2]]
assert len(jobs) == 6, len(jobs)
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
iv = [(t(j["attempts"][0]["started_at"]), t(j["attempts"][-1]["ended_at"])) for j in jobs]
for a, _ in iv:  # running at the moment a job started (second resolution: ends at a count as over)
    assert sum(1 for s, e in iv if s <= a < e) <= 2, iv
PY
pass "mlbox jobs groups the 6 trial jobs under the sweep; never more than 2 at once"

expect_rc 0 "$MLBOX" sweep status "$SWEEP"
grep -qE "^\* +trial-00[1-6] " "$WORK/stdout" || fail "status table marks no best: $(cat "$WORK/stdout")"
grep -q "^best: " "$WORK/stdout" || fail "no best line"
expect_rc 0 "$MLBOX" jobs
grep -q "sweep $SWEEP" "$WORK/stdout" || fail "jobs table shows no sweep group: $(cat "$WORK/stdout")"
expect_rc 0 "$MLBOX" sweep fetch "$SWEEP" -o "$WORK/best"
[ -s "$WORK/best/model/model.pt" ] || fail "fetch of the best trial brought no model"
BEST=$(json "$WORK/sweep.json" 'd["best"]["id"]')
cmp "$WORK/best/history.json" "$P/runs/$SWEEP/$BEST/history.json" || fail "fetched another trial"
expect_rc 0 "$MLBOX" sweep logs "$SWEEP" --trial trial-002
grep -q "sweep $SWEEP trial-002: batch_size=" "$WORK/stdout" || fail "trial logs: $(head "$WORK/stdout")"
pass "sweep status marks the best; jobs groups by sweep; fetch brings the best trial's model; logs"

# The report of the sweep: a chart per parameter with a point per trial at (value, metric).
"$MLBOX" --json sweep status "$SWEEP" >"$WORK/status.json"
expect_rc 0 "$MLBOX" report "$SWEEP" -o "$WORK/report.html"
$PY "$(dirname "$0")/check_sweep_report.py" "$WORK/report.html" "$WORK/status.json" ||
  fail "the local sweep's parameter charts"
[ "$(grep -c 'class="trial-pt' "$WORK/report.html")" = 12 ] || fail "expected 6 points in each of 2 charts"
pass "mlbox report SWEEP: lr and batch_size charts, 6 trials each, best ringed"

# --- a metric no trial reports ---------------------------------------------------------------
expect_rc 7 timeout 600 "$MLBOX" sweep --no-build --param lr=0.01 --metric val_f1 --follow
grep -q "no metric 'val_f1'; the trials reported: accuracy, loss, lr, val_accuracy, val_loss" "$WORK/stdout" ||
  fail "missing metric note: $(cat "$WORK/stdout")"
grep -q "trial-001 .*no metric" "$WORK/stdout" || fail "trial not marked no metric"
pass "a metric the trials never report: 'no metric', and the names they did report"

# --- the report overlays the trials' curves --------------------------------------------------------
expect_rc 0 "$MLBOX" report "$SWEEP" -o "$WORK/sweep.html"
for t in $(python3 -c "import json; print(' '.join(x['job_id'] for x in json.load(open('$WORK/sweep.json'))['trials']))"); do
  grep -q "data-job=\"$t\"" "$WORK/sweep.html" || fail "the report has no curve of $t"
done
pass "mlbox report SWEEP overlays the 6 trials' curves"
