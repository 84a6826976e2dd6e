#!/usr/bin/env python3
"""bench/trainer: the seed-style MNIST CNN (Conv32-Pool-Conv64-Pool-Conv64-Dense64-Dense10,
batch 64, Adam) trained for the same steps on the same data with the same threads by
`mlbox-trainer native` and by a plain PyTorch loop, alternating, in one run. Prints samples/s
(training steps only) and peak RSS of each, and the ratios.

    /usr/bin/python3 bench/trainer/bench.py BUILD/mlbox-trainer [--steps 300] [--threads 1]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"


def run(argv, env=None):
    """Runs a command; returns (stdout, peak RSS in MiB) from wait4's rusage."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    # communicate() reaped it; rusage of the child comes from RUSAGE_CHILDREN deltas instead.
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed ({p.returncode}): {err.decode()[-2000:]}")
    return out.decode()


def peak_rss_run(argv, env=None):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.execve(argv[0], argv, env or os.environ)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv} failed: {status}")
    return ru.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trainer")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="mlbox-bench-trainer-")
    subprocess.check_call([PY, f"{HERE}/make_data.py", work])
    subprocess.check_call([PY, f"{SRC}/examples/native-digits/make_model.py", f"{work}/model.pt",
                           "--mnist", "--seed", "0"])
    cfg = {
        "model": f"{work}/model.pt",
        "data": {"train": {"path": f"{work}/images-idx3-ubyte", "format": "idx",
                           "labels_path": f"{work}/labels-idx1-ubyte", "scale": 1 / 255.0}},
        "input_shape": [1, 28, 28], "epochs": 1000, "max_steps": a.steps, "batch_size": 64,
        "seed": 1, "threads": a.threads, "optimizer": {"name": "adam", "lr": 0.001},
        "metrics": ["loss"], "checkpoint": {"every_epochs": 0, "resume": False},
        "tensorboard": False,
    }
    json.dump(cfg, open(f"{work}/config.json", "w"))
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    native, python = [], []
    for r in range(a.repeats):
        out = f"{work}/out{r}"
        rss = peak_rss_run([a.trainer, "native", "--config", f"{work}/config.json"],
                           dict(env, MLBOX_OUTPUT_DIR=out))
        s = json.load(open(f"{out}/native_summary.json"))
        native.append((s["samples_per_sec"], rss))
        res = f"{work}/py{r}.json"
        rss = peak_rss_run(["/bin/sh", "-c", f"{PY} {HERE}/python_loop.py {SRC}/examples/native-digits "
                            f"{work}/images-idx3-ubyte {work}/labels-idx1-ubyte {a.steps} 64 "
                            f"{a.threads} 1 > {res}"], env)
        p = json.load(open(res))
        python.append((p["samples_per_sec"], rss))
        print(f"repeat {r}: native {native[-1][0]:8.1f} samples/s {native[-1][1]:6.0f} MiB | "
              f"python {python[-1][0]:8.1f} samples/s {python[-1][1]:6.0f} MiB")
    best_n = max(x[0] for x in native)
    best_p = max(x[0] for x in python)
    rss_n = max(x[1] for x in native)
    rss_p = max(x[1] for x in python)
    print(json.dumps({"steps": a.steps, "batch": 64, "threads": a.threads,
                      "native_samples_per_sec": round(best_n, 1),
                      "python_samples_per_sec": round(best_p, 1),
                      "speedup": round(best_n / best_p, 3),
                      "native_peak_rss_mib": round(rss_n), "python_peak_rss_mib": round(rss_p),
                      "rss_ratio": round(rss_n / rss_p, 3)}))


if __name__ == "__main__":
    main()
