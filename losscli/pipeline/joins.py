"""Align files by a key column (``--on ID``) instead of by row order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError, option
from losscli.pipeline import labels
from losscli.readers.base import Labels, Table, slices

EXAMPLES = 3


class ReorderedTable(Table):
    """Rows ``take`` of another table, in that order; the selected columns are held in memory."""

    def __init__(self, inner: Table, take: np.ndarray) -> None:
        self.inner = inner
        self.take = take
        self.display = inner.display
        self.columns = inner.columns
        self.column_word = inner.column_word
        self.n_rows = len(take)

    def _read_columns(self, names: list[str], labels: Labels) -> dict[str, np.ndarray]:
        data = self.inner._read_columns(names, labels)
        out = {}
        for name, column in data.items():
            if hasattr(column, "take") and not isinstance(column, np.ndarray):
                out[name] = column.take(self.take)
            else:
                out[name] = np.asarray(column)[self.take]
        return out

    def _iter_columns(
        self, names: list[str], chunk_rows: int, labels: Labels
    ) -> Iterator[dict[str, np.ndarray]]:
        data = self._read_columns(names, labels)
        for s in slices(len(self.take), chunk_rows):
            yield {name: column[s] for name, column in data.items()}


def _examples(values: np.ndarray) -> str:
    shown = ", ".join(str(v) for v in values[:EXAMPLES].tolist())
    return f"e.g. {shown}" + (", ..." if len(values) > EXAMPLES else "")


def _duplicates(
    key: str, table: Table, values: np.ndarray, names: Callable[[np.ndarray], np.ndarray]
) -> str | None:
    uniques, counts = np.unique(values, return_counts=True)
    repeated = counts > 1
    if not repeated.any():
        return None
    labels_shown = names(uniques[repeated][:EXAMPLES]).tolist()
    examples = list(zip(labels_shown, counts[repeated][:EXAMPLES].tolist()))
    return duplicates_message(table.display, key, examples, int(repeated.sum()))


def duplicates_message(display: str, key: str, examples: list[tuple[Any, int]], total: int) -> str:
    """``total`` keys repeated in ``display``; ``examples``: (key, times) of the first few."""
    shown = ", ".join(f"{k} ({c} times)" for k, c in examples[:EXAMPLES])
    more = ", ..." if total > EXAMPLES else ""
    return f"{display} has {total} duplicate {key} keys ({shown}{more}); keys must be unique"


def unmatched_keys(
    key: str, how: str, matched: int, problems: list[str], dropped: list[str]
) -> list[str]:
    """The error for keys missing from some file (``problems``), or with ``how="inner"`` the
    note of the rows ``dropped``; nothing when every key matched."""
    if not problems:
        return []
    if how != "inner":
        raise InputError(
            f"{option('on', key)}: keys do not match: {'; '.join(problems)}; "
            f"{option('how', 'inner')} evaluates the {matched} matched rows"
        )
    if matched == 0:
        raise InputError(f"{option('on', key)}: no key is in every file")
    return [
        f"{option('on', key)} {option('how', 'inner')}: dropped {', '.join(dropped)} "
        f"without a match; {matched} rows remain"
    ]


def join(tables: Sequence[Table], key: str, how: str = "exact") -> tuple[list[Table], list[str]]:
    """The tables reordered so that row i of each has the same key: the first table's order.

    ``how="exact"``: every file must hold the same set of unique keys.
    ``how="inner"``: rows whose key is missing from another file are dropped, and said so.
    """
    for table in tables:
        if key not in table.columns:
            found = ", ".join(table.columns) or "none: it has no named columns"
            raise InputError(
                f"{option('on', key)}: {table.display} has no column '{key}' (columns: {found})"
            )
    raw = [labels.keys(t.read_labels(key), f"{t.display} column '{key}'") for t in tables]
    columns, dictionary = labels.key_codes(raw)

    def shown(values: np.ndarray) -> np.ndarray:
        if dictionary is None:
            return values
        return np.asarray(dictionary.take(values).to_pylist(), dtype=object)

    for table, values in zip(tables, columns):
        problem = _duplicates(key, table, values, shown)
        if problem:
            raise InputError(f"{option('on', key)}: {problem}")
    reference = columns[0]
    common = np.ones(len(reference), dtype=bool)
    for values in columns[1:]:
        common &= np.isin(reference, values)
    matched = reference[common]
    problems = []
    dropped = []
    for table, values in zip(tables, columns):
        extra = values[~np.isin(values, matched)]
        if len(extra):
            dropped.append(f"{len(extra)} of {len(values)} rows of {table.display}")
            if table is tables[0]:
                problems.append(
                    f"{len(extra)} keys of {table.display} are missing from another file "
                    f"({_examples(shown(extra))})"
                )
            else:
                problems.append(
                    f"{table.display} has {len(extra)} keys not in every other file "
                    f"({_examples(shown(extra))})"
                )
    notes = unmatched_keys(key, how, len(matched), problems, dropped)
    out: list[Table] = []
    for table, values in zip(tables, columns):
        order = np.argsort(values, kind="stable")
        take = order[np.searchsorted(values[order], matched)]
        out.append(ReorderedTable(table, take))
    return out, notes
