"""What a training curve shows, from a fixed vocabulary: ``nan``, ``diverging``,
``oscillating``, ``plateau``, ``overfitting``, or ``healthy`` when none holds. Each
diagnosis carries its evidence (where, the statistic measured, the threshold) and the
advice that fits it. ``EXPLANATIONS`` says exactly how each is decided.

The train curve is smoothed first (TensorBoard's EMA, ``smooth``) for the trend tests, so
that step noise is not read as a trend; oscillation is measured on the raw values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.curves.logs import Curve, Run
from losscli.curves.smoothing import tensorboard_smooth
from losscli.records import record

DIAGNOSES = ("nan", "diverging", "oscillating", "plateau", "overfitting", "healthy")


@record(frozen=True)
class Thresholds:
    smooth: float = 0.6  # TensorBoard smoothing weight for the trend tests
    diverge: float = 0.5  # share of the gain given back that makes "diverging"
    swing: float = 0.05  # median step-to-step change over the median level (oscillating)
    reversals: float = 0.15  # share of steps that change direction (oscillating)
    patience: int = 10  # points without improvement (plateau)
    min_delta: float | None = None  # improvement that counts (default: 5% of the first value)
    still_high: float = 0.5  # a plateau above this share of the first value is early
    overfit: float = 0.1  # validation rise over its minimum, relative (overfitting)


EXPLANATIONS = {
    "nan": "the first train or validation value that is NaN or infinite.",
    "diverging": "the smoothed train loss ends above its lowest value by more than "
    "{diverge:g} x the gain made before that lowest value (first value - lowest value).",
    "oscillating": "over the second half of the run, the median |change| from one point to "
    "the next is more than {swing:g} x the median train loss, and more than {reversals:.0%} "
    "of the changes reverse the one before.",
    "plateau": "the smoothed train loss moved by less than min_delta (default 5% of its "
    "first value) over its last {patience} points, up or down, while still above "
    "{still_high:g} x its first value: it stopped falling early.",
    "overfitting": "validation reached its minimum at least {patience} points and a quarter "
    "of the run before the end, and has risen by more than {overfit:.0%} of that minimum "
    "since, while the train loss kept falling.",
    "healthy": "none of the above holds.",
}
ADVICE = {
    "nan": "exploding gradients or a bad input: clip gradients (e.g. max norm 1), lower "
    "the learning rate, check the data for NaN/inf, use a numerically stable loss form "
    "(logits, not probabilities).",
    "diverging": "the learning rate is too high (or rises too far in the schedule): lower "
    "it, add warm-up, clip gradients.",
    "oscillating": "steps overshoot: lower the learning rate, raise the batch size, or use "
    "momentum/Adam with a smaller rate.",
    "plateau": "the loss stopped falling early: raise the learning rate, check the "
    "initialisation and normalisation, or give the model more capacity.",
    "overfitting": "stop early at the best epoch (see early_stopping), add regularisation "
    "(weight decay, dropout, augmentation) or more data.",
    "healthy": "the loss falls and settles: nothing to fix.",
}


def _finite_prefix(curve: Curve) -> Curve:
    bad = ~np.isfinite(curve.y)
    if not bad.any():
        return curve
    end = int(np.argmax(bad))
    return Curve(curve.name, curve.x[:end], curve.y[:end])


def _diagnosis(
    name: str, where: float | None, statistic: float, threshold: float, **more: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "where": where, "statistic": statistic}
    return out | {"threshold": threshold, **more, "advice": ADVICE[name]}


def diagnose(run: Run, t: Thresholds | None = None) -> list[dict[str, Any]]:
    """The diagnoses of ``run``, each with its evidence; ``healthy`` alone when none."""
    t = t or Thresholds()
    found: list[dict[str, Any]] = []
    for curve in run.curves():
        bad = ~np.isfinite(curve.y)
        if bad.any():
            i = int(np.argmax(bad))
            found.append(
                _diagnosis("nan", float(curve.x[i]), float(curve.y[i]), math.nan, series=curve.name)
            )
            break
    train = _finite_prefix(run.train) if run.train is not None else None
    if train is not None and len(train.y) >= 3:
        found += _trend(train, t)
    if run.val is not None and train is not None:
        found += _overfitting(train, _finite_prefix(run.val), t)
    return found or [_diagnosis("healthy", None, 0.0, 0.0)]


def _trend(train: Curve, t: Thresholds) -> list[dict[str, Any]]:
    out = []
    y = train.y
    s = tensorboard_smooth(y, t.smooth)
    low = int(np.argmin(s))
    gain = s[0] - s[low]
    rise = s[-1] - s[low]
    scale = max(gain, 1e-12 * abs(s[0]))
    if low < len(s) - 1 and rise > t.diverge * scale:
        out.append(
            _diagnosis(
                "diverging", float(train.x[low]), float(rise / scale), t.diverge,
                lowest=float(s[low]), last=float(s[-1]),
            )
        )  # fmt: skip
    half = y[len(y) // 2 :]
    if len(half) >= 4:
        steps = np.diff(half)
        level = float(np.median(np.abs(half))) or 1.0
        swing = float(np.median(np.abs(steps))) / level
        reversals = float(np.mean(np.sign(steps[1:]) * np.sign(steps[:-1]) < 0))
        if swing > t.swing and reversals > t.reversals:
            out.append(
                _diagnosis(
                    "oscillating", float(train.x[len(y) // 2]), swing, t.swing,
                    reversals=reversals,
                )
            )  # fmt: skip
    if len(s) > t.patience:
        min_delta = t.min_delta if t.min_delta is not None else 0.05 * abs(s[0])
        before = float(np.min(s[: -t.patience]))
        improvement = before - float(np.min(s[-t.patience :]))
        if abs(improvement) < min_delta and s[-1] > t.still_high * s[0]:
            out.append(
                _diagnosis(
                    "plateau", float(train.x[-t.patience]), improvement, min_delta,
                    level=float(s[-1] / s[0]) if s[0] else math.nan,
                )
            )  # fmt: skip
    return out


def _overfitting(train: Curve, val: Curve, t: Thresholds) -> list[dict[str, Any]]:
    if len(val.y) < 4:
        return []
    best = int(np.argmin(val.y))
    after = len(val.y) - 1 - best
    if after < max(t.patience, len(val.y) // 4):
        return []
    low = float(val.y[best])
    rise = (float(val.y[-1]) - low) / abs(low) if low else math.inf
    at_best = train.y[train.x <= val.x[best]]
    if not len(at_best) or rise <= t.overfit:
        return []
    train_then, train_end = float(at_best[-1]), float(train.y[-1])
    if not train_end < train_then:
        return []
    return [
        _diagnosis(
            "overfitting", float(val.x[best]), rise, t.overfit,
            gap=float(val.y[-1]) - train_end, val_min=low, train_at_val_min=train_then,
        )
    ]  # fmt: skip
