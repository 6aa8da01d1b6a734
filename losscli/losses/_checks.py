"""Data checks shared by the classification losses: the classic mix-ups, caught early."""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.losses._common import all_per_row, any_per_row
from losscli.registry import Check

_ROW_SUM_TOLERANCE = 1e-6


def looks_like_probabilities(x: np.ndarray, class_axis: int | None) -> np.ndarray:
    """Rows whose values all lie in [0, 1] and, with a class axis, sum to 1 over it."""
    inside = all_per_row((x >= 0) & (x <= 1))
    if class_axis is None:
        # Zero logits (an untrained model) are not evidence of probabilities.
        return inside & any_per_row(x != 0)
    sums = np.abs(x.sum(axis=class_axis) - 1.0) <= _ROW_SUM_TOLERANCE
    return inside & all_per_row(sums)


def probabilities_given_as_logits(name: str, class_axis: int | None, flag: bool = True) -> Check:
    """Warn when every row of ``predictions`` looks like probabilities but logits are expected.

    With ``flag`` the loss has a ``from_logits`` parameter that switches the check on.
    """

    def rows(predictions: np.ndarray, **params: Any) -> np.ndarray:
        if flag and not params.get("from_logits", True):
            return np.zeros(len(predictions), dtype=bool)
        return looks_like_probabilities(predictions, class_axis)

    hint = "pass {p:from_logits=false}" if flag else "give it logits"
    summed = " and sums to 1" if class_axis is not None else ""
    return Check(
        rows=rows,
        every_row=True,
        message=f"every row of predictions lies in [0, 1]{summed}: they look like "
        f"probabilities, but {name} expects logits here; {hint}",
    )


def logits_given_as_probabilities(name: str, flag: bool = True) -> Check:
    """Error when probabilities are expected but a value lies outside [0, 1]."""

    def rows(predictions: np.ndarray, **params: Any) -> np.ndarray:
        if flag and params.get("from_logits", False):
            return np.zeros(len(predictions), dtype=bool)
        return any_per_row((predictions < 0) | (predictions > 1))

    hint = " (for logits pass {p:from_logits=true})" if flag else ""
    return Check(
        rows=rows,
        error=True,
        input="predictions",
        message=f"predictions ({{origin}}) row {{row}} holds {{value}}, outside [0, 1]: {name} "
        f"expects probabilities{hint}",
    )


LOG_SUM_TOLERANCE = 1e-4  # |sum_c exp(log p_c) - 1|: log-probabilities printed to 4+ decimals


