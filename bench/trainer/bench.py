#!/usr/bin/env python3
"""bench/trainer: the seed-style MNIST CNN (Conv32-Pool-Conv64-Pool-Conv64-Dense64-Dense10,
batch 64, Adam lr 1e-3) trained for the same steps on the same data (80/20 train/validation
split, a validation pass per epoch) with the same threads by `mlbox-trainer native` and by
PyTorch Python loops, interleaved (the order rotates every repeat), in one run. Prints each
variant's samples/s (median, min, max over the repeats), samples per CPU-second of the
training steps (process CPU time: less sensitive to other load on the cores), and peak RSS, the ratios, and the
2-rank scaling efficiency.

    /usr/bin/python3 bench/trainer/bench.py BUILD/mlbox-trainer [--steps 150] [--threads 1]
        [--repeats 3] [--attribution] [--no-scaling] [--scaling-repeats 2]

Variants
  native              mlbox-trainer native, defaults (docs/trainer.md)
  python-idiomatic    the loop a user writes: DataLoader over a TensorDataset (python_loop.py)
  python-lean         index_select batches from a randperm order, no DataLoader
  python-idiomatic+malloc  python-idiomatic with glibc malloc set as mlbox-trainer sets it
                      (GLIBC_TUNABLES), to show how much of the gap is the allocator
  --attribution adds native-before (MLBOX_MALLOC_TUNING=0 MLBOX_JIT_OPTIMIZE=1: the trainer as
  it was before the allocator and executor changes), native-no-malloc-tuning and
  native-jit-optimize.

Scaling (weak scaling, per-rank batch 64, threads T per rank, same steps):
  T1   = samples/s of one process with T threads
  T2   = samples/s of two ranks (c10d Gloo on 127.0.0.1, T threads each), all ranks' samples
  T1x2 = samples/s of one process with 2T threads (the same thread budget as the two ranks)
  efficiency = T2 / (2 * T1)   (1.0 = linear); same-budget ratio = T2 / T1x2
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
# What mlbox-trainer's tune_malloc_for_training() sets with mallopt (src/trainer/malloc_tuning.cpp).
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"


def peak_rss_run(argv, env, log):
    """Runs argv (stderr to log); returns peak RSS in MiB (wait4's ru_maxrss)."""
    pid = os.fork()
    if pid == 0:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execve(argv[0], argv, env)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed ({status}); log: {open(log).read()[-2000:]}")
    return ru.ru_maxrss / 1024.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def native_config(work, name, steps, threads):
    cfg = {
        "model": f"{work}/model.pt",
        "data": {"train": {"path": f"{work}/images-idx3-ubyte", "format": "idx",
                           "labels_path": f"{work}/labels-idx1-ubyte", "scale": 1 / 255.0},
                 "validation_split": 0.2},
        "input_shape": [1, 28, 28], "epochs": 1000, "max_steps": steps, "batch_size": 64,
        "seed": 1, "threads": threads, "optimizer": {"name": "adam", "lr": 0.001},
        "metrics": ["loss", "accuracy"], "checkpoint": {"every_epochs": 0, "resume": False},
        "tensorboard": False,
    }
    path = f"{work}/{name}.json"
    json.dump(cfg, open(path, "w"))
    return path


def run_native(a, work, tag, threads, extra_env):
    out = f"{work}/{tag}"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MLBOX_OUTPUT_DIR=out, **extra_env)
    rss = peak_rss_run([a.trainer, "native", "--config",
                        native_config(work, f"cfg-t{threads}", a.steps, threads)],
                       env, f"{out}.log")
    s = json.load(open(f"{out}/native_summary.json"))
    samples = s["samples_per_sec"] * s["seconds"]
    return s["samples_per_sec"], s["loop_seconds"], rss, samples / s["cpu_seconds"]


def run_python(a, work, tag, variant, extra_env):
    res = f"{work}/{tag}.json"
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), **extra_env)
    rss = peak_rss_run([PY, f"{HERE}/python_loop.py", f"{SRC}/examples/native-digits",
                        f"{work}/images-idx3-ubyte", f"{work}/labels-idx1-ubyte", str(a.steps),
                        "64", str(a.threads), "1", "0.2", variant, res], env, f"{work}/{tag}.log")
    p = json.load(open(res))
    return p["samples_per_sec"], p["loop_seconds"], rss, p["samples_per_cpu_sec"]


def run_two_ranks(a, work, tag, threads):
    port = free_port()
    cfg = native_config(work, f"cfg-t{threads}", a.steps, threads)
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), RANK=str(rank), WORLD_SIZE="2",
                   LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                   MLBOX_OUTPUT_DIR=f"{work}/{tag}-r{rank}", MLBOX_DIST_TIMEOUT_SECONDS="120")
        log = open(f"{work}/{tag}-r{rank}.log", "w")
        procs.append(subprocess.Popen([a.trainer, "native", "--config", cfg], env=env,
                                      stdout=log, stderr=log))
    for rank, p in enumerate(procs):
        if p.wait() != 0:
            sys.exit(f"rank {rank} failed: {open(f'{work}/{tag}-r{rank}.log').read()[-2000:]}")
    # Rank 0 counts the global batch (both ranks' samples) per step.
    return json.load(open(f"{work}/{tag}-r0/native_summary.json"))["samples_per_sec"]


