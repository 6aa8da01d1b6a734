"""Multi-class classification losses: one row of C class scores per example.

PyTorch-style entries put the classes on axis 1, (N, C) or (N, C, d1, ...) for dense
prediction, with class-index targets (N,) or (N, d1, ...). Keras-style entries put the
classes last, (N, C) or (N, ..., C). The per-row value is the sum over classes (the
cross-entropy of that row), averaged over any extra dimensions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from losscli.losses import _checks
from losscli.losses._common import (
    clamped_log,
    keras_clip,
    log_softmax,
    logsumexp_rows,
    math_log,
    one_hot,
    per_class,
    pick_class,
    ref_keras_clip,
    row_mean,
)
from losscli.losses._derivatives import softmax
from losscli.registry import Input, Loss, Param, Rows, Variant

_NONNEG = frozenset({"nonnegative"})

TORCH_INPUTS = (
    Input(
        "predictions",
        ("N", "C", "*D"),
        "logits (or probabilities with from_logits=false), classes on axis 1",
    ),
    Input(
        "targets",
        ("N", "*D"),
        "class indices (N,), or per-class probabilities (N, C) (one column a class)",
        alt_shape=("N", "C", "*D"),
    ),
)
KERAS_INPUTS = (
    Input("predictions", ("N", "*D", "C"), "probabilities (or logits with from_logits), (N, C)"),
    Input("targets", ("N", "*D", "C"), "one-hot or soft labels, same shape as predictions"),
)


def _class_shape(weights: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = len(weights)
    return weights.reshape(shape)


def _is_index(predictions: np.ndarray, targets: np.ndarray) -> bool:
    return targets.ndim == predictions.ndim - 1


def _indexed_nll(
    logp: np.ndarray | None,
    targets: np.ndarray,
    weights: np.ndarray | None,
    ignore_index: int,
    label_smoothing: float,
    logits: np.ndarray | None = None,
) -> Rows:
    """PyTorch's cross-entropy with class-index targets, as per-row values and norms.

    Either ``logp`` (log-probabilities) or, without label smoothing, (N, C) ``logits``.
    """
    source = logp if logp is not None else logits
    assert source is not None
    classes = source.shape[1]
    index = targets.astype(np.int64)
    ignored = index == ignore_index
    safe = np.where(ignored | (index < 0) | (index >= classes), 0, index)
    picked = pick_class(source, safe)
    if logp is None:
        picked = picked - logsumexp_rows(source)
    w_target = np.ones(safe.shape) if weights is None else weights[safe]
    loss = -w_target * picked
    if label_smoothing and logp is not None:
        wb = 1.0 if weights is None else _class_shape(weights, logp.ndim, 1)
        uniform = -(wb * logp).sum(axis=1)
        loss = (1.0 - label_smoothing) * loss + (label_smoothing / classes) * uniform
    loss = np.where(ignored, 0.0, loss)
    norm = np.where(ignored, 0.0, w_target)
    return Rows(row_mean(loss), norms=row_mean(norm))


def cross_entropy(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    from_logits: bool = True,
    class_weights: tuple[float, ...] | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Rows:
    """Cross-entropy per row (PyTorch CrossEntropyLoss).

    index targets: l = -(1 - s) w_y log p_y - (s / C) sum_c w_c log p_c;
    probability targets: l = -sum_c w_c (y_c (1 - s) + s / C) log p_c;
    log p = log_softmax(x);  mean = sum_i l_i / sum_i w_{y_i}

    log p is taken over the classes (axis 1), or is the log of probabilities. With index
    targets a row whose y is ignore_index has l = 0 and is left out of the mean, as
    PyTorch does.

    >>> cross_entropy(np.array([[0.0, 0.0]]), np.array([1])).values  # doctest: +ELLIPSIS
    array([0.6931...])
    """
    classes = predictions.shape[1]
    weights = per_class(class_weights, classes, "class_weights", "cross_entropy")
    if (
        from_logits
        and predictions.ndim == 2
        and not label_smoothing
        and _is_index(predictions, targets)
    ):
        # The common case without the (N, C) log-softmax: log p_y = x_y - logsumexp(x).
        return _indexed_nll(None, targets, weights, ignore_index, 0.0, logits=predictions)
    logp = log_softmax(predictions, axis=1) if from_logits else clamped_log(predictions)
    if _is_index(predictions, targets):
        return _indexed_nll(logp, targets, weights, ignore_index, label_smoothing)
    y = targets
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / classes
    wb = 1.0 if weights is None else _class_shape(weights, logp.ndim, 1)
    return Rows(row_mean(-(wb * y * logp).sum(axis=1)))


def nll(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    class_weights: tuple[float, ...] | None = None,
    ignore_index: int = -100,
) -> Rows:
    """Negative log-likelihood per row (PyTorch NLLLoss), from log-probabilities.

    l = -w_y log p_y;  mean = sum_i l_i / sum_i w_{y_i}

    A row whose y is ignore_index has l = 0 and is left out of the mean.

    >>> nll(np.log(np.array([[0.25, 0.75]])), np.array([1])).values  # doctest: +ELLIPSIS
    array([0.2876...])
    """
    weights = per_class(class_weights, predictions.shape[1], "class_weights", "nll")
    return _indexed_nll(predictions, targets, weights, ignore_index, 0.0)


def _pixel_losses(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """The loss of every position of dense (N, C, H, W) inputs, as ``fn`` gives it for
    (N, C) rows: PyTorch's reduction='none'."""

    def elements(predictions: np.ndarray, targets: np.ndarray, **params: Any) -> np.ndarray:
        if predictions.ndim <= 2:
            return np.asarray(fn(predictions, targets, **params).values)
        scores = np.moveaxis(predictions, 1, -1)
        flat = scores.reshape(-1, scores.shape[-1])
        if targets.ndim == predictions.ndim:  # per-class probabilities, class axis 1 too
            labels: np.ndarray = np.moveaxis(targets, 1, -1).reshape(flat.shape)
        else:
            labels = np.reshape(targets, -1)
        rows = fn(flat, labels, **params)
        return np.asarray(getattr(rows, "values", rows)).reshape(scores.shape[:-1])

    return elements


