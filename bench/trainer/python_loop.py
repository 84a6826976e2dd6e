#!/usr/bin/env python3
"""The peer: a PyTorch training loop for the same CNN, data, optimizer, batch size, steps,
threads and validation split as the mlbox-trainer native run. Writes one JSON object.

    python_loop.py EXAMPLES_DIR IMAGES LABELS STEPS BATCH THREADS SEED VAL_SPLIT VARIANT OUT.json

VARIANT
  idiomatic  what a user writes: DataLoader(TensorDataset, shuffle=True), model.train(),
             optimizer.zero_grad(), loss.backward(), optimizer.step(), running loss and
             accuracy with .item(), and a validation pass (model.eval(), no_grad) per epoch.
  lean       the same, but batches gathered with index_select from a torch.randperm order
             instead of the DataLoader (no per-sample __getitem__ / collate): a leaner loop
             than most users write.
BENCH_DEVICE=cuda (bench/gpu) trains on the GPU: the model and each batch moved with .to().
`samples_per_sec` counts the training steps only (batch fetch, forward, backward, step,
metrics), like mlbox-trainer's; `samples_per_cpu_sec` the same over process CPU time
(time.process_time); `loop_seconds` is the whole epoch loop, validation included.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, sys.argv[1])  # examples/native-digits
from make_model import build  # noqa: E402

images, labels = sys.argv[2], sys.argv[3]
steps, batch, threads, seed = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
val_split, variant, out_path = float(sys.argv[8]), sys.argv[9], sys.argv[10]
assert variant in ("idiomatic", "lean"), variant
torch.set_num_threads(threads)


def read_idx(path):
    raw = open(path, "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x = torch.tensor(read_idx(images), dtype=torch.float32).mul_(1 / 255.0).reshape(-1, 1, 28, 28)
y = torch.tensor(read_idx(labels), dtype=torch.long)
n_val = int(len(x) * val_split)  # Keras semantics, as mlbox-trainer: the last fraction
x_train, y_train, x_val, y_val = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]

torch.manual_seed(seed)
device = torch.device(os.environ.get("BENCH_DEVICE", "cpu"))
model = build(0, mnist=True).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
loss_fn = torch.nn.CrossEntropyLoss()
train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch, shuffle=True)
val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=max(batch, 256))


def lean_batches():
    order = torch.randperm(len(x_train))
    for s in range(0, len(x_train), batch):
        idx = order[s:s + batch]
        yield x_train.index_select(0, idx), y_train.index_select(0, idx)


done, samples, train_seconds, cpu_seconds = 0, 0, 0.0, 0.0
history = []
loop_started = time.perf_counter()
while done < steps:
    model.train()
    running_loss, correct, seen = 0.0, 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    complete = True
    for xb, yb in (train_loader if variant == "idiomatic" else lean_batches()):
        if done >= steps:
            complete = False
            break
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * len(yb)
        correct += (out.argmax(1) == yb).sum().item()
        seen += len(yb)
        done += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_seconds += time.perf_counter() - t0
    cpu_seconds += time.process_time() - c0
    samples += seen
    if not complete:
        break
    model.eval()
    val_loss, val_correct = 0.0, 0
    with torch.no_grad():
        for xb, yb in val_loader:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            val_loss += loss_fn(out, yb).item() * len(yb)
            val_correct += (out.argmax(1) == yb).sum().item()
    history.append({"loss": running_loss / seen, "accuracy": correct / seen,
                    "val_loss": val_loss / n_val, "val_accuracy": val_correct / n_val})
loop_seconds = time.perf_counter() - loop_started
with open(out_path, "w") as fh:
    json.dump({"variant": variant, "steps": done, "samples": samples, "seconds": train_seconds,
               "samples_per_sec": samples / train_seconds, "cpu_seconds": cpu_seconds,
               "samples_per_cpu_sec": samples / cpu_seconds, "loop_seconds": loop_seconds,
               "history": history}, fh)
