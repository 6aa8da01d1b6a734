"""The one command class of losscli, and its group."""

from __future__ import annotations

import inspect
from typing import Any

import click


class LossCliCommand(click.Command):
    """Every command: ``--progress`` applies to its run alone, and ``--quiet`` reaches the
    command as its ``console`` (where notes and warnings go), when it takes one."""

    def invoke(self, ctx: click.Context) -> Any:
        from losscli import progress
        from losscli.cli.shared import Console

        shown = ctx.params.pop("progress", False)
        quiet = bool(ctx.params.pop("quiet", False))
        wanted = inspect.signature(self.callback).parameters if self.callback else {}
        if "console" in wanted:
            ctx.params["console"] = Console(quiet)
        with progress.shown(shown):
            return super().invoke(ctx)


class CommandGroup(click.Group):
    """A group whose commands (and subgroups' commands) are ``LossCliCommand``s."""

    command_class = LossCliCommand


def command(name: str | None = None, **settings: Any) -> Any:
    """``@command()``: a losscli command."""
    return click.command(name, cls=LossCliCommand, **settings)


def group(**settings: Any) -> Any:
    """``@group()``: a group of losscli commands (``plot``)."""
    return click.group(cls=CommandGroup, **settings)


__all__ = ["CommandGroup", "LossCliCommand", "command", "group"]
