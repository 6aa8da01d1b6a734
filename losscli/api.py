"""The Python API: the same evaluations as the command line, on files or in-memory data.

>>> import numpy as np, losscli
>>> result = losscli.compute("huber", np.array([0.5, 3.0]), np.array([0.0, 0.0]), delta=1.0)
>>> result.value, result.n
(1.3125, 2)
>>> losscli.compute("mse,mae", np.array([1.0, 2.0]), np.array([0.0, 4.0]))["mae"].value
1.5

Inputs are NumPy arrays, pandas, pyarrow or polars objects, torch tensors, or file paths;
``data=frame`` with ``columns={"predictions": "yhat", "targets": "y"}`` picks columns of
one table. Warnings (rows skipped, data that look unusual) are issued as ``LossWarning``;
errors are ``losscli.LossCliError`` subclasses with the same messages as the CLI's.
"""

from __future__ import annotations

import os
import warnings as _warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from losscli.catalogue import default_registry
from losscli.errors import UsageError, option
from losscli.pipeline.results import Evaluation, Result
from losscli.records import record, replace
from losscli.registry import Loss, Registry
from losscli.requests import CHUNK_ROWS, Options, Request, resolve_requests
from losscli.spec import LossSpec, parse_spec

if TYPE_CHECKING:
    from losscli.checks.gates import CheckRun
    from losscli.comparison import Comparison

LossNames = str | Sequence[str]


class LossWarning(UserWarning):
    """Something in the data worth a look that does not make the number wrong."""


def _registry(registry: Registry | None, plugins: Iterable[str]) -> Registry:
    if registry is not None:
        return registry
    plugins = list(plugins)
    if not plugins:
        return default_registry()
    from losscli.plugins import registry_with

    return registry_with(plugins)


def _warn(messages: Iterable[str]) -> None:
    for message in messages:
        _warnings.warn(message, LossWarning, stacklevel=3)


def _inputs(
    inputs: Sequence[Any], data: Any, weights: Any, columns: Mapping[str, str] | None
) -> tuple[list[Any], Any, dict[str, str]]:
    """The inputs to read, where the weights come from, and the column picks."""
    picks = dict(columns or {})
    if data is not None:
        if inputs:
            raise UsageError("give the inputs either positionally or as data=..., not both")
        inputs = [data]
        names = getattr(data, "columns", None)
        if isinstance(data, Mapping):
            names = list(data)
        if isinstance(weights, str) and names is not None and weights in list(names):
            picks["weights"] = weights
            weights = None
    if not inputs:
        raise UsageError("give the inputs: predictions and targets (arrays, frames or paths)")
    return list(inputs), weights, picks


def _check_out(out: Any, reads: Sequence[Any]) -> None:
    """``out=``: a path, and never one of the inputs (checked before anything is read)."""
    from losscli.output_guard import check_outputs

    if not isinstance(out, (str, os.PathLike)):
        raise UsageError(f"out= takes a file path; got {type(out).__name__}")
    check_outputs([("out", out)], reads)


def _requests(
    loss: LossNames | LossSpec,
    params: Mapping[str, Any] | None,
    loss_params: Mapping[str, Any],
    registry: Registry,
) -> list[Request]:
    given = [*(params or {}).items(), *loss_params.items()]
    return resolve_requests(parse_spec(loss), given, registry)


