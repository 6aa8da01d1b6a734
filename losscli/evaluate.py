"""Evaluate registry losses on files: bind inputs, stream aligned chunks, reduce.

This is the library behind ``losscli compute``; it raises ``LossCliError`` subclasses for
anything the user must fix and returns warnings as text for the caller to show.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli import labels
from losscli.binding import WEIGHTS, Binding, bind_inputs
from losscli.composite import parse_spec
from losscli.errors import InputError, UsageError
from losscli.readers import Table, open_table
from losscli.readers.memory import ArrayTable
from losscli.reduction import Partial
from losscli.registry import Input, Loss, Registry, Rows, resolve_params
from losscli.resample import RowData, interval, replicates
from losscli.shapes import match_shapes

CHUNK_ROWS = 1 << 18
WEIGHTS_INPUT = Input(WEIGHTS, ("N",), "non-negative per-row sample weights")
GROUP = "\0group"  # the binding of the --group-by column; never a loss input's name
GROUP_INPUT = Input(GROUP, ("N",), "group labels")


@dataclass(frozen=True)
class Request:
    """One loss to evaluate, with its checked parameters and, in a weighted sum, its weight."""

    loss: Loss
    params: dict[str, Any]
    weight: float | None = None


@dataclass
class GroupValue:
    """A loss reduced over the rows of one ``--group-by`` group."""

    group: Any
    n: int
    value: float
    ci: tuple[float, float] | None = None

    def record(self) -> dict[str, Any]:
        out = {"group": self.group, "n": self.n, "value": self.value}
        if self.ci is not None:
            out["ci"] = list(self.ci)
        return out


@dataclass
class Result:
    loss: str
    reduction: str
    params: dict[str, Any]
    n: int
    value: float | None = None
    values: np.ndarray | None = None
    weight: float | None = None
    convention: str | None = None
    task: str | None = None
    ci: tuple[float, float] | None = None
    confidence: float | None = None
    group_by: str | None = None
    groups: list[GroupValue] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The result as the JSON contract spells it."""
        out: dict[str, Any] = {"task": self.task} if self.task is not None else {}
        out |= {
            "loss": self.loss,
            "reduction": self.reduction,
            "params": self.params,
            "n": self.n,
        }
        if self.weight is not None:
            out["weight"] = self.weight
        if self.convention is not None:
            out["convention"] = self.convention
        if self.values is not None:
            out["values"] = self.values
        else:
            out["value"] = self.value
        if self.ci is not None:
            out["ci"] = list(self.ci)
            out["confidence"] = self.confidence
        if self.group_by is not None:
            out["group_by"] = self.group_by
            out["groups"] = [g.record() for g in self.groups]
        return out


@dataclass
class Evaluation:
    results: list[Result]
    warnings: list[str] = field(default_factory=list)
    rows: list[RowData] | None = None  # per request, when Options.keep_rows
    group_labels: list[Any] | None = None  # the label of each group id in ``rows``


@dataclass(frozen=True)
class Options:
    reduction: str = "mean"
    nan: str = "error"
    columns: Mapping[str, str] = field(default_factory=dict)
    weights: str | None = None
    format: str | None = None
    chunk_rows: int = CHUNK_ROWS
    convention: str | None = None
    group_by: str | None = None
    on: str | None = None
    how: str = "exact"
    ci: float | None = None  # confidence of a bootstrap interval for every reduced value
    bootstrap: int = 2000
    seed: int = 0
    keep_rows: bool = False  # return each loss's per-row parts (for comparisons)


@dataclass
class Inputs:
    """Opened input files, aligned by key when asked, and where the group labels come from."""

    tables: list[Table]
    weights: Table | None = None
    group: Binding | None = None
    notes: list[str] = field(default_factory=list)


