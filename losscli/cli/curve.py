"""``losscli curve``: read training logs, diagnose the curves, find the best epoch and
where Keras's EarlyStopping would stop, draw them, and gate CI on them."""

from __future__ import annotations

import io
import sys

import click

from losscli.cli.command import command
from losscli.cli.options import FINITE, READ, FiniteFloat, output_format, table_options
from losscli.cli.shared import Console
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


@command()
@click.argument("logs", nargs=-1, metavar="LOG...", type=READ)
@click.option("--train", metavar="COLUMN", help="The train loss column (default: found by name).")
@click.option("--val", metavar="COLUMN", help="The validation loss column.")
@click.option("--x", "x_name", metavar="COLUMN", help="The epoch or step column.")
@click.option(
    "--smooth",
    type=FiniteFloat(0, 1, high_open=True),
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
    type=FINITE,
    help="Improvement that counts (EarlyStopping: default 0; plateau: 5% of the first value).",
)
@click.option("--fail-on", metavar="LIST", help="Exit 1 when one of these diagnoses holds.")
@click.option("--explain", is_flag=True, help="Say exactly how each diagnosis is decided.")
@click.option("--plot", is_flag=True, help="Also draw the curves in the terminal.")
@table_options("curve")
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
    out: str | None,
    junit_xml: str | None,
    markdown: str | None,
    output: str | None,
    console: Console,
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
    fmt = output_format(output)
    if out is not None:
        from losscli.plots.output import check_chart_path

        check_chart_path(out)
    from losscli import progress
    from losscli.render.gate_report import markdown as gate_markdown
    from losscli.render.gate_report import publish

    runs = []
    with progress.task("reading logs", len(logs)) as bar:
        for path in logs:
            runs.append(read_run(path, train, val, x_name))
            bar.advance(1)
    readings = [report.read(run, thresholds, min_delta or 0.0, patience) for run in runs]
    gate = report.gate_report(readings, failing)
    if fmt == "json":
        from losscli.render.jsonout import Encoder

        encoder = Encoder()
        click.echo(encoder.encode({"runs": readings}))
        console.notes(encoder.notes())
    elif fmt == "csv":
        import csv

        header, rows = report.table_rows(readings)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerows([header, *rows])
        click.echo(text.getvalue(), nl=False)
    elif fmt == "markdown":
        click.echo(gate_markdown(gate), nl=False)
    else:
        from losscli.render.tables import print_rich, table

        header, rows = report.table_rows(readings)
        print_rich(table(header, rows, left=("run", "diagnoses")), sys.stdout)
        for line in report.evidence_lines(readings):
            click.echo(f"  {line}")
    if plot or out:
        from losscli.plots.output import show

        figure = report.chart(runs, readings, smooth)
        console.notes(show([figure], "terminal" if plot else None, out, sys.stdout))
    publish(gate, junit_xml, markdown)
    return 1 if gate.failed else 0
