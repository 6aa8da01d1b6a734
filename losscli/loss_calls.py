"""Calling a loss's functions: what every caller (the pipeline, the gradients) needs around
the call. The function sees its inputs read-only (a loss that wrote into them would change
the next loss's inputs), and what a plugin's code does wrong (raises, exits, returns no
(N,) numbers, a misshapen gradient) is a one-line error naming the loss and its plugin.
A built-in's exception is a bug of losscli and is left to propagate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losscli.errors import UsageError
from losscli.registry import Loss, Rows


def per_row(
    loss: Loss, convention: str | None, arrays: Mapping[str, Any], params: Mapping[str, Any]
) -> Rows:
    """The per-row values of ``loss`` (under ``convention``) on ``arrays``."""
    frozen = {name: _read_only(a) for name, a in arrays.items()}
    result = _call(loss, loss.function(convention), frozen, params, "")
    rows = result if isinstance(result, Rows) else Rows(result)
    _check_rows(loss, rows, frozen)
    return rows


def declared_gradient(
    loss: Loss, arrays: Mapping[str, Any], params: Mapping[str, Any]
) -> np.ndarray | None:
    """What the entry's ``grad=`` gives on ``arrays``, shaped like the first input (None:
    no formula, or none for these inputs)."""
    if loss.grad is None:
        return None
    frozen = {name: _read_only(a) for name, a in arrays.items()}
    with np.errstate(all="ignore"):
        out = _call(loss, loss.grad, frozen, params, "'s grad")
    if out is None:
        return None
    first = np.shape(next(iter(arrays.values())))
    try:
        values = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.shape != first:
        got = "no numbers" if values is None else f"shape {values.shape}"
        raise UsageError(
            f"{_named(loss)}'s grad returned {got}: a gradient is shaped like the "
            f"predictions, {first}"
        )
    return values


def _read_only(array: Any) -> Any:
    if not isinstance(array, np.ndarray):
        return array
    frozen = array.view()
    frozen.flags.writeable = False
    return frozen


def _call(
    loss: Loss, fn: Callable[..., Any], arrays: Mapping[str, Any], params: Any, of: str
) -> Any:
    if loss.source == "built-in":
        return fn(**arrays, **params)
    try:
        return fn(**arrays, **params)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the plugin's own code
        what = "exited" if isinstance(exc, SystemExit) else f"raised {type(exc).__name__}"
        raise UsageError(f"{_named(loss)}{of} {what}: {exc}") from None


def _named(loss: Loss) -> str:
    return f"loss '{loss.name}' ({loss.source})"


def _check_rows(loss: Loss, rows: Rows, arrays: Mapping[str, Any]) -> None:
    first = next(iter(arrays.values()), None)
    n = None if first is None else len(first)
    try:
        values = np.asarray(rows.values)
    except (TypeError, ValueError):
        values = None
    numeric = values is not None and values.dtype.kind in "biuf"
    if numeric and values is not None and values.ndim >= 1 and len(values) == n:
        return
    if values is None or not numeric:
        got = f"{type(rows.values).__name__} values, not numbers"
    elif values.ndim == 0:
        got = "a single number"
    else:
        got = f"shape {values.shape}"
    raise UsageError(
        f"{_named(loss)} returned {got}: a loss returns one number per row, shape ({n},)"
    )


__all__ = ["declared_gradient", "per_row"]
