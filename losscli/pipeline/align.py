"""Pieces of equal row count from every input file, read in lock-step."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from losscli.errors import InputError, option
from losscli.pipeline.binding import GROUP, Binding
from losscli.readers.base import Labels

Chunk = dict[str, Any]  # input name -> the rows of one piece


def row_count_message(counts: Mapping[str, int], origins: Mapping[str, str]) -> str:
    parts = [
        f"{option('group_by') if name == GROUP else name} ({origins[name]}) has {count} rows"
        for name, count in counts.items()
    ]
    return "row counts disagree: " + ", ".join(parts)


def check_known_row_counts(bindings: Mapping[str, Binding], origins: Mapping[str, str]) -> None:
    """Files whose lengths are known up front must agree before anything is read."""
    known = {n: b.table.n_rows for n, b in bindings.items() if b.table.n_rows is not None}
    if len(set(known.values())) > 1:
        raise InputError(row_count_message(known, origins))


def aligned_chunks(
    bindings: Mapping[str, Binding],
    origins: Mapping[str, str],
    chunk_rows: int | None,
    labels: Labels = frozenset(),
    row_axes: Mapping[str, int] | None = None,
) -> Iterator[Chunk]:
    """Every input's rows in aligned pieces; ``chunk_rows=None`` reads each file whole.

    Inputs from the same file are read together; an input whose rows lie along another
    axis (``row_axes``) has it moved first. A file that ends before the others is an error
    naming every input's row count.
    """
    axes = row_axes or {}

    def rows_first_all(piece: Chunk) -> Chunk:
        return {name: rows_first(a, axes.get(name, 0)) for name, a in piece.items()}

    by_table: dict[int, tuple[Any, dict[str, Any]]] = {}
    for name, binding in bindings.items():
        entry = by_table.setdefault(id(binding.table), (binding.table, {}))
        entry[1][name] = binding.columns
    streams: list[tuple[list[str], Iterator[Chunk]]] = []
    for table, selection in by_table.values():
        if chunk_rows is None:
            iterator: Iterator[Chunk] = iter([table.read(selection, labels)])
        else:
            iterator = table.chunks(selection, chunk_rows, labels)
        streams.append((list(selection), map(rows_first_all, iterator)))
    return _lockstep(streams, origins)


def _length(piece: Chunk) -> int:
    return len(next(iter(piece.values())))


def _lockstep(
    streams: list[tuple[list[str], Iterator[Chunk]]], origins: Mapping[str, str]
) -> Iterator[Chunk]:
    current: list[Chunk | None] = [None] * len(streams)
    offsets = [0] * len(streams)
    consumed = [0] * len(streams)
    while True:
        for i, (_, iterator) in enumerate(streams):
            while current[i] is None or offsets[i] >= _length(current[i]):  # type: ignore[arg-type]
                current[i] = next(iterator, None)
                offsets[i] = 0
                if current[i] is None:
                    break
        live = [c is not None for c in current]
        if not any(live):
            return
        if not all(live):
            totals = {}
            for i, (names, iterator) in enumerate(streams):
                rest = sum(_length(p) for p in iterator)
                piece = current[i]
                here = 0 if piece is None else _length(piece) - offsets[i]
                for name in names:
                    totals[name] = consumed[i] + here + rest
            raise InputError(row_count_message(totals, origins))
        pieces = [c for c in current if c is not None]
        m = min(_length(c) - o for c, o in zip(pieces, offsets))
        merged: Chunk = {}
        for i, piece in enumerate(pieces):
            for name, array in piece.items():
                merged[name] = array[offsets[i] : offsets[i] + m]
            offsets[i] += m
            consumed[i] += m
        yield merged


def rows_first(array: Any, row_axis: int) -> Any:
    """The row axis moved first where an input declares it elsewhere (CTC's (T, N, C))."""
    return np.moveaxis(array, row_axis, 0) if row_axis and array.ndim > row_axis else array
