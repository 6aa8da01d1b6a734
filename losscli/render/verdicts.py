"""Reports of a check run: a table, JSON, and the gate report (JUnit, Markdown,
annotations: ``render.gate_report``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from losscli.checks.gates import CheckRun, Verdict
from losscli.render.gate_report import Case, GateReport, printable
from losscli.render.jsonout import Encoder
from losscli.render.numbers import number_text
from losscli.render.results import group_label
from losscli.render.tables import print_rich, table


def change_text(verdict: Verdict) -> str:
    change = verdict.change
    if change is None:
        return ""
    pct = verdict.change_pct
    percent = "" if pct is None else f" ({pct:+.2f}%)"
    return f"{change:+.4g}{percent}"


def limit_text(verdict: Verdict) -> str:
    parts = []
    for bound in verdict.bounds:
        op = "≤" if bound.op == "<=" else "≥"
        what = "" if bound.kind in ("max", "min") else " (baseline)"
        parts.append(f"{op} {number_text(bound.bound, verdict.value)}{what}")
    return "; ".join(parts)


def summary(verdicts: Sequence[Verdict]) -> str:
    judged = [v for v in verdicts if v.status != "no limit"]
    failed = sum(v.status == "fail" for v in judged)
    if not judged:
        return "no limits to check"
    if len(judged) == 1:
        return "the check failed" if failed else "the check passed"
    if failed:
        return f"{failed} of {len(judged)} checks failed"
    return f"all {len(judged)} checks passed"


def _rows(verdicts: Sequence[Verdict]) -> tuple[list[str], list[list[str]]]:
    named = any(v.check for v in verdicts)
    grouped = any(v.is_group for v in verdicts)
    baselined = any(v.baseline is not None for v in verdicts)
    header = ["check"] * named + ["loss"] + ["group"] * grouped + ["value"]
    header += ["baseline", "change"] * baselined + ["limit", "verdict"]
    rows = []
    for v in verdicts:
        row = [printable(v.check or "")] * named + [v.loss]
        if grouped:
            row.append(printable(group_label(v.group)) if v.is_group else "all")
        row.append(number_text(v.value, v.baseline))
        if baselined:
            row += [number_text(v.baseline, v.value), change_text(v)]
        rows.append(row + [limit_text(v), v.status])
    return header, rows


def write_table(verdicts: Sequence[Verdict], out: IO[str]) -> None:
    header, rows = _rows(verdicts)
    styled = []
    for row in rows:
        style = {"fail": "bold red", "pass": "green"}.get(row[-1])
        styled.append([*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1]])
    shown = table(header, styled, right=("value", "baseline"), caption=summary(verdicts))
    print_rich(shown, out)


def write_json(run: CheckRun, out: IO[str]) -> list[str]:
    """Verdicts plus the results themselves, so this JSON also serves as a baseline."""
    encoder = Encoder()
    out.write(encoder.encode(run.to_dict()) + "\n")
    return encoder.notes()


def gate_report(verdicts: Sequence[Verdict]) -> GateReport:
    """The check's gate report: a case per judged value, the table, the reasons."""
    header, rows = _rows(verdicts)
    cases = []
    for v in verdicts:
        if v.status == "no limit":
            continue
        name = v.subject if not v.check else v.subject[len(v.check) + 2 :]
        cases.append(
            Case(
                name=name,
                verdict=v.status,
                message="; ".join(v.reasons()),
                detail=json.dumps(v.to_dict(), default=str),
                classname=f"losscli.{v.check or 'check'}",
            )
        )
    return GateReport(
        gate="losscli check",
        summary=summary(verdicts),
        cases=cases,
        header=header,
        rows=rows,
        right_aligned=("value", "baseline"),
        notes=[r for v in verdicts for r in v.reasons()],
    )


__all__ = ["gate_report", "summary", "write_json", "write_table"]
