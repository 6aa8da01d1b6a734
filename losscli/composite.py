"""Loss specifications: a comma list of losses, or a weighted sum such as '0.5*ce + 0.5*dice'."""

from __future__ import annotations

import re

from losscli.errors import UsageError

_EXPONENT = re.compile(r"^\s*[0-9.]+[eE]$")  # a term so far that ends in a number's exponent
_TERM = re.compile(r"^\s*(?:([0-9.eE+-]+)\s*\*\s*)?([A-Za-z_][\w.-]*)\s*$")


def parse_spec(spec: str) -> tuple[list[str], list[float] | None]:
    """Loss names and, for a weighted sum, their coefficients.

    >>> parse_spec("mse,mae")
    (['mse', 'mae'], None)
    >>> parse_spec("0.5*cross_entropy + 0.5*dice")
    (['cross_entropy', 'dice'], [0.5, 0.5])
    >>> parse_spec("ce - 0.1*poly1")
    (['ce', 'poly1'], [1.0, -0.1])
    """
    if "*" not in spec and "+" not in spec and " - " not in spec:
        names = [part.strip() for part in spec.split(",")]
        if any(not name for name in names):
            raise UsageError(f"empty loss name in '{spec}'")
        return names, None
    names: list[str] = []
    weights: list[float] = []
    # Split on + and on a - that starts a term (not the sign of an exponent).
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
    return names, weights


def _terms(spec: str) -> list[tuple[float, str]]:
    out: list[tuple[float, str]] = []
    sign, start = 1.0, 0
    for i, char in enumerate(spec):
        so_far = spec[start:i]
        if char in "+-" and so_far.strip() and not _EXPONENT.match(so_far) and spec[i - 1] != "*":
            out.append((sign, spec[start:i]))
            sign, start = (1.0 if char == "+" else -1.0), i + 1
    out.append((sign, spec[start:]))
    return out


def _number(text: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"'{text}' in '{spec}' is not a number") from None
