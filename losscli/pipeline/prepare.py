"""A raw chunk of rows made ready for the losses: arrays in their declared shapes and
dtypes, the NaN policy applied, weights and class labels checked, group ids attached."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from losscli.errors import InputError, option
from losscli.pipeline.align import Chunk
from losscli.pipeline.binding import GROUP, ROW_ID, WEIGHTS
from losscli.pipeline.labels import GroupCoder
from losscli.pipeline.shapes import match_shapes
from losscli.records import record
from losscli.registry import Input, Loss

WEIGHTS_INPUT = Input(WEIGHTS, ("N",), "non-negative per-row sample weights")
GROUP_INPUT = Input(GROUP, ("N",), "group labels")
ROW_ID_INPUT = Input(ROW_ID, ("N",), "row identifiers")


@record(frozen=True)
class Prepared:
    """One chunk ready for the losses. ``arrays`` hold the kept rows only."""

    arrays: dict[str, np.ndarray]
    weights: np.ndarray | None
    codes: np.ndarray | None  # group id of every row of the chunk (kept or not)
    keep: np.ndarray | None  # which rows of the chunk are kept; None: all
    n: int  # rows in the chunk
    start: int  # rows before this chunk
    ids: np.ndarray | None = None  # the identifier of every row of the chunk (kept or not)

    @property
    def used(self) -> int:
        return self.n if self.keep is None else int(self.keep.sum())

    @property
    def kept_codes(self) -> np.ndarray | None:
        if self.codes is None or self.keep is None:
            return self.codes
        return self.codes[self.keep]

    def kept_positions(self, indices: np.ndarray) -> np.ndarray:
        """Positions in the chunk of the kept rows at ``indices`` (among the kept rows)."""
        return indices if self.keep is None else np.flatnonzero(self.keep)[indices]

    def row_number(self, index: int) -> int:
        """1-based row in the input files of position ``index`` among the kept rows."""
        if self.keep is not None:
            index = int(np.flatnonzero(self.keep)[index])
        return self.start + index + 1

    def full(self, values: np.ndarray, fill: float) -> np.ndarray:
        """Per-kept-row values spread over every row of the chunk, ``fill`` where skipped."""
        if self.keep is None:
            return values
        out = np.full((self.n, *values.shape[1:]), fill)
        out[self.keep] = values
        return out


@record(frozen=True)
class RowTally:
    """Rows read, kept and skipped, and the first non-finite one: mergeable in row order."""

    rows: int
    used: int
    bad_rows: int
    first_bad: tuple[int, str, str] | None  # row (of its file when merged), input, origin

    def merge(self, later: RowTally) -> RowTally:
        return RowTally(
            self.rows + later.rows,
            self.used + later.used,
            self.bad_rows + later.bad_rows,
            self.first_bad or later.first_bad,
        )


class Preparer:
    """Turns each raw chunk into a ``Prepared`` one; tallies rows and non-finite values."""

    def __init__(
        self,
        specs: Mapping[str, Input],
        losses: Sequence[Loss],
        origins: Mapping[str, str],
        nan: str,
        first_row: int = 0,
    ) -> None:
        self.specs = specs
        self.first_row = first_row  # the file's row number of the first row read
        self.losses = losses
        self.origins = origins
        self.nan = nan
        self.groups = GroupCoder()
        self.rows = 0  # rows read so far
        self.used = 0  # rows kept so far
        self.bad_rows = 0
        self.first_bad: tuple[int, str, str] | None = None  # row, input, its origin
        self._shapes_checked = False

    @property
    def failed(self) -> bool:
        """A non-finite value seen under ``nan="error"``: from then on rows are only counted."""
        return self.bad_rows > 0 and self.nan == "error"

    def __call__(self, chunk: Chunk) -> Prepared | None:
        group_column = chunk.pop(GROUP, None)
        ids = chunk.pop(ROW_ID, None)
        arrays = self._declared(chunk)
        n = len(next(iter(arrays.values())))
        start = self.first_row + self.rows
        self.rows += n
        codes = None if group_column is None else self.groups.codes(group_column)
        bad = self._nonfinite_rows(arrays, start)
        if bad is not None:
            self.bad_rows += int(bad.sum())
        if self.failed:
            return None
        keep = None if bad is None else ~bad
        if keep is not None:
            arrays = {name: a[keep] for name, a in arrays.items()}
        prepared = Prepared(arrays, arrays.pop(WEIGHTS, None), codes, keep, n, start, ids)
        if prepared.weights is not None:
            _check_weights(prepared.weights, self.origins[WEIGHTS], prepared)
        for name in [k for k in arrays if self.specs[k].kind == "label"]:
            arrays[name] = _whole_numbers(name, arrays[name], self.origins[name], prepared)
        self.used += prepared.used
        return prepared

    def _declared(self, chunk: Chunk) -> dict[str, np.ndarray]:
        """One-column 2-D arrays as vectors, floats (or integer labels); shapes checked once."""
        out = {}
        for name, array in chunk.items():
            spec = self.specs[name]
            if array.ndim == 2 and array.shape[1] == 1 and _accepts_vector(spec):
                array = array[:, 0]
            if spec.kind == "label" and array.dtype.kind in "iu":
                out[name] = array.astype(np.int64, copy=False)
            else:
                out[name] = np.asarray(array, dtype=np.float64)
        if not self._shapes_checked:
            for name, array in out.items():
                if array.ndim > 1 and 0 in array.shape[1:]:
                    raise InputError(
                        f"{name} ({self.origins[name]}) has shape "
                        f"{self._file_shape(name, array)}: its rows hold no values"
                    )
            shapes = {name: self._file_shape(name, a) for name, a in out.items()}
            for loss in self.losses:
                match_shapes(loss.inputs, shapes, self.origins, loss.name)
            match_shapes((WEIGHTS_INPUT,), shapes, self.origins, option("weights"))
            self._shapes_checked = True
        return out

    def _file_shape(self, name: str, array: np.ndarray) -> tuple[int, ...]:
        """The array's shape in the order its file holds it, for messages and matching."""
        axis = self.specs[name].row_axis
        return np.moveaxis(array, 0, axis).shape if axis else array.shape

    def _nonfinite_rows(self, arrays: dict[str, np.ndarray], start: int) -> np.ndarray | None:
        bad = None
        for name, array in arrays.items():
            if array.dtype.kind != "f" or math.isfinite(np.sum(array)):
                continue
            rows = ~np.isfinite(array).all(axis=tuple(range(1, array.ndim)))
            if rows.any():
                first = start + int(np.argmax(rows))
                if self.first_bad is None or first < self.first_bad[0]:
                    self.first_bad = (first, name, self.origins[name])
                bad = rows if bad is None else bad | rows
        return bad

    def tally(self) -> RowTally:
        return RowTally(self.rows, self.used, self.bad_rows, self.first_bad)

    def absorb(self, tally: RowTally) -> None:
        """Take over the counts of ``tally`` (merged from partitions)."""
        self.rows, self.used, self.bad_rows = tally.rows, tally.used, tally.bad_rows
        self.first_bad = tally.first_bad

    def finish(self) -> list[str]:
        """Errors for what the whole run showed (non-finite values, no rows); else warnings."""
        if self.failed and self.first_bad is not None:
            row, name, origin = self.first_bad
            where = f"at row {row + 1} of" if row >= 0 else "in"  # no row after a shuffle
            raise InputError(
                f"NaN, inf or missing values in {self.bad_rows} of {self.rows} rows, the first "
                f"{where} {name} ({origin}); fix the data or pass "
                f"{option('nan', 'skip')} to drop those rows"
            )
        if self.rows == 0:
            raise InputError(
                f"no rows to evaluate in {', '.join(dict.fromkeys(self.origins.values()))}"
            )
        if self.used == 0:
            files = ", ".join(dict.fromkeys(self.origins.values()))
            raise InputError(
                f"every one of the {self.rows} rows has NaN, inf or missing values ({files})"
            )
        if self.bad_rows:
            return [f"skipped {self.bad_rows} of {self.rows} rows with NaN, inf or missing values"]
        return []


