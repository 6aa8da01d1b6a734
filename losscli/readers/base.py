"""What every reader offers: named columns read whole or in chunks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError

# A label column as read: a NumPy array, or a pyarrow array for text.
LabelArray = Any

# input name -> the columns (or NPZ arrays) that make it up; None means "the whole file".
Selection = Mapping[str, Sequence[str] | None]
# Columns read as labels (group names, join keys: text or numbers) rather than as numbers.
Labels = frozenset[str]
NO_LABELS: Labels = frozenset()


class Table:
    """A file of numeric columns. Subclasses fill ``columns`` and the two column readers.

    Consumers never change a table: what to read, and which columns to read as labels,
    are arguments of each read.
    """

    display: str
    columns: list[str]
    n_rows: int | None = None
    column_word = "column"  # what the file calls its named parts, for messages
    first_row = 0  # rows of the file before this table's first (a slice of row groups)

    def read_size(self) -> tuple[float | None, str]:
        """How much a full read covers, for progress: (rows, "rows") or (bytes, "bytes")."""
        return (None if self.n_rows is None else float(self.n_rows)), "rows"

    def read_done(self, rows: int) -> float:
        """How much of ``read_size`` has been read once ``rows`` rows are handed out."""
        return float(rows)

    def read_labels(self, name: str) -> LabelArray:
        """One column, whole, as labels: text or numbers, nulls allowed."""
        return self._read_columns([name], frozenset([name]))[name]

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        raise NotImplementedError

    def read(self, selection: Selection, labels: Labels = NO_LABELS) -> dict[str, np.ndarray]:
        """Every selected input, whole."""
        return self._assemble(selection, self._read_columns(self._needed(selection), labels))

    def chunks(
        self, selection: Selection, chunk_rows: int, labels: Labels = NO_LABELS
    ) -> Iterator[dict[str, np.ndarray]]:
        """The selected inputs in consecutive pieces of about ``chunk_rows`` rows."""
        for piece in self._iter_columns(self._needed(selection), chunk_rows, labels):
            yield self._assemble(selection, piece)

    def _needed(self, selection: Selection) -> list[str]:
        names: dict[str, None] = {}  # ordered and O(1) to test: files may have 1e5 columns
        for columns in selection.values():
            names.update(dict.fromkeys(self.columns if columns is None else columns))
        return list(names)

    def _assemble(self, selection: Selection, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for input_name, columns in selection.items():
            names = self.columns if columns is None else list(columns)
            if len(names) == 1:
                out[input_name] = data[names[0]]
            else:
                parts = [data[n] for n in names]
                if any(p.ndim != 1 for p in parts):
                    raise InputError(
                        f"{self.display}: cannot put arrays {', '.join(names)} side by side; "
                        "select one multi-dimensional array or several 1-D ones"
                    )
                out[input_name] = side_by_side(parts)
        return out


def side_by_side(columns: list[np.ndarray]) -> np.ndarray:
    """1-D columns as the columns of an (N, k) array, laid out column by column (Fortran
    order): each column is one contiguous copy, and per-class kernels read it as it came."""
    return np.stack(columns).T


def check_numeric_dtype(dtype: np.dtype, where: str) -> None:
    if dtype.kind not in "biuf":
        what = "Python objects" if dtype.kind == "O" else f"values of dtype {dtype}"
        raise InputError(f"{where} holds {what}; expected numbers")


def slices(n: int, chunk_rows: int) -> Iterator[slice]:
    for start in range(0, n, chunk_rows):
        yield slice(start, min(start + chunk_rows, n))
