"""``losscli plot``: the chart commands. Each builds a Figure from the library
(``losscli.plots``) and hands it to ``plots.output.show``."""

from __future__ import annotations

import sys
from typing import Any

import click

from losscli.cli import (
    _options,
    _param_pairs,
    _registry,
    _requests,
    _warn,
    complete_losses,
    data_options,
    param_option,
    plugin_option,
)

plot_output = click.option(
    "-o",
    "--output",
    type=click.Choice(("terminal", "json", "csv")),
    help="Draw in the terminal, or write the plotted data. Default: terminal on a terminal, "
    "json in a pipe.",
)
plot_out = click.option(
    "--out",
    "out_path",
    metavar="FILE",
    help="Write an image (.png, .svg, .pdf: needs the plot extra) or the data (.json, .csv).",
)


def _show(figure: Any, output: str | None, out_path: str | None) -> None:
    from losscli.plots.output import show

    figures = figure if isinstance(figure, list) else [figure]
    for note in show(figures, output, out_path, sys.stdout):
        click.echo(f"losscli: {note}", err=True)


@click.group()
def plot() -> None:
    """Charts: a loss against the prediction, the distribution of per-row losses, residuals,
    groups, calibration. In the terminal, as PNG/SVG/PDF (--out), or as data (-o json|csv)."""


@plot.command()
@click.argument("losses", metavar="LOSS[,LOSS...]", shell_complete=complete_losses)
@param_option
@click.option("--target", type=float, help="The fixed target (default: 1 for classifiers, 0 else).")
@click.option("--range", "x_range", metavar="LOW:HIGH", help="The predictions to draw.")
@click.option(
    "--convention",
    type=click.Choice(("torch", "keras", "sklearn")),
    help="Draw that library's variant where libraries disagree.",
)
@plugin_option
@plot_output
@plot_out
def curve(
    losses: str,
    params: tuple[str, ...],
    target: float | None,
    x_range: str | None,
    convention: str | None,
    plugins: tuple[str, ...],
    output: str | None,
    out_path: str | None,
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

    registry = _registry(plugins)
    bounds = parse_range(x_range) if x_range else None
    figure = curve_figure(losses, _param_pairs(params), registry, target, bounds, convention)
    _show(figure, output, out_path)


@plot.command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@data_options
@click.option("--bins", type=click.IntRange(2, 10_000), default=40, show_default=True)
@click.option("--log", "log_scale", is_flag=True, help="Bins evenly spaced on a log scale.")
@click.option("--worst", type=click.IntRange(min=1), metavar="K", help="Mark the K worst rows.")
@click.option("--id", "id_column", metavar="COLUMN", help="Name the worst rows by this column.")
@plot_output
@plot_out
def dist(
    loss: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    bins: int,
    log_scale: bool,
    worst: int | None,
    id_column: str | None,
    output: str | None,
    out_path: str | None,
    **kw: Any,
) -> None:
    """The distribution of per-row losses: a histogram with the mean, p50, p90, p99 and max.

    \b
    Examples:
      losscli plot dist mae preds.csv targets.csv --worst 3
      losscli plot dist bce p.parquet y.parquet --log --out dist.png
    """
    from losscli.plots.distribution import distribution_figure

    options = _options(kw, id_column=id_column, worst=worst or 0)
    requests = _requests(loss, params, _registry(plugins))
    figure, warnings = distribution_figure(requests, inputs, options, bins, log_scale)
    _warn(warnings)
    _show(figure, output, out_path)


@plot.command()
@click.argument("inputs", nargs=2, metavar="PREDICTIONS TARGETS")
@data_options
@click.option("--bins", type=click.IntRange(2, 1000), default=40, show_default=True)
@click.option(
    "--points",
    type=click.IntRange(10, 1_000_000),
    default=5000,
    show_default=True,
    help="Rows drawn as points at most; more are drawn as a density (rows per cell).",
)
@plot_output
@plot_out
def residuals(
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    bins: int,
    points: int,
    output: str | None,
    out_path: str | None,
    **kw: Any,
) -> None:
    """Predicted against target (points, or their density once they would overlap) and
    the histogram of the residuals (prediction - target). --out NAME.png writes NAME-1.png
    and NAME-2.png.

    \b
    Example:
      losscli plot residuals preds.csv targets.csv --out residuals.png
    """
    from losscli.plots.residuals import residual_figures

    options = _options(kw)
    figures, notes = residual_figures(inputs, options, bins, points)
    _warn(notes)
    _show(figures, output, out_path)


@plot.command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@data_options
@click.option("--ci", type=float, default=0.95, show_default=True, metavar="LEVEL")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=10), default=2000)
@click.option("--seed", type=int, default=0, show_default=True)
@plot_output
@plot_out
def groups(
    loss: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    ci: float,
    output: str | None,
    out_path: str | None,
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
    options = _options(kw, ci=ci)
    figure, warnings = groups_figure(_requests(loss, params, _registry(plugins)), inputs, options)
    _warn(warnings)
    _show(figure, output, out_path)


@plot.command()
@click.argument("inputs", nargs=2, metavar="PROBABILITIES LABELS")
@data_options
@click.option("--bins", type=click.IntRange(2, 100), default=10, show_default=True)
@plot_output
@plot_out
def calibration(
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    bins: int,
    output: str | None,
    out_path: str | None,
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

    figure, warnings = calibration_figure(inputs, _options(kw), bins)
    _warn(warnings)
    _show(figure, output, out_path)
