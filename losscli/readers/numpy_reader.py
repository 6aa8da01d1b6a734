"""NPY files through a memory map, NPZ archives by array name. Never unpickles."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

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


def _object_error(display: str) -> InputError:
    return InputError(
        f"{display} holds Python objects (dtype object), which losscli never unpickles; "
        "save a numeric array instead"
    )


class NpyTable(Table):
    """One array; its first axis is the rows. It has no named columns."""

    def __init__(self, path: str, display: str) -> None:
        self.path = path
        self.display = display
        self.columns = []
        try:
            self.array = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            if "object" in str(exc).lower() or "pickle" in str(exc).lower():
                raise _object_error(display) from None
            raise InputError(f"{display}: not a valid .npy file ({exc})") from None
        except OSError as exc:
            raise InputError(f"{display}: cannot read ({exc})") from None
        if not isinstance(self.array, np.ndarray):
            raise InputError(f"{display}: not a .npy array")
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
        try:
            self.archive = np.load(path, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise InputError(f"{display}: not a valid .npz archive ({exc})") from None
        if not hasattr(self.archive, "files"):
            raise InputError(f"{display}: not an .npz archive")
        self.columns = list(self.archive.files)
        if not self.columns:
            raise InputError(f"{display}: the archive holds no arrays")
        self._cache: dict[str, np.ndarray] = {}

    def _array(self, name: str, label: bool) -> np.ndarray:
        if name not in self._cache:
            try:
                array = self.archive[name]
            except ValueError:
                raise _object_error(f"{self.display} array '{name}'") from None
            if array.ndim == 0:
                raise InputError(f"{self.display} array '{name}' is a single number; expected rows")
            self._cache[name] = array
        array = self._cache[name]
        if not label:
            check_numeric_dtype(array.dtype, f"{self.display} array '{name}'")
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
