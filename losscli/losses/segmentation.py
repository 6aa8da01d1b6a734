"""Overlap losses for segmentation: soft Dice, IoU (Jaccard) and Tversky, one row an image.

Predictions and targets of the same shape (N, ...) are compared over all of a row's
features (binary or multi-label masks). Class-index targets (N, ...) against per-class
predictions (N, C, ...) are one-hot encoded and the score is averaged over the C classes,
so these losses combine with cross_entropy on the same files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.losses import _checks
from losscli.losses._common import any_per_row, log_softmax, rows_of
from losscli.registry import Check, Input, Loss, Param

OVERLAP_INPUTS = (
    Input(
        "predictions",
        ("N", "*D"),
        "probabilities (or logits with from_logits), (N, ...) masks or (N, C, ...) classes",
    ),
    Input(
        "targets",
        ("N", "*D"),
        "0/1 masks of the same shape, or class indices (N, ...) for (N, C, ...) predictions",
        alt_shape=("N", "*E"),
    ),
)


def _sums(
    predictions: np.ndarray, targets: np.ndarray, from_logits: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row (and per-class, for index targets) sums of p*y, p and y: shape (N, K)."""
    if targets.ndim == predictions.ndim - 1:
        classes = predictions.shape[1]
        p = np.exp(log_softmax(predictions, axis=1)) if from_logits else predictions
        index = targets.astype(np.int64)
        y = (
            np.expand_dims(index, 1)
            == np.arange(classes).reshape((1, classes) + (1,) * (predictions.ndim - 2))
        ).astype(np.float64)
        axes = tuple(range(2, p.ndim))
        return (p * y).sum(axis=axes), p.sum(axis=axes), y.sum(axis=axes)
    p = 1.0 / (1.0 + np.exp(-predictions)) if from_logits else predictions
    p = p.reshape(len(p), 1, -1)
    y = targets.reshape(len(targets), 1, -1)
    return (p * y).sum(axis=2), p.sum(axis=2), y.sum(axis=2)


def dice(
    predictions: np.ndarray, targets: np.ndarray, *, smooth: float = 1.0, from_logits: bool = False
) -> np.ndarray:
    """Soft Dice loss per row (Milletari et al. 2016).

    l = 1 - mean_k (2 sum p y + smooth) / (sum p + sum y + smooth)

    k runs over classes for class-index targets, else over the single mask of the row.

    >>> dice(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), smooth=0.0)  # doctest: +ELLIPSIS
    array([0.3333...])
    """
    inter, p, y = _sums(predictions, targets, from_logits)
    return 1.0 - ((2.0 * inter + smooth) / (p + y + smooth)).mean(axis=1)


def iou(
    predictions: np.ndarray, targets: np.ndarray, *, smooth: float = 1.0, from_logits: bool = False
) -> np.ndarray:
    """Soft IoU (Jaccard) loss per row.

    l = 1 - mean_k (sum p y + smooth) / (sum p + sum y - sum p y + smooth)

    >>> iou(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), smooth=0.0)
    array([0.5])
    """
    inter, p, y = _sums(predictions, targets, from_logits)
    return 1.0 - ((inter + smooth) / (p + y - inter + smooth)).mean(axis=1)


def tversky(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    from_logits: bool = False,
) -> np.ndarray:
    """Tversky loss per row (Salehi et al. 2017); alpha = beta = 0.5 is Dice.

    TP = sum p y, FP = sum p (1 - y), FN = sum (1 - p) y;
    l = 1 - mean_k (TP + smooth) / (TP + alpha FP + beta FN + smooth)

    >>> tversky(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]), smooth=0.0)
    ... # doctest: +ELLIPSIS
    array([0.3333...])
    """
    inter, p, y = _sums(predictions, targets, from_logits)
    fp, fn = p - inter, y - inter
    return 1.0 - ((inter + smooth) / (inter + alpha * fp + beta * fn + smooth)).mean(axis=1)


def _ref_overlap(kind: str):
    def reference(predictions, targets, smooth=1.0, from_logits=False, alpha=0.5, beta=0.5):
        out = []
        index = targets.ndim == predictions.ndim - 1
        for i, (prow, trow) in enumerate(zip(rows_of(predictions), rows_of(targets))):
            if index:
                c = predictions.shape[1]
                x = np.asarray(predictions[i], dtype=np.float64).reshape(c, -1)
                per = []
                for k in range(c):
                    ps = [float(v) for v in x[k]]
                    if from_logits:
                        z = np.exp(x - x.max(axis=0))
                        ps = [float(v) for v in (z / z.sum(axis=0))[k]]
                    ys = [1.0 if int(t) == k else 0.0 for t in trow]
                    per.append(_score(kind, ps, ys, smooth, alpha, beta))
                out.append(1 - sum(per) / c)
                continue
            ps = [1 / (1 + np.exp(-v)) for v in prow] if from_logits else prow
            out.append(1 - _score(kind, ps, trow, smooth, alpha, beta))
        return np.array(out)

    return reference


