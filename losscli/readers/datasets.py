"""Inputs made of many files: a directory, a glob or a hive-partitioned dataset, local or on
any filesystem fsspec knows (``s3://``, ``gs://``, ``memory://``, ...).

``discover`` finds the files (sorted by path) and the partition values their paths hold
(``date=2026-11-01/part-0.parquet``); ``DatasetTable`` reads them as one table, the
partition keys becoming columns. Parquet goes through pyarrow's dataset reader file by file,
each decoded on every core with a few batches read ahead (bounded memory); CSV files go one
after another through the CSV reader, which parses each on every core.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from typing import Any

import numpy as np

from losscli.errors import InputError, option
from losscli.formats import GLOB_CHARACTERS
from losscli.readers.base import Labels, Table
from losscli.records import record

_DATASET_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".csv.gz": "csv"}
_DATASET_FORMATS |= {".tsv": "tsv", ".tsv.gz": "tsv"}


def is_url(path: str) -> bool:
    return "://" in path


def is_dataset(path: str) -> bool:
    """Whether ``path`` names many files (a directory or a glob) or a file elsewhere (a URL)."""
    if path == "-":
        return False
    return is_url(path) or bool(GLOB_CHARACTERS & set(path)) or os.path.isdir(path)


@record(frozen=True)
class DataFile:
    """One file of a dataset: where it is, its path below the dataset's base and its partition
    values (``{"date": "2026-11-01"}``)."""

    path: str
    relative: str
    keys: dict[str, Any]


@record(frozen=True)
class Dataset:
    display: str
    format: str
    files: list[DataFile]
    filesystem: Any  # an fsspec filesystem for URLs; None for local paths
    base: str  # the directory partition paths start from

    def file_table(self, file: DataFile) -> Table:
        return keyed_file(file, self.format, self.filesystem)


def keyed_file(
    file: DataFile,
    fmt: str,
    filesystem: Any,
    display: str | None = None,
    row_groups: list[int] | None = None,
) -> Table:
    """One file of a dataset (or some of its row groups) as a table, its partition values
    as columns."""
    return KeyedTable(open_file(file.path, fmt, filesystem, display, row_groups), file.keys)


def _format_of(path: str, forced: str | None) -> str | None:
    lowered = path.lower()
    for ext in sorted(_DATASET_FORMATS, key=len, reverse=True):
        if lowered.endswith(ext):
            return _DATASET_FORMATS[ext]
    return forced


def _filesystem(path: str) -> tuple[Any, str]:
    """The fsspec filesystem for a URL and the path within it; (None, path) when local."""
    if not is_url(path) or path.startswith("file://"):
        return None, path[len("file://") :] if path.startswith("file://") else path
    try:
        import fsspec
    except ImportError:
        raise InputError(
            f"{path}: reading URLs needs fsspec (pip install fsspec, and the filesystem's "
            "package: s3fs for s3://, gcsfs for gs://)"
        ) from None
    try:
        filesystem, inner = fsspec.core.url_to_fs(path)
    except (ImportError, ValueError) as exc:
        raise InputError(f"{path}: no filesystem for this URL ({exc})") from None
    return filesystem, inner


def _base(pattern: str) -> str:
    """The directory a glob's files are found under: its part before the first wildcard."""
    parts = pattern.rstrip("/").split("/")
    fixed = []
    for part in parts:
        if GLOB_CHARACTERS & set(part):
            break
        fixed.append(part)
    return "/".join(fixed)


def _list(path: str, filesystem: Any) -> tuple[list[str], str]:
    """Every file the path names (sorted) and the base their partition paths start from."""
    if filesystem is None:
        exists, isdir = os.path.exists, os.path.isdir

        def walk(directory: str) -> list[str]:
            return [
                os.path.join(root, name) for root, _, names in os.walk(directory) for name in names
            ]

        def expand(pattern: str) -> list[str]:
            import glob

            return glob.glob(pattern)
    else:
        exists, isdir = filesystem.exists, filesystem.isdir

        def walk(directory: str) -> list[str]:
            return list(filesystem.find(directory))

        def expand(pattern: str) -> list[str]:
            return list(filesystem.glob(pattern))

    if GLOB_CHARACTERS & set(path):
        base = _base(path)
        files = []
        for match in expand(path.rstrip("/")):
            files += walk(match) if isdir(match) else [match]
        if not files:
            raise InputError(f"{path}: no file matches")
        return sorted(files), base
    if not exists(path):
        raise InputError(f"{path}: no such file or directory")
    if isdir(path):
        return sorted(walk(path)), path
    return [path], posixpath.dirname(path)


def _regular(name: str) -> bool:
    import stat

    try:
        return stat.S_ISREG(os.stat(name).st_mode)
    except OSError:
        return False


