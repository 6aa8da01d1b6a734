"""Arrow arrays to NumPy without pandas: views of the data buffer, nulls become NaN."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from losscli.errors import InputError

# Arrow type names whose NumPy name differs; the integer names are the same in both.
_NUMPY_NAMES = {"halffloat": "float16", "float": "float32", "double": "float64"} | {
    f"{sign}int{bits}": f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)
}


def is_numeric(dtype: pa.DataType) -> bool:
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_boolean(dtype)


def describe(dtype: pa.DataType) -> str:
    if pa.types.is_dictionary(dtype):
        return describe(dtype.value_type)
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "text"
    return str(dtype)


def to_numpy(column: pa.Array | pa.ChunkedArray, where: str) -> np.ndarray:
    """A 1-D NumPy array of ``column``; integer columns stay integers unless they hold nulls."""
    if isinstance(column, pa.ChunkedArray):
        parts = [_array_to_numpy(chunk, where) for chunk in column.chunks]
        if not parts:
            return np.empty(0, dtype=_numpy_dtype(column.type, where))
        if len(parts) == 1:
            return parts[0]
        if len({p.dtype for p in parts}) > 1:
            parts = [p.astype(np.float64) for p in parts]
        return np.concatenate(parts)
    return _array_to_numpy(column, where)


def _numpy_dtype(dtype: pa.DataType, where: str) -> np.dtype:
    if pa.types.is_boolean(dtype):
        return np.dtype(np.bool_)
    name = str(dtype)
    if name in _NUMPY_NAMES:
        return np.dtype(_NUMPY_NAMES[name])
    raise InputError(f"{where} holds {describe(dtype)} values; expected numbers")


def _array_to_numpy(array: pa.Array, where: str) -> np.ndarray:
    dtype = _numpy_dtype(array.type, where)
    n = len(array)
    if pa.types.is_boolean(array.type):
        bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
        values = np.unpackbits(bits, bitorder="little", count=array.offset + n)[array.offset :]
        values = values.astype(np.bool_)
    else:
        values = np.frombuffer(
            array.buffers()[1], dtype=dtype, count=n, offset=array.offset * dtype.itemsize
        )
    if array.null_count == 0:
        return values
    valid_bits = np.frombuffer(array.buffers()[0], dtype=np.uint8)
    valid = np.unpackbits(valid_bits, bitorder="little", count=array.offset + n)[array.offset :]
    out = values.astype(np.float64)
    out[valid == 0] = np.nan
    return out
