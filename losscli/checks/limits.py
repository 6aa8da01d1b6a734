"""Limits and tolerances by loss name, parsed one way for the command line, checks files
and the Python API: a mapping ``{loss: number}``, or one number for a single loss (or a
weighted sum's total)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from losscli.errors import UsageError, option
from losscli.records import field, record
from losscli.registry import Registry
from losscli.requests import Request, is_weighted_sum, limit_names
from losscli.spec import TOTAL

DEFAULT_RTOL = 1e-9  # float noise only: any real regression from the baseline fails


@record(frozen=True)
class Tolerance:
    default: float | None = None
    per_loss: Mapping[str, float] = field(default_factory=dict)

    def get(self, loss: str, fallback: float) -> float:
        if loss in self.per_loss:
            return self.per_loss[loss]
        return fallback if self.default is None else self.default

    def over(self, *fallbacks: Tolerance) -> Tolerance:
        """This tolerance, with the gaps filled from less specific ones in order."""
        chain = (self, *fallbacks)
        default = next((t.default for t in chain if t.default is not None), None)
        per_loss: dict[str, float] = {}
        for tolerance in reversed(chain):
            per_loss |= tolerance.per_loss
        return Tolerance(default, per_loss)


@record(frozen=True)
class Limits:
    """Bounds by loss name (canonical, or ``total``)."""

    max: Mapping[str, float] = field(default_factory=dict)
    min: Mapping[str, float] = field(default_factory=dict)
    max_group: Mapping[str, float] = field(default_factory=dict)
    min_group: Mapping[str, float] = field(default_factory=dict)
    rtol: Tolerance = field(default_factory=Tolerance)
    atol: Tolerance = field(default_factory=Tolerance)
    higher_is_better: frozenset[str] = frozenset()

    def any(self) -> bool:
        return any((self.max, self.min, self.max_group, self.min_group))


def number(value: Any, where: str) -> float:
    """A finite or infinite number (from text or a Python value); never NaN or a bool."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise UsageError(f"{where}: '{value}' is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise UsageError(f"{where}: give a number, not {value!r}")
    return float(value)


def per_loss(
    value: Any, where: str, requests: Sequence[Request] | None, registry: Registry
) -> dict[str, float]:
    """``{"mse": 0.2}`` by loss name, or a bare number for a single loss or a sum's total.

    Without ``requests`` (defaults for several checks) names are only looked up.
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out = {}
        for name, v in value.items():
            key = TOTAL if name == TOTAL else registry.get(str(name)).name
            allowed = [key] if requests is None else limit_names(requests)
            if key not in allowed:
                raise UsageError(
                    f"{where} {name}: {key} is not among the losses checked ({', '.join(allowed)})"
                )
            out[key] = number(v, f"{where} {name}")
        return out
    if requests is None:
        raise UsageError(f"{where}: give numbers by loss name, e.g. {{ mse = {value} }}")
    allowed = limit_names(requests)
    single = TOTAL if is_weighted_sum(requests) else (allowed[0] if len(allowed) == 1 else None)
    if single is None:
        raise UsageError(
            f"{where} {value}: name the loss it limits, e.g. {where} {allowed[0]}={value}"
        )
    return {single: number(value, where)}


def tolerance(
    value: Any, where: str, requests: Sequence[Request] | None, registry: Registry
) -> Tolerance:
    """One number for every loss, or numbers by loss name; each >= 0."""
    if value is None:
        return Tolerance()
    if isinstance(value, Mapping):
        result = Tolerance(None, per_loss(value, where, requests, registry))
    else:
        result = Tolerance(number(value, where))
    for v in [result.default, *result.per_loss.values()]:
        if v is not None and not v >= 0:
            raise UsageError(f"{where}: tolerances must be >= 0, not {v}")
    return result


def loss_names(
    names: Any, where: str, requests: Sequence[Request], registry: Registry
) -> frozenset[str]:
    """Loss names (``higher_is_better``): one name or a list."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple, set, frozenset)) or not all(
        isinstance(n, str) for n in names
    ):
        raise UsageError(f"{where}: give loss names, not {names!r}")
    out = set()
    for name in names:
        key = TOTAL if name == TOTAL else registry.get(str(name)).name
        if key not in limit_names(requests):
            raise UsageError(f"{where} {name}: {key} is not among the losses checked")
        out.add(key)
    return frozenset(out)


def build_limits(
    requests: Sequence[Request],
    registry: Registry,
    *,
    max: Any = None,
    min: Any = None,
    max_group: Any = None,
    min_group: Any = None,
    rtol: Any = None,
    atol: Any = None,
    higher_is_better: Any = (),
) -> Limits:
    """Limits from values as the user gave them (numbers, mappings by loss, or tolerances
    already made), each checked against the losses of ``requests``."""

    def bound(value: Any, name: str) -> dict[str, float]:
        return per_loss(value, option(name), requests, registry)

    def slack(value: Any, name: str) -> Tolerance:
        if isinstance(value, Tolerance):
            return value
        return tolerance(value, option(name), requests, registry)

    return Limits(
        max=bound(max, "max"),
        min=bound(min, "min"),
        max_group=bound(max_group, "max_group"),
        min_group=bound(min_group, "min_group"),
        rtol=slack(rtol, "rtol"),
        atol=slack(atol, "atol"),
        higher_is_better=loss_names(
            higher_is_better, option("higher_is_better"), requests, registry
        ),
    )
