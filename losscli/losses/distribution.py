"""Losses between distributions and directions: KL, Jensen-Shannon, cosine.

A row is one distribution (or vector) over its features; the per-row value sums over them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.losses import _checks
from losscli.losses._common import (
    KERAS_EPSILON,
    any_per_row,
    pairwise_inputs,
    row_mean,
    row_sum,
    rows_of,
)
from losscli.registry import Check, Input, Loss, Param, Variant

DISTRIBUTION_INPUTS = pairwise_inputs(
    "predictions",
    "predicted distribution Q, one row per example (log-probabilities with log_input)",
    "targets",
    "target distribution P, same shape",
)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x log y with 0 log y = 0, whatever y is."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def _kl_terms(predictions, targets, log_input, log_target):
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = predictions if log_input else np.log(predictions)
        if log_target:
            return np.exp(targets) * (targets - log_q)
        return np.where(targets == 0, 0.0, targets * (np.log(targets) - log_q))


def kl_div(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    log_input: bool = True,
    log_target: bool = False,
) -> np.ndarray:
    """Kullback-Leibler divergence KL(P || Q) per row (PyTorch KLDivLoss, batchmean).

    l = sum_c P_c (log P_c - log Q_c),  with 0 log 0 = 0

    >>> kl_div(np.log(np.array([[0.5, 0.5]])), np.array([[1.0, 0.0]]))  # doctest: +ELLIPSIS
    array([0.6931...])
    """
    return row_sum(_kl_terms(predictions, targets, log_input, log_target))


def _kl_torch(predictions, targets, *, log_input=True, log_target=False):
    return row_mean(_kl_terms(predictions, targets, log_input, log_target))


def _kl_keras(predictions, targets, *, log_input=True, log_target=False):
    q = np.exp(predictions) if log_input else predictions
    p = np.exp(targets) if log_target else targets
    q = np.clip(q, KERAS_EPSILON, 1.0)
    p = np.clip(p, KERAS_EPSILON, 1.0)
    return row_sum(p * np.log(p / q))


def js_divergence(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence per row, natural log.

    M = (P + Q) / 2;  l = KL(P || M) / 2 + KL(Q || M) / 2,  with 0 log 0 = 0

    >>> js_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))  # doctest: +ELLIPSIS
    array([0.6931...])
    """
    m = 0.5 * (predictions + targets)
    terms = _xlogy(targets, targets) + _xlogy(predictions, predictions)
    terms -= _xlogy(targets + predictions, m)
    return 0.5 * row_sum(terms)


def _unit(x: np.ndarray, floor: float) -> np.ndarray:
    """Rows divided by max(||x||, floor), scaled first so squares never overflow."""
    flat = x.reshape(len(x), -1)
    scale = np.abs(flat).max(axis=1, keepdims=True)
    scale = np.where(scale == 0, 1.0, scale)
    u = flat / scale
    norm = np.sqrt((u * u).sum(axis=1, keepdims=True))
    return u / np.maximum(norm, floor / scale)


def cosine_similarity(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Negative cosine similarity per row (Keras CosineSimilarity): -1 is best.

    l = -sum_d (y / max(||y||, 1e-7)) (p / max(||p||, 1e-7))

    >>> cosine_similarity(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]))
    array([-1.])
    """
    return -(_unit(predictions, KERAS_EPSILON) * _unit(targets, KERAS_EPSILON)).sum(axis=1)


def _cosine_torch(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """PyTorch's cosine_embedding_loss cosine: x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))."""
    a = x1.reshape(len(x1), -1)
    b = x2.reshape(len(x2), -1)
    scale_a = np.abs(a).max(axis=1)
    scale_b = np.abs(b).max(axis=1)
    scale_a = np.where(scale_a == 0, 1.0, scale_a)
    scale_b = np.where(scale_b == 0, 1.0, scale_b)
    ua, ub = a / scale_a[:, None], b / scale_b[:, None]
    dot = (ua * ub).sum(axis=1)
    sq_a = (ua * ua).sum(axis=1) + 1e-12 / scale_a**2
    sq_b = (ub * ub).sum(axis=1) + 1e-12 / scale_b**2
    return dot / np.sqrt(sq_a * sq_b)


