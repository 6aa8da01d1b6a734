"""Training logs read as loss curves: Keras CSVLogger files, PyTorch Lightning
``metrics.csv``, any CSV/TSV/Parquet/JSON/JSONL table with a step or epoch column, Keras
``history.history`` JSON, MLflow run folders and TensorBoard event files (the
``tensorboard`` extra).

Train and validation series are found by their usual names or named with ``train``,
``val`` and ``x``. Rows where a metric is blank do not belong to its series (Lightning
logs train and validation on separate rows); a step logged twice (a resumed run) keeps its
last value; "nan" and "inf" written as text are read as such.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError, UsageError, option
from losscli.records import record

TRAIN_NAMES = (
    "loss", "train_loss", "train/loss", "loss/train", "training_loss", "train_loss_epoch",
    "train/loss_epoch", "epoch_loss", "train_loss_step",
)  # fmt: skip
VAL_NAMES = (
    "val_loss", "val/loss", "loss/val", "validation_loss", "valid_loss", "eval_loss",
    "eval/loss", "val_loss_epoch", "test_loss",
)  # fmt: skip
X_NAMES = ("epoch", "step", "global_step", "iteration", "iter", "_step")


@record(frozen=True)
class Curve:
    """One series: its x values (epochs or steps) and its losses, in x order."""

    name: str
    x: np.ndarray
    y: np.ndarray


@record(frozen=True)
class Run:
    """A training run's loss curves, read from one log."""

    name: str
    x_name: str
    train: Curve | None
    val: Curve | None

    def curves(self) -> list[Curve]:
        return [c for c in (self.train, self.val) if c is not None]


Columns = dict[str, list[float | None]]


