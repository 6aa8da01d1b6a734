"""``losscli plot``: the chart commands. Each builds a Figure from the library
(``losscli.plots``) and hands it to ``plots.output.show``."""

from __future__ import annotations

import sys
from typing import Any

import click

from losscli.cli.command import group
from losscli.cli.completion import complete_losses
from losscli.cli.options import FINITE, READ, pairs, table_options
from losscli.cli.shared import Console, evaluation_options, registry, requests


def _show(figure: Any, output: str | None, out: str | None, console: Console) -> None:
    from losscli.plots.output import show

    figures = figure if isinstance(figure, list) else [figure]
    console.notes(show(figures, output, out, sys.stdout))


def _chart_path(out: str | None) -> None:
    if out is not None:
        from losscli.plots.output import check_chart_path

        check_chart_path(out)


@group()
def plot() -> None:
    """Charts: a loss against the prediction, the distribution of per-row losses, residuals,
    groups, calibration. In the terminal, as PNG/SVG/PDF (--out), or as data (-o json|csv)."""


@plot.command()
@click.argument("losses", metavar="LOSS[,LOSS...]", shell_complete=complete_losses)
@click.option(
    "--target", type=FINITE, help="The fixed target (default: 1 for classifiers, 0 else)."
)
@click.option("--range", "x_range", metavar="LOW:HIGH", help="The predictions to draw.")
@table_options("plot curve")
def curve(
    losses: str,
    params: tuple[str, ...],
    target: float | None,
    x_range: str | None,
    convention: str | None,
    plugins: tuple[str, ...],
    output: str | None,
    out: str | None,
    console: Console,
) -> None:
    """Losses as functions of the prediction for a fixed target.

    -p NAME=A,B,C draws one line per value.

    \b
    Examples:
      losscli plot curve bce,focal --target 1 -p focal.gamma=2
      losscli plot curve mse,mae,huber,log_cosh
      losscli plot curve focal -p gamma=0,1,2,5 --out focal.png
    """
    from losscli.plots.curve import curve_figure, parse_range

    _chart_path(out)
    bounds = parse_range(x_range) if x_range else None
    given, _ = pairs(params, "params", "NAME=VALUE, e.g. -p gamma=0,1,2", unique=False)
    figure = curve_figure(losses, given, registry(plugins), target, bounds, convention)
    _show(figure, output, out, console)


@plot.command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", type=READ)
@click.option("--bins", type=click.IntRange(2, 10_000), default=40, show_default=True)
@click.option("--log", "log_scale", is_flag=True, help="Bins evenly spaced on a log scale.")
@table_options("plot dist")
def dist(
    loss: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    bins: int,
    log_scale: bool,
    output: str | None,
    out: str | None,
    console: Console,
    **kw: Any,
) -> None:
    """The distribution of per-row losses: a histogram with the mean, p50, p90, p99 and max.

    \b
    Examples:
      losscli plot dist mae preds.csv targets.csv --worst 3
      losscli plot dist bce p.parquet y.parquet --log --out dist.png
    """
    from losscli.plots.distribution import distribution_figure

    _chart_path(out)
    options = evaluation_options(kw)
    asked = requests(loss, params, plugins)
    figure, warnings = distribution_figure(asked, inputs, options, bins, log_scale)
    console.warn(warnings)
    _show(figure, output, out, console)


@plot.command()
@click.argument("inputs", nargs=2, metavar="PREDICTIONS TARGETS", type=READ)
@click.option("--bins", type=click.IntRange(2, 1000), default=40, show_default=True)
@click.option(
    "--points",
    type=click.IntRange(10, 1_000_000),
    default=5000,
    show_default=True,
    help="Rows drawn as points at most; more are drawn as a density (rows per cell).",
)
@table_options("plot residuals")
def residuals(
    inputs: tuple[str, ...],
    bins: int,
    points: int,
    output: str | None,
    out: str | None,
    console: Console,
    **kw: Any,
) -> None:
    """Predicted against target (points, or their density once they would overlap) and
    the histogram of the residuals (prediction - target). --out NAME.png writes both panels
    into that one file.

    \b
    Example:
      losscli plot residuals preds.csv targets.csv --out residuals.png
    """
    from losscli.plots.residuals import residual_figures

    _chart_path(out)
    figures, notes = residual_figures(inputs, evaluation_options(kw), bins, points)
    console.warn(notes)
    _show(figures, output, out, console)


@plot.command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", type=READ)
@table_options("plot groups")
def groups(
    loss: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    output: str | None,
    out: str | None,
    console: Console,
    **kw: Any,
) -> None:
    """One bar per group (--group-by COLUMN) with its bootstrap interval, sorted by value.

    \b
    Example:
      losscli plot groups mae both.csv --col predictions=yhat --col targets=y --group-by region
    """
    from losscli.plots.groups import groups_figure

    if not kw.get("group_by"):
        raise click.UsageError("plot groups needs --group-by COLUMN")
    _chart_path(out)
    options = evaluation_options(kw)
    figure, warnings = groups_figure(requests(loss, params, plugins), inputs, options)
    console.warn(warnings)
    _show(figure, output, out, console)


@plot.command()
@click.argument("inputs", nargs=2, metavar="PROBABILITIES LABELS", type=READ)
@click.option("--bins", type=click.IntRange(2, 100), default=10, show_default=True)
@table_options("plot calibration")
def calibration(
    inputs: tuple[str, ...],
    bins: int,
    output: str | None,
    out: str | None,
    console: Console,
    **kw: Any,
) -> None:
    """A reliability diagram: observed frequency against predicted probability per bin,
    with the expected calibration error (ECE). Binary probabilities (one column, labels
    0/1) or class probabilities (one column a class, labels the class index: the top class).

    \b
    Example:
      losscli plot calibration probs.csv labels.csv --bins 10
    """
    from losscli.plots.calibration import calibration_figure

    _chart_path(out)
    figure, warnings = calibration_figure(inputs, evaluation_options(kw), bins)
    console.warn(warnings)
    _show(figure, output, out, console)
