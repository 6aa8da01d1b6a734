"""Helpers shared by the loss modules: per-row means and scalar loops for references."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from losscli.registry import Input


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
    element: Callable[[float, float], float],
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A per-row reference built from a scalar function of (prediction, target)."""

    def reference(predictions: np.ndarray, targets: np.ndarray, **params: float) -> np.ndarray:
        out = []
        for prow, trow in zip(rows_of(predictions), rows_of(targets)):
            terms = [element(p, t, **params) for p, t in zip(prow, trow)]
            out.append(sum(terms) / len(terms))
        return np.array(out, dtype=np.float64)

    return reference
