"""Reports of a check run: a table, JSON, Markdown, JUnit XML and GitHub annotations."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import IO

from losscli.gates import CheckRun, Verdict
from losscli.jsonout import Encoder
from losscli.render import group_label, print_rich

MARKS = {"pass": "✅ pass", "fail": "❌ fail", "no limit": "no limit"}


def short(value: float | None, other: float | None = None) -> str:
    """Six significant digits, or every digit when six would hide a difference from ``other``."""
    if value is None:
        return ""
    if math.isnan(value):
        return "NaN"
    text = f"{value:.6g}"
    if other is not None and value != other and text == f"{other:.6g}":
        return repr(float(value))
    return text


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
        parts.append(f"{op} {short(bound.bound, verdict.value)}{what}")
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


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


def printable(text: str) -> str:
    """Text safe in one line of a report: control characters (and newlines) spelled out."""
    return text.translate({**_CONTROL, 10: "\\n", 13: "\\r"})


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
        row.append(short(v.value, v.baseline))
        if baselined:
            row += [short(v.baseline, v.value), change_text(v)]
        rows.append(row + [limit_text(v), v.status])
    return header, rows


def write_table(verdicts: Sequence[Verdict], out: IO[str]) -> None:
    from rich.table import Table

    header, rows = _rows(verdicts)
    table = Table(caption=summary(verdicts))
    for name in header:
        table.add_column(name, justify="right" if name in ("value", "baseline") else "left")
    for row in rows:
        style = {"fail": "bold red", "pass": "green"}.get(row[-1])
        table.add_row(*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1])
    print_rich(table, out)


def write_json(run: CheckRun, out: IO[str]) -> list[str]:
    """Verdicts plus the results themselves, so this JSON also serves as a baseline."""
    encoder = Encoder()
    out.write(encoder.encode(run.to_dict()) + "\n")
    return encoder.notes()


def markdown(verdicts: Sequence[Verdict]) -> str:
    """A GitHub-flavoured Markdown report: a headline and a table."""
    header, rows = _rows(verdicts)
    failed = any(v.status == "fail" for v in verdicts)
    lines = [f"### losscli check: {'❌' if failed else '✅'} {summary(verdicts)}", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append(
        "|" + "|".join("---:" if h in ("value", "baseline") else "---" for h in header) + "|"
    )
    for row in rows:
        cells = [c.replace("|", "\\|") for c in row[:-1]] + [MARKS[row[-1]]]
        lines.append("| " + " | ".join(cells) + " |")
    reasons = [r for v in verdicts for r in v.reasons()]
    if reasons:
        lines += ["", *(f"- {r}" for r in reasons)]
    return "\n".join(lines) + "\n"


def junit_xml(verdicts: Sequence[Verdict]) -> str:
    """One test case per judged value; failures carry the reason. Unlimited values are left out."""
    import xml.etree.ElementTree as ET

    judged = [v for v in verdicts if v.status != "no limit"]
    failures = sum(v.status == "fail" for v in judged)
    suites = ET.Element("testsuites", name="losscli", tests=str(len(judged)))
    suites.set("failures", str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="losscli check",
        tests=str(len(judged)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for v in judged:
        name = v.subject if not v.check else v.subject[len(v.check) + 2 :]
        case = ET.SubElement(
            suite,
            "testcase",
            classname=printable(f"losscli.{v.check or 'check'}"),
            name=printable(name),
            time="0",
        )
        detail = json.dumps(v.to_dict(), default=str)
        if v.status == "fail":
            message = printable("; ".join(v.reasons()))
            failure = ET.SubElement(case, "failure", message=message, type="loss")
            failure.text = detail
        else:
            ET.SubElement(case, "system-out").text = detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(verdicts: Sequence[Verdict]) -> list[str]:
    """GitHub Actions ``::error`` workflow commands, one per failed value."""
    title = _escape_property("losscli check")
    return [
        f"::error title={title}::{_escape_data('; '.join(v.reasons()))}"
        for v in verdicts
        if v.status == "fail"
    ]


__all__ = ["github_annotations", "junit_xml", "markdown", "write_json", "write_table"]
