"""Probabilistic regression losses: negative log-likelihoods and deviances of count,
Gaussian and Tweedie models. Element-wise, so the per-row value is the mean over D.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.losses._common import (
    KERAS_EPSILON,
    REGRESSION_INPUTS,
    any_per_row,
    elements_per_row,
    elementwise,
    elementwise_reference,
    pairwise_inputs,
    row_mean,
    rows_of,
)
from losscli.losses._derivatives import per_element
from losscli.registry import Check, Input, Loss, Param

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

COUNT_INPUTS = pairwise_inputs(
    "predictions",
    "predicted rates (log-rates with log_input), (N,) or (N, D)",
    "targets",
    "observed counts (non-negative), same shape",
)


def poisson_nll(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
) -> np.ndarray:
    """Poisson negative log-likelihood per row (PyTorch PoissonNLLLoss).

    log_input: l = mean_d exp(x) - y x;  otherwise: l = mean_d x - y log(x + eps)

    full adds Stirling's log(y!) ~ y log y - y + log(2 pi y) / 2 where y > 1.

    >>> poisson_nll(np.array([0.0]), np.array([2.0]))
    array([1.])
    """
    if log_input:
        out = np.exp(predictions) - targets * predictions
    else:
        out = predictions - targets * np.log(predictions + eps)
    if full:
        y = np.where(targets > 1, targets, 1.0)
        stirling = y * np.log(y) - y + 0.5 * np.log(2.0 * math.pi * y)
        out = out + np.where(targets > 1, stirling, 0.0)
    return row_mean(out)


def poisson(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Poisson loss per row (Keras Poisson), predictions are rates.

    l = mean_d p - y log(p + 1e-7)

    >>> poisson(np.array([1.0]), np.array([0.0]))
    array([1.])
    """
    return row_mean(predictions - targets * np.log(predictions + KERAS_EPSILON))


def gaussian_nll(
    predictions: np.ndarray,
    targets: np.ndarray,
    var: np.ndarray,
    *,
    full: bool = False,
    eps: float = 1e-6,
) -> np.ndarray:
    """Gaussian negative log-likelihood per row (PyTorch GaussianNLLLoss).

    v = max(var, eps);  l = mean_d (log v + (p - y)^2 / v) / 2   (+ log(2 pi) / 2 if full)

    var has the shape of predictions, or (N,) for one variance per row.

    >>> gaussian_nll(np.array([1.0]), np.array([0.0]), np.array([1.0]))
    array([0.5])
    """
    return row_mean(_gaussian_elements(predictions, targets, var, full=full, eps=eps))


def _gaussian_elements(
    predictions: np.ndarray, targets: np.ndarray, var: np.ndarray, *, full: bool, eps: float
) -> np.ndarray:
    v = np.maximum(var, eps)
    if v.ndim < predictions.ndim:
        v = v.reshape(v.shape + (1,) * (predictions.ndim - v.ndim))
    d = predictions - targets
    out = 0.5 * (np.log(v) + d * d / v)
    return out + _HALF_LOG_2PI if full else out


def tweedie(predictions: np.ndarray, targets: np.ndarray, *, power: float = 0.0) -> np.ndarray:
    """Tweedie deviance per row (scikit-learn mean_tweedie_deviance).

    power 0: (y - mu)^2;  1: 2 (y log(y / mu) - y + mu);  2: 2 (log(mu / y) + y / mu - 1);
    other:  2 (max(y, 0)^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p))

    >>> tweedie(np.array([2.0]), np.array([1.0]), power=1.0)  # doctest: +ELLIPSIS
    array([0.6137...])
    """
    mu, y, p = predictions, targets, power
    if p == 0:
        out = (y - mu) ** 2
    elif p == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            ylog = np.where(y == 0, 0.0, y * np.log(y / mu))
        out = 2.0 * (ylog - y + mu)
    elif p == 2:
        out = 2.0 * (np.log(mu / y) + y / mu - 1.0)
    else:
        out = 2.0 * (
            np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
            - y * mu ** (1 - p) / (1 - p)
            + mu ** (2 - p) / (2 - p)
        )
    return row_mean(out)


