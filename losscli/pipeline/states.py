"""What evaluating part of the rows leaves behind, as one mergeable value: every loss's sums
(overall and per group label), the row tallies, the data checks' tallies and, for
intervals, Poisson replicate sums. Partitions evaluated apart (on Dask workers) send their
``RunState``; merged in partition order, it gives the numbers one pass over all rows gives.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING, Any

from losscli.pipeline.accumulate import LossState
from losscli.pipeline.diagnostics import CheckTallies
from losscli.pipeline.prepare import RowTally
from losscli.records import record
from losscli.pipeline.resample_poisson import PoissonSums

if TYPE_CHECKING:
    from losscli.evaluate import Resampled, _Stages


@record(frozen=True)
class RunState:
    losses: list[LossState]
    rows: RowTally
    checks: CheckTallies
    labels: list[Any]  # group labels as read, in order of first appearance
    resampled: PoissonSums | None = None

    @staticmethod
    def concat(states: list[RunState]) -> RunState:
        """The state of every partition's rows, in partition order."""
        resampled = [s.resampled for s in states if s.resampled is not None]
        rows, checks = states[0].rows, states[0].checks
        for state in states[1:]:
            rows, checks = rows.merge(state.rows), checks.merge(state.checks)
        return RunState(
            [LossState.concat(list(losses)) for losses in zip(*(s.losses for s in states))],
            rows,
            checks,
            list(dict.fromkeys(label for s in states for label in s.labels)),
            reduce(PoissonSums.merge, resampled) if resampled else None,
        )


def weighted_means(stages: _Stages) -> list[bool]:
    """Which losses are weighted means (sum w m / sum w r), rather than sums or means over N."""
    reduction = stages.options.reduction
    return [
        reduction != "sum" and not r.loss.reducer(stages.options.convention).batch_mean
        for r in stages.requests
    ]


def capture(stages: _Stages, partition: int) -> RunState:
    """The state of stages that have read one partition (the ``partition``-th)."""
    labels = stages.preparer.groups.raw()
    resampled = None
    options = stages.options
    if options.ci is not None and stages.collect and stages.preparer.used:
        from losscli.pipeline.resample_poisson import poisson_sums, scaled_columns

        valid, codes = stages.index.valid(), stages.index.codes()
        parts = [p.data(valid, codes) for p in stages.row_parts]
        top = max((p.top for p in stages.row_parts), default=1.0)
        scaled = scaled_columns(parts, weighted_means(stages))
        resampled = poisson_sums(
            parts, labels, top, scaled, options.bootstrap, options.seed, partition
        )
    return RunState(
        [a.state(labels) for a in stages.accumulators],
        stages.preparer.tally(),
        stages.diagnostics.tallies(),
        labels,
        resampled,
    )


def restore(stages: _Stages, state: RunState) -> Resampled | None:
    """Fresh stages given the merged ``state``; the replicates it holds, ready for ``finish``."""
    codes = stages.preparer.groups.add(state.labels)
    for accumulator, loss in zip(stages.accumulators, state.losses):
        accumulator.absorb(loss, codes)
    stages.preparer.absorb(state.rows)
    stages.diagnostics.absorb(state.checks)
    sums = state.resampled
    if sums is None:
        return None
    labels = stages.preparer.groups.raw()
    means = weighted_means(stages)
    reducers = [r.loss.reducer(stages.options.convention) for r in stages.requests]
    denominators = stages.options.reduction != "sum"

    def resampled(order: list[int]) -> tuple[Any, list[Any]]:
        from losscli.pipeline.resample_poisson import statistics, template

        shapes = [
            template(w, denominators, r.finalize, r.column_finalize, 1.0 if mean else sums.top)
            for w, r, mean in zip(sums.widths, reducers, means)
        ]
        overall = statistics(shapes, sums.overall)
        groups = [statistics(shapes, sums.groups[labels[g]]) for g in order]
        return overall, groups

    return resampled