def not_log_probabilities(name: str) -> tuple[Check, ...]:
    """Rows of log-probabilities (classes on axis 1) whose exponentials do not sum to 1:
    logits or scores given where log_softmax was meant. An error, except under
    ``--convention torch``, whose NLLLoss takes any numbers (a warning then)."""

    def rows(predictions: np.ndarray, **params: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            top = np.max(predictions, axis=1, keepdims=True)
            top = np.where(np.isfinite(top), top, 0.0)
            total = np.exp(predictions - top).sum(axis=1) * np.exp(np.squeeze(top, 1))
        return any_per_row(~(np.abs(total - 1.0) <= LOG_SUM_TOLERANCE))

    text = (
        "predictions ({origin}) row {row} holds {value}, whose exponentials do not sum to 1: "
        f"{name} needs log-probabilities (log_softmax of the logits); for logits use "
        "cross_entropy"
    )
    return (
        Check(
            rows=rows,
            error=True,
            input="predictions",
            message=text,
            conventions=frozenset({None, "keras", "sklearn"}),
        ),
        Check(
            rows=rows,
            input="predictions",
            message="{count} of {n} rows of predictions are not log-probabilities (their "
            "exponentials do not sum to 1; first: row {row}): taken as PyTorch's NLLLoss "
            "takes them",
            conventions=frozenset({"torch"}),
        ),
    )


def unnormalised_probabilities(name: str, class_axis: int) -> tuple[Check, ...]:
    """Warn when probability rows do not sum to 1 over the classes, saying what is done."""

    def rows(predictions: np.ndarray, **params: Any) -> np.ndarray:
        if params.get("from_logits", False):
            return np.zeros(len(predictions), dtype=bool)
        off = np.abs(predictions.sum(axis=class_axis) - 1.0) > _ROW_SUM_TOLERANCE
        return any_per_row(off)

    head = (
        "{count} of {n} rows of predictions do not sum to 1 over the classes (first: row {row}); "
    )
    return (
        Check(
            rows=rows,
            message=head
            + f"{name} takes them as they are ({{opt:convention=keras}} rescales them)",
            conventions=frozenset({None, "torch", "sklearn"}),
        ),
        Check(
            rows=rows,
            message=head + f"{name} rescales each row to sum to 1, as Keras does",
            conventions=frozenset({"keras"}),
        ),
    )


def class_indices(
    name: str, class_axis: int, ignore: bool = True, ignore_param: str = "ignore_index"
) -> tuple[Check, ...]:
    """Errors for class-index targets that are not integers or not among the classes.

    Targets are indices when they have one dimension fewer than the predictions.
    """

    def is_index(predictions: np.ndarray, targets: np.ndarray) -> bool:
        return targets.ndim == predictions.ndim - 1

    def fractional(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
        if not is_index(predictions, targets) or targets.dtype.kind in "iu":
            return np.zeros(len(targets), dtype=bool)
        return any_per_row(targets != np.round(targets))

    def out_of_range(predictions: np.ndarray, targets: np.ndarray, **params: Any) -> np.ndarray:
        if not is_index(predictions, targets):
            return np.zeros(len(targets), dtype=bool)
        classes = predictions.shape[class_axis]
        bad = (targets < 0) | (targets >= classes)
        if ignore:
            skipped = params.get(ignore_param, -100)
            if skipped is not None:
                bad &= targets != skipped
        return any_per_row(bad)

    def classes(predictions: np.ndarray, **_: Any) -> dict[str, Any]:
        c = predictions.shape[class_axis]
        return {"classes": c, "last": c - 1}

    skip = f" or {ignore_param}" if ignore else ""
    return (
        Check(
            rows=fractional,
            error=True,
            input="targets",
            message="targets ({origin}) row {row}: {value} is not a class index; "
            + name
            + " expects integer class indices (or per-class probabilities, one column a class)",
        ),
        Check(
            rows=out_of_range,
            error=True,
            input="targets",
            details=classes,
            message="targets ({origin}) row {row}: class index {value} is out of range for "
            "{classes} classes; expected 0 to {last}" + skip,
        ),
    )


def binary_targets_outside_unit_interval(name: str) -> Check:
    """Error on a target outside [0, 1]: no label or probability is, and the loss of such a
    row can be negative."""

    def rows(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
        return any_per_row((targets < 0) | (targets > 1))

    return Check(
        rows=rows,
        error=True,
        input="targets",
        message="targets ({origin}) row {row} holds {value}, outside [0, 1]: "
        + name
        + " expects 0/1 labels or probabilities",
    )


def class_probability_targets(name: str, class_axis: int) -> Check:
    """Error on per-class targets that are not distributions: a negative entry, or a row that
    does not sum to 1 (logits given as targets, say)."""

    def rows(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
        if targets.ndim != predictions.ndim or targets.ndim < 2 or targets.dtype.kind in "iu":
            return np.zeros(len(targets), dtype=bool)
        off = np.abs(targets.sum(axis=class_axis) - 1.0) > _ROW_SUM_TOLERANCE
        return any_per_row(targets < 0) | any_per_row(off)

    return Check(
        rows=rows,
        error=True,
        input="targets",
        message="targets ({origin}) row {row} holds {value}: per-class targets of "
        + name
        + " must be probabilities (>= 0, summing to 1 over the classes)",
    )


def sign_labels(
    name: str, column: str = "targets", allow_zero: bool = True, unless_indices: bool = False
) -> Check:
    """Error on labels other than -1/1 (or 0/1 when ``allow_zero``): the loss of another
    label has no meaning (a 2 counts as a very confident positive)."""

    def rows(**arrays: Any) -> np.ndarray:
        y = arrays[column]
        if unless_indices and y.ndim == arrays["predictions"].ndim - 1:
            return np.zeros(len(y), dtype=bool)  # class indices, checked as such
        ok = (y == 1) | (y == -1) | ((y == 0) if allow_zero else False)
        return any_per_row(~ok)

    allowed = "-1/1 or 0/1" if allow_zero else "-1 or 1"
    return Check(
        rows=rows,
        error=True,
        input=column,
        message=f"{column} ({{origin}}) row {{row}} holds {{value}}; {name} expects {allowed} "
        "labels",
    )
