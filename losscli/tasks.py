"""Multi-task totals: L = sum_i w_i L_i over tasks with their own inputs, from a TOML file.

[[task]]
name = "depth"                 # optional; defaults to the loss
loss = "huber"                 # a loss or a weighted sum
inputs = ["depth_pred.npy", "depth_true.npy"]   # paths relative to the TOML file
params = { delta = 0.5 }       # optional
columns = { predictions = "yhat" }              # optional, as --col
weight = 2.0                   # optional, default 1
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from losscli.config import file_list, known_keys, load_toml, resolve_path, table_of
from losscli.errors import ConfigError, LossCliError, UsageError, option, spelling
from losscli.evaluate import evaluate
from losscli.options import toml_keys
from losscli.pipeline.exact_sum import exact_weighted_sum
from losscli.pipeline.results import Evaluation, Result
from losscli.records import record, replace
from losscli.registry import Registry
from losscli.requests import Options, Request, is_weighted_sum, resolve_requests

_KEYS = toml_keys("task")


@record(frozen=True)
class Task:
    name: str
    requests: list[Request]
    inputs: list[str]
    columns: dict[str, str]
    weight: float
    weights: str | None


def load_tasks(path: str, registry: Registry) -> list[Task]:
    what = f"{option('tasks', path)}"
    data = load_toml(path, what)
    entries = data.get("task")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{what}: expected one or more [[task]] tables")
    tasks = [
        _task(entry, f"{what}: task {i + 1}", Path(path), registry)
        for i, entry in enumerate(entries)
    ]
    names = [t.name for t in tasks]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{what}: two tasks are named '{name}'; give each a name")
    return tasks


def _task(entry: Any, where: str, file: Path, registry: Registry) -> Task:
    known_keys(entry, _KEYS, where)
    loss = entry.get("loss")
    if not isinstance(loss, str):
        raise ConfigError(f"{where}: 'loss' must name a loss, e.g. loss = \"mse\"")
    weight = entry.get("weight", 1.0)
    if (
        not isinstance(weight, (int, float))
        or isinstance(weight, bool)
        or not math.isfinite(weight)
    ):
        raise ConfigError(f"{where}: 'weight' must be a number")
    columns = table_of(entry, "columns", where)
    params = table_of(entry, "params", where)
    try:
        with spelling("toml"):
            requests = resolve_requests(loss, params, registry)
    except LossCliError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if len(requests) > 1 and not is_weighted_sum(requests):
        raise ConfigError(f"{where}: give one loss or a weighted sum, not a list ({loss})")
    weights = entry.get("weights")
    if weights is not None and not isinstance(weights, str):
        raise ConfigError(f"{where}: 'weights' must be a file path")
    return Task(
        name=str(entry.get("name", loss)),
        requests=requests,
        inputs=file_list(entry.get("inputs"), where, file.parent),
        columns={str(k): str(v) for k, v in columns.items()},
        weight=float(weight),
        weights=None if weights is None else resolve_path(weights, file.parent),
    )


def evaluate_tasks(tasks: list[Task], options: Options) -> Evaluation:
    """Every task's losses, then the weighted total of the tasks' values.

    The total's ``n`` is the number of rows behind it: the sum of the tasks' ``n``.
    """
    if options.reduction == "none":
        raise UsageError(
            f"{option('tasks')} gives reduced values only: use {option('reduction', 'mean')} "
            f"or {option('reduction', 'sum')}"
        )
    results: list[Result] = []
    warnings: list[str] = []
    totals: list[float] = []
    rows = 0
    for task in tasks:
        task_options = replace(options, columns=task.columns, weights=task.weights)
        evaluation = evaluate(task.requests, task.inputs, task_options)
        warnings += [f"task {task.name}: {w}" for w in evaluation.warnings]
        *terms, last = evaluation.results  # a weighted sum puts its total last
        results += [replace(r, task=task.name) for r in terms]
        results.append(replace(last, task=task.name, weight=task.weight))
        totals.append(float(last.value))  # type: ignore[arg-type]
        rows += last.n
    total = Result(
        "total",
        options.reduction,
        {},
        rows,
        value=exact_weighted_sum([t.weight for t in tasks], totals),
        task="total",
        terms=tuple(t.name for t in tasks),
    )
    return Evaluation([*results, total], warnings)
