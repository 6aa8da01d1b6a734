"""``losscli curve``: read training logs, diagnose the curves, find the best epoch and
where Keras's EarlyStopping would stop, draw them, and gate CI on them."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import click

from losscli.curves.diagnose import DIAGNOSES

FAILABLE = [d for d in DIAGNOSES if d != "healthy"]


def _diagnosis_list(text: str | None) -> list[str]:
    if not text:
        return []
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in FAILABLE]
    if unknown:
        choices = ", ".join(FAILABLE)
        raise click.UsageError(
            f"--fail-on {text}: unknown diagnosis {unknown[0]!r} (choose from {choices})"
        )
    return chosen


@click.command()
@click.argument("logs", nargs=-1, metavar="LOG...")
@click.option("--train", metavar="COLUMN", help="The train loss column (default: found by name).")
@click.option("--val", metavar="COLUMN", help="The validation loss column.")
@click.option("--x", "x_name", metavar="COLUMN", help="The epoch or step column.")
@click.option(
    "--smooth",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.6,
    show_default=True,
    help="TensorBoard smoothing weight for the chart and the trend tests.",
)
@click.option(
    "--patience",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Points without improvement: plateau, overfitting and Keras EarlyStopping.",
)
@click.option(
    "--min-delta",
    type=float,
    help="Improvement that counts (EarlyStopping: default 0; plateau: 5% of the first value).",
)
@click.option("--fail-on", metavar="LIST", help="Exit 1 when one of these diagnoses holds.")
@click.option("--explain", is_flag=True, help="Say exactly how each diagnosis is decided.")
@click.option("--plot", is_flag=True, help="Also draw the curves in the terminal.")
@click.option("--out", "out_path", metavar="FILE", help="Write the chart (.png .svg .pdf).")
@click.option("--junit-xml", metavar="FILE", help="Also write a JUnit XML report (--fail-on).")
@click.option("--markdown", "markdown_file", metavar="FILE", help="Also write a Markdown report.")
@click.option(
    "-o", "--output", type=click.Choice(("table", "json", "csv", "markdown")), default=None
)
def curve(
    logs: tuple[str, ...],
    train: str | None,
    val: str | None,
    x_name: str | None,
    smooth: float,
    patience: int,
    min_delta: float | None,
    fail_on: str | None,
    explain: bool,
    plot: bool,
    out_path: str | None,
    junit_xml: str | None,
    markdown_file: str | None,
    output: str | None,
) -> int:
    """Read training logs and say what each loss curve shows.

    LOG: a Keras CSVLogger file, a Lightning metrics.csv (or its folder), any
    CSV/TSV/Parquet/JSON/JSONL table with a step or epoch column, a Keras history JSON, an
    MLflow run folder, TensorBoard event files (the tensorboard extra).

    \b
    Diagnoses: nan, diverging, oscillating, plateau, overfitting, healthy (--explain).
    Examples:
      losscli curve training.log.csv
      losscli curve lightning_logs/version_0 --plot
      losscli curve runs/*/metrics.csv --out curves.png
      losscli curve history.json --fail-on nan,diverging,overfitting --junit-xml curve.xml
    """
    from losscli.curves import report
    from losscli.curves.diagnose import EXPLANATIONS, Thresholds
    from losscli.curves.logs import read_run

    thresholds = Thresholds(smooth=smooth, patience=patience, min_delta=min_delta)
    if explain:
        values = {k: getattr(thresholds, k) for k in ("diverge", "swing", "reversals")}
        values |= {"patience": patience, "still_high": thresholds.still_high}
        values["overfit"] = thresholds.overfit
        for name in DIAGNOSES:
            click.echo(f"{name}: {EXPLANATIONS[name].format(**values)}")
        return 0
    if not logs:
        raise click.UsageError("give at least one LOG (or --explain)")
    failing = _diagnosis_list(fail_on)
    from losscli import progress

    progress.configure(None)
    runs = []
    with progress.task("reading logs", len(logs)) as bar:
        for path in logs:
            runs.append(read_run(path, train, val, x_name))
            bar.advance(1)
    readings = [report.read(run, thresholds, min_delta or 0.0, patience) for run in runs]
    fmt = output or ("table" if sys.stdout.isatty() else "json")
    if fmt == "json":
        from losscli.jsonout import Encoder

        encoder = Encoder()
        click.echo(encoder.encode({"runs": readings}))
        for note in encoder.notes():
            click.echo(f"losscli: {note}", err=True)
    elif fmt == "csv":
        import csv

        header, rows = report.table_rows(readings)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerows([header, *rows])
        click.echo(text.getvalue(), nl=False)
    elif fmt == "markdown":
        click.echo(report.markdown(readings, failing), nl=False)
    else:
        from rich.table import Table

        from losscli.render import print_rich

        header, rows = report.table_rows(readings)
        table = Table()
        for name in header:
            table.add_column(name, justify="left" if name in ("run", "diagnoses") else "right")
        for row in rows:
            table.add_row(*row)
        print_rich(table, sys.stdout)
        for line in report.evidence_lines(readings):
            click.echo(f"  {line}")
    if plot or out_path:
        from losscli.plots.output import show

        figure = report.chart(runs, readings, smooth)
        for note in show([figure], "terminal" if plot else None, out_path, sys.stdout):
            click.echo(f"losscli: {note}", err=True)
    _gate_reports(readings, failing, junit_xml, markdown_file)
    bad = [r for r in readings if set(report.names(r)) & set(failing)]
    return 1 if bad else 0


def _gate_reports(
    readings: Any, failing: list[str], junit: str | None, markdown_file: str | None
) -> None:
    from losscli.curves import report
    from losscli.export import export_text

    if junit:
        export_text(report.junit_xml(readings, failing), junit)
    text = report.markdown(readings, failing)
    if markdown_file:
        export_text(text, markdown_file)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and os.environ.get("GITHUB_ACTIONS") == "true":
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
        for line in report.github_annotations(readings, failing):
            click.echo(line)
