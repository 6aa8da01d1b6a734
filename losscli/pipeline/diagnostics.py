"""The data checks each loss declares, run on every chunk: errors stop the run at the first
offending row; warnings are tallied across chunks and reported once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losscli.errors import SPELLED, InputError
from losscli.pipeline.prepare import Prepared
from losscli.records import record
from losscli.registry import Check, Loss

_LOOK_FIRST = 64  # rows an every-row check looks at before the whole chunk


@record(frozen=True)
class CheckTallies:
    """Which checks fired on how many rows (with the first one's details), and which
    every-row checks a row already passed: mergeable."""

    counts: dict[tuple[int, int], tuple[int, dict[str, Any]]]
    settled: set[tuple[int, int]]

    def merge(self, later: CheckTallies) -> CheckTallies:
        counts = dict(self.counts)
        for key, (count, fields) in later.counts.items():
            counts[key] = (
                (counts[key][0] + count, counts[key][1])
                if key in counts
                else (
                    count,
                    fields,
                )
            )
        settled = self.settled | later.settled
        return CheckTallies({k: v for k, v in counts.items() if k not in settled}, settled)


class Diagnostics:
    def __init__(
        self, losses: Sequence[Loss], origins: Mapping[str, str], convention: str | None = None
    ) -> None:
        self.losses = losses
        self.origins = origins
        self.convention = convention
        # (loss position, check position) -> [offending rows so far, message fields]
        self._tallies: dict[tuple[int, int], list[Any]] = {}
        # Checks that warn only when every row offends, once one row did not: never again.
        self._settled: set[tuple[int, int]] = set()

    def run(
        self,
        index: int,
        arrays: Mapping[str, np.ndarray],
        params: Mapping[str, Any],
        prepared: Prepared,
    ) -> None:
        """Run loss ``index``'s checks on its own ``arrays`` (the kept rows of a chunk)."""
        for position, check in enumerate(self.losses[index].checks):
            if not check.applies(self.convention) or (index, position) in self._settled:
                continue
            mask = self._mask(check, arrays, params)
            if mask is None:  # an every-row check with a row that does not offend
                self._settled.add((index, position))
                self._tallies.pop((index, position), None)
                continue
            if mask.any():
                self._offending(index, position, check, mask, arrays, params, prepared)

    @staticmethod
    def _mask(
        check: Check, arrays: Mapping[str, np.ndarray], params: Mapping[str, Any]
    ) -> np.ndarray | None:
        """The offending rows; for a check that warns only when every row offends, None as
        soon as one row does not (a few rows are looked at first: usually one does not)."""
        if check.every_row:
            first = {name: a[:_LOOK_FIRST] for name, a in arrays.items()}
            if not np.asarray(check.rows(**first, **params), dtype=bool).all():
                return None
        mask = np.asarray(check.rows(**arrays, **params), dtype=bool)
        return None if check.every_row and not mask.all() else mask

    def _offending(
        self,
        index: int,
        position: int,
        check: Check,
        mask: np.ndarray,
        arrays: Mapping[str, np.ndarray],
        params: Mapping[str, Any],
        prepared: Prepared,
    ) -> None:
        first = int(np.argmax(mask))
        count = int(mask.sum())
        fields: dict[str, Any] = {"count": count, "n": len(mask), "row": prepared.row_number(first)}
        fields |= {f"origin_{name}": origin for name, origin in self.origins.items()}
        if check.input is not None:
            fields["value"] = _short(arrays[check.input][first])
            fields["origin"] = self.origins.get(check.input, "?")
        if check.details is not None:
            fields.update(check.details(**arrays, **params))
        if check.error:
            raise InputError(_message(check, fields))
        tally = self._tallies.setdefault((index, position), [0, fields])
        tally[0] += count

    def tallies(self) -> CheckTallies:
        return CheckTallies({k: (v[0], v[1]) for k, v in self._tallies.items()}, set(self._settled))

    def absorb(self, tallies: CheckTallies) -> None:
        """Take over ``tallies`` (merged from partitions)."""
        self._tallies = {k: [count, fields] for k, (count, fields) in tallies.counts.items()}
        self._settled = set(tallies.settled)

    def warnings(self, used: int) -> list[str]:
        """One warning per check that fired, with its count over the ``used`` rows."""
        out = []
        for (index, position), (count, fields) in self._tallies.items():
            loss = self.losses[index]
            check = loss.checks[position]
            if check.every_row and count < used:
                continue
            out.append(f"{loss.name}: {_message(check, {**fields, 'count': count, 'n': used})}")
        return out


def _message(check: Check, fields: Mapping[str, Any]) -> str:
    return check.message.format(**SPELLED, **fields)


def _short(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        item = array.item()
        whole = float(item).is_integer() and abs(float(item)) < 1e15
        return repr(int(item)) if whole else repr(item)
    if array.size <= 6:
        return "[" + ", ".join(_short(v) for v in array.ravel()) + "]"
    return f"an array of shape {array.shape}"
