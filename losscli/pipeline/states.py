"""What evaluating part of the rows leaves behind, as one mergeable value: every loss's sums
(overall and per group label), the row tallies, the data checks' tallies and, for
intervals, Poisson replicate sums. Partitions evaluated apart (on Dask workers) send their
``RunState``; merged in partition order, it gives the numbers one pass over all rows gives.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from losscli.pipeline.accumulate import LossState
from losscli.pipeline.diagnostics import CheckTallies
from losscli.pipeline.prepare import RowTally
from losscli.pipeline.resample_poisson import PoissonSums
from losscli.records import record


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
