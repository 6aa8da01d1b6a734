"""In-memory arrays behind the same interface as files, for library use and tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from losscli.readers.base import Table, slices


class ArrayTable(Table):
    def __init__(self, arrays: Mapping[str, np.ndarray], display: str = "<arrays>") -> None:
        self.display = display
        self.arrays = {name: np.asarray(a) for name, a in arrays.items()}
        self.columns = list(self.arrays)
        lengths = {len(a) for a in self.arrays.values()}
        self.n_rows = lengths.pop() if len(lengths) == 1 else None

    def _read_columns(self, names: list[str]) -> dict[str, np.ndarray]:
        return {name: self.arrays[name] for name in names}

    def _iter_columns(self, names: list[str], chunk_rows: int) -> Iterator[dict[str, np.ndarray]]:
        n = max(len(self.arrays[name]) for name in names)
        for s in slices(n, chunk_rows):
            yield {name: self.arrays[name][s] for name in names}
