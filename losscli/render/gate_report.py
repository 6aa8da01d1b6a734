"""The one report of a gate (``check``, ``curve --fail-on``, and any later gate): cases
with a name, a verdict, a message and detail, and a table for people; written as JUnit
XML, Markdown, GitHub annotations (on stderr) and the GitHub step summary.

A gate fills a ``GateReport``; ``publish`` writes it the same way for every gate: report
files atomically (replaced only when whole), the step summary appended in one write, the
annotations on stderr so that stdout stays the command's own output.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

VERDICTS = ("pass", "fail", "inconclusive")
MARKS = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "❔ inconclusive"}

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


def printable(text: str) -> str:
    """Text safe in one line of a report: control characters (and newlines) spelled out."""
    return text.translate({**_CONTROL, 10: "\\n", 13: "\\r"})


def markdown_cell(text: str) -> str:
    """A table cell: one line, ``|`` escaped."""
    return printable(text).replace("|", "\\|")


@dataclass(frozen=True)
class Case:
    """One judged thing: a loss (or a group of it), a run's curve."""

    name: str
    verdict: str  # pass | fail | inconclusive
    message: str = ""  # why, in one line, when it did not pass
    detail: str = ""  # what was measured, for the JUnit case
    classname: str = ""


@dataclass(frozen=True)
class GateReport:
    """What a gate decided, and the table a person reads."""

    gate: str  # "losscli check", "losscli curve"
    summary: str  # "2 of 3 checks failed"
    cases: Sequence[Case]
    header: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    right_aligned: Sequence[str] = ()  # columns of numbers
    notes: Sequence[str] = field(default_factory=tuple)  # bullets under the table

    @property
    def failed(self) -> bool:
        return any(c.verdict == "fail" for c in self.cases)


def markdown(report: GateReport) -> str:
    """GitHub-flavoured Markdown: a headline, the table, the notes."""
    icon = "❌" if report.failed else "✅"
    lines = [f"### {report.gate}: {icon} {report.summary}", ""]
    if report.header:
        lines.append("| " + " | ".join(markdown_cell(h) for h in report.header) + " |")
        aligns = ["---:" if h in report.right_aligned else "---" for h in report.header]
        lines.append("|" + "|".join(aligns) + "|")
        for row in report.rows:
            cells = [MARKS.get(c, markdown_cell(c)) if i == len(row) - 1 and c in MARKS
                     else markdown_cell(c) for i, c in enumerate(row)]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
    if report.notes:
        lines += ["", *(f"- {printable(note)}" for note in report.notes)]
    return "\n".join(lines) + "\n"


def junit_xml(report: GateReport) -> str:
    """One test case per case; failures carry the message and the detail."""
    import xml.etree.ElementTree as ET

    failures = sum(c.verdict == "fail" for c in report.cases)
    skipped = sum(c.verdict == "inconclusive" for c in report.cases)
    tests = str(len(report.cases))
    suites = ET.Element("testsuites", name="losscli", tests=tests, failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=report.gate, tests=tests)
    suite.attrib |= {"failures": str(failures), "errors": "0", "skipped": str(skipped)}
    for c in report.cases:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=printable(c.classname or report.gate.replace(" ", ".")),
            name=printable(c.name),
            time="0",
        )
        if c.verdict == "fail":
            failure = ET.SubElement(case, "failure", message=printable(c.message), type="loss")
            failure.text = c.detail
        elif c.verdict == "inconclusive":
            ET.SubElement(case, "skipped", message=printable(c.message))
        elif c.detail:
            ET.SubElement(case, "system-out").text = c.detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: GateReport) -> list[str]:
    """GitHub Actions ``::error`` workflow commands, one per failed case."""
    title = _escape_property(report.gate)
    return [f"::error title={title}::{_escape_data(c.message)}" for c in report.cases
            if c.verdict == "fail"]  # fmt: skip


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def publish(
    report: GateReport,
    junit_path: str | None,
    markdown_path: str | None,
    before_annotations: Callable[[], None] | None = None,
) -> None:
    """Write the report files (atomically), append the step summary on a GitHub runner,
    and print the annotations on stderr. ``before_annotations`` runs once every report
    file is written (a baseline to update is written last of the files)."""
    from losscli.errors import InputError, option
    from losscli.render.export import export_text

    text = markdown(report)
    for name, path, content in (
        ("junit_xml", junit_path, junit_xml),
        ("markdown", markdown_path, markdown),
    ):
        if path is None:
            continue
        if not path:
            raise InputError(f"{option(name)}: give a file path")
        export_text(text if content is markdown else content(report), path, name)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and on_github_actions():
        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            raise InputError(
                f"GITHUB_STEP_SUMMARY {summary_file}: cannot write ({exc.strerror or exc})"
            ) from None
    if before_annotations is not None:
        before_annotations()
    if on_github_actions():
        for line in github_annotations(report):
            print(line, file=sys.stderr, flush=True)


__all__ = [
    "Case",
    "GateReport",
    "github_annotations",
    "junit_xml",
    "markdown",
    "printable",
    "publish",
]
