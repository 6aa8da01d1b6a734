"""Evaluate requested losses on inputs: the loop that wires the pipeline's stages.

open the sources -> bind inputs to files and columns -> for each aligned chunk: prepare it,
run each loss's data checks, compute its per-row values, accumulate (and collect rows
when intervals or comparisons need them) -> results. See ``losscli.pipeline``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.pipeline.binding import Binding, bind_inputs
from losscli.errors import UsageError, option
from losscli.pipeline.accumulate import Accumulator
from losscli.pipeline.align import aligned_chunks, check_known_row_counts
from losscli.pipeline.collect import RowBuffer, RowIndex, RowParts, RowSink, per_row_values
from losscli.pipeline.diagnostics import Diagnostics
from losscli.pipeline.prepare import (
    GROUP,
    GROUP_INPUT,
    ROW_ID,
    ROW_ID_INPUT,
    WEIGHTS,
    WEIGHTS_INPUT,
    Preparer,
)
from losscli.pipeline.sources import Sources, open_sources
from losscli.progress import task
from losscli.records import record, replace
from losscli.registry import Input, Rows
from losscli.requests import (
    Options,
    Request,
    check_requests,
    input_names,
    is_weighted_sum,
    sum_name,
)
from losscli.results import Evaluation, GroupValue, Result, weighted_total

if TYPE_CHECKING:
    from losscli.pipeline.resample import RowData

# Bootstrap replicates made elsewhere: given the group ids in result order, the replicates
# (k, B) of every loss overall and one (k, B) array a group (see evaluate.finish).
Resampled = Callable[[list[int]], tuple[np.ndarray, list[np.ndarray]]]

__all__ = ["Evaluation", "Options", "Request", "Result", "evaluate", "evaluate_sources"]


def evaluate(
    requests: Sequence[Request],
    inputs: Sequence[Any],
    options: Options | None = None,
    *,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> Evaluation:
    """Compute every requested loss on ``inputs`` (paths, '-', or in-memory objects).

    Per-row values (``reduction="none"``) go to ``rows_to`` chunk by chunk when it is
    given (the results then carry no ``values``); otherwise they are kept in the results.
    ``observe`` sees every chunk's per-row losses (unweighted, NaN for skipped rows)
    whatever the reduction (plots build histograms from them); if it has an
    ``inputs(arrays)`` method, that gets the kept rows' inputs of the first loss too.
    """
    options = options or Options()
    check_requests(requests, options)
    if options.engine == "dask":
        if keep_rows or rows_to is not None or observe is not None:
            raise UsageError(
                f"{option('engine', 'dask')} computes reduced values; this command needs "
                "every row in one process"
            )
        from losscli.engines.dask_engine import evaluate_on_dask

        return evaluate_on_dask(requests, inputs, options)
    sources = open_sources(inputs, options)
    evaluation = evaluate_sources(
        requests, sources, options, keep_rows=keep_rows, rows_to=rows_to, observe=observe
    )
    return replace(evaluation, warnings=[*sources.notes, *evaluation.warnings])


@record(frozen=True)
class _Plan:
    """What one run reads: each input's binding, its declared spec and where it comes from."""

    bindings: dict[str, Binding]
    specs: dict[str, Input]
    origins: dict[str, str]


def _plan(requests: Sequence[Request], sources: Sources, options: Options) -> _Plan:
    label = ",".join(r.loss.name for r in requests)
    every = [i for r in requests for i in r.loss.inputs]
    optional = frozenset(i.name for i in every) - {i.name for i in every if not i.optional}
    bindings = bind_inputs(
        input_names(requests),
        sources.tables,
        options.columns,
        sources.weights,
        label,
        optional,
        sources.reserved,
    )
    specs = {i.name: i for i in every} | {WEIGHTS: WEIGHTS_INPUT}
    if sources.group is not None:
        bindings[GROUP] = sources.group
        specs[GROUP] = GROUP_INPUT
    if sources.row_id is not None:
        bindings[ROW_ID] = sources.row_id
        specs[ROW_ID] = ROW_ID_INPUT
    origins = {name: b.origin() for name, b in bindings.items()}
    return _Plan(bindings, specs, origins)


