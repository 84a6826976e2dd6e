#!/usr/bin/env bash
# What a person sees of `mlbox report`: a native-digits job, preempted (SIGTERM, exit 75) and
# resumed from its checkpoint by a second attempt, both under the real mlbox-trainer /
# mlbox-native, recorded in the job store as a local job (tests/tools/mlbox_local_tool). Its
# run card is opened in headless Chromium: a screenshot is kept under the build dir
# (test-artifacts/report_chromium/), and the DOM Chromium built must hold every value of
# history.json as a plotted point, both attempts, and no reference to anything outside the
# page. Then the Markdown form, a corrupt TensorBoard file, a job without metrics, an unknown id.
source "$(dirname "$0")/lib.sh"
: "${MLBOX_TRAINER:?}" "${MLBOX:?}"
NATIVE="$(dirname "$MLBOX_TRAINER")/mlbox-native"
[ -x "$NATIVE" ] || fail "build mlbox-native first (ninja -C build mlbox-native): $NATIVE"
TOOL="$MLBOX_BUILD_DIR/tests/mlbox_local_tool"
[ -x "$TOOL" ] || fail "build mlbox_local_tool first ($TOOL)"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/install-deps.sh installs it)"
ART="$MLBOX_BUILD_DIR/test-artifacts/report_chromium"
rm -rf "$ART" && mkdir -p "$ART"
export MLBOX_HOME="$WORK/home"
PY=/usr/bin/python3

P="$WORK/digits"
cp -r "$MLBOX_SOURCE_DIR/examples/native-digits" "$P"
bash "$P/prepare.sh"
$PY - "$P/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["epochs"] = 6
c["checkpoint"] = {"every_epochs": 1}
json.dump(c, open(sys.argv[1], "w"))
PY
OUT="$WORK/job-output"
export MLBOX_OUTPUT_DIR="$OUT" MLBOX_JOB_ID=local-20261203-c0ffee

# Attempt 1: SIGTERM once two epochs are in history.json -> checkpoint, exit 75.
MLBOX_ATTEMPT=1 MLBOX_METRICS_SYNC_SECONDS=0.2 "$MLBOX_TRAINER" native --config "$P/config.json" >"$WORK/a1.out" 2>&1 &
pid=$!
cleanup_hooks+=("kill -9 $pid 2>/dev/null")
for _ in $(seq 1200); do
  [ -f "$OUT/history.json" ] && $PY -c "import json,sys; sys.exit(0 if len(json.load(open('$OUT/history.json'))['epoch']) >= 2 else 1)" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
# Live: the supervisor derives metrics.jsonl from history.json while the job still runs.
for _ in $(seq 100); do [ -s "$OUT/metrics.jsonl" ] && break; sleep 0.05; done
kill -0 $pid 2>/dev/null || { cat "$WORK/a1.out"; fail "attempt 1 ended before the preemption (the test proves nothing)"; }
[ -s "$OUT/metrics.jsonl" ] || { cat "$WORK/a1.out"; fail "no metrics.jsonl while native training runs"; }
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
[ "$rc" = 75 ] || { cat "$WORK/a1.out"; fail "attempt 1 exited $rc, expected 75 (preempted)"; }
MLBOX_ATTEMPT=2 timeout 300 "$MLBOX_TRAINER" native --config "$P/config.json" >"$WORK/a2.out" 2>&1 ||
  { cat "$WORK/a2.out"; fail "attempt 2 failed"; }
grep -q "resum" "$WORK/a2.out" || { cat "$WORK/a2.out"; fail "attempt 2 did not resume from the checkpoint"; }
[ -s "$OUT/metrics.jsonl" ] || fail "the supervisor wrote no metrics.jsonl for native mode"
$PY - "$OUT/metrics.jsonl" "$OUT/history.json" <<'PY' || fail "metrics.jsonl does not match history.json"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
h = json.load(open(sys.argv[2]))
assert [l["epoch"] for l in lines] == h["epoch"], lines
for name, values in h["history"].items():
    assert [l[name] for l in lines] == values, name
assert all(l["wall_time"] > 1.7e9 for l in lines)
PY
pass "native-digits: metrics.jsonl live during attempt 1, preempted (75), attempt 2 resumed; metrics.jsonl = history.json"

# The job record, with the attempts' times from summary.json.
$PY - "$OUT/summary.json" "$OUT" >"$WORK/record.json" <<'PY'
import json, sys, datetime
s = json.load(open(sys.argv[1]))
def iso(t): return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
t = 1764756000
attempts = []
for a in s["attempts"]:
    attempts.append({"number": a["attempt"], "started_at": iso(t), "ended_at": iso(t + max(1, round(a["duration_s"]))),
                     "exit_code": a["exit_code"], "outcome": a["outcome"]})
    t += max(1, round(a["duration_s"])) + 5
