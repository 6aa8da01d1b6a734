"""In-memory data behind the same interface as files: NumPy arrays, pandas, pyarrow,
polars and torch objects, taken without a copy where NumPy or Arrow allow it.

A one-dimensional or multi-dimensional array is a table without named columns (like an
NPY file); a data frame or an Arrow table has named columns (like a CSV file); a mapping
of names to arrays is an NPZ-like table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from losscli.errors import InputError
from losscli.readers.base import Labels, Table, check_numeric_dtype, slices


def _module(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def to_array(obj: Any, where: str) -> Any:
    """A column or array as NumPy, or as pyarrow for text (read as labels only)."""
    module = _module(obj)
    if module == "torch":
        return obj.detach().cpu().numpy()
    if module == "pyarrow":
        import pyarrow as pa

        if isinstance(obj, pa.ChunkedArray):
            obj = obj.combine_chunks()
        from losscli.readers.arrow_columns import is_numeric, to_numpy

        return to_numpy(obj, where) if is_numeric(obj.type) else obj
    if module == "polars":
        return obj.to_numpy()
    if module == "pandas":
        array = obj.to_numpy()
        if array.dtype == object:
            from pandas.api.types import is_numeric_dtype

            if is_numeric_dtype(obj.dtype):  # nullable dtypes: missing values become NaN
                array = obj.to_numpy(dtype=np.float64, na_value=np.nan)
        return array
    if isinstance(obj, np.ma.MaskedArray):
        # masked values are missing values, as --nan says (a masked label too)
        if not np.ma.getmask(obj).any():
            return np.asarray(obj.data)
        if obj.dtype.kind not in "biuf":
            raise InputError(f"{where}: a masked array of {obj.dtype}; expected numbers")
        return np.ma.filled(obj.astype(np.float64), np.nan)
    if isinstance(obj, (str, bytes)) or (hasattr(obj, "__next__") and hasattr(obj, "__iter__")):
        raise InputError(
            f"{where}: a {type(obj).__name__} is not an array; give a list, an array or a frame"
        )
    try:
        return np.asarray(obj)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: cannot be read as an array ({exc})") from None


def _named_columns(obj: Any) -> dict[str, Any] | None:
    """The columns of a data frame or table, by name; None for anything else."""
    if isinstance(obj, Mapping):
        return {str(k): v for k, v in obj.items()}
    module = _module(obj)
    if module == "pandas" and hasattr(obj, "columns"):
        return {str(c): obj[c] for c in obj.columns}
    if module == "polars" and hasattr(obj, "columns") and hasattr(obj, "get_column"):
        return {str(c): obj.get_column(c) for c in obj.columns}
    if module == "pyarrow" and hasattr(obj, "column_names"):
        return {str(c): obj.column(c) for c in obj.column_names}
    return None


def describe(obj: Any) -> str:
    """How messages name an in-memory input: its type, e.g. ``<numpy.ndarray>``."""
    kind = type(obj)
    module = kind.__module__.split(".")[0]
    return f"<{kind.__name__}>" if module == "builtins" else f"<{module}.{kind.__name__}>"


class ArrayTable(Table):
    """Named in-memory columns (a mapping, a data frame, an Arrow table) or one unnamed array."""

    def __init__(self, data: Any, display: str | None = None) -> None:
        self.display = display or describe(data)
        named = _named_columns(data)
        if named is None:
            self.arrays = {"": to_array(data, self.display)}
            self.columns: list[str] = []
        else:
            self.arrays = {
                name: to_array(column, f"{self.display} column '{name}'")
                for name, column in named.items()
            }
            self.columns = list(self.arrays)
        for name, array in self.arrays.items():
            if isinstance(array, np.ndarray) and array.ndim == 0:
                what = f"column '{name}'" if name else "it"
                raise InputError(f"{self.display}: {what} is a single number; expected rows")
        lengths = {len(a) for a in self.arrays.values()}
        self.n_rows = lengths.pop() if len(lengths) == 1 else None

    def _column(self, name: str, labels: Labels) -> Any:
        array = self.arrays[name]
        if name not in labels:
            where = self.display + (f" column '{name}'" if name else "")
            if not isinstance(array, np.ndarray):
                raise InputError(f"{where} holds text values; expected numbers")
            check_numeric_dtype(array.dtype, where)
        return array

    def _needed(self, selection: Any) -> list[str]:
        return [""] if not self.columns else super()._needed(selection)

    def _assemble(self, selection: Any, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.columns:
            return {name: data[""] for name in selection}
        return super()._assemble(selection, data)

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        return {name: self._column(name, labels) for name in names}

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        data = self._read_columns(names, labels)
        n = max(len(a) for a in data.values())
        for s in slices(n, chunk_rows):
            yield {name: a[s] for name, a in data.items()}