def _hidden(relative: str) -> bool:
    """Files Spark, Hadoop and Dask write beside the data (_SUCCESS, .crc, _metadata)."""
    return any(part.startswith(("_", ".")) for part in relative.split("/"))


def _partition_value(text: str) -> Any:
    """A partition value as pyarrow's hive discovery types it: an integer, else text."""
    try:
        value = int(text)
    except ValueError:
        return text
    return value if -(2**31) <= value < 2**31 else text


def discover(path: str, forced_format: str | None = None) -> Dataset:
    """The files ``path`` names and the partition values in their paths."""
    from urllib.parse import unquote

    filesystem, inner = _filesystem(path)
    found, base = _list(inner, filesystem)
    files: list[DataFile] = []
    formats: dict[str, str] = {}
    for name in found:
        relative = posixpath.relpath(name.replace(os.sep, "/"), base.replace(os.sep, "/"))
        relative = posixpath.basename(name) if relative.startswith("..") else relative
        if _hidden(relative) and name != inner:  # a file named directly is read whatever its name
            continue
        fmt = _format_of(name, forced_format)
        if fmt is None:
            continue
        if filesystem is None and name != inner and not _regular(name):
            raise InputError(
                f"{path}: {relative} is not a regular file (a FIFO, socket or device, which "
                "could wait for a writer forever); a dataset holds regular files only"
            )
        formats.setdefault(fmt, name)
        keys = {}
        for part in relative.split("/")[:-1]:
            if "=" in part:
                key, _, value = part.partition("=")
                keys[key] = _partition_value(unquote(value))
        files.append(DataFile(name, relative, keys))
    if not files:
        raise InputError(
            f"{path}: no data files (.parquet, .csv, .tsv, optionally .gz) found; give "
            f"{option('format')} for files without those extensions"
        )
    if len(formats) > 1:
        shown = ", ".join(f"{fmt} ({example})" for fmt, example in formats.items())
        raise InputError(f"{path}: holds files of several formats ({shown}); give one format")
    partition_columns = list(dict.fromkeys(k for f in files for k in f.keys))
    for key in partition_columns:  # one type a column: text as soon as one value is text
        if any(isinstance(f.keys.get(key), str) for f in files):
            for f in files:
                if key in f.keys:
                    f.keys[key] = str(f.keys[key])
    for file in files:
        missing = [k for k in partition_columns if k not in file.keys]
        if missing:
            raise InputError(
                f"{path}: {file.relative} has no '{missing[0]}=' partition in its path, "
                "other files do"
            )
    return Dataset(path, next(iter(formats)), files, filesystem, base)


def open_file(
    path: str,
    fmt: str,
    filesystem: Any,
    display: str | None = None,
    row_groups: list[int] | None = None,
) -> Table:
    """One data file, local or on ``filesystem`` (CSV from elsewhere is copied locally)."""
    if display is None:
        display = path if filesystem is None else filesystem.unstrip_protocol(path)
    if fmt == "parquet":
        from losscli.readers.parquet_reader import ParquetTable

        source: Any = path if filesystem is None else filesystem.open(path, "rb")
        return ParquetTable(source, display, row_groups)
    from losscli.readers.csv_reader import CsvTable

    local = path
    if filesystem is not None:
        from losscli.tempfiles import spool

        with filesystem.open(path, "rb") as stream:
            local = spool(stream, prefix="losscli-remote-")
    return CsvTable(local, display, delimiter="\t" if fmt == "tsv" else ",")


class KeyedTable(Table):
    """A file's table with its partition values as constant columns."""

    def __init__(self, inner: Table, keys: dict[str, Any]) -> None:
        self.inner = inner
        self.keys = keys
        self.display = inner.display
        self.columns = [*inner.columns, *(k for k in keys if k not in inner.columns)]
        self.n_rows = inner.n_rows
        self.column_word = inner.column_word
        self.first_row = inner.first_row

    def read_size(self) -> tuple[float | None, str]:
        return self.inner.read_size()

    def read_done(self, rows: int) -> float:
        return self.inner.read_done(rows)

    def _constant(self, name: str, n: int, labels: Labels) -> Any:
        value = self.keys[name]
        if isinstance(value, int):
            return np.full(n, value, dtype=np.int64)
        if name not in labels:
            raise InputError(
                f"{self.display}: partition column '{name}' holds text ({value!r}); "
                "expected numbers"
            )
        import pyarrow as pa

        indices = pa.array(np.zeros(n, dtype=np.int32))
        return pa.DictionaryArray.from_arrays(indices, pa.array([value], type=pa.string()))

    def _split(self, names: list[str]) -> tuple[list[str], list[str]]:
        own = [n for n in names if n not in self.keys or n in self.inner.columns]
        return own, [n for n in names if n not in own]

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        own, keyed = self._split(names)
        data = self.inner._read_columns(own, labels) if own else {}
        n = len(next(iter(data.values()))) if data else int(self.n_rows or 0)
        return {
            name: data[name] if name in data else self._constant(name, n, labels) for name in names
        }

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        own, keyed = self._split(names)
        if not own:  # only partition values: the row count comes from any one column
            own = self.inner.columns[:1]
        for piece in self.inner._iter_columns(own, chunk_rows, labels):
            n = len(next(iter(piece.values())))
            yield {
                name: piece[name] if name in piece else self._constant(name, n, labels)
                for name in names
            }


