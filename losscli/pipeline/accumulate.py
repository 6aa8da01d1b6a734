"""One accumulator per requested loss: mergeable partial sums overall and per group, reduced
by the rule the loss declares (``Loss.reducer``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.errors import InputError
from losscli.pipeline.partial import Partial, weight_scale
from losscli.records import record
from losscli.registry import Reducer, Rows


@record
class LossState:
    """One loss's sums over some rows, overall and per group label: mergeable."""

    overall: Partial
    groups: dict[Any, Partial]
    columns: list[LossState]  # column-wise means: one state a column

    @staticmethod
    def concat(states: list[LossState]) -> LossState:
        """The sums of every state's rows, in order; groups matched by label."""
        groups: dict[Any, list[Partial]] = {}
        for state in states:
            for label, partial in state.groups.items():
                groups.setdefault(label, []).append(partial)
        with_columns = [s.columns for s in states if s.columns]
        columns = [LossState.concat(list(c)) for c in zip(*with_columns)]
        return LossState(
            Partial.concat([s.overall for s in states]),
            {label: Partial.concat(parts) for label, parts in groups.items()},
            columns,
        )


class Accumulator:
    def __init__(self, reducer: Reducer, reduction: str) -> None:
        self.reducer = reducer
        self.reduction = reduction
        self.overall = Partial()
        self.groups: list[Partial] = []
        # One accumulator a column when the reduction is column-wise (Reducer.column_finalize).
        self.columns: list[Accumulator] = []

    def add(self, rows: Rows, weights: np.ndarray | None, codes: np.ndarray | None) -> None:
        """Add the per-row values of a chunk's kept rows (and their group ids)."""
        values = np.asarray(rows.values, dtype=np.float64)
        self.overall.add(values, weights, rows.means, rows.norms)
        if codes is not None:
            self._add_groups(values, rows, weights, codes)
        if self.reducer.column_finalize is not None and rows.columns is not None:
            columns = np.asarray(rows.columns, dtype=np.float64).reshape(len(values), -1)
            if not self.columns:
                plain = Reducer(self.reducer.batch_mean)
                self.columns = [Accumulator(plain, self.reduction) for _ in columns.T]
            for accumulator, column in zip(self.columns, columns.T):
                accumulator.add(Rows(column), weights, codes)

    def _add_groups(
        self, values: np.ndarray, rows: Rows, weights: np.ndarray | None, codes: np.ndarray
    ) -> None:
        if not len(codes):
            return
        low, high = int(codes.min()), int(codes.max())
        self.groups += [Partial() for _ in range(high + 1 - len(self.groups))]
        if low == high:  # one group in the chunk (a file of a partitioned dataset): plain sums
            self.groups[low].add(values, weights, rows.means, rows.norms)
            return
        k = high + 1
        scale = weight_scale(weights)
        w = None if weights is None else weights / scale
        counts = np.bincount(codes, minlength=k)

        def per_group(x: Any) -> np.ndarray:
            x = np.broadcast_to(x, codes.shape)
            return np.bincount(codes, weights=x if w is None else x * w, minlength=k)

        sums = per_group(values)
        numerators = sums if rows.means is None else per_group(rows.means)
        totals: np.ndarray = (
            counts.astype(np.float64) if w is None else np.bincount(codes, weights=w, minlength=k)
        )
        denominators = totals if rows.norms is None else per_group(rows.norms)
        counted = counts
        if rows.norms is not None:
            nonzero = np.broadcast_to(rows.norms, codes.shape) != 0
            counted = np.bincount(codes, weights=nonzero, minlength=k).astype(np.int64)
        for g in np.flatnonzero(counts).tolist():
            self.groups[g].add_sums(
                sums[g], numerators[g], denominators[g], totals[g], counts[g], scale, counted[g]
            )

    def state(self, labels: list[Any]) -> LossState:
        """The sums so far, compacted, with groups keyed by their labels (``labels[code]``)."""
        return LossState(
            self.overall.compacted(),
            {labels[g]: p.compacted() for g, p in enumerate(self.groups) if p.count},
            [c.state(labels) for c in self.columns],
        )

    def absorb(self, state: LossState, codes: dict[Any, int]) -> None:
        """Take over the sums of ``state`` (merged from partitions); ``codes``: label -> id."""
        self.overall = state.overall
        self.groups = [Partial() for _ in range(len(codes))]
        for label, partial in state.groups.items():
            self.groups[codes[label]] = partial
        if state.columns:
            plain = Reducer(self.reducer.batch_mean)
            self.columns = [Accumulator(plain, self.reduction) for _ in state.columns]
            for accumulator, column in zip(self.columns, state.columns):
                accumulator.absorb(column, codes)

    def group(self, g: int) -> Partial:
        return self.groups[g] if g < len(self.groups) else Partial()

    def reduce(self, partial: Partial) -> float:
        """The loss's value over the rows summed in ``partial``."""
        if self.reduction == "sum":
            value = partial.weighted_sum
        elif self.reducer.batch_mean:
            value = partial.mean_over_rows()
        else:
            value = partial.mean()
        finalize = self.reducer.finalize
        return value if finalize is None or not math.isfinite(value) else finalize(value)

    def value(self, weights_origin: str) -> float:
        """The loss over every row. Weights adding up to 0 leave a weighted mean undefined;
        a sum (and Keras's sum over N) is then 0."""
        weighted_mean = self.reduction != "sum" and not self.reducer.batch_mean
        if weighted_mean and self.overall.weight_total <= 0:
            raise InputError(f"the weights ({weights_origin}) add up to 0")
        if self.columns:
            return self._over_columns([c.reduce(c.overall) for c in self.columns])
        return self.reduce(self.overall)

    def group_value(self, g: int) -> float:
        """The loss over the rows of group ``g``."""
        if self.columns:
            return self._over_columns([c.reduce(c.group(g)) for c in self.columns])
        return self.reduce(self.group(g))

    def _over_columns(self, means: list[float]) -> float:
        finish = self.reducer.column_finalize
        assert finish is not None
        return float(np.mean([finish(m) if math.isfinite(m) else m for m in means]))
