"""Per-row values written as they stream in: CSV, NDJSON and JSON text, Parquet, Arrow IPC
and NPY files, and the terminal's table of the first and last rows.

Every writer is a ``RowSink`` (it receives each chunk's ids and value columns) and ends
with ``finish(records)``, given the results' metadata, returning notes for stderr. Numbers
are formatted by pyarrow's CSV writer (shortest text that reads back as the same float) at
native speed; memory stays bounded by the chunk size whatever the row count. A skipped row
is ``nan`` in CSV (an empty cell would be a blank line in a one-column file, which CSV
readers drop, and the rows would no longer line up), ``null`` in JSON, and a null in
Parquet and Arrow.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, Any, BinaryIO

import numpy as np
import pyarrow as pa

from losscli.errors import UsageError, option

ROW_FORMATS = {
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "json",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".npy": "npy",
}
BINARY = ("parquet", "arrow", "npy")


NPY_HEADER = 128  # bytes reserved for an .npy header (shape unknown until the end)


def format_of(path: str, given: str | None = None) -> str:
    """The output format a file name asks for, by its extension; a name without a known
    extension (``/dev/stdout``, a FIFO) takes the ``given`` format (``-o``)."""
    lower = path.lower()
    for extension, fmt in ROW_FORMATS.items():
        if lower.endswith(extension):
            return fmt
    if given is not None:
        return given
    known = ", ".join(ROW_FORMATS)
    raise UsageError(
        f"{option('out', path)}: name a file ending in one of {known} (or give the format with -o)"
    )


def column_names(name: str, values: np.ndarray) -> list[str]:
    """A value column's names in flat tables: ``mse``, or ``mse[0]``, ``mse[1]``, ...
    for the elements of a row (PyTorch's none on (N, D) inputs)."""
    if values.ndim == 1:
        return [name]
    return [f"{name}[{d}]" for d in range(int(np.prod(values.shape[1:])))]


def _flat(values: np.ndarray) -> list[np.ndarray]:
    if values.ndim == 1:
        return [values]
    flat = values.reshape(len(values), -1)
    return [flat[:, d] for d in range(flat.shape[1])]


def _floats(values: np.ndarray, nan_as_null: bool = True) -> pa.Array:
    """float64 values as an Arrow array (sharing their memory), NaN as null unless asked
    to keep it (CSV writes it as ``nan``)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(values)
    validity = None
    if nan_as_null and missing.any():
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(pa.float64(), len(values), [validity, pa.py_buffer(values)])


def _whole(values: np.ndarray) -> np.ndarray:
    """Which values are whole numbers (pyarrow writes them without a point or, from 1e10
    on, with an exponent: ``_with_points`` looks at the text)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values == np.trunc(values))


def _with_points(text: bytes, whole: np.ndarray) -> bytes | None:
    """CSV text whose cells ``whole`` (rows x cells) get ``.0`` appended unless their text
    has an exponent (``1e+16`` is a number as it is; ``1e+16.0`` is not); None when the
    cells cannot be told apart by commas (quoted text holding one)."""
    buf = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero((buf == 44) | (buf == 10))
    if len(ends) != whole.size:
        return None
    points = whole.reshape(-1).copy()
    points[np.searchsorted(ends, np.flatnonzero(buf == 101))] = False  # 'e'
    at = ends[points]
    point = np.tile(np.array([46, 48], dtype=np.uint8), len(at))
    return np.insert(buf, np.repeat(at, 2), point).tobytes()


def _ids(ids: Any) -> pa.Array:
    if isinstance(ids, pa.ChunkedArray):
        return ids.combine_chunks()
    if isinstance(ids, pa.Array):
        return ids
    array = np.asarray(ids)
    if array.dtype.kind == "O":
        return pa.array(array.tolist())
    return pa.array(array)


