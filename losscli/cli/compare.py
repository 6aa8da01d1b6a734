"""``losscli compare``: two models' predictions on the same targets, paired."""

from __future__ import annotations

import sys
from typing import Any

import click

from losscli.cli.command import command
from losscli.cli.completion import complete_losses
from losscli.cli.options import READ, output_format, table_options
from losscli.cli.shared import Console, evaluation_options, requests


@command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("files", nargs=-1, required=True, metavar="PREDS_A PREDS_B TARGETS...", type=READ)
@table_options("compare")
@click.option(
    "--fail-if-worse",
    is_flag=True,
    help="Exit 1 when B is worse than A and the interval excludes zero.",
)
def compare(
    loss: str,
    files: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    fail_if_worse: bool,
    output: str | None,
    console: Console,
    **kw: Any,
) -> int:
    """Compare two models' predictions on the same targets, with a paired bootstrap interval.

    Reports both losses, the difference B - A with its confidence interval (rows are
    resampled with replacement, the same rows for both models) and the share of rows on
    which B's loss is lower. --col and -p apply to both models. With both models in one
    file, name their columns: --col a=COLUMN --col b=COLUMN, and give only the inputs.

    \b
    Examples:
      losscli compare mse old.parquet new.parquet targets.parquet
      losscli compare cross_entropy a.npy b.npy labels.csv --bootstrap 5000 --seed 1
      losscli compare mse old.csv new.csv targets.csv --on id --group-by region --ci 0.9
      losscli compare mae old.csv new.csv targets.csv --fail-if-worse
      losscli compare mse both.csv --col a=yhat_old --col b=yhat_new --col targets=y
    """
    from losscli.comparison import compare as run_comparison
    from losscli.render.results import write_comparison

    fmt = output_format(output)
    confidence = kw.pop("ci")
    options = evaluation_options(kw)
    asked = requests(loss, params, plugins)
    in_columns = "a" in options.columns or "b" in options.columns
    if not in_columns and len(files) < 3:
        raise click.UsageError(
            "give PREDS_A PREDS_B and the targets, or both models as columns of one file "
            "with --col a=COLUMN --col b=COLUMN"
        )
    preds_a, preds_b, inputs = (None, None, files) if in_columns else (*files[:2], files[2:])
    comparison, warnings = run_comparison(asked, preds_a, preds_b, inputs, options, confidence)
    console.warn(warnings)
    console.warn(write_comparison(comparison.to_dict(), fmt, sys.stdout))
    return 1 if fail_if_worse and comparison.overall.verdict == "B worse" else 0
