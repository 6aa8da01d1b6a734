"""Regenerate sample_data/: small, realistic inputs for every family of losses.

- regression/: a week-ahead demand forecast for 200 store-days.
- classification/: a 4-class image classifier on 120 images (logits, labels, probabilities).
- segmentation/: 6 images of 8x8 pixels, 3 classes (logits (N, C, H, W), label masks).
- sequence/ctc.npz: a CTC batch (log_probs (T, N, C), padded targets and lengths).
- ci/: a production and a candidate forecast against actuals keyed by order id, and a
  candidate that lost ten orders (partial.csv).
- partitioned/evals/: a day-partitioned evaluation set as a Spark or Dask job writes it
  (day=YYYY-MM-DD/part-N.parquet, with _SUCCESS): order id, actual demand, forecast.
- mistakes/: files with the classic mistakes that the README's error examples show.
- plugins/my_losses.py (written by hand): a user-defined loss for --plugin.

Run from the repository root: python sample_data/make_sample_data.py
Values are rounded so that the CSV, Parquet and NPY copies hold the same numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent / "regression"


def main() -> None:
    rng = np.random.default_rng(20261121)
    n = 200
    day = np.arange(n)
    season = 40 + 12 * np.sin(2 * np.pi * day / 7) + 0.05 * day
    targets = np.round(season + rng.normal(0, 4, n), 2)
    preds = np.round(season + rng.normal(0.5, 3, n), 2)
    preds[[17, 123]] += [35.0, -28.0]  # two bad days: a promotion and a store closure
    weights = np.round(rng.uniform(0.5, 2.0, n), 2)
    dates = [(dt.date(2026, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in day]

    HERE.mkdir(exist_ok=True)
    _csv(HERE / "preds.csv", ["prediction"], [preds])
    _csv(HERE / "targets.csv", ["target"], [targets])
    _csv(HERE / "weights.csv", ["weight"], [weights])
    _csv(HERE / "both.csv", ["date", "y", "yhat", "weight"], [dates, targets, preds, weights])
    pq.write_table(pa.table({"prediction": preds}), HERE / "preds.parquet")
    pq.write_table(pa.table({"target": targets}), HERE / "targets.parquet")
    np.save(HERE / "preds.npy", preds)
    np.save(HERE / "targets.npy", targets)
    classification(rng)
    saturated()
    segmentation(rng)
    sequence(rng)
    ci(np.random.default_rng(4))
    partitioned(np.random.default_rng(5))
    mistakes()


def partitioned(rng: np.random.Generator) -> None:
    out = HERE.parent / "partitioned" / "evals"
    order = 1000
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        for part in range(2):
            n = int(rng.integers(40, 60))
            actual = np.round(rng.gamma(4.0, 10.0, n), 2)
            forecast = np.round(actual + rng.normal(0.5, 4.0, n), 2)
            folder = out / f"day={day}"
            folder.mkdir(parents=True, exist_ok=True)
            table = pa.table(
                {"order_id": np.arange(order, order + n), "y": actual, "forecast": forecast}
            )
            pq.write_table(table, folder / f"part-{part}.parquet")
            order += n
    (out / "_SUCCESS").write_text("")


def ci(rng: np.random.Generator) -> None:
    """A model in production and a candidate, scored in CI against next week's actuals.

    Files are keyed by order id and stored in different orders; the candidate is better
    overall but worse in the 'east' region.
    """
    out = HERE.parent / "ci"
    out.mkdir(exist_ok=True)
    n = 400
    ids = np.arange(5001, 5001 + n)
    region = rng.choice(["east", "north", "south", "west"], n, p=[0.2, 0.3, 0.3, 0.2])
    actual = np.round(rng.gamma(4.0, 10.0, n), 2)
    current = np.round(actual + rng.normal(0, 6, n), 2)
    noise = np.where(region == "east", 9.0, 4.5)
    candidate = np.round(actual + rng.normal(0, 1, n) * noise, 2)
    order = rng.permutation(n)
    pq.write_table(
        pa.table({"order_id": ids, "region": region, "y": actual}), out / "actuals.parquet"
    )
    _csv(out / "forecast.csv", ["order_id", "yhat"], [ids[order].astype(str), current[order]])
    _csv(out / "candidate.csv", ["order_id", "yhat"], [ids.astype(str), candidate])
    _csv(out / "partial.csv", ["order_id", "yhat"], [ids[:-10].astype(str), candidate[:-10]])


def mistakes() -> None:
    """Copies of good files with one mistake each, for the README's error examples."""
    out = HERE.parent / "mistakes"
    out.mkdir(exist_ok=True)
    lines = (HERE / "preds.csv").read_text().splitlines()
    (out / "short.csv").write_text("\n".join(lines[:151]) + "\n")  # 150 of 200 rows
    (out / "bad.csv").write_text("p,y\n1.5,1.0\n2.0,2.5\n0.5,oops\n3.0,2.0\n")
    labels = (HERE.parent / "classification" / "labels.csv").read_text().splitlines()
    labels[2] = "4"  # row 2: a class index past the last of 4 classes
    (out / "labels.csv").write_text("\n".join(labels) + "\n")


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def saturated() -> None:
    """Binary predictions, some saturated, as probabilities and as logits: `losscli grad`
    shows the probability form's gradient vanishing under Keras's clipping."""
    p = np.array([1e-9, 0.02, 0.3, 0.6, 0.97, 0.999999999])
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    x = np.log(p) - np.log1p(-p)
    lines = ["p,logit,y"] + [
        f"{a!r},{b!r},{c!r}" for a, b, c in zip(p.tolist(), x.tolist(), y.tolist())
    ]
    (HERE.parent / "classification" / "saturated.csv").write_text("\n".join(lines) + "\n")


