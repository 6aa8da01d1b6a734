"""``losscli grad``: the gradient of a loss with respect to the predictions, per element,
streamed through the per-row writers, with a summary; ``--check`` compares the analytic
gradient with central finite differences."""

from __future__ import annotations

import sys
from typing import Any

import click

from losscli.cli.command import command
from losscli.cli.completion import complete_losses
from losscli.cli.options import FINITE, READ, output_format, table_options
from losscli.cli.shared import Console, evaluation_options, requests
from losscli.render.numbers import number_text


@command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", type=READ)
@click.option(
    "--check",
    "check_mode",
    is_flag=True,
    help="Compare the analytic gradient with central differences on the first rows; "
    "exit 1 when they disagree.",
)
@click.option(
    "--tolerance",
    type=FINITE,
    default=1e-4,
    show_default=True,
    help="With --check: the largest relative difference that passes.",
)
@table_options("grad")
def grad(
    loss: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    check_mode: bool,
    tolerance: float,
    output: str | None,
    out: str | None,
    console: Console,
    **kw: Any,
) -> int:
    """The gradient of each row's loss with respect to its predictions (d l_i / d p_i; the
    mean loss's gradient is that divided by the number of rows), per element, with a summary
    on stderr: norms, and the shares of vanishing, non-finite and huge entries. Analytic
    where the loss has a formula (built-in, or a plugin's grad=), else central differences
    (said in the summary).

    \b
    Examples:
      losscli grad bce probs.csv labels.csv -o csv | head
      losscli grad bce_with_logits logits.csv labels.csv --out grads.parquet
      losscli grad --check my_loss preds.csv targets.csv --plugin my_losses.py
    """
    from losscli.advice.grad import grad_check, observe_gradients

    asked = requests(loss, params, plugins)
    options = evaluation_options(kw)
    fmt = output_format(output, out)
    if check_mode:
        if out is not None:
            raise click.UsageError("--check reports on stdout; drop --out")
        report = grad_check(asked, inputs, options, tolerance)
        if fmt == "json":
            from losscli.render.jsonout import dumps

            click.echo(dumps(report))
        else:
            for key, value in report.items():
                click.echo(f"{key}: {number_text(value)}")
        return 0 if report["verdict"] == "pass" else 1
    if fmt != "table":
        from losscli.render.export import export_gradients

        evaluation, notes, summary = export_gradients(asked, inputs, options, fmt, out, sys.stdout)
        console.warn(evaluation.warnings + notes)
    else:
        evaluation, observer = observe_gradients(asked, inputs, options)
        console.warn(evaluation.warnings)
        summary = observer.summary()
    if fmt == "table":
        for key, value in summary.items():
            click.echo(f"{key}: {number_text(value)}")
    else:
        text = "; ".join(f"{k}: {number_text(v)}" for k, v in summary.items())
        console.note(f"gradient summary: {text}")
    return 0
