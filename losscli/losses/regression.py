"""Regression losses: per-row values for (N,) or (N, D...) predictions and targets.

For (N, D) inputs the per-row loss is the mean over D, as Keras defines it; the
reduction over rows is left to the caller.
"""

from __future__ import annotations

import math

import numpy as np

from losscli.losses._common import (
    REGRESSION_INPUTS,
    elements_per_row,
    elementwise,
    elementwise_reference,
    row_mean,
    rows_of,
)
from losscli.losses._derivatives import per_element
from losscli.registry import Check, Loss, Param, Rows, Variant

KERAS_EPSILON = 1e-7
_LOG2 = math.log(2.0)
_BASIC = frozenset({"nonnegative", "zero_at_perfect"})
_SYMMETRIC = _BASIC | {"symmetric"}


def mse(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean squared error per row.

    l = mean_d (p - y)^2

    Shapes: predictions and targets (N,) or (N, D...); returns (N,).

    >>> mse(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 4.])
    """
    d = np.subtract(predictions, targets)
    np.multiply(d, d, out=d)
    return row_mean(d)


def mae(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean absolute error per row.

    l = mean_d |p - y|

    >>> mae(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 2.])
    """
    d = np.subtract(predictions, targets)
    np.abs(d, out=d)
    return row_mean(d)


