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

from pathlib import Path
from typing import Any

from losscli.checks import limits as parse
from losscli.checks.gates import CheckSpec
from losscli.checks.limits import Tolerance
from losscli.config import file_list, known_keys, load_toml, resolve_path, table_of
from losscli.errors import ConfigError, LossCliError, spelling
from losscli.options import toml_keys
from losscli.records import record
from losscli.registry import Registry
from losscli.requests import Options, resolve_requests

FILE_NAMES = ("losscli.toml", "pyproject.toml")
_TOP_KEYS = toml_keys("checks")
_CHECK_KEYS = toml_keys("check")
_LIMIT_KEYS = {"max", "min", "max_group", "min_group", "rtol", "atol", "higher_is_better"}
_OPTION_KEYS = _CHECK_KEYS - _LIMIT_KEYS - {"name", "loss", "inputs", "columns", "params"}


@record(frozen=True)
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
            if not candidate.is_file():
                continue
            if name == "losscli.toml":
                return candidate
            try:
                if "[tool.losscli" in candidate.read_text(errors="replace"):
                    return candidate
            except OSError as exc:
                raise ConfigError(f"{candidate}: cannot read ({exc.strerror or exc})") from None
    return None


def load(path: Path, registry: Registry) -> ChecksFile:
    data: Any = load_toml(path, str(path))
    where = str(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        data = tool.get("losscli") if isinstance(tool, dict) else None
        where += " [tool.losscli]"
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: has no [tool.losscli] table")
    known_keys(data, _TOP_KEYS, where)
    entries = data.get("check")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: expected one or more [[check]] tables")
    rtol = _in(where, lambda: parse.tolerance(data.get("rtol"), "rtol", None, registry))
    atol = _in(where, lambda: parse.tolerance(data.get("atol"), "atol", None, registry))
    checks = [
        _check(entry, f"{where}: check {i + 1}", path.parent, registry)
        for i, entry in enumerate(entries)
    ]
    names = [c.name for c in checks]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{where}: two checks are named '{name}'; give each a name")
    baseline = data.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"{where}: 'baseline' must be a file path")
    return ChecksFile(
        path, checks, None if baseline is None else resolve_path(baseline, path.parent), rtol, atol
    )


def _in(where: str, make: Any) -> Any:
    """``make()``, its error message prefixed by the place in the file, options spelled as
    the file writes them."""
    try:
        with spelling("toml"):
            return make()
    except ConfigError:
        raise
    except LossCliError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check(entry: Any, where: str, base: Path, registry: Registry) -> CheckSpec:
    known_keys(entry, _CHECK_KEYS, where)
    loss = entry.get("loss")
    if not isinstance(loss, str):
        raise ConfigError(f"{where}: 'loss' must name a loss, e.g. loss = \"mse\"")
    inputs = file_list(entry.get("inputs"), where, base)
    columns = table_of(entry, "columns", where)
    params = table_of(entry, "params", where)
    requests = _in(where, lambda: resolve_requests(loss, params, registry))

    given = {k: entry[k] for k in _LIMIT_KEYS if k in entry}
    limits = _in(where, lambda: parse.build_limits(requests, registry, **given))
    settings = {k: entry[k] for k in _OPTION_KEYS if k in entry}
    if "reduction" in settings and settings["reduction"] == "none":
        raise ConfigError(f"{where}: reduction must be mean or sum")
    if isinstance(settings.get("weights"), str):
        settings["weights"] = resolve_path(settings["weights"], base)
    options = _in(where, lambda: Options(columns=_texts(columns, where), **settings))
    return _in(
        where,
        lambda: CheckSpec(requests, inputs, options, limits, name=str(entry.get("name", loss))),
    )


def _texts(table: dict[str, Any], where: str) -> dict[str, str]:
    if not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{where}: 'columns' maps input names to column names (text)")
    return {str(k): v for k, v in table.items()}
