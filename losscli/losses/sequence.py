"""Sequence losses: CTC over padded batches, vectorised across sequences."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.registry import Check, Input, Loss, Param, Rows

_LOG_SUM_TOLERANCE = 1e-4  # |log sum_c exp(log p_c)| beyond this is no log-softmax output


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isneginf(m), 0.0, m)
    total = np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)
    with np.errstate(divide="ignore"):
        return np.where(np.isneginf(m), -np.inf, safe + np.log(total))


def ctc(
    log_probs: np.ndarray,
    targets: np.ndarray,
    input_lengths: np.ndarray,
    target_lengths: np.ndarray,
    *,
    blank: int = 0,
    zero_infinity: bool = False,
) -> Rows:
    """Connectionist temporal classification loss per sequence (PyTorch CTCLoss).

    l_i = -log sum_{alignments a of y_i} prod_t p_t(a_t);
    mean = mean_i l_i / max(target_length_i, 1)

    The mean is PyTorch's reduction='mean'.

    log_probs arrive with the batch first here, (N, T, C); targets are (N, S), padded.

    >>> lp = np.log(np.full((1, 2, 2), 0.5))
    >>> ctc(lp, np.array([[1]]), np.array([2]), np.array([1])).values  # doctest: +ELLIPSIS
    array([0.2876...])
    """
    n, t_max, _ = log_probs.shape
    s_max = targets.shape[1] if targets.ndim == 2 else 0
    lengths_in = input_lengths.astype(np.int64)
    lengths_out = target_lengths.astype(np.int64)
    width = 2 * s_max + 1
    extended = np.full((n, width), blank, dtype=np.int64)
    if s_max:
        extended[:, 1::2] = targets.astype(np.int64)
    position = np.arange(width)
    # Skipping a blank is allowed onto a label that differs from the label two back.
    skip = np.zeros((n, width), dtype=bool)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    rows = np.arange(n)[:, None]

    def emit(t: int) -> np.ndarray:
        return log_probs[rows, min(t, t_max - 1), extended]

    alpha = np.full((n, width), -np.inf)
    first = emit(0)
    alpha[:, 0] = first[:, 0]
    if width > 1:
        alpha[:, 1] = np.where(lengths_out > 0, first[:, 1], -np.inf)
    alpha[position[None, :] > 2 * lengths_out[:, None]] = -np.inf
    neg_inf = np.full((n, 1), -np.inf)
    for t in range(1, t_max):
        one_back = np.concatenate([neg_inf, alpha[:, :-1]], axis=1)
        two_back = np.concatenate([neg_inf, neg_inf, alpha[:, :-2]], axis=1)
        two_back = np.where(skip, two_back, -np.inf)
        step = _logsumexp3(alpha, one_back, two_back) + emit(t)
        active = (t < lengths_in)[:, None]
        alpha = np.where(active, step, alpha)
    last = alpha[np.arange(n), 2 * lengths_out]
    before = np.where(
        lengths_out > 0, alpha[np.arange(n), np.maximum(2 * lengths_out - 1, 0)], -np.inf
    )
    loss = -np.logaddexp(last, before)
    if zero_infinity:
        loss = np.where(np.isinf(loss), 0.0, loss)
    return Rows(loss, means=loss / np.maximum(lengths_out, 1))


def _ref_ctc(log_probs, targets, input_lengths, target_lengths, blank=0, zero_infinity=False):
    values = []
    for i in range(log_probs.shape[0]):
        length, size = int(input_lengths[i]), int(target_lengths[i])
        labels = [int(v) for v in targets[i][:size]]
        ext = [blank]
        for label in labels:
            ext += [label, blank]
        alpha = [-math.inf] * len(ext)
        alpha[0] = float(log_probs[i, 0, blank])
        if len(ext) > 1:
            alpha[1] = float(log_probs[i, 0, ext[1]])
        for t in range(1, length):
            new = []
            for s in range(len(ext)):
                terms = [alpha[s]]
                if s >= 1:
                    terms.append(alpha[s - 1])
                if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                    terms.append(alpha[s - 2])
                m = max(terms)
                total = (
                    -math.inf
                    if m == -math.inf
                    else m + math.log(sum(math.exp(v - m) for v in terms))
                )
                new.append(total + float(log_probs[i, t, ext[s]]))
            alpha = new
        ends = [alpha[-1]] + ([alpha[-2]] if len(ext) > 1 else [])
        m = max(ends)
        loss = math.inf if m == -math.inf else -(m + math.log(sum(math.exp(v - m) for v in ends)))
        values.append(0.0 if zero_infinity and math.isinf(loss) else loss)
    values = np.array(values)
    return Rows(values, means=values / np.maximum(np.asarray(target_lengths, dtype=float), 1))


def _bad_lengths(log_probs, targets, input_lengths, target_lengths, **_: Any) -> np.ndarray:
    s_max = targets.shape[1] if targets.ndim == 2 else 0
    return (
        (input_lengths < 1)
        | (input_lengths > log_probs.shape[1])
        | (target_lengths < 0)
        | (target_lengths > s_max)
    )


def _blank_outside(log_probs, **params: Any) -> np.ndarray:
    blank = params.get("blank", 0)
    return np.full(log_probs.shape[0], not 0 <= blank < log_probs.shape[2])


def _not_log_probabilities(log_probs, input_lengths, **_: Any) -> np.ndarray:
    """Rows with a frame (within its input length) whose exp does not sum to 1 over the
    classes, or with a positive value: raw scores or probabilities, not log_softmax output."""
    frames = np.arange(log_probs.shape[1])[None, :] < input_lengths[:, None]
    with np.errstate(all="ignore"):
        top = log_probs.max(axis=2, keepdims=True)
        total = top[..., 0] + np.log(np.exp(log_probs - top).sum(axis=2))
    bad = (np.abs(total) > _LOG_SUM_TOLERANCE) | (log_probs > _LOG_SUM_TOLERANCE).any(axis=2)
    return (bad & frames).any(axis=1)


def _frame_sum(log_probs, input_lengths, **_: Any) -> dict[str, Any]:
    return {"frames": log_probs.shape[1]}


def _length_limits(log_probs, targets, **_: Any) -> dict[str, Any]:
    return {"t": log_probs.shape[1], "s": targets.shape[1] if targets.ndim == 2 else 0}


def _bad_labels(log_probs, targets, input_lengths, target_lengths, **params: Any) -> np.ndarray:
    if targets.ndim != 2 or targets.shape[1] == 0:
        return np.zeros(len(targets), dtype=bool)
    inside = np.arange(targets.shape[1])[None, :] < target_lengths[:, None]
    bad = (targets < 0) | (targets >= log_probs.shape[2]) | (targets == params.get("blank", 0))
    return (bad & inside).any(axis=1)


def _label_limits(log_probs, **params: Any) -> dict[str, Any]:
    classes = log_probs.shape[2]
    return {"classes": classes, "blank": params.get("blank", 0), "last": classes - 1}


def _too_short(log_probs, targets, input_lengths, target_lengths, **_: Any) -> np.ndarray:
    if targets.ndim != 2 or targets.shape[1] == 0:
        return np.zeros(len(targets), dtype=bool)
    inside = np.arange(targets.shape[1])[None, :] < target_lengths[:, None]
    repeats = ((targets[:, 1:] == targets[:, :-1]) & inside[:, 1:]).sum(axis=1)
    return input_lengths < target_lengths + repeats


LOSSES = (
    Loss(
        name="ctc",
        aliases=("CTCLoss", "ctc_loss", "connectionist_temporal_classification"),
        family="sequence",
        summary="Connectionist temporal classification loss for unaligned label sequences.",
        inputs=(
            Input(
                "log_probs",
                ("T", "N", "C"),
                "log-probabilities over C classes (blank included), time first",
                row_axis=1,
            ),
            Input("targets", ("N", "S"), "label sequences, padded to S", kind="label"),
            Input("input_lengths", ("N",), "frames used of each sequence (<= T)", kind="label"),
            Input("target_lengths", ("N",), "labels used of each target (<= S)", kind="label"),
        ),
        params=(
            Param("blank", "int", 0, "index of the blank class", low=0),
            Param("zero_infinity", "bool", False, "impossible alignments cost 0 instead of inf"),
        ),
        fn=ctc,
        reference=_ref_ctc,
        convention="PyTorch",
        convention_detail="torch.nn.CTCLoss(blank=0, zero_infinity=False) with padded "
        "(N, S) targets; none and sum give the raw per-sequence losses, mean divides each "
        "by its target length first.",
        when_to_use="Speech and handwriting recognition, where the output frames are not "
        "aligned to the labels.",
        pitfalls=(
            "log_probs must be log_softmax outputs, time first (T, N, C), as PyTorch wants.",
            "A target needs at least as many frames as labels plus repeated neighbours; "
            "shorter inputs give an infinite loss (or 0 with zero_infinity=true).",
            "All four arrays are read whole (not streamed): put them in one .npz named "
            "log_probs, targets, input_lengths, target_lengths.",
        ),
        checks=(
            Check(
                rows=_blank_outside,
                error=True,
                details=_label_limits,
                message="blank = {blank} is not one of the {classes} classes of log_probs "
                "({origin_log_probs}); expected 0 to {last}",
            ),
            Check(
                rows=_bad_lengths,
                error=True,
                details=_length_limits,
                message="row {row}: input_lengths ({origin_input_lengths}) must lie in 1..{t} "
                "(T) and target_lengths ({origin_target_lengths}) in 0..{s} (S)",
            ),
            Check(
                rows=_not_log_probabilities,
                error=True,
                details=_frame_sum,
                message="log_probs ({origin_log_probs}) row {row} are not log-probabilities: "
                "over the classes of a frame their exponentials must sum to 1 (apply "
                "log_softmax over the class axis)",
            ),
            Check(
                rows=_bad_labels,
                error=True,
                input="targets",
                details=_label_limits,
                message="targets ({origin}) row {row}: {value} holds a label that is not one "
                "of the {classes} classes, or is the blank ({blank})",
            ),
            Check(
                rows=_too_short,
                message="{count} of {n} sequences are too short for their targets (first: row "
                "{row}); their loss is inf unless {p:zero_infinity=true}",
            ),
        ),
        streamable=False,
        properties=frozenset({"nonnegative"}),
    ),
)