def compute(
    loss: LossNames,
    *inputs: Any,
    data: Any = None,
    columns: Mapping[str, str] | None = None,
    weights: Any = None,
    reduction: str = "mean",
    group_by: Any = None,
    on: str | None = None,
    how: str = "exact",
    ci: float | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
    convention: str | None = None,
    nan: str = "error",
    strict: bool = False,
    format: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    worst: int = 0,
    id_column: str | None = None,
    out: str | os.PathLike[str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    params: Mapping[str, Any] | None = None,
    plugins: Iterable[str] = (),
    registry: Registry | None = None,
    **loss_params: Any,
) -> Result | Evaluation:
    """Evaluate a loss on predictions and targets; the keywords mirror ``losscli compute``.

    ``loss`` is one name (returns a ``Result``), or a comma list / list of names / weighted
    sum such as ``"0.5*cross_entropy + 0.5*dice"`` (returns an ``Evaluation``: iterate it,
    or index it by loss name or ``"total"``). Loss parameters are keywords
    (``delta=0.5``, applied to every listed loss that has one) or
    ``params={"dice": {"smooth": 1}}``. ``weights`` is an array, a path, or a column of
    ``data``. With ``reduction="none"``, ``out="rows.parquet"`` streams the per-row values
    (and the ``id_column``) to a file in the format its extension names instead of keeping
    them in memory. ``worst=K`` adds each result's K rows of largest loss (``.worst``).
    ``engine="dask"`` evaluates each file of the inputs on a Dask cluster (``scheduler``:
    its address; default: a local cluster for this call) and merges the sums exactly.
    """
    registry = _registry(registry, plugins)
    requests = _requests(loss, params, loss_params, registry)
    sources, weights, picks = _inputs(inputs, data, weights, columns)
    options = Options(
        reduction=reduction,
        nan=nan,
        strict=strict,
        columns=picks,
        weights=weights,
        format=format,
        chunk_rows=chunk_rows,
        convention=convention,
        group_by=group_by,
        on=on,
        how=how,
        ci=ci,
        bootstrap=bootstrap,
        seed=seed,
        id_column=id_column,
        worst=worst,
        engine=engine,
        scheduler=scheduler,
    )
    if out is not None:
        _check_out(out, [*sources, weights])
        evaluation = _export(requests, sources, options, os.fspath(out))
    else:
        from losscli.evaluate import evaluate

        evaluation = evaluate(requests, sources, options)
    _warn(evaluation.warnings)
    if len(requests) == 1 and requests[0].weight is None:
        return evaluation.results[0]
    return evaluation


def _export(requests: Any, sources: Any, options: Options, path: str) -> Evaluation:
    from losscli.render.export import export_rows
    from losscli.render.rows import format_of

    if options.reduction != "none":
        raise UsageError(
            f"{option('out', path)} writes per-row values: use it with "
            f"{option('reduction', 'none')} (reduced results are returned)"
        )
    evaluation, notes = export_rows(requests, sources, options, format_of(path), path)
    return replace(evaluation, warnings=[*evaluation.warnings, *notes])


def check(
    loss: LossNames,
    *inputs: Any,
    max: Any = None,
    min: Any = None,
    max_group: Any = None,
    min_group: Any = None,
    baseline: str | None = None,
    update_baseline: bool = False,
    rtol: Any = None,
    atol: Any = None,
    higher_is_better: Iterable[str] | str = (),
    data: Any = None,
    columns: Mapping[str, str] | None = None,
    weights: Any = None,
    reduction: str = "mean",
    group_by: Any = None,
    on: str | None = None,
    how: str = "exact",
    convention: str | None = None,
    nan: str = "error",
    strict: bool = False,
    format: str | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    params: Mapping[str, Any] | None = None,
    plugins: Iterable[str] = (),
    registry: Registry | None = None,
    **loss_params: Any,
) -> CheckRun:
    """Judge losses against limits and a baseline, as ``losscli check`` does.

    Limits are ``{"mse": 0.25}`` or one number for a single loss (``"total"`` names a
    weighted sum's total). Returns a ``CheckRun``: ``.passed``, ``.failed`` (the failing
    verdicts), ``.verdicts``, ``.to_dict()``.
    """
    from losscli.checks.gates import CheckSpec, run_checks
    from losscli.checks.limits import build_limits

    registry = _registry(registry, plugins)
    requests = _requests(loss, params, loss_params, registry)
    sources, weights, picks = _inputs(inputs, data, weights, columns)
    limits = build_limits(
        requests,
        registry,
        max=max,
        min=min,
        max_group=max_group,
        min_group=min_group,
        rtol=rtol,
        atol=atol,
        higher_is_better=higher_is_better,
    )
    options = Options(
        reduction=reduction,
        nan=nan,
        strict=strict,
        columns=picks,
        weights=weights,
        format=format,
        convention=convention,
        group_by=group_by,
        on=on,
        how=how,
        engine=engine,
        scheduler=scheduler,
    )
    run = run_checks([CheckSpec(requests, sources, options, limits)], baseline, update_baseline)
    if update_baseline and baseline:
        from losscli.render.baseline_file import write_baseline

        write_baseline(baseline, run.records)
    _warn(run.warnings)
    return run


def compare(
    loss: LossNames,
    model_a: Any,
    model_b: Any,
    *targets: Any,
    ci: float = 0.95,
    bootstrap: int = 2000,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
    weights: Any = None,
    group_by: Any = None,
    on: str | None = None,
    how: str = "exact",
    convention: str | None = None,
    nan: str = "error",
    strict: bool = False,
    format: str | None = None,
    params: Mapping[str, Any] | None = None,
    plugins: Iterable[str] = (),
    registry: Registry | None = None,
    **loss_params: Any,
) -> Comparison:
    """Two models' predictions on the same targets, as ``losscli compare`` does.

    ``ci`` is the confidence level of the interval of B - A (``confidence=``, its old
    name, is still accepted). Returns a ``Comparison``: ``.overall`` (``a``, ``b``,
    ``difference``, ``ci``, ``verdict``), ``.groups``, ``.to_dict()``.
    """
    from losscli.comparison import compare as run_comparison

    if "confidence" in loss_params:
        ci = loss_params.pop("confidence")
    registry = _registry(registry, plugins)
    requests = _requests(loss, params, loss_params, registry)
    if not targets:
        raise UsageError("give the targets after the two models' predictions")
    options = Options(
        columns=dict(columns or {}),
        weights=weights,
        convention=convention,
        group_by=group_by,
        on=on,
        how=how,
        nan=nan,
        strict=strict,
        format=format,
        bootstrap=bootstrap,
        seed=seed,
    )
    comparison, notes = run_comparison(requests, model_a, model_b, targets, options, ci)
    _warn(notes)
    return comparison


def grad(
    loss: str,
    *inputs: Any,
    data: Any = None,
    columns: Mapping[str, str] | None = None,
    on: str | None = None,
    how: str = "exact",
    convention: str | None = None,
    nan: str = "error",
    strict: bool = False,
    format: str | None = None,
    out: str | os.PathLike[str] | None = None,
    params: Mapping[str, Any] | None = None,
    plugins: Iterable[str] = (),
    registry: Registry | None = None,
    **loss_params: Any,
) -> Gradients:
    """The gradient of each row's loss with respect to its predictions, as ``losscli grad``
    gives it: d l_i / d p_i (the mean loss's gradient is that divided by the rows).

    Returns ``Gradients``: ``.values`` (one row per row; ``None`` when written to ``out``,
    a file in the format its extension names) and ``.summary`` (norms, the method and
    the shares of vanishing, non-finite and huge entries).

    >>> import numpy as np, losscli
    >>> losscli.grad("mse", np.array([1.0, 2.0]), np.array([0.0, 4.0])).values
    array([ 2., -4.])
    """
    from losscli.advice.grad import observe_gradients

    registry = _registry(registry, plugins)
    requests = _requests(loss, params, loss_params, registry)
    sources, _, picks = _inputs(inputs, data, None, columns)
    options = Options(
        columns=picks, on=on, how=how, convention=convention, nan=nan, format=format, strict=strict
    )
    if out is None:
        evaluation, observer = observe_gradients(requests, sources, options, keep=True)
        _warn(evaluation.warnings)
        return Gradients(observer.gradients(), observer.summary())
    from losscli.render.export import export_gradients
    from losscli.render.rows import format_of

    _check_out(out, sources)
    path = os.fspath(out)
    evaluation, notes, summary = export_gradients(requests, sources, options, format_of(path), path)
    _warn([*evaluation.warnings, *notes])
    return Gradients(None, summary)


def grad_check(
    loss: str,
    *inputs: Any,
    tolerance: float = 1e-4,
    data: Any = None,
    columns: Mapping[str, str] | None = None,
    on: str | None = None,
    how: str = "exact",
    convention: str | None = None,
    nan: str = "error",
    strict: bool = False,
    format: str | None = None,
    params: Mapping[str, Any] | None = None,
    plugins: Iterable[str] = (),
    registry: Registry | None = None,
    **loss_params: Any,
) -> dict[str, Any]:
    """Check a loss's analytic gradient against central differences on the first rows, as
    ``losscli grad --check`` does: the worst relative error, where, and ``"verdict"``
    (``"pass"`` within ``tolerance``)."""
    from losscli.advice.grad import grad_check as check_gradient

    registry = _registry(registry, plugins)
    requests = _requests(loss, params, loss_params, registry)
    sources, _, picks = _inputs(inputs, data, None, columns)
    options = Options(
        columns=picks, on=on, how=how, convention=convention, nan=nan, format=format, strict=strict
    )
    return check_gradient(requests, sources, options, tolerance)


@record(frozen=True)
class Gradients:
    """What ``grad`` returns: the per-row gradients (None when written to a file) and the
    summary ``losscli grad`` prints."""

    values: Any
    summary: dict[str, Any]


def get(name: str, plugins: Iterable[str] = ()) -> Loss:
    """The registry entry of a loss (by name or alias): its metadata and ``fn``, the pure
    per-row function (``get("huber").fn(predictions, targets, delta=0.5)``)."""
    return _registry(None, plugins).get(name)


def list_losses(family: str | None = None, plugins: Iterable[str] = ()) -> list[Loss]:
    """Every registered loss, or those of one family."""
    entries = list(_registry(None, plugins))
    if family is None:
        return entries
    chosen = [e for e in entries if e.family == family.lower()]
    if not chosen:
        families = ", ".join(sorted({e.family for e in entries}))
        raise UsageError(f"no loss of family '{family}' (families: {families})")
    return chosen


__all__ = [
    "Evaluation",
    "LossWarning",
    "Result",
    "Gradients",
    "check",
    "compare",
    "compute",
    "get",
    "grad",
    "grad_check",
    "list_losses",
]
