"""Which loss fits the data: the task the targets describe, the figures that decide the
loss (class balance, outliers, zeros, negatives, tails, probabilities or logits), and a
ranking of the losses that fit, each with parameters computed from the data, its reasons
and the ``losscli compute`` command that evaluates it.

The rules follow the tutorials' "which loss when" tables: regression with outliers -> Huber
or MAE; class imbalance -> focal or weighted cross-entropy; counts -> Poisson; positive
skewed amounts -> MSLE or a Gamma/Tweedie deviance; distributions -> KL; boxes -> GIoU/DIoU/
CIoU; masks -> Dice/Tversky. Measures use at most the first ``SAMPLE_ROWS`` rows (said in
the output), so a file of any size answers at once; the same data gives the same advice.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError
from losscli.spec import param_text

SAMPLE_ROWS = 1_000_000
IMBALANCE = 3.0  # largest class count / smallest above which classes are imbalanced
OUTLIERS = 0.02  # share of rows beyond 3 robust standard deviations that calls for Huber/MAE


def _read(path: str, columns: str | None) -> np.ndarray:
    from losscli.readers import open_table

    table = open_table(path, None)
    names = columns.split(",") if columns else None
    selection = {"x": tuple(names) if names else None}
    for piece in table.chunks(selection, SAMPLE_ROWS, frozenset()):
        return np.asarray(piece["x"], dtype=np.float64)
    raise InputError(f"{path}: no rows")


def _robust_scale(x: np.ndarray) -> float:
    median = float(np.median(x))
    return 1.4826 * float(np.median(np.abs(x - median)))


def _outlier_share(x: np.ndarray) -> float:
    scale = _robust_scale(x)
    if scale == 0:
        return float(np.mean(x != np.median(x)))
    return float(np.mean(np.abs(x - np.median(x)) > 3 * scale))


def task_kind(y: np.ndarray) -> str:
    """What the targets describe (one of the kinds the README lists)."""
    finite = y[np.isfinite(y)] if y.size else y
    whole = bool(np.all(finite == np.round(finite)))
    binary = bool(np.isin(finite, (0.0, 1.0)).all())
    if y.ndim >= 3:
        return "segmentation masks" if binary else "real values"
    if y.ndim == 2 and y.shape[1] > 1:
        if y.shape[1] == 4 and np.all(y[:, 0] < y[:, 2]) and np.all(y[:, 1] < y[:, 3]):
            return "boxes"
        sums = y.sum(axis=1)
        if binary and np.all(sums == 1):
            return "one-hot classes"
        if binary:
            return "multi-label 0/1"
        if np.all((y >= 0) & (y <= 1)) and np.allclose(sums, 1.0, atol=1e-6):
            return "distributions"
        return "real values"
    flat = finite.reshape(-1)
    if binary:
        return "binary 0/1"
    if whole and flat.min() >= 0:
        return "class indices" if len(np.unique(flat)) <= 20 and flat.max() < 50 else "counts"
    if flat.min() > 0:
        skew = float(np.mean(((flat - flat.mean()) / (flat.std() or 1.0)) ** 3))
        if skew > 1.0 or flat.max() / np.median(flat) > 10:
            return "positive skewed amounts"
    return "real values"


def measures(y: np.ndarray, p: np.ndarray | None, kind: str) -> dict[str, Any]:
    """The figures that decide the loss."""
    out: dict[str, Any] = {"rows": int(len(y))}
    if len(y) == SAMPLE_ROWS:
        out["sample"] = f"the first {SAMPLE_ROWS:,} rows"
    if kind in ("binary 0/1", "class indices", "one-hot classes", "multi-label 0/1"):
        labels = y.argmax(axis=1) if kind == "one-hot classes" else y
        if kind == "multi-label 0/1":
            counts = {f"label {j}": int(y[:, j].sum()) for j in range(y.shape[1])}
        else:
            values, numbers = np.unique(labels.astype(np.int64), return_counts=True)
            counts = {str(int(v)): int(c) for v, c in zip(values, numbers)}
        out["class counts"] = counts
        positive = [c for c in counts.values() if c > 0]
        out["imbalance ratio"] = max(positive) / min(positive) if positive else math.nan
    else:
        flat = y.reshape(-1)
        out["zeros"] = float(np.mean(flat == 0))
        out["negatives"] = float(np.mean(flat < 0))
        out["outliers (targets)"] = _outlier_share(flat)
        q50, q99 = np.quantile(np.abs(flat), [0.5, 0.99])
        out["tail (|y| p99 / p50)"] = float(q99 / q50) if q50 else math.inf
    if p is not None:
        if kind in ("binary 0/1", "class indices", "one-hot classes", "multi-label 0/1"):
            probabilities = bool(np.all((p >= 0) & (p <= 1)))
            out["predictions are"] = "probabilities" if probabilities else "logits"
        elif p.shape == y.shape:
            residuals = (p - y).reshape(-1)
            out["outliers (residuals)"] = _outlier_share(residuals)
            out["residual robust scale"] = _robust_scale(residuals)
    return out


def _balanced(counts: dict[str, int]) -> list[float]:
    """scikit-learn's class_weight="balanced": n / (k * count_c), classes 0..K-1."""
    k = max(int(c) for c in counts) + 1
    n = sum(counts.values())
    present = len(counts)
    return [n / (present * counts[str(c)]) if str(c) in counts else 0.0 for c in range(k)]


