#!/usr/bin/env python3
"""MNIST-shaped data from a real dataset shipped by Debian: the sklearn 8x8 digits upscaled
to 28x28 (bilinear), written as MNIST IDX files (uint8 images, uint8 labels). MNIST itself is
not packaged, and throughput does not depend on the pixel values."""
import gzip
import struct
import sys

import numpy as np
import torch

out = sys.argv[1]
with gzip.open("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz") as fh:
    t = np.loadtxt(fh, delimiter=",")
x = torch.tensor(t[:, :-1] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
x = torch.nn.functional.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
img = (x.clamp(0, 1) * 255).round().to(torch.uint8).reshape(-1, 28, 28).numpy()
lab = t[:, -1].astype(np.uint8)
with open(f"{out}/images-idx3-ubyte", "wb") as fh:
    fh.write(struct.pack(">IIII", 0x803, len(img), 28, 28) + img.tobytes())
with open(f"{out}/labels-idx1-ubyte", "wb") as fh:
    fh.write(struct.pack(">II", 0x801, len(lab)) + lab.tobytes())
