"""Checks: losses held to absolute limits and to a baseline, each with a verdict.

A check evaluates losses on its inputs (as ``compute`` does) and judges every reduced
value, and with ``--group-by`` every group's value, against its bounds:

- ``max`` / ``min``: value <= max, value >= min (``max_group`` / ``min_group`` for groups);
- the baseline: value <= b + atol + rtol |b| (>= b - ... when higher is better), numpy's
  ``isclose`` tolerance, per loss or for all.

A value that is NaN fails every bound. The verdicts decide the exit status, nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from losscli import baseline as baselines
from losscli.errors import InputError, UsageError
from losscli.evaluate import Options, Result, evaluate, resolve_requests
from losscli.registry import Registry

DEFAULT_RTOL = 1e-9  # float noise only: any real regression from the baseline fails
TOTAL = "total"  # the name limits use for a weighted sum's total


@dataclass
class Tolerance:
    default: float | None = None
    per_loss: dict[str, float] = field(default_factory=dict)

    def get(self, loss: str, fallback: float) -> float:
        if loss in self.per_loss:
            return self.per_loss[loss]
        return fallback if self.default is None else self.default


@dataclass
class Limits:
    """Bounds by loss name (canonical, or ``total``)."""

    max: dict[str, float] = field(default_factory=dict)
    min: dict[str, float] = field(default_factory=dict)
    max_group: dict[str, float] = field(default_factory=dict)
    min_group: dict[str, float] = field(default_factory=dict)
    rtol: Tolerance = field(default_factory=Tolerance)
    atol: Tolerance = field(default_factory=Tolerance)
    higher_is_better: set[str] = field(default_factory=set)

    def any(self) -> bool:
        return any((self.max, self.min, self.max_group, self.min_group))


@dataclass
class CheckSpec:
    """One check: what to evaluate, and the limits its values must keep."""

    losses: str
    inputs: list[str]
    params: list[str]
    options: Options
    limits: Limits
    name: str | None = None


@dataclass
class Bound:
    kind: str  # max | min | baseline
    op: str  # <= | >=
    bound: float
    passed: bool
    detail: str

    def record(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "op": self.op,
            "bound": self.bound,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass
class Verdict:
    """One judged value: a loss overall, or one group of it."""

    check: str | None
    loss: str
    value: float
    n: int
    group_by: str | None = None
    group: Any = ...  # ... for the overall value
    baseline: float | None = None
    bounds: list[Bound] = field(default_factory=list)
    note: str | None = None

    @property
    def is_group(self) -> bool:
        return self.group is not ...

    @property
    def status(self) -> str:
        if not self.bounds:
            return "no limit"
        return "pass" if all(b.passed for b in self.bounds) else "fail"

    @property
    def change(self) -> float | None:
        return None if self.baseline is None else self.value - self.baseline

    @property
    def change_pct(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return 100.0 * (self.value - self.baseline) / abs(self.baseline)

    @property
    def subject(self) -> str:
        """``mse`` or ``mse [region=north]``, prefixed by the check's name if it has one."""
        text = self.loss
        if self.is_group:
            label = "(missing)" if self.group is None else self.group
            text += f" [{self.group_by}={label}]"
        return f"{self.check}: {text}" if self.check else text

    def reasons(self) -> list[str]:
        out = []
        for bound in self.bounds:
            if not bound.passed:
                side = "above" if bound.op == "<=" else "below"
                out.append(f"{self.subject} = {self.value:.6g} is {side} {bound.detail}")
        return out

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "loss": self.loss}
        if self.is_group:
            out |= {"group_by": self.group_by, "group": self.group}
        out |= {
            "value": self.value,
            "n": self.n,
            "baseline": self.baseline,
            "change": self.change,
            "change_pct": self.change_pct,
            "limits": [b.record() for b in self.bounds],
            "verdict": self.status,
        }
        if self.note:
            out["note"] = self.note
        if self.status == "fail":
            out["reasons"] = self.reasons()
        return out


@dataclass
class CheckRun:
    verdicts: list[Verdict]
    records: list[dict[str, Any]]  # the results, as compute -o json writes them
    warnings: list[str]

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == "fail"]


