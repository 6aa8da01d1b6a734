"""The rows with the largest loss, kept in bounded memory while the chunks stream by.

Order: the largest value first, NaN before everything (a row whose loss is undefined needs a
look first), ties by row number; exactly what a full sort of every row's value gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.pipeline.prepare import Prepared
from losscli.records import field, record


@record(frozen=True)
class WorstRow:
    """One of the worst rows: its 1-based row number in the inputs, its id (``--id`` or the
    ``--on`` key, if any), its loss and the inputs of that row."""

    row: int
    value: float
    id: Any = None
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row}
        if self.id is not None:
            out["id"] = self.id
        return out | {"value": self.value, "inputs": dict(self.inputs)}


def _rank_key(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), np.inf, values)


class WorstRows:
    """The ``k`` rows of largest value seen so far."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._kept: list[tuple[float, int, float, Any, dict[str, Any]]] = []

    def add(self, values: np.ndarray, prepared: Prepared, arrays: Mapping[str, np.ndarray]) -> None:
        """A chunk's per-row values (its kept rows), and those rows' inputs."""
        values = np.asarray(values, dtype=np.float64).reshape(len(values), -1).mean(axis=1)
        if not len(values):
            return
        key = _rank_key(values)
        k = min(self.k, len(key))
        threshold = np.partition(key, len(key) - k)[len(key) - k]
        if len(self._kept) == self.k:
            threshold = max(threshold, self._kept[-1][0])
        # Every row at the threshold, so that ties resolve by row number as a sort would.
        chosen = np.flatnonzero(key >= threshold)
        positions = prepared.kept_positions(chosen)
        for i, position in zip(chosen.tolist(), positions.tolist()):
            row_id = None
            if prepared.ids is not None:
                row_id = prepared.ids[position]
                row_id = row_id.as_py() if hasattr(row_id, "as_py") else _plain(row_id)
            inputs = {name: _plain(a[i]) for name, a in arrays.items()}
            row = prepared.start + position + 1
            self._kept.append((float(key[i]), row, float(values[i]), row_id, inputs))
        self._kept.sort(key=lambda t: (-t[0], t[1]))
        del self._kept[self.k :]

    def rows(self) -> tuple[WorstRow, ...]:
        return tuple(
            WorstRow(row, value, row_id, inputs) for _, row, value, row_id, inputs in self._kept
        )


def _plain(value: Any) -> Any:
    """A NumPy scalar or array as plain Python numbers (lists for a row's vector)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