def _number(value: Any) -> float | None:
    """A cell as a float: blank -> None; "nan", "inf" and null -> themselves; text raises."""
    if value is None:
        return None
    if isinstance(value, (bool, int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if text.lower() in ("null", "none"):
        return math.nan
    return float(text)


def _columns_from_records(records: Iterable[Mapping[str, Any]], where: str) -> Columns:
    columns: Columns = {}
    for count, row in enumerate(records):
        if not isinstance(row, Mapping):
            raise InputError(
                f"{where}: record {count + 1} is {type(row).__name__}, not an object of named "
                'values (expected rows like {"epoch": 0, "loss": 1.2})'
            )
        for name in columns:
            columns[name].append(None)
        for name, value in row.items():
            if name not in columns:
                columns[name] = [None] * (count + 1)
            try:
                columns[name][count] = _number(value)
            except (ValueError, TypeError):
                columns[name][count] = None  # text columns (timestamps, names) are ignored
    return columns


def _read_csv(path: str) -> Columns:
    delimiter = "\t" if path.lower().endswith(".tsv") else ","
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return _columns_from_records(csv.DictReader(fh, delimiter=delimiter), path)


def _read_json(path: str) -> Columns:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if path.lower().endswith((".jsonl", ".ndjson")):
        records = [json.loads(line) for line in text.splitlines() if line.strip()]
        return _columns_from_records(records, path)
    data = json.loads(text)
    if isinstance(data, dict) and "history" in data and isinstance(data["history"], dict):
        data = data["history"]
    if isinstance(data, dict):  # Keras history: {"loss": [...], "val_loss": [...]}
        lists = {k: v for k, v in data.items() if isinstance(v, list)}
        if not lists:
            raise InputError(f"{path}: no lists of values (expected Keras history JSON)")
        n = max(len(v) for v in lists.values())
        columns: Columns = {"epoch": [float(i) for i in range(n)]}
        for name, values in lists.items():
            columns[name] = [_number(v) for v in values] + [None] * (n - len(values))
        return columns
    if isinstance(data, list):
        return _columns_from_records(data, path)
    raise InputError(f"{path}: expected Keras history JSON or a list of records")


def _read_parquet(path: str) -> Columns:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns: Columns = {}
    for name in table.column_names:
        values = table.column(name).to_pylist()
        try:
            columns[name] = [_number(v) for v in values]
        except (ValueError, TypeError):
            continue
    return columns


def _read_mlflow(folder: str) -> Columns:
    """``metrics/<name>`` files of lines ``timestamp value step``."""
    metrics = os.path.join(folder, "metrics")
    steps: dict[float, dict[str, float]] = {}
    for root, _, files in os.walk(metrics):
        for file in files:
            name = os.path.relpath(os.path.join(root, file), metrics).replace(os.sep, "/")
            with open(os.path.join(root, file), encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) >= 2:
                        step = float(parts[2]) if len(parts) > 2 else 0.0
                        steps.setdefault(step, {})[name] = float(parts[1])
    names = sorted({n for row in steps.values() for n in row})
    ordered = sorted(steps)
    columns: Columns = {"step": [float(s) for s in ordered]}
    for name in names:
        columns[name] = [steps[s].get(name) for s in ordered]
    return columns


def _read_tensorboard(path: str) -> Columns:
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        raise UsageError(
            f"{path}: reading TensorBoard event files needs the tensorboard extra: "
            "pip install 'losscli[tensorboard]'"
        ) from None
    accumulator = event_accumulator.EventAccumulator(path, size_guidance={"scalars": 0})
    accumulator.Reload()
    steps: dict[float, dict[str, float]] = {}
    for tag in accumulator.Tags().get("scalars", []):
        for event in accumulator.Scalars(tag):
            steps.setdefault(float(event.step), {})[tag] = float(event.value)
    ordered = sorted(steps)
    names = sorted({n for row in steps.values() for n in row})
    columns: Columns = {"step": list(ordered)}
    for name in names:
        columns[name] = [steps[s].get(name) for s in ordered]
    return columns


def read_columns(path: str) -> Columns:
    """Every numeric column of a log, blanks as None."""
    lower = path.lower()
    try:
        if os.path.isdir(path):
            if os.path.isdir(os.path.join(path, "metrics")):
                return _read_mlflow(path)
            if os.path.isfile(os.path.join(path, "metrics.csv")):
                return _read_csv(os.path.join(path, "metrics.csv"))
            if any(f.startswith("events.out.tfevents") for f in os.listdir(path)):
                return _read_tensorboard(path)
            raise InputError(
                f"{path}: a folder, but not an MLflow run (metrics/), a Lightning log "
                "(metrics.csv) or a TensorBoard run (events.out.tfevents.*)"
            )
        if os.path.basename(lower).startswith("events.out.tfevents"):
            return _read_tensorboard(path)
        if lower.endswith((".csv", ".tsv")):
            return _read_csv(path)
        if lower.endswith((".json", ".jsonl", ".ndjson")):
            return _read_json(path)
        if lower.endswith(".parquet"):
            return _read_parquet(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read the log ({exc})") from None
    raise InputError(
        f"{path}: not a known log (.csv, .tsv, .json, .jsonl, .parquet, an MLflow run or "
        "Lightning folder, or TensorBoard events)"
    )


def _pick(
    columns: Columns, given: str | None, names: Sequence[str], what: str, path: str
) -> str | None:
    if given is not None:
        if given not in columns:
            raise InputError(
                f"{path}: {option(what, given)}: no such column (columns: {', '.join(columns)})"
            )
        return given
    lowered = {c.lower(): c for c in columns}
    for name in names:
        if name in lowered and any(v is not None for v in columns[lowered[name]]):
            return lowered[name]
    return None


def _curve(columns: Columns, name: str, x_name: str | None) -> Curve:
    values = columns[name]
    xs = columns[x_name] if x_name else [float(i) for i in range(len(values))]
    by_x: dict[float, float] = {}
    for x, y in zip(xs, values):
        if y is None or x is None or (isinstance(x, float) and math.isnan(x)):
            continue
        if x_name is None:
            x = float(len(by_x))
        by_x.pop(x, None)  # a resumed run logs a step again: the last value counts
        by_x[x] = y
    ordered = sorted(by_x)
    return Curve(name, np.array(ordered, dtype=float), np.array([by_x[x] for x in ordered]))


def read_run(
    path: str,
    train: str | None = None,
    val: str | None = None,
    x: str | None = None,
    name: str | None = None,
) -> Run:
    """The train and validation curves of the log at ``path``."""
    columns = read_columns(path)
    if not columns or not any(any(v is not None for v in c) for c in columns.values()):
        raise InputError(f"{path}: the log is empty; expected rows of loss values")
    x_name = _pick(columns, x, X_NAMES, "x", path)
    if x_name is not None and x is None and "epoch" in columns and x_name != "epoch":
        x_name = "epoch"
    train_name = _pick(columns, train, TRAIN_NAMES, "train", path)
    val_name = _pick(columns, val, VAL_NAMES, "val", path)
    if train_name is None and val_name is None:
        numeric = [c for c in columns if c != x_name and any(v is not None for v in columns[c])]
        empty = [c for c in columns if c not in numeric and c != x_name]
        hint = f"; {', '.join(empty)} hold no numbers" if empty else ""
        raise InputError(
            f"{path}: no loss column found (looked for {', '.join(TRAIN_NAMES[:4])}, "
            f"{', '.join(VAL_NAMES[:3])}, ...; numeric columns: {', '.join(numeric) or 'none'}"
            f"{hint}); name them with {option('train', 'COLUMN')} and {option('val', 'COLUMN')}"
        )
    train_curve = _curve(columns, train_name, x_name) if train_name else None
    val_curve = _curve(columns, val_name, x_name) if val_name else None
    if all(c is None or len(c.y) == 0 for c in (train_curve, val_curve)):
        raise InputError(f"{path}: the log is empty; expected rows of loss values")
    label = name or _run_name(path)
    return Run(label, x_name or "point", train_curve, val_curve)


def _run_name(path: str) -> str:
    path = os.path.normpath(path)
    base = os.path.basename(path)
    if base in ("metrics.csv",) or base.startswith("events.out"):
        return os.path.basename(os.path.dirname(path)) or base
    return base
