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
from collections.abc import Sequence
from typing import Any

from losscli.checks import baseline as baselines
from losscli.checks.limits import DEFAULT_RTOL, Limits
from losscli.errors import InputError, UsageError, flag, option
from losscli.evaluate import evaluate
from losscli.pipeline.results import Result
from losscli.records import field, record
from losscli.requests import Options, Request
from losscli.spec import TOTAL

__all__ = ["DEFAULT_RTOL", "TOTAL", "CheckRun", "CheckSpec", "Verdict", "run_checks"]


@record(frozen=True)
class CheckSpec:
    """One check: what to evaluate, and the limits its values must keep."""

    requests: list[Request]
    inputs: list[Any]
    options: Options
    limits: Limits
    name: str | None = None

    def __post_init__(self) -> None:
        limits = self.limits
        if (limits.max_group or limits.min_group) and not self.options.group_by:
            raise UsageError(
                f"{option('max_group')} and {option('min_group')} need "
                f"{option('group_by', 'COLUMN')}"
            )


@record
class Bound:
    kind: str  # max | min | baseline
    op: str  # <= | >=
    bound: float
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "op": self.op,
            "bound": self.bound,
            "passed": self.passed,
            "detail": self.detail,
        }


@record
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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "loss": self.loss}
        if self.is_group:
            out |= {"group_by": self.group_by, "group": self.group}
        out |= {
            "value": self.value,
            "n": self.n,
            "baseline": self.baseline,
            "change": self.change,
            "change_pct": self.change_pct,
            "limits": [b.to_dict() for b in self.bounds],
            "verdict": self.status,
        }
        if self.note:
            out["note"] = self.note
        if self.status == "fail":
            out["reasons"] = self.reasons()
        return out


@record(frozen=True)
class CheckRun:
    """The verdicts of a check run (one per judged value, groups included), the results
    they judged and the run's warnings; ``passed`` when no verdict failed."""

    verdicts: list[Verdict]
    records: list[dict[str, Any]]  # the results, as compute -o json writes them
    warnings: list[str]

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == "fail"]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """What ``check -o json`` writes: the verdicts and the results they judged."""
        judged = [v for v in self.verdicts if v.status != "no limit"]
        failed = len(self.failed)
        return {
            "passed": failed == 0,
            "summary": {"checks": len(judged), "passed": len(judged) - failed, "failed": failed},
            "checks": [v.to_dict() for v in self.verdicts],
            "results": list(self.records),
        }


def read_paths(checks: Sequence[CheckSpec]) -> list[Any]:
    """What the checks read: their inputs and weights files."""
    return [p for c in checks for p in [*c.inputs, c.options.weights] if p is not None]


def run_checks(
    checks: Sequence[CheckSpec],
    baseline_path: str | None = None,
    update_baseline: bool = False,
    reports: Sequence[tuple[str, str | None]] = (),
) -> CheckRun:
    """Evaluate every check and judge its values. With ``update_baseline`` the values are
    not compared (the caller writes them to ``baseline_path`` after its other reports, with
    ``render.baseline_file.write_baseline``). ``reports`` are the (option, path) files the
    caller will write: none of them, nor the baseline to update, may be a file the checks
    read (refused before anything is read)."""
    from losscli.output_guard import check_outputs

    if update_baseline and not baseline_path:
        raise UsageError(f"{flag('update_baseline')} needs {option('baseline', 'FILE.json')}")
    written = [*reports, *([("baseline", baseline_path)] if update_baseline else [])]
    read = [*read_paths(checks), *([baseline_path] if not update_baseline else [])]
    check_outputs(written, [r for r in read if r is not None])
    for check in checks:
        if check.limits.any() or baseline_path:
            continue
        if check.name:
            raise UsageError(
                f"check {check.name} has no max, min or group limit and there is no baseline"
            )
        raise UsageError(
            f"nothing to check against: give {option('max')} or {option('min')} limits, "
            f"{option('max_group')} or {option('min_group')} with {option('group_by')}, "
            f"or {option('baseline', 'FILE.json')}"
        )
    reference = None
    if baseline_path and not update_baseline:
        reference = baselines.load(baseline_path)
    if baseline_path and update_baseline:
        baselines.check_writable(baseline_path)
    verdicts: list[Verdict] = []
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    for check in checks:
        evaluation = evaluate(check.requests, check.inputs, check.options)
        prefix = f"check {check.name}: " if check.name else ""
        warnings += [prefix + w for w in evaluation.warnings]
        for result in evaluation.results:
            key = TOTAL if result.is_total else result.loss
            record = result.to_dict()
            if check.name:
                record = {"check": check.name} | record
            records.append(record)
            found = None
            if reference is not None and baseline_path is not None:
                found = baselines.find(reference, result.loss, check.name, baseline_path)
                if found is None:
                    have = ", ".join(dict.fromkeys(r.loss for r in reference)) or "nothing"
                    raise InputError(
                        f"{option('baseline', baseline_path)}: no value for {result.loss} (it "
                        f"holds {have}); record it with {flag('update_baseline')}"
                    )
                _comparable(found, result, baseline_path)
                gone = [g for g in found.groups if g not in {x.group for x in result.groups}]
                if gone:
                    shown = ", ".join(str(g) for g in gone[:5])
                    warnings.append(
                        f"{prefix}{result.loss}: the baseline's group {shown} has no rows in "
                        "this run; not checked"
                    )
            verdicts += judge(check, key, result, found)
    return CheckRun(verdicts, records, warnings)


def _comparable(found: baselines.Recorded, result: Result, path: str) -> None:
    """A baseline value is comparable only when made with the same reduction and params."""
    if found.reduction is not None and found.reduction != result.reduction:
        raise InputError(
            f"{option('baseline', path)}: {result.loss} was recorded with reduction "
            f"{found.reduction}, this run uses {result.reduction}; record a new baseline with "
            f"{flag('update_baseline')}"
        )
    before = found.params
    if before is None:
        return
    now = {k: list(v) if isinstance(v, tuple) else v for k, v in result.params.items()}
    differ = {k for k in before.keys() & now.keys() if before[k] != now[k]}
    if differ:
        detail = ", ".join(f"{k}={before[k]} then, {now[k]} now" for k in sorted(differ))
        raise InputError(
            f"{option('baseline', path)}: {result.loss} was recorded with other parameters "
            f"({detail}); record a new baseline with {flag('update_baseline')}"
        )


def judge(
    check: CheckSpec, key: str, result: Result, found: baselines.Recorded | None
) -> list[Verdict]:
    """The verdicts on a result and on each of its groups."""
    limits = check.limits
    higher = key in limits.higher_is_better
    overall = Verdict(check.name, result.loss, _float(result.value), result.n)
    _absolute(overall, limits.max.get(key), limits.min.get(key))
    if found is not None:
        _against(overall, found.value, limits, key, higher)
    out = [overall]
    before_groups = {} if found is None else found.groups
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
            if group.group in before_groups:
                _against(verdict, before_groups[group.group], limits, key, higher)
            else:
                verdict.note = "new group: not in the baseline"
        out.append(verdict)
    return out


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
