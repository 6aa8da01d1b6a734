"""The one command class of losscli, and its group."""

from __future__ import annotations

import inspect
from typing import Any

import click


class LossCliCommand(click.Command):
    """Every command: ``--progress`` applies to its run alone, ``--quiet`` reaches the
    command as its ``console`` (where notes and warnings go), when it takes one, and no
    file it writes may replace one it reads (checked before anything is read)."""

    def invoke(self, ctx: click.Context) -> Any:
        from losscli import progress
        from losscli.cli.shared import Console

        self.check_paths(ctx)
        shown = ctx.params.pop("progress", False)
        quiet = bool(ctx.params.pop("quiet", False))
        wanted = inspect.signature(self.callback).parameters if self.callback else {}
        if "console" in wanted:
            ctx.params["console"] = Console(quiet)
        with progress.shown(shown):
            return super().invoke(ctx)

    def check_paths(self, ctx: click.Context) -> None:
        """Refuse an output (a ``WRITE`` parameter) that would destroy an input."""
        from losscli.cli.options import PathParam

        reads: list[Any] = []
        writes: list[tuple[str, Any]] = []
        for param in self.params:
            value = ctx.params.get(param.name or "")
            if not isinstance(param.type, PathParam) or value is None:
                continue
            values = list(value) if isinstance(value, (tuple, list)) else [value]
            if param.type.role == "read":
                reads += values
            else:
                writes += [(param.name or "", v) for v in values]
        if writes:
            from losscli.output_guard import check_outputs

            check_outputs(writes, reads)


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