class _Stages:
    """The per-loss stages of one run, fed one prepared chunk at a time."""

    def __init__(
        self,
        requests: Sequence[Request],
        plan: _Plan,
        options: Options,
        collect: bool,
        rows_to: RowSink | None,
        observe: RowSink | None = None,
    ):
        self.requests = requests
        self.plan = plan
        self.options = options
        self.observe = observe
        group = plan.bindings.get(GROUP)
        ids = plan.bindings.get(ROW_ID)
        self.group_column = None if group is None else (group.columns or ("",))[0]
        self.id_column = None if ids is None else (ids.columns or ("",))[0]
        losses = [r.loss for r in requests]
        reducers = [loss.reducer(options.convention) for loss in losses]
        self.functions = [loss.function(options.convention) for loss in losses]
        self.per_row = options.reduction == "none"
        self.sums = options.reduction == "sum"
        self.convention = options.convention
        self.collect = collect
        first_row = next(iter(plan.bindings.values())).table.first_row
        self.preparer = Preparer(plan.specs, losses, plan.origins, options.nan, first_row)
        self.diagnostics = Diagnostics(losses, plan.origins, options.convention)
        self.accumulators = [Accumulator(r, options.reduction) for r in reducers]
        self.rows_to: RowSink = RowBuffer() if rows_to is None else rows_to
        self.total_weights = (
            [float(r.weight or 0.0) for r in requests] if is_weighted_sum(requests) else None
        )
        if self.per_row:
            names = [r.loss.name for r in requests]
            names += [sum_name(requests)] if self.total_weights else []
            ids = plan.bindings.get(ROW_ID)
            self.rows_to.start(names, None if ids is None else (ids.columns or ("",))[0])
        self.row_parts = [RowParts(r, options.reduction) for r in reducers]
        self.index = RowIndex()
        if observe is not None:
            observe.start([r.loss.name for r in requests], None)
        self.worst = []
        if options.worst:
            from losscli.pipeline.worst import WorstRows

            count = len(requests) + bool(self.total_weights)
            self.worst = [WorstRows(options.worst) for _ in range(count)]

    def feed(self, chunk: dict[str, Any]) -> None:
        prepared = self.preparer(chunk)
        if prepared is None:
            return
        row_values = []
        worst_values = []
        observed = []
        for i, request in enumerate(self.requests):
            names = [k.name for k in request.loss.inputs if k.name in prepared.arrays]
            own = {name: prepared.arrays[name] for name in names}
            if prepared.used == 0:  # every row of this chunk skipped: nothing to compute
                rows = Rows(np.empty(0))
            elif self.per_row and self.convention == "torch" and request.loss.elements:
                # PyTorch's reduction='none': the loss of every element, not of every row.
                rows = Rows(request.loss.elements(**own, **request.params))
            else:
                self.diagnostics.run(i, own, request.params, prepared)
                rows = self.functions[i](**own, **request.params)
                rows = rows if isinstance(rows, Rows) else Rows(rows)
                if self.sums:
                    factor = request.loss.sum_factor(self.convention, own)
                    if factor != 1.0:
                        rows = Rows(np.asarray(rows.values) * factor)
            if self.observe is not None:
                observed.append(prepared.full(np.asarray(rows.values, dtype=np.float64), np.nan))
                if i == 0 and hasattr(self.observe, "inputs"):
                    self.observe.inputs(own)  # the kept rows' inputs of the first loss
            if self.worst:
                self.worst[i].add(np.asarray(rows.values), prepared, own)
                worst_values.append(np.asarray(rows.values, dtype=np.float64))
            if self.per_row:
                row_values.append(per_row_values(rows, prepared.weights, prepared))
            else:
                self.accumulators[i].add(rows, prepared.weights, prepared.kept_codes)
            if self.collect:
                self.row_parts[i].add(rows, prepared.weights, prepared)
        if self.collect:
            self.index.add(prepared)
        if self.observe is not None and observed:
            self.observe.write(prepared.ids, observed)
        if self.worst and self.total_weights and prepared.used:
            total = sum(w * v for w, v in zip(self.total_weights, worst_values))
            self.worst[-1].add(np.asarray(total), prepared, prepared.arrays)
        if self.per_row:
            if self.total_weights:
                total = sum(w * v for w, v in zip(self.total_weights, row_values))
                row_values.append(np.asarray(total, dtype=np.float64))
            self.rows_to.write(prepared.ids, row_values)