def open_inputs(files: Sequence[str], options: Options) -> Inputs:
    """Open ``files`` (and ``options.weights``), join them on ``options.on``, find the group."""
    if sum(f == "-" for f in files) > 1:
        raise UsageError("stdin ('-') can be given only once")
    tables = [open_table(path, options.format) for path in files]
    if options.weights:
        tables.append(open_table(options.weights, options.format))
    notes: list[str] = []
    if options.on:
        tables, notes = _join(tables, options.on, options.how)
    group = None
    if options.group_by:
        column = options.group_by
        holders = [t for t in tables if column in t.columns]
        if not holders:
            listing = "; ".join(f"{t.display}: {', '.join(t.columns) or 'none'}" for t in tables)
            raise InputError(f"--group-by {column}: no input file has that column ({listing})")
        holders[0].mark_labels([column])
        group = Binding(holders[0], (column,))
    for table in tables:
        table.hide([c for c in (options.on, options.group_by) if c])
    weights = tables.pop() if options.weights else None
    return Inputs(tables, weights, group, notes)


def _join(tables: list[Table], key: str, how: str) -> tuple[list[Table], list[str]]:
    from losscli.joins import join

    unique: list[Table] = []
    for table in tables:
        if table not in unique:
            unique.append(table)
    joined, notes = join(unique, key, how)
    mapping = {id(t): j for t, j in zip(unique, joined)}
    return [mapping[id(t)] for t in tables], notes


def resolve_requests(spec: str, param_pairs: Sequence[str], registry: Registry) -> list[Request]:
    """``"mse,huber"`` and ``["delta=2"]`` or ``["huber.delta=2"]`` into checked requests.

    An unscoped parameter applies to every listed loss that declares it; at least one must.
    """
    names, weights = parse_spec(spec)
    losses: list[Loss] = []
    for name in names:
        loss = registry.get(name)
        if loss in losses:
            raise UsageError(f"{loss.name} is listed twice in '{spec}'")
        losses.append(loss)
    given: dict[str, dict[str, str]] = {loss.name: {} for loss in losses}
    for pair in param_pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"-p {pair}: expected NAME=VALUE, e.g. -p delta=0.5")
        scope, dot, pname = key.rpartition(".")
        if dot:
            loss = registry.get(scope)
            if loss not in losses:
                raise UsageError(f"-p {pair}: {loss.name} is not among the losses asked for")
            given[loss.name][pname] = value
            continue
        owners = [loss for loss in losses if loss.param(key) is not None]
        if not owners:
            valid = "; ".join(
                f"{loss.name}: {', '.join(p.name for p in loss.params) or 'none'}"
                for loss in losses
            )
            raise UsageError(f"-p {pair}: no loss asked for has a parameter '{key}' ({valid})")
        for loss in owners:
            given[loss.name][key] = value
    for loss in losses:
        for key, text in given[loss.name].items():
            param = loss.param(key)
            if param is not None and param.kind == "floats" and os.path.isfile(text):
                given[loss.name][key] = _vector_from_file(text, f"{loss.name}.{key}")
    return [
        Request(loss, resolve_params(loss, given[loss.name]), None if weights is None else w)
        for loss, w in zip(losses, weights or [None] * len(losses))
    ]


def _vector_from_file(path: str, what: str) -> str:
    """A per-class parameter read from a file (one column or one row) as a comma list."""
    table = open_table(path, None)
    values = np.concatenate(
        [np.asarray(a, dtype=np.float64).ravel() for a in table.read({"v": None}).values()]
    )
    if values.size == 0 or not np.isfinite(values).all():
        raise InputError(f"{what}: {path} must hold finite numbers, one per class")
    return ",".join(repr(float(v)) for v in values)


def input_names(requests: Sequence[Request]) -> list[str]:
    names: list[str] = []
    for request in requests:
        names += [i.name for i in request.loss.inputs if i.name not in names]
    return names


def evaluate(requests: Sequence[Request], files: Sequence[str], options: Options) -> Evaluation:
    """Compute every requested loss on the inputs read from ``files``."""
    for request in requests:
        if options.reduction not in request.loss.reductions:
            raise UsageError(
                f"{request.loss.name} supports only --reduction "
                f"{' or '.join(request.loss.reductions)}"
                + (
                    "; per-row values do not exist for it (use mse for per-row squared errors)"
                    if request.loss.name == "rmse"
                    else ""
                )
            )
    check_options(options)
    inputs = open_inputs(files, options)
    evaluation = evaluate_tables(requests, inputs.tables, options, inputs.weights, inputs.group)
    evaluation.warnings[:0] = inputs.notes
    return evaluation


