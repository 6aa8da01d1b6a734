"""Gradients of each row's loss with respect to its predictions: analytic where the loss
has one here (built-in formulas below, or a plugin's ``grad=``), else central finite
differences, labelled as numerical.

``gradient(loss, arrays, params)`` returns an array shaped like the predictions whose row i
is d l_i / d p_i (a row's loss is the mean over its elements, so element gradients carry a
1/D). The gradient of the mean loss over N rows is that divided by N.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losscli.registry import Loss, Rows

Arrays = Mapping[str, np.ndarray]
Params = Mapping[str, Any]


def _per_element(p: np.ndarray) -> float:
    return float(np.prod(p.shape[1:])) if p.ndim > 1 else 1.0


def _mse(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return 2.0 * (predictions - targets) / _per_element(predictions)


def _mae(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.sign(predictions - targets) / _per_element(predictions)


def _huber(predictions: np.ndarray, targets: np.ndarray, delta: float = 1.0) -> np.ndarray:
    r = predictions - targets
    return np.where(np.abs(r) < delta, r, delta * np.sign(r)) / _per_element(predictions)


def _smooth_l1(predictions: np.ndarray, targets: np.ndarray, beta: float = 1.0) -> np.ndarray:
    r = predictions - targets
    inner = r / beta if beta > 0 else np.sign(r)
    return np.where(np.abs(r) < beta, inner, np.sign(r)) / _per_element(predictions)


def _log_cosh(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.tanh(predictions - targets) / _per_element(predictions)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _bce_with_logits(
    predictions: np.ndarray,
    targets: np.ndarray,
    pos_weight: Any = None,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """l = -(w y log s(x) + (1 - y) log(1 - s(x))): dl/dx = (1 - y) s(x) - w y (1 - s(x))."""
    y = targets * (1.0 - label_smoothing) + 0.5 * label_smoothing
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    s = _sigmoid(predictions)
    return ((1.0 - y) * s - w * y * (1.0 - s)) / _per_element(predictions)


def _bce(
    predictions: np.ndarray,
    targets: np.ndarray,
    from_logits: bool = False,
    pos_weight: Any = None,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Probabilities: dl/dp = ((1 - y) / (1 - p) - w y / p), PyTorch's guard against 0."""
    if from_logits is True:
        return _bce_with_logits(predictions, targets, pos_weight, label_smoothing)
    y = targets * (1.0 - label_smoothing) + 0.5 * label_smoothing
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    p = predictions
    eps = 1e-12
    grad = (1.0 - y) / np.maximum(1.0 - p, eps) - w * y / np.maximum(p, eps)
    return grad / _per_element(p)