def _pixels(predictions: np.ndarray, **_: Any) -> int:
    """Positions a dense (N, C, H, W) row averages over: its H W pixels (1 for (N, C))."""
    return int(np.prod(predictions.shape[2:], dtype=np.int64))


def _keras_log_probabilities(x: np.ndarray, from_logits: bool, keras: bool) -> np.ndarray:
    if from_logits:
        return log_softmax(x, axis=-1)
    if keras:
        p = x / x.sum(axis=-1, keepdims=True)
        return np.log(keras_clip(p))
    return clamped_log(x)


def categorical_crossentropy(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    _keras: bool = False,
) -> np.ndarray:
    """Categorical cross-entropy per row (Keras CategoricalCrossentropy), classes last.

    y' = y (1 - s) + s / C;  l = -sum_c y'_c log p_c

    Each log is clamped at -100.

    >>> categorical_crossentropy(np.array([[0.2, 0.8]]), np.array([[0.0, 1.0]]))
    ... # doctest: +ELLIPSIS
    array([0.2231...])
    """
    classes = predictions.shape[-1]
    y = targets
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / classes
    logp = _keras_log_probabilities(predictions, from_logits, _keras)
    return row_mean(-(y * logp).sum(axis=-1))


def _categorical_keras(predictions, targets, **params):
    return categorical_crossentropy(predictions, targets, _keras=True, **params)


def sparse_categorical_crossentropy(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    from_logits: bool = False,
    ignore_class: int | None = None,
    _keras: bool = False,
) -> np.ndarray | Rows:
    """Sparse categorical cross-entropy per row (Keras), integer targets, classes last.

    l = -log p_y

    Each log is clamped at -100; rows with y = ignore_class are left out of the mean, as
    Keras masks them.

    >>> sparse_categorical_crossentropy(np.array([[0.2, 0.8]]), np.array([1]))
    ... # doctest: +ELLIPSIS
    array([0.2231...])
    """
    logp = _keras_log_probabilities(predictions, from_logits, _keras)
    index = np.clip(targets.astype(np.int64), 0, predictions.shape[-1] - 1)
    values = -np.take_along_axis(logp, index[..., None], axis=-1)[..., 0]
    if ignore_class is None:
        return row_mean(values)
    kept = targets != ignore_class
    values = np.where(kept, values, 0.0)
    if values.ndim == 1:
        return Rows(values, norms=kept.astype(np.float64))
    # Per-position labels: a row is the mean over the positions it keeps.
    axes = tuple(range(1, values.ndim))
    count = kept.sum(axis=axes)
    return Rows(values.sum(axis=axes) / np.maximum(count, 1), norms=(count > 0) * 1.0)


