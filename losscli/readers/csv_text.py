"""What Python's csv module reads of a CSV file, where pyarrow's fast parse cannot tell:
whether the first row is a header, and, after a parse has failed, the exact row and
column of the first cell that is not a number."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from losscli.errors import InputError

# pyarrow's default tokens for a missing value: such cells read as NaN.
NULL_TOKENS = frozenset(
    [
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "n/a",
        "nan",
        "null",
    ]
) | {""}


def is_number(text: str) -> bool:
    """What pyarrow reads as a number: ASCII digits only (float() also takes '١٢٣')."""
    stripped = text.strip()
    if stripped in NULL_TOKENS:
        return True
    if not stripped.isascii() or "_" in stripped:
        return False
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def sniff(text: Iterable[str], delimiter: str, display: str) -> tuple[bool, list[str]]:
    """(whether the first row is a header, the column names or col1, col2, ...)."""
    try:
        first = next(csv.reader(text, delimiter=delimiter), None)
    except csv.Error as exc:
        raise InputError(f"{display}: not valid CSV ({exc})") from None
    if first is None or not any(cell.strip() for cell in first):
        raise InputError(f"{display}: the file is empty; expected rows of numbers")
    if all(is_number(cell) for cell in first):
        return False, [f"col{i}" for i in range(1, len(first) + 1)]
    names = [cell.strip() for cell in first]
    seen = set()
    for name in names:
        if name in seen:
            raise InputError(f"{display}: the header names column '{name}' twice")
        seen.add(name)
    return True, names


def first_bad_cell(
    text: Iterable[str],
    delimiter: str,
    display: str,
    header: bool,
    file_columns: Sequence[str],
    numeric: Sequence[str],
) -> InputError | None:
    """The error naming the first row of the wrong width or the first cell of a
    ``numeric`` column that is not a number; None if every row is fine."""
    position = {name: i for i, name in enumerate(file_columns)}
    wanted = [position[n] for n in numeric]
    width = len(file_columns)
    reader = csv.reader(text, delimiter=delimiter)
    rows = enumerate(reader, start=0 if header else 1)
    while True:
        try:
            row_number, row = next(rows)
        except StopIteration:
            return None
        except csv.Error as exc:  # a field longer than Python's limit, a NUL byte, ...
            line = reader.line_num
            return InputError(f"{display}: line {line}: not valid CSV ({exc})")
        if row_number == 0:
            continue  # the header
        line = row_number + (1 if header else 0)
        if not row:
            continue
        if len(row) != width:
            return InputError(
                f"{display}: row {row_number} (line {line}) has {len(row)} "
                f"fields, expected {width} like the first row"
            )
        for i in wanted:
            if not is_number(row[i]):
                return InputError(
                    f"{display}: row {row_number} (line {line}), column "
                    f"'{file_columns[i]}': {row[i]!r} is not a number"
                )
