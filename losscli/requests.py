"""What to evaluate: ``Request`` (a loss with checked parameters and its weight in a sum)
and ``Options`` (how files are read, joined, sliced and reduced), each checked when made.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from losscli.errors import InputError, UsageError, option
from losscli.records import field, record
from losscli.registry import CONVENTION_CHOICES, REDUCTIONS, Loss, Registry, resolve_params
from losscli.spec import TOTAL, LossSpec, parse_spec

CHUNK_ROWS = 1 << 18
MAX_BOOTSTRAP = 1_000_000  # resamples cost rows x resamples; beyond this nothing changes
NAN_POLICIES = ("error", "skip")
JOIN_HOWS = ("exact", "inner")
ENGINES = ("local", "dask")


@record(frozen=True)
class Request:
    """One loss to evaluate, with its checked parameters and, in a weighted sum, its weight."""

    loss: Loss
    params: dict[str, Any]
    weight: float | None = None


def _choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    choices = tuple(choices)
    if value not in choices:
        spelled = " or ".join(option(name, c) for c in choices)
        raise UsageError(f"{option(name, value)}: expected {spelled}")


@record(frozen=True)
class Options:
    """How to evaluate; every value is checked here, for the CLI and the API alike."""

    reduction: str = "mean"
    nan: str = "error"
    columns: Mapping[str, str] = field(default_factory=dict)
    weights: Any = None  # a path, or an in-memory column of weights
    format: str | None = None
    chunk_rows: int = CHUNK_ROWS
    convention: str | None = None
    group_by: Any = None  # a column name, or in-memory labels, one per row
    on: str | None = None
    how: str = "exact"
    id_column: str | None = None  # names rows in per-row output and --worst (default: on)
    worst: int = 0  # report this many rows of largest loss
    ci: float | None = None  # confidence of a bootstrap interval for every reduced value
    bootstrap: int = 2000
    seed: int = 0
    engine: str = "local"  # "dask": partitions evaluated on a Dask cluster (engines/)
    scheduler: str | None = None  # a Dask scheduler's address; None starts a local cluster
    strict: bool = False  # every data warning is an error

    def __post_init__(self) -> None:
        _choice("reduction", self.reduction, REDUCTIONS)
        if not isinstance(self.strict, bool):
            raise UsageError(f"{option('strict')}: give true or false, not {self.strict!r}")
        _choice("engine", self.engine, ENGINES)
        if self.scheduler is not None and self.engine != "dask":
            raise UsageError(f"{option('scheduler')} needs {option('engine', 'dask')}")
        _choice("nan", self.nan, NAN_POLICIES)
        _choice("how", self.how, JOIN_HOWS)
        if self.convention is not None:
            _choice("convention", self.convention, CONVENTION_CHOICES)
        if self.format is not None:
            from losscli.formats import INPUT_FORMATS

            _choice("format", self.format, INPUT_FORMATS)
        if self.on is not None and (not isinstance(self.on, str) or not self.on):
            raise UsageError(f"{option('on')}: give a column name, not {self.on!r}")
        if self.id_column is not None:
            if not isinstance(self.id_column, str) or not self.id_column:
                raise UsageError(
                    f"{option('id_column')}: give a column name, not {self.id_column!r}"
                )
            if self.reduction != "none" and not self.worst:
                raise UsageError(
                    f"{option('id_column')} names rows: use it with "
                    f"{option('reduction', 'none')} or {option('worst', 'K')}"
                )
        if isinstance(self.group_by, str) and not self.group_by:
            raise UsageError(f"{option('group_by')}: give a column name")
        if self.group_by is not None and not isinstance(self.group_by, str):
            if not hasattr(self.group_by, "__len__"):
                raise UsageError(
                    f"{option('group_by')}: give a column name or one label per row, "
                    f"not {self.group_by!r}"
                )
            if self.on is not None:
                raise UsageError(
                    f"{option('group_by')} labels follow the rows in order; with "
                    f"{option('on')}, name the column that holds them"
                )
        if not isinstance(self.columns, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.columns.items()
        ):
            raise UsageError(
                f"{option('columns')}: give input names and column names as text, e.g. "
                "{'targets': 'y'}"
            )
        if self.how == "inner" and not self.on:
            raise UsageError(f"{option('how', 'inner')} needs {option('on', 'COLUMN')}")
        if isinstance(self.worst, bool) or not isinstance(self.worst, int) or self.worst < 0:
            raise UsageError(f"{option('worst', self.worst)}: give a number of rows, e.g. 10")
        if self.reduction == "none":
            for name in ("group_by", "ci", "worst"):
                if getattr(self, name) not in (None, 0):
                    raise UsageError(
                        f"{option(name)} applies to reduced values: use "
                        f"{option('reduction', 'mean')} or {option('reduction', 'sum')}"
                    )
        if self.ci is not None:
            if isinstance(self.ci, bool) or not isinstance(self.ci, (int, float)):
                raise UsageError(f"{option('ci', self.ci)}: give a number, e.g. 0.95")
            if not 0 < self.ci < 1:
                raise UsageError(
                    f"{option('ci', self.ci)}: give a confidence level between 0 and 1, e.g. 0.95"
                )
        for name, low, high in (
            ("bootstrap", 10, MAX_BOOTSTRAP),
            ("chunk_rows", 1, None),
            ("seed", 0, 2**63 - 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise UsageError(f"{option(name, value)}: give an integer of at least {low}")
            if high is not None and value > high:
                raise UsageError(f"{option(name, value)}: give an integer of at most {high:,}")


def resolve_requests(
    spec: str | Sequence[str] | LossSpec,
    params: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
    registry: Registry | None = None,
) -> list[Request]:
    """A loss spec and its parameters as checked requests.

    ``params`` are (key, value) pairs or a mapping: ``delta`` applies to every listed loss
    that declares it (at least one must), ``huber.delta`` to one loss; a mapping may also
    nest, ``{"dice": {"smooth": 1}}``. Values are text (``-p``) or Python values.
    """
    from losscli.catalogue import default_registry

    registry = default_registry() if registry is None else registry
    parsed = parse_spec(spec)
    losses: list[Loss] = []
    for name in parsed.names:
        loss = registry.get(name)
        if loss in losses:
            raise UsageError(f"{loss.name} is listed twice in '{parsed.text}'")
        losses.append(loss)
    given: dict[str, dict[str, Any]] = {loss.name: {} for loss in losses}

    def give(loss: Loss, name: str, value: Any) -> None:
        if name in given[loss.name]:
            raise UsageError(f"parameter {name} of {loss.name} is given twice")
        given[loss.name][name] = value

    for key, value in flatten_params(params):
        scope, dot, pname = key.rpartition(".")
        if dot:
            loss = registry.get(scope)
            if loss not in losses:
                raise UsageError(f"parameter {key}: {loss.name} is not among the losses asked for")
            give(loss, pname, value)
            continue
        owners = [loss for loss in losses if loss.param(key) is not None]
        if not owners:
            valid = "; ".join(
                f"{loss.name}: {', '.join(p.name for p in loss.params) or 'none'}"
                for loss in losses
            )
            raise UsageError(f"no loss asked for has a parameter '{key}' ({valid})")
        for loss in owners:
            give(loss, key, value)
    for loss in losses:
        for key, value in given[loss.name].items():
            param = loss.param(key)
            if param is not None and param.kind == "floats" and _is_file(value):
                given[loss.name][key] = _vector_from_file(value, f"{loss.name}.{key}")
    weights = parsed.weights or (None,) * len(losses)
    return [
        Request(loss, resolve_params(loss, given[loss.name]), w) for loss, w in zip(losses, weights)
    ]


def flatten_params(params: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``{"dice": {"smooth": 1}, "delta": 2}`` as ``[("dice.smooth", 1), ("delta", 2)]``."""
    pairs = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, Any]] = []
    for key, value in pairs:
        if not isinstance(key, str) or not key.strip():
            raise UsageError(f"parameter names must be text, not {key!r}")
        if isinstance(value, Mapping):
            out += [(f"{key}.{k}", v) for k, v in flatten_params(value)]
        else:
            out.append((key.strip(), value))
    return out