def _sparse_keras(predictions, targets, **params):
    return sparse_categorical_crossentropy(predictions, targets, _keras=True, **params)


def categorical_focal(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    alpha: tuple[float, ...] = (0.25,),
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    _keras: bool = False,
) -> np.ndarray:
    """Categorical focal loss per row (Keras CategoricalFocalCrossentropy), classes last.

    y' = y (1 - s) + s / C;  l = -sum_c a_c (1 - p_c)^gamma y'_c log p_c

    (1 - p_c) is -expm1(log p_c), exact for p_c close to 1.

    >>> categorical_focal(np.array([[0.5, 0.5]]), np.array([[0.0, 1.0]]))
    ... # doctest: +ELLIPSIS
    array([0.0433...])
    """
    classes = predictions.shape[-1]
    a = per_class(alpha, classes, "alpha", "categorical_focal")
    y = targets
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / classes
    logp = _keras_log_probabilities(predictions, from_logits, _keras)
    # Keras takes 1 - p of its clipped p; otherwise -expm1(log p) keeps 1 - p exact near p = 1.
    factor = (1.0 - np.exp(logp) if _keras else -np.expm1(logp)) ** gamma
    return row_mean((a * factor * -(y * logp)).sum(axis=-1))


def _focal_keras(predictions, targets, **params):
    return categorical_focal(predictions, targets, _keras=True, **params)


def multi_margin(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    p: int = 1,
    margin: float = 1.0,
    class_weights: tuple[float, ...] | None = None,
) -> np.ndarray:
    """Multi-class margin loss per row (PyTorch MultiMarginLoss).

    l = (w_y / C) sum_{c != y} max(0, margin - x_y + x_c)^p

    >>> multi_margin(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))  # doctest: +ELLIPSIS
    array([0.325])
    """
    classes = predictions.shape[1]
    index = np.clip(targets.astype(np.int64), 0, classes - 1)
    picked = np.take_along_axis(predictions, index[:, None], axis=1)
    gaps = np.maximum(0.0, margin - picked + predictions)
    if p == 2:
        gaps = gaps * gaps
    np.put_along_axis(gaps, index[:, None], 0.0, axis=1)
    out = gaps.sum(axis=1) / classes
    weights = per_class(class_weights, classes, "class_weights", "multi_margin")
    return out if weights is None else out * weights[index]


