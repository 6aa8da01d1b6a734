"""Helpers shared by the loss modules: per-row means and scalar loops for references."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from losscli.errors import UsageError
from losscli.registry import Input


def elementwise(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """The loss of every element from a loss whose row value is the mean of its elements:
    ``fn`` on the inputs flattened to one element a row (per-label vector parameters are
    taken one label, the last axis, at a time)."""

    def elements(**arrays: Any) -> np.ndarray:
        params = {k: v for k, v in arrays.items() if not isinstance(v, np.ndarray)}
        data = {k: v for k, v in arrays.items() if isinstance(v, np.ndarray)}
        shape = data["predictions"].shape
        vectors = {k for k, v in params.items() if isinstance(v, tuple) and len(v) > 1}

        def values(picked: dict[str, Any], extra: dict[str, Any]) -> np.ndarray:
            flat = {k: v.reshape(-1) for k, v in picked.items()}
            result = fn(**flat, **(params | extra))
            return np.asarray(getattr(result, "values", result), dtype=np.float64)

        if not vectors:
            return values(data, {}).reshape(shape)
        out = np.empty(shape)
        for label in range(shape[-1]):
            picked = {k: v[..., label] for k, v in data.items()}
            extra = {k: (params[k][label],) for k in vectors}
            out[..., label] = values(picked, extra).reshape(shape[:-1])
        return out

    return elements


def elements_per_row(name: str = "predictions") -> Callable[..., int]:
    """The number of values in a row of input ``name``: what a per-row mean averages."""

    def count(**arrays: Any) -> int:
        return int(np.prod(np.shape(arrays[name])[1:], dtype=np.int64))

    return count


def row_mean(x: np.ndarray) -> np.ndarray:
    """Mean over every axis but the first: (N, ...) -> (N,)."""
    if x.ndim == 1:
        return x
    return x.mean(axis=tuple(range(1, x.ndim)))


def pairwise_inputs(
    first: str, first_doc: str, second: str, second_doc: str
) -> tuple[Input, Input]:
    """Two same-shaped real inputs, (N,) or (N, D...)."""
    return (
        Input(first, ("N", "*D"), first_doc),
        Input(second, ("N", "*D"), second_doc),
    )


REGRESSION_INPUTS = pairwise_inputs(
    "predictions",
    "model outputs, (N,) or (N, D)",
    "targets",
    "true values, same shape as predictions",
)


def rows_of(a: np.ndarray) -> Iterator[list[float]]:
    """Each row flattened to a list of Python floats (for slow references)."""
    flat = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    for row in flat:
        yield [float(v) for v in row]


def elementwise_reference(
    element: Callable[..., float],
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A per-row reference built from a scalar function of (prediction, target)."""

    def reference(predictions: np.ndarray, targets: np.ndarray, **params: float) -> np.ndarray:
        out = []
        for prow, trow in zip(rows_of(predictions), rows_of(targets)):
            terms = [element(p, t, **params) for p, t in zip(prow, trow)]
            out.append(sum(terms) / len(terms))
        return np.array(out, dtype=np.float64)

    return reference


LOG_FLOOR = -100.0  # PyTorch clamps log-probabilities here in BCELoss.
KERAS_EPSILON = 1e-7
# Keras clips probabilities in float32: its bounds are the float32 numbers nearest to
# 1e-7 and 1 - 1e-7 (the upper one is 1 - 1.19e-7, which decides confident mistakes).
KERAS_CLIP_LOW = float(np.float32(KERAS_EPSILON))
KERAS_CLIP_HIGH = float(np.float32(1.0) - np.float32(KERAS_EPSILON))


def ref_keras_clip(
    x: np.ndarray, rescale: bool = False, high: float = KERAS_CLIP_HIGH
) -> np.ndarray:
    """Slow twin of Keras's clipping (and its rescaling of rows to sum to 1), one value at a
    time over the last axis; for reference implementations."""
    flat = np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
    out = []
    for row in flat.tolist():
        total = math.fsum(row) if rescale else 1.0
        out.append([min(max(v / total, KERAS_CLIP_LOW), high) for v in row])
    return np.array(out).reshape(x.shape)


def keras_clip(p: np.ndarray, high: float = KERAS_CLIP_HIGH) -> np.ndarray:
    """Probabilities clipped as Keras clips them."""
    return np.clip(p, KERAS_CLIP_LOW, high)


def clamped_log(p: np.ndarray) -> np.ndarray:
    """log(p), never below -100 (so p = 0 costs 100, as PyTorch's BCELoss defines)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(np.log(p), LOG_FLOOR)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(sigmoid(x)) = -softplus(-x), exact for |x| up to 1e308."""
    return -softplus(-x)


_BLOCK_ROWS = 8192


def logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """log sum_c exp(x_c) of every row of (N, C) ``x``, shifted by the row maximum.

    Blocks of rows are transposed so that the maximum and the sum run over contiguous
    rows of the block (C row operations of B values each, not B reductions of C values):
    several times faster than reducing along axis 1 for the small C of classifiers.
    """
    out = np.empty(len(x))
    class_major = x.T.flags.c_contiguous  # columns side by side, as Parquet and CSV give them
    for start in range(0, len(x), _BLOCK_ROWS):
        rows = x[start : start + _BLOCK_ROWS].T
        top = rows.max(axis=0)
        if class_major:
            block = np.subtract(rows, top)
        else:
            block = np.array(rows, order="C")  # a copy, always
            np.subtract(block, top, out=block)
        np.exp(block, out=block)
        out[start : start + _BLOCK_ROWS] = top + np.log(block.sum(axis=0))
    return out


def pick_class(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """x[i, index_i, ...] of (N, C, ...) ``x``: the value of each row's class."""
    if x.ndim == 2 and x.T.flags.c_contiguous:  # class-major: one flat gather
        return x.T.reshape(-1).take(index * len(x) + np.arange(len(x)))
    return np.take_along_axis(x, index[:, None], axis=1)[:, 0]


def log_softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, shifted by the maximum so nothing overflows."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def row_sum(x: np.ndarray) -> np.ndarray:
    """Sum over every axis but the first: (N, ...) -> (N,)."""
    if x.ndim == 1:
        return x
    return x.sum(axis=tuple(range(1, x.ndim)))


def any_per_row(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim == 1:
        return mask
    return np.asarray(mask.any(axis=tuple(range(1, mask.ndim))))


def all_per_row(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim == 1:
        return mask
    return np.asarray(mask.all(axis=tuple(range(1, mask.ndim))))


def per_class(
    vector: tuple[float, ...] | None, classes: int, name: str, owner: str
) -> np.ndarray | None:
    """A per-class parameter as an array of length ``classes`` (a single value broadcasts)."""
    if vector is None:
        return None
    array = np.asarray(vector, dtype=np.float64)
    if len(array) == 1:
        return np.full(classes, array[0])
    if len(array) != classes:
        raise UsageError(
            f"parameter '{name}' of {owner} has {len(array)} values but the predictions have "
            f"{classes} classes; give {classes} values or one"
        )
    return array


def one_hot(indices: np.ndarray, classes: int) -> np.ndarray:
    """Class indices (N,) as 0/1 rows (N, C); the losses' checks reject out-of-range ones."""
    index = np.clip(indices.astype(np.int64), 0, classes - 1)
    return (index[:, None] == np.arange(classes)).astype(np.float64)


def math_log(x: float) -> float:
    """log for the slow references, with the same -100 floor as ``clamped_log``."""
    return LOG_FLOOR if x <= 0 else max(math.log(x), LOG_FLOOR)