def check_options(options: Options) -> None:
    """Options that do not go together, refused before any file is read."""
    if options.reduction == "none":
        for option, given in (("--group-by", options.group_by), ("--ci", options.ci)):
            if given is not None:
                raise UsageError(f"{option} applies to reduced values: use --reduction mean or sum")
    if options.ci is not None and not 0 < options.ci < 1:
        raise UsageError(f"--ci {options.ci}: give a confidence level between 0 and 1, e.g. 0.95")
    if options.bootstrap < 10:
        raise UsageError(f"--bootstrap {options.bootstrap}: give at least 10 resamples")


def evaluate_arrays(
    requests: Sequence[Request],
    arrays: Mapping[str, np.ndarray],
    options: Options | None = None,
) -> Evaluation:
    """Compute losses on in-memory arrays named after the inputs (and ``weights``)."""
    options = options or Options()
    if WEIGHTS in arrays:
        options = replace(options, columns={**options.columns, WEIGHTS: WEIGHTS})
    return evaluate_tables(requests, [ArrayTable(arrays)], options)


def evaluate_tables(
    requests: Sequence[Request],
    tables: Sequence[Table],
    options: Options,
    weights_table: Table | None = None,
    group: Binding | None = None,
) -> Evaluation:
    label = ",".join(r.loss.name for r in requests)
    every = [i for r in requests for i in r.loss.inputs]
    optional = frozenset(i.name for i in every) - {i.name for i in every if not i.optional}
    bindings = bind_inputs(
        input_names(requests), tables, options.columns, weights_table, label, optional
    )
    specs = {i.name: i for r in requests for i in r.loss.inputs} | {WEIGHTS: WEIGHTS_INPUT}
    if group is not None:
        bindings[GROUP] = group
        specs[GROUP] = GROUP_INPUT
    return _Run(requests, bindings, specs, options).run()


def sum_name(requests: Sequence[Request]) -> str:
    """How a weighted sum is named in results: ``0.5*cross_entropy + 0.5*dice``."""
    return " + ".join(f"{r.weight:g}*{r.loss.name}" for r in requests).replace("+ -", "- ")


def weighted_total(
    requests: Sequence[Request],
    results: Sequence[Result],
    samples: np.ndarray | None = None,
    group_samples: Mapping[int, np.ndarray] | None = None,
) -> Result:
    """sum_k w_k L_k over the terms of a weighted sum: reduced, per row, or per group.

    ``samples`` are the terms' paired bootstrap replicates (k, B), for the total's interval.
    """
    expression = sum_name(requests)
    first = results[0]
    total = Result(
        expression,
        first.reduction,
        {},
        first.n,
        convention=first.convention,
        confidence=first.confidence,
        group_by=first.group_by,
    )
    w = np.array([r.weight for r in requests])
    if first.values is not None:
        total.values = sum(r.weight * res.values for r, res in zip(requests, results))
        return total
    total.value = math.fsum(r.weight * res.value for r, res in zip(requests, results))
    if samples is not None:
        total.ci = interval(w @ samples, first.confidence)
    for position, group in enumerate(first.groups):
        value = math.fsum(
            r.weight * res.groups[position].value for r, res in zip(requests, results)
        )
        ci = None
        if group_samples is not None:
            ci = interval(w @ group_samples[position], first.confidence)
        total.groups.append(GroupValue(group.group, group.n, value, ci))
    return total


