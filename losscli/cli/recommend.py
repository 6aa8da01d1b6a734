"""``losscli recommend``: which loss fits the data (see ``losscli.advice.recommend``)."""

from __future__ import annotations

import sys
from typing import Any

import click

from losscli.cli.command import command
from losscli.cli.options import READ, output_format, pairs, table_options


@command()
@click.argument("files", nargs=-1, required=True, metavar="[PREDICTIONS] TARGETS", type=READ)
@table_options("recommend")
def recommend(
    files: tuple[str, ...], columns: tuple[str, ...], output: str | None, **kw: Any
) -> None:
    """Say what task the targets describe, measure what decides the loss, and rank the
    losses that fit, with parameters from the data and the command that evaluates each.
    With PREDICTIONS (before the targets, as in every command), each candidate is
    evaluated on them; with both in one file, name the columns with --col.

    \b
    Examples:
      losscli recommend labels.csv
      losscli recommend preds.parquet y.parquet
      losscli recommend both.csv --col predictions=yhat --col targets=y
    """
    from losscli.advice.recommend import recommend as run

    fmt = output_format(output)
    given, _ = pairs(columns, "columns", "predictions=COLUMN or targets=COLUMN")
    picks = dict(given)
    unknown = sorted(set(picks) - {"predictions", "targets"})
    if unknown:
        raise click.UsageError(
            f"--col {unknown[0]}=...: recommend reads predictions=COLUMN and targets=COLUMN"
        )
    if len(files) > 2:
        raise click.UsageError("give the TARGETS file, or PREDICTIONS and TARGETS files")
    predictions: str | None
    if len(files) == 2:
        predictions, targets = files
    else:
        targets = files[0]
        predictions = targets if "predictions" in picks else None
    advice = run(targets, predictions, picks.get("targets"), picks.get("predictions"))
    if fmt == "json":
        from losscli.render.jsonout import dumps

        click.echo(dumps(advice))
        return
    _table(advice)


def _table(advice: dict[str, Any]) -> None:
    from losscli.render.numbers import exact_text
    from losscli.render.results import params_text
    from losscli.render.tables import print_rich, table

    click.echo(f"task: {advice['task']}")
    for key, value in advice["measures"].items():
        shown = exact_text(value) if isinstance(value, float) else value
        click.echo(f"  {key}: {shown}")
    evaluated = any("value" in e for e in advice["ranking"])
    header = ["rank", "loss", "params", *(["value"] if evaluated else []), "why"]
    rows = []
    for rank, entry in enumerate(advice["ranking"], start=1):
        cells = [str(rank), entry["loss"], params_text(entry["params"])]
        if evaluated:
            cells.append("" if entry.get("value") is None else exact_text(entry["value"]))
        cells.append("; ".join(entry["reasons"]))
        rows.append(cells)
    print_rich(table(header, rows, right=("rank", "value")), sys.stdout)
    for rank, entry in enumerate(advice["ranking"], start=1):
        click.echo(f"  {rank}. {entry['command']}")
    for note in advice["notes"]:
        click.echo(f"note: {note}")
