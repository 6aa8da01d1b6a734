"""``losscli recommend``: which loss fits the data (see ``losscli.recommend``)."""

from __future__ import annotations

import sys
from typing import Any

import click


@click.command()
@click.argument("targets", metavar="TARGETS")
@click.argument("predictions", required=False, metavar="[PREDICTIONS]")
@click.option(
    "--col",
    "columns",
    multiple=True,
    metavar="INPUT=COLUMN",
    help="targets=COL or predictions=COL (a comma list for several columns).",
)
@click.option("-o", "--output", type=click.Choice(("table", "json")), default=None)
def recommend(
    targets: str, predictions: str | None, columns: tuple[str, ...], output: str | None
) -> None:
    """Say what task the targets describe, measure what decides the loss, and rank the
    losses that fit, with parameters from the data and the command that evaluates each.
    With PREDICTIONS, each candidate is evaluated on them.

    \b
    Examples:
      losscli recommend labels.csv
      losscli recommend y.parquet preds.parquet
    """
    from losscli.recommend import recommend as run

    picks: dict[str, str] = {}
    for item in columns:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in ("targets", "predictions"):
            raise click.UsageError(f"--col {item}: give targets=COLUMN or predictions=COLUMN")
        picks[key.strip()] = value.strip()
    advice = run(targets, predictions, picks.get("targets"), picks.get("predictions"))
    fmt = output or ("table" if sys.stdout.isatty() else "json")
    if fmt == "json":
        from losscli.jsonout import dumps

        click.echo(dumps(advice))
        return
    _table(advice)


def _table(advice: dict[str, Any]) -> None:
    from rich.table import Table

    from losscli.render import number, params_text, print_rich

    click.echo(f"task: {advice['task']}")
    for key, value in advice["measures"].items():
        shown = number(value) if isinstance(value, float) else value
        click.echo(f"  {key}: {shown}")
    evaluated = any("value" in e for e in advice["ranking"])
    table = Table()
    for name in ["rank", "loss", "params", *(["value"] if evaluated else []), "why"]:
        table.add_column(name, justify="right" if name in ("rank", "value") else "left")
    for rank, entry in enumerate(advice["ranking"], start=1):
        cells = [str(rank), entry["loss"], params_text(entry["params"])]
        if evaluated:
            cells.append("" if entry.get("value") is None else number(entry["value"]))
        cells.append("; ".join(entry["reasons"]))
        table.add_row(*cells)
    print_rich(table, sys.stdout)
    for rank, entry in enumerate(advice["ranking"], start=1):
        click.echo(f"  {rank}. {entry['command']}")
    for note in advice["notes"]:
        click.echo(f"note: {note}")