def classification(rng: np.random.Generator) -> None:
    out = HERE.parent / "classification"
    out.mkdir(exist_ok=True)
    n, classes = 120, ("cat", "dog", "fox", "owl")
    labels = rng.integers(0, 4, n)
    logits = rng.normal(0, 1.2, (n, 4))
    logits[np.arange(n), labels] += rng.normal(2.0, 1.5, n)  # mostly right, sometimes not
    logits = np.round(logits, 3)
    probs = np.round(_softmax(logits, 1), 6)
    probs[:, -1] = np.round(1 - probs[:, :-1].sum(axis=1), 6)
    np.save(out / "logits.npy", logits)
    _csv(out / "logits.csv", [f"logit_{c}" for c in classes], list(logits.T), "{:.3f}")
    _csv(out / "labels.csv", ["label"], [labels], "{:d}")
    pq.write_table(
        pa.table({f"p_{c}": probs[:, i] for i, c in enumerate(classes)}), out / "probs.parquet"
    )
    pq.write_table(pa.table({"label": labels}), out / "labels.parquet")


def segmentation(rng: np.random.Generator) -> None:
    out = HERE.parent / "segmentation"
    out.mkdir(exist_ok=True)
    masks = rng.integers(0, 3, (6, 8, 8))
    logits = rng.normal(0, 1, (6, 3, 8, 8))
    logits += 2.5 * (masks[:, None] == np.arange(3)[None, :, None, None])
    np.save(out / "logits.npy", np.round(logits, 3))
    np.save(out / "masks.npy", masks)


def sequence(rng: np.random.Generator) -> None:
    out = HERE.parent / "sequence"
    out.mkdir(exist_ok=True)
    t, n, c, s = 30, 4, 6, 8
    target_lengths = np.array([8, 5, 3, 6])
    targets = rng.integers(1, c, (n, s))
    targets[np.arange(s)[None, :] >= target_lengths[:, None]] = 0
    log_probs = np.log(_softmax(rng.normal(0, 2, (t, n, c)), 2))
    np.savez(
        out / "ctc.npz",
        log_probs=log_probs,
        targets=targets,
        input_lengths=np.array([30, 25, 20, 28]),
        target_lengths=target_lengths,
    )


def _csv(path: Path, header: list[str], columns: list, fmt: str = "{:.2f}") -> None:
    lines = [",".join(header)]
    for row in zip(*columns):
        lines.append(",".join(v if isinstance(v, str) else fmt.format(v) for v in row))
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