def _check_weights(weights: np.ndarray, origin: str, prepared: Prepared) -> None:
    """Sample weights must not be negative."""
    if (weights < 0).any():
        row = prepared.row_number(int(np.argmax(weights < 0)))
        raise InputError(f"weights ({origin}) must be >= 0; row {row} is negative")


def _whole_numbers(name: str, array: np.ndarray, origin: str, prepared: Prepared) -> np.ndarray:
    """A label input (class indices) as int64: floats must be whole numbers that fit."""
    if array.dtype.kind == "f":
        fractional = _any_per_row(array != np.round(array))
        if fractional.any():
            i = int(np.argmax(fractional))
            value = np.asarray(array[i]).ravel()
            shown = value[value != np.round(value)][0].item()
            raise InputError(
                f"{name} ({origin}) row {prepared.row_number(i)}: "
                f"{shown!r} is not a whole number; {name} holds integers"
            )
        huge = _any_per_row(np.abs(array) > 2.0**62)
        if huge.any():
            i = int(np.argmax(huge))
            value = np.asarray(array[i]).ravel()
            shown = value[np.abs(value) > 2.0**62][0].item()
            raise InputError(
                f"{name} ({origin}) row {prepared.row_number(i)}: {shown!r} "
                f"is too large for an integer; {name} holds integers"
            )
        array = array.astype(np.int64)
    return array


def _any_per_row(mask: np.ndarray) -> np.ndarray:
    return mask if mask.ndim == 1 else np.asarray(mask.any(axis=tuple(range(1, mask.ndim))))


def _accepts_vector(spec: Input) -> bool:
    """Whether a one-column 2-D array may stand for this (N,)-shaped input."""
    return sum(not d.startswith("*") for d in spec.shape) == 1