class DatasetTable(Table):
    """Every file of a dataset read as one table, in path order."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.display = dataset.display
        self._first = dataset.file_table(dataset.files[0])
        self.columns = self._first.columns
        self.column_word = self._first.column_word
        self._scanner: Any = None
        if dataset.format == "parquet":
            self._scanner = self._parquet_dataset()
            if dataset.filesystem is None:  # remote footers cost a request each: not up front
                self.n_rows = sum(f.metadata.num_rows for f in self._scanner.get_fragments())

    def _parquet_dataset(self) -> Any:
        import pyarrow as pa
        import pyarrow.dataset as ds

        filesystem = None
        if self.dataset.filesystem is not None:
            from pyarrow.fs import FSSpecHandler, PyFileSystem

            filesystem = PyFileSystem(FSSpecHandler(self.dataset.filesystem))
        paths = [f.path for f in self.dataset.files]
        keys = self.dataset.files[0].keys
        text = pa.dictionary(pa.int32(), pa.string())  # text values come encoded: no hashing
        fields = [(k, pa.int32() if isinstance(v, int) else text) for k, v in keys.items()]
        values = {
            k: pa.array(sorted({str(f.keys[k]) for f in self.dataset.files}), type=pa.string())
            for k, v in keys.items()
            if not isinstance(v, int)
        }
        partitioning = None
        if fields:
            partitioning = ds.HivePartitioning(pa.schema(fields), dictionaries=values)
        try:
            parquet = ds.dataset(
                paths,
                format="parquet",
                filesystem=filesystem,
                partitioning=partitioning,
                partition_base_dir=self.dataset.base,
            )
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.display}: not a readable Parquet dataset ({exc})") from None
        return parquet

    def _tables(self) -> Iterator[Table]:
        yield self._first
        for file in self.dataset.files[1:]:
            yield self.dataset.file_table(file)

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        pieces = list(self._iter_columns(names, 1 << 62, labels))
        return {name: _concatenate([p[name] for p in pieces]) for name in names}

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        if self._scanner is None:  # CSV: file by file, each parsed on every core
            for table in self._tables():
                yield from table._iter_columns(names, chunk_rows, labels)
            return
        yield from self._scan(names, chunk_rows, labels)

    def _scan(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:

        from losscli.readers.arrow_columns import describe, is_numeric, to_numpy

        schema = self._scanner.schema
        for name in names:
            dtype = schema.field(name).type
            if name not in labels and not is_numeric(dtype):
                raise InputError(
                    f"{self.display} column '{name}' holds {describe(dtype)} values; "
                    f"expected numbers (select other columns with {option('columns')})"
                )
        # File by file, each decoded on every core, with a thread reading a few batches
        # ahead across files (object storage latency overlaps the work): pyarrow's own
        # whole-dataset scan keeps reading ahead while a slow consumer (many groups) works,
        # and its memory grows with the number of files.
        for path, batch in read_ahead(self._batches(schema, names, chunk_rows), READ_AHEAD):
            yield {
                n: batch.column(n)
                if n in labels
                else to_numpy(batch.column(n), f"{path} column '{n}'")
                for n in names
            }

    def _batches(self, schema: Any, names: list[str], chunk_rows: int) -> Iterator[Any]:
        import pyarrow as pa

        for fragment in self._scanner.get_fragments():
            try:
                batches = fragment.to_batches(
                    schema=schema,
                    columns=names,
                    batch_size=min(chunk_rows, 1 << 30),
                    use_threads=True,
                    batch_readahead=2,
                )
                for batch in batches:
                    yield fragment.path, batch
            except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
                raise InputError(f"{fragment.path}: cannot read ({exc})") from None


READ_AHEAD = 4  # batches a reading thread keeps ready


def read_ahead(items: Iterator[Any], depth: int) -> Iterator[Any]:
    """``items`` produced by a background thread, at most ``depth`` ahead of the consumer;
    its exceptions re-raised here. Stopping early (an error, a closed generator) stops it."""
    import queue
    import threading

    ready: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            ready.put(("error", exc))

    thread = threading.Thread(target=produce, name="losscli-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def _concatenate(parts: list[Any]) -> Any:
    if parts and not isinstance(parts[0], np.ndarray):
        import pyarrow as pa

        return pa.chunked_array(parts).combine_chunks()
    return np.concatenate(parts) if parts else np.empty(0)