class _Writer:
    """What every writer shares: names, the id column, rows written."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.id_column: str | None = None
        self.rows = 0

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        self.names = list(names)
        self.id_column = id_column

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        self.rows += len(columns[0])

    def finish(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        return []

    def abort(self) -> None:
        """The run failed: let go of what is open, quietly (the output is discarded)."""


class _TableWriter(_Writer):
    """Parquet, Arrow IPC and CSV: a flat table written batch by batch."""

    def __init__(self, stream: BinaryIO, fmt: str) -> None:
        super().__init__()
        self.stream = stream
        self.fmt = fmt
        self.writer: Any = None
        self.schema: pa.Schema | None = None

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        super().write(ids, columns)
        arrays: list[pa.Array] = []
        names: list[str] = []
        if self.id_column is not None:
            arrays.append(_ids(ids))
            names.append(self.id_column)
        for name, values in zip(self.names, columns):
            names += column_names(name, values)
            arrays += [_floats(v, nan_as_null=self.fmt != "csv") for v in _flat(values)]
        batch = pa.RecordBatch.from_arrays(arrays, names=names)
        if self.writer is None:
            self._open(batch.schema)
        elif batch.schema != self.schema:
            batch = self._conform(batch)
        if self.fmt == "csv":
            self._write_csv(batch, columns)
        else:
            self.writer.write_batch(batch)

    def _write_csv(self, batch: pa.RecordBatch, columns: Sequence[np.ndarray]) -> None:
        """pyarrow's CSV text (the shortest digits, at native speed), with ``2.0`` (not ``2``)
        for whole numbers as Python, pandas and polars write them (``_with_points``, the rule
        ``number_texts`` follows too), so that readers keep the column's float type."""
        import pyarrow.csv as pacsv

        whole = [_whole(v.reshape(len(v), -1)) for v in columns]
        if not any(w.any() for w in whole):
            self.writer.write_batch(batch)
            return
        if self.id_column is not None:
            whole.insert(0, np.zeros((batch.num_rows, 1), dtype=bool))
        text = io.BytesIO()
        pacsv.write_csv(batch, text, pacsv.WriteOptions(include_header=False))
        fixed = _with_points(text.getvalue(), np.hstack(whole))
        if fixed is None:
            fixed = _python_csv(batch)
        self.stream.write(fixed)

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Ids of a later chunk in another type (all null, or ints then text): cast."""
        assert self.schema is not None
        try:
            return batch.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise UsageError(
                f"{option('id_column', self.id_column)}: the column changes type from "
                f"{self.schema.field(0).type} to {batch.schema.field(0).type} part way "
                "through; cast it in the file"
            ) from None

    def _open(self, schema: pa.Schema) -> None:
        if self.id_column is not None and pa.types.is_null(schema.field(0).type):
            schema = schema.set(0, pa.field(self.id_column, pa.string()))
        self.schema = schema
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            self.writer = pq.ParquetWriter(self.stream, schema)
        elif self.fmt == "arrow":
            self.writer = pa.ipc.new_file(self.stream, schema)
        else:
            import csv

            import pyarrow.csv as pacsv

            header = io.StringIO()
            csv.writer(header, lineterminator="\n").writerow(schema.names)
            self.stream.write(header.getvalue().encode())
            options = pacsv.WriteOptions(include_header=False)
            self.writer = pacsv.CSVWriter(self.stream, schema, write_options=options)

    def finish(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        if self.writer is None:  # no rows at all: the header alone
            names = [self.id_column] if self.id_column else []
            fields = [pa.field(n, pa.string()) for n in names]
            fields += [pa.field(n, pa.float64()) for n in self.names]
            self._open(pa.schema(fields))
        self.writer.close()
        return []

    def abort(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
            self.writer = None


def _python_csv(batch: pa.RecordBatch) -> bytes:
    """The slow, general way: Python's csv module and repr (ids holding commas)."""
    import csv

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    for row in zip(*(c.to_pylist() for c in batch.columns)):
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
    return text.getvalue().encode()


