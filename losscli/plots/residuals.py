"""``plot residuals``: predicted against target and the histogram of the residuals.

Two passes in bounded memory: the first counts the rows and finds the ranges; the second
counts the residuals into bins and either keeps every row as a point (up to ``points``
rows) or, once points would only overlap, counts rows into a grid of (target, prediction)
cells: a density.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losscli.catalogue import default_registry
from losscli.errors import InputError
from losscli.evaluate import evaluate, open_sources
from losscli.pipeline.exact_sum import ExactSums
from losscli.plots.figure import Figure, Series
from losscli.requests import Options, check_requests, resolve_requests


class _Pass:
    def start(self, names: Sequence[str], id_column: str | None) -> None:
        pass

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        pass


class _Ranges(_Pass):
    def __init__(self) -> None:
        self.n = 0
        self.low = math.inf
        self.high = -math.inf
        self.r_low = math.inf
        self.r_high = -math.inf
        self.r_sum = ExactSums()  # exact: the bias is the same bits in any chunking

    def inputs(self, arrays: Mapping[str, np.ndarray]) -> None:
        p = np.asarray(arrays["predictions"], dtype=np.float64).reshape(-1)
        y = np.asarray(arrays["targets"], dtype=np.float64).reshape(-1)
        if not len(p):
            return
        r = p - y
        self.n += len(p)
        self.low = min(self.low, float(min(p.min(), y.min())))
        self.high = max(self.high, float(max(p.max(), y.max())))
        self.r_low = min(self.r_low, float(r.min()))
        self.r_high = max(self.r_high, float(r.max()))
        self.r_sum.add(r)


class _Points(_Pass):
    """Residual counts, and every row as a point or a grid of counts."""

    def __init__(self, edges: np.ndarray, grid: np.ndarray | None) -> None:
        self.edges = edges
        self.grid = grid
        self.counts = np.zeros(len(edges) - 1, dtype=np.int64)
        self.density = None if grid is None else np.zeros((len(grid) - 1,) * 2, np.int64)
        self.p: list[np.ndarray] = []
        self.y: list[np.ndarray] = []

    def inputs(self, arrays: Mapping[str, np.ndarray]) -> None:
        p = np.asarray(arrays["predictions"], dtype=np.float64).reshape(-1)
        y = np.asarray(arrays["targets"], dtype=np.float64).reshape(-1)
        self.counts += np.histogram(p - y, self.edges)[0]
        if self.density is not None and self.grid is not None:
            self.density += np.histogram2d(y, p, [self.grid, self.grid])[0].astype(np.int64)
        else:
            self.p.append(p)
            self.y.append(y)


def residual_figures(
    inputs: Sequence[Any], options: Options, bins: int, points: int
) -> tuple[list[Figure], list[str]]:
    sources = open_sources(inputs, options)
    requests = resolve_requests("mse", (), default_registry())
    check_requests(requests, options)
    ranges = _Ranges()
    first = evaluate(requests, sources, options, observe=ranges)
    if ranges.n == 0:
        raise InputError("no rows to draw")
    low, high = ranges.r_low, ranges.r_high
    if not high > low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    dense = ranges.n > points
    grid = np.linspace(ranges.low, ranges.high, bins + 1) if dense else None
    second = _Points(edges, grid)
    evaluate(requests, sources, options, observe=second)
    notes = [*sources.notes, *first.warnings]
    diagonal = [ranges.low, ranges.high]
    if second.density is not None and grid is not None:
        notes.append(
            f"plot residuals: {ranges.n} rows are more than --points {points}: "
            "drew their density (rows per cell) instead of points"
        )
        drawn = Series(
            "rows per cell", "density", grid.tolist(), grid.tolist(), z=second.density.tolist()
        )
    else:
        p, y = np.concatenate(second.p), np.concatenate(second.y)
        drawn = Series("rows", "points", y.tolist(), p.tolist())
    scatter = Figure(
        title="Predicted against target",
        x_label="target",
        y_label="prediction",
        series=(drawn, Series("prediction = target", "line", diagonal, diagonal)),
        facts={"n": ranges.n},
    )
    histogram = Figure(
        title="Residuals (prediction - target)",
        x_label="residual",
        y_label="rows",
        series=(Series("residuals", "bars", edges.tolist(), second.counts.tolist()),),
        facts={
            "n": ranges.n,
            "mean residual (bias)": ranges.r_sum.ratio(ranges.n),
            "mse": first.results[0].value,
        },
    )
    return [scatter, histogram], notes
