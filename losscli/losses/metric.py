"""Metric-learning and ranking losses: pairs, triplets and ordered pairs of scores."""

from __future__ import annotations

import math

import numpy as np

from losscli.losses import _checks
from losscli.losses._common import elements_per_row, elementwise, row_mean, rows_of
from losscli.losses._derivatives import per_element
from losscli.registry import Check, Input, Loss, Param


def _distance(a: np.ndarray, b: np.ndarray, p: float = 2.0, eps: float = 0.0) -> np.ndarray:
    """||a - b + eps||_p per row, scaled so that squares never overflow."""
    d = np.abs((a - b + eps).reshape(len(a), -1))
    if p == 1:
        return d.sum(axis=1)
    scale = d.max(axis=1, keepdims=True)
    scale = np.where(scale == 0, 1.0, scale)
    return scale[:, 0] * ((d / scale) ** p).sum(axis=1) ** (1.0 / p)


def contrastive(
    x1: np.ndarray,
    labels: np.ndarray,
    x2: np.ndarray | None = None,
    *,
    margin: float = 1.0,
) -> np.ndarray:
    """Contrastive loss per pair (Hadsell, Chopra and LeCun 2006).

    d = ||x1 - x2||;  l = (1 - y) d^2 / 2 + y max(0, margin - d)^2 / 2, y = 0 similar, 1 dissimilar

    d is x1 itself when x1 holds distances.

    >>> contrastive(np.array([0.5, 0.5]), np.array([0.0, 1.0]))
    array([0.125, 0.125])
    """
    d = x1 if x2 is None else _distance(x1, x2)
    gap = np.maximum(0.0, margin - d)
    return 0.5 * ((1.0 - labels) * d * d + labels * gap * gap)


def triplet(
    anchor: np.ndarray,
    positive: np.ndarray,
    negative: np.ndarray,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
) -> np.ndarray:
    """Triplet margin loss per triplet (PyTorch TripletMarginLoss).

    d(a, b) = ||a - b + eps||_p;  l = max(0, d(a, pos) - d(a, neg) + margin)

    swap uses min(d(a, neg), d(pos, neg)) as the negative distance.

    >>> triplet(np.array([[0.0]]), np.array([[1.0]]), np.array([[3.0]]), eps=0.0)
    array([0.])
    """
    d_pos = _distance(anchor, positive, p, eps)
    d_neg = _distance(anchor, negative, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _distance(positive, negative, p, eps))
    return np.maximum(0.0, d_pos - d_neg + margin)


def margin_ranking(
    x1: np.ndarray, x2: np.ndarray, labels: np.ndarray, *, margin: float = 0.0
) -> np.ndarray:
    """Margin ranking loss per pair (PyTorch MarginRankingLoss).

    l = max(0, -y (x1 - x2) + margin),   y = 1 when x1 should rank higher, -1 otherwise

    >>> margin_ranking(np.array([1.0]), np.array([2.0]), np.array([1.0]))
    array([1.])
    """
    return row_mean(np.maximum(0.0, -labels * (x1 - x2) + margin))


def hinge_embedding(
    predictions: np.ndarray, targets: np.ndarray, *, margin: float = 1.0
) -> np.ndarray:
    """Hinge embedding loss per row (PyTorch HingeEmbeddingLoss), predictions are distances.

    l = mean_d { x if y = 1;  max(0, margin - x) if y = -1 }

    >>> hinge_embedding(np.array([0.3, 0.3]), np.array([1.0, -1.0]))
    array([0.3, 0.7])
    """
    out = np.where(targets != -1, predictions, 0.0)
    out = out + np.where(targets != 1, np.maximum(0.0, margin - predictions), 0.0)
    return row_mean(out)


def _ref_norm(a, b, p=2.0, eps=0.0):
    return sum(abs(u - v + eps) ** p for u, v in zip(a, b)) ** (1 / p)


def _ref_contrastive(x1, labels, x2=None, margin=1.0):
    out = []
    rows1 = list(rows_of(x1))
    rows2 = list(rows_of(x2)) if x2 is not None else [None] * len(rows1)
    for a, b, y in zip(rows1, rows2, labels):
        d = a[0] if b is None else math.sqrt(sum((u - v) ** 2 for u, v in zip(a, b)))
        out.append((1 - y) * d * d / 2 + y * max(0.0, margin - d) ** 2 / 2)
    return np.array(out)


def _ref_triplet(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False):
    out = []
    for a, b, c in zip(rows_of(anchor), rows_of(positive), rows_of(negative)):
        dp, dn = _ref_norm(a, b, p, eps), _ref_norm(a, c, p, eps)
        if swap:
            dn = min(dn, _ref_norm(b, c, p, eps))
        out.append(max(0.0, dp - dn + margin))
    return np.array(out)


def _ref_margin_ranking(x1, x2, labels, margin=0.0):
    return np.array([max(0.0, -float(y) * (a - b) + margin) for a, b, y in zip(x1, x2, labels)])


def _ref_hinge_embedding(predictions, targets, margin=1.0):
    out = []
    for xs, ys in zip(rows_of(predictions), rows_of(targets)):
        terms = [
            (x if y != -1 else 0) + (max(0, margin - x) if y != 1 else 0) for x, y in zip(xs, ys)
        ]
        out.append(sum(terms) / len(terms))
    return np.array(out)