def rank(kind: str, m: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(loss, params, reasons) best first."""
    logits = m.get("predictions are") == "logits"
    imbalanced = m.get("imbalance ratio", 1.0) > IMBALANCE
    ratio = m.get("imbalance ratio", 1.0)
    out: list[tuple[str, dict[str, Any], list[str]]] = []
    if kind in ("binary 0/1", "multi-label 0/1"):
        counts = list(m["class counts"].values())
        base = {"from_logits": True} if logits else {}
        if kind == "binary 0/1":
            neg, pos = m["class counts"].get("0", 0), m["class counts"].get("1", 0)
        else:
            pos = sum(counts)
            neg = m["rows"] * len(counts) - pos
        prior = pos / max(pos + neg, 1)
        if imbalanced:
            out.append((
                "focal", {**base, "alpha": round(1 - prior, 4), "gamma": 2.0},
                [f"classes are imbalanced ({ratio:.1f}:1): focal down-weights easy examples",
                 f"alpha = 1 - P(class 1) = {1 - prior:.4g} weights the rare positives"],
            ))  # fmt: skip
            out.append((
                "bce", {**base, "pos_weight": round(neg / max(pos, 1), 4)},
                [f"weighted cross-entropy: pos_weight = negatives / positives = "
                 f"{neg / max(pos, 1):.4g}"],
            ))  # fmt: skip
        out.append(("bce", base, ["the standard loss for 0/1 targets (log loss)"]))
        out.append(("brier", {}, ["a bounded, calibration-sensitive score of probabilities"]))
    elif kind in ("class indices", "one-hot classes"):
        base = {} if logits or "predictions are" not in m else {"from_logits": False}
        name = "cross_entropy" if kind == "class indices" else "categorical_crossentropy"
        if imbalanced and kind == "class indices":
            weights = [round(w, 4) for w in _balanced(m["class counts"])]
            out.append((
                name, {**base, "class_weights": weights},
                [f"classes are imbalanced ({ratio:.1f}:1): class weights n / (k * count), "
                 "scikit-learn's 'balanced' rule"],
            ))  # fmt: skip
        if imbalanced and kind == "one-hot classes":
            out.append((
                "categorical_focal", base,
                [f"classes are imbalanced ({ratio:.1f}:1): focal down-weights easy examples"],
            ))  # fmt: skip
        out.append((name, base, ["the standard loss for classes: cross-entropy"]))
        if kind == "class indices":
            out.append(("multi_margin", {}, ["a margin (hinge) alternative for class scores"]))
    elif kind == "distributions":
        out.append(("kl_div", {}, ["targets are distributions (rows sum to 1): KL divergence"]))
        out.append(("js_divergence", {}, ["symmetric and bounded alternative to KL"]))
        out.append(("categorical_crossentropy", {}, ["soft-label cross-entropy"]))
    elif kind == "boxes":
        out.append(("ciou", {}, ["boxes: CIoU adds centre distance and aspect ratio to IoU"]))
        out.append(("diou", {}, ["DIoU: IoU with the centre distance"]))
        out.append(("giou", {}, ["GIoU: IoU that still has a gradient without overlap"]))
    elif kind == "segmentation masks":
        out.append(("dice", {}, ["masks: Dice is insensitive to the background's size"]))
        out.append(
            ("tversky", {"alpha": 0.3, "beta": 0.7}, ["Tversky weighs misses over false alarms"])
        )
        out.append(("iou", {}, ["soft IoU (Jaccard)"]))
    elif kind == "counts":
        out.append(("poisson_deviance", {}, ["targets are counts: Poisson deviance"]))
        out.append(("poisson_nll", {"log_input": False}, ["Poisson likelihood of predicted rates"]))
        out.append(("mse", {}, ["plain squared error, for comparison"]))
    else:
        outliers = m.get("outliers (residuals)", m.get("outliers (targets)", 0.0))
        scale = m.get("residual robust scale")
        if kind == "positive skewed amounts":
            out.append(("msle", {}, ["positive, skewed targets: errors on a log scale (MSLE)"]))
            out.append(("gamma_deviance", {}, ["Gamma deviance: relative errors for amounts"]))
            out.append(
                ("tweedie", {"power": 1.5}, ["Tweedie (power 1.5) between Poisson and Gamma"])
            )
        if outliers > OUTLIERS:
            params = {"delta": round(1.345 * scale, 6)} if scale else {}
            why = [f"{outliers:.1%} of rows are outliers (beyond 3 robust std): Huber is "
                   "quadratic near zero, linear beyond delta"]  # fmt: skip
            if scale:
                why.append(f"delta = 1.345 x the residuals' robust scale ({scale:.4g})")
            out.append(("huber", params, why))
            out.append(("mae", {}, ["MAE: the median's loss, unmoved by outliers"]))
            out.append(("mse", {}, ["MSE, for comparison: outliers dominate it"]))
        else:
            out.append(("mse", {}, ["few outliers: MSE (the mean's loss)"]))
            out.append(("mae", {}, ["MAE, if large errors should count linearly"]))
            out.append(("log_cosh", {}, ["smooth like MSE near zero, like MAE far away"]))
    seen: set[tuple[str, str]] = set()
    unique = []
    for loss, params, reasons in out:
        key = (loss, repr(sorted(params.items())))
        if key not in seen:
            seen.add(key)
            unique.append((loss, params, reasons))
    return unique


def command(
    loss: str, params: dict[str, Any], files: Sequence[str], columns: dict[str, str]
) -> str:
    """The command that evaluates ``loss`` on the files, columns picked as given."""
    parts = ["losscli", "compute", loss, *files]
    for name, column in columns.items():
        parts += ["--col", f"{name}={column}"]
    for key, value in params.items():
        parts += ["-p", f"{key}={param_text(value)}"]
    return " ".join(shlex.quote(p) for p in parts)


def recommend(
    targets: str,
    predictions: str | None = None,
    target_columns: str | None = None,
    prediction_columns: str | None = None,
) -> dict[str, Any]:
    """The task, its measures and the ranked losses (with values when predictions are
    given) for the files ``targets`` (and ``predictions``; the same file for both when
    both columns are named)."""
    y = _read(targets, target_columns)
    p = None if predictions is None else _read(predictions, prediction_columns)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if p is not None and p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    kind = task_kind(y)
    figures = measures(y, p, kind)
    columns = {"predictions": prediction_columns, "targets": target_columns}
    picks = {name: column for name, column in columns.items() if column}
    if predictions is not None and predictions == targets and picks:
        files = [targets]
    else:
        files = [predictions or "PREDICTIONS", targets]
    ranking = []
    for loss, params, reasons in rank(kind, figures):
        entry: dict[str, Any] = {"loss": loss, "params": params, "reasons": reasons}
        entry["command"] = command(loss, params, files, picks)
        ranking.append(entry)
    if predictions is not None:
        _evaluate(ranking, files, picks)
    return {"task": kind, "measures": figures, "ranking": ranking, "notes": notes(figures)}


def notes(m: dict[str, Any]) -> list[str]:
    """Losses that the figures rule out, and why."""
    out = []
    if m.get("zeros", 0) > 0:
        out.append(f"{m['zeros']:.1%} of targets are 0: MAPE is undefined there")
    if m.get("negatives", 0) > 0:
        out.append(f"{m['negatives']:.1%} of targets are negative: MSLE and Poisson do not apply")
    return out


def _evaluate(ranking: list[dict[str, Any]], files: list[str], picks: dict[str, str]) -> None:
    from losscli.errors import LossCliError
    from losscli.evaluate import evaluate
    from losscli.requests import Options, resolve_requests

    options = Options(columns=picks)
    for entry in ranking:
        try:
            requests = resolve_requests(entry["loss"], entry["params"])
            result = evaluate(requests, files, options).results[0]
            entry["value"] = result.value
        except LossCliError as exc:
            entry["value"] = None
            entry["note"] = str(exc)
