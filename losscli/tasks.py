"""Multi-task totals: L = sum_i w_i L_i over tasks with their own inputs, from a TOML file.

[[task]]
name = "depth"                 # optional; defaults to the loss
loss = "huber"                 # a loss, a comma list or a weighted sum
inputs = ["depth_pred.npy", "depth_true.npy"]   # paths relative to the TOML file
params = { delta = 0.5 }       # optional
columns = { predictions = "yhat" }              # optional, as --col
weight = 2.0                   # optional, default 1
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from losscli.errors import UsageError
from losscli.evaluate import Evaluation, Options, Result, evaluate, resolve_requests
from losscli.registry import Registry

_KEYS = {"name", "loss", "inputs", "params", "columns", "weight", "weights"}


@dataclass(frozen=True)
class Task:
    name: str
    loss: str
    inputs: list[str]
    params: list[str]
    columns: dict[str, str]
    weight: float
    weights: str | None


def load_tasks(path: str) -> list[Task]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise UsageError("--tasks needs Python 3.11 or newer (tomllib)") from None
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text())
    except FileNotFoundError:
        raise UsageError(f"--tasks {path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--tasks {path}: not valid TOML: {exc}") from None
    entries = data.get("task")
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"--tasks {path}: expected one or more [[task]] tables")
    tasks = [_task(entry, i + 1, file) for i, entry in enumerate(entries)]
    names = [t.name for t in tasks]
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"--tasks {path}: two tasks are named '{name}'; give each a name")
    return tasks


def _task(entry: Mapping[str, Any], number: int, file: Path) -> Task:
    where = f"--tasks {file}: task {number}"
    unknown = set(entry) - _KEYS
    if unknown:
        raise UsageError(
            f"{where}: unknown key {', '.join(sorted(unknown))} (keys: {', '.join(sorted(_KEYS))})"
        )
    if not isinstance(entry.get("loss"), str):
        raise UsageError(f"{where}: 'loss' must name a loss, e.g. loss = \"mse\"")
    inputs = entry.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        raise UsageError(f"{where}: 'inputs' must be a list of file paths")
    weight = entry.get("weight", 1.0)
    if (
        not isinstance(weight, (int, float))
        or isinstance(weight, bool)
        or not math.isfinite(weight)
    ):
        raise UsageError(f"{where}: 'weight' must be a number")

    def resolve(p: str) -> str:
        return p if p == "-" or Path(p).is_absolute() else str(file.parent / p)

    params = entry.get("params", {})
    columns = entry.get("columns", {})
    if not isinstance(params, dict) or not isinstance(columns, dict):
        raise UsageError(f"{where}: 'params' and 'columns' must be tables")
    return Task(
        name=str(entry.get("name", entry["loss"])),
        loss=entry["loss"],
        inputs=[resolve(p) for p in inputs],
        params=[f"{k}={param_text(v)}" for k, v in params.items()],
        columns={str(k): str(v) for k, v in columns.items()},
        weight=float(weight),
        weights=resolve(entry["weights"]) if "weights" in entry else None,
    )


def param_text(value: Any) -> str:
    """A TOML parameter value as -p NAME=VALUE spells it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def evaluate_tasks(tasks: list[Task], registry: Registry, options: Options) -> Evaluation:
    """Every task's losses, then the weighted total of the tasks' values."""
    if options.reduction == "none":
        raise UsageError("--tasks gives reduced values only: use --reduction mean or sum")
    results: list[Result] = []
    warnings: list[str] = []
    totals: list[float] = []
    for task in tasks:
        requests = resolve_requests(task.loss, task.params, registry)
        task_options = replace(options, columns=task.columns, weights=task.weights)
        evaluation = evaluate(requests, task.inputs, task_options)
        warnings += [f"task {task.name}: {w}" for w in evaluation.warnings]
        value = evaluation.results[-1].value  # a weighted sum puts its total last
        if len(evaluation.results) > 1 and all(r.weight is None for r in requests):
            raise UsageError(
                f"task {task.name}: give one loss or a weighted sum, not a list ({task.loss})"
            )
        for result in evaluation.results:
            result.task = task.name
        evaluation.results[-1].weight = task.weight
        results += evaluation.results
        totals.append(task.weight * value)
    n = sum(r.n for r in results if r.weight is not None)
    total = Result("total", options.reduction, {}, n, value=math.fsum(totals))
    total.task = "total"
    results.append(total)
    return Evaluation(results, warnings)
