"""Two models' predictions on the same targets: both losses, their difference, and a paired
bootstrap interval for it.

Rows are resampled with replacement, the same rows for both models, and the loss of each
model is recomputed on every resample; the interval is the central ``confidence`` share of
the differences B - A. Pairing keeps the row-to-row variation the two models share out of
the interval, so it is much narrower than two separate intervals would suggest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError, UsageError, option
from losscli.evaluate import evaluate, open_sources
from losscli.pipeline import labels
from losscli.pipeline.exact_sum import exact_weighted_sum
from losscli.pipeline.resample import (
    RowData,
    grouped_replicates,
    interval,
    replicates,
    weighted_total,
)
from losscli.records import field, record, replace
from losscli.requests import Options, Request, check_requests, is_weighted_sum, sum_name


@record(frozen=True)
class Side:
    """A loss for both models on one set of rows (all rows, or one group)."""

    n: int
    a: float
    b: float
    ci: tuple[float, float]
    b_better: float  # share of rows where model B's loss is lower
    a_better: float
    ties: float

    @property
    def difference(self) -> float:
        return self.b - self.a

    @property
    def verdict(self) -> str:
        low, high = self.ci
        if low > 0:
            return "B worse"
        if high < 0:
            return "B better"
        return "no clear difference"

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "a": self.a,
            "b": self.b,
            "difference": self.difference,
            "relative_difference": self.difference / abs(self.a) if self.a else None,
            "ci": list(self.ci),
            "b_better_share": self.b_better,
            "a_better_share": self.a_better,
            "ties_share": self.ties,
            "verdict": self.verdict,
        }


@record(frozen=True)
class Comparison:
    """Two models on the same rows: ``overall`` and each of ``groups`` is a ``Side`` with
    ``a``, ``b``, ``difference`` (B - A), its paired bootstrap ``ci``, the shares of rows on
    which each model is better, and a ``verdict``."""

    loss: str
    params: dict[str, Any]
    file_a: str
    file_b: str
    confidence: float
    bootstrap: int
    seed: int
    overall: Side
    group_by: str | None = None
    groups: list[tuple[Any, Side]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "loss": self.loss,
            "params": self.params,
            "a_file": self.file_a,
            "b_file": self.file_b,
            **self.overall.to_dict(),
            "confidence": self.confidence,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
        }
        if self.group_by is not None:
            out["group_by"] = self.group_by
            out["groups"] = [{"group": g, **side.to_dict()} for g, side in self.groups]
        return out


def compare(
    requests: Sequence[Request],
    model_a: Any,
    model_b: Any,
    others: Sequence[Any],
    options: Options,
    confidence: float = 0.95,
) -> tuple[Comparison, list[str]]:
    """Compare the loss (or weighted sum) of predictions ``model_a`` and ``model_b``.

    ``model_a`` and ``model_b`` are files (or arrays) of predictions, or both models sit in
    the inputs as columns: ``options.columns`` names them ``a`` and ``b`` and the model
    arguments are None.
    """
    if len(requests) > 1 and not is_weighted_sum(requests):
        raise UsageError("compare takes one loss or a weighted sum, not a list of losses")
    if isinstance(confidence, bool) or not 0 < confidence < 1:
        raise UsageError(f"{option('ci', confidence)}: give a level between 0 and 1, e.g. 0.95")
    options = replace(options, reduction="mean")
    in_columns = model_a is None and model_b is None
    if in_columns:
        options, per_model = _model_columns(requests, options)
        check_requests(requests, options)
        sources = open_sources(list(others), options)
        runs = [
            evaluate(requests, sources, model_options, keep_rows=True)
            for model_options in per_model
        ]
        shown = sources.tables[0].display
        names = [f"{shown} column {c.columns[requests[0].loss.inputs[0].name]}" for c in per_model]
    else:
        check_requests(requests, options)
        sources = open_sources([model_a, model_b, *others], options)
        table_a, table_b, *rest = sources.tables
        runs = [
            evaluate(requests, replace(sources, tables=[table, *rest]), options, keep_rows=True)
            for table in (table_a, table_b)
        ]
        names = [_name_of(model_a, table_a.display), _name_of(model_b, table_b.display)]
    warnings = list(sources.notes)
    for label, run in zip("AB", runs):
        warnings += [f"model {label}: {w}" for w in run.warnings]
    rows_a, rows_b = runs[0].rows, runs[1].rows
    assert rows_a is not None and rows_b is not None
    both = np.flatnonzero(rows_a[0].valid & rows_b[0].valid)
    if both.size == 0:
        raise InputError("no row is usable for both models")
    weights = np.array([1.0 if r.weight is None else r.weight for r in requests])
    parts = [*rows_a, *rows_b]

    def side(rows: np.ndarray, samples: np.ndarray) -> Side:
        subset = [p.subset(rows) for p in parts]
        k = len(requests)
        point = np.array([p.statistic() for p in subset])
        diff = weighted_total(weights, samples[k:]) - weighted_total(weights, samples[:k])
        per_row_a = _per_row(subset[:k], weights)
        per_row_b = _per_row(subset[k:], weights)
        return Side(
            n=len(rows),
            a=_total(point[:k], weights),
            b=_total(point[k:], weights),
            ci=interval(diff, confidence),
            b_better=float(np.mean(per_row_b < per_row_a)),
            a_better=float(np.mean(per_row_a < per_row_b)),
            ties=float(np.mean(per_row_a == per_row_b)),
        )

    first = runs[0].results[0]
    overall = replicates([p.subset(both) for p in parts], options.bootstrap, options.seed)
    codes = rows_a[0].groups
    groups = [] if codes is None else _groups(codes, both, runs[0].group_labels or [])
    group_sides = []
    if groups:
        positions = np.concatenate([np.full(len(rows), i) for i, (_, rows) in enumerate(groups)])
        rows = np.concatenate([rows for _, rows in groups])
        samples = grouped_replicates(
            [p.subset(rows) for p in parts],
            positions,
            len(groups),
            options.bootstrap,
            [options.seed, 1],
        )
        group_sides = [
            (name, side(members, samples[i])) for i, (name, members) in enumerate(groups)
        ]
    comparison = Comparison(
        loss=_name(requests),
        params=first.params if len(requests) == 1 else {},
        file_a=names[0],
        file_b=names[1],
        confidence=confidence,
        bootstrap=options.bootstrap,
        seed=options.seed,
        overall=side(both, overall),
        group_by=first.group_by if codes is not None else None,
        groups=group_sides,
    )
    return comparison, warnings


def _groups(codes: np.ndarray, rows: np.ndarray, names: list[Any]) -> list[tuple[Any, np.ndarray]]:
    """The rows of each group that has any, groups in label order (one sort, not one scan
    a group: there may be 1e5 groups)."""
    order = sorted(range(len(names)), key=lambda g: labels.sort_key(names[g]))
    rank = np.empty(max(len(names), 1), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    ranks = rank[codes[rows]]
    sorted_rows = rows[np.argsort(ranks, kind="stable")]
    counts = np.bincount(ranks, minlength=len(order))
    pieces = np.split(sorted_rows, np.cumsum(counts)[:-1])
    return [(names[g], piece) for g, piece in zip(order, pieces) if piece.size]


def _model_columns(requests: Sequence[Request], options: Options) -> tuple[Options, list[Options]]:
    """Options without the ``a``/``b`` columns, and one set per model with its column as
    the loss's predictions."""
    columns = dict(options.columns)
    if "a" not in columns or "b" not in columns:
        raise UsageError(
            f"give both models: two prediction files, or {option('columns', 'a=COL')} and "
            f"{option('columns', 'b=COL')} for two columns of one file"
        )
    first = requests[0].loss.inputs[0].name
    if first in columns:
        raise UsageError(
            f"{option('columns', first + '=...')} and the a/b columns both name the {first}"
        )
    a, b = columns.pop("a"), columns.pop("b")
    base = replace(options, columns=columns)
    return base, [replace(base, columns={**columns, first: col}) for col in (a, b)]


def _name_of(model: Any, display: str) -> str:
    return str(model) if isinstance(model, str) else display


def _per_row(parts: Sequence[RowData], weights: np.ndarray) -> np.ndarray:
    return sum(w * p.values for w, p in zip(weights, parts))


def _total(values: np.ndarray, weights: np.ndarray) -> float:
    return exact_weighted_sum(weights, values)


def _name(requests: Sequence[Request]) -> str:
    return requests[0].loss.name if len(requests) == 1 else sum_name(requests)
