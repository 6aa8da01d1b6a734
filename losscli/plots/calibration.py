"""``plot calibration``: a reliability diagram and the expected calibration error.

Rows are binned by the predicted probability (of class 1 for binary probabilities; of the
top class for class probabilities, whose "hit" is that the top class is the label). Per
bin: the mean predicted probability (confidence), the observed frequency of hits and the
count. ECE = sum_b (n_b / n) |frequency_b - confidence_b| (Guo et al., 2017), from counts
merged chunk by chunk. Brier score (binary) or log loss (classes) are given beside it,
computed by the same run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losscli.catalogue import default_registry
from losscli.evaluate import evaluate, open_sources
from losscli.pipeline.exact_sum import ExactSums, exact_sum
from losscli.plots.figure import Figure, Series
from losscli.requests import Options, check_requests, resolve_requests


class _Bins:
    def __init__(self, bins: int) -> None:
        self.bins = bins
        self.count = np.zeros(bins)
        self.confidence_sums = ExactSums(bins)  # exact: the same bits in any chunking
        self.hits = np.zeros(bins)

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        pass

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        pass

    def inputs(self, arrays: Mapping[str, np.ndarray]) -> None:
        p = np.asarray(arrays["predictions"], dtype=np.float64)
        y = np.asarray(arrays["targets"])
        if p.ndim == 1:
            confidence, hit = p, (y == 1).astype(np.float64)
        else:
            confidence = p.max(axis=1)
            hit = (p.argmax(axis=1) == y).astype(np.float64)
        index = np.clip((confidence * self.bins).astype(np.int64), 0, self.bins - 1)
        self.count += np.bincount(index, minlength=self.bins)
        self.confidence_sums.add(confidence, index)
        self.hits += np.bincount(index, weights=hit, minlength=self.bins)


def _classes(sources: Any, options: Options) -> int:
    """Columns of the probabilities input: 1 means binary."""
    table = sources.tables[0]
    if "predictions" in options.columns:
        return len(options.columns["predictions"].split(","))
    array = getattr(table, "array", None)
    if array is not None:
        return 1 if array.ndim == 1 else int(array.shape[1])
    own = [c for c in table.columns if c not in sources.reserved]
    return max(1, len(own)) if len(sources.tables) > 1 else 1


def calibration_figure(
    inputs: Sequence[Any], options: Options, bins: int
) -> tuple[Figure, list[str]]:
    sources = open_sources(inputs, options)
    binary = _classes(sources, options) == 1
    spec, params = ("brier", {}) if binary else ("cross_entropy", {"from_logits": False})
    requests = resolve_requests(spec, params, default_registry())
    check_requests(requests, options)
    collected = _Bins(bins)
    evaluation = evaluate(requests, sources, options, observe=collected)
    used = collected.count > 0
    sums = collected.confidence_sums
    bins_used = np.flatnonzero(used).tolist()
    confidence = np.array([sums.ratio(int(collected.count[i]), i) for i in bins_used])
    frequency = collected.hits[used] / collected.count[used]
    n = float(collected.count.sum())
    ece = exact_sum(collected.count[used] / n * np.abs(frequency - confidence))
    edges = np.linspace(0.0, 1.0, bins + 1)
    score = "Brier score" if binary else "log loss"
    what = "P(class 1)" if binary else "confidence of the top class"
    figure = Figure(
        title=f"Reliability: observed frequency against {what}",
        x_label=f"predicted {what}",
        y_label="observed frequency" if binary else "accuracy",
        series=(
            Series("perfectly calibrated", "line", [0.0, 1.0], [0.0, 1.0]),
            Series("per bin", "line", confidence.tolist(), frequency.tolist()),
            Series("rows per bin (share)", "bars", edges.tolist(), (collected.count / n).tolist()),
        ),
        facts={
            "ECE": ece,
            score: evaluation.results[0].value,
            "n": int(n),
            "bins": bins,
        },
    )
    return figure, [*sources.notes, *evaluation.warnings]


def calibration_table(figure: Figure) -> list[dict[str, float]]:
    """The per-bin numbers of a calibration figure (for tests and -o json readers)."""
    series = figure.series[1]
    return [{"confidence": x, "frequency": y} for x, y in zip(series.x, series.y)]