def _is_file(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and os.path.isfile(value)


def _vector_from_file(path: Any, what: str) -> tuple[float, ...]:
    """A per-class parameter read from a file (one column or one row)."""
    import numpy as np

    from losscli.readers import open_table

    table = open_table(os.fspath(path))
    values = np.concatenate(
        [np.asarray(a, dtype=np.float64).ravel() for a in table.read({"v": None}).values()]
    )
    if values.size == 0 or not np.isfinite(values).all():
        raise InputError(f"{what}: {path} must hold finite numbers, one per class")
    return tuple(float(v) for v in values)


def input_names(requests: Sequence[Request]) -> list[str]:
    names: list[str] = []
    for request in requests:
        names += [i.name for i in request.loss.inputs if i.name not in names]
    return names


def check_requests(requests: Sequence[Request], options: Options) -> None:
    """Requests that cannot be evaluated under ``options``, refused before any file is read."""
    if not requests:
        raise UsageError("no loss given")
    for request in requests:
        request.loss.check_reduction(options.reduction)


def sum_name(requests: Sequence[Request]) -> str:
    """How a weighted sum is named in results: ``0.5*cross_entropy + 0.5*dice``."""
    terms = []
    for r in requests:
        weight = float(r.weight if r.weight is not None else 1.0)
        coefficient = "" if abs(weight) == 1 else f"{abs(weight):g}*"
        sign = "-" if weight < 0 else "+"
        terms.append(f"{sign} {coefficient}{r.loss.name}")
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def is_weighted_sum(requests: Sequence[Request]) -> bool:
    return any(r.weight is not None for r in requests)


def limit_names(requests: Sequence[Request]) -> list[str]:
    """The names a limit may use for these requests: each loss, and a sum's total."""
    names = [r.loss.name for r in requests]
    return [*names, TOTAL] if is_weighted_sum(requests) else names
