"""File readers: CSV/TSV (optionally gzipped), Parquet, NPY and NPZ into NumPy arrays.

Every reader offers the same two ways in: ``read`` loads the selected columns whole, and
``chunks`` yields them in bounded pieces so that reduced losses stream through files
larger than memory. Readers know nothing about losses.
"""

from __future__ import annotations

import os
import sys

from losscli.errors import InputError, option
from losscli.formats import INPUT_FORMATS
from losscli.readers.base import Selection, Table
from losscli.tempfiles import spool

_EXTENSIONS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".tsv.gz": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".npy": "npy",
    ".npz": "npz",
}

__all__ = ["Selection", "Table", "detect_format", "open_table"]


def detect_format(path: str, forced: str | None = None) -> str:
    """The format named by ``path``'s extension, or ``forced`` for stdin and unknown ones."""
    lowered = path.lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if lowered.endswith(ext):
            return _EXTENSIONS[ext]
    if forced:
        return forced
    if path == "-":
        return "csv"
    raise InputError(
        f"{path}: cannot tell the format from the extension; expected one of "
        f"{', '.join(sorted(_EXTENSIONS))}, or give {option('format', '|'.join(INPUT_FORMATS))}"
    )


def open_table(path: str, forced_format: str | None = None) -> Table:
    """Open ``path`` (``-`` for stdin) as a table of numeric columns; a directory, a glob or
    a URL opens as a dataset of one or more files (``readers.datasets``)."""
    from losscli.readers.datasets import is_dataset

    if is_dataset(path):
        from losscli.readers.datasets import DatasetTable, discover

        return DatasetTable(discover(path, forced_format))
    fmt = detect_format(path, forced_format)
    if path == "-":
        if sys.stdin is None:
            raise InputError("-: stdin is closed; give a file instead of '-'")
        path, display = spool(sys.stdin.buffer), "<stdin>"
    else:
        display = path
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file")
        if os.path.isdir(path):
            raise InputError(f"{path}: is a directory, expected a file")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
    if fmt in ("csv", "tsv"):
        from losscli.readers.csv_reader import CsvTable

        return CsvTable(path, display, delimiter="\t" if fmt == "tsv" else ",")
    if fmt == "parquet":
        from losscli.readers.parquet_reader import ParquetTable

        return ParquetTable(path, display)
    from losscli.readers.numpy_reader import NpyTable, NpzTable

    return NpyTable(path, display) if fmt == "npy" else NpzTable(path, display)