print(json.dumps({"id": "local-20261203-c0ffee", "name": "native-digits", "backend": "local",
                  "state": "SUCCEEDED", "output_dir": sys.argv[2], "attempts": attempts}))
PY
"$TOOL" record-job --json "$WORK/record.json" >/dev/null

cd "$WORK"
"$MLBOX" report local-20261203 -o "$WORK/report.html" >"$WORK/report.out" ||
  { cat "$WORK/report.out"; fail "mlbox report failed"; }
cp "$WORK/report.html" "$ART/report.html"
CHROME_FLAGS=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$WORK/chromium-profile")
timeout 120 "$CHROMIUM" "${CHROME_FLAGS[@]}" --screenshot="$ART/report.png" --window-size=1200,2400 \
  "file://$WORK/report.html" >"$WORK/shot.log" 2>&1 || { cat "$WORK/shot.log"; fail "chromium --screenshot failed"; }
[ "$(head -c 8 "$ART/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "no PNG screenshot at $ART/report.png"
[ "$(stat -c %s "$ART/report.png")" -gt 20000 ] || fail "the screenshot is suspiciously small (blank page?)"
pass "headless Chromium screenshot: $ART/report.png"

timeout 120 "$CHROMIUM" "${CHROME_FLAGS[@]}" --dump-dom "file://$WORK/report.html" \
  >"$ART/report.dom.html" 2>"$WORK/dom.log" || { cat "$WORK/dom.log"; fail "chromium --dump-dom failed"; }
$PY - "$ART/report.dom.html" "$OUT/history.json" <<'PY' || fail "the DOM Chromium built does not show the run"
import json, re, sys
from html.parser import HTMLParser
dom = open(sys.argv[1]).read()
hist = json.load(open(sys.argv[2]))
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.points = {}; s.attempts = {}; s.outside = []; s.scripts = 0
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag == "circle" and "pt" in (a.get("class") or "").split():
            s.points.setdefault(a["data-metric"], []).append((float(a["data-x"]), float(a["data-y"])))
        if tag == "rect" and "data-attempt" in a:
            s.attempts[int(a["data-attempt"])] = a.get("data-outcome")
        if tag == "script": s.scripts += 1
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "srcset", "action") and v and re.match(r"\s*(https?:)?//", v):
                s.outside.append((tag, k, v))
p = P(); p.feed(dom)
for name, values in hist["history"].items():
    want = [(float(e), float(v)) for e, v in zip(hist["epoch"], values)]
    got = sorted(p.points.get(name, []))
    assert got == want, f"{name}: plotted {got}, history.json has {want}"
assert len(p.points) == len(hist["history"]), f"plotted {sorted(p.points)}, history has {sorted(hist['history'])}"
assert p.attempts == {1: "preempted", 2: "succeeded"}, p.attempts
assert not p.outside, f"the page references outside resources: {p.outside}"
assert p.scripts == 0, "the page has scripts"
assert "url(http" not in dom and "@import" not in dom, "the style loads something"
print(f"{sum(len(v) for v in p.points.values())} points match history.json; attempts {p.attempts}")
PY
pass "DOM: every history.json value plotted (data-x/data-y), attempts 1 preempted and 2 succeeded, nothing outside the page"

"$MLBOX" report local-20261203-c0ffee --format md >"$ART/report.md"
grep -q "| epoch | accuracy | val_accuracy |" "$ART/report.md" || { cat "$ART/report.md"; fail "Markdown: no accuracy table"; }
grep -q "| 1 | .* | preempted | 75 |" "$ART/report.md" || fail "Markdown: attempt 1 not shown preempted"
pass "Markdown run card: curves as tables, attempts"

# A corrupt TensorBoard file: the report names it and keeps the good records.
EV=$(ls "$OUT"/tensorboard/events.out.tfevents.* | head -1)
[ -n "$EV" ] || fail "mlbox-native wrote no event file"
printf 'torn' >>"$EV"
"$MLBOX" report local-20261203-c0ffee -o "$WORK/corrupt.html" >/dev/null
grep -q "$(basename "$EV"): record [0-9]* at byte [0-9]*: truncated header, rest of the file skipped" "$WORK/corrupt.html" ||
  fail "the report does not name the corrupt event file"
pass "a torn event file is named (record, byte offset) in the report"