def summary(values):
    return {"median": round(statistics.median(values), 1), "min": round(min(values), 1),
            "max": round(max(values), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trainer")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--attribution", action="store_true")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--scaling-repeats", type=int, default=2)
    a = ap.parse_args()
    a.trainer = os.path.abspath(a.trainer)
    work = tempfile.mkdtemp(prefix="mlbox-bench-trainer-")
    subprocess.check_call([PY, f"{HERE}/make_data.py", work])
    subprocess.check_call([PY, f"{SRC}/examples/native-digits/make_model.py", f"{work}/model.pt",
                           "--mnist", "--seed", "0"])
    variants = [
        ("native", lambda tag: run_native(a, work, tag, a.threads, {})),
        ("python-idiomatic", lambda tag: run_python(a, work, tag, "idiomatic", {})),
        ("python-lean", lambda tag: run_python(a, work, tag, "lean", {})),
        ("python-idiomatic+malloc",
         lambda tag: run_python(a, work, tag, "idiomatic", {"GLIBC_TUNABLES": MALLOC_TUNABLES})),
    ]
    if a.attribution:
        variants += [
            ("native-before", lambda tag: run_native(
                a, work, tag, a.threads, {"MLBOX_MALLOC_TUNING": "0", "MLBOX_JIT_OPTIMIZE": "1"})),
            ("native-no-malloc-tuning",
             lambda tag: run_native(a, work, tag, a.threads, {"MLBOX_MALLOC_TUNING": "0"})),
            ("native-jit-optimize",
             lambda tag: run_native(a, work, tag, a.threads, {"MLBOX_JIT_OPTIMIZE": "1"})),
        ]
    results = {name: [] for name, _ in variants}
    for r in range(a.repeats):
        k = r % len(variants)
        for name, fn in variants[k:] + variants[:k]:  # rotate the order every repeat
            results[name].append(fn(f"{name}-{r}"))
        print(f"repeat {r}: " + " | ".join(f"{n} {results[n][-1][0]:.0f}/s {results[n][-1][2]:.0f} MiB"
                                           for n, _ in variants), flush=True)
    report = {"steps": a.steps, "batch": 64, "threads": a.threads, "repeats": a.repeats,
              "load_average": os.getloadavg()[0], "variants": {}, "ratios": {}}
    for name, rs in results.items():
        report["variants"][name] = {"samples_per_sec": summary([x[0] for x in rs]),
                                    "samples_per_cpu_sec": summary([x[3] for x in rs]),
                                    "loop_seconds_median": round(statistics.median(x[1] for x in rs), 2),
                                    "peak_rss_mib_max": round(max(x[2] for x in rs))}
    nat = results["native"]
    for name, rs in results.items():
        if name == "native":
            continue
        paired = [n[0] / p[0] for n, p in zip(nat, rs)]
        report["ratios"][f"native/{name}"] = {
            "samples_per_sec_of_medians": round(statistics.median(x[0] for x in nat) /
                                                statistics.median(x[0] for x in rs), 3),
            "paired_min": round(min(paired), 3), "paired_max": round(max(paired), 3),
            "samples_per_cpu_sec_of_medians": round(statistics.median(x[3] for x in nat) /
                                                    statistics.median(x[3] for x in rs), 3),
            "peak_rss": round(max(x[2] for x in nat) / max(x[2] for x in rs), 3)}
    if not a.no_scaling:
        t = a.threads
        t1, t2, t1x2 = [], [], []
        for r in range(a.scaling_repeats):
            t1.append(run_native(a, work, f"scale-1rank-{r}", t, {})[0])
            t2.append(run_two_ranks(a, work, f"scale-2rank-{r}", t))
            t1x2.append(run_native(a, work, f"scale-1rank-2t-{r}", 2 * t, {})[0])
            print(f"scaling repeat {r}: 1 rank x {t} threads {t1[-1]:.0f}/s | 2 ranks x {t} "
                  f"threads {t2[-1]:.0f}/s | 1 rank x {2 * t} threads {t1x2[-1]:.0f}/s", flush=True)
        m1, m2, m1x2 = (statistics.median(v) for v in (t1, t2, t1x2))
        report["scaling"] = {
            "per_rank_batch": 64, "threads_per_rank": t,
            "T1": summary(t1), "T2": summary(t2), "T1x2": summary(t1x2),
            "efficiency": round(m2 / (2 * m1), 3), "same_budget_ratio": round(m2 / m1x2, 3)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