def categorical_hinge(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Categorical hinge loss per row (Keras CategoricalHinge), one-hot targets.

    pos = sum_c y_c p_c;  neg = max_c (1 - y_c) p_c;  l = max(0, neg - pos + 1)

    >>> categorical_hinge(np.array([[0.3, 0.7]]), np.array([[0.0, 1.0]]))
    array([0.6])
    """
    pos = (targets * predictions).sum(axis=-1)
    neg = ((1.0 - targets) * predictions).max(axis=-1)
    return row_mean(np.maximum(0.0, neg - pos + 1.0))


def poly1(predictions: np.ndarray, targets: np.ndarray, *, epsilon: float = 2.0) -> np.ndarray:
    """Poly-1 cross-entropy per row (Leng et al. 2022; optax poly_loss_cross_entropy).

    l = CE(x, y) + epsilon sum_c y_c (1 - p_c),   p = softmax(x)

    >>> poly1(np.array([[0.0, 0.0]]), np.array([[0.0, 1.0]]))  # doctest: +ELLIPSIS
    array([1.6931...])
    """
    if _is_index(predictions, targets):
        targets = one_hot(targets, predictions.shape[1])
    logp = log_softmax(predictions, axis=1)
    ce = -(targets * logp).sum(axis=1)
    return ce + epsilon * (targets * -np.expm1(logp)).sum(axis=1)


# Slow references: plain loops over rows and classes, (N, C) inputs only.


def _ref_log_softmax(row: list[float]) -> list[float]:
    m = max(row)
    total = math.log(sum(math.exp(v - m) for v in row))
    return [v - m - total for v in row]


def _rows(a: np.ndarray) -> list[list[float]]:
    return [[float(v) for v in row] for row in np.asarray(a, dtype=np.float64)]


def _ref_cross_entropy(
    predictions,
    targets,
    from_logits=True,
    class_weights=None,
    ignore_index=-100,
    label_smoothing=0.0,
    _indices=True,
):
    values, norms = [], []
    for i, x in enumerate(_rows(predictions)):
        c = len(x)
        w = (
            [1.0] * c
            if class_weights is None
            else list(class_weights) * (c if len(class_weights) == 1 else 1)
        )
        logp = _ref_log_softmax(x) if from_logits else [math_log(v) for v in x]
        if _is_index(predictions, targets):
            y = int(targets[i])
            if y == ignore_index:
                values.append(0.0)
                norms.append(0.0)
                continue
            loss = -(1 - label_smoothing) * w[y] * logp[y]
            loss -= label_smoothing / c * sum(w[k] * logp[k] for k in range(c))
            values.append(loss)
            norms.append(w[y])
        else:
            y = [float(v) * (1 - label_smoothing) + label_smoothing / c for v in targets[i]]
            values.append(-sum(w[k] * y[k] * logp[k] for k in range(c)))
            norms.append(1.0)
    return Rows(np.array(values), norms=np.array(norms))


def _keras_reference(reference):
    """A reference on probabilities rescaled and clipped as Keras does (logits as they are)."""

    def keras(predictions, targets, from_logits=False, **params):
        p = predictions if from_logits else ref_keras_clip(predictions, rescale=True)
        return reference(p, targets, from_logits=from_logits, **params)

    return keras


def _ref_categorical(predictions, targets, from_logits=False, label_smoothing=0.0):
    out = []
    for x, t in zip(_rows(predictions), _rows(targets)):
        c = len(x)
        logp = _ref_log_softmax(x) if from_logits else [math_log(v) for v in x]
        out.append(
            -sum((t[k] * (1 - label_smoothing) + label_smoothing / c) * logp[k] for k in range(c))
        )
    return np.array(out)


def _ref_sparse(predictions, targets, from_logits=False, ignore_class=None):
    out, kept = [], []
    for x, y in zip(_rows(predictions), targets):
        logp = _ref_log_softmax(x) if from_logits else [math_log(v) for v in x]
        keep = ignore_class is None or y != ignore_class
        out.append(-logp[int(y)] if keep else 0.0)
        kept.append(1.0 if keep else 0.0)
    if ignore_class is None:
        return np.array(out)
    return Rows(np.array(out), norms=np.array(kept))


def _ref_focal(
    predictions, targets, alpha=(0.25,), gamma=2.0, from_logits=False, label_smoothing=0.0
):
    out = []
    for x, t in zip(_rows(predictions), _rows(targets)):
        c = len(x)
        a = list(alpha) * c if len(alpha) == 1 else list(alpha)
        logp = _ref_log_softmax(x) if from_logits else [math_log(v) for v in x]
        total = 0.0
        for k in range(c):
            y = t[k] * (1 - label_smoothing) + label_smoothing / c
            total -= a[k] * (1 - math.exp(logp[k])) ** gamma * y * logp[k]
        out.append(total)
    return np.array(out)


def _ref_multi_margin(predictions, targets, p=1, margin=1.0, class_weights=None):
    out = []
    for x, y in zip(_rows(predictions), targets):
        y = int(y)
        c = len(x)
        total = sum(max(0.0, margin - x[y] + x[k]) ** p for k in range(c) if k != y) / c
        if class_weights is not None:
            total *= class_weights[0] if len(class_weights) == 1 else class_weights[y]
        out.append(total)
    return np.array(out)


def _ref_categorical_hinge(predictions, targets):
    out = []
    for x, t in zip(_rows(predictions), _rows(targets)):
        pos = sum(a * b for a, b in zip(t, x))
        neg = max((1 - a) * b for a, b in zip(t, x))
        out.append(max(0.0, neg - pos + 1))
    return np.array(out)


def _ref_poly1(predictions, targets, epsilon=2.0):
    out = []
    for i, x in enumerate(_rows(predictions)):
        c = len(x)
        if _is_index(predictions, targets):
            t = [1.0 if k == int(targets[i]) else 0.0 for k in range(c)]
        else:
            t = [float(v) for v in targets[i]]
        logp = _ref_log_softmax(x)
        ce = -sum(t[k] * logp[k] for k in range(c))
        out.append(ce + epsilon * sum(t[k] * (1 - math.exp(logp[k])) for k in range(c)))
    return np.array(out)


_CLASS_WEIGHTS = Param(
    "class_weights", "floats", None, "one weight per class (PyTorch weight)", low=0.0
)
_IGNORE_INDEX = Param(
    "ignore_index", "int", -100, "target value whose rows are left out of the loss and the mean"
)
_LABEL_SMOOTHING = Param(
    "label_smoothing", "float", 0.0, "targets become y (1 - s) + s / C", low=0.0, high=1.0
)
_FROM_LOGITS_TRUE = Param(
    "from_logits", "bool", True, "predictions are logits (else probabilities)"
)
_FROM_LOGITS_FALSE = Param(
    "from_logits", "bool", False, "predictions are logits, not probabilities"
)
_KERAS_NOTE = (
    "Keras rescales each probability row to sum to 1 and clips it to [1e-7, 1 - 1.19e-7] "
    "(its float32 bounds) before the log, so p = 0 costs 16.1 rather than 100."
)


def _index_checks(name: str, ignore: bool = True) -> tuple[Any, ...]:
    return _checks.class_indices(name, class_axis=1, ignore=ignore)


# Gradients d l_i / d predictions_i of the per-row losses above (``grad=`` on each entry).


def categorical_crossentropy_grad(
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
    return softmax(predictions) * y.sum(axis=1, keepdims=True) - y


def sparse_categorical_crossentropy_grad(
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
    grad = softmax(predictions) - np.eye(predictions.shape[1])[safe]
    return np.where(keep[:, None], grad, 0.0)


def multi_margin_grad(
    predictions: np.ndarray,
    targets: np.ndarray,
    p: int = 1,
    margin: float = 1.0,
    class_weights: Any = None,
) -> np.ndarray | None:
    """With g_c = max(0, margin - x_y + x_c): dl/dx_c = (w_y / C) p g_c^(p - 1) [g_c > 0]
    for c != y, and dl/dx_y is minus their sum."""
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


def categorical_hinge_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
    """pos = sum y p, neg = max (1 - y) p, l = max(0, neg - pos + 1): where l > 0, the
    gradient is onehot(argmax (1 - y) p) - y."""
    if predictions.ndim != 2:
        return None
    others = (1.0 - targets) * predictions
    winner = np.eye(predictions.shape[1])[others.argmax(axis=1)]
    active = (others.max(axis=1) - (targets * predictions).sum(axis=1) + 1.0) > 0
    return np.where(active[:, None], winner - targets, 0.0)


def nll_grad(
    predictions: np.ndarray,
    targets: np.ndarray,
    class_weights: Any = None,
    ignore_index: int = -100,
) -> np.ndarray | None:
    """dl/dx = -w_y onehot(y) (0 for an ignored row)."""
    if predictions.ndim != 2 or targets.ndim != 1:
        return None
    classes = predictions.shape[1]
    index = targets.astype(np.int64)
    ignored = (index == ignore_index) | (index < 0) | (index >= classes)
    safe = np.where(ignored, 0, index)
    w = np.ones(classes) if class_weights is None else np.asarray(class_weights, float)
    grad = -np.eye(classes)[safe] * w[safe][:, None]
    return np.where(ignored[:, None], 0.0, grad)


def cross_entropy_grad(
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


LOSSES = (
    Loss(
        name="cross_entropy",
        aliases=("ce", "CrossEntropyLoss", "softmax_cross_entropy"),
        family="classification",
        summary="Multi-class cross-entropy from logits; index or probability targets.",
        inputs=TORCH_INPUTS,
        params=(_FROM_LOGITS_TRUE, _CLASS_WEIGHTS, _IGNORE_INDEX, _LABEL_SMOOTHING),
        fn=cross_entropy,
        grad=cross_entropy_grad,
        row_elements=_pixels,
        elements=_pixel_losses(cross_entropy),
        reference=_ref_cross_entropy,
        convention="PyTorch",
        convention_detail="torch.nn.CrossEntropyLoss: with class weights the mean divides "
        "by the sum of the target classes' weights; ignore_index rows count in neither sum. "
        "from_logits=false takes probabilities (log clamped at -100).",
        when_to_use="Single-label multi-class classification (one softmax over C classes), "
        "including per-pixel segmentation with (N, C, H, W) logits.",
        pitfalls=(
            "Give logits, not softmax outputs: probabilities taken as logits are softmaxed "
            "twice and the loss is wrong without any error; losscli warns when every row "
            "lies in [0, 1] and sums to 1.",
            "Class indices start at 0: labels 1..C are off by one and C itself is out of "
            "range (an error naming the row).",
            "With class_weights, the mean is normalised by the weights of the rows' target "
            "classes, not by N.",
        ),
        checks=(
            _checks.probabilities_given_as_logits("cross_entropy", class_axis=1),
            _checks.logits_given_as_probabilities("cross_entropy"),
            *_index_checks("cross_entropy"),
            _checks.class_probability_targets("cross_entropy", class_axis=1),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="nll",
        aliases=("NLLLoss", "nll_loss", "negative_log_likelihood"),
        family="classification",
        summary="Negative log-likelihood of log-probabilities and class indices.",
        inputs=(
            Input("predictions", ("N", "C", "*D"), "log-probabilities, classes on axis 1"),
            Input("targets", ("N", "*D"), "class indices", kind="label"),
        ),
        params=(_CLASS_WEIGHTS, _IGNORE_INDEX),
        fn=nll,
        grad=nll_grad,
        row_elements=_pixels,
        elements=_pixel_losses(nll),
        reference=lambda predictions, targets, class_weights=None, ignore_index=-100: (
            _ref_cross_entropy(np.exp(predictions), targets, False, class_weights, ignore_index)
        ),
        convention="PyTorch",
        convention_detail="torch.nn.NLLLoss (weight, ignore_index=-100).",
        when_to_use="Models that output log_softmax already; cross_entropy = nll(log_softmax).",
        pitfalls=(
            "Inputs must be log-probabilities (<= 0); plain probabilities give negative losses.",
        ),
        checks=(*_index_checks("nll"), *_checks.not_log_probabilities("nll")),
    ),
    Loss(
        name="categorical_crossentropy",
        aliases=("CategoricalCrossentropy", "cce"),
        family="classification",
        summary="Cross-entropy of probabilities against one-hot or soft labels (classes last).",
        inputs=KERAS_INPUTS,
        params=(_FROM_LOGITS_FALSE, _LABEL_SMOOTHING),
        fn=categorical_crossentropy,
        grad=categorical_crossentropy_grad,
        reference=_ref_categorical,
        convention="Keras",
        convention_detail="keras.losses.CategoricalCrossentropy, with the log clamped at -100 "
        "instead of Keras's probability clipping (use --convention keras for that).",
        variants={
            "keras": Variant(
                _KERAS_NOTE, fn=_categorical_keras, reference=_keras_reference(_ref_categorical)
            )
        },
        when_to_use="Multi-class classification with one-hot or soft (distilled, mixed-up) "
        "labels and probability outputs.",
        pitfalls=("Integer labels belong to sparse_categorical_crossentropy.",),
        checks=(
            _checks.logits_given_as_probabilities("categorical_crossentropy"),
            _checks.probabilities_given_as_logits("categorical_crossentropy", class_axis=-1),
            *_checks.unnormalised_probabilities("categorical_crossentropy", class_axis=-1),
            _checks.class_probability_targets("categorical_crossentropy", class_axis=-1),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="sparse_categorical_crossentropy",
        aliases=("SparseCategoricalCrossentropy", "scce"),
        family="classification",
        summary="Cross-entropy of probabilities against integer class labels (classes last).",
        inputs=(
            Input("predictions", ("N", "*D", "C"), "probabilities (or logits), (N, C)"),
            Input("targets", ("N", "*D"), "class indices", kind="label"),
        ),
        params=(
            _FROM_LOGITS_FALSE,
            Param(
                "ignore_class",
                "int",
                None,
                "a label whose rows are left out (Keras's mask); none: every label counts",
            ),
        ),
        fn=sparse_categorical_crossentropy,
        grad=sparse_categorical_crossentropy_grad,
        reference=_ref_sparse,
        convention="Keras",
        convention_detail="keras.losses.SparseCategoricalCrossentropy, with the log clamped "
        "at -100 instead of Keras's probability clipping.",
        variants={
            "keras": Variant(_KERAS_NOTE, fn=_sparse_keras, reference=_keras_reference(_ref_sparse))
        },
        when_to_use="Multi-class classification with integer labels and probability outputs.",
        checks=(
            _checks.logits_given_as_probabilities("sparse_categorical_crossentropy"),
            _checks.probabilities_given_as_logits("sparse_categorical_crossentropy", class_axis=-1),
            *_checks.class_indices(
                "sparse_categorical_crossentropy", -1, ignore_param="ignore_class"
            ),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="categorical_focal",
        aliases=("CategoricalFocalCrossentropy", "categorical_focal_crossentropy"),
        family="classification",
        summary="Multi-class focal loss: cross-entropy down-weighted on confident classes.",
        inputs=KERAS_INPUTS,
        params=(
            Param("alpha", "floats", (0.25,), "weight, one value or one per class", low=0.0),
            Param(
                "gamma", "float", 2.0, "focusing strength; 0 gives alpha * cross-entropy", low=0.0
            ),
            _FROM_LOGITS_FALSE,
            _LABEL_SMOOTHING,
        ),
        fn=categorical_focal,
        reference=_ref_focal,
        convention="Keras",
        convention_detail="keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2), "
        "with the log clamped at -100 instead of Keras's clipping.",
        variants={
            "keras": Variant(_KERAS_NOTE, fn=_focal_keras, reference=_keras_reference(_ref_focal))
        },
        when_to_use="Multi-class problems with many easy examples and a few hard ones.",
        checks=(
            _checks.logits_given_as_probabilities("categorical_focal"),
            _checks.probabilities_given_as_logits("categorical_focal", class_axis=-1),
            _checks.class_probability_targets("categorical_focal", class_axis=-1),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="multi_margin",
        aliases=("MultiMarginLoss", "multiclass_hinge"),
        family="classification",
        summary="Multi-class hinge loss (Weston-Watkins style, averaged over classes).",
        inputs=(
            Input("predictions", ("N", "C"), "class scores"),
            Input("targets", ("N",), "class indices", kind="label"),
        ),
        params=(
            Param("p", "int", 1, "1 or 2", low=1, high=2),
            Param("margin", "float", 1.0, "required gap between true and other scores"),
            _CLASS_WEIGHTS,
        ),
        fn=multi_margin,
        grad=multi_margin_grad,
        reference=_ref_multi_margin,
        convention="PyTorch",
        convention_detail="torch.nn.MultiMarginLoss(p=1, margin=1, weight=None); the mean "
        "divides by N even with class weights.",
        when_to_use="Multi-class SVM-style training on raw scores.",
        checks=(*_index_checks("multi_margin", ignore=False),),
        properties=_NONNEG,
    ),
    Loss(
        name="categorical_hinge",
        aliases=("CategoricalHinge",),
        family="classification",
        summary="Categorical hinge: best wrong score against the true score, with margin 1.",
        inputs=(
            Input("predictions", ("N", "*D", "C"), "class scores, classes last"),
            Input("targets", ("N", "*D", "C"), "one-hot labels"),
        ),
        fn=categorical_hinge,
        grad=categorical_hinge_grad,
        reference=_ref_categorical_hinge,
        convention="Keras",
        convention_detail="keras.losses.CategoricalHinge.",
        when_to_use="Multi-class margin training with one-hot labels (Crammer-Singer).",
        properties=_NONNEG,
    ),
    Loss(
        name="poly1",
        aliases=("poly_loss", "poly1_cross_entropy", "poly_loss_cross_entropy"),
        family="classification",
        summary="Poly-1 loss: cross-entropy plus epsilon (1 - p_t).",
        inputs=(
            Input("predictions", ("N", "C"), "logits"),
            Input(
                "targets",
                ("N",),
                "class indices (N,), or one-hot/soft labels (N, C)",
                alt_shape=("N", "C"),
            ),
        ),
        params=(Param("epsilon", "float", 2.0, "weight of the 1 - p_t term", low=-1.0),),
        fn=poly1,
        reference=_ref_poly1,
        convention="textbook",
        convention_detail="Leng et al. 2022, as optax.losses.poly_loss_cross_entropy "
        "(epsilon=2); not in PyTorch or Keras.",
        when_to_use="A drop-in for cross-entropy when tuning one more knob (epsilon > 0 "
        "emphasises confident mistakes less than focal does).",
        checks=(
            _checks.probabilities_given_as_logits("poly1", class_axis=1, flag=False),
            *_index_checks("poly1", ignore=False),
            _checks.class_probability_targets("poly1", class_axis=1),
        ),
    ),
)
