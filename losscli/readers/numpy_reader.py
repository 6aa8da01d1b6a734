"""NPY files through a memory map, NPZ archives by array name. Never unpickles."""

from __future__ import annotations

import tokenize
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from losscli.errors import InputError, column
from losscli.readers.base import (
    NO_LABELS,
    Labels,
    Selection,
    Table,
    check_numeric_dtype,
    slices,
)

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
# What a damaged file or archive member raises while NumPy reads it.
_DAMAGE = (
    ValueError,
    OSError,
    EOFError,
    SyntaxError,
    tokenize.TokenError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
)


def _object_error(display: str) -> InputError:
    return InputError(
        f"{display} holds Python objects (dtype object), which losscli never unpickles; "
        "save a numeric array instead"
    )


def _head(path: str, display: str, size: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise InputError(f"{display}: cannot read ({exc.strerror or exc})") from None


def _looks_like_text(head: bytes) -> bool:
    return all(32 <= b < 127 or b in (9, 10, 13) for b in head)


def _not_magic(display: str, head: bytes, what: str) -> InputError:
    if not head:
        return InputError(f"{display}: the file is empty; expected {what}")
    hint = "; it holds text: is it CSV? then name it .csv" if _looks_like_text(head) else ""
    return InputError(f"{display}: not {what} (it does not start with the right magic bytes{hint})")


def _npy_dtype(fh: Any) -> np.dtype:
    """The dtype in an .npy header, read without reading the data."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)[2]
    return np.lib.format.read_array_header_2_0(fh)[2]


def _load_npy(path: str, display: str) -> np.ndarray:
    head = _head(path, display, 64)
    if not head.startswith(NPY_MAGIC):
        raise _not_magic(display, head, "a .npy file")
    try:
        with open(path, "rb") as fh:
            dtype = _npy_dtype(fh)
    except _DAMAGE as exc:
        raise InputError(f"{display}: the .npy header is damaged ({_one_line(exc)})") from None
    if dtype.hasobject:
        raise _object_error(display)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except _DAMAGE as exc:
        raise InputError(f"{display}: a damaged .npy file ({_one_line(exc)})") from None
    if not isinstance(array, np.ndarray):
        raise InputError(f"{display}: not a .npy array")
    return array


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class NpyTable(Table):
    """One array; its first axis is the rows. It has no named columns."""

    def __init__(self, path: str, display: str) -> None:
        self.path = path
        self.display = display
        self.columns = []
        self.array = _load_npy(path, display)
        check_numeric_dtype(self.array.dtype, display)
        if self.array.ndim == 0:
            raise InputError(f"{display} holds a single number; expected an array with rows")
        self.n_rows = self.array.shape[0]

    def _whole(self, selection: Selection) -> None:
        for input_name, columns in selection.items():
            if columns is not None:
                raise InputError(
                    f"{self.display}: a .npy file has no named columns, so "
                    f"{column(input_name, ','.join(columns))} cannot select from it"
                )

    def read(self, selection: Selection, labels: Labels = NO_LABELS) -> dict[str, np.ndarray]:
        self._whole(selection)
        return {name: np.asarray(self.array) for name in selection}

    def chunks(
        self, selection: Selection, chunk_rows: int, labels: Labels = NO_LABELS
    ) -> Iterator[dict[str, np.ndarray]]:
        """Rows read into one reused buffer: memory stays at one chunk, unlike a memory map
        whose touched pages all count as resident. A piece is valid until the next one."""
        self._whole(selection)
        array = self.array
        n_rows = array.shape[0]
        if not array.flags.c_contiguous or not isinstance(array, np.memmap):
            for s in slices(n_rows, chunk_rows):
                piece = np.asarray(array[s])
                yield {name: piece for name in selection}
            return
        row_items = int(np.prod(array.shape[1:], dtype=np.int64))
        row_bytes = row_items * array.dtype.itemsize
        buffer = np.empty(min(chunk_rows, n_rows) * row_items, dtype=array.dtype)
        with open(self.path, "rb") as fh:
            fh.seek(array.offset)
            for s in slices(n_rows, chunk_rows):
                rows = s.stop - s.start
                view = buffer.data.cast("B")[: rows * row_bytes]
                if fh.readinto(view) != rows * row_bytes:
                    raise InputError(f"{self.display}: the file is shorter than its header says")
                piece = buffer[: rows * row_items].reshape((rows, *array.shape[1:]))
                yield {name: piece for name in selection}


class NpzTable(Table):
    """Named arrays; each is a column (1-D) or a whole multi-dimensional input."""

    column_word = "array"

    def __init__(self, path: str, display: str) -> None:
        self.display = display
        head = _head(path, display, 4)
        if not head.startswith(ZIP_MAGICS):
            raise _not_magic(display, head, "an .npz archive (a zip of .npy arrays)")
        try:
            self.archive = np.load(path, allow_pickle=False)
        except _DAMAGE as exc:
            raise InputError(f"{display}: a damaged .npz archive ({_one_line(exc)})") from None
        if not hasattr(self.archive, "files"):
            raise InputError(f"{display}: not an .npz archive")
        self.columns = list(self.archive.files)
        if not self.columns:
            raise InputError(f"{display}: the archive holds no arrays")
        self._cache: dict[str, np.ndarray] = {}

    def _array(self, name: str, label: bool) -> np.ndarray:
        where = f"{self.display} array '{name}'"
        if name not in self._cache:
            try:
                array = self.archive[name]
            except ValueError as exc:
                if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                    raise _object_error(where) from None
                raise InputError(f"{where} is damaged ({_one_line(exc)})") from None
            except _DAMAGE as exc:
                raise InputError(f"{where} is damaged ({_one_line(exc)})") from None
            if not isinstance(array, np.ndarray):
                raise InputError(f"{where} is not .npy data")
            if array.ndim == 0:
                raise InputError(f"{where} is a single number; expected rows")
            self._cache[name] = array
        array = self._cache[name]
        if not label:
            check_numeric_dtype(array.dtype, where)
        return array

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        data = {name: self._array(name, name in labels) for name in names}
        self.n_rows = max((len(a) for a in data.values()), default=0)
        return data

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        data = self._read_columns(names, labels)
        lengths = {len(a) for a in data.values()}
        if len(lengths) > 1:
            detail = ", ".join(f"'{k}' has {len(a)}" for k, a in data.items())
            raise InputError(f"{self.display}: arrays have different row counts: {detail}")
        n = lengths.pop() if lengths else 0
        for s in slices(n, chunk_rows):
            yield {name: a[s] for name, a in data.items()}
