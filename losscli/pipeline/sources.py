"""Open what the user gave (paths, '-' for stdin, in-memory objects), join on a key column
when asked, and find the column that names the groups."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from losscli.errors import InputError, UsageError, option
from losscli.pipeline.binding import Binding
from losscli.readers import Table, open_table
from losscli.records import field, record
from losscli.requests import Options

GROUP_LABELS = "group"  # how results name groups given as in-memory labels


@record(frozen=True)
class Sources:
    """Opened inputs, aligned by key when asked, and where the group labels come from."""

    tables: list[Table]
    weights: Table | None = None
    group: Binding | None = None
    row_id: Binding | None = None  # the column that names rows in per-row output
    reserved: frozenset[str] = frozenset()  # key and group columns: never part of an input
    notes: list[str] = field(default_factory=list)


def is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def open_input(obj: Any, forced_format: str | None = None) -> Table:
    """A table from a path (``-`` for stdin) or from an in-memory object."""
    if isinstance(obj, Table):
        return obj
    if is_path(obj):
        return open_table(os.fspath(obj), forced_format)
    from losscli.readers.memory import ArrayTable

    return ArrayTable(obj)


def open_sources(inputs: Sequence[Any], options: Options) -> Sources:
    """Open ``inputs`` (and ``options.weights``), join them on ``options.on``, find the group."""
    if sum(is_path(i) and os.fspath(i) == "-" for i in inputs) > 1:
        raise UsageError("stdin ('-') can be given only once")
    tables = [open_input(obj, options.format) for obj in inputs]
    weights = None
    if options.weights is not None:
        _weights_not_a_column(options.weights, tables)
        weights = open_input(options.weights, options.format)
    notes: list[str] = []
    if options.on:
        tables, weights, notes = _join(tables, weights, options.on, options.how)
    group = None
    if options.group_by is not None and not isinstance(options.group_by, str):
        from losscli.readers.memory import ArrayTable, describe

        labels = ArrayTable({GROUP_LABELS: options.group_by}, describe(options.group_by))
        group = Binding(labels, (GROUP_LABELS,), whole=True)
    elif options.group_by:
        group = _column_binding(tables, weights, options.group_by, "group_by")
    row_id = None
    id_column = options.id_column
    if id_column is None and (options.reduction == "none" or options.worst):
        id_column = options.on
    if id_column is not None:
        row_id = _column_binding(tables, weights, id_column, "id_column")
    named = (options.on, options.group_by, id_column)
    reserved = frozenset(c for c in named if isinstance(c, str))
    return Sources(tables, weights, group, row_id, reserved, notes)


def _weights_not_a_column(weights: Any, tables: list[Table]) -> None:
    """``--weights NAME`` where NAME is no file but a column of an input: say how."""
    if not is_path(weights) or os.path.exists(os.fspath(weights)):
        return
    name = os.fspath(weights)
    if any(name in t.columns for t in tables):
        from losscli.errors import column

        raise UsageError(
            f"{option('weights', name)}: no such file, but an input has a column {name!r}; "
            f"for weights from a column give {column('weights', name)}"
        )


def _column_binding(tables: list[Table], weights: Table | None, name: str, what: str) -> Binding:
    """The first input (or the weights file) holding column ``name``, for ``what``."""
    holders = [t for t in [*tables, *([weights] if weights else [])] if name in t.columns]
    if not holders:
        listing = "; ".join(f"{t.display}: {', '.join(t.columns) or 'none'}" for t in tables)
        raise InputError(f"{option(what, name)}: no input has that column ({listing})")
    return Binding(holders[0], (name,))


def _join(
    tables: list[Table], weights: Table | None, key: str, how: str
) -> tuple[list[Table], Table | None, list[str]]:
    from losscli.pipeline.joins import join

    every = [*tables, *([weights] if weights is not None else [])]
    unique: list[Table] = []
    for table in every:
        if table not in unique:
            unique.append(table)
    joined, notes = join(unique, key, how)
    mapping = {id(t): j for t, j in zip(unique, joined)}
    out = [mapping[id(t)] for t in tables]
    return out, None if weights is None else mapping[id(weights)], notes
