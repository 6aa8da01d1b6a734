"""Train small models on scikit-learn's digits with faults injected on purpose, and write
their training logs in the formats `losscli curve` reads: the labelled curves behind the
README's detection table and the tests.

    python sample_data/curves/make_curves.py     # needs scikit-learn; ~1 minute

A one-hidden-layer MLP (NumPy, softmax cross-entropy, mini-batch SGD) on 8x8 digits:
  healthy-*     learning rate 0.05, 1,000 training images, 60 epochs (six seeds)
  diverging-*   a schedule that raises the rate 15% / 20% an epoch: the loss falls, then
                explodes (and may turn NaN)
  oscillating-* learning rate too high for full-batch steps (1.6, 2.0): it swings
  plateau-*     learning rate far too low (2e-4, 5e-4): it hardly falls
  overfit-*     30 / 25 training images, a wide layer, 150 epochs: validation turns up
  nan-*         a rising rate and a softmax computed without its max shift: it overflows
                to inf, then NaN
Each run writes one log; the formats rotate (Keras CSVLogger, Lightning metrics.csv,
Keras history JSON, MLflow run folder, JSONL), and labels.json names the diagnosis each
run was made to show ("healthy" for none) and its set: "tuning" runs were looked at while
the thresholds of `losscli curve` were chosen, "held-out" runs only after.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
RUNS = HERE / "runs"


def _data(seed: int, train_size: int):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.data / 16.0
    y = digits.target
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    return x[:train_size], y[:train_size], x[1200:], y[1200:]


def _loss(w1, b1, w2, b2, x, y, naive=False):
    h = np.maximum(x @ w1 + b1, 0)
    z = h @ w2 + b2
    if not naive:  # the stable form; the naive one overflows to inf, then NaN
        z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean()), h, logp


def train(
    seed: int,
    lr: float,
    epochs: int,
    train_size: int,
    hidden: int,
    batch: int,
    growth: float = 1.0,
    naive: bool = False,
):
    rng = np.random.default_rng(seed)
    xt, yt, xv, yv = _data(seed, train_size)
    w1 = rng.normal(0, math.sqrt(2 / 64), (64, hidden))
    b1 = np.zeros(hidden)
    w2 = rng.normal(0, math.sqrt(1 / hidden), (hidden, 10))
    b2 = np.zeros(10)
    rows = []
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            order = rng.permutation(len(xt))
            losses = []
            for start in range(0, len(xt), batch):
                i = order[start : start + batch]
                loss, h, logp = _loss(w1, b1, w2, b2, xt[i], yt[i], naive)
                losses.append(loss)
                g = np.exp(logp)
                g[np.arange(len(i)), yt[i]] -= 1
                g /= len(i)
                gw2, gb2 = h.T @ g, g.sum(axis=0)
                gh = (g @ w2.T) * (h > 0)
                gw1, gb1 = xt[i].T @ gh, gh.sum(axis=0)
                w1 -= lr * gw1
                b1 -= lr * gb1
                w2 -= lr * gw2
                b2 -= lr * gb2
            val = _loss(w1, b1, w2, b2, xv, yv, naive)[0]
            rows.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_loss": val})
            lr *= growth  # a schedule that keeps raising the rate
    return rows


def _number(v: float) -> str:
    return "nan" if math.isnan(v) else ("inf" if math.isinf(v) else repr(v))


def write(rows, path: Path, fmt: str) -> str:
    if fmt == "keras_csv":
        target = path.with_suffix(".csv")
        lines = ["epoch,loss,val_loss"]
        lines += [f"{r['epoch']},{_number(r['loss'])},{_number(r['val_loss'])}" for r in rows]
        target.write_text("\n".join(lines) + "\n")
    elif fmt == "lightning":
        target = path / "metrics.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = ["epoch,step,train_loss,val_loss"]
        step = 0
        for r in rows:
            step += 10
            lines.append(f"{r['epoch']},{step - 1},{_number(r['loss'])},")
            lines.append(f"{r['epoch']},{step - 1},,{_number(r['val_loss'])}")
        target.write_text("\n".join(lines) + "\n")
    elif fmt == "history":
        target = path.with_suffix(".json")
        history = {"loss": [r["loss"] for r in rows], "val_loss": [r["val_loss"] for r in rows]}
        target.write_text(json.dumps(history).replace("NaN", "NaN"))
    elif fmt == "mlflow":
        target = path
        metrics = path / "metrics"
        metrics.mkdir(parents=True, exist_ok=True)
        for name, key in (("train_loss", "loss"), ("val_loss", "val_loss")):
            lines = [
                f"{1764000000000 + 1000 * r['epoch']} {_number(r[key])} {r['epoch']}" for r in rows
            ]
            (metrics / name).write_text("\n".join(lines) + "\n")
    else:
        target = path.with_suffix(".jsonl")
        lines = [
            json.dumps({"epoch": r["epoch"], "train/loss": r["loss"], "val/loss": r["val_loss"]})
            for r in rows
        ]
        target.write_text("\n".join(lines) + "\n")
    return target.relative_to(HERE).as_posix()


HEALTHY = dict(lr=0.05, epochs=60, train_size=1000, hidden=64, batch=32)
PLAN = [
    *[("healthy", s, HEALTHY) for s in range(6)],
    ("diverging", 0, dict(lr=0.05, epochs=60, train_size=1000, hidden=64, batch=32, growth=1.15)),
    ("diverging", 1, dict(lr=0.05, epochs=60, train_size=1000, hidden=64, batch=32, growth=1.2)),
    ("oscillating", 0, dict(lr=1.6, epochs=60, train_size=1000, hidden=64, batch=1000)),
    ("oscillating", 1, dict(lr=2.0, epochs=60, train_size=1000, hidden=64, batch=1000)),
    ("plateau", 0, dict(lr=2e-4, epochs=60, train_size=1000, hidden=64, batch=32)),
    ("plateau", 1, dict(lr=5e-4, epochs=60, train_size=1000, hidden=64, batch=32)),
    ("overfit", 0, dict(lr=0.3, epochs=150, train_size=30, hidden=512, batch=10)),
    ("overfit", 1, dict(lr=0.3, epochs=150, train_size=25, hidden=512, batch=5)),
    (
        "nan",
        0,
        dict(lr=0.05, epochs=60, train_size=1000, hidden=64, batch=32, growth=1.4, naive=True),
    ),
]
# Held out: made after the thresholds were set, never used to tune them.
HELD_OUT = [
    *[("healthy", s, HEALTHY) for s in range(10, 16)],
    ("healthy", 20, dict(lr=0.02, epochs=80, train_size=1000, hidden=32, batch=64)),
    ("healthy", 21, dict(lr=0.1, epochs=40, train_size=1000, hidden=128, batch=16)),
    ("diverging", 10, dict(lr=0.03, epochs=60, train_size=1000, hidden=64, batch=32, growth=1.17)),
    ("oscillating", 10, dict(lr=1.8, epochs=60, train_size=1000, hidden=64, batch=1000)),
    ("oscillating", 11, dict(lr=1.4, epochs=60, train_size=1000, hidden=32, batch=1000)),
    ("plateau", 10, dict(lr=3e-4, epochs=60, train_size=1000, hidden=64, batch=32)),
    ("plateau", 11, dict(lr=1e-4, epochs=80, train_size=1000, hidden=32, batch=64)),
    ("overfit", 10, dict(lr=0.3, epochs=150, train_size=30, hidden=512, batch=10)),
    ("overfit", 11, dict(lr=0.2, epochs=200, train_size=20, hidden=256, batch=5)),
    (
        "nan",
        10,
        dict(lr=0.05, epochs=60, train_size=1000, hidden=64, batch=32, growth=1.3, naive=True),
    ),
]
FORMATS = ["keras_csv", "lightning", "history", "mlflow", "jsonl"]


def main() -> None:
    shutil.rmtree(RUNS, ignore_errors=True)
    RUNS.mkdir()
    labels = {}
    plan = [(p, "tuning") for p in PLAN] + [(p, "held-out") for p in HELD_OUT]
    for k, ((label, seed, config), split) in enumerate(plan):
        rows = train(seed, **config)
        name = f"{label}-{seed}"
        path = write(rows, RUNS / name, FORMATS[k % len(FORMATS)])
        expected = "overfitting" if label == "overfit" else label
        labels[path] = {"label": expected, "set": split}
        print(
            f"{path}: {expected}, final loss {rows[-1]['loss']:.4g}, val {rows[-1]['val_loss']:.4g}"
        )
    (HERE / "labels.json").write_text(json.dumps(labels, indent=2) + "\n")


if __name__ == "__main__":
    main()
