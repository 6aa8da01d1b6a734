"""Label columns (group names and join keys) as read: text or numbers, made comparable."""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

from losscli.errors import InputError


def _is_arrow(column: Any) -> bool:
    """Whether ``column`` came from pyarrow (checked without importing it for NumPy input)."""
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(column, (pa.Array, pa.ChunkedArray))


def encode(column: Any) -> tuple[np.ndarray, list[Any]]:
    """Integer codes per row and the distinct labels they index (None for a missing label)."""
    if _is_arrow(column):
        import pyarrow as pa
        import pyarrow.compute as pc

        from losscli.readers.arrow_columns import to_numpy

        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_integer(column.type) and not column.null_count:
            return encode(to_numpy(column, "labels"))  # NumPy's path: a table lookup
        if pa.types.is_dictionary(column.type) and not column.null_count:
            # Already encoded (partition values): the codes as they are, no hashing.
            labels = [None if _blank(v) else v for v in column.dictionary.to_pylist()]
            codes = np.asarray(to_numpy(column.indices, "labels"), dtype=np.int64)
            return codes, labels
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            # An empty cell is a missing label, as a null in Parquet is.
            blank = pc.equal(pc.utf8_trim_whitespace(column), "")
            column = pc.if_else(blank, pa.scalar(None, column.type), column)
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        codes = np.asarray(to_numpy(encoded.indices, "labels"), dtype=np.int64)
        return codes, encoded.dictionary.to_pylist()
    array = np.asarray(column)
    if array.dtype.kind == "f" and np.isnan(array).any():
        missing = np.isnan(array)
        codes = np.empty(len(array), dtype=np.int64)
        uniques, codes[~missing] = np.unique(array[~missing], return_inverse=True)
        codes[missing] = len(uniques)
        return codes, [*uniques.tolist(), None]
    if array.dtype.kind in "iu" and array.ndim == 1 and len(array):
        low, high = int(array.min()), int(array.max())
        if low == high:  # one label (a partition's value)
            return np.zeros(len(array), dtype=np.int64), [low]
        if high - low <= max(1 << 16, 4 * len(array)):  # a table lookup instead of a sort
            offsets = (array - low).astype(np.int64, copy=False)
            present = np.bincount(offsets, minlength=high - low + 1) > 0
            lookup = np.cumsum(present) - 1
            return lookup[offsets], (np.flatnonzero(present) + low).tolist()
    uniques, codes = np.unique(array, return_inverse=True)
    return codes.astype(np.int64, copy=False), uniques.tolist()


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


# A number as a key: no superfluous leading zeros ("001" is an identifier, not 1).
_NUMBER = re.compile(r"^\s*[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$")


def _numeric_keys(texts: np.ndarray, where: str) -> np.ndarray | None:
    """Text keys as numbers when every one is written as a number; else None."""
    if not all(_NUMBER.match(t) for t in texts.tolist()):
        return None
    values = texts.astype(np.float64)
    return _integral(values, where)


def _integral(values: np.ndarray, where: str) -> np.ndarray:
    """Whole-number keys as int64 (so 1.0 and 1 are the same key), others as floats."""
    missing = ~np.isfinite(values)
    if missing.any():
        raise InputError(f"{where}: row {int(np.argmax(missing)) + 1} has no key")
    whole = values == np.round(values)
    if whole.all() and (np.abs(values) < 2.0**62).all():
        return values.astype(np.int64)
    return values


def tidy(labels: list[Any]) -> list[Any]:
    """Labels read as text become numbers when every one of them is a number (CSV columns)."""
    present = [v for v in labels if v is not None]
    if not present or not all(isinstance(v, str) for v in present):
        return [int(v) if isinstance(v, float) and v.is_integer() else v for v in labels]
    for convert in (int, float):
        try:
            converted = [None if v is None else convert(v) for v in labels]
        except ValueError:
            continue
        if len(set(converted)) == len(labels):
            return converted
    return labels


def sort_key(label: Any) -> tuple[int, Any]:
    """Numbers in order, then text, then the missing label last."""
    if label is None:
        return (2, "")
    if isinstance(label, (int, float)) and not isinstance(label, bool):
        return (0, label)
    return (1, str(label))


def keys(column: Any, where: str) -> Any:
    """A join-key column: int64 when every key is a whole number (written 1, 1.0 or 1e0, in
    text or as numbers), floats when every key is a number, else a pyarrow text array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from losscli.readers.arrow_columns import is_numeric, to_numpy

    if not _is_arrow(column):
        array = np.asarray(column)
        if array.dtype.kind in "fiub":
            return _integral(array.astype(np.float64), where)
        column = pa.array(array.astype(str).tolist(), type=pa.string())
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.null_count:
        first = int(np.argmax(~np.asarray(column.is_valid())))
        raise InputError(f"{where}: row {first + 1} has no key")
    if is_numeric(column.type):
        return _integral(np.asarray(to_numpy(column, where), dtype=np.float64), where)
    column = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
    blank = np.asarray(pc.equal(column, ""))
    if blank.any():
        raise InputError(f"{where}: row {int(np.argmax(blank)) + 1} has no key")
    if len(column) and pc.all(pc.match_substring_regex(column, _NUMBER.pattern)).as_py():
        return _integral(np.asarray(pc.cast(column, pa.float64())), where)
    return column


def key_codes(columns: list[Any]) -> tuple[list[np.ndarray], Any]:
    """Key columns as arrays that compare alike: numbers as they are; when any column holds
    text, every column as integer codes into one shared dictionary (returned for messages)."""
    import pyarrow as pa

    if (
        all(isinstance(c, np.ndarray) for c in columns)
        and len({c.dtype.kind for c in columns}) == 1
    ):
        return columns, None
    texts = [
        c if not isinstance(c, np.ndarray) else pa.array(c.astype(str).tolist(), type=pa.string())
        for c in columns
    ]
    encoded = pa.concat_arrays(texts).dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.split(codes, np.cumsum([len(c) for c in texts])[:-1]), encoded.dictionary


class GroupCoder:
    """Group ids for the rows of successive chunks, numbered in order of first appearance."""

    def __init__(self) -> None:
        self._ids: dict[Any, int] = {}

    def codes(self, column: Any) -> np.ndarray:
        codes, uniques = encode(column)
        ids = [self._ids.setdefault(u, len(self._ids)) for u in uniques]
        if ids == list(range(len(ids))):
            return codes
        if len(ids) == 1:
            return np.full(len(codes), ids[0], dtype=np.int64)
        return np.asarray(ids, dtype=np.int64)[codes]

    def __len__(self) -> int:
        return len(self._ids)

    def raw(self) -> list[Any]:
        """The labels as read, by id (before ``tidy``): what partitions' results are merged by."""
        return list(self._ids)

    def add(self, labels: list[Any]) -> dict[Any, int]:
        """Number labels not seen yet; the id of every label known so far."""
        for label in labels:
            self._ids.setdefault(label, len(self._ids))
        return dict(self._ids)

    def labels(self) -> list[Any]:
        """The label of each id, tidied (text that is all numbers becomes numbers)."""
        return tidy(list(self._ids))

    def order(self) -> list[int]:
        """Ids sorted by label: numbers, then text, then the missing label."""
        names = self.labels()
        return sorted(range(len(names)), key=lambda g: sort_key(names[g]))
