"""User-defined losses: a Python file given with --plugin, or packages exposing an entry
point in the group ``losscli.losses``.

A plugin declares a loss with the ``loss`` decorator, with the same metadata as a built-in::

    import numpy as np
    from losscli import Param, loss

    @loss(name="scaled_mae", family="regression", summary="MAE times k.",
          formula="l = k mean_d |p - y|", params=[Param("k", "float", 1.0, "scale")])
    def scaled_mae(predictions, targets, *, k=1.0):
        return k * np.abs(predictions - targets).reshape(len(predictions), -1).mean(axis=1)

Plugin code runs only when asked for: a --plugin file when given, an entry point when its
name is looked up (or when ``list`` shows everything).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from losscli.catalogue import default_registry
from losscli.errors import UsageError, option
from losscli.registry import (
    Check,
    Input,
    Loss,
    Param,
    Registry,
    Rows,
    normalize_name,
)

__all__ = ["Check", "Input", "Loss", "Param", "Rows", "loss", "registry_with"]

ENTRY_POINT_GROUP = "losscli.losses"
_MARK = "__losscli_loss__"


def loss(
    *,
    name: str,
    summary: str,
    formula: str = "",
    family: str = "custom",
    inputs: Sequence[str | Input] = ("predictions", "targets"),
    params: Sequence[Param] = (),
    aliases: Sequence[str] = (),
    convention: str = "textbook",
    convention_detail: str = "user-defined",
    when_to_use: str = "",
    pitfalls: Sequence[str] = (),
    checks: Sequence[Check] = (),
    grad: Callable[..., Any] | None = None,
    reference: Callable[..., Any] | None = None,
    properties: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare ``fn(**arrays, **params) -> per-row values`` as a losscli loss, with what a
    built-in loss declares:

    - ``formula``: the per-row formula ``losscli info`` shows; left out, the second
      paragraph of ``fn``'s docstring;
    - ``grad(**arrays, **params)``: d l_i / d predictions_i, shaped like the predictions
      (``losscli grad`` uses it; ``losscli grad --check`` compares it with differences);
    - ``reference(**arrays, **params)``: a slow, obviously right twin of ``fn`` (one
      Python float a row) for your tests to hold ``fn`` to, as the built-ins' tests do;
    - ``properties``: any of ``nonnegative``, ``zero_at_perfect``, ``symmetric``.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        entry = Loss(
            name=name,
            family=family,
            summary=summary,
            formula=formula,
            inputs=tuple(i if isinstance(i, Input) else Input(i, ("N", "*D"), i) for i in inputs),
            fn=fn,
            reference=reference,
            convention=convention,
            convention_detail=convention_detail,
            when_to_use=when_to_use or summary,
            aliases=tuple(aliases),
            params=tuple(params),
            pitfalls=tuple(pitfalls),
            checks=tuple(checks),
            grad=grad,
            properties=frozenset(properties),
        )
        setattr(fn, _MARK, entry)
        return fn

    return decorate


def _losses_in(obj: Any) -> list[Loss]:
    if isinstance(obj, Loss):
        return [obj]
    if hasattr(obj, _MARK):
        return [getattr(obj, _MARK)]
    if isinstance(obj, (list, tuple)):
        return [entry for item in obj for entry in _losses_in(item)]
    if not hasattr(obj, "__dict__"):
        return []
    return [getattr(v, _MARK) for v in vars(obj).values() if hasattr(v, _MARK)]


def load_file(path: str) -> list[Loss]:
    """Run a plugin file and collect the losses it declares."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{option('plugins', path)}: no such file")
    spec = importlib.util.spec_from_file_location(f"losscli_plugin_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise UsageError(f"{option('plugins', path)}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's code; report it in one line
        raise UsageError(
            f"{option('plugins', path)} failed to load: {type(exc).__name__}: {exc}"
        ) from None
    losses = _losses_in(module)
    if not losses:
        raise UsageError(
            f"{option('plugins', path)} declares no loss (use the @losscli.loss decorator)"
        )
    return losses


def _entry_points() -> list[Any]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


def _load_entry_point(point: Any) -> list[Loss]:
    try:
        return _losses_in(point.load())
    except Exception as exc:  # noqa: BLE001 - a broken third-party package
        raise UsageError(
            f"plugin entry point '{point.name}' ({point.value}) failed to load: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def registry_with(files: Iterable[str] = (), load_all: bool = False) -> Registry:
    """The built-in losses plus the plugin files, with entry points loaded on demand."""
    registry = default_registry().copy()
    for path in files:
        for entry in load_file(path):
            registry.register(entry, source=f"plugin {path}")
    loaded: set[str] = set()

    def load(point: Any) -> None:
        if point.value in loaded:
            return
        loaded.add(point.value)
        for entry in _load_entry_point(point):
            registry.register(entry, source=f"entry point {point.name} ({point.value})")

    if load_all:
        for point in _entry_points():
            load(point)
    else:
        # Scanning installed packages costs start-up time: only for a name not built in.
        def missing(name: str) -> None:
            for point in _entry_points():
                if normalize_name(point.name) == normalize_name(name):
                    load(point)

        registry.on_missing = missing
    return registry
