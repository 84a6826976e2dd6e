#!/usr/bin/env python3
"""The peer: a plain PyTorch training loop for the same CNN, data, optimizer, batch size,
steps and threads as the mlbox-trainer native run. Prints one JSON line."""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])  # examples/native-digits
from make_model import build  # noqa: E402

images, labels, steps, batch, threads, seed = (sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                               int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
torch.set_num_threads(threads)


def idx(path):
    raw = open(path, "rb").read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x = torch.tensor(idx(images), dtype=torch.float32).mul_(1 / 255.0).reshape(-1, 1, 28, 28)
y = torch.tensor(idx(labels), dtype=torch.long)
# PY_LOOP_MODEL=path: drive the same TorchScript file mlbox-trainer loads (diagnostic), else
# the eager nn.Module built with the same seed (the peer).
jit_path = os.environ.get("PY_LOOP_MODEL")
model = torch.jit.load(jit_path) if jit_path else build(0, mnist=True)
model.train()
opt = torch.optim.Adam(model.parameters(), lr=0.001)
loss_fn = torch.nn.CrossEntropyLoss()
n = len(x)
g = torch.Generator().manual_seed(seed)
done = 0
elapsed = 0.0
while done < steps:
    order = torch.randperm(n, generator=g)
    for s in range(0, n, batch):
        if done >= steps:
            break
        t0 = time.perf_counter()
        idx_t = order[s:s + batch]
        xb, yb = x.index_select(0, idx_t), y.index_select(0, idx_t)
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        last = loss.item()
        elapsed += time.perf_counter() - t0
        done += 1
        samples = done  # noqa
print(json.dumps({"steps": done, "seconds": elapsed, "samples_per_sec": done * batch / elapsed,
                  "last_loss": last}))
