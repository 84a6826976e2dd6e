#!/usr/bin/env python3
"""Loads a model saved by mlbox-trainer native in Python (torch 1.13) and prints its accuracy
on the last `split` fraction of the sklearn 8x8 digits (the native run's validation split)."""
import gzip
import sys

import numpy as np
import torch

model_path, split = sys.argv[1], float(sys.argv[2])
with gzip.open("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz") as fh:
    table = np.loadtxt(fh, delimiter=",")
x = torch.tensor(table[:, :-1] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
y = torch.tensor(table[:, -1], dtype=torch.long)
nval = int(len(x) * split)
x, y = x[len(x) - nval:], y[len(y) - nval:]
model = torch.jit.load(model_path)
model.eval()
with torch.no_grad():
    acc = (model(x).argmax(1) == y).double().mean().item()
print(f"{acc:.6f} {nval}")
