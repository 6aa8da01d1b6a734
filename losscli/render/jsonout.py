"""The one JSON encoder for everything losscli writes: results, checks, comparisons,
baselines, the catalogue. Floats are written in full (shortest text that reads back as
the same float); NaN and infinities, which JSON cannot hold, become ``null`` and are
reported to the caller, who says why on stderr."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

try:  # the C function json.dumps uses for text; importing all of json costs start-up time
    from _json import encode_basestring_ascii as _quote
except ImportError:  # pragma: no cover - Python builds without the accelerator
    from json import dumps as _quote


class Encoder:
    """Encodes values, remembering where a non-finite number was written as null."""

    def __init__(self) -> None:
        self.nonfinite: list[str] = []  # "results[0].value is inf"

    def number(self, value: float, where: str) -> str:
        if math.isfinite(value):
            return repr(float(value))
        if not math.isnan(value):
            self.nonfinite.append(f"{where} is {'-' if value < 0 else ''}inf")
        return "null"

    def encode(self, value: Any, where: str = "") -> str:
        if isinstance(value, (float, np.floating)):
            return self.number(float(value), where)
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, np.ndarray):
            return self.encode(value.tolist(), where)
        if isinstance(value, Mapping):
            items = (
                f"{_quote(str(k))}: {self.encode(v, _join(where, str(k)))}"
                for k, v in value.items()
            )
            return "{" + ", ".join(items) + "}"
        if isinstance(value, (list, tuple)):
            if len(value) > 64 and all(type(v) is float for v in value):
                return self._floats(value, where)
            return (
                "[" + ", ".join(self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
            )
        if value is None:
            return "null"
        return _quote(value if isinstance(value, str) else str(value))

    def _floats(self, values: Any, where: str) -> str:
        """A long list of floats (per-row values): the fast path, same text."""
        out = []
        for i, v in enumerate(values):
            out.append(repr(v) if math.isfinite(v) else self.number(v, f"{where}[{i}]"))
        return "[" + ", ".join(out) + "]"

    def notes(self) -> list[str]:
        """One line saying which values were written as null, if any."""
        if not self.nonfinite:
            return []
        shown = "; ".join(self.nonfinite[:3])
        more = f" and {len(self.nonfinite) - 3} more" if len(self.nonfinite) > 3 else ""
        return [f"JSON cannot hold infinities: wrote null where {shown}{more}"]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def dumps(value: Any, encoder: Encoder | None = None) -> str:
    """JSON text of ``value``.

    >>> dumps({"value": float("inf"), "ok": [1.5, None, True]})
    '{"value": null, "ok": [1.5, null, true]}'
    """
    return (encoder or Encoder()).encode(value)
