"""Parquet files, read whole or streamed batch by batch with bounded memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from losscli.errors import InputError, option
from losscli.readers.arrow_columns import describe, is_numeric, to_numpy
from losscli.readers.base import Labels, Table


class ParquetTable(Table):
    """A Parquet file, or the rows of some of its row groups (``row_groups``, consecutive)."""

    def __init__(self, path: Any, display: str, row_groups: list[int] | None = None) -> None:
        self.display = display
        self.row_groups = row_groups
        try:
            self.file = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{display}: not a readable Parquet file ({exc})") from None
        self.schema = self.file.schema_arrow
        self.columns = list(self.schema.names)
        repeated = [(c, k) for c, k in Counter(self.columns).items() if k > 1]
        if repeated:
            raise InputError(
                f"{display}: the file names column '{repeated[0][0]}' {repeated[0][1]} times; "
                "column names must be unique"
            )
        metadata = self.file.metadata
        self.n_rows = metadata.num_rows
        if row_groups is not None:
            sizes = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
            self.n_rows = sum(sizes[g] for g in row_groups)
            self.first_row = sum(sizes[: row_groups[0]]) if row_groups else 0

    def _check(self, names: list[str], labels: Labels) -> None:
        for name in names:
            if name in labels:
                continue
            dtype = self.schema.field(name).type
            if not is_numeric(dtype):
                raise InputError(
                    f"{self.display} column '{name}' holds {describe(dtype)} values; "
                    f"expected numbers (select other columns with {option('columns')})"
                )

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        self._check(names, labels)
        try:
            if self.row_groups is None:
                table = self.file.read(columns=names)
            else:
                table = self.file.read_row_groups(self.row_groups, columns=names)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.display}: cannot read ({exc})") from None
        return {n: self._column(table.column(n), n, labels) for n in names}

    def _column(self, column: pa.Array | pa.ChunkedArray, name: str, labels: Labels) -> Any:
        if name in labels:
            return column
        return to_numpy(column, f"{self.display} column '{name}'")

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        self._check(names, labels)
        try:
            batches = self.file.iter_batches(
                batch_size=chunk_rows, columns=names, row_groups=self.row_groups
            )
            for batch in batches:
                yield {n: self._column(batch.column(n), n, labels) for n in names}
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.display}: cannot read ({exc})") from None
