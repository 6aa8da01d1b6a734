"""Binary and multi-label classification losses: one probability or logit per label.

Inputs are (N,) or (N, K) with K independent labels; the per-row loss is the mean over K,
as Keras defines it. Targets are 0/1 labels or probabilities; the margin losses take
-1/1 labels (0/1 converted as Keras does).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.losses import _checks
from losscli.losses._common import (
    KERAS_CLIP_HIGH,
    KERAS_CLIP_LOW,
    clamped_log,
    elements_per_row,
    elementwise,
    keras_clip,
    log_sigmoid,
    math_log,
    one_hot,
    pairwise_inputs,
    per_class,
    ref_keras_clip,
    row_mean,
    rows_of,
    softplus,
)
from losscli.losses._derivatives import per_element, pm_one, sigmoid
from losscli.registry import Check, Input, Loss, Param, Variant

BINARY_INPUTS = pairwise_inputs(
    "predictions",
    "probabilities (or logits with from_logits), (N,) or (N, K) for K labels",
    "targets",
    "0/1 labels or probabilities, same shape as predictions",
)
LOGIT_INPUTS = pairwise_inputs(
    "predictions",
    "logits, (N,) or (N, K) for K labels",
    "targets",
    "0/1 labels or probabilities, same shape as predictions",
)
MARGIN_INPUTS = pairwise_inputs(
    "predictions",
    "real-valued scores (decision function), (N,) or (N, K)",
    "targets",
    "-1/1 labels (0/1 are converted to -1/1), same shape as predictions",
)
_NONNEG = frozenset({"nonnegative"})


def _labels_last_axis(vector: tuple[float, ...] | None, x: np.ndarray, name: str, owner: str):
    """A per-label parameter broadcast along the last axis of (N,) or (N, K) inputs."""
    labels = 1 if x.ndim == 1 else x.shape[-1]
    return per_class(vector, labels, name, owner)


def _smooth(targets: np.ndarray, label_smoothing: float) -> np.ndarray:
    if label_smoothing == 0.0:
        return targets
    return targets * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _bce_from_logits(x: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None) -> np.ndarray:
    # PyTorch's (1 - y) x + (1 + (w - 1) y) softplus(-x), rewritten as a sum of two
    # non-negative terms: (1 - y) x + softplus(-x) cancels to 0 for x = -40, y = 0.
    positive = y * softplus(-x)
    if pos_weight is not None:
        positive = positive * pos_weight
    return positive + (1.0 - y) * softplus(x)


def _bce_from_probabilities(
    p: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None, keras: bool = False
) -> np.ndarray:
    if keras:
        p = keras_clip(p)
    positive = y * clamped_log(p)
    if pos_weight is not None:
        positive = positive * pos_weight
    return -(positive + (1.0 - y) * clamped_log(1.0 - p))


def bce(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    from_logits: bool = False,
    pos_weight: tuple[float, ...] | None = None,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Binary cross-entropy per row (PyTorch BCELoss; BCEWithLogitsLoss with from_logits).

    y' = y (1 - s) + s / 2;  l = -mean_k [ w_k y' log p + (1 - y') log(1 - p) ]

    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 gives a finite loss.
    From logits x: l = mean_k [ w_k y' softplus(-x) + (1 - y') softplus(x) ].

    >>> bce(np.array([0.5, 1.0]), np.array([1.0, 0.0]))  # doctest: +ELLIPSIS
    array([  0.6931...,  100. ...])
    """
    w = _labels_last_axis(pos_weight, predictions, "pos_weight", "bce")
    y = _smooth(targets, label_smoothing)
    if from_logits:
        return row_mean(_bce_from_logits(predictions, y, w))
    return row_mean(_bce_from_probabilities(predictions, y, w))


def _bce_keras(predictions, targets, *, from_logits=False, pos_weight=None, label_smoothing=0.0):
    if from_logits:
        return bce(
            predictions,
            targets,
            from_logits=True,
            pos_weight=pos_weight,
            label_smoothing=label_smoothing,
        )
    w = _labels_last_axis(pos_weight, predictions, "pos_weight", "bce")
    y = _smooth(targets, label_smoothing)
    return row_mean(_bce_from_probabilities(predictions, y, w, keras=True))


