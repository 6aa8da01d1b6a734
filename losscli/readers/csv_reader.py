"""CSV and TSV (plain or gzipped) through pyarrow's parser.

Streaming reads cut the file into blocks of whole rows (``csv_blocks``), each parsed on
every core and handed on before the next is read: as fast as parsing the file whole, in
bounded memory whatever its size. Whole reads (losses that need every row at once, group
labels) parse the file in one go. Any cell that is not a number is located exactly (file,
row, column) by a second, slow pass that only runs on failure.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from losscli.errors import InputError
from losscli.readers.arrow_columns import to_numpy
from losscli.readers.base import Labels, Table
from losscli.readers.csv_blocks import parse_blocks, row_blocks
from losscli.readers.csv_text import NULL_TOKENS, first_bad_cell, sniff

BLOCK_BYTES = 2 << 20  # a block of rows parsed at a time, a few in flight per core


def _drop_last(batches: Iterator[pa.RecordBatch], k: int) -> Iterator[pa.RecordBatch]:
    """The batches without their last ``k`` rows, holding back only what that needs."""
    if k == 0:
        yield from batches
        return
    held: list[pa.RecordBatch] = []
    for batch in batches:
        held.append(batch)
        while len(held) > 1 and sum(b.num_rows for b in held[1:]) >= k:
            yield held.pop(0)
    rows = sum(b.num_rows for b in held)
    keep = max(0, rows - k)
    for batch in held:
        if keep <= 0:
            break
        yield batch.slice(0, min(keep, batch.num_rows))
        keep -= batch.num_rows


class CsvTable(Table):
    block_bytes = BLOCK_BYTES
    bytes_read = 0  # of the file's body, as blocks are parsed (progress)

    def read_size(self) -> tuple[float | None, str]:
        return float(os.path.getsize(self.path)), "bytes"

    def read_done(self, rows: int) -> float:
        return float(self.bytes_read)

    def __init__(self, path: str, display: str, delimiter: str) -> None:
        self.path = path
        self.display = display
        self.delimiter = delimiter
        self.compressed = path.lower().endswith(".gz")
        self.header, self.file_columns = self._sniff()
        self.columns = list(self.file_columns)
        self.n_rows = None
        self.trailing_blank = self._trailing_blank_lines()
        # Quoted fields spanning lines (text labels) need a slower parse: tried on failure.
        self.newlines_in_values = False

    def _trailing_blank_lines(self) -> int:
        """Blank lines at the very end of the file: an editor's habit, not rows of data."""
        if self.compressed:
            return 0
        with open(self.path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(self.path) - 4096))
            tail = fh.read().replace(b"\r\n", b"\n")
        return max(0, len(tail) - len(tail.rstrip(b"\n")) - 1)

    def _bytes(self) -> Any:
        return gzip.open(self.path, "rb") if self.compressed else open(self.path, "rb")

    def _text(self) -> io.TextIOBase:
        return io.TextIOWrapper(self._bytes(), encoding="utf-8-sig", errors="replace", newline="")

    def _sniff(self) -> tuple[bool, list[str]]:
        try:
            with self._text() as fh:
                return sniff(fh, self.delimiter, self.display)
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise InputError(f"{self.display}: cannot read ({exc})") from None

    def _options(self, names: list[str], labels: Labels):
        read = pacsv.ReadOptions(
            column_names=self.file_columns,
            skip_rows=1 if self.header else 0,
            block_size=BLOCK_BYTES,
        )
        # A blank line is a row of missing values, not nothing: skipping it would pair every
        # later row with the wrong row of the other files.
        parse = pacsv.ParseOptions(
            delimiter=self.delimiter,
            ignore_empty_lines=False,
            newlines_in_values=self.newlines_in_values,
        )
        convert = pacsv.ConvertOptions(
            column_types={name: pa.string() if name in labels else pa.float64() for name in names},
            include_columns=names,
            null_values=sorted(NULL_TOKENS),
            strings_can_be_null=False,
        )
        return read, parse, convert

    def _read_table(self, names: list[str], labels: Labels) -> pa.Table:
        try:
            table = pacsv.read_csv(self.path, *self._options(names, labels))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            if self.newlines_in_values:
                raise self._locate_error(names, labels, exc) from None
            self.newlines_in_values = True
            return self._read_table(names, labels)
        except OSError as exc:
            raise InputError(f"{self.display}: cannot read ({exc})") from None
        table = table.slice(0, max(0, table.num_rows - self.trailing_blank))
        self.n_rows = table.num_rows
        return table

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        table = self._read_table(names, labels)
        return {name: self._column(table.column(name), name, labels) for name in names}

    def _column(self, column: pa.Array | pa.ChunkedArray, name: str, labels: Labels) -> Any:
        if name in labels:
            return column
        return to_numpy(column, self._where(name))

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        _, parse, convert = self._options(names, labels)
        quoted = pacsv.ParseOptions(
            delimiter=self.delimiter, ignore_empty_lines=False, newlines_in_values=True
        )
        self.bytes_read = 0
        rows = 0

        def count(size: int) -> None:
            self.bytes_read += size

        try:
            # Read, not memory-mapped: every page of a mapped file that is touched counts
            # as resident, so a map would report the whole file as this process's memory.
            with self._bytes() as stream:
                blocks = row_blocks(stream, self.block_bytes, self.header)
                tables = parse_blocks(blocks, self.file_columns, parse, quoted, convert, count)
                for table in _drop_last(tables, self.trailing_blank):
                    rows += table.num_rows
                    for batch in table.to_batches():  # zero-copy, one per parsed piece
                        yield {
                            name: self._column(batch.column(name), name, labels) for name in names
                        }
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise self._locate_error(names, labels, exc) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{self.display}: cannot read ({exc})") from None
        self.n_rows = rows

    def _where(self, name: str) -> str:
        return f"{self.display} column '{name}'"

    def _locate_error(self, names: list[str], labels: Labels, exc: Exception) -> InputError:
        """The first bad row, found by the slow csv module; else pyarrow's own words."""
        numeric = [n for n in names if n not in labels]
        with self._text() as fh:
            found = first_bad_cell(
                fh, self.delimiter, self.display, self.header, self.file_columns, numeric
            )
        return found or InputError(f"{self.display}: cannot parse ({exc})")
