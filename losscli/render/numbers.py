"""The one way numbers are written for people and for machines.

- ``number_text``: for people (tables, summaries, reports): six significant digits, whole
  numbers in full, and every digit when six would hide a difference from ``other``.
- ``exact_text``: for machines (CSV cells): the shortest text that reads back as the same
  float; ``null`` for NaN and missing values.

A parameter value is written as ``-p`` spells it by ``losscli.spec.param_text``.
"""

from __future__ import annotations

import math
from typing import Any


def number_text(value: Any, other: float | None = None) -> str:
    """``0.123457``, ``12``, ``1234567`` (a whole number), ``NaN``; ``""`` for None.

    >>> number_text(0.1234567), number_text(3.0), number_text(1234567.0), number_text(None)
    ('0.123457', '3', '1234567', '')
    >>> number_text(0.12345671, other=0.12345672)
    '0.12345671'
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.6g}"
    if other is not None and value != other and text == f"{other:.6g}":
        return repr(float(value))
    return text


def exact_text(value: float | None) -> str:
    """Shortest text that reads back as the same float, for tables and CSV; null for NaN."""
    if value is None or math.isnan(value):
        return "null"
    return repr(float(value))


__all__ = ["exact_text", "number_text"]