def evaluate_sources(
    requests: Sequence[Request],
    sources: Sources,
    options: Options,
    *,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> Evaluation:
    """The loop over aligned chunks of already opened sources."""
    stages = read_sources(requests, sources, options, keep_rows, rows_to, observe)
    return finish(stages)


def plan_sources(requests: Sequence[Request], sources: Sources, options: Options) -> _Plan:
    """Which file and columns each input is read from; row counts known up front checked."""
    plan = _plan(requests, sources, options)
    check_known_row_counts(plan.bindings, plan.origins)
    return plan


def read_sources(
    requests: Sequence[Request],
    sources: Sources,
    options: Options,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> _Stages:
    """Every aligned chunk of ``sources`` fed through the stages; the stages returned."""
    plan = plan_sources(requests, sources, options)
    collect = keep_rows or options.ci is not None
    stages = _Stages(requests, plan, options, collect, rows_to, observe)
    whole = not all(r.loss.streamable for r in requests)
    labels = frozenset(c for c in (stages.group_column, stages.id_column) if c)
    chunk_rows = None if whole else options.chunk_rows
    first = next(iter(plan.bindings.values())).table
    size, unit = first.read_size()
    shown = first.display.rsplit("/", 1)[-1]
    with np.errstate(all="ignore"), task(f"reading {shown}", size, unit) as bar:
        row_axes = {name: spec.row_axis for name, spec in plan.specs.items()}
        for chunk in aligned_chunks(plan.bindings, plan.origins, chunk_rows, labels, row_axes):
            stages.feed(chunk)
            bar.advance(first.read_done(stages.preparer.rows) - bar.done)
    return stages


def finish(stages: _Stages, resampled: Resampled | None = None) -> Evaluation:
    """The results of stages that have seen every row: per-row values, or reduced values
    with groups and intervals (``resampled``: replicates made elsewhere, e.g. on Dask)."""
    requests, options = stages.requests, stages.options
    warnings = stages.preparer.finish() + stages.diagnostics.warnings(stages.preparer.used)
    common: dict[str, Any] = {
        "reduction": options.reduction,
        "n": stages.preparer.used,
        "convention": options.convention,
    }
    if stages.per_row:
        kept = stages.rows_to.values() if isinstance(stages.rows_to, RowBuffer) else None
        results = [
            Result(
                r.loss.name,
                params=dict(r.params),
                values=None if kept is None else kept[i],
                weight=r.weight,
                **common,
            )
            for i, r in enumerate(requests)
        ]
        if kept is not None or not is_weighted_sum(requests):
            return _with_total(requests, results, warnings)
        terms = tuple(r.loss.name for r in requests)
        total = Result(sum_name(requests), params={}, terms=terms, **common)
        return Evaluation([*results, total], warnings)
    return _reduced(stages, warnings, common, resampled)


def _reduced(
    stages: _Stages,
    warnings: list[str],
    common: dict[str, Any],
    resampled: Resampled | None,
) -> Evaluation:
    """Reduced results, per group and with intervals when asked, and a sum's total."""
    requests, options, plan = stages.requests, stages.options, stages.plan
    group_column = stages.group_column
    accumulators = stages.accumulators
    group_labels = stages.preparer.groups.labels()
    order = stages.preparer.groups.order()
    empty = [g for g in order if accumulators[0].group(g).count == 0] if group_column else []
    left_out = set(empty)
    order = [g for g in order if g not in left_out]
    data: list[RowData] | None = None
    samples = None
    group_samples: list[np.ndarray] | None = None
    if resampled is not None:
        samples, group_samples = resampled(order)
    elif stages.collect:
        data = [p.data(stages.index.valid(), stages.index.codes()) for p in stages.row_parts]
        if options.ci is not None:
            from losscli.pipeline.resample import bootstrap

            samples, group_samples = bootstrap(data, order, options.bootstrap, options.seed)
    results = []
    for i, (request, accumulator) in enumerate(zip(requests, accumulators)):
        value = accumulator.value(plan.origins.get(WEIGHTS, ""))
        warnings += _value_warnings(request, value, accumulator.overall.denominator)
        groups = tuple(
            GroupValue(
                group_labels[g],
                accumulator.group(g).count,
                accumulator.group_value(g),
                _ci(group_samples, position, i, options.ci),
            )
            for position, g in enumerate(order)
        )
        ci = None if samples is None else _interval(samples[i], options.ci or 0.0)
        results.append(
            Result(
                request.loss.name,
                params=dict(request.params),
                value=value,
                weight=request.weight,
                ci=ci,
                confidence=options.ci,
                group_by=group_column,
                groups=groups,
                worst=stages.worst[i].rows() if stages.worst else (),
                **common,
            )
        )
    if empty:
        names = ", ".join(str(group_labels[g]) for g in empty[:5])
        names += f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        warnings.append(
            f"{option('group_by', group_column)}: no usable rows in group {names}; left out"
        )
    evaluation = _with_total(requests, results, warnings, samples, group_samples)
    if stages.worst and stages.total_weights:
        *terms, total = evaluation.results
        total = replace(total, worst=stages.worst[-1].rows())
        evaluation = replace(evaluation, results=[*terms, total])
    keep = stages.collect
    return replace(evaluation, rows=data, group_labels=group_labels if keep else None)


def _ci(
    samples: list[np.ndarray] | None, position: int, loss: int, confidence: float | None
) -> tuple[float, float] | None:
    if samples is None or confidence is None:
        return None
    return _interval(samples[position][loss], confidence)


def _interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    from losscli.pipeline.resample import interval

    return interval(samples, confidence)


def _value_warnings(request: Request, value: float, denominator: float) -> list[str]:
    name = request.loss.name
    if math.isnan(value) and denominator == 0:
        return [
            f"{name}: every row is ignored (ignore_index or zero class weight); "
            "the mean is undefined (NaN, as PyTorch gives)"
        ]
    if not math.isfinite(value):
        return [f"{name}: the result is {value}"]
    return []


def _with_total(
    requests: Sequence[Request],
    results: list[Result],
    warnings: list[str],
    samples: np.ndarray | None = None,
    group_samples: Sequence[np.ndarray] | None = None,
) -> Evaluation:
    if is_weighted_sum(requests):
        weights = [float(r.weight or 0.0) for r in requests]
        results = [
            *results,
            weighted_total(sum_name(requests), weights, results, samples, group_samples),
        ]
    return Evaluation(results, warnings)


def evaluate_arrays(
    requests: Sequence[Request],
    arrays: Mapping[str, Any],
    options: Options | None = None,
) -> Evaluation:
    """Compute losses on in-memory arrays named after the inputs (and ``weights``)."""
    options = options or Options()
    if WEIGHTS in arrays:
        options = replace(options, columns={**options.columns, WEIGHTS: WEIGHTS})
    return evaluate(requests, [dict(arrays)], options)