_MARGIN = Param("margin", "float", 1.0, "distance beyond which dissimilar pairs cost 0", low=0.0)
_PROPS = frozenset({"nonnegative"})


# Gradients d l_i / d predictions_i of the per-row losses above (``grad=`` on each entry).


def margin_ranking_grad(
    x1: np.ndarray, x2: np.ndarray, labels: np.ndarray, margin: float = 0.0
) -> np.ndarray:
    """With respect to x1: -y where -y (x1 - x2) + margin > 0 (over D)."""
    active = -labels * (x1 - x2) + margin > 0
    return np.where(active, -labels, 0.0) / per_element(x1)


def hinge_embedding_grad(
    predictions: np.ndarray, targets: np.ndarray, margin: float = 1.0
) -> np.ndarray:
    """1 where y = 1; -1 where y != 1 and margin - x > 0 (over D)."""
    far = np.where((targets != 1) & (margin - predictions > 0), -1.0, 0.0)
    return (np.where(targets == 1, 1.0, 0.0) + far) / per_element(predictions)


LOSSES = (
    Loss(
        name="contrastive",
        aliases=("contrastive_loss",),
        family="metric_learning",
        summary="Contrastive loss for pairs: pull similar pairs together, push others apart.",
        inputs=(
            Input("x1", ("N", "*D"), "first embeddings (N, D), or pair distances (N,) alone"),
            Input(
                "x2",
                ("N", "*D"),
                "second embeddings (N, D); leave out to give distances",
                optional=True,
            ),
            Input("labels", ("N",), "0 for a similar pair, 1 for a dissimilar pair"),
        ),
        params=(_MARGIN,),
        fn=contrastive,
        reference=_ref_contrastive,
        convention="textbook",
        convention_detail="Hadsell, Chopra and LeCun 2006, with Euclidean d and their "
        "labels (0 similar, 1 dissimilar); not in PyTorch or Keras.",
        when_to_use="Siamese networks trained on pairs (face verification, deduplication).",
        pitfalls=(
            "Label conventions differ between papers and libraries: here 0 means similar. "
            "Flip the labels if yours mark similar pairs with 1.",
        ),
        checks=(
            Check(
                rows=lambda labels, **_: (labels != 0) & (labels != 1),
                message="{count} of {n} rows have labels other than 0 (similar) or 1 "
                "(dissimilar) (first: row {row})",
            ),
        ),
        properties=_PROPS,
    ),
    Loss(
        name="triplet",
        aliases=("TripletMarginLoss", "triplet_margin", "triplet_margin_loss"),
        family="metric_learning",
        summary="Triplet margin loss: the anchor nearer the positive than the negative.",
        inputs=(
            Input("anchor", ("N", "D"), "anchor embeddings"),
            Input("positive", ("N", "D"), "embeddings of the same identity"),
            Input("negative", ("N", "D"), "embeddings of another identity"),
        ),
        params=(
            Param("margin", "float", 1.0, "required gap between the two distances", low=0.0),
            Param("p", "float", 2.0, "norm degree", low=0.0, low_open=True),
            Param("eps", "float", 1e-6, "added to differences before the norm", low=0.0),
            Param("swap", "bool", False, "use the positive-negative distance when smaller"),
        ),
        fn=triplet,
        reference=_ref_triplet,
        convention="PyTorch",
        convention_detail="torch.nn.TripletMarginLoss(margin=1, p=2, eps=1e-6, swap=False).",
        when_to_use="Embedding learning from triplets (FaceNet, re-identification).",
        properties=_PROPS,
    ),
    Loss(
        name="margin_ranking",
        aliases=("MarginRankingLoss", "ranking"),
        family="metric_learning",
        summary="Margin ranking loss for pairs of scores that should be ordered.",
        inputs=(
            Input("x1", ("N",), "scores of the first items"),
            Input("x2", ("N",), "scores of the second items"),
            Input("labels", ("N",), "1 if x1 should rank higher, -1 if x2 should"),
        ),
        params=(Param("margin", "float", 0.0, "required score gap"),),
        fn=margin_ranking,
        grad=margin_ranking_grad,
        reference=_ref_margin_ranking,
        convention="PyTorch",
        convention_detail="torch.nn.MarginRankingLoss(margin=0).",
        when_to_use="Learning to rank from pairwise preferences.",
        checks=(_checks.sign_labels("margin_ranking", column="labels", allow_zero=False),),
        properties=_PROPS,
    ),
    Loss(
        name="hinge_embedding",
        aliases=("HingeEmbeddingLoss",),
        family="metric_learning",
        summary="Hinge embedding loss on distances labelled similar (1) or dissimilar (-1).",
        inputs=(
            Input("predictions", ("N", "*D"), "distances (e.g. L1 between embeddings)"),
            Input("targets", ("N", "*D"), "1 for similar, -1 for dissimilar"),
        ),
        params=(_MARGIN,),
        fn=hinge_embedding,
        grad=hinge_embedding_grad,
        row_elements=elements_per_row(),
        elements=elementwise(hinge_embedding),
        reference=_ref_hinge_embedding,
        convention="PyTorch",
        convention_detail="torch.nn.HingeEmbeddingLoss(margin=1).",
        when_to_use="Learning embeddings or similarity from distances of labelled pairs.",
        checks=(_checks.sign_labels("hinge_embedding", allow_zero=False),),
    ),
)
