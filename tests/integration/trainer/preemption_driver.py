#!/usr/bin/env python3
"""Preemption check for mlbox-trainer native.

1. An uninterrupted reference run.
2. N runs, each stopped at a random point (SIGTERM, or SIGKILL for the last two), then
   resumed until it completes. Counts the steps every invocation ran: the steps lost to an
   interruption are the ones re-run after resuming from the last checkpoint.
3. A run whose newest checkpoint is truncated, and one whose newest checkpoint has a flipped
   bit: the resume must skip it with a warning and fall back to the previous one.
Every run must end with the reference's history and weights (within TOL).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import torch

TRAINER, CONFIG, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 10
EVERY_STEPS = json.load(open(CONFIG))["checkpoint"]["every_steps"]
TOL = 1e-6
rng = random.Random(int(os.environ.get("PREEMPT_SEED", "1234")))


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def start(out):
    env = dict(os.environ, MLBOX_OUTPUT_DIR=out)
    log = open(os.path.join(out + ".log"), "ab")
    return subprocess.Popen([TRAINER, "native", "--config", CONFIG], env=env, stdout=log,
                            stderr=subprocess.STDOUT), out + ".log"


def summary(out):
    return json.load(open(os.path.join(out, "native_summary.json")))


def run_to_end(out):
    p, _ = start(out)
    if p.wait() != 0:
        fail(f"run in {out} exited {p.returncode}: {open(out + '.log').read()[-2000:]}")
    return summary(out)


def wait_training(p, log):
    deadline = time.time() + 120
    while b"steps/epoch" not in open(log, "rb").read():
        if p.poll() is not None or time.time() > deadline:
            fail(f"run did not start training: {open(log).read()[-2000:]}")
        time.sleep(0.02)
    return time.time()


TRAIN_WALL = None  # seconds from "training starts" to exit, measured on the reference run


def interrupt(out, sig):
    """Starts a run and signals it at a random point of its training."""
    os.makedirs(out, exist_ok=True)
    p, log = start(out)
    wait_training(p, log)
    time.sleep(rng.uniform(0.0, 0.9 * TRAIN_WALL))
    p.send_signal(sig)
    rc = p.wait()
    return rc


def weights(out):
    m = torch.jit.load(os.path.join(out, "model", "model.pt"))
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def compare(out, ref_hist, ref_w):
    hist = json.load(open(os.path.join(out, "history.json")))["history"]
    for k, ref in ref_hist.items():
        got = hist.get(k, [])
        if len(got) != len(ref) or any(abs(a - b) > TOL * max(1, abs(b)) for a, b in zip(got, ref)):
            fail(f"{out}: history[{k}] = {got}, reference {ref}")
    w = weights(out)
    worst = max((w[k] - ref_w[k]).abs().max().item() for k in ref_w)
    if worst > TOL:
        fail(f"{out}: weights differ from the reference by {worst}")
    return worst


os.makedirs(WORK, exist_ok=True)
ref_out = os.path.join(WORK, "reference")
os.makedirs(ref_out)
p, log = start(ref_out)
t0 = wait_training(p, log)
if p.wait() != 0:
    fail(f"reference run failed: {open(log).read()[-2000:]}")
TRAIN_WALL = time.time() - t0
ref = summary(ref_out)
total_steps = ref["global_step"]
ref_hist = json.load(open(os.path.join(ref_out, "history.json")))["history"]
ref_w = weights(ref_out)
print(f"reference: {total_steps} steps in {TRAIN_WALL:.1f} s, final {ref['final_metrics']}")

rows = []
for i in range(RUNS):
    out = os.path.join(WORK, f"run{i}")
    sig = signal.SIGKILL if i >= RUNS - 2 else signal.SIGTERM
    rc = interrupt(out, sig)
    expected = {signal.SIGTERM: (75, 0), signal.SIGKILL: (-9, 0)}[sig]
    if rc not in expected:
        fail(f"run{i}: exit {rc} after {sig.name}, expected one of {expected}")
    stopped_at = None
    ckpt_step = None
    if rc == 75:
        s = summary(out)
        stopped_at = s["global_step"]
        ckpt_step = stopped_at  # SIGTERM saves a checkpoint at the step it stopped
    if rc == 0:
        rows.append((i, sig.name, "finished before the signal", 0))
        compare(out, ref_hist, ref_w)
        continue
    interrupted_log_size = os.path.getsize(out + ".log")
    resumed = run_to_end(out)
    resumed_from = resumed["resumed_from_step"]
    if rc == 75 and resumed_from != ckpt_step:
        fail(f"run{i}: resumed from {resumed_from}, stopped (and saved) at {ckpt_step}")
    if resumed["first_step"] + resumed["steps_run"] != total_steps:
        fail(f"run{i}: resumed run ended at {resumed['first_step'] + resumed['steps_run']}")
    # Steps lost = steps the interrupted invocation completed (it logs "step N" after each)
    # beyond the checkpoint the resumed invocation started from.
    first_part = open(out + ".log").read()[:interrupted_log_size]
    done = [int(l.split("step ")[1].split()[0]) for l in first_part.splitlines()
            if "mlbox-trainer: step " in l]
    lost = max(0, (max(done) if done else 0) - max(resumed_from, 0))
    if lost > EVERY_STEPS or (sig == signal.SIGTERM and lost != 0):
        fail(f"run{i}: lost {lost} steps after {sig.name} (checkpoint.every_steps {EVERY_STEPS})")
    worst = compare(out, ref_hist, ref_w)
    rows.append((i, sig.name, f"stopped at step {stopped_at if stopped_at is not None else '?'}, "
                 f"resumed from {resumed_from}", lost))

for i, sig, what, lost in rows:
    print(f"run{i}: {sig:7s} {what}; steps lost {lost}")


def corrupt_and_resume(name, damage):
    out = os.path.join(WORK, name)
    for attempt in range(5):
        shutil.rmtree(out, ignore_errors=True)
        if os.path.exists(out + ".log"):
            os.remove(out + ".log")
        rc = interrupt(out, signal.SIGTERM)
        ckpts = sorted(os.listdir(os.path.join(out, "checkpoints")))
        if rc == 75 and len(ckpts) >= 2:
            break
    else:
        fail(f"{name}: could not get an interrupted run with two checkpoints")
    newest = os.path.join(out, "checkpoints", ckpts[-1])
    previous = int(ckpts[-2].split("-")[1].split(".")[0])
    data = bytearray(open(newest, "rb").read())
    damage(data)
    open(newest, "wb").write(bytes(data))
    resumed = run_to_end(out)
    log = open(out + ".log").read()
    if "WARNING: skipping checkpoint" not in log:
        fail(f"{name}: no warning about the damaged checkpoint")
    if resumed["resumed_from_step"] != previous:
        fail(f"{name}: resumed from {resumed['resumed_from_step']}, expected {previous}")
    compare(out, ref_hist, ref_w)
    print(f"{name}: damaged {ckpts[-1]} skipped, resumed from step {previous}")


def truncate(d):
    del d[len(d) // 2:]


def flip(d):
    d[len(d) // 3] ^= 0x10


corrupt_and_resume("truncated", truncate)
corrupt_and_resume("bitflip", flip)
print("PASS")
