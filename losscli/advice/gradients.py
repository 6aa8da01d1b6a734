"""Gradients of each row's loss with respect to its predictions: analytic where the loss's
entry declares one (``grad=``: every built-in formula sits beside its loss, and a plugin
gives its own), else central finite differences, labelled as numerical.

``gradient(loss, arrays, params)`` returns an array shaped like the predictions whose row i
is d l_i / d p_i (a row's loss is the mean over its elements, so element gradients carry a
1/D). The gradient of the mean loss over N rows is that divided by N.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.loss_calls import declared_gradient, per_row
from losscli.registry import Loss

Arrays = Mapping[str, np.ndarray]
Params = Mapping[str, Any]


def _row_values(
    loss: Loss, arrays: Arrays, params: Params, convention: str | None = None
) -> np.ndarray:
    return np.asarray(per_row(loss, convention, arrays, params).values, dtype=np.float64)


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
    """The gradient the loss's entry declares (``grad=``, built-in or plugin), or None
    (also when the formula does not cover these inputs)."""
    return declared_gradient(loss, arrays, params)


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
