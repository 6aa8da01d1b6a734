"""Which file and columns feed each named input of a loss.

Rules, applied per input in the order the loss declares them:
Key and group columns (``reserved``) are never part of an input.
1. ``--col INPUT=PATTERN`` selects the matching columns (a name, a glob such as ``p_*``,
   or a comma list of them, in file order) from the first file that has them and is not
   yet used by another input, else from the first file that has them. A glob never takes
   a column another input names (by its ``--col`` or by being named like it); a note says
   what it left out.
2. Otherwise a column or NPZ array named exactly like the input is used.
3. Otherwise the next file no input has used yet supplies the input whole; optional
   inputs are left out when there are fewer files left than inputs.
Every file must end up used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from losscli.errors import InputError, UsageError, column, option
from losscli.formats import GLOB_CHARACTERS
from losscli.readers.base import Table
from losscli.records import record

WEIGHTS = "weights"
GROUP = "\0group"  # the binding of the group labels; never a loss input's name
ROW_ID = "\0id"  # the binding of the column that identifies rows in per-row output


@record(frozen=True)
class Binding:
    """The file and columns of one input; ``whole`` when the input is the whole file."""

    table: Table
    columns: tuple[str, ...] | None  # None: a file without named columns, whole
    whole: bool = False

    def origin(self) -> str:
        if self.columns is None or self.whole:
            return self.table.display
        label = self.table.column_word
        names = ", ".join(self.columns)
        return f"{self.table.display} {label}{'s' if len(self.columns) > 1 else ''} {names}"


def select_columns(
    table: Table,
    pattern: str,
    reserved: frozenset[str] = frozenset(),
    claimed: frozenset[str] = frozenset(),
    left_out: set[str] | None = None,
) -> list[str]:
    """Columns of ``table`` matched by a name, a glob, or a comma list of them, in file order.
    A glob skips the ``claimed`` columns (named by other inputs), adding them to
    ``left_out``."""
    columns = [c for c in table.columns if c not in reserved]
    known = set(columns)
    picked: set[str] = set()
    for part in (p.strip() for p in pattern.split(",")):
        if part in known:
            hits = [part]
        else:
            matched = [c for c in columns if fnmatchcase(c, part)]
            hits = [c for c in matched if c not in claimed]
            if left_out is not None:
                left_out.update(c for c in matched if c in claimed)
        if not hits:
            return []
        picked.update(hits)
    return [c for c in columns if c in picked]


def _names(pattern: str) -> set[str]:
    """The exact column names (not globs) of a ``--col`` pattern."""
    return {p.strip() for p in pattern.split(",") if not GLOB_CHARACTERS & set(p.strip())}


def bind_inputs(
    input_names: Sequence[str],
    tables: Sequence[Table],
    patterns: Mapping[str, str],
    weights_table: Table | None,
    loss_label: str,
    optional: frozenset[str] = frozenset(),
    reserved: frozenset[str] = frozenset(),
    notes: list[str] | None = None,
) -> dict[str, Binding]:
    """Map every input (and ``weights`` if asked for) to a file and its columns; what a
    glob left out goes to ``notes``."""
    known = [*input_names, WEIGHTS]
    for key in patterns:
        if key not in known:
            raise UsageError(
                f"{column(key, '...')}: {loss_label} has no input '{key}' "
                f"(its inputs: {', '.join(input_names)}; or weights)"
            )
    if weights_table is not None and WEIGHTS in patterns:
        raise UsageError(
            f"give weights either with {option('weights', 'FILE')} or with "
            f"{column(WEIGHTS, 'COLUMN')}"
        )

    def visible(table: Table) -> list[str]:
        return [c for c in table.columns if c not in reserved]

    bound: dict[str, Binding] = {}
    used: list[Table] = []

    def take(name: str, table: Table, columns: Sequence[str] | None, whole: bool = False) -> None:
        bound[name] = Binding(table, None if columns is None else tuple(columns), whole)
        if table not in used:
            used.append(table)

    wanted = [n for n in input_names] + ([WEIGHTS] if WEIGHTS in patterns else [])
    for name in wanted:
        if name in patterns:
            claimed = frozenset(
                c
                for other in wanted
                if other != name
                for c in (_names(patterns[other]) if other in patterns else {other})
            )
            left_out: set[str] = set()
            found = [
                (t, select_columns(t, patterns[name], reserved, claimed, left_out)) for t in tables
            ]
            if left_out and notes is not None:
                names = ", ".join(sorted(left_out))
                notes.append(
                    f"{column(name, patterns[name])} leaves out {names}: another input names it"
                )
            found = [(t, cols) for t, cols in found if cols]
            if not found:
                listing = "; ".join(
                    f"{t.display}: {', '.join(visible(t)) or 'no named columns'}" for t in tables
                )
                raise InputError(f"{column(name, patterns[name])}: no column matches ({listing})")
            fresh = [(t, cols) for t, cols in found if t not in used]
            take(name, *(fresh or found)[0])
    for name in input_names:
        if name in bound:
            continue
        named = [t for t in tables if name in visible(t)]
        if named:
            unused = [t for t in named if t not in used]
            take(name, (unused or named)[0], [name])
    unbound = [n for n in input_names if n not in bound]
    if len([t for t in tables if t not in used]) < len(unbound):
        unbound = [n for n in unbound if n not in optional]
    for name in unbound:
        free = [t for t in tables if t not in used]
        if not free:
            listing = "; ".join(
                f"{t.display} has {', '.join(visible(t))}" for t in tables if visible(t)
            )
            raise UsageError(
                f"{loss_label} needs {name} but no file is left for it: give another file "
                f"or pick its columns with {column(name)}" + (f" ({listing})" if listing else "")
            )
        table = free[0]
        if table.columns:
            if not visible(table):
                raise InputError(
                    f"{table.display} has no columns left for {name} besides "
                    f"{', '.join(sorted(reserved))}"
                )
            take(name, table, visible(table), whole=True)
        else:
            take(name, table, None)
    for table in tables:
        if table not in used:
            raise UsageError(
                f"{table.display} is not used: {loss_label} takes "
                f"{len(input_names)} inputs ({', '.join(input_names)})"
            )
    if weights_table is not None:
        columns = visible(weights_table) or None
        bound[WEIGHTS] = Binding(
            weights_table, None if columns is None else tuple(columns), whole=True
        )
    return bound
