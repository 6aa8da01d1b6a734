"""``losscli list`` and ``losscli info``: the losses there are, and one loss in full."""

from __future__ import annotations

import sys

import click

from losscli.cli.command import command
from losscli.cli.completion import complete_losses
from losscli.cli.options import output_format, table_options
from losscli.cli.shared import registry


@command("list")
@click.option("--family", help="Only losses of this family (e.g. regression).")
@table_options("list")
def list_losses(family: str | None, plugins: tuple[str, ...], output: str | None) -> None:
    """List every loss with its aliases, family, inputs and parameters.

    \b
    Examples:
      losscli list
      losscli list --family regression -o json
    """
    from losscli.render.results import write_loss_list

    losses = [loss.describe() for loss in registry(plugins, load_all=True)]
    if family:
        families = sorted({loss["family"] for loss in losses})
        losses = [loss for loss in losses if loss["family"] == family.lower()]
        if not losses:
            raise click.BadParameter(
                f"no loss of family '{family}' (families: {', '.join(families)})",
                param_hint="--family",
            )
    write_loss_list(losses, output_format(output), sys.stdout)


@command()
@click.argument("loss", shell_complete=complete_losses)
@table_options("info")
def info(loss: str, plugins: tuple[str, ...], output: str | None) -> None:
    """Show a loss's formula, inputs, parameters, convention and when to use it.

    \b
    Examples:
      losscli info huber
      losscli info l2 -o json
    """
    from losscli.render.results import write_loss_info

    write_loss_info(registry(plugins).get(loss).describe(), output_format(output), sys.stdout)
