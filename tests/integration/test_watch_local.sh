#!/usr/bin/env bash
# mlbox watch on a RUNNING local job (runc, a busybox image): the job appends a metrics.jsonl
# line each time the test opens a gate (a file the test creates in the job's output dir), so
# nothing depends on timing. While it runs, `mlbox watch` in tmux (capture-pane) shows the
# stage "running attempt 1", each metric's latest value with a sparkline and the elapsed time;
# off a terminal `mlbox watch` and `mlbox logs -f --metrics` write one JSON object per update,
# the values growing as the job writes lines; both end with the final state. Then the exit
# codes: a failed job (7), an unknown id (2, with the closest id).
source "$(dirname "$0")/lib.sh"
HAND="$MLBOX_SOURCE_DIR/tests/integration/local/oci_by_hand.py"
BB=/bin/busybox
[ -x "$BB" ] || fail "busybox-static is missing (scripts/install-deps.sh installs it)"
command -v runc >/dev/null || fail "runc is not installed (scripts/install-deps.sh installs it)"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps.sh installs it)"
PROJ="$WORK/proj"
mkdir -p "$PROJ"
cd "$PROJ"

# The image: busybox and a job that writes line N of lines.jsonl once gate N is open, and
# ends when the end gate is.
python3 - "$WORK/spec.json" "$BB" <<'PY'
import json, sys
entries = [{"path": "bin", "type": "dir"}, {"path": "bin/busybox", "src": sys.argv[2], "mode": "0755"}]
for a in ["sh", "sed", "sleep", "test", "["]:
    entries.append({"path": "bin/" + a, "type": "symlink", "target": "busybox"})
entries += [{"path": "work", "type": "dir"},
            {"path": "work/lines.jsonl", "data":
                '{"step": 1, "loss": 0.9, "accuracy": 0.5}\n'
                '{"step": 2, "loss": 0.6, "accuracy": 0.7}\n'
                '{"step": 3, "loss": 0.3, "accuracy": 0.9}\n'},
            {"path": "work/train.sh", "mode": "0755", "data": r'''#!/bin/sh
out=$MLBOX_OUTPUT_DIR
n=1
sed -n 1p /work/lines.jsonl >>"$out/metrics.jsonl"
echo "wrote step 1"
while [ ! -e "$out/.gate-end" ]; do
  if [ -e "$out/.gate-$((n + 1))" ]; then
    n=$((n + 1))
    sed -n "${n}p" /work/lines.jsonl >>"$out/metrics.jsonl"
    echo "wrote step $n"
  fi
  sleep 0.1
done
'''}]
json.dump({"layers": [{"compression": "gzip", "entries": entries}],
           "config": {"Env": ["PATH=/bin"], "WorkingDir": "/work", "Cmd": ["/bin/sh", "train.sh"]}},
          open(sys.argv[1], "w"))
PY
python3 "$HAND" "$PROJ/.mlbox/oci" latest "$WORK/spec.json" >/dev/null

pane() { TMUX_TMPDIR="$WORK" tmux capture-pane -p -t watch; }
pane_has() { pane | grep -q -- "$1"; }
# jsonl_has FILE EXPR: some JSON line of FILE satisfies EXPR (python, on `d`).
jsonl_has() {
  python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue  # a line being written
    try:
        if eval(sys.argv[2]):
            sys.exit(0)
    except (KeyError, TypeError):
        pass
sys.exit(1)
PY
}

id=$("$MLBOX" run --detach -- /bin/sh /work/train.sh)
cleanup_hooks+=("'$MLBOX' cancel $id --grace 1 >/dev/null 2>&1")
out=$(job_field "$id" '["output_dir"]')
wait_for 120 grep -q "\"step\": 1" "$out/metrics.jsonl" || { "$MLBOX" logs "$id"; fail "the job did not start"; }

