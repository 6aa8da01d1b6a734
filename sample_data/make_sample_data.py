"""Regenerate sample_data/regression: a week-ahead demand forecast for 200 store-days.

Run from the repository root: python sample_data/make_sample_data.py
Values are rounded to 2 decimals so that the CSV, Parquet and NPY copies hold the same numbers.
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


def _csv(path: Path, header: list[str], columns: list) -> None:
    lines = [",".join(header)]
    for row in zip(*columns):
        lines.append(",".join(v if isinstance(v, str) else f"{v:.2f}" for v in row))
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
