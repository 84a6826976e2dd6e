#!/usr/bin/env python3
"""Writes the TorchScript CNN that mlbox-trainer native trains.

The seed project's MNIST CNN (Conv32-Pool-Conv64-Pool-Conv64-Dense64-Dense10) adapted to
8x8 inputs with padding, or left as is for 28x28 MNIST (--mnist).

    /usr/bin/python3 make_model.py OUT.pt [--seed 0] [--mnist] [--tiny]
"""
import argparse

import torch
from torch import nn


class DigitsCNN(nn.Module):
    def __init__(self, mnist: bool, tiny: bool):
        super().__init__()
        c1, c2, c3, d = (4, 8, 8, 16) if tiny else (32, 64, 64, 64)
        pad = 0 if mnist else 1
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c2, c3, 3, padding=pad), nn.ReLU(),
        )
        spatial = 3 if mnist else 2  # 28->26->13->11->5->3 ; 8->8->4->4->2->2
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c3 * spatial * spatial, d), nn.ReLU(), nn.Linear(d, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build(seed: int = 0, mnist: bool = False, tiny: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    return DigitsCNN(mnist, tiny)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist", action="store_true")
    ap.add_argument("--tiny", action="store_true")
    a = ap.parse_args()
    torch.jit.save(torch.jit.script(build(a.seed, a.mnist, a.tiny)), a.out)
