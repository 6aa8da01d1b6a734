"""``plot residuals``: predicted against target and the histogram of the residuals.

Two passes in bounded memory: the first counts the rows and finds the ranges; the second
keeps a deterministic sample of at most ``sample`` rows for the scatter (each row kept with
probability sample / n from a generator seeded by ``seed``, so the same files give the
same picture) and counts the residuals into bins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losscli.catalogue import default_registry
from losscli.errors import InputError
from losscli.evaluate import evaluate_sources
from losscli.pipeline.sources import open_sources
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
        self.r_sum = 0.0

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
        self.r_sum += float(r.sum())


class _Sample(_Pass):
    def __init__(self, keep: float, edges: np.ndarray, seed: int) -> None:
        self.keep = keep
        self.edges = edges
        self.counts = np.zeros(len(edges) - 1, dtype=np.int64)
        self.rng = np.random.default_rng(seed)
        self.p: list[np.ndarray] = []
        self.y: list[np.ndarray] = []

    def inputs(self, arrays: Mapping[str, np.ndarray]) -> None:
        p = np.asarray(arrays["predictions"], dtype=np.float64).reshape(-1)
        y = np.asarray(arrays["targets"], dtype=np.float64).reshape(-1)
        self.counts += np.histogram(p - y, self.edges)[0]
        chosen = self.rng.random(len(p)) < self.keep
        self.p.append(p[chosen])
        self.y.append(y[chosen])


def residual_figures(
    inputs: Sequence[Any], options: Options, bins: int, sample: int, seed: int
) -> tuple[list[Figure], list[str]]:
    sources = open_sources(inputs, options)
    requests = resolve_requests("mse", (), default_registry())
    check_requests(requests, options)
    ranges = _Ranges()
    first = evaluate_sources(requests, sources, options, observe=ranges)
    if ranges.n == 0:
        raise InputError("no rows to draw")
    keep = min(1.0, sample / ranges.n)
    low, high = ranges.r_low, ranges.r_high
    if not high > low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    second = _Sample(keep, edges, seed)
    evaluate_sources(requests, sources, options, observe=second)
    p, y = np.concatenate(second.p), np.concatenate(second.y)
    notes = [*sources.notes, *first.warnings]
    drawn = f"{len(p)} of {ranges.n} rows"
    if keep < 1:
        notes.append(f"plot residuals: drew a sample of {drawn} (--sample, --seed {seed})")
    label = "rows" if keep == 1 else f"rows (a sample: {drawn})"
    diagonal = [ranges.low, ranges.high]
    scatter = Figure(
        title="Predicted against target",
        x_label="target",
        y_label="prediction",
        series=(
            Series(label, "points", y.tolist(), p.tolist()),
            Series("prediction = target", "line", [ranges.low, ranges.high], diagonal),
        ),
        facts={"n": ranges.n, "drawn": len(p)},
    )
    histogram = Figure(
        title="Residuals (prediction - target)",
        x_label="residual",
        y_label="rows",
        series=(Series("residuals", "bars", edges.tolist(), second.counts.tolist()),),
        facts={
            "n": ranges.n,
            "mean residual (bias)": ranges.r_sum / ranges.n,
            "mse": first.results[0].value,
        },
    )
    return [scatter, histogram], notes
