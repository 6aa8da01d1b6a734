"""Per-row values kept beside the streaming sums: every row for ``reduction="none"``, and
each row's share of a reduced value for resampling (bootstrap intervals, comparisons)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from losscli.pipeline.prepare import Prepared
from losscli.registry import Reducer, Rows

if TYPE_CHECKING:
    from losscli.pipeline.resample import RowData


class RowSink(Protocol):
    """Where per-row values go, chunk by chunk, as they are computed."""

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        """Called once before any rows: the value columns' names and the id column's."""

    def write(self, ids: np.ndarray | None, columns: Sequence[np.ndarray]) -> None:
        """The next rows: their ids (or None) and one array per name, in order."""


def per_row_values(rows: Rows, weights: np.ndarray | None, prepared: Prepared) -> np.ndarray:
    """The per-row loss of every row of a chunk, NaN where a row was skipped; with sample
    weights each row's weighted loss w_i l_i (what PyTorch's weight and Keras's
    sample_weight give with reduction none, and what ``sum`` adds up)."""
    values = np.asarray(rows.values, dtype=np.float64)
    if weights is not None:
        values = values * weights.reshape((-1,) + (1,) * (values.ndim - 1))
    return prepared.full(values, np.nan)


class RowBuffer:
    """A sink that keeps every row in memory (the Python API's ``Result.values``)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._pieces: list[list[np.ndarray]] = []

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        self.names = list(names)
        self._pieces = [[] for _ in names]

    def write(self, ids: np.ndarray | None, columns: Sequence[np.ndarray]) -> None:
        for pieces, values in zip(self._pieces, columns):
            pieces.append(values)

    def values(self) -> list[np.ndarray]:
        return [np.concatenate(p) if p else np.empty(0) for p in self._pieces]


class RowParts:
    """Each row's part of one reduced loss (see ``resample.RowData``), for every row read.

    Rows are kept as read (values, means, weights, norms) and the parts formed once every row
    is in: the weights are divided by one power of two (the largest weight's), which no chunk
    boundary changes and which is exact, so large weights do not overflow the parts.
    """

    def __init__(self, reducer: Reducer, reduction: str) -> None:
        self.reducer = reducer
        self.reduction = reduction
        self._pieces: list[tuple[np.ndarray, Prepared, Any, np.ndarray | None, Any]] = []

    def add(self, rows: Rows, weights: np.ndarray | None, prepared: Prepared) -> None:
        values = np.asarray(rows.values, dtype=np.float64)
        means: Any = values if rows.means is None else rows.means
        if self.reducer.column_finalize is not None and rows.columns is not None:
            # A column-wise mean: each row's part is a vector, one entry a column.
            means = np.asarray(rows.columns, dtype=np.float64).reshape(len(values), -1)
        self._pieces.append((values, prepared, means, weights, rows.norms))

    @property
    def top(self) -> float:
        """The power of two the weights are divided by: what ``data`` is relative to."""
        largest = max(
            (float(np.max(w)) for _, _, _, w, _ in self._pieces if w is not None and len(w)),
            default=0.0,
        )
        if largest <= 0 or not np.isfinite(largest):
            return 1.0
        return math.ldexp(1.0, int(np.frexp(largest)[1]) - 1)  # <= largest: never overflows

    def data(self, valid: np.ndarray, codes: np.ndarray | None) -> RowData:
        """Every row's parts, the weights relative to ``top``."""
        from losscli.pipeline.resample import RowData

        top = self.top
        values, numerators, denominators = [], [], []
        weighted_mean = self.reduction != "sum" and not self.reducer.batch_mean
        for value, prepared, means, weights, norms in self._pieces:
            w: Any = 1.0 if weights is None else weights / top
            column_w = w if np.ndim(w) == 0 or np.ndim(means) < 2 else np.asarray(w)[:, None]
            denominator: Any
            if self.reduction == "sum":
                numerator, denominator = value * w, None
            elif self.reducer.batch_mean:
                kept = np.ones(len(value)) if norms is None else norms != 0
                numerator, denominator = means * column_w, np.asarray(kept, dtype=np.float64)
            else:
                numerator = means * column_w
                denominator = w * (1.0 if norms is None else norms)
            n = len(value)
            values.append(prepared.full(value, np.nan))
            numerators.append(prepared.full(_float_rows(numerator, n, np.shape(numerator)), 0.0))
            if denominator is not None:
                denominators.append(prepared.full(_float_rows(denominator, n), 0.0))
        return RowData(
            np.concatenate(values),
            np.concatenate(numerators, axis=0),
            np.concatenate(denominators) if denominators else None,
            valid,
            codes,
            self.reducer.finalize,
            1.0 if weighted_mean else top,
            self.reducer.column_finalize,
        )


def _float_rows(x: Any, n: int, shape: tuple[int, ...] | None = None) -> np.ndarray:
    target = shape if shape is not None and len(shape) == 2 else (n,)
    return np.array(np.broadcast_to(x, target), dtype=np.float64)


class RowIndex:
    """Which rows were kept, and their group ids, across every chunk."""

    def __init__(self) -> None:
        self._valid: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []

    def add(self, prepared: Prepared) -> None:
        keep = prepared.keep
        self._valid.append(np.ones(prepared.n, dtype=bool) if keep is None else keep)
        if prepared.codes is not None:
            self._codes.append(prepared.codes)

    def valid(self) -> np.ndarray:
        return np.concatenate(self._valid)

    def codes(self) -> np.ndarray | None:
        return np.concatenate(self._codes) if self._codes else None