class _NpyWriter(_Writer):
    """One loss's values as a .npy array, (N,) or (N, D); the header is written last."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self.stream = stream
        self.shape: tuple[int, ...] | None = None

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        if len(names) > 1 or id_column is not None:
            what = "an id column" if id_column is not None else "several losses"
            raise UsageError(
                f"{option('out')}: an .npy file holds one array; for {what} write "
                ".parquet, .arrow or .csv"
            )
        super().start(names, id_column)
        self.stream.write(b"\0" * NPY_HEADER)

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        super().write(ids, columns)
        values = np.ascontiguousarray(columns[0], dtype="<f8")
        self.shape = self.shape or values.shape[1:]
        self.stream.write(values.tobytes())

    def finish(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        header = io.BytesIO()
        shape = (self.rows, *(self.shape or ()))
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": shape}
        )
        text = header.getvalue()
        if len(text) != NPY_HEADER:  # only for shapes with hundreds of digits
            raise UsageError(f"{option('out')}: cannot write an .npy of shape {shape}")
        self.stream.seek(0)
        self.stream.write(text)
        return []


class _Texts:
    """Numbers and ids as JSON text, one string per row, by pyarrow at native speed."""

    def __init__(self) -> None:
        self.nonfinite = 0
        self.first_nonfinite: str | None = None

    def numbers(self, values: np.ndarray, where: str, start: int) -> pa.Array:
        """One JSON text per row: a number (``2.0`` keeps its point), ``null`` for NaN
        and infinities, or ``[a, b]`` for a row's elements."""
        flat: np.ndarray = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        infinite = np.isinf(flat)
        if infinite.any():
            self.nonfinite += int(infinite.sum())
            if self.first_nonfinite is None:
                per_row = flat.size // max(len(values), 1)
                self.first_nonfinite = (
                    f"{where} row {start + int(np.argmax(infinite)) // per_row + 1}"
                )
            flat = np.where(infinite, np.nan, flat)
        texts = number_texts(flat)
        if values.ndim == 1:
            return texts
        width = flat.size // max(len(values), 1)
        bounds = np.arange(0, flat.size + 1, width, dtype=np.int32)
        offsets = pa.Array.from_buffers(pa.int32(), len(bounds), [None, pa.py_buffer(bounds)])
        import pyarrow.compute as pc

        rows = pc.binary_join(pa.ListArray.from_arrays(offsets, texts), repeated(", ", len(values)))
        return joined(["[", rows, "]"], len(rows))

    def notes(self) -> list[str]:
        if not self.nonfinite:
            return []
        return [
            f"JSON cannot hold infinities: wrote null for {self.nonfinite} value"
            f"{'s' if self.nonfinite > 1 else ''}, the first at {self.first_nonfinite}"
        ]


def number_texts(values: np.ndarray, missing: str = "null") -> pa.Array:
    """Each number as JSON and NDJSON write it: pyarrow's shortest text that reads back as the
    same float64, with ``.0`` after a whole number written without an exponent
    (``_with_points``, as the CSV writer does), ``missing`` for NaN, ``inf``/``-inf`` as is.

    >>> number_texts(np.array([2.0, 1e16, -0.0, 0.1, 5e-324, np.nan])).to_pylist()
    ['2.0', '1e+16', '-0.0', '0.1', '5e-324', 'null']
    """
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    values = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    out = io.BytesIO()
    column = pa.RecordBatch.from_arrays([_floats(values, nan_as_null=False)], names=["v"])
    pacsv.write_csv(column, out, pacsv.WriteOptions(include_header=False))
    data = _with_points(out.getvalue(), _whole(values)) or b""  # one column: no commas
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    offsets = np.empty(len(ends) + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = ends + 1
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))
    texts = pc.utf8_slice_codeunits(lines, 0, -1)  # without the line ends
    if missing != "nan" and np.isnan(values).any():
        # An option, not a Python scalar: pyarrow imports pandas to convert those.
        texts = pc.replace_substring_regex(texts, pattern="^-?nan$", replacement=missing)
    return texts


def repeated(text: str, n: int) -> pa.Array:
    """``text`` n times as a string array (built from buffers: ``pa.scalar`` and ``pa.array``
    of Python values import pandas, a third of a second of start-up)."""
    data = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data * n))


def joined(parts: Sequence[pa.Array | str], n: int) -> pa.Array:
    """Each row's parts concatenated (arrays of n texts, or one text for every row)."""
    import pyarrow.compute as pc

    arrays = [repeated(p, n) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*arrays, repeated("", n))


def _id_texts(ids: Any) -> pa.Array:
    """Each id as JSON text: numbers as they are, text quoted and escaped, null."""
    import pyarrow.compute as pc

    array = _ids(ids)
    if pa.types.is_floating(array.type):
        return number_texts(np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64))
    if pa.types.is_integer(array.type) or pa.types.is_boolean(array.type):
        texts = pc.cast(array, pa.string())
        return pc.fill_null(pc.ascii_lower(texts), "null")
    text = pc.cast(array, pa.string())
    plain = not pc.any(pc.match_substring_regex(text, r'["\\\x00-\x1f]')).as_py()
    if plain:
        quoted = pc.binary_join_element_wise('"', text, '"', "")
        return pc.fill_null(quoted, "null")
    return pa.array([json.dumps(v) for v in text.to_pylist()], type=pa.string())