# Off a terminal: JSON lines, from `watch` and from `logs -f --metrics`.
"$MLBOX" watch "$id" --interval 0.2 >"$WORK/watch.jsonl" 2>"$WORK/watch.err" &
watcher=$!
"$MLBOX" logs -f --metrics "$id" >"$WORK/logs-metrics.jsonl" 2>"$WORK/logs-metrics.err" &
follower=$!
cleanup_hooks+=("kill $watcher $follower 2>/dev/null")
# On a terminal: tmux.
TMUX_TMPDIR="$WORK" tmux -f /dev/null new-session -d -s watch -x 160 -y 30 \
  "MLBOX_HOME=$MLBOX_HOME '$MLBOX' watch $id --interval 0.2; echo watch-exit=\$?; sleep 120"
cleanup_hooks+=("TMUX_TMPDIR=$WORK tmux kill-server 2>/dev/null")

# seen N: the pane and both JSON streams show N points of loss while the job runs.
seen() {
  local n=$1 loss=$2
  wait_for 60 pane_has "^loss .* $loss  step $n " ||
    { pane; fail "the watch screen does not show loss $loss at step $n"; }
  for f in "$WORK/watch.jsonl" "$WORK/logs-metrics.jsonl"; do
    wait_for 60 jsonl_has "$f" "d['state'] == 'RUNNING' and d['metrics']['loss']['points'] == $n" ||
      { tail -3 "$f"; fail "$(basename "$f"): no update with $n points while the job runs"; }
  done
  pane >"$WORK/pane-$n.txt"
}

seen 1 0.9
P="$WORK/pane-1.txt"
grep -q "^$id  running attempt 1  elapsed [0-9]*s  cost " "$P" || { cat "$P"; fail "watch screen: no stage line"; }
grep -q "^attempts: 1 running$" "$P" || { cat "$P"; fail "watch screen: no attempts line"; }
grep -q "^loss .* 0.9  step 1  ▄$" "$P" || { cat "$P"; fail "watch screen: loss with its one-point sparkline"; }
grep -q "^accuracy .* 0.5  step 1  ▄$" "$P" || { cat "$P"; fail "watch screen: accuracy"; }
pass "watch (tmux) while the job runs: stage 'running attempt 1', elapsed, latest values and sparklines"

touch "$out/.gate-2"
seen 2 0.6
grep -q "^loss .* 0.6  step 2  █▁$" "$WORK/pane-2.txt" || { cat "$WORK/pane-2.txt"; fail "loss sparkline after 2 steps"; }
grep -q "^accuracy .* 0.7  step 2  ▁█$" "$WORK/pane-2.txt" || { cat "$WORK/pane-2.txt"; fail "accuracy sparkline after 2 steps"; }
touch "$out/.gate-3"
seen 3 0.3
grep -q "^loss .* 0.3  step 3  █[▄▅]▁$" "$WORK/pane-3.txt" || { cat "$WORK/pane-3.txt"; fail "loss sparkline after 3 steps"; }
kill -0 $watcher && kill -0 $follower || fail "a JSON watcher ended while the job runs"
pass "the screen redraws as the job writes metrics.jsonl lines (step 2, 3; sparklines grow)"

touch "$out/.gate-end"
wait_for 60 pane_has "watch-exit=" || { pane; fail "watch did not end with the job"; }
pane >"$WORK/pane-end.txt"
grep -q "^$id  succeeded  elapsed" "$WORK/pane-end.txt" || { cat "$WORK/pane-end.txt"; fail "final screen: no final state"; }
grep -q "^attempts: 1 succeeded (exit 0)$" "$WORK/pane-end.txt" || { cat "$WORK/pane-end.txt"; fail "final screen: attempts"; }
grep -q "watch-exit=0" "$WORK/pane-end.txt" || fail "watch did not exit 0 for a succeeded job"
pass "watch (tmux) when the job ends: 'succeeded', attempt 1 exit 0; exit 0"