def cosine_embedding(
    x1: np.ndarray, x2: np.ndarray, labels: np.ndarray, *, margin: float = 0.0
) -> np.ndarray:
    """Cosine embedding loss per row (PyTorch CosineEmbeddingLoss).

    l = 1 - cos(x1, x2) if y = 1;  max(0, cos(x1, x2) - margin) if y = -1

    >>> cosine_embedding(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([1.0]))
    array([1.])
    """
    cos = _cosine_torch(x1, x2)
    return np.where(labels == 1, 1.0 - cos, 0.0) + np.where(
        labels == -1, np.maximum(0.0, cos - margin), 0.0
    )


def _ref_kl(predictions, targets, log_input=True, log_target=False):
    out = []
    for q, p in zip(rows_of(predictions), rows_of(targets)):
        total = 0.0
        for qc, pc in zip(q, p):
            lq = qc if log_input else (math.log(qc) if qc > 0 else -math.inf)
            if log_target:
                total += math.exp(pc) * (pc - lq)
            elif pc != 0:
                total += pc * (math.log(pc) - lq)
        out.append(total)
    return np.array(out)


def _ref_js(predictions, targets):
    out = []
    for q, p in zip(rows_of(predictions), rows_of(targets)):
        total = 0.0
        for qc, pc in zip(q, p):
            m = (qc + pc) / 2
            total += (pc * math.log(pc / m) if pc > 0 else 0) + (
                qc * math.log(qc / m) if qc > 0 else 0
            )
        out.append(total / 2)
    return np.array(out)


def _ref_cosine(predictions, targets):
    out = []
    for p, y in zip(rows_of(predictions), rows_of(targets)):
        np_ = max(math.sqrt(sum(v * v for v in p)), KERAS_EPSILON)
        ny = max(math.sqrt(sum(v * v for v in y)), KERAS_EPSILON)
        out.append(-sum(a * b for a, b in zip(p, y)) / (np_ * ny))
    return np.array(out)


def _ref_cosine_embedding(x1, x2, labels, margin=0.0):
    out = []
    for a, b, y in zip(rows_of(x1), rows_of(x2), labels):
        cos = sum(u * v for u, v in zip(a, b)) / math.sqrt(
            (sum(u * u for u in a) + 1e-12) * (sum(v * v for v in b) + 1e-12)
        )
        out.append(1 - cos if y == 1 else max(0.0, cos - margin) if y == -1 else 0.0)
    return np.array(out)


def _not_distributions(predictions: np.ndarray, targets: np.ndarray, **params: Any):
    p = np.exp(targets) if params.get("log_target") else targets
    return any_per_row(p < 0)


def _probabilities_as_log_input(predictions: np.ndarray, **params: Any) -> np.ndarray:
    if not params.get("log_input", True) or predictions.ndim != 2:
        return np.zeros(len(predictions), dtype=bool)
    return _checks.looks_like_probabilities(predictions, 1)


_LOG_INPUT = Param("log_input", "bool", True, "predictions are log-probabilities (PyTorch)")

