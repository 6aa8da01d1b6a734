"""One run of the pipeline over a set of requests: the public ``Run``.

A ``Plan`` says which file and columns feed each input. A ``Run`` is fed aligned chunks
(``feed``), gives the mergeable state of what it has read (``state``), takes in the merged
state of runs elsewhere (``absorb``: Dask partitions) and makes the results (``finish``).
``read`` feeds a run every chunk of opened sources. Engines drive runs; this module
never imports an engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from losscli.errors import InputError, flag, option
from losscli.loss_calls import per_row
from losscli.pipeline.accumulate import Accumulator
from losscli.pipeline.align import aligned_chunks, check_known_row_counts
from losscli.pipeline.binding import Binding, bind_inputs
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
from losscli.pipeline.resample import RowData
from losscli.pipeline.results import Evaluation, GroupValue, Result, weighted_total
from losscli.pipeline.sources import Sources
from losscli.pipeline.states import RunState
from losscli.progress import task
from losscli.records import record, replace
from losscli.registry import Input, Rows
from losscli.requests import Options, Request, input_names, is_weighted_sum, sum_name

# Bootstrap replicates made elsewhere: given the group ids in result order, the replicates
# (k, B) of every loss overall and one (k, B) array a group.
Resampled = Callable[[list[int]], tuple[np.ndarray, list[np.ndarray]]]

__all__ = ["Plan", "Resampled", "Run", "bind", "plan", "read"]


@record(frozen=True)
class Plan:
    """What one run reads: each input's binding, its declared spec and where it comes from."""

    bindings: dict[str, Binding]
    specs: dict[str, Input]
    origins: dict[str, str]
    notes: tuple[str, ...] = ()  # what binding the columns has to say


def bind(requests: Sequence[Request], sources: Sources, options: Options) -> Plan:
    label = ",".join(r.loss.name for r in requests)
    every = [i for r in requests for i in r.loss.inputs]
    optional = frozenset(i.name for i in every) - {i.name for i in every if not i.optional}
    notes: list[str] = []
    bindings = bind_inputs(
        input_names(requests),
        sources.tables,
        options.columns,
        sources.weights,
        label,
        optional,
        sources.reserved,
        notes,
    )
    specs = {i.name: i for i in every} | {WEIGHTS: WEIGHTS_INPUT}
    if sources.group is not None:
        bindings[GROUP] = sources.group
        specs[GROUP] = GROUP_INPUT
    if sources.row_id is not None:
        bindings[ROW_ID] = sources.row_id
        specs[ROW_ID] = ROW_ID_INPUT
    origins = {name: b.origin() for name, b in bindings.items()}
    return Plan(bindings, specs, origins, tuple(notes))


class Run:
    """The per-loss stages of one run, fed one prepared chunk at a time."""

    def __init__(
        self,
        requests: Sequence[Request],
        plan: Plan,
        options: Options,
        collect: bool = False,
        rows_to: RowSink | None = None,
        observe: RowSink | None = None,
    ) -> None:
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
        self.resampled: Resampled | None = None

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
                rows = per_row(request.loss, self.convention, own, request.params)
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

    def state(self, partition: int = 0) -> RunState:
        """The mergeable state of what this run has read (the ``partition``-th part)."""
        return _capture(self, partition)

    def absorb(self, state: RunState) -> None:
        """Take in the merged state of runs elsewhere (this run has read nothing)."""
        self.resampled = _restore(self, state)

    def finish(self) -> Evaluation:
        """The results, once every row is read or absorbed."""
        return _finish(self)


def plan(requests: Sequence[Request], sources: Sources, options: Options) -> Plan:
    """Which file and columns each input is read from; row counts known up front checked."""
    bound = bind(requests, sources, options)
    check_known_row_counts(bound.bindings, bound.origins)
    return bound


def read(
    requests: Sequence[Request],
    sources: Sources,
    options: Options,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> Run:
    """A run fed every aligned chunk of ``sources``."""
    bound = plan(requests, sources, options)
    collect = keep_rows or options.ci is not None
    stages = Run(requests, bound, options, collect, rows_to, observe)
    whole = not all(r.loss.streamable for r in requests)
    labels = frozenset(c for c in (stages.group_column, stages.id_column) if c)
    chunk_rows = None if whole else options.chunk_rows
    first = next(iter(bound.bindings.values())).table
    size, unit = first.read_size()
    shown = first.display.rsplit("/", 1)[-1]
    with np.errstate(all="ignore"), task(f"reading {shown}", size, unit) as bar:
        row_axes = {name: spec.row_axis for name, spec in bound.specs.items()}
        for chunk in aligned_chunks(bound.bindings, bound.origins, chunk_rows, labels, row_axes):
            stages.feed(chunk)
            bar.advance(first.read_done(stages.preparer.rows) - bar.done)
    return stages


def _finish(stages: Run) -> Evaluation:
    """The results of a run that has seen every row: per-row values, or reduced values
    with groups and intervals (from replicates made elsewhere when it absorbed them)."""
    resampled = stages.resampled
    requests, options = stages.requests, stages.options
    data_warnings = stages.diagnostics.warnings(stages.preparer.used)
    if options.strict and data_warnings:
        raise InputError(_strict_error(data_warnings))
    warnings = [*stages.plan.notes, *stages.preparer.finish(), *data_warnings]
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
    stages: Run,
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
        said = _value_warnings(request, value, accumulator.overall.denominator)
        if options.strict and said:
            raise InputError(_strict_error(said))
        warnings += said
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
                worst_of=request.loss.per_row_instead if stages.worst else None,
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


def _strict_error(warnings: Sequence[str]) -> str:
    more = f" (and {len(warnings) - 1} more warning{'s' * (len(warnings) > 2)})"
    return f"{warnings[0]} [{flag('strict')}]" + (more if len(warnings) > 1 else "")


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


def _weighted_means(stages: Run) -> list[bool]:
    """Which losses are weighted means (sum w m / sum w r), rather than sums or means over N."""
    reduction = stages.options.reduction
    return [
        reduction != "sum" and not r.loss.reducer(stages.options.convention).batch_mean
        for r in stages.requests
    ]


def _capture(stages: Run, partition: int) -> RunState:
    """The state of stages that have read one partition (the ``partition``-th)."""
    labels = stages.preparer.groups.raw()
    resampled = None
    options = stages.options
    if options.ci is not None and stages.collect and stages.preparer.used:
        from losscli.pipeline.resample_poisson import poisson_sums, scaled_columns

        valid, codes = stages.index.valid(), stages.index.codes()
        parts = [p.data(valid, codes) for p in stages.row_parts]
        top = max((p.top for p in stages.row_parts), default=1.0)
        scaled = scaled_columns(parts, _weighted_means(stages))
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


def _restore(stages: Run, state: RunState) -> Resampled | None:
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
    means = _weighted_means(stages)
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