for p in $watcher $follower; do
  wait_for 30 sh -c "! kill -0 $p 2>/dev/null" || fail "a JSON watcher did not end with the job"
  wait $p || fail "a JSON watcher exited $? for a succeeded job"
done
for f in "$WORK/watch.jsonl" "$WORK/logs-metrics.jsonl"; do
  python3 - "$f" "$id" <<'PY' || fail "$(basename "$f"): the JSON lines do not follow the run"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]  # every line one JSON object
assert len(lines) >= 4, lines
assert all(d["id"] == sys.argv[2] for d in lines)
running = [d for d in lines if d["state"] == "RUNNING"]
assert all(d["stage"] == "running attempt 1" and d["attempt"] == 1 for d in running), running
points = [d["metrics"].get("loss", {}).get("points", 0) for d in lines]
assert points == sorted(points), f"points went back: {points}"
assert {1, 2, 3} <= set(points), points
# The latest value of each count of points, in order: what the job wrote, line by line.
acc = {d["metrics"]["accuracy"]["points"]: d["metrics"]["accuracy"]["last"] for d in lines if "accuracy" in d["metrics"]}
assert [acc[n] for n in (1, 2, 3)] == [0.5, 0.7, 0.9], acc
assert all(d["elapsed_s"] >= 0 for d in running)
last = lines[-1]
assert last["state"] == "SUCCEEDED" and last["stage"] == "succeeded", last
assert last["attempts"] == [{"number": 1, "outcome": "succeeded", "exit_code": 0}], last["attempts"]
assert last["metrics"]["loss"] == {"x": 3, "last": 0.3, "points": 3}, last["metrics"]
assert sum(1 for d in lines if d["state"] == "SUCCEEDED") == 1, "updates after the end"
print(f"{len(lines)} updates, loss points {points[0]}..{points[-1]}")
PY
done
pass "off a terminal: watch and logs -f --metrics write one JSON object per update, values growing, ending SUCCEEDED"

# Without -f: one update, now.
expect_rc 0 "$MLBOX" logs --metrics "$id"
[ "$(wc -l <"$WORK/stdout")" = 1 ] || { cat "$WORK/stdout"; fail "logs --metrics without -f: not one update"; }
jsonl_has "$WORK/stdout" "d['state'] == 'SUCCEEDED' and d['metrics']['loss']['last'] == 0.3" ||
  fail "logs --metrics: $(cat "$WORK/stdout")"
pass "logs --metrics without -f: one update"

# A failed job: 7, after its final update. An unknown id: 2 with the closest.
fid=$("$MLBOX" run --detach -- /bin/sh -c 'echo "{\"step\": 1, \"loss\": 2}" >"$MLBOX_OUTPUT_DIR/metrics.jsonl"; exit 3')
expect_rc 7 timeout 120 "$MLBOX" watch "$fid" --interval 0.2
jsonl_has "$WORK/stdout" "d['state'] == 'FAILED' and d['stage'] == 'failed' and d['attempts'][-1]['exit_code'] == 3" ||
  { cat "$WORK/stdout"; fail "watch of a failed job: no final FAILED update"; }
grep -q "mlbox logs $fid shows why" "$WORK/stderr" || { cat "$WORK/stderr"; fail "watch of a failed job: no next step"; }
expect_rc 7 timeout 120 "$MLBOX" logs -f --metrics "$fid"
bad="${id:0:${#id}-1}$([ "${id: -1}" = 0 ] && echo 1 || echo 0)"
expect_rc 2 "$MLBOX" watch "$bad"
grep -q "did you mean $id" "$WORK/stderr" || { cat "$WORK/stderr"; fail "watch: unknown id without the closest"; }
expect_rc 2 "$MLBOX" logs -f --metrics "$bad"
grep -q "did you mean $id" "$WORK/stderr" || { cat "$WORK/stderr"; fail "logs --metrics: unknown id without the closest"; }
pass "a failed job: watch and logs -f --metrics exit 7; an unknown id: exit 2 with the closest"
