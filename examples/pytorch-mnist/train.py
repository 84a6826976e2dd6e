"""Script-mode example: the seed-style CNN (Conv32-Pool-Conv64-Pool-Conv64-Dense64-Dense10)
trained on the 8x8 handwritten digits that scikit-learn ships (no download at run time).

mlbox-trainer exports MLBOX_MODEL_DIR / MLBOX_CHECKPOINT_DIR; outside mlbox they default to
./runs/local. Checkpoints are written every epoch and picked up again after a preemption.
"""
import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
from sklearn.datasets import load_digits


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        # 8x8 inputs: padding keeps the seed architecture's three convolutions valid.
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 4x4
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 2x2
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    model_dir = os.environ.get("MLBOX_MODEL_DIR", "runs/local/model")
    ckpt_dir = os.environ.get("MLBOX_CHECKPOINT_DIR", "runs/local/checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(ckpt_dir, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"training on {device}", flush=True)

    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target, dtype=torch.long)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(args.seed))
    split = int(0.8 * len(x))
    train_idx, val_idx = perm[:split], perm[split:]

    model = Net().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_epoch, history = 0, {"loss": [], "val_accuracy": []}
    ckpt_path = os.path.join(ckpt_dir, "last.pt")
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start_epoch, history = state["epoch"] + 1, state["history"]
        print(f"resumed from epoch {start_epoch}", flush=True)

    for epoch in range(start_epoch, args.epochs):
        model.train()
        order = train_idx[torch.randperm(len(train_idx))]
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            b = order[i : i + args.batch_size]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[b].to(device)), y[b].to(device))
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        model.eval()
        with torch.no_grad():
            pred = model(x[val_idx].to(device)).argmax(1).cpu()
        acc = float((pred == y[val_idx]).float().mean())
        history["loss"].append(total / len(order))
        history["val_accuracy"].append(acc)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(order):.4f} val_accuracy {acc:.4f}", flush=True)
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch, "history": history}, tmp)
        os.replace(tmp, ckpt_path)

    torch.jit.script(model.cpu()).save(os.path.join(model_dir, "model.pt"))
    with open(os.path.join(model_dir, "history.json"), "w") as f:
        json.dump(history, f)
    print(f"final val_accuracy {history['val_accuracy'][-1]:.4f}", flush=True)


if __name__ == "__main__":
    main()