class _Run:
    def __init__(
        self,
        requests: Sequence[Request],
        bindings: dict[str, Binding],
        specs: dict[str, Input],
        options: Options,
    ) -> None:
        self.requests = requests
        self.bindings = bindings
        self.specs = specs
        self.options = options
        self.origins = {name: b.origin() for name, b in bindings.items()}
        self.partials = [Partial() for _ in requests]
        self.pieces: list[list[np.ndarray]] = [[] for _ in requests]
        self.check_counts: dict[tuple[int, int], list[int]] = {}
        self.rows = 0
        self.used = 0
        self.bad_rows = 0
        self.first_bad: tuple[int, str] | None = None
        self.shapes_checked = False
        self.group_ids: dict[Any, int] = {}
        self.group_partials: list[list[Partial]] = [[] for _ in requests]
        self.collect = options.keep_rows or options.ci is not None
        self.row_pieces: list[list[tuple[np.ndarray, ...]]] = [[] for _ in requests]
        self.valid_pieces: list[np.ndarray] = []
        self.code_pieces: list[np.ndarray] = []

    def run(self) -> Evaluation:
        self._check_known_row_counts()
        with np.errstate(all="ignore"):
            for chunk in self._aligned_chunks():
                self._process(chunk)
        return self._finish()

    def _check_known_row_counts(self) -> None:
        known = {n: b.table.n_rows for n, b in self.bindings.items() if b.table.n_rows is not None}
        if len(set(known.values())) > 1:
            raise InputError(_row_count_message(known, self.origins))

    def _streams(self) -> list[tuple[list[str], Iterator[dict[str, np.ndarray]]]]:
        by_table: dict[int, tuple[Any, dict[str, Any]]] = {}
        for name, binding in self.bindings.items():
            entry = by_table.setdefault(id(binding.table), (binding.table, {}))
            entry[1][name] = binding.columns
        whole = self.options.reduction == "none" or not all(
            r.loss.streamable for r in self.requests
        )
        streams = []
        for table, selection in by_table.values():
            if whole:
                iterator: Iterator[dict[str, np.ndarray]] = iter([table.read(selection)])
            else:
                iterator = table.chunks(selection, self.options.chunk_rows)
            streams.append((list(selection), map(self._rows_first, iterator)))
        return streams

    def _rows_first(self, piece: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Put the row axis first where an input declares it elsewhere (CTC's (T, N, C))."""
        out = {}
        for name, array in piece.items():
            axis = self.specs[name].row_axis
            out[name] = np.moveaxis(array, axis, 0) if axis and array.ndim > axis else array
        return out

    def _aligned_chunks(self) -> Iterator[dict[str, np.ndarray]]:
        """Pieces of equal row count from every file, read in lock-step."""
        streams = self._streams()
        current: list[dict[str, np.ndarray] | None] = [None] * len(streams)
        offsets = [0] * len(streams)
        consumed = [0] * len(streams)

        def length(piece: dict[str, np.ndarray]) -> int:
            return len(next(iter(piece.values())))

        while True:
            for i, (_, iterator) in enumerate(streams):
                while current[i] is None or offsets[i] >= length(current[i]):
                    current[i] = next(iterator, None)
                    offsets[i] = 0
                    if current[i] is None:
                        break
            live = [c is not None for c in current]
            if not any(live):
                return
            if not all(live):
                totals = {}
                for i, (names, iterator) in enumerate(streams):
                    rest = sum(length(p) for p in iterator)
                    here = 0 if current[i] is None else length(current[i]) - offsets[i]
                    for name in names:
                        totals[name] = consumed[i] + here + rest
                raise InputError(_row_count_message(totals, self.origins))
            m = min(length(c) - o for c, o in zip(current, offsets))
            merged = {}
            for i, piece in enumerate(current):
                for name, array in piece.items():
                    merged[name] = array[offsets[i] : offsets[i] + m]
                offsets[i] += m
                consumed[i] += m
            yield merged

    def _prepare(self, chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for name, array in chunk.items():
            if array.ndim == 2 and array.shape[1] == 1 and _accepts_vector(self.specs[name]):
                array = array[:, 0]
            if self.specs[name].kind == "label" and array.dtype.kind in "iu":
                out[name] = array.astype(np.int64, copy=False)
            else:
                out[name] = np.asarray(array, dtype=np.float64)
        if not self.shapes_checked:
            shapes = {name: self._declared_shape(name, a) for name, a in out.items()}
            for request in self.requests:
                match_shapes(request.loss.inputs, shapes, self.origins, request.loss.name)
            match_shapes((WEIGHTS_INPUT,), shapes, self.origins, "--weights")
            self.shapes_checked = True
        return out

    def _declared_shape(self, name: str, array: np.ndarray) -> tuple[int, ...]:
        """The array's shape in the order its file holds it, for messages and matching."""
        axis = self.specs[name].row_axis
        return np.moveaxis(array, 0, axis).shape if axis else array.shape

    def _nonfinite_rows(self, arrays: dict[str, np.ndarray]) -> np.ndarray | None:
        bad = None
        for name, array in arrays.items():
            if array.dtype.kind != "f" or math.isfinite(np.sum(array)):
                continue
            rows = ~np.isfinite(array).all(axis=tuple(range(1, array.ndim)))
            if rows.any():
                if self.first_bad is None or self.rows + int(np.argmax(rows)) < self.first_bad[0]:
                    self.first_bad = (self.rows + int(np.argmax(rows)), name)
                bad = rows if bad is None else bad | rows
        return bad

    def _process(self, chunk: dict[str, np.ndarray]) -> None:
        group_column = chunk.pop(GROUP, None)
        arrays = self._prepare(chunk)
        n = len(next(iter(arrays.values())))
        codes = None if group_column is None else self._group_codes(group_column)
        bad = self._nonfinite_rows(arrays)
        if bad is not None:
            self.bad_rows += int(bad.sum())
        if self.bad_rows and self.options.nan == "error":
            # Only counting from here on, for the error message.
            self.rows += n
            return
        keep = None
        kept_codes = codes
        if bad is not None:
            keep = ~bad
            arrays = {name: a[keep] for name, a in arrays.items()}
            kept_codes = None if codes is None else codes[keep]
        weights = arrays.pop(WEIGHTS, None)
        if weights is not None and (weights < 0).any():
            row = self._row_number(int(np.argmax(weights < 0)), keep)
            raise InputError(
                f"weights ({self.origins[WEIGHTS]}) must be >= 0; row {row} is negative"
            )
        for label_name in (k for k, a in arrays.items() if self.specs[k].kind == "label"):
            arrays[label_name] = self._labels(label_name, arrays[label_name], keep)
        for index, request in enumerate(self.requests):
            loss = request.loss
            own = {i.name: arrays[i.name] for i in loss.inputs if i.name in arrays}
            for check_index, check in enumerate(loss.checks):
                mask = np.asarray(check.rows(**own, **request.params), dtype=bool)
                if mask.any():
                    self._count_check(index, check_index, mask, keep, own, request.params)
            rows = loss.function(self.options.convention)(**own, **request.params)
            if not isinstance(rows, Rows):
                rows = Rows(rows)
            values = np.asarray(rows.values, dtype=np.float64)
            if self.options.reduction == "none":
                if keep is not None:
                    full = np.full(n, np.nan)
                    full[keep] = values
                    values = full
                self.pieces[index].append(values)
            else:
                self.partials[index].add(values, weights, rows.means, rows.norms)
                if kept_codes is not None:
                    self._add_groups(index, kept_codes, values, weights, rows)
                if self.collect:
                    self._collect(index, n, keep, values, weights, rows)
        if self.collect:
            self.valid_pieces.append(np.ones(n, dtype=bool) if keep is None else keep)
            if codes is not None:
                self.code_pieces.append(codes)
        self.used += len(next(iter(arrays.values())))
        self.rows += n

    def _group_codes(self, column: Any) -> np.ndarray:
        """The group id of every row of a chunk; ids are numbered in order of appearance."""
        codes, uniques = labels.encode(column)
        ids = [self.group_ids.setdefault(u, len(self.group_ids)) for u in uniques]
        return np.asarray(ids, dtype=np.int64)[codes] if ids else codes

    def _add_groups(
        self,
        index: int,
        codes: np.ndarray,
        values: np.ndarray,
        weights: np.ndarray | None,
        rows: Rows,
    ) -> None:
        k = len(self.group_ids)
        w = np.ones(len(values)) if weights is None else weights

        def per_group(x: np.ndarray) -> np.ndarray:
            return np.bincount(codes, weights=np.broadcast_to(x, w.shape) * w, minlength=k)

        sums = per_group(values)
        numerators = sums if rows.means is None else per_group(rows.means)
        denominators = per_group(1.0 if rows.norms is None else rows.norms)
        totals = per_group(1.0)
        counts = np.bincount(codes, minlength=k)
        partials = self.group_partials[index]
        partials += [Partial() for _ in range(k - len(partials))]
        for g in np.flatnonzero(counts).tolist():
            partials[g].add_sums(sums[g], numerators[g], denominators[g], totals[g], counts[g])

    def _collect(
        self,
        index: int,
        n: int,
        keep: np.ndarray | None,
        values: np.ndarray,
        weights: np.ndarray | None,
        rows: Rows,
    ) -> None:
        """Keep each row's part of the reduced value (see resample.RowData), for resampling."""
        w = 1.0 if weights is None else weights
        means = values if rows.means is None else rows.means
        if self.options.reduction == "sum":
            parts = [values * w, None]
        elif self.options.convention == "keras":
            parts = [means * w, np.ones(len(values))]
        else:
            parts = [means * w, w * (1.0 if rows.norms is None else rows.norms)]
        full = []
        for part, fill in zip([values, *parts], (np.nan, 0.0, 0.0)):
            if part is None:
                full.append(None)
                continue
            part = np.broadcast_to(part, values.shape)
            if keep is not None:
                whole = np.full(n, fill)
                whole[keep] = part
                part = whole
            full.append(np.array(part, dtype=np.float64))
        self.row_pieces[index].append(tuple(full))

    def _row_number(self, index: int, keep: np.ndarray | None) -> int:
        """1-based row in the input files of position ``index`` among the kept rows."""
        if keep is not None:
            index = int(np.flatnonzero(keep)[index])
        return self.rows + index + 1

    def _labels(self, name: str, array: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
        if array.dtype.kind == "f":
            fractional = array != np.round(array)
            if fractional.any():
                i = int(np.argmax(fractional))
                raise InputError(
                    f"{name} ({self.origins[name]}) row {self._row_number(i, keep)}: "
                    f"{array[i]!r} is not a class index; expected integers"
                )
            array = array.astype(np.int64)
        return array

    def _count_check(
        self,
        index: int,
        check_index: int,
        mask: np.ndarray,
        keep: np.ndarray | None,
        own: dict[str, np.ndarray],
        params: dict[str, Any],
    ) -> None:
        first = int(np.argmax(mask))
        first_row = self._row_number(first, keep)
        check = self.requests[index].loss.checks[check_index]
        fields: dict[str, Any] = {"count": int(mask.sum()), "n": len(mask), "row": first_row}
        if check.input is not None:
            value = own[check.input][first]
            fields["value"] = _short(value)
            fields["origin"] = self.origins.get(check.input, "?")
        if check.details is not None:
            fields.update(check.details(**own, **params))
        if check.error:
            raise InputError(check.message.format(**fields))
        entry = self.check_counts.setdefault((index, check_index), [0, fields])
        entry[0] += int(mask.sum())

    def _finish(self) -> Evaluation:
        if self.bad_rows and self.options.nan == "error":
            row, name = self.first_bad
            raise InputError(
                f"NaN, inf or missing values in {self.bad_rows} of {self.rows} rows, the first "
                f"at row {row + 1} of {name} ({self.origins[name]}); fix the data or pass "
                "--nan skip to drop those rows"
            )
        if self.rows == 0:
            raise InputError(
                f"no rows to evaluate in {', '.join(dict.fromkeys(self.origins.values()))}"
            )
        if self.used == 0:
            raise InputError(f"every one of the {self.rows} rows has NaN, inf or missing values")
        warnings = []
        if self.bad_rows:
            warnings.append(
                f"skipped {self.bad_rows} of {self.rows} rows with NaN, inf or missing values"
            )
        for (index, check_index), (count, fields) in self.check_counts.items():
            loss = self.requests[index].loss
            check = loss.checks[check_index]
            if check.every_row and count < self.used:
                continue
            text = check.message.format(**{**fields, "count": count, "n": self.used})
            warnings.append(f"{loss.name}: {text}")
        results = [self._result(i, r, warnings) for i, r in enumerate(self.requests)]
        evaluation = Evaluation(results, warnings)
        group_labels = labels.tidy(list(self.group_ids))
        order = sorted(range(len(group_labels)), key=lambda g: labels.sort_key(group_labels[g]))
        if GROUP in self.bindings and self.options.reduction != "none":
            column = self.bindings[GROUP].columns[0]
            for partials in self.group_partials:
                partials += [Partial() for _ in range(len(group_labels) - len(partials))]
            empty = [g for g in order if self.group_partials[0][g].count == 0]
            if empty:
                names = ", ".join(str(group_labels[g]) for g in empty)
                warnings.append(f"--group-by {column}: no usable rows in group {names}; left out")
                order = [g for g in order if g not in empty]
            for index, result in enumerate(results):
                result.group_by = column
                for g in order:
                    partial = self.group_partials[index][g]
                    value = self._reduce(partial, self.requests[index].loss)
                    result.groups.append(GroupValue(group_labels[g], partial.count, value))
        samples = group_samples = None
        if self.collect:
            evaluation.rows = self._row_data()
            evaluation.group_labels = group_labels
            if self.options.ci is not None:
                samples, group_samples = self._intervals(evaluation.rows, results, order)
        if any(r.weight is not None for r in self.requests):
            results.append(weighted_total(self.requests, results, samples, group_samples))
        return evaluation

    def _row_data(self) -> list[RowData]:
        valid = np.concatenate(self.valid_pieces)
        codes = np.concatenate(self.code_pieces) if self.code_pieces else None
        data = []
        for request, pieces in zip(self.requests, self.row_pieces):
            values, numerators, denominators = (
                None if p[0] is None else np.concatenate(p) for p in zip(*pieces)
            )
            data.append(
                RowData(values, numerators, denominators, valid, codes, request.loss.finalize)
            )
        return data

    def _intervals(
        self, data: list[RowData], results: list[Result], order: list[int]
    ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Bootstrap intervals for every result and group, all losses on the same resamples."""
        confidence = self.options.ci
        valid = np.flatnonzero(data[0].valid)
        samples = replicates(
            [d.subset(valid) for d in data], self.options.bootstrap, self.options.seed
        )
        for result, sample in zip(results, samples):
            result.ci = interval(sample, confidence)
            result.confidence = confidence
        group_samples: dict[int, np.ndarray] = {}
        if data[0].groups is not None:
            codes = data[0].groups[valid]
            for position, g in enumerate(order):
                rows = valid[codes == g]
                group_samples[position] = replicates(
                    [d.subset(rows) for d in data],
                    self.options.bootstrap,
                    [self.options.seed, position],
                )
                for result, sample in zip(results, group_samples[position]):
                    result.groups[position].ci = interval(sample, confidence)
        return samples, group_samples

    def _reduce(self, partial: Partial, loss: Loss) -> float:
        if self.options.reduction == "sum":
            value = partial.weighted_sum
        elif self.options.convention == "keras":
            value = partial.mean_over_rows()
        else:
            value = partial.mean()
        return value if loss.finalize is None else loss.finalize(value)

    def _result(self, index: int, request: Request, warnings: list[str]) -> Result:
        loss = request.loss
        reduction = self.options.reduction
        result = Result(
            loss.name,
            reduction,
            dict(request.params),
            self.used,
            weight=request.weight,
            convention=self.options.convention,
        )
        if reduction == "none":
            result.values = np.concatenate(self.pieces[index])
            return result
        partial = self.partials[index]
        if partial.weight_total <= 0:
            raise InputError(f"the weights ({self.origins[WEIGHTS]}) add up to 0")
        value = self._reduce(partial, loss)
        if math.isnan(value) and partial.denominator == 0:
            warnings.append(
                f"{loss.name}: every row is ignored (ignore_index or zero class weight); "
                "the mean is undefined (NaN, as PyTorch gives)"
            )
        elif not math.isfinite(value):
            warnings.append(f"{loss.name}: the result is {value}")
        result.value = value
        return result


def _accepts_vector(spec: Input) -> bool:
    """Whether a one-column 2-D array may stand for this (N,)-shaped input."""
    return sum(not d.startswith("*") for d in spec.shape) == 1


def _short(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        item = array.item()
        return repr(int(item)) if float(item).is_integer() else repr(item)
    if array.size <= 6:
        return "[" + ", ".join(_short(v) for v in array.ravel()) + "]"
    return f"an array of shape {array.shape}"


def _row_count_message(counts: Mapping[str, int], origins: Mapping[str, str]) -> str:
    parts = [f"{name} ({origins[name]}) has {count} rows" for name, count in counts.items()]
    return "row counts disagree: " + ", ".join(parts)