# A job that wrote no metrics: said so; timeline still there.
mkdir -p "$WORK/empty-output"
$PY - "$WORK/empty-output" >"$WORK/empty.json" <<'PY'
import json, sys
print(json.dumps({"id": "local-20261203-0e0e0e", "backend": "local", "state": "FAILED", "output_dir": sys.argv[1],
                  "attempts": [{"number": 1, "started_at": "2026-12-03T10:00:00Z", "ended_at": "2026-12-03T10:00:09Z",
                                "exit_code": 1, "outcome": "failed"}]}))
PY
"$TOOL" record-job --json "$WORK/empty.json" >/dev/null
"$MLBOX" report local-20261203-0e0e0e -o "$WORK/empty.html" >/dev/null
grep -q "no metrics" "$WORK/empty.html" || fail "a job without metrics is not said to have none"
grep -q 'data-attempt="1" data-outcome="failed"' "$WORK/empty.html" || fail "no timeline for the job without metrics"
pass "a job without metrics: says so, shows its attempts"

expect_rc 2 "$MLBOX" report local-20261203-c0ffef
grep -q "did you mean local-20261203-c0ffee" "$WORK/stderr" || { cat "$WORK/stderr"; fail "unknown id: no closest id"; }
pass "unknown job id: exit 2 with the closest id"

# mlbox tensorboard: without TensorBoard it prints the command; with it, it becomes it.
PATH_NO_TB=$(echo "$PATH" | tr ':' '\n' | while read -r d; do [ -x "$d/tensorboard" ] || echo "$d"; done | paste -sd:)
PATH="$PATH_NO_TB" "$MLBOX" tensorboard local-20261203-c0ffee >"$WORK/tb.out" 2>"$WORK/tb.err"
grep -qx "tensorboard --logdir '$OUT/tensorboard'" "$WORK/tb.out" || { cat "$WORK/tb.out" "$WORK/tb.err"; fail "tensorboard: no command printed"; }
grep -q "not installed" "$WORK/tb.err" || fail "tensorboard: missing TensorBoard not said"
mkdir -p "$WORK/fakebin"
printf '#!/bin/sh\necho "$@" >"%s/tb.args"\n' "$WORK" >"$WORK/fakebin/tensorboard"
chmod +x "$WORK/fakebin/tensorboard"
PATH="$WORK/fakebin:$PATH_NO_TB" "$MLBOX" tensorboard local-20261203-c0ffee >/dev/null
[ "$(cat "$WORK/tb.args")" = "--logdir $OUT/tensorboard" ] || fail "tensorboard started with '$(cat "$WORK/tb.args")'"
pass "mlbox tensorboard: prints the command without TensorBoard, runs it on the job's event files with it"

# mlbox watch: JSON lines off a terminal; a screen under tmux.
"$MLBOX" watch local-20261203-c0ffee >"$WORK/watch.jsonl"
$PY - "$WORK/watch.jsonl" "$OUT/history.json" <<'PY' || fail "watch --json lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
h = json.load(open(sys.argv[2]))
assert lines and lines[-1]["state"] == "SUCCEEDED" and lines[-1]["attempt"] == 2, lines
m = lines[-1]["metrics"]
for name, values in h["history"].items():
    assert m[name]["last"] == values[-1] and m[name]["points"] == len(values), (name, m.get(name))
PY
pass "mlbox watch off a terminal: JSON lines with the latest value of every metric"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps.sh installs it)"
TMUX_TMPDIR="$WORK" tmux -f /dev/null new-session -d -s watch -x 160 -y 30 \
  "MLBOX_HOME=$MLBOX_HOME '$MLBOX' watch local-20261203-c0ffee; echo watch-exit=\$?; sleep 60"
cleanup_hooks+=("TMUX_TMPDIR=$WORK tmux kill-server 2>/dev/null")
for _ in $(seq 100); do
  TMUX_TMPDIR="$WORK" tmux capture-pane -p -t watch >"$WORK/pane.txt"
  grep -q "watch-exit=" "$WORK/pane.txt" && break
  sleep 0.1
done
cat "$WORK/pane.txt" >"$ART/watch-pane.txt"
grep -q "local-20261203-c0ffee  succeeded  elapsed" "$WORK/pane.txt" || { cat "$WORK/pane.txt"; fail "watch screen: no stage line"; }
grep -q "attempts: 1 preempted (exit 75), 2 succeeded (exit 0)" "$WORK/pane.txt" || { cat "$WORK/pane.txt"; fail "watch screen: no attempts line"; }
grep -q "val_accuracy .*epoch 5 .*[▁▂▃▄▅▆▇█]" "$WORK/pane.txt" || { cat "$WORK/pane.txt"; fail "watch screen: no sparkline for val_accuracy"; }
grep -q "watch-exit=0" "$WORK/pane.txt" || fail "watch did not exit 0 for a succeeded job"
pass "mlbox watch on a terminal (tmux): stage, attempts, sparklines; exit 0"