def run_checks(
    checks: Sequence[CheckSpec],
    registry: Registry,
    baseline_path: str | None = None,
    update_baseline: bool = False,
) -> CheckRun:
    """Evaluate every check and judge its values; write the baseline when asked."""
    reference = None
    if baseline_path and not update_baseline:
        reference = baselines.load(baseline_path)
    verdicts: list[Verdict] = []
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    for check in checks:
        requests = resolve_requests(check.losses, check.params, registry)
        _check_limit_names(check, [r.loss.name for r in requests])
        evaluation = evaluate(requests, check.inputs, check.options)
        prefix = f"check {check.name}: " if check.name else ""
        warnings += [prefix + w for w in evaluation.warnings]
        weighted = any(r.weight is not None for r in requests)
        for position, result in enumerate(evaluation.results):
            key = TOTAL if weighted and position == len(evaluation.results) - 1 else result.loss
            record = result.record()
            if check.name:
                record = {"check": check.name} | record
            records.append(record)
            found = None
            if reference is not None:
                found = baselines.find(reference, result.loss, check.name, baseline_path)
                if found is None:
                    have = ", ".join(dict.fromkeys(r["loss"] for r in reference)) or "nothing"
                    raise InputError(
                        f"--baseline {baseline_path}: no value for {result.loss} (it holds "
                        f"{have}); record it with --update-baseline"
                    )
                _same_params(found, result, baseline_path)
            verdicts += judge(check, key, result, found)
    if update_baseline and baseline_path:
        baselines.write(baseline_path, records)
    return CheckRun(verdicts, records, warnings)


def _check_limit_names(check: CheckSpec, names: Sequence[str]) -> None:
    limits = check.limits
    allowed = [*names, TOTAL] if "*" in check.losses or "+" in check.losses else list(names)
    for option, table in (
        ("--max", limits.max),
        ("--min", limits.min),
        ("--max-group", limits.max_group),
        ("--min-group", limits.min_group),
        ("--rtol", limits.rtol.per_loss),
        ("--atol", limits.atol.per_loss),
    ):
        for name in table:
            if name not in allowed:
                raise UsageError(
                    f"{option} {name}=...: {name} is not among the losses checked "
                    f"({', '.join(allowed)})"
                )
    if (limits.max_group or limits.min_group) and not check.options.group_by:
        raise UsageError("--max-group and --min-group need --group-by COLUMN")


def _same_params(found: Mapping[str, Any], result: Result, path: str) -> None:
    before = found.get("params")
    if not isinstance(before, dict):
        return
    now = {k: list(v) if isinstance(v, tuple) else v for k, v in result.params.items()}
    differ = {k for k in before.keys() & now.keys() if before[k] != now[k]}
    if differ:
        detail = ", ".join(f"{k}={before[k]} then, {now[k]} now" for k in sorted(differ))
        raise InputError(
            f"--baseline {path}: {result.loss} was recorded with other parameters ({detail}); "
            "record a new baseline with --update-baseline"
        )


def judge(
    check: CheckSpec, key: str, result: Result, found: Mapping[str, Any] | None
) -> list[Verdict]:
    """The verdicts on a result and on each of its groups."""
    limits = check.limits
    higher = key in limits.higher_is_better
    overall = Verdict(check.name, result.loss, _float(result.value), result.n)
    _absolute(overall, limits.max.get(key), limits.min.get(key))
    if found is not None:
        _against(overall, _float(found.get("value")), limits, key, higher)
    out = [overall]
    before_groups = {}
    if found is not None:
        before_groups = {
            _hashable(g.get("group")): _float(g.get("value"))
            for g in found.get("groups", [])
            if isinstance(g, dict)
        }
    for group in result.groups:
        verdict = Verdict(
            check.name,
            result.loss,
            _float(group.value),
            group.n,
            group_by=result.group_by,
            group=group.group,
        )
        _absolute(verdict, limits.max_group.get(key), limits.min_group.get(key))
        if found is not None:
            if _hashable(group.group) in before_groups:
                before = before_groups[_hashable(group.group)]
                _against(verdict, before, limits, key, higher)
            else:
                verdict.note = "new group: not in the baseline"
        out.append(verdict)
    return out


def _hashable(label: Any) -> Any:
    return tuple(label) if isinstance(label, list) else label


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _absolute(verdict: Verdict, upper: float | None, lower: float | None) -> None:
    value = verdict.value
    if upper is not None:
        verdict.bounds.append(Bound("max", "<=", upper, value <= upper, f"its max {upper:g}"))
    if lower is not None:
        verdict.bounds.append(Bound("min", ">=", lower, value >= lower, f"its min {lower:g}"))


def _against(verdict: Verdict, before: float, limits: Limits, key: str, higher: bool) -> None:
    verdict.baseline = before
    rtol = limits.rtol.get(key, DEFAULT_RTOL)
    atol = limits.atol.get(key, 0.0)
    slack = atol + rtol * abs(before)
    allowed = []
    if rtol:
        allowed.append(f"rtol {rtol:g}")
    if atol:
        allowed.append(f"atol {atol:g}")
    tolerance = f" ({' + '.join(allowed)})" if allowed else ""
    if higher:
        bound = before - slack
        passed = verdict.value >= bound
        detail = f"the baseline {before:.6g} less its tolerance{tolerance}: {bound:.6g}"
        verdict.bounds.append(Bound("baseline", ">=", bound, passed, detail))
    else:
        bound = before + slack
        passed = verdict.value <= bound
        detail = f"the baseline {before:.6g} plus its tolerance{tolerance}: {bound:.6g}"
        verdict.bounds.append(Bound("baseline", "<=", bound, passed, detail))
