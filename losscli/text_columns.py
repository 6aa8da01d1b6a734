"""Columns of text built with NumPy on bytes: the one number formatter of the text writers
(CSV, NDJSON, JSON) and the joining of cells into rows.

``Texts`` are n strings back to back (``data``) with their bounds (``offsets``, n + 1). Only
``pyarrow.csv`` is used, to write each float's digits; not ``pyarrow.compute``, ``pa.scalar``
or ``pa.array`` of Python values (the first costs 30 ms to import, the others import pandas,
a third of a second), so that per-row output starts about as fast as a reduced value.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.records import record

_NOT_DIGIT = np.ones(256, dtype=bool)
_NOT_DIGIT[list(b"0123456789-\n")] = False


@record
class Cells:
    """Row i's bytes are ``data[starts[i] : starts[i] + lengths[i]]``."""

    data: np.ndarray  # uint8
    starts: np.ndarray  # int64
    lengths: np.ndarray  # int64


@record
class Texts:
    data: np.ndarray  # uint8
    offsets: np.ndarray  # int64, n + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def cells(self) -> Cells:
        return Cells(self.data, self.offsets[:-1], np.diff(self.offsets))

    def bytes(self) -> bytes:
        return self.data[self.offsets[0] : self.offsets[-1]].tobytes()

    def tolist(self) -> list[str]:
        raw = self.data.tobytes()
        bounds = self.offsets.tolist()
        return [raw[a:b].decode() for a, b in zip(bounds[:-1], bounds[1:])]

    @staticmethod
    def of_arrow(strings: Any) -> Texts:
        """A pyarrow string array without nulls as ``Texts``."""
        import pyarrow as pa

        if isinstance(strings, pa.ChunkedArray):
            strings = strings.combine_chunks()
        n = len(strings)
        buffers = strings.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int32)[strings.offset :][: n + 1]
        data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.empty(0, np.uint8)
        return Texts(data, offsets.astype(np.int64))


Segment = Texts | Cells | str | tuple[str, np.ndarray]


def joined(segments: Sequence[Segment], n: int) -> Texts:
    """Row i of each segment, concatenated in order: the i-th cell of ``Texts`` or ``Cells``,
    the text itself for a ``str``, and for ``(text, mask)`` the text where ``mask[i]``."""
    parts: list[Cells] = []
    for segment in segments:
        if isinstance(segment, Texts):
            parts.append(segment.cells())
        elif isinstance(segment, Cells):
            parts.append(segment)
        else:
            text, mask = segment if isinstance(segment, tuple) else (segment, None)
            data = np.frombuffer(text.encode(), dtype=np.uint8)
            lengths = np.full(n, len(data), dtype=np.int64)
            if mask is not None:
                lengths *= np.asarray(mask, dtype=np.int64)
            parts.append(Cells(data, np.zeros(n, dtype=np.int64), lengths))
    offsets = np.zeros(n + 1, dtype=np.int64)
    for part in parts:
        offsets[1:] += part.lengths
    np.cumsum(offsets, out=offsets)
    out = np.empty(int(offsets[-1]), dtype=np.uint8)
    position = offsets[:-1].copy()
    for part in parts:
        total = int(part.lengths.sum())
        if total:
            before = np.cumsum(part.lengths) - part.lengths  # its bytes in earlier rows
            source = np.arange(total) + np.repeat(part.starts - before, part.lengths)
            out[source + np.repeat(position - part.starts, part.lengths)] = part.data[source]
        position += part.lengths
    return Texts(out, offsets)


def number_texts(values: np.ndarray, missing: str = "null") -> Texts:
    """The one number formatter of the text writers: the shortest text that reads back as
    the same float64 (pyarrow's, at native speed), with ``.0`` added to a text that is all
    digits (``2.0``, so that readers see a float; never after an exponent: ``1e+16`` is a
    JSON number as it is), ``missing`` for NaN, ``inf`` and ``-inf`` as they are.

    >>> number_texts(np.array([2.0, 1e16, -0.0, 0.1, 5e-324, np.nan])).tolist()
    ['2.0', '1e+16', '-0.0', '0.1', '5e-324', 'null']
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    values = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    n = len(values)
    if not n:
        return Texts(np.empty(0, np.uint8), np.zeros(1, np.int64))
    column = pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(values)])
    out = io.BytesIO()
    batch = pa.RecordBatch.from_arrays([column], names=["v"])
    pacsv.write_csv(batch, out, pacsv.WriteOptions(include_header=False))
    data = np.frombuffer(out.getbuffer(), dtype=np.uint8)
    ends = np.flatnonzero(data == 10)  # one line a value
    starts = np.zeros(n, dtype=np.int64)
    starts[1:] = ends[:-1] + 1
    marked = np.zeros(n, dtype=bool)  # holds a point, an exponent, 'nan' or 'inf'
    marked[np.searchsorted(ends, np.flatnonzero(_NOT_DIGIT[data]))] = True
    nan = np.isnan(values)
    digits = Cells(data, starts, np.where(nan, 0, ends - starts))
    return joined([digits, (".0", ~marked), (missing, nan)], n)