def _score(kind, ps, ys, smooth, alpha, beta):
    tp = sum(p * y for p, y in zip(ps, ys))
    sp, sy = sum(ps), sum(ys)
    if kind == "dice":
        return (2 * tp + smooth) / (sp + sy + smooth)
    if kind == "iou":
        return (tp + smooth) / (sp + sy - tp + smooth)
    return (tp + smooth) / (tp + alpha * (sp - tp) + beta * (sy - tp) + smooth)


def _shape_mismatch(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
    same = targets.shape == predictions.shape
    index = targets.shape == predictions.shape[:1] + predictions.shape[2:]
    return np.full(len(targets), not (same or index))


def _shape_details(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> dict[str, Any]:
    return {
        "pshape": predictions.shape[1:],
        "tshape": targets.shape[1:],
        "ishape": predictions.shape[2:],
    }


def _mask_outside(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
    """Same-shape mask targets holding a value outside [0, 1] (a class index in a mask)."""
    if targets.shape != predictions.shape:
        return np.zeros(len(targets), dtype=bool)
    return any_per_row((targets < 0) | (targets > 1))


def _overlap_checks(name: str) -> tuple[Check, ...]:
    return (
        Check(
            rows=_mask_outside,
            error=True,
            input="targets",
            message="targets ({origin}) row {row} holds {value}: a mask of "
            + name
            + " holds values in [0, 1] (for class indices give (N, H, W) targets)",
        ),
        Check(
            rows=_shape_mismatch,
            error=True,
            details=_shape_details,
            message=f"{name}: targets have row shape {{tshape}} but predictions {{pshape}}; "
            "give masks of the same shape or class indices of row shape {ishape}",
        ),
        _checks.logits_given_as_probabilities(name),
    )


_SMOOTH = Param(
    "smooth",
    "float",
    1.0,
    "added to numerator and denominator; keeps empty masks at 0 loss",
    low=0.0,
)
_FROM_LOGITS = Param(
    "from_logits",
    "bool",
    False,
    "predictions are logits: sigmoid for masks, softmax over axis 1 for class indices",
)
_PROPS = frozenset({"nonnegative"})
_INDEX_NOTE = (
    " With class-index targets it is averaged over the classes after one-hot encoding "
    "(softmax first with from_logits), as segmentation libraries do."
)

LOSSES = (
    Loss(
        name="dice",
        aliases=("dice_loss", "Dice", "soft_dice", "f1_loss"),
        family="segmentation",
        summary="Soft Dice loss: one minus the overlap score 2|X n Y| / (|X| + |Y|).",
        inputs=OVERLAP_INPUTS,
        params=(_SMOOTH, _FROM_LOGITS),
        fn=dice,
        reference=_ref_overlap("dice"),
        convention="textbook",
        convention_detail="Milletari et al. 2016, per image; with smooth=0 it is "
        "keras.losses.Dice(axis=1) on each row and 1 - sklearn f1_score on 0/1 masks."
        + _INDEX_NOTE,
        when_to_use="Segmentation with a small foreground, where pixel-wise cross-entropy "
        "is dominated by the background; often combined as 0.5*cross_entropy + 0.5*dice.",
        pitfalls=(
            "Give probabilities (or -p from_logits=true); logits are an error.",
            "smooth=1 makes an empty prediction of an empty mask cost 0, not 0/0.",
        ),
        checks=_overlap_checks("dice"),
        properties=_PROPS,
    ),
    Loss(
        name="iou",
        aliases=("jaccard", "iou_loss", "jaccard_loss", "soft_iou"),
        family="segmentation",
        summary="Soft IoU (Jaccard) loss: one minus intersection over union.",
        inputs=OVERLAP_INPUTS,
        params=(_SMOOTH, _FROM_LOGITS),
        fn=iou,
        reference=_ref_overlap("iou"),
        convention="textbook",
        convention_detail="Soft Jaccard per image; with smooth=0 on 0/1 masks it is "
        "1 - sklearn jaccard_score." + _INDEX_NOTE,
        when_to_use="Segmentation scored by IoU, the metric most benchmarks report.",
        checks=_overlap_checks("iou"),
        properties=_PROPS,
    ),
    Loss(
        name="tversky",
        aliases=("Tversky", "tversky_loss"),
        family="segmentation",
        summary="Tversky loss: Dice with separate weights on false positives and negatives.",
        inputs=OVERLAP_INPUTS,
        params=(
            Param("alpha", "float", 0.5, "weight of false positives", low=0.0),
            Param("beta", "float", 0.5, "weight of false negatives", low=0.0),
            _SMOOTH,
            _FROM_LOGITS,
        ),
        fn=tversky,
        reference=_ref_overlap("tversky"),
        convention="textbook",
        convention_detail="Salehi et al. 2017 (alpha weighs false positives, beta false "
        "negatives). keras.losses.Tversky applies its alpha to sum y (1 - p), the false "
        "negatives, so Keras's Tversky(alpha=a, beta=b) is tversky with alpha=b, beta=a "
        "(and smooth=0). alpha = beta = 0.5 gives dice." + _INDEX_NOTE,
        when_to_use="Segmentation where missing foreground costs more than extra "
        "foreground (beta > alpha raises recall).",
        checks=_overlap_checks("tversky"),
        properties=_PROPS,
    ),
)
