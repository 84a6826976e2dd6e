"""Script-mode example for TensorFlow/Keras: the seed-style CNN on scikit-learn's 8x8 digits.

Saves the model and a Keras History-like JSON to MLBOX_MODEL_DIR; checkpoints every epoch to
MLBOX_CHECKPOINT_DIR and resumes from the newest after a preemption.
"""
import argparse
import json
import os

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits


def build_model():
    return tf.keras.Sequential([
        tf.keras.layers.Input((8, 8, 1)),
        tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dense(10),
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tf.keras.utils.set_random_seed(args.seed)
    model_dir = os.environ.get("MLBOX_MODEL_DIR", "runs/local/model")
    ckpt_dir = os.environ.get("MLBOX_CHECKPOINT_DIR", "runs/local/checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    os.makedirs(ckpt_dir, exist_ok=True)
    print("GPUs:", tf.config.list_physical_devices("GPU"), flush=True)

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(x))
    split = int(0.8 * len(x))
    tr, va = perm[:split], perm[split:]

    model = build_model()
    model.compile(optimizer="adam",
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    ckpt = os.path.join(ckpt_dir, "last.weights.h5")
    state = os.path.join(ckpt_dir, "state.json")
    initial_epoch = 0
    if os.path.exists(ckpt) and os.path.exists(state):
        model.load_weights(ckpt)
        initial_epoch = json.load(open(state))["epoch"]
        print(f"resumed from epoch {initial_epoch}", flush=True)

    class Checkpoint(tf.keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            model.save_weights(ckpt)
            with open(state + ".tmp", "w") as f:
                json.dump({"epoch": epoch + 1}, f)
            os.replace(state + ".tmp", state)

    hist = model.fit(x[tr], y[tr], validation_data=(x[va], y[va]), epochs=args.epochs,
                     initial_epoch=initial_epoch, batch_size=args.batch_size,
                     callbacks=[Checkpoint()], verbose=2)
    model.save(os.path.join(model_dir, "model.keras"))
    with open(os.path.join(model_dir, "history.json"), "w") as f:
        json.dump({k: [float(v) for v in vs] for k, vs in hist.history.items()}, f)


if __name__ == "__main__":
    main()