def _string_data(texts: pa.Array) -> memoryview:
    """The bytes of a string array's values, back to back."""
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if texts.offset or texts.null_count:
        texts = pa.array(texts.to_pylist(), type=pa.string())
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)
    data = texts.buffers()[2]
    return memoryview(data)[offsets[0] : offsets[len(texts)]] if data else memoryview(b"")


class _NdjsonWriter(_Writer):
    """One JSON object a row: ``{"id": ..., "mse": 0.5}``."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self.stream = stream
        self.texts = _Texts()

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        start = self.rows
        super().write(ids, columns)
        keys = ([self.id_column] if self.id_column is not None else []) + self.names
        parts: list[Any] = []
        values = [_id_texts(ids)] if self.id_column is not None else []
        values += [self.texts.numbers(v, n, start) for n, v in zip(self.names, columns)]
        for position, (key, text) in enumerate(zip(keys, values)):
            parts += [("{" if position == 0 else ", ") + json.dumps(key) + ": ", text]
        self.stream.write(_string_data(joined([*parts, "}\n"], len(columns[0]))))

    def finish(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        return self.texts.notes()


class _JsonWriter(_Writer):
    """``{"results": [{..., "values": [...]}]}``, every loss's values spooled to an
    anonymous temporary file until the run ends, when the document is written whole."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self.stream = stream
        self.texts = _Texts()
        self.spools: list[IO[bytes]] = []

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        super().start(names, id_column)
        count = len(names) + (id_column is not None)
        self.spools = [tempfile.TemporaryFile() for _ in range(count)]

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        start = self.rows
        super().write(ids, columns)
        texts = [_id_texts(ids)] if self.id_column is not None else []
        texts += [self.texts.numbers(v, n, start) for n, v in zip(self.names, columns)]

        for spool, text in zip(self.spools, texts):
            if start:
                spool.write(b", ")
            spool.write(_string_data(joined([text, ", "], len(text))))
            spool.seek(-2, 2)
            spool.truncate()

    def finish(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        from losscli.render.jsonout import Encoder

        encoder = Encoder()
        spools = iter(self.spools)
        out = self.stream
        out.write(b"{")
        if self.id_column is not None:
            out.write(f'"id_column": {json.dumps(self.id_column)}, "ids": ['.encode())
            self._copy(next(spools))
            out.write(b"], ")
        out.write(b'"results": [')
        for position, record in enumerate(records):
            head = {k: v for k, v in record.items() if k not in ("value", "values")}
            text = encoder.encode(head, f"results[{position}]")
            out.write(((", " if position else "") + text[:-1] + ', "values": [').encode())
            self._copy(next(spools))
            out.write(b"]}")
        out.write(b"]}\n")
        return encoder.notes() + self.texts.notes()

    def _copy(self, spool: IO[bytes]) -> None:
        import shutil

        spool.seek(0)
        shutil.copyfileobj(spool, self.stream, 1 << 20)
        spool.close()


class HeadAndTail(_Writer):
    """The first and last ``keep`` rows, for the terminal's table."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep
        self.head: list[tuple[int, list[Any]]] = []
        self.tail: list[tuple[int, list[Any]]] = []

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        start = self.rows
        super().write(ids, columns)
        n = len(columns[0])
        wanted = set(range(max(0, min(n, self.keep - start)))) | set(
            range(max(0, n - self.keep), n)
        )
        id_list = None if ids is None else _ids(ids)
        for i in sorted(wanted):
            row = [id_list[i].as_py()] if id_list is not None else []
            row += [column[i] for column in columns]
            (self.head if start + i < self.keep else self.tail).append((start + i, row))
        self.tail = self.tail[-self.keep :]

    def shown(self) -> list[tuple[int, list[Any]]]:
        """(row index, cells) of the rows to show, in order."""
        return self.head + self.tail


def row_writer(fmt: str, stream: BinaryIO) -> Any:
    """The writer of per-row values in ``fmt`` onto ``stream``."""
    if fmt in ("csv", "parquet", "arrow"):
        return _TableWriter(stream, fmt)
    if fmt == "npy":
        return _NpyWriter(stream)
    if fmt == "ndjson":
        return _NdjsonWriter(stream)
    if fmt == "json":
        return _JsonWriter(stream)
    raise ValueError(fmt)
