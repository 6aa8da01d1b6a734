"""``plot curve``: losses as functions of the prediction for a fixed target, computed by
the registry's own functions on a grid over each loss's input domain."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.errors import UsageError, option
from losscli.plots.figure import Figure, Series
from losscli.registry import Loss, Registry, Rows
from losscli.requests import resolve_requests

POINTS = 401
# What a built-in loss's predictions are; plugins are real numbers unless they say so.
DOMAINS = {
    "probability": ("bce", "focal", "brier"),
    "score": ("bce_with_logits", "soft_margin", "hinge", "squared_hinge", "hinge_embedding"),
    "positive": ("poisson", "tweedie", "poisson_deviance", "gamma_deviance"),
    "nonnegative": ("msle", "rmsle"),
}
RANGES = {
    "probability": (1e-3, 1 - 1e-3),
    "logit": (-6.0, 6.0),
    "score": (-4.0, 4.0),
    "positive": (0.02, 4.0),
    "nonnegative": (0.0, 4.0),
    "real": (-3.0, 3.0),
}


def domain(loss: Loss, params: dict[str, Any]) -> str:
    """Where a loss's predictions live under ``params`` (``from_logits`` makes logits)."""
    if params.get("from_logits") is True:
        return "logit"
    if loss.name == "poisson_nll" and params.get("log_input") is not False:
        return "real"
    for name, members in DOMAINS.items():
        if loss.name in members:
            return name
    return "positive" if loss.name == "poisson_nll" else "real"


def default_target(where: str) -> float:
    """1 for classifiers and rates (the chart of a positive example); 0 for regression, so
    that the x axis is the residual."""
    return 0.0 if where in ("real", "nonnegative") else 1.0


def _expand(params: Sequence[tuple[str, str]], losses: list[Loss]) -> list[list[tuple[str, str]]]:
    """``-p focal.gamma=0,1,2`` draws one line per value: every combination of the lists
    given for scalar parameters."""
    choices = []
    for key, text in params:
        scope, _, name = key.rpartition(".")
        owners = [loss for loss in losses if (not scope or loss.name == scope)]
        scalar = any((p := loss.param(name)) is not None and p.kind != "floats" for loss in owners)
        values = text.split(",") if scalar and "," in text else [text]
        choices.append([(key, v.strip()) for v in values])
    return [list(c) for c in itertools.product(*choices)] or [[]]


def curve_figure(
    spec: str,
    params: Sequence[tuple[str, str]],
    registry: Registry,
    target: float | None = None,
    x_range: tuple[float, float] | None = None,
    convention: str | None = None,
) -> Figure:
    """One line per loss (and per value of a listed parameter) over the prediction."""
    losses = [r.loss for r in resolve_requests(spec, (), registry)]
    series: list[Series] = []
    domains = set()
    targets = set()
    for combination in _expand(params, losses):
        for request in resolve_requests(spec, combination, registry):
            loss = request.loss
            names = [i.name for i in loss.inputs if not i.optional]
            if names != ["predictions", "targets"] or any(
                i.shape[:2] == ("N", "C") or i.shape[-1:] == ("C",) for i in loss.inputs
            ):
                raise UsageError(
                    f"plot curve draws losses of one prediction and one target a row; "
                    f"{loss.name} takes {', '.join(names)} of shapes "
                    f"{', '.join(i.shape_text() for i in loss.inputs)}"
                )
            where = domain(loss, request.params)
            domains.add(where)
            y_target = default_target(where) if target is None else target
            targets.add(y_target)
            low, high = x_range or _range(where, y_target)
            x = np.linspace(low, high, POINTS)
            with np.errstate(all="ignore"):
                rows = loss.function(convention)(
                    predictions=x, targets=np.full_like(x, y_target), **request.params
                )
            values = np.asarray(rows.values if isinstance(rows, Rows) else rows, dtype=float)
            changed = [f"{k.rpartition('.')[2]}={v}" for k, v in combination if _owns(loss, k)]
            label = loss.name + (f" ({', '.join(changed)})" if changed else "")
            series.append(Series(label, "line", x.tolist(), values.tolist()))
    what = {
        "probability": "predicted probability",
        "logit": "logit",
        "score": "score",
        "positive": "predicted rate",
    }
    x_label = " / ".join(sorted(what.get(d, "prediction") for d in domains))
    if domains <= {"real"} and targets == {0.0}:
        x_label = "residual (prediction - target)"
    target_text = ", ".join(f"{t:g}" for t in sorted(targets))
    return Figure(
        title=f"{spec} against the prediction, target = {target_text}",
        x_label=x_label,
        y_label="loss",
        series=tuple(series),
        facts={"target": target_text, "points": POINTS},
    )


def _owns(loss: Loss, key: str) -> bool:
    scope, _, name = key.rpartition(".")
    return (not scope or scope == loss.name) and loss.param(name) is not None


def _range(where: str, target: float) -> tuple[float, float]:
    low, high = RANGES[where]
    if where == "real" and target != 0:
        return target + low, target + high
    if where in ("positive", "nonnegative"):
        return low, max(high, 3 * target)
    return low, high


def parse_range(text: str) -> tuple[float, float]:
    """``--range -2:2``."""
    low, sep, high = text.partition(":")
    try:
        a, b = float(low), float(high)
    except ValueError:
        a = b = float("nan")
    if not sep or not a < b:
        raise UsageError(f"{option('range', text)}: give LOW:HIGH with LOW < HIGH, e.g. -3:3")
    return a, b
