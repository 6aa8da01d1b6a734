"""``losscli compute``: losses on prediction files, reduced or per row."""

from __future__ import annotations

import io
import sys
from typing import Any

import click

from losscli.cli.command import command
from losscli.cli.completion import complete_losses
from losscli.cli.options import READ, output_format, table_options
from losscli.cli.shared import Console, evaluation_options, requests


@command()
@click.argument(
    "losses",
    required=False,
    metavar="LOSS[,LOSS...]|'W*LOSS + W*LOSS'",
    shell_complete=complete_losses,
)
@click.argument("inputs", nargs=-1, metavar="INPUT...", type=READ)
@table_options("compute")
@click.option(
    "--tasks",
    "tasks_file",
    type=READ,
    metavar="FILE.toml",
    help="Evaluate the [[task]]s of a TOML file and their weighted total (no LOSS or INPUT).",
)
def compute(
    losses: str | None,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    tasks_file: str | None,
    output: str | None,
    out: str | None,
    console: Console,
    **kw: Any,
) -> None:
    """Compute one or more losses, or a weighted sum of losses, on prediction files.

    INPUT files fill the loss's inputs in order (predictions, then targets); '-' reads
    stdin; an .npz supplies every input named after one of its arrays. Formats: .csv,
    .tsv, .csv.gz, .parquet, .npy, .npz. A directory, a quoted glob or a URL (s3://,
    gs://, with fsspec) is a dataset of many files; key=value folders become columns.
    --out FILE writes in the format its extension names (.csv .json .ndjson; per-row
    values also .parquet .arrow .npy).

    \b
    Examples:
      losscli compute mse preds.csv targets.csv
      losscli compute mse,mae,huber preds.parquet targets.parquet -p delta=0.5
      losscli compute cross_entropy logits.npy labels.csv -p class_weights=1,2,0.5
      losscli compute '0.5*cross_entropy + 0.5*dice' logits.npy y.npy -p dice.from_logits=true
      losscli compute mse preds.csv targets.parquet --on id --group-by region --ci 0.95
      losscli compute --tasks tasks.toml
      losscli compute mse both.csv --col predictions=yhat --col targets=y
      losscli compute huber preds.npy targets.npy --reduction none -o csv
      losscli compute bce p.parquet y.parquet --reduction none --id sample --out rows.parquet
      losscli compute mae preds.csv targets.csv --worst 5 --id date
      cat preds.csv | losscli compute mae - targets.csv --weights w.csv
      losscli compute mse 'evals/day=2026-11-*/' --col predictions=p --group-by day
      losscli compute mse s3://bucket/evals/ --engine dask --scheduler tcp://head:8786
    """
    from losscli.evaluate import evaluate
    from losscli.render.results import write_results

    options = evaluation_options(kw)
    fmt = output_format(output, out)
    if tasks_file:
        if losses or inputs or options.columns or params or options.weights:
            raise click.UsageError(
                "--tasks takes losses, inputs, --col, -p and --weights from the TOML file; "
                "give none on the command line"
            )
        if options.group_by or options.on or options.ci is not None:
            raise click.UsageError("--group-by, --on and --ci do not apply to --tasks")
        from losscli.cli.shared import registry
        from losscli.output_guard import check_outputs
        from losscli.tasks import evaluate_tasks, load_tasks

        tasks = load_tasks(tasks_file, registry(plugins))
        check_outputs([("out", out)], [p for t in tasks for p in [*t.inputs, t.weights] if p])
        evaluation = evaluate_tasks(tasks, options)
    else:
        if not losses or not inputs:
            raise click.UsageError("give a LOSS and at least one INPUT file (or --tasks FILE)")
        asked = requests(losses, params, plugins)
        if options.reduction == "none":
            _per_row(asked, inputs, options, fmt, out, console)
            return
        evaluation = evaluate(asked, inputs, options)
    console.warn(evaluation.warnings)
    records = [r.to_dict() for r in evaluation.results]
    if out is None:
        console.warn(write_results(records, fmt, sys.stdout))
        return
    from losscli.render.export import export_text

    if fmt in ("parquet", "arrow", "npy"):
        raise click.UsageError(
            f"--out {out}: {fmt} files hold per-row values (--reduction none); "
            "write reduced results as .json, .ndjson or .csv"
        )
    text = io.StringIO()
    console.warn(write_results(records, fmt, text))
    export_text(text.getvalue(), out)


def _per_row(
    asked: Any, inputs: Any, options: Any, fmt: str, out: str | None, console: Console
) -> None:
    """Per-row values, streamed to their writer (or the first and last rows, in a table)."""
    if fmt == "table":
        from losscli.evaluate import evaluate
        from losscli.render.results import TABLE_ROWS, per_row_table
        from losscli.render.rows import HeadAndTail
        from losscli.render.tables import print_rich

        rows = HeadAndTail(TABLE_ROWS)
        evaluation = evaluate(asked, inputs, options, rows_to=rows)
        console.warn(evaluation.warnings)
        print_rich(per_row_table(rows.names, rows.id_column, rows.shown(), rows.rows), sys.stdout)
        return
    from losscli.render.export import export_rows

    evaluation, notes = export_rows(asked, inputs, options, fmt, out, sys.stdout)
    console.warn(evaluation.warnings + notes)
    if out is not None:
        console.note(f"wrote {evaluation.results[0].n:,} rows to {out}")
