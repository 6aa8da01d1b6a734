"""The checks file: ``losscli.toml``, or ``[tool.losscli]`` in ``pyproject.toml``.

    baseline = "baseline.json"        # optional; paths are relative to the file
    rtol = 0.02                       # optional defaults for every check (also atol)

    [[check]]                         # [[tool.losscli.check]] in pyproject.toml
    name = "validation"               # optional; defaults to the loss
    loss = "mse,mae"                  # a loss, a comma list or a weighted sum
    inputs = ["preds.parquet", "targets.parquet"]
    columns = { predictions = "yhat", targets = "y" }
    params = { delta = 0.5 }
    max = { mse = 0.25, mae = 0.4 }   # or a number when the check has one loss
    max_group = { mse = 0.4 }         # with group_by
    group_by = "region"
    rtol = { mse = 0.05 }             # or a number

Also per check: ``min``, ``min_group``, ``atol``, ``higher_is_better`` (loss names),
``weights``, ``on``, ``how``, ``nan``, ``reduction``, ``convention``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from losscli.errors import UsageError
from losscli.evaluate import Options
from losscli.gates import TOTAL, CheckSpec, Limits, Tolerance
from losscli.registry import Registry
from losscli.tasks import param_text

FILE_NAMES = ("losscli.toml", "pyproject.toml")
_TOP_KEYS = {"baseline", "rtol", "atol", "check"}
_CHECK_KEYS = {
    "name",
    "loss",
    "inputs",
    "columns",
    "params",
    "weights",
    "max",
    "min",
    "max_group",
    "min_group",
    "rtol",
    "atol",
    "higher_is_better",
    "group_by",
    "on",
    "how",
    "nan",
    "reduction",
    "convention",
}
_CHOICES = {
    "how": ("exact", "inner"),
    "nan": ("error", "skip"),
    "reduction": ("mean", "sum"),
    "convention": ("torch", "keras", "sklearn"),
}


@dataclass
class ChecksFile:
    path: Path
    checks: list[CheckSpec]
    baseline: str | None
    rtol: Tolerance
    atol: Tolerance


def find(start: Path | None = None) -> Path | None:
    """The nearest losscli.toml, or pyproject.toml with [tool.losscli], from ``start`` upward."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in FILE_NAMES:
            candidate = directory / name
            if candidate.is_file() and (
                name == "losscli.toml" or "[tool.losscli" in candidate.read_text(errors="replace")
            ):
                return candidate
    return None


def load(path: Path, registry: Registry) -> ChecksFile:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        raise UsageError("checks files need Python 3.11 or newer (tomllib)") from None
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    where = str(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("losscli")
        where += " [tool.losscli]"
        if not isinstance(data, dict):
            raise UsageError(f"{path}: has no [tool.losscli] table")
    _known_keys(data, _TOP_KEYS, where)
    entries = data.get("check")
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"{where}: expected one or more [[check]] tables")
    rtol = _tolerance(data.get("rtol"), where, "rtol", registry, None)
    atol = _tolerance(data.get("atol"), where, "atol", registry, None)
    checks = [
        _check(entry, f"{where}: check {i + 1}", path.parent, registry)
        for i, entry in enumerate(entries)
    ]
    names = [c.name for c in checks]
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"{where}: two checks are named '{name}'; give each a name")
    baseline = data.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise UsageError(f"{where}: 'baseline' must be a file path")
    return ChecksFile(
        path, checks, None if baseline is None else _resolve(baseline, path.parent), rtol, atol
    )


def _known_keys(table: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = set(table) - known
    if unknown:
        raise UsageError(
            f"{where}: unknown key {', '.join(sorted(unknown))} (keys: {', '.join(sorted(known))})"
        )


def _resolve(value: str, base: Path) -> str:
    return value if value == "-" or Path(value).is_absolute() else str(base / value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise UsageError(f"{where} must be a number")
    return float(value)


def _per_loss(
    value: Any, where: str, key: str, registry: Registry, single: str | None
) -> dict[str, float]:
    """``{mse = 0.2}`` by loss name, or a bare number for a check of one loss (or a total)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {
            _loss_name(name, registry): _number(v, f"{where}: {key}.{name}")
            for name, v in value.items()
        }
    if single is None:
        raise UsageError(
            f"{where}: {key} = {value!r} is ambiguous for several losses; write "
            f"{key} = {{ LOSS = {value!r} }}"
        )
    return {single: _number(value, f"{where}: {key}")}


def _loss_name(name: str, registry: Registry) -> str:
    return TOTAL if name == TOTAL else registry.get(name).name


def _tolerance(
    value: Any, where: str, key: str, registry: Registry, single: str | None
) -> Tolerance:
    if value is None:
        return Tolerance()
    if isinstance(value, dict):
        return Tolerance(None, _per_loss(value, where, key, registry, single))
    return Tolerance(_number(value, f"{where}: {key}"))


def _check(entry: Mapping[str, Any], where: str, base: Path, registry: Registry) -> CheckSpec:
    _known_keys(entry, _CHECK_KEYS, where)
    loss = entry.get("loss")
    if not isinstance(loss, str):
        raise UsageError(f"{where}: 'loss' must name a loss, e.g. loss = \"mse\"")
    inputs = entry.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        raise UsageError(f"{where}: 'inputs' must be a list of file paths")
    for key in ("columns", "params"):
        if not isinstance(entry.get(key, {}), dict):
            raise UsageError(f"{where}: '{key}' must be a table, e.g. {key} = {{ ... }}")
    for key, choices in _CHOICES.items():
        if key in entry and entry[key] not in choices:
            raise UsageError(f"{where}: {key} must be one of {', '.join(choices)}")
    for key in ("group_by", "on", "weights"):
        if key in entry and not isinstance(entry[key], str):
            raise UsageError(f"{where}: '{key}' must be text")
    single = _single(loss, registry)
    higher = entry.get("higher_is_better", [])
    if isinstance(higher, str):
        higher = [higher]
    limits = Limits(
        max=_per_loss(entry.get("max"), where, "max", registry, single),
        min=_per_loss(entry.get("min"), where, "min", registry, single),
        max_group=_per_loss(entry.get("max_group"), where, "max_group", registry, single),
        min_group=_per_loss(entry.get("min_group"), where, "min_group", registry, single),
        rtol=_tolerance(entry.get("rtol"), where, "rtol", registry, single),
        atol=_tolerance(entry.get("atol"), where, "atol", registry, single),
        higher_is_better={_loss_name(str(n), registry) for n in higher},
    )
    options = Options(
        reduction=entry.get("reduction", "mean"),
        nan=entry.get("nan", "error"),
        columns={str(k): str(v) for k, v in entry.get("columns", {}).items()},
        weights=_resolve(entry["weights"], base) if "weights" in entry else None,
        convention=entry.get("convention"),
        group_by=entry.get("group_by"),
        on=entry.get("on"),
        how=entry.get("how", "exact"),
    )
    return CheckSpec(
        losses=loss,
        inputs=[_resolve(p, base) for p in inputs],
        params=[f"{k}={param_text(v)}" for k, v in entry.get("params", {}).items()],
        options=options,
        limits=limits,
        name=str(entry.get("name", loss)),
    )


def _single(spec: str, registry: Registry) -> str | None:
    """What a bare-number limit means: the one loss, or a weighted sum's total."""
    if "*" in spec or "+" in spec:
        return TOTAL
    names = [n.strip() for n in spec.split(",")]
    return registry.get(names[0]).name if len(names) == 1 else None