LOSSES = (
    Loss(
        name="kl_div",
        aliases=("kl", "kld", "KLDivLoss", "kl_divergence", "KLDivergence"),
        family="distribution",
        summary="Kullback-Leibler divergence KL(P || Q) of the target from the prediction.",
        formula="l = sum_c P_c (log P_c - log Q_c), 0 log 0 = 0",
        inputs=DISTRIBUTION_INPUTS,
        params=(
            _LOG_INPUT,
            Param("log_target", "bool", False, "targets are log-probabilities"),
        ),
        fn=kl_div,
        reference=_ref_kl,
        convention="PyTorch",
        convention_detail="torch.nn.KLDivLoss(reduction='batchmean'): input log Q, target P. "
        "losscli's mean is batchmean, the true KL per row.",
        variants={
            "torch": Variant(
                "torch.nn.KLDivLoss(reduction='mean') divides by every element, N x C, not by "
                "N: the per-row value is the mean over classes.",
                fn=_kl_torch,
            ),
            "keras": Variant(
                "keras.losses.KLDivergence takes probabilities and clips both to [1e-7, 1].",
                fn=_kl_keras,
            ),
        },
        when_to_use="Matching a predicted distribution to a target one: distillation, "
        "variational inference, label distributions.",
        pitfalls=(
            "log_input=true (PyTorch's default) wants log Q: plain probabilities give a "
            "wrong number; losscli warns when every row lies in [0, 1] and sums to 1.",
            "PyTorch's reduction='mean' is not the KL; losscli's mean is 'batchmean'.",
        ),
        checks=(
            Check(
                rows=_probabilities_as_log_input,
                every_row=True,
                message="every row of predictions lies in [0, 1] and sums to 1: they look like "
                "probabilities, but log_input=true expects log-probabilities; pass "
                "{p:log_input=false}",
            ),
            Check(
                rows=_not_distributions,
                error=True,
                input="targets",
                message="targets ({origin}) row {row} holds {value}; a distribution cannot be "
                "negative (log-probabilities need {p:log_target=true})",
            ),
        ),
        properties=frozenset({"nonnegative"}),
    ),
    Loss(
        name="js_divergence",
        aliases=("jensen_shannon", "jsd"),
        family="distribution",
        summary="Jensen-Shannon divergence: symmetric, bounded by log 2.",
        formula="M = (P + Q)/2;  l = KL(P || M)/2 + KL(Q || M)/2",
        inputs=pairwise_inputs(
            "predictions",
            "predicted distribution Q (probabilities)",
            "targets",
            "target distribution P, same shape",
        ),
        fn=js_divergence,
        reference=_ref_js,
        convention="textbook",
        convention_detail="Lin 1991, natural log; equals scipy.spatial.distance.jensenshannon"
        "(p, q) ** 2 for normalised rows.",
        when_to_use="Comparing distributions when either can have zeros where the other "
        "does not (KL would be infinite); symmetric in P and Q.",
        checks=(_checks.logits_given_as_probabilities("js_divergence", flag=False),),
        properties=frozenset({"nonnegative", "zero_at_perfect", "symmetric"}),
    ),
    Loss(
        name="cosine_similarity",
        aliases=("CosineSimilarity", "cosine"),
        family="distribution",
        summary="Negative cosine similarity: -1 for the same direction, 1 for opposite.",
        formula="l = -sum_d (y / ||y||) (p / ||p||)",
        inputs=pairwise_inputs(
            "predictions", "predicted vectors, (N, D)", "targets", "target vectors, (N, D)"
        ),
        fn=cosine_similarity,
        reference=_ref_cosine,
        convention="Keras",
        convention_detail="keras.losses.CosineSimilarity: the loss is the negative "
        "similarity (norms floored at 1e-7), so lower is better.",
        when_to_use="Embedding regression where direction matters and length does not.",
        pitfalls=("The sign follows Keras: a perfect match gives -1, not 1.",),
        properties=frozenset({"symmetric"}),
    ),
    Loss(
        name="cosine_embedding",
        aliases=("CosineEmbeddingLoss",),
        family="metric_learning",
        summary="Cosine embedding loss for pairs labelled similar (1) or dissimilar (-1).",
        formula="l = 1 - cos(x1, x2) if y = 1;  max(0, cos(x1, x2) - margin) if y = -1",
        inputs=(
            Input("x1", ("N", "D"), "first embeddings"),
            Input("x2", ("N", "D"), "second embeddings"),
            Input("labels", ("N",), "1 for similar pairs, -1 for dissimilar"),
        ),
        params=(
            Param(
                "margin",
                "float",
                0.0,
                "cosine below which dissimilar pairs cost 0",
                low=-1.0,
                high=1.0,
            ),
        ),
        fn=cosine_embedding,
        reference=_ref_cosine_embedding,
        convention="PyTorch",
        convention_detail="torch.nn.CosineEmbeddingLoss(margin=0).",
        when_to_use="Learning embeddings from pairs with a cosine metric.",
        checks=(_checks.sign_labels("cosine_embedding", column="labels", allow_zero=False),),
        properties=frozenset({"nonnegative"}),
    ),
)
