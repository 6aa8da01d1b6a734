"""Losses between distributions and directions: KL, Jensen-Shannon, cosine.

A row is one distribution (or vector) over its features; the per-row value sums over them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.errors import param
from losscli.losses import _checks
from losscli.losses._common import (
    KERAS_CLIP_LOW,
    KERAS_EPSILON,
    elements_per_row,
    keras_clip,
    pairwise_inputs,
    row_mean,
    row_sum,
    rows_of,
)
from losscli.registry import AUTO, Check, Input, Loss, Param, Variant

DISTRIBUTION_INPUTS = pairwise_inputs(
    "predictions",
    "predicted distribution Q, one row per example: probabilities or log-probabilities",
    "targets",
    "target distribution P, same shape: probabilities or log-probabilities",
)


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x log y with 0 log y = 0, whatever y is."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


_SUM_TOLERANCE = 1e-6  # how far a distribution's row may sum from 1


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)


def _logsumexp_rows(log: np.ndarray) -> np.ndarray:
    flat = _flat(log)
    with np.errstate(all="ignore"):
        top = flat.max(axis=1, keepdims=True) if flat.shape[1] else np.zeros((len(flat), 1))
        top = np.where(np.isfinite(top), top, 0.0)
        return top[:, 0] + np.log(np.exp(flat - top).sum(axis=1))


def probability_rows(x: np.ndarray) -> np.ndarray:
    """Rows that are distributions: every value in [0, 1], summing to 1."""
    flat = _flat(x)
    with np.errstate(invalid="ignore"):
        inside = ((flat >= 0) & (flat <= 1)).all(axis=1)
    return inside & (np.abs(flat.sum(axis=1) - 1.0) <= _SUM_TOLERANCE)


def log_probability_rows(x: np.ndarray) -> np.ndarray:
    """Rows that are log-distributions: every value <= 0, exponentials summing to 1."""
    with np.errstate(invalid="ignore"):
        below = (_flat(x) <= 0).all(axis=1)
    return below & (np.abs(_logsumexp_rows(x)) <= _SUM_TOLERANCE)


def in_log_space(x: np.ndarray, setting: Any) -> np.ndarray:
    """Per row: whether ``x`` holds log-probabilities (``setting`` true/false, or auto: from
    the row itself; a row that is neither is refused by the loss's checks)."""
    if setting == AUTO:
        return log_probability_rows(x) & ~probability_rows(x)
    return np.full(len(x), bool(setting))


def as_log(x: np.ndarray, setting: Any, normalize: bool = False) -> np.ndarray:
    """Log-probabilities of the rows of ``x`` (rescaled to sum to 1 with ``normalize``)."""
    is_log = in_log_space(x, setting).reshape((-1,) + (1,) * (x.ndim - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.where(is_log, x, np.log(np.where(is_log, 1.0, x)))
    if normalize:
        log = log - _logsumexp_rows(log).reshape((-1,) + (1,) * (x.ndim - 1))
    return log


def _kl_terms(predictions, targets, log_input, log_target, normalize=False):
    log_q = as_log(predictions, log_input, normalize)
    log_p = as_log(targets, log_target, normalize)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.exp(log_p)
        return np.where(p == 0, 0.0, p * (log_p - log_q))


def kl_div(
    predictions: np.ndarray,
    targets: np.ndarray,
    *,
    log_input: Any = AUTO,
    log_target: Any = AUTO,
    normalize: bool = False,
) -> np.ndarray:
    """Kullback-Leibler divergence KL(P || Q) per row (PyTorch KLDivLoss, batchmean).

    l = sum_c P_c (log P_c - log Q_c),  with 0 log 0 = 0

    Each of predictions (Q) and targets (P) is read as probabilities or log-probabilities:
    as ``log_input``/``log_target`` say, or, with ``auto``, as each row shows (rows that sum
    to 1 are probabilities, rows whose exponentials sum to 1 are log-probabilities).

    >>> kl_div(np.log(np.array([[0.5, 0.5]])), np.array([[1.0, 0.0]]))  # doctest: +ELLIPSIS
    array([0.6931...])
    """
    return row_sum(_kl_terms(predictions, targets, log_input, log_target, normalize))


def _kl_torch(predictions, targets, *, log_input=AUTO, log_target=AUTO, normalize=False):
    return row_mean(_kl_terms(predictions, targets, log_input, log_target, normalize))


def _kl_keras(predictions, targets, *, log_input=AUTO, log_target=AUTO, normalize=False):
    q = np.exp(as_log(predictions, log_input, normalize))
    p = np.exp(as_log(targets, log_target, normalize))
    q = keras_clip(q, high=1.0)
    p = keras_clip(p, high=1.0)
    return row_sum(p * np.log(p / q))


def js_divergence(
    predictions: np.ndarray, targets: np.ndarray, *, normalize: bool = False
) -> np.ndarray:
    """Jensen-Shannon divergence per row, natural log.

    M = (P + Q) / 2;  l = KL(P || M) / 2 + KL(Q || M) / 2,  with 0 log 0 = 0

    With ``normalize`` each row is first divided by its sum, as scipy does.

    >>> js_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))  # doctest: +ELLIPSIS
    array([0.6931...])
    """
    if normalize:
        predictions = _rescaled(predictions)
        targets = _rescaled(targets)
    m = 0.5 * (predictions + targets)
    terms = _xlogy(targets, targets) + _xlogy(predictions, predictions)
    terms -= _xlogy(targets + predictions, m)
    return 0.5 * row_sum(terms)


def _rescaled(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / _flat(x).sum(axis=1).reshape((-1,) + (1,) * (x.ndim - 1))


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


def _ref_is_log(row, setting):
    if setting != AUTO:
        return bool(setting)
    inside = all(0 <= v <= 1 for v in row) and abs(math.fsum(row) - 1) <= _SUM_TOLERANCE
    return not inside


def _ref_log_row(row, setting, normalize):
    log = [v if _ref_is_log(row, setting) else (math.log(v) if v > 0 else -math.inf) for v in row]
    if normalize:
        top = max(log)
        shift = top + math.log(math.fsum(math.exp(v - top) for v in log))
        log = [v - shift for v in log]
    return log


def _ref_kl(predictions, targets, log_input=AUTO, log_target=AUTO, normalize=False):
    out = []
    for q, p in zip(rows_of(predictions), rows_of(targets)):
        total = 0.0
        lq_row = _ref_log_row(q, log_input, normalize)
        lp_row = _ref_log_row(p, log_target, normalize)
        for lq, lp in zip(lq_row, lp_row):
            pc = math.exp(lp)
            if pc != 0:
                total += pc * (lp - lq)
        out.append(total)
    return np.array(out)


def _ref_kl_keras(predictions, targets, log_input=AUTO, log_target=AUTO, normalize=False):
    out = []
    for q, p in zip(rows_of(predictions), rows_of(targets)):
        q = [math.exp(v) for v in _ref_log_row(q, log_input, normalize)]
        p = [math.exp(v) for v in _ref_log_row(p, log_target, normalize)]
        q = [min(max(v, KERAS_CLIP_LOW), 1.0) for v in q]
        p = [min(max(v, KERAS_CLIP_LOW), 1.0) for v in p]
        out.append(math.fsum(a * math.log(a / b) for a, b in zip(p, q)))
    return np.array(out)


def _ref_js(predictions, targets, normalize=False):
    out = []
    for q, p in zip(rows_of(predictions), rows_of(targets)):
        if normalize:
            q = [v / math.fsum(q) for v in q]
            p = [v / math.fsum(p) for v in p]
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


def _not_in_space(x: np.ndarray, setting: Any, normalize: bool) -> np.ndarray:
    """Rows that cannot be what ``setting`` says (or, with auto, neither space)."""
    if normalize:  # any non-negative row with some mass, or any log row, can be rescaled
        flat = _flat(x)
        with np.errstate(invalid="ignore"):
            if setting == AUTO:
                setting = not (flat >= 0).all()
            if setting:
                return ~np.isfinite(_logsumexp_rows(x))
            return ~((flat >= 0).all(axis=1) & (flat.sum(axis=1) > 0))
    if setting == AUTO:
        return ~(probability_rows(x) | log_probability_rows(x))
    return ~(log_probability_rows(x) if setting else probability_rows(x))


def _space_check(name: str, column: str, flag: str) -> Check:
    def rows(predictions: np.ndarray, targets: np.ndarray, **params: Any) -> np.ndarray:
        x = predictions if column == "predictions" else targets
        return _not_in_space(x, params.get(flag, AUTO), params.get("normalize", False))

    def details(**params: Any) -> dict[str, Any]:
        setting = params.get(flag, AUTO)
        expected = {
            AUTO: "each row to be probabilities (>= 0, summing to 1) or log-probabilities "
            "(exponentials summing to 1)",
            True: f"log-probabilities (exponentials summing to 1), as {flag}=true says",
            False: f"probabilities (>= 0, summing to 1), as {flag}=false says",
        }[setting]
        fix = f"pass {param('normalize', 'true')} to rescale rows that do not sum to 1"
        if setting != AUTO:
            fix = f"pass {param(flag, 'auto')} to read the space from the data, or " + fix
        return {"expected": expected, "fix": fix}

    return Check(
        rows=rows,
        error=True,
        input=column,
        details=details,
        message=column
        + " ({origin}) row {row} holds {value}: "
        + name
        + " needs {expected}; {fix}",
    )


def _mixed_spaces(predictions: np.ndarray, targets: np.ndarray, **params: Any) -> np.ndarray:
    """Auto rows of one input in both spaces: the first row's space is the file's."""
    out = np.zeros(len(predictions), dtype=bool)
    for x, flag in ((predictions, "log_input"), (targets, "log_target")):
        if params.get(flag, AUTO) == AUTO and len(x):
            is_log = in_log_space(x, AUTO)
            out |= is_log != is_log[0]
    return out


def _normalize(what: str) -> Param:
    return Param(
        "normalize", "bool", False, f"rescale each row of {what} to sum to 1 (as scipy does)"
    )


_LOG_INPUT = Param(
    "log_input", "bool", AUTO, "predictions are log-probabilities (PyTorch); auto: from the data"
)


# Gradients d l_i / d predictions_i of the per-row losses above (``grad=`` on each entry).


def cosine_similarity_grad(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray | None:
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


LOSSES = (
    Loss(
        name="kl_div",
        aliases=("kl", "kld", "KLDivLoss", "kl_divergence", "KLDivergence"),
        family="distribution",
        summary="Kullback-Leibler divergence KL(P || Q) of the target from the prediction.",
        inputs=DISTRIBUTION_INPUTS,
        params=(
            _LOG_INPUT,
            Param("log_target", "bool", AUTO, "targets are log-probabilities; auto: from the data"),
            _normalize("predictions and targets"),
        ),
        fn=kl_div,
        row_elements=elements_per_row(),
        elements=lambda predictions, targets, log_input=AUTO, log_target=AUTO, normalize=False: (
            _kl_terms(predictions, targets, log_input, log_target, normalize)
        ),
        reference=_ref_kl,
        convention="PyTorch",
        convention_detail="torch.nn.KLDivLoss(reduction='batchmean'): input log Q, target P. "
        "losscli's mean is batchmean, the true KL per row.",
        variants={
            "torch": Variant(
                "torch.nn.KLDivLoss(reduction='mean') divides by every element, N x C, not by "
                "N: the per-row value is the mean over classes.",
                fn=_kl_torch,
                reference=lambda predictions, targets, **k: (
                    _ref_kl(predictions, targets, **k)
                    / predictions.reshape(len(predictions), -1).shape[1]
                ),
            ),
            "keras": Variant(
                "keras.losses.KLDivergence takes probabilities and clips both to [1e-7, 1].",
                fn=_kl_keras,
                reference=_ref_kl_keras,
            ),
        },
        when_to_use="Matching a predicted distribution to a target one: distillation, "
        "variational inference, label distributions.",
        pitfalls=(
            "PyTorch's KLDivLoss wants log Q and P: given probabilities as log Q it returns a "
            "wrong (even negative) number. losscli reads each input's space from the data "
            "(log_input/log_target auto) and refuses rows in neither space.",
            "PyTorch's reduction='mean' is not the KL; losscli's mean is 'batchmean'.",
            "Rows that do not sum to 1 are an error; scipy and torchmetrics rescale them, "
            "which normalize=true does.",
        ),
        checks=(
            _space_check("kl_div", "predictions", "log_input"),
            _space_check("kl_div", "targets", "log_target"),
            Check(
                rows=_mixed_spaces,
                error=True,
                message="row {row} is in another space (probabilities or log-probabilities) "
                "than the rows before it in the same input; give each input in one space",
            ),
        ),
        properties=frozenset({"nonnegative"}),
    ),
    Loss(
        name="js_divergence",
        aliases=("jensen_shannon", "jsd"),
        family="distribution",
        summary="Jensen-Shannon divergence: symmetric, bounded by log 2.",
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
        params=(_normalize("predictions and targets"),),
        checks=(
            Check(
                rows=lambda predictions, targets, **params: (
                    _not_in_space(predictions, False, params.get("normalize", False))
                    | _not_in_space(targets, False, params.get("normalize", False))
                ),
                error=True,
                message="row {row}: js_divergence needs rows of probabilities summing to 1 in "
                "predictions ({origin_predictions}) and targets ({origin_targets}); pass "
                "{p:normalize=true} to rescale them",
            ),
        ),
        properties=frozenset({"nonnegative", "zero_at_perfect", "symmetric"}),
    ),
    Loss(
        name="cosine_similarity",
        aliases=("CosineSimilarity", "cosine"),
        family="distribution",
        summary="Negative cosine similarity: -1 for the same direction, 1 for opposite.",
        inputs=pairwise_inputs(
            "predictions", "predicted vectors, (N, D)", "targets", "target vectors, (N, D)"
        ),
        fn=cosine_similarity,
        grad=cosine_similarity_grad,
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
