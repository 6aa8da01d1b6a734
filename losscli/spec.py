"""Loss specifications, parsed in one place for every command, config file and API call.

A spec is one loss (``mse``), a comma list (``mse,mae``) or a weighted sum of losses
(``0.5*cross_entropy + 0.5*dice``, ``mse - 0.1*mae``). A weighted sum also has a total,
which limits and baselines call ``total``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from losscli.errors import UsageError, catalogue_hint
from losscli.records import record

TOTAL = "total"  # the name limits and baselines use for a weighted sum's total
_EXPONENT = re.compile(r"^\s*[0-9.]+[eE]$")  # a term so far that ends in a number's exponent
_TERM = re.compile(r"^\s*(?:([0-9.eE+-]+)\s*\*\s*)?([A-Za-z_][\w.-]*)\s*$")


@record(frozen=True)
class LossSpec:
    """Loss names as written and, for a weighted sum, their coefficients."""

    text: str
    names: tuple[str, ...]
    weights: tuple[float, ...] | None = None

    @property
    def is_sum(self) -> bool:
        return self.weights is not None


def param_text(value: Any) -> str:
    """A parameter value as ``-p`` spells it: ``true``, ``none``, ``1,2,0.5``, ``0.25``."""
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return ",".join(param_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_spec(spec: str | Sequence[str] | LossSpec) -> LossSpec:
    """A spec from its text (or from a list of loss names).

    >>> parse_spec("mse,mae").names
    ('mse', 'mae')
    >>> parse_spec("0.5*cross_entropy + 0.5*dice").weights
    (0.5, 0.5)
    >>> parse_spec("ce - 0.1*poly1")
    LossSpec(text='ce - 0.1*poly1', names=('ce', 'poly1'), weights=(1.0, -0.1))
    >>> parse_spec("0.5*mse+0.5*mae").names
    ('mse', 'mae')
    >>> parse_spec("0.5*mse + 0.5*smooth-l1").names
    ('mse', 'smooth-l1')
    """
    if isinstance(spec, LossSpec):
        return spec
    if not isinstance(spec, str):
        given = list(spec)
        if not given or not all(isinstance(n, str) for n in given):
            raise UsageError(f"expected loss names, got {spec!r}")
        return parse_spec(",".join(given))
    if not spec.strip():
        raise UsageError(f"no loss given; name one, e.g. 'mse' (see {catalogue_hint()})")
    if "*" not in spec and "+" not in spec and not _has_subtraction(spec):
        listed = [part.strip() for part in spec.split(",")]
        if any(not name for name in listed):
            raise UsageError(f"empty loss name in '{spec}'")
        return LossSpec(spec, tuple(listed))
    names: list[str] = []
    weights: list[float] = []
    for sign, term in _terms(spec):
        match = _TERM.match(term)
        if not match:
            raise UsageError(
                f"cannot read '{term.strip()}' in '{spec}'; write terms as WEIGHT*LOSS joined "
                "by + or -, e.g. '0.5*cross_entropy + 0.5*dice'"
            )
        coefficient = 1.0 if match.group(1) is None else _number(match.group(1), spec)
        names.append(match.group(2))
        weights.append(sign * coefficient)
    return LossSpec(spec, tuple(names), tuple(weights))


def _has_subtraction(spec: str) -> bool:
    """A '-' between terms: spaced (``mse - mae``) or leading (``-mae``)."""
    return " - " in spec or spec.lstrip().startswith("-")


def _terms(spec: str) -> list[tuple[float, str]]:
    """Split on + and on a - that starts a term (not the sign of an exponent)."""
    out: list[tuple[float, str]] = []
    sign, start = 1.0, 0
    for i, char in enumerate(spec):
        so_far = spec[start:i]
        if char in "+-" and not so_far.strip() and not out and start == 0:
            sign, start = (1.0 if char == "+" else -1.0), i + 1
            continue
        if char == "-" and _inside_name(spec, i):
            continue
        if char in "+-" and so_far.strip() and not _EXPONENT.match(so_far) and spec[i - 1] != "*":
            out.append((sign, spec[start:i]))
            sign, start = (1.0 if char == "+" else -1.0), i + 1
    out.append((sign, spec[start:]))
    return out


def _inside_name(spec: str, i: int) -> bool:
    """A '-' between a letter or digit and a letter (``smooth-l1``) is part of a name."""
    before, after = spec[i - 1 : i], spec[i + 1 : i + 2]
    return (before.isalnum() or before == "_") and after.isalpha()


def _number(text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"'{text}' in '{spec}' is not a number") from None
    if not math.isfinite(value):
        raise UsageError(f"the weight '{text}' in '{spec}' is too large for a float64")
    if value == 0 and any(c in "123456789" for c in text.lower().split("e")[0]):
        raise UsageError(f"the weight '{text}' in '{spec}' is too small for a float64 (it is 0)")
    return value