def _cross_entropy(
    predictions: np.ndarray,
    targets: np.ndarray,
    from_logits: bool = True,
    class_weights: Any = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> np.ndarray | None:
    """Logits x, class index y: dl/dx = w_y (softmax(x) - ((1 - s) onehot(y) + s / C))."""
    if from_logits is not True or predictions.ndim != 2 or targets.ndim != 1:
        return None
    x = predictions
    classes = x.shape[1]
    shifted = x - x.max(axis=1, keepdims=True)
    soft = np.exp(shifted)
    soft /= soft.sum(axis=1, keepdims=True)
    index = targets.astype(np.int64)
    ignored = (index == ignore_index) | (index < 0) | (index >= classes)
    safe = np.where(ignored, 0, index)
    target = np.full_like(x, label_smoothing / classes)
    target[np.arange(len(x)), safe] += 1.0 - label_smoothing
    if class_weights is None:
        grad = soft - target
    else:
        w = np.asarray(class_weights, dtype=np.float64)
        # l = -(1-s) w_y log p_y - (s/C) sum_c w_c log p_c
        smooth = label_smoothing / classes
        lead = (1.0 - label_smoothing) * w[safe]
        grad = lead[:, None] * (soft - np.eye(classes)[safe]) + smooth * (
            w.sum() * soft - w[None, :]
        )
    return np.where(ignored[:, None], 0.0, grad)


def _hinge(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Keras: targets 0/1 become -1/1; l = mean(max(0, 1 - y p))."""
    y = np.where(targets == 0, -1.0, targets)
    return np.where(1.0 - y * predictions > 0, -y, 0.0) / _per_element(predictions)


def _pm_one(targets: np.ndarray) -> np.ndarray:
    return np.where(targets == 0, -1.0, targets)


def _squared_hinge(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """l = mean(max(0, 1 - y p)^2): dl/dp = -2 y max(0, 1 - y p) / D."""
    y = _pm_one(targets)
    return -2.0 * y * np.maximum(0.0, 1.0 - y * predictions) / _per_element(predictions)


def _soft_margin(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """l = mean(log(1 + exp(-y x))): dl/dx = -y sigmoid(-y x) / D."""
    return -targets * _sigmoid(-targets * predictions) / _per_element(predictions)


def _brier(
    predictions: np.ndarray, targets: np.ndarray, pos_label: float | None = None
) -> np.ndarray:
    if predictions.ndim == 1:
        y = (
            (targets == pos_label) * 1.0
            if pos_label is not None
            else np.where(targets == -1, 0.0, targets)
        )
        return 2.0 * (predictions - y)
    classes = predictions.shape[1]
    if targets.ndim == 1:
        targets = np.eye(classes)[targets.astype(np.int64)]
    scale = 0.5 if classes == 2 else 1.0
    return 2.0 * scale * (predictions - targets)


def _pinball(predictions: np.ndarray, targets: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """e = y - p: dl/dp = -alpha where e >= 0, 1 - alpha where e < 0 (over D)."""
    e = targets - predictions
    return np.where(e >= 0, -alpha, 1.0 - alpha) / _per_element(predictions)


def _msle(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    eps = 1e-7  # Keras's epsilon: predictions below it are clipped (no gradient there)
    d = np.log1p(np.maximum(predictions, eps)) - np.log1p(np.maximum(targets, eps))
    grad = 2.0 * d / (1.0 + np.maximum(predictions, eps))
    return np.where(predictions > eps, grad, 0.0) / _per_element(predictions)


def _poisson_nll(
    predictions: np.ndarray,
    targets: np.ndarray,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
) -> np.ndarray:
    """log_input: exp(x) - y; else 1 - y / (x + eps). The full term depends on y only."""
    grad = np.exp(predictions) - targets if log_input else 1.0 - targets / (predictions + eps)
    return grad / _per_element(predictions)


def _poisson(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Keras: l = mean(p - y log(p + 1e-7)): dl/dp = 1 - y / (p + 1e-7)."""
    return (1.0 - targets / (predictions + 1e-7)) / _per_element(predictions)


def _tweedie(predictions: np.ndarray, targets: np.ndarray, power: float = 0.0) -> np.ndarray:
    """Every Tweedie deviance: dl/dmu = 2 mu^(-power) (mu - y) (over D)."""
    mu = predictions
    return 2.0 * mu ** (-power) * (mu - targets) / _per_element(mu)


def _mape(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Keras: 100 |y - p| / max(|y|, 1e-7): dl/dp = 100 sign(p - y) / max(|y|, 1e-7)."""
    denominator = np.maximum(np.abs(targets), 1e-7)
    return 100.0 * np.sign(predictions - targets) / denominator / _per_element(predictions)


def _nll(
    predictions: np.ndarray,
    targets: np.ndarray,
    class_weights: Any = None,
    ignore_index: int = -100,
) -> np.ndarray | None:
    """l = -w_y x_y: dl/dx = -w_y onehot(y) (0 for an ignored row)."""
    if predictions.ndim != 2 or targets.ndim != 1:
        return None
    classes = predictions.shape[1]
    index = targets.astype(np.int64)
    ignored = (index == ignore_index) | (index < 0) | (index >= classes)
    safe = np.where(ignored, 0, index)
    w = np.ones(classes) if class_weights is None else np.asarray(class_weights, float)
    grad = -np.eye(classes)[safe] * w[safe][:, None]
    return np.where(ignored[:, None], 0.0, grad)


def _margin_ranking(
    x1: np.ndarray, x2: np.ndarray, labels: np.ndarray, margin: float = 0.0
) -> np.ndarray:
    """With respect to x1: -y where -y (x1 - x2) + margin > 0 (over D)."""
    active = -labels * (x1 - x2) + margin > 0
    return np.where(active, -labels, 0.0) / _per_element(x1)


def _hinge_embedding(
    predictions: np.ndarray, targets: np.ndarray, margin: float = 1.0
) -> np.ndarray:
    """1 where y = 1; -1 where y != 1 and margin - x > 0 (over D)."""
    far = np.where((targets != 1) & (margin - predictions > 0), -1.0, 0.0)
    return (np.where(targets == 1, 1.0, 0.0) + far) / _per_element(predictions)


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _categorical_crossentropy(
    predictions: np.ndarray,
    targets: np.ndarray,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
) -> np.ndarray | None:
    """Logits (N, C), soft labels: softmax(x) - y' with y' = y (1 - s) + s / C (the labels
    sum to 1 in a row)."""
    if from_logits is not True or predictions.ndim != 2:
        return None
    classes = predictions.shape[1]
    y = targets * (1.0 - label_smoothing) + label_smoothing / classes
    return _softmax(predictions) * y.sum(axis=1, keepdims=True) - y


def _sparse_categorical_crossentropy(
    predictions: np.ndarray,
    targets: np.ndarray,
    from_logits: bool = False,
    ignore_class: int | None = None,
) -> np.ndarray | None:
    """Logits (N, C), class index y: softmax(x) - onehot(y) (0 for an ignored class)."""
    if from_logits is not True or predictions.ndim != 2 or targets.ndim != 1:
        return None
    index = targets.astype(np.int64)
    keep = np.ones(len(index), dtype=bool) if ignore_class is None else index != ignore_class
    safe = np.where(keep, index, 0)
    grad = _softmax(predictions) - np.eye(predictions.shape[1])[safe]
    return np.where(keep[:, None], grad, 0.0)


def _multi_margin(
    predictions: np.ndarray,
    targets: np.ndarray,
    p: int = 1,
    margin: float = 1.0,
    class_weights: Any = None,
) -> np.ndarray | None:
    """l = (w_y / C) sum_{c != y} max(0, margin - x_y + x_c)^p."""
    if predictions.ndim != 2:
        return None
    n, classes = predictions.shape
    index = targets.astype(np.int64)
    picked = predictions[np.arange(n), index][:, None]
    gaps = np.maximum(0.0, margin - picked + predictions)
    gaps[np.arange(n), index] = 0.0
    slope = (gaps > 0) * (1.0 if p == 1 else p * gaps ** (p - 1))
    grad = slope.copy()
    grad[np.arange(n), index] = -slope.sum(axis=1)
    w = 1.0 if class_weights is None else np.asarray(class_weights, float)[index][:, None]
    return w * grad / classes


def _categorical_hinge(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
    """pos = sum y p, neg = max (1 - y) p, l = max(0, neg - pos + 1): where l > 0, the
    gradient is onehot(argmax (1 - y) p) - y."""
    if predictions.ndim != 2:
        return None
    others = (1.0 - targets) * predictions
    winner = np.eye(predictions.shape[1])[others.argmax(axis=1)]
    active = (others.max(axis=1) - (targets * predictions).sum(axis=1) + 1.0) > 0
    return np.where(active[:, None], winner - targets, 0.0)


def _cosine_similarity(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
    """Keras: l = -(y / max(|y|, eps)) . (p / max(|p|, eps)) over the last axis."""
    if predictions.ndim != 2:
        return None
    eps = 1e-7
    norm_p = np.maximum(np.linalg.norm(predictions, axis=1, keepdims=True), eps)
    unit_y = targets / np.maximum(np.linalg.norm(targets, axis=1, keepdims=True), eps)
    unit_p = predictions / norm_p
    cosine = (unit_y * unit_p).sum(axis=1, keepdims=True)
    clipped = norm_p == eps  # below eps the norm is a constant
    return np.where(clipped, -unit_y / eps, -(unit_y - cosine * unit_p) / norm_p)


BUILT_IN: dict[str, Callable[..., np.ndarray | None]] = {
    "margin_ranking": _margin_ranking,
    "hinge_embedding": _hinge_embedding,
    "categorical_crossentropy": _categorical_crossentropy,
    "sparse_categorical_crossentropy": _sparse_categorical_crossentropy,
    "multi_margin": _multi_margin,
    "categorical_hinge": _categorical_hinge,
    "cosine_similarity": _cosine_similarity,
    "tweedie": _tweedie,
    "poisson_deviance": lambda predictions, targets: _tweedie(predictions, targets, 1.0),
    "gamma_deviance": lambda predictions, targets: _tweedie(predictions, targets, 2.0),
    "mape": _mape,
    "nll": _nll,
    "squared_hinge": _squared_hinge,
    "soft_margin": _soft_margin,
    "brier": _brier,
    "pinball": _pinball,
    "msle": _msle,
    "poisson_nll": _poisson_nll,
    "poisson": _poisson,
    "mse": _mse,
    "mae": _mae,
    "huber": _huber,
    "smooth_l1": _smooth_l1,
    "log_cosh": _log_cosh,
    "bce": _bce,
    "bce_with_logits": _bce_with_logits,
    "cross_entropy": _cross_entropy,
    "hinge": _hinge,
}


def _row_values(
    loss: Loss, arrays: Arrays, params: Params, convention: str | None = None
) -> np.ndarray:
    rows = loss.function(convention)(**arrays, **params)
    return np.asarray(rows.values if isinstance(rows, Rows) else rows, dtype=np.float64)


def numerical(
    loss: Loss,
    arrays: Arrays,
    params: Params,
    name: str = "predictions",
    convention: str | None = None,
) -> np.ndarray:
    """Central differences, one element position at a time for every row at once (a row's
    loss depends on its own row only); step h = cbrt(eps) * max(1, |p|) per element,
    checked against h / 100 (see below)."""
    p = np.asarray(arrays[name], dtype=np.float64)
    flat = p.reshape(len(p), -1)
    grad = np.empty_like(flat)
    others = {k: v for k, v in arrays.items() if k != name}
    for j in range(flat.shape[1]):
        h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(flat[:, j]))
        wide = _central(loss, others, params, convention, name, flat, p.shape, j, h)
        # A second, 100x narrower step: where the two disagree, the wide one crossed a kink
        # or a clip (Keras clips probabilities at 1e-7) and the narrow one is the slope here.
        narrow = _central(loss, others, params, convention, name, flat, p.shape, j, h / 100)
        scale = np.maximum(np.maximum(np.abs(wide), np.abs(narrow)), 1e-12)
        differ = ~np.isfinite(wide) | (np.abs(wide - narrow) > 1e-2 * scale)
        grad[:, j] = np.where(differ, narrow, wide)
    return grad.reshape(p.shape)


def _central(
    loss: Loss,
    others: Arrays,
    params: Params,
    convention: str | None,
    name: str,
    flat: np.ndarray,
    shape: tuple[int, ...],
    j: int,
    h: np.ndarray,
) -> np.ndarray:
    """(f(p + h e_j) - f(p - h e_j)) / (2h) for every row; where that leaves the loss's
    domain (non-finite), a step 1000x smaller, up to six times."""
    out = np.full(len(flat), np.nan)
    todo = np.ones(len(flat), dtype=bool)
    for _ in range(6):
        up, down = flat.copy(), flat.copy()
        up[:, j] += h
        down[:, j] -= h
        step = up[:, j] - down[:, j]  # the step actually taken, after rounding
        f_up = _row_values(loss, {**others, name: up.reshape(shape)}, params, convention)
        f_down = _row_values(loss, {**others, name: down.reshape(shape)}, params, convention)
        estimate = (f_up - f_down) / step
        out[todo] = estimate[todo]
        todo &= ~np.isfinite(estimate)
        if not todo.any():
            break
        h = np.where(todo, h / 1000.0, h)
    return out


def analytic(
    loss: Loss, arrays: Mapping[str, np.ndarray], params: Mapping[str, Any]
) -> np.ndarray | None:
    """The declared (plugin) or built-in analytic gradient, or None."""
    if loss.grad is not None:
        return np.asarray(loss.grad(**arrays, **params), dtype=np.float64)
    formula = BUILT_IN.get(loss.name)
    if formula is None:
        return None
    with np.errstate(all="ignore"):
        out = formula(**arrays, **params)
    return None if out is None else np.asarray(out, dtype=np.float64)


def gradient(
    loss: Loss, arrays: Arrays, params: Params, convention: str | None = None
) -> tuple[np.ndarray, str]:
    """(d l_i / d p_i, "analytic" or "numerical"). The analytic formulas are the default
    convention's; another library's variant (Keras's clipping) is differentiated
    numerically."""
    variant = convention is not None and convention in loss.variants
    found = None if variant else analytic(loss, arrays, params)
    if found is not None:
        return found, "analytic"
    first = loss.inputs[0].name  # what the gradient is taken with respect to
    with np.errstate(all="ignore"):
        values = numerical(loss, arrays, params, first, convention if variant else None)
    return values, f"numerical ({convention} variant)" if variant else "numerical"