def mape(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean absolute percentage error per row (Keras convention).

    l = 100 * mean_d |y - p| / max(|y|, 1e-7)

    >>> mape(np.array([110.0]), np.array([100.0]))
    array([10.])
    """
    denom = np.maximum(np.abs(targets), KERAS_EPSILON)
    d = np.subtract(targets, predictions)
    np.abs(d, out=d)
    np.divide(d, denom, out=d)
    d *= 100.0
    return row_mean(d)


def _mape_sklearn(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    # sklearn: a fraction, not percent, with the float64 machine epsilon as the floor.
    denom = np.maximum(np.abs(targets), np.finfo(np.float64).eps)
    return row_mean(np.abs(targets - predictions) / denom)


def msle(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Mean squared logarithmic error per row (Keras convention).

    l = mean_d (log(1 + max(p, 1e-7)) - log(1 + max(y, 1e-7)))^2

    >>> msle(np.array([np.e - 1.0]), np.array([0.0]))  # doctest: +ELLIPSIS
    array([0.99999...])
    """
    d = np.log1p(np.maximum(predictions, KERAS_EPSILON))
    d -= np.log1p(np.maximum(targets, KERAS_EPSILON))
    np.multiply(d, d, out=d)
    return row_mean(d)


def huber(predictions: np.ndarray, targets: np.ndarray, *, delta: float = 1.0) -> np.ndarray:
    """Huber loss per row (PyTorch HuberLoss).

    r = |p - y|;  l = mean_d { 0.5 r^2 if r <= delta;  delta (r - 0.5 delta) otherwise }

    >>> huber(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    array([0.125, 2.5  ])
    """
    r = np.abs(np.subtract(predictions, targets))
    quadratic = np.minimum(r, delta)
    # 0.5 q^2 + delta (r - q) equals both branches and avoids evaluating r^2 for outliers.
    out = r - quadratic
    out *= delta
    out += 0.5 * quadratic * quadratic
    return row_mean(out)


def smooth_l1(predictions: np.ndarray, targets: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
    """Smooth L1 loss per row (PyTorch SmoothL1Loss).

    r = |p - y|;  l = mean_d { 0.5 r^2 / beta if r < beta;  r - 0.5 beta otherwise }

    With beta = 0 it is the L1 loss. smooth_l1(beta) = huber(delta=beta) / beta.

    >>> smooth_l1(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    array([0.125, 2.5  ])
    """
    r = np.abs(np.subtract(predictions, targets))
    if beta == 0.0:
        return row_mean(r)
    quadratic = np.minimum(r, beta)
    # 0.5 q^2 / beta + (r - q) equals both branches and never squares an outlier.
    out = r - quadratic
    out += (0.5 / beta) * quadratic * quadratic
    return row_mean(out)


def log_cosh(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Log-cosh loss per row (Keras LogCosh), finite for any finite residual.

    l = mean_d log(cosh(p - y))

    Evaluated as log1p(2 sinh(x/2)^2) for |x| < 20 (exact near 0) and as
    |x| - log 2 + log1p(exp(-2|x|)) beyond, where cosh itself would overflow past 710.

    >>> log_cosh(np.array([1000.0]), np.array([0.0]))  # doctest: +ELLIPSIS
    array([999.30685...])
    """
    x = np.abs(np.subtract(predictions, targets))
    small = x < 20.0
    s = np.sinh(0.5 * np.where(small, x, 0.0))
    near = np.log1p(2.0 * s * s)
    far = x - _LOG2 + np.log1p(np.exp(-2.0 * x))
    return row_mean(np.where(small, near, far))


def pinball(predictions: np.ndarray, targets: np.ndarray, *, alpha: float = 0.5) -> np.ndarray:
    """Pinball (quantile) loss per row (scikit-learn mean_pinball_loss).

    e = y - p;  l = mean_d { alpha e if e >= 0;  (alpha - 1) e otherwise }

    >>> pinball(np.array([0.0, 2.0]), np.array([1.0, 1.0]), alpha=0.9)
    array([0.9, 0.1])
    """
    e = np.subtract(targets, predictions)
    out = np.where(e >= 0, alpha * e, (alpha - 1.0) * e)
    return row_mean(out)


def _ref_log_cosh(p: float, t: float) -> float:
    x = abs(p - t)
    if x < 700:
        return math.log(math.cosh(x))
    return x - _LOG2 + math.log1p(math.exp(-2 * x))


def _ref_huber(p: float, t: float, delta: float) -> float:
    r = abs(p - t)
    return 0.5 * r * r if r <= delta else delta * (r - 0.5 * delta)


def _ref_smooth_l1(p: float, t: float, beta: float) -> float:
    r = abs(p - t)
    return 0.5 * r * r / beta if r < beta else r - 0.5 * beta


def _ref_pinball(p: float, t: float, alpha: float) -> float:
    e = t - p
    return alpha * e if e >= 0 else (alpha - 1) * e


def _ref_msle(p: float, t: float) -> float:
    return (math.log(1 + max(p, KERAS_EPSILON)) - math.log(1 + max(t, KERAS_EPSILON))) ** 2


def _any_per_row(mask: np.ndarray) -> np.ndarray:
    return np.asarray(mask.any(axis=tuple(range(1, mask.ndim))))


def _zero_targets(predictions: np.ndarray, targets: np.ndarray, **_: float) -> np.ndarray:
    return _any_per_row(np.abs(targets) < KERAS_EPSILON)


def _negative_values(predictions: np.ndarray, targets: np.ndarray, **_: float) -> np.ndarray:
    return _any_per_row((predictions < 0) | (targets < 0))


def _mse_columns(predictions: np.ndarray, targets: np.ndarray) -> Rows:
    # Each column's squared errors, for scikit-learn's average of per-column roots.
    d = np.subtract(predictions, targets)
    np.multiply(d, d, out=d)
    return Rows(row_mean(d), columns=d.reshape(len(d), -1))


def _ref_mse_columns(predictions: np.ndarray, targets: np.ndarray) -> Rows:
    pairs = zip(rows_of(predictions), rows_of(targets))
    rows = [[(a - b) ** 2 for a, b in zip(p, t)] for p, t in pairs]
    return Rows(np.array([sum(r) / len(r) for r in rows]), columns=np.array(rows))


def _msle_sklearn(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    # scikit-learn takes log1p of values above -1 as they are (no clipping).
    d = np.log1p(predictions) - np.log1p(targets)
    return row_mean(d * d)


def _at_most_minus_one(predictions: np.ndarray, targets: np.ndarray, **_: float) -> np.ndarray:
    return _any_per_row((predictions <= -1) | (targets <= -1))


def _log1p_domain(name: str, conventions: frozenset[str | None] | None = None) -> Check:
    return Check(
        rows=_at_most_minus_one,
        error=True,
        message=name + ": row {row} holds a value <= -1 in predictions ({origin_predictions}) "
        "or targets ({origin_targets}); log(1 + x) needs x > -1",
        conventions=conventions,
    )


_OUTLIERS = "Robust to outliers: errors beyond the threshold grow linearly, not quadratically."


# Gradients d l_i / d predictions_i of the per-row losses above (``grad=`` on each entry).


def mape_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Keras: 100 |y - p| / max(|y|, 1e-7): dl/dp = 100 sign(p - y) / max(|y|, 1e-7)."""
    denominator = np.maximum(np.abs(targets), 1e-7)
    return 100.0 * np.sign(predictions - targets) / denominator / per_element(predictions)


def pinball_grad(predictions: np.ndarray, targets: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """e = y - p: dl/dp = -alpha where e >= 0, 1 - alpha where e < 0 (over D)."""
    e = targets - predictions
    return np.where(e >= 0, -alpha, 1.0 - alpha) / per_element(predictions)


def msle_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    eps = 1e-7  # Keras's epsilon: predictions below it are clipped (no gradient there)
    d = np.log1p(np.maximum(predictions, eps)) - np.log1p(np.maximum(targets, eps))
    grad = 2.0 * d / (1.0 + np.maximum(predictions, eps))
    return np.where(predictions > eps, grad, 0.0) / per_element(predictions)


def mse_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return 2.0 * (predictions - targets) / per_element(predictions)


def mae_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.sign(predictions - targets) / per_element(predictions)


def huber_grad(predictions: np.ndarray, targets: np.ndarray, delta: float = 1.0) -> np.ndarray:
    r = predictions - targets
    return np.where(np.abs(r) < delta, r, delta * np.sign(r)) / per_element(predictions)


def smooth_l1_grad(predictions: np.ndarray, targets: np.ndarray, beta: float = 1.0) -> np.ndarray:
    r = predictions - targets
    inner = r / beta if beta > 0 else np.sign(r)
    return np.where(np.abs(r) < beta, inner, np.sign(r)) / per_element(predictions)


def log_cosh_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.tanh(predictions - targets) / per_element(predictions)


LOSSES = (
    Loss(
        name="mse",
        aliases=("l2", "mean_squared_error", "MSELoss"),
        family="regression",
        summary="Mean squared error.",
        inputs=REGRESSION_INPUTS,
        fn=mse,
        grad=mse_grad,
        row_elements=elements_per_row(),
        elements=elementwise(mse),
        reference=elementwise_reference(lambda p, t: (p - t) ** 2),
        convention="PyTorch",
        convention_detail="torch.nn.MSELoss; equals Keras MeanSquaredError and "
        "sklearn mean_squared_error.",
        when_to_use="General regression with roughly Gaussian errors; punishes large errors "
        "quadratically, so a few outliers can dominate it.",
        pitfalls=(
            ("Units are the target's units squared; report rmse to read it in the target's units."),
        ),
        properties=_SYMMETRIC,
    ),
    Loss(
        name="mae",
        aliases=("l1", "mean_absolute_error", "L1Loss"),
        family="regression",
        summary="Mean absolute error.",
        inputs=REGRESSION_INPUTS,
        fn=mae,
        grad=mae_grad,
        row_elements=elements_per_row(),
        elements=elementwise(mae),
        reference=elementwise_reference(lambda p, t: abs(p - t)),
        convention="PyTorch",
        convention_detail="torch.nn.L1Loss; equals Keras MeanAbsoluteError and "
        "sklearn mean_absolute_error.",
        when_to_use="Regression with outliers, or when an error of 2 should cost exactly "
        "twice an error of 1. Same units as the target.",
        properties=_SYMMETRIC,
    ),
    Loss(
        name="rmse",
        aliases=("root_mean_squared_error",),
        family="regression",
        summary="Root mean squared error: the square root of the (weighted) MSE.",
        formula="RMSE = sqrt( sum_i w_i mean_d (p - y)^2 / sum_i w_i )",
        inputs=REGRESSION_INPUTS,
        fn=mse,
        reference=elementwise_reference(lambda p, t: (p - t) ** 2),
        finalize=math.sqrt,
        variants={
            "sklearn": Variant(
                "sklearn.metrics.root_mean_squared_error averages the D per-column roots of "
                "(N, D) inputs (multioutput='uniform_average').",
                fn=_mse_columns,
                column_finalize=math.sqrt,
                reference=_ref_mse_columns,
            )
        },
        per_row_instead="mse",
        convention="Keras",
        convention_detail="keras.metrics.RootMeanSquaredError: the root of the mean over all "
        "elements. For (N, D) inputs sklearn's root_mean_squared_error instead averages the "
        "D per-column roots.",
        when_to_use="Reporting MSE in the target's own units.",
        pitfalls=(
            (
                "Only a reduced value exists: the root of a mean is not a mean of "
                "per-row values. Use mse with --reduction none for per-row errors."
            ),
        ),
        properties=_SYMMETRIC,
    ),
    Loss(
        name="mape",
        aliases=("mean_absolute_percentage_error",),
        family="regression",
        summary="Mean absolute percentage error, in percent.",
        inputs=REGRESSION_INPUTS,
        fn=mape,
        grad=mape_grad,
        row_elements=elements_per_row(),
        elements=elementwise(mape),
        reference=elementwise_reference(lambda p, t: 100 * abs(t - p) / max(abs(t), KERAS_EPSILON)),
        convention="Keras",
        convention_detail="keras.losses.MeanAbsolutePercentageError (percent, epsilon 1e-7).",
        variants={
            "sklearn": Variant(
                "sklearn.metrics.mean_absolute_percentage_error is a fraction (not x100) and "
                "floors |y| at 2.2e-16 instead of 1e-7.",
                fn=_mape_sklearn,
                reference=elementwise_reference(
                    lambda p, t: abs(t - p) / max(abs(t), float(np.finfo(np.float64).eps))
                ),
            )
        },
        when_to_use="Targets far from zero spanning several orders of magnitude, when the "
        "relative error is what matters.",
        pitfalls=(
            (
                "A target of 0 makes the row's error |p| / 1e-7: one such row can dominate "
                "the mean. losscli warns when targets contain zeros."
            ),
            (
                "Asymmetric: over-predictions can cost more than 100%, under-predictions "
                "of a positive target at most 100%."
            ),
        ),
        checks=(
            Check(
                rows=_zero_targets,
                message="{count} of {n} rows have a zero target; MAPE divides by 1e-7 there "
                "(Keras convention), so those rows dominate the mean. Consider mae.",
                conventions=frozenset({None, "torch", "keras"}),
            ),
            Check(
                rows=_zero_targets,
                message="{count} of {n} rows have a zero target; MAPE divides by 2.2e-16 there "
                "(scikit-learn's epsilon), so those rows dominate the mean. Consider mae.",
                conventions=frozenset({"sklearn"}),
            ),
        ),
        properties=_BASIC,
    ),
    Loss(
        name="msle",
        aliases=("mean_squared_logarithmic_error",),
        family="regression",
        summary="Mean squared logarithmic error.",
        inputs=REGRESSION_INPUTS,
        fn=msle,
        grad=msle_grad,
        row_elements=elements_per_row(),
        elements=elementwise(msle),
        reference=elementwise_reference(_ref_msle),
        convention="Keras",
        convention_detail="keras.losses.MeanSquaredLogarithmicError: negative values are "
        "clipped to 1e-7. sklearn's mean_squared_log_error rejects negative values instead.",
        when_to_use="Non-negative targets spanning orders of magnitude (counts, prices) where "
        "under-predicting should cost more than over-predicting by the same ratio.",
        pitfalls=(
            (
                "Negative predictions or targets are silently clipped to 1e-7 by Keras; "
                "losscli warns when it sees them."
            ),
        ),
        variants={
            "sklearn": Variant(
                "sklearn.metrics.mean_squared_log_error takes log(1 + x) of values above -1 "
                "as they are (no clipping) and refuses values <= -1.",
                fn=_msle_sklearn,
                reference=elementwise_reference(lambda p, t: (math.log1p(p) - math.log1p(t)) ** 2),
            )
        },
        checks=(
            Check(
                rows=_negative_values,
                message="{count} of {n} rows have negative predictions or targets; MSLE clips "
                "them to 1e-7 (Keras convention).",
                conventions=frozenset({None, "torch", "keras"}),
            ),
            _log1p_domain("msle", frozenset({"sklearn"})),
        ),
        properties=_SYMMETRIC,
    ),
    Loss(
        name="huber",
        aliases=("huber_loss", "HuberLoss"),
        family="regression",
        summary="Huber loss: quadratic for small errors, linear beyond delta.",
        inputs=REGRESSION_INPUTS,
        params=(
            Param(
                "delta",
                "float",
                1.0,
                "where the loss turns from quadratic to linear",
                low=0.0,
                low_open=True,
            ),
        ),
        fn=huber,
        grad=huber_grad,
        row_elements=elements_per_row(),
        elements=elementwise(huber),
        reference=elementwise_reference(_ref_huber),
        convention="PyTorch",
        convention_detail="torch.nn.HuberLoss(delta=1.0); equals keras.losses.Huber.",
        when_to_use="Regression with some outliers when you still want smooth, MSE-like "
        "behaviour near zero. " + _OUTLIERS,
        pitfalls=(
            (
                "huber is not smooth_l1: smooth_l1(beta) = huber(delta=beta) / beta, so the "
                "two agree only when delta = beta = 1."
            ),
        ),
        properties=_SYMMETRIC,
    ),
    Loss(
        name="smooth_l1",
        aliases=("smoothl1", "SmoothL1Loss"),
        family="regression",
        summary="Smooth L1 loss: huber divided by beta (PyTorch's bounding-box loss).",
        inputs=REGRESSION_INPUTS,
        params=(
            Param(
                "beta",
                "float",
                1.0,
                "where the loss turns from quadratic to linear; 0 gives the L1 loss",
                low=0.0,
            ),
        ),
        fn=smooth_l1,
        grad=smooth_l1_grad,
        row_elements=elements_per_row(),
        elements=elementwise(smooth_l1),
        reference=elementwise_reference(
            lambda p, t, beta: abs(p - t) if beta == 0 else _ref_smooth_l1(p, t, beta)
        ),
        convention="PyTorch",
        convention_detail="torch.nn.SmoothL1Loss(beta=1.0).",
        when_to_use="Box regression in object detection (Fast R-CNN) and other regression "
        "where the slope for large errors should be 1 whatever beta is. " + _OUTLIERS,
        pitfalls=("smooth_l1 is not huber: they agree only when beta = delta = 1.",),
        properties=_SYMMETRIC,
    ),
    Loss(
        name="log_cosh",
        aliases=("logcosh",),
        family="regression",
        summary="Log-cosh loss: about x^2/2 near zero, |x| - log 2 far out.",
        inputs=REGRESSION_INPUTS,
        fn=log_cosh,
        grad=log_cosh_grad,
        row_elements=elements_per_row(),
        elements=elementwise(log_cosh),
        reference=elementwise_reference(_ref_log_cosh),
        convention="Keras",
        convention_detail="keras.losses.LogCosh, evaluated without overflow for residuals "
        "beyond 710 and without cancellation near 0.",
        when_to_use="Like huber without a threshold to tune: smooth everywhere and robust "
        "to outliers.",
        pitfalls=("The naive log(cosh(x)) overflows to inf for |x| > 710; losscli does not.",),
        properties=_SYMMETRIC,
    ),
    Loss(
        name="pinball",
        aliases=("quantile", "quantile_loss", "mean_pinball_loss"),
        family="regression",
        summary="Pinball (quantile) loss for a predicted alpha-quantile.",
        inputs=REGRESSION_INPUTS,
        params=(Param("alpha", "float", 0.5, "the quantile being predicted", low=0.0, high=1.0),),
        fn=pinball,
        grad=pinball_grad,
        row_elements=elements_per_row(),
        elements=elementwise(pinball),
        reference=elementwise_reference(_ref_pinball),
        convention="scikit-learn",
        convention_detail="sklearn.metrics.mean_pinball_loss(alpha=0.5); at alpha 0.5 it is "
        "half the MAE.",
        when_to_use="Quantile regression and prediction intervals: a model of the 90th "
        "percentile is scored with alpha = 0.9.",
        pitfalls=(
            ("alpha is the quantile the predictions are meant to be, not a weight to tune."),
        ),
        properties=_BASIC,
    ),
    Loss(
        name="rmsle",
        aliases=("root_mean_squared_log_error",),
        family="regression",
        summary="Root mean squared logarithmic error: the square root of the (weighted) MSLE.",
        formula="RMSLE = sqrt( sum_i w_i mean_d (log(1 + p) - log(1 + y))^2 / sum_i w_i )",
        inputs=REGRESSION_INPUTS,
        fn=_msle_sklearn,
        reference=elementwise_reference(lambda p, t: (math.log1p(p) - math.log1p(t)) ** 2),
        finalize=math.sqrt,
        per_row_instead="msle",
        convention="scikit-learn",
        convention_detail="sklearn.metrics.root_mean_squared_log_error: values above -1 as "
        "they are; for (N, D) inputs losscli takes the root of the overall mean (sklearn "
        "averages the D per-column roots).",
        when_to_use="Reporting MSLE on the scale of log(1 + y): relative errors of "
        "non-negative targets spanning orders of magnitude.",
        checks=(_log1p_domain("rmsle"),),
        properties=_SYMMETRIC,
    ),
)
