"""One accumulator per requested loss: mergeable exact sums overall and per group, reduced
by the rule the loss declares (``Loss.reducer``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.errors import InputError
from losscli.pipeline.exact_sum import exact_mean
from losscli.pipeline.partial import GroupPartials, Partial
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
        self.groups = GroupPartials()
        self.merged: list[Partial] | None = None  # group partials merged from partitions
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
        self.groups.add(codes, values, weights, rows.means, rows.norms)

    def state(self, labels: list[Any]) -> LossState:
        """The sums so far, with groups keyed by their labels (``labels[code]``)."""
        return LossState(
            self.overall,
            {labels[g]: self.group(g) for g in self._present()},
            [c.state(labels) for c in self.columns],
        )

    def absorb(self, state: LossState, codes: dict[Any, int]) -> None:
        """Take over the sums of ``state`` (merged from partitions); ``codes``: label -> id."""
        self.overall = state.overall
        self.merged = [Partial() for _ in range(len(codes))]
        for label, partial in state.groups.items():
            self.merged[codes[label]] = partial
        if state.columns:
            plain = Reducer(self.reducer.batch_mean)
            self.columns = [Accumulator(plain, self.reduction) for _ in state.columns]
            for accumulator, column in zip(self.columns, state.columns):
                accumulator.absorb(column, codes)

    def group(self, g: int) -> Partial:
        if self.merged is not None:
            return self.merged[g] if g < len(self.merged) else Partial()
        return self.groups.partial(g)

    def _present(self) -> list[int]:
        if self.merged is not None:
            return [g for g, p in enumerate(self.merged) if p.count]
        return self.groups.present()

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
        return exact_mean([finish(m) if math.isfinite(m) else m for m in means])