def bce_with_logits(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    pos_weight: tuple[float, ...] | None = None,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Binary cross-entropy from logits per row (PyTorch BCEWithLogitsLoss).

    l = mean_k [ w_k y softplus(-x) + (1 - y) softplus(x) ],  softplus(z) = log(1 + exp(z))

    >>> bce_with_logits(np.array([1e4, -1e4]), np.array([0.0, 0.0]))
    array([10000.,     0.])
    """
    w = _labels_last_axis(pos_weight, predictions, "pos_weight", "bce_with_logits")
    return row_mean(_bce_from_logits(predictions, _smooth(targets, label_smoothing), w))


def _focal_terms(predictions, targets, from_logits, floor=None):
    """Cross-entropy and log(1 - p_t) elementwise, in log space where logits allow it."""
    y = targets
    if from_logits:
        x = predictions
        ce = _bce_from_logits(x, y, None)
        with np.errstate(divide="ignore"):
            # 1 - p_t = y sigmoid(-x) + (1 - y) sigmoid(x)
            log_miss = np.logaddexp(np.log(y) + log_sigmoid(-x), np.log1p(-y) + log_sigmoid(x))
        return ce, log_miss
    p = predictions
    ce = _bce_from_probabilities(p, y, None, floor)
    with np.errstate(divide="ignore"):
        log_miss = np.log(y * (1.0 - p) + (1.0 - y) * p)
    return ce, log_miss


def focal(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    from_logits: bool = False,
    alpha: tuple[float, ...] = (0.25,),
    gamma: float = 2.0,
    _floor: float | None = None,
) -> np.ndarray:
    """Binary focal loss per row (Lin et al. 2017; torchvision sigmoid_focal_loss).

    p_t = y p + (1 - y)(1 - p);  a_t = a y + (1 - a)(1 - y);
    l = mean_k a_t (1 - p_t)^gamma CE(p, y)

    Without a_t when alpha < 0.

    (1 - p_t)^gamma is exp(gamma log(1 - p_t)), with log(1 - p_t) taken from the logits
    when given, so well-classified examples keep their tiny loss instead of rounding to 0.

    >>> focal(np.array([0.9]), np.array([1.0]))  # doctest: +ELLIPSIS
    array([0.00026...])
    """
    ce, log_miss = _focal_terms(predictions, targets, from_logits, _floor)
    out = ce if gamma == 0 else ce * np.exp(gamma * log_miss)
    a = _labels_last_axis(alpha, predictions, "alpha", "focal")
    if (a >= 0).all():
        out = out * (a * targets + (1.0 - a) * (1.0 - targets))
    elif (a >= 0).any():  # a negative alpha disables the weighting of its label only
        out = out * np.where(a >= 0, a * targets + (1.0 - a) * (1.0 - targets), 1.0)
    return row_mean(out)


def _focal_keras(predictions, targets, *, from_logits=False, alpha=(0.25,), gamma=2.0):
    floor = not from_logits
    return focal(
        predictions, targets, from_logits=from_logits, alpha=alpha, gamma=gamma, _floor=floor
    )


def _pm_one(targets: np.ndarray) -> np.ndarray:
    return np.where(targets == 0, -1.0, targets)


def hinge(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Hinge loss per row (Keras Hinge; scikit-learn hinge_loss for class indices).

    l = mean_k max(0, 1 - y p), y in {-1, 1} (0 is read as -1);
    class indices y with (N, C) decision values: l = max(0, 1 - p_y + max_{c != y} p_c)

    The multi-class form is Crammer-Singer's, as scikit-learn computes it.

    >>> hinge(np.array([0.3, 2.0]), np.array([1.0, 0.0]))
    array([0.7, 3. ])
    >>> hinge(np.array([[2.0, 0.5, -1.0]]), np.array([1]))
    array([2.5])
    """
    if targets.ndim == predictions.ndim - 1 and predictions.ndim == 2:
        index = targets.astype(np.int64)
        rows = np.arange(len(predictions))
        true = predictions[rows, index]
        others = predictions.copy()
        others[rows, index] = -np.inf
        return np.maximum(0.0, 1.0 - true + others.max(axis=1))
    return row_mean(np.maximum(0.0, 1.0 - _pm_one(targets) * predictions))


def squared_hinge(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Squared hinge loss per row (Keras SquaredHinge).

    l = mean_k max(0, 1 - y p)^2,   y in {-1, 1} (0 is read as -1)

    >>> squared_hinge(np.array([0.3, 2.0]), np.array([1.0, 0.0]))
    array([0.49, 9.  ])
    """
    m = np.maximum(0.0, 1.0 - _pm_one(targets) * predictions)
    return row_mean(m * m)


def soft_margin(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Soft margin (logistic) loss per row (PyTorch SoftMarginLoss).

    l = mean_k log(1 + exp(-y x)),   y in {-1, 1}

    >>> soft_margin(np.array([0.0, 1e4]), np.array([1.0, -1.0]))  # doctest: +ELLIPSIS
    array([6.9314...e-01, 1.0000...e+04])
    """
    return row_mean(softplus(-targets * predictions))


def brier(
    predictions: np.ndarray, targets: np.ndarray, *, pos_label: float | None = None
) -> np.ndarray:
    """Brier score per row (scikit-learn brier_score_loss).

    binary (N,): l = (p - y)^2;  C classes (N, C): l = s sum_c (p_c - y_c)^2, s = 1/2 if C = 2

    Binary labels are 0/1 or -1/1 (-1 is the negative class, as scikit-learn's
    pos_label=1); with ``pos_label`` any two labels, y = [label = pos_label]. C-class
    targets are one-hot or indices; s = 1/2 for C = 2 makes it equal the binary score,
    and s = 1 for C >= 3.

    >>> brier(np.array([0.8, 0.3]), np.array([1.0, -1.0]))  # doctest: +ELLIPSIS
    array([0.04, 0.09])
    """
    if predictions.ndim == 1:
        if pos_label is not None:
            y = (targets == pos_label).astype(np.float64)
        else:
            y = np.where(targets == -1, 0.0, targets)
        d = predictions - y
        return d * d
    if targets.ndim == 1:
        targets = one_hot(targets, predictions.shape[1])
    d = predictions - targets
    scale = 0.5 if predictions.shape[1] == 2 else 1.0
    return scale * (d * d).sum(axis=1)


def _not_binary_labels(
    predictions: np.ndarray, targets: np.ndarray, pos_label: float | None = None
) -> np.ndarray:
    """Binary targets other than 0/1 or -1/1 (in a chunk that holds both 0 and -1, the -1s);
    with ``pos_label``, a chunk's third distinct label."""
    if predictions.ndim != 1:
        return np.zeros(len(targets), dtype=bool)
    if pos_label is not None:
        others = np.unique(targets[targets != pos_label])
        return (
            (targets != pos_label) & (targets != others[0])
            if len(others) > 1
            else (np.zeros(len(targets), dtype=bool))
        )
    bad = (targets != 0) & (targets != 1) & (targets != -1)
    if (targets == 0).any():
        bad |= targets == -1
    return bad


# Slow references: one scalar at a time.


def _rowwise(element):
    def reference(predictions, targets, **params):
        out = []
        for prow, trow in zip(rows_of(predictions), rows_of(targets)):
            k = len(prow)
            terms = [element(p, t, j, **params) for j, (p, t) in enumerate(zip(prow, trow))]
            out.append(sum(terms) / k)
        return np.array(out)

    return reference


def _vec(value, j):
    if value is None:
        return None
    return value[0] if len(value) == 1 else value[j]


def _ref_sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _ref_bce(p, y, j, from_logits=False, pos_weight=None, label_smoothing=0.0):
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    w = _vec(pos_weight, j)
    w = 1.0 if w is None else w
    if from_logits:
        log_p = -math.log1p(math.exp(-p)) if p > -700 else p
        log_q = -math.log1p(math.exp(p)) if p < 700 else -p
        return -(w * y * log_p + (1 - y) * log_q)
    return -(w * y * math_log(p) + (1 - y) * math_log(1 - p))


def _ref_focal(p, y, j, from_logits=False, alpha=(0.25,), gamma=2.0):
    ce = _ref_bce(p, y, j, from_logits=from_logits)
    prob = _ref_sigmoid(p) if from_logits else p
    miss = y * (1 - prob) + (1 - y) * prob
    out = ce * miss**gamma
    a = _vec(alpha, j)
    if a >= 0:
        out *= a * y + (1 - a) * (1 - y)
    return out


def _ref_hinge(predictions, targets):
    if targets.ndim == predictions.ndim - 1 and predictions.ndim == 2:
        out = []
        for row, y in zip(predictions.tolist(), targets.tolist()):
            other = max(v for c, v in enumerate(row) if c != int(y))
            out.append(max(0.0, 1.0 - row[int(y)] + other))
        return np.array(out)
    return _rowwise(_ref_margin)(predictions, targets)


def _ref_margin(p, y, j, squared=False):
    y = -1.0 if y == 0 else y
    m = max(0.0, 1 - y * p)
    return m * m if squared else m


def _ref_soft_margin(p, y, j):
    z = -y * p
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def _ref_brier(predictions, targets, pos_label=None):
    out = []
    for prow, trow in zip(rows_of(predictions), rows_of(targets)):
        if predictions.ndim == 1:
            if pos_label is not None:
                label = 1.0 if trow[0] == pos_label else 0.0
            else:
                label = 0.0 if trow[0] == -1 else trow[0]
            out.append((prow[0] - label) ** 2)
            continue
        c = len(prow)
        onehot = [1.0 if k == int(trow[0]) else 0.0 for k in range(c)] if len(trow) == 1 else trow
        total = sum((a - b) ** 2 for a, b in zip(prow, onehot))
        out.append(total * (0.5 if c == 2 else 1.0))
    return np.array(out)


_FROM_LOGITS = Param("from_logits", "bool", False, "predictions are logits, not probabilities")
_POS_WEIGHT = Param(
    "pos_weight",
    "floats",
    None,
    "weight of the positive term, one per label (PyTorch pos_weight); > 1 raises recall",
    low=0.0,
)
_LABEL_SMOOTHING = Param(
    "label_smoothing", "float", 0.0, "targets become y (1 - s) + s / 2", low=0.0, high=1.0
)


def _ref_bce_keras(predictions, targets, from_logits=False, **params):
    p = predictions if from_logits else ref_keras_clip(predictions[..., None])[..., 0]
    return _rowwise(_ref_bce)(p, targets, from_logits=from_logits, **params)


def _ref_focal_keras(predictions, targets, from_logits=False, alpha=(0.25,), gamma=2.0):
    def element(p, y, j):
        if from_logits:
            return _ref_focal(p, y, j, from_logits=True, alpha=alpha, gamma=gamma)
        clipped = min(max(p, KERAS_CLIP_LOW), KERAS_CLIP_HIGH)  # the cross-entropy only
        ce = _ref_bce(clipped, y, j)
        out = ce * (y * (1 - p) + (1 - y) * p) ** gamma
        a = _vec(alpha, j)
        return out * (a * y + (1 - a) * (1 - y)) if a >= 0 else out

    return _rowwise(element)(predictions, targets)


_KERAS_CLIP = Variant(
    "keras.losses.BinaryCrossentropy clips probabilities to [1e-7, 1 - 1.19e-7] (its "
    "float32 bounds) instead of clamping the log at -100, so p = 0 costs 16.1 rather than 100.",
    fn=_bce_keras,
    reference=_ref_bce_keras,
)
_BCE_PITFALLS = (
    "Probabilities of exactly 0 or 1 on the wrong side cost 100 (PyTorch's log clamp), not inf.",
    "Passing logits as probabilities is an error here (values outside [0, 1]); passing "
    "probabilities as logits silently gives a wrong number, so losscli warns when every "
    "value of a logits input lies in [0, 1].",
)


# Gradients d l_i / d predictions_i of the per-row losses above (``grad=`` on each entry).


def squared_hinge_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """dl/dp = -2 y max(0, 1 - y p) / D."""
    y = pm_one(targets)
    return -2.0 * y * np.maximum(0.0, 1.0 - y * predictions) / per_element(predictions)


def soft_margin_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """dl/dx = -y sigmoid(-y x) / D."""
    return -targets * sigmoid(-targets * predictions) / per_element(predictions)


def brier_grad(
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


def bce_grad(
    predictions: np.ndarray,
    targets: np.ndarray,
    from_logits: bool = False,
    pos_weight: Any = None,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """Probabilities: dl/dp = ((1 - y) / (1 - p) - w y / p), PyTorch's guard against 0."""
    if from_logits is True:
        return bce_with_logits_grad(predictions, targets, pos_weight, label_smoothing)
    y = targets * (1.0 - label_smoothing) + 0.5 * label_smoothing
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    p = predictions
    eps = 1e-12
    grad = (1.0 - y) / np.maximum(1.0 - p, eps) - w * y / np.maximum(p, eps)
    return grad / per_element(p)


def bce_with_logits_grad(
    predictions: np.ndarray,
    targets: np.ndarray,
    pos_weight: Any = None,
    label_smoothing: float = 0.0,
) -> np.ndarray:
    """dl/dx = ((1 - y) s(x) - w y (1 - s(x))) / D, s the sigmoid."""
    y = targets * (1.0 - label_smoothing) + 0.5 * label_smoothing
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    s = sigmoid(predictions)
    return ((1.0 - y) * s - w * y * (1.0 - s)) / per_element(predictions)


def hinge_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Keras: targets 0/1 become -1/1; l = mean(max(0, 1 - y p))."""
    y = np.where(targets == 0, -1.0, targets)
    return np.where(1.0 - y * predictions > 0, -y, 0.0) / per_element(predictions)


LOSSES = (
    Loss(
        name="bce",
        aliases=("binary_crossentropy", "binary_cross_entropy", "BCELoss", "log_loss"),
        family="classification",
        summary="Binary cross-entropy for binary or multi-label probabilities.",
        inputs=BINARY_INPUTS,
        params=(_FROM_LOGITS, _POS_WEIGHT, _LABEL_SMOOTHING),
        fn=bce,
        grad=bce_grad,
        row_elements=elements_per_row(),
        elements=elementwise(bce),
        reference=_rowwise(_ref_bce),
        convention="PyTorch",
        convention_detail="torch.nn.BCELoss (log clamped at -100); from_logits=true is "
        "torch.nn.BCEWithLogitsLoss; label_smoothing as Keras BinaryCrossentropy.",
        variants={"keras": _KERAS_CLIP},
        when_to_use="Binary classification and multi-label classification (one sigmoid "
        "output per label) when the model outputs probabilities.",
        pitfalls=_BCE_PITFALLS,
        checks=(
            _checks.logits_given_as_probabilities("bce"),
            _checks.probabilities_given_as_logits("bce", None),
            _checks.binary_targets_outside_unit_interval("bce"),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="bce_with_logits",
        aliases=("BCEWithLogitsLoss", "sigmoid_cross_entropy", "binary_crossentropy_from_logits"),
        family="classification",
        summary="Binary cross-entropy from logits, exact for logits of any size.",
        inputs=LOGIT_INPUTS,
        params=(_POS_WEIGHT, _LABEL_SMOOTHING),
        fn=bce_with_logits,
        grad=bce_with_logits_grad,
        row_elements=elements_per_row(),
        elements=elementwise(bce_with_logits),
        reference=_rowwise(lambda p, y, j, **k: _ref_bce(p, y, j, from_logits=True, **k)),
        convention="PyTorch",
        convention_detail="torch.nn.BCEWithLogitsLoss(pos_weight=None); equals Keras "
        "BinaryCrossentropy(from_logits=True).",
        when_to_use="Binary or multi-label classification when the model outputs raw scores: "
        "more accurate than applying a sigmoid and then bce.",
        pitfalls=(
            "Do not apply a sigmoid first: probabilities fed as logits give a wrong loss, "
            "and no check can tell (any real number is a logit).",
            "pos_weight = negatives / positives per label balances a rare positive class.",
        ),
        checks=(
            _checks.binary_targets_outside_unit_interval("bce_with_logits"),
            _checks.probabilities_given_as_logits("bce_with_logits", None, flag=False),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="focal",
        aliases=("binary_focal", "sigmoid_focal_loss", "binary_focal_crossentropy"),
        family="classification",
        summary="Binary focal loss: cross-entropy down-weighted on easy examples.",
        inputs=BINARY_INPUTS,
        params=(
            _FROM_LOGITS,
            Param(
                "alpha",
                "floats",
                (0.25,),
                "weight of the positive class (one value, or one per label); a negative value "
                "disables the weighting (of that label)",
            ),
            Param("gamma", "float", 2.0, "focusing strength; 0 gives weighted bce", low=0.0),
        ),
        fn=focal,
        row_elements=elements_per_row(),
        elements=elementwise(focal),
        reference=_rowwise(_ref_focal),
        convention="PyTorch",
        convention_detail="torchvision.ops.sigmoid_focal_loss(alpha=0.25, gamma=2) on logits "
        "(from_logits=true); on probabilities the cross-entropy is PyTorch's BCELoss. "
        "(1 - p_t)^gamma is computed in log space.",
        variants={
            "keras": Variant(
                "keras.losses.BinaryFocalCrossentropy clips probabilities to [1e-7, "
                "1 - 1.19e-7] (its float32 bounds) and applies alpha only with "
                "apply_class_balancing=True: pass -p alpha=-1 for its default.",
                fn=_focal_keras,
                reference=_ref_focal_keras,
            )
        },
        when_to_use="Dense detection and other binary tasks with extreme class imbalance, "
        "where easy negatives would swamp the cross-entropy.",
        pitfalls=(
            "alpha weights the positive class: alpha = 0.25 down-weights positives, the "
            "opposite of what its name suggests for rare positives; gamma does the focusing.",
        ),
        checks=(
            _checks.logits_given_as_probabilities("focal"),
            _checks.binary_targets_outside_unit_interval("focal"),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="hinge",
        aliases=("Hinge",),
        family="classification",
        summary="Hinge loss for -1/1 labels and real-valued scores (SVM).",
        inputs=(
            MARGIN_INPUTS[0],
            Input(
                "targets",
                ("N", "*D"),
                "-1/1 labels (0/1 are converted to -1/1), same shape as predictions; or "
                "class indices (N,) for (N, C) decision values",
                alt_shape=("N",),
            ),
        ),
        fn=hinge,
        grad=hinge_grad,
        reference=_ref_hinge,
        convention="Keras",
        convention_detail="keras.losses.Hinge: labels 0 are read as -1 (Keras converts 0/1 "
        "labels to -1/1). Class indices with (N, C) decision values give "
        "sklearn.metrics.hinge_loss's multi-class (Crammer-Singer) form.",
        when_to_use="Maximum-margin binary classifiers (linear SVMs) scored on their "
        "decision function.",
        pitfalls=(
            "Scores must be raw margins, not probabilities: p = 0.9 is still inside "
            "the margin and costs 0.1.",
        ),
        checks=(
            _checks.sign_labels("hinge", unless_indices=True),
            *_checks.class_indices("hinge", class_axis=1, ignore=False),
        ),
        properties=_NONNEG,
    ),
    Loss(
        name="squared_hinge",
        aliases=("SquaredHinge",),
        family="classification",
        summary="Squared hinge loss for -1/1 labels.",
        inputs=MARGIN_INPUTS,
        fn=squared_hinge,
        grad=squared_hinge_grad,
        reference=_rowwise(lambda p, y, j: _ref_margin(p, y, j, squared=True)),
        convention="Keras",
        convention_detail="keras.losses.SquaredHinge: labels 0 are read as -1.",
        when_to_use="Like hinge, but smooth at the margin and harder on large violations.",
        checks=(_checks.sign_labels("squared_hinge"),),
        properties=_NONNEG,
    ),
    Loss(
        name="soft_margin",
        aliases=("SoftMarginLoss", "logistic"),
        family="classification",
        summary="Soft margin (logistic) loss for -1/1 labels.",
        inputs=MARGIN_INPUTS,
        fn=soft_margin,
        grad=soft_margin_grad,
        row_elements=elements_per_row(),
        elements=elementwise(soft_margin),
        reference=_rowwise(_ref_soft_margin),
        convention="PyTorch",
        convention_detail="torch.nn.SoftMarginLoss; labels must be -1 or 1 (0 is not converted).",
        when_to_use="Logistic regression scored on -1/1 labels; a smooth hinge.",
        checks=(_checks.sign_labels("soft_margin", allow_zero=False),),
        properties=_NONNEG,
    ),
    Loss(
        name="brier",
        aliases=("brier_score", "brier_score_loss"),
        family="classification",
        summary="Brier score: squared error of predicted probabilities.",
        inputs=(
            Input("predictions", ("N", "*D"), "probabilities, (N,) or (N, C) for C classes"),
            Input(
                "targets",
                ("N", "*D"),
                "0/1 labels (N,), or one-hot (N, C), or class indices (N,) for (N, C) predictions",
                alt_shape=("N",),
            ),
        ),
        params=(
            Param(
                "pos_label",
                "float",
                None,
                "the label of the positive class when labels are not 0/1 or -1/1; none",
            ),
        ),
        fn=brier,
        grad=brier_grad,
        reference=_ref_brier,
        convention="scikit-learn",
        convention_detail="sklearn.metrics.brier_score_loss (scale_by_half='auto').",
        when_to_use="Judging the calibration of predicted probabilities, not just their "
        "ranking; bounded, unlike log loss.",
        checks=(
            _checks.logits_given_as_probabilities("brier", flag=False),
            *_checks.class_indices("brier", class_axis=1, ignore=False),
            _checks.class_probability_targets("brier", class_axis=1),
            Check(
                rows=_not_binary_labels,
                error=True,
                input="targets",
                message="targets ({origin}) row {row} holds {value}; brier expects 0/1 (or "
                "-1/1) labels, or two labels and {p:pos_label=LABEL}",
            ),
        ),
        properties=_NONNEG,
    ),
)
