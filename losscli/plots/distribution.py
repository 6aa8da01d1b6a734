"""``plot dist``: the histogram of per-row losses, with the mean, p50, p90, p99 and max.

Two passes over the inputs, each in bounded memory: the first finds the range (and the
reduced value and worst rows, exactly as ``compute`` gives them), the second counts rows
into the bins. Quantiles are exact while the rows fit in a million values; beyond that
they come from 16,384 fine bins (off by at most (max - min) / 16,384), which the chart says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError, UsageError
from losscli.evaluate import evaluate, open_sources
from losscli.plots.figure import Figure, Mark, Series
from losscli.records import replace
from losscli.requests import Options, Request, check_requests

EXACT_ROWS = 1_000_000  # rows whose values are kept for exact quantiles
FINE_BINS = 1 << 14
QUANTILES = (0.5, 0.9, 0.99)


class _Range:
    """Pass one: the smallest and largest finite value (and smallest positive one)."""

    def __init__(self) -> None:
        self.low = math.inf
        self.high = -math.inf
        self.positive = math.inf
        self.count = 0

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        pass

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        values = np.asarray(columns[0]).reshape(-1)
        values = values[np.isfinite(values)]
        if not len(values):
            return
        self.count += len(values)
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))
        positive = values[values > 0]
        if len(positive):
            self.positive = min(self.positive, float(positive.min()))


class _Counts:
    """Pass two: rows counted into fixed edges (and kept, while few, for exact quantiles)."""

    def __init__(self, edges: np.ndarray, fine: np.ndarray) -> None:
        self.edges = edges
        self.fine = fine
        self.counts = np.zeros(len(edges) - 1, dtype=np.int64)
        self.fine_counts = np.zeros(len(fine) - 1, dtype=np.int64)
        self.kept: list[np.ndarray] | None = []
        self.n = 0

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        pass

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        values = np.asarray(columns[0]).reshape(-1)
        values = values[(values >= self.edges[0]) & (values <= self.edges[-1])]  # drops NaN
        self.counts += np.histogram(values, self.edges)[0]
        self.fine_counts += np.histogram(values, self.fine)[0]
        self.n += len(values)
        if self.kept is not None:
            self.kept.append(values)
            if self.n > EXACT_ROWS:
                self.kept = None

    def quantile(self, q: float) -> float:
        if self.kept is not None:
            return float(np.quantile(np.concatenate(self.kept), q))
        cumulative = np.cumsum(self.fine_counts)
        target = q * self.n
        i = int(np.searchsorted(cumulative, target))
        before = cumulative[i - 1] if i else 0
        inside = self.fine_counts[i] or 1
        share = (target - before) / inside
        return float(self.fine[i] + share * (self.fine[i + 1] - self.fine[i]))


def _edges(low: float, high: float, bins: int, log: bool) -> np.ndarray:
    if log:
        return np.geomspace(low, high, bins + 1) if high > low else np.array([low, low * 10])
    if not high > low:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def distribution_figure(
    requests: Sequence[Request], inputs: Sequence[Any], options: Options, bins: int, log: bool
) -> tuple[Figure, list[str]]:
    """The histogram of one loss's per-row values on ``inputs``."""
    if len(requests) != 1 or requests[0].weight is not None:
        raise UsageError("plot dist draws one loss; give a single loss name")
    if options.reduction == "none":
        options = replace(options, reduction="mean")
    check_requests(requests, options)
    sources = open_sources(inputs, options)
    span = _Range()
    first = evaluate(requests, sources, options, observe=span)
    result = first.results[0]
    if span.count == 0:
        raise InputError(f"{result.loss}: no finite per-row value to draw")
    low = span.positive if log else span.low
    if log and not math.isfinite(low):
        raise UsageError(f"--log: every value of {result.loss} is 0 or negative; draw it without")
    edges = _edges(low, span.high, bins, log)
    counts = _Counts(edges, _edges(low, span.high, FINE_BINS, log))
    evaluate(requests, sources, replace(options, worst=0), observe=counts)
    marks = [Mark("mean", float(result.value or 0.0))]
    marks += [Mark(f"p{round(q * 100)}", counts.quantile(q)) for q in QUANTILES]
    marks.append(Mark("max", span.high))
    for rank, row in enumerate(result.worst, start=1):
        name = f"row {row.row}" + ("" if row.id is None else f" ({row.id})")
        marks.append(Mark(f"worst {rank}: {name}", row.value))
    facts: dict[str, Any] = {"n": result.n, "mean": result.value}
    if counts.kept is None:
        facts["quantiles"] = f"from {FINE_BINS} bins"
    left_out = span.count - counts.n
    if log and left_out:
        facts["not drawn (<= 0 on a log scale)"] = left_out
    figure = Figure(
        title=f"{result.loss}: the distribution of per-row values",
        x_label=result.loss,
        y_label="rows",
        series=(Series(result.loss, "bars", edges.tolist(), counts.counts.tolist()),),
        marks=tuple(marks),
        x_log=log,
        facts=facts,
    )
    return figure, [*sources.notes, *first.warnings]