def _tweedie_domain(predictions: np.ndarray, targets: np.ndarray, power: float) -> np.ndarray:
    if 0 < power < 1:
        return np.ones(len(predictions), dtype=bool)
    if power < 0:
        bad = predictions <= 0
    elif power == 0:
        bad = np.zeros(predictions.shape, dtype=bool)
    elif power < 2:
        bad = (targets < 0) | (predictions <= 0)
    else:
        bad = (targets <= 0) | (predictions <= 0)
    return any_per_row(bad)


def _tweedie_domain_text(predictions: np.ndarray, targets: np.ndarray, power: float) -> dict:
    if 0 < power < 1:
        need = "no Tweedie distribution has 0 < power < 1; use power <= 0 or >= 1"
    elif power < 0:
        need = "power < 0 needs predictions > 0"
    elif power < 2:
        need = "1 <= power < 2 needs targets >= 0 and predictions > 0"
    else:
        need = "power >= 2 needs targets > 0 and predictions > 0"
    return {"need": need}


def _negative_var(predictions: np.ndarray, targets: np.ndarray, var: np.ndarray, **_: Any):
    return any_per_row(var < 0)


def _negative_counts(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
    return any_per_row(targets < 0)


def _ref_poisson_nll(p, y, log_input=True, full=False, eps=1e-8):
    out = math.exp(p) - y * p if log_input else p - y * math.log(p + eps)
    if full and y > 1:
        out += y * math.log(y) - y + 0.5 * math.log(2 * math.pi * y)
    return out


def _ref_gaussian_nll(predictions, targets, var, full=False, eps=1e-6):
    out = []
    variances = list(rows_of(var))
    for i, (prow, trow) in enumerate(zip(rows_of(predictions), rows_of(targets))):
        vrow = variances[i] if len(variances[i]) == len(prow) else variances[i] * len(prow)
        terms = []
        for p, t, v in zip(prow, trow, vrow):
            v = max(v, eps)
            terms.append(0.5 * (math.log(v) + (p - t) ** 2 / v) + (_HALF_LOG_2PI if full else 0))
        out.append(sum(terms) / len(terms))
    return np.array(out)


def poisson_deviance(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Poisson deviance per row (scikit-learn mean_poisson_deviance): Tweedie power 1.

    l = mean_d 2 (y log(y / mu) - y + mu),  with 0 log 0 = 0

    >>> poisson_deviance(np.array([2.0]), np.array([1.0]))  # doctest: +ELLIPSIS
    array([0.6137...])
    """
    return tweedie(predictions, targets, power=1.0)


def gamma_deviance(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Gamma deviance per row (scikit-learn mean_gamma_deviance): Tweedie power 2.

    l = mean_d 2 (log(mu / y) + y / mu - 1)

    >>> gamma_deviance(np.array([2.0]), np.array([1.0]))  # doctest: +ELLIPSIS
    array([0.3862...])
    """
    return tweedie(predictions, targets, power=2.0)


def _fixed_power_checks(name: str, power: float) -> tuple[Check, ...]:
    return (
        Check(
            rows=lambda predictions, targets, **_: _tweedie_domain(predictions, targets, power),
            error=True,
            details=lambda predictions, targets, **_: _tweedie_domain_text(
                predictions, targets, power
            ),
            message=name + ": row {row} is outside the domain: {need}",
        ),
    )


def _ref_tweedie(mu, y, power=0.0):
    p = power
    if p == 0:
        return (y - mu) ** 2
    if p == 1:
        return 2 * ((y * math.log(y / mu) if y > 0 else 0.0) - y + mu)
    if p == 2:
        return 2 * (math.log(mu / y) + y / mu - 1)
    return 2 * (
        max(y, 0) ** (2 - p) / ((1 - p) * (2 - p))
        - y * mu ** (1 - p) / (1 - p)
        + mu ** (2 - p) / (2 - p)
    )


_COUNT_CHECK = Check(
    rows=_negative_counts,
    message="{count} of {n} rows have negative targets (first: row {row}); Poisson targets "
    "are counts",
)


# Gradients d l_i / d predictions_i of the per-row losses above (``grad=`` on each entry).


def tweedie_grad(predictions: np.ndarray, targets: np.ndarray, power: float = 0.0) -> np.ndarray:
    """Every Tweedie deviance: dl/dmu = 2 mu^(-power) (mu - y) (over D)."""
    mu = predictions
    return 2.0 * mu ** (-power) * (mu - targets) / per_element(mu)


def poisson_nll_grad(
    predictions: np.ndarray,
    targets: np.ndarray,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
) -> np.ndarray:
    """log_input: exp(x) - y; else 1 - y / (x + eps). The full term depends on y only."""
    grad = np.exp(predictions) - targets if log_input else 1.0 - targets / (predictions + eps)
    return grad / per_element(predictions)


def poisson_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Keras: l = mean(p - y log(p + 1e-7)): dl/dp = 1 - y / (p + 1e-7)."""
    return (1.0 - targets / (predictions + 1e-7)) / per_element(predictions)


def poisson_deviance_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return tweedie_grad(predictions, targets, 1.0)


def gamma_deviance_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return tweedie_grad(predictions, targets, 2.0)


LOSSES = (
    Loss(
        name="poisson_nll",
        aliases=("PoissonNLLLoss", "poisson_nll_loss"),
        family="probabilistic",
        summary="Poisson negative log-likelihood; predictions are log-rates by default.",
        inputs=COUNT_INPUTS,
        params=(
            Param("log_input", "bool", True, "predictions are log-rates (else rates)"),
            Param("full", "bool", False, "add Stirling's term for log(y!)"),
            Param("eps", "float", 1e-8, "added to rates before the log", low=0.0),
        ),
        fn=poisson_nll,
        grad=poisson_nll_grad,
        row_elements=elements_per_row(),
        elements=elementwise(poisson_nll),
        reference=elementwise_reference(_ref_poisson_nll),
        convention="PyTorch",
        convention_detail="torch.nn.PoissonNLLLoss(log_input=True, full=False, eps=1e-8); "
        "without full it omits the constant log(y!).",
        when_to_use="Count targets (events, clicks, arrivals) from a model of the log-rate.",
        pitfalls=(
            "Without full=true the loss can be negative: it leaves out log(y!).",
            "log_input=true (the default) expects log-rates; rates give a wrong number.",
        ),
        checks=(_COUNT_CHECK,),
    ),
    Loss(
        name="poisson",
        aliases=("Poisson",),
        family="probabilistic",
        summary="Poisson loss of predicted rates (Keras).",
        inputs=pairwise_inputs(
            "predictions", "predicted rates (> 0)", "targets", "observed counts, same shape"
        ),
        fn=poisson,
        grad=poisson_grad,
        row_elements=elements_per_row(),
        elements=elementwise(poisson),
        reference=elementwise_reference(lambda p, y: p - y * math.log(p + KERAS_EPSILON)),
        convention="Keras",
        convention_detail="keras.losses.Poisson (epsilon 1e-7).",
        when_to_use="Count targets from a model that outputs rates directly.",
        checks=(_COUNT_CHECK,),
    ),
    Loss(
        name="gaussian_nll",
        aliases=("GaussianNLLLoss", "gaussian_nll_loss", "heteroscedastic"),
        family="probabilistic",
        summary="Gaussian negative log-likelihood with predicted variances.",
        inputs=(
            *REGRESSION_INPUTS,
            Input(
                "var",
                ("N", "*D"),
                "predicted variances, same shape as predictions or (N,)",
                alt_shape=("N",),
            ),
        ),
        params=(
            Param("full", "bool", False, "add the constant log(2 pi) / 2"),
            Param(
                "eps",
                "float",
                1e-6,
                "variances are clamped to at least this",
                low=0.0,
                low_open=True,
            ),
        ),
        fn=gaussian_nll,
        row_elements=elements_per_row(),
        elements=lambda predictions, targets, var, **k: _gaussian_elements(
            predictions, targets, var, **k
        ),
        reference=_ref_gaussian_nll,
        convention="PyTorch",
        convention_detail="torch.nn.GaussianNLLLoss(full=False, eps=1e-6).",
        when_to_use="Regression models that predict their own uncertainty (a mean and a "
        "variance per target).",
        pitfalls=("var is a variance, not a standard deviation or a log-variance.",),
        checks=(
            Check(
                rows=_negative_var,
                error=True,
                input="var",
                message="var ({origin}) row {row} holds {value}; variances must be >= 0",
            ),
        ),
    ),
    Loss(
        name="tweedie",
        aliases=("tweedie_deviance", "mean_tweedie_deviance"),
        family="probabilistic",
        summary="Tweedie deviance: squared error, Poisson, gamma and compound models.",
        inputs=pairwise_inputs(
            "predictions", "predicted means mu", "targets", "observed values, same shape"
        ),
        params=(Param("power", "float", 0.0, "Tweedie power: <= 0 or >= 1"),),
        fn=tweedie,
        grad=tweedie_grad,
        reference=elementwise_reference(_ref_tweedie),
        convention="scikit-learn",
        convention_detail="sklearn.metrics.mean_tweedie_deviance(power=0).",
        when_to_use="Insurance claims and other zero-inflated positive targets "
        "(1 < power < 2), Poisson counts (1), gamma-like positive targets (2).",
        checks=(
            Check(
                rows=_tweedie_domain,
                error=True,
                details=_tweedie_domain_text,
                message="tweedie: row {row} is outside the domain: {need}",
            ),
        ),
        properties=frozenset({"nonnegative", "zero_at_perfect"}),
    ),
    Loss(
        name="poisson_deviance",
        aliases=("mean_poisson_deviance",),
        family="probabilistic",
        summary="Poisson deviance of predicted means: Tweedie deviance with power 1.",
        inputs=pairwise_inputs(
            "predictions", "predicted means mu > 0", "targets", "observed counts >= 0"
        ),
        fn=poisson_deviance,
        grad=poisson_deviance_grad,
        reference=elementwise_reference(lambda mu, y: _ref_tweedie(mu, y, 1.0)),
        convention="scikit-learn",
        convention_detail="sklearn.metrics.mean_poisson_deviance (= tweedie with power 1).",
        when_to_use="Count data scored on predicted means, as scikit-learn's Poisson "
        "regressors are.",
        checks=_fixed_power_checks("poisson_deviance", 1.0),
        properties=frozenset({"nonnegative", "zero_at_perfect"}),
    ),
    Loss(
        name="gamma_deviance",
        aliases=("mean_gamma_deviance",),
        family="probabilistic",
        summary="Gamma deviance of predicted means: Tweedie deviance with power 2.",
        inputs=pairwise_inputs(
            "predictions", "predicted means mu > 0", "targets", "observed values > 0"
        ),
        fn=gamma_deviance,
        grad=gamma_deviance_grad,
        reference=elementwise_reference(lambda mu, y: _ref_tweedie(mu, y, 2.0)),
        convention="scikit-learn",
        convention_detail="sklearn.metrics.mean_gamma_deviance (= tweedie with power 2).",
        when_to_use="Positive, right-skewed targets (claim sizes, durations) whose spread "
        "grows with their mean.",
        checks=_fixed_power_checks("gamma_deviance", 2.0),
        properties=frozenset({"nonnegative", "zero_at_perfect"}),
    ),
)
