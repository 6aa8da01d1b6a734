"""Shell completion of loss names and loss parameters (see the README), reading loss
specs with the same parser as the commands."""

from __future__ import annotations

import os
from typing import Any

import click


def _completion_registry(ctx: click.Context) -> Any:
    """The registry a completed command line would use (its --plugin files included)."""
    from losscli.plugins import registry_with

    plugins = ctx.params.get("plugins") or ()
    try:
        return registry_with(tuple(plugins), load_all=True)
    except Exception:  # noqa: BLE001 - a broken plugin must not break the shell
        return registry_with((), load_all=True)


def complete_losses(ctx: click.Context, param: Any, incomplete: str) -> list[Any]:
    """Loss names (and aliases), after the last comma of a list being typed."""
    from click.shell_completion import CompletionItem

    head, comma, last = incomplete.rpartition(",")
    prefix = head + comma
    items = []
    for loss in _completion_registry(ctx):
        for name in (loss.name, *loss.aliases):
            if name.lower().startswith(last.lower()):
                items.append(CompletionItem(prefix + name, help=loss.summary))
    return items


def _typed_losses(ctx: click.Context) -> str | None:
    """The LOSS word of the line being completed. Click does not parse the arguments
    before an option whose value is being completed, so read the shell's words (bash,
    zsh and fish all pass them in COMP_WORDS): the first word after the command's name
    that is not an option."""
    import shlex

    try:
        words = shlex.split(os.environ.get("COMP_WORDS", ""))
    except ValueError:
        return None
    if ctx.command.name not in words:
        return None
    following = words[words.index(ctx.command.name) + 1 :]
    return next((w for w in following if not w.startswith("-")), None)


def _loss_names(spec: str) -> list[str]:
    """The loss names of a spec, as the commands read it; none while it does not parse."""
    from losscli.errors import LossCliError
    from losscli.spec import parse_spec

    try:
        return list(parse_spec(spec).names)
    except LossCliError:
        return []


def complete_params(ctx: click.Context, param: Any, incomplete: str) -> list[Any]:
    """``-p NAME=`` for the losses on the line, and ``-p LOSS.NAME=`` after ``LOSS.``."""
    from click.shell_completion import CompletionItem

    registry = _completion_registry(ctx)
    spec = ctx.params.get("losses") or ctx.params.get("loss") or _typed_losses(ctx) or ""
    losses = []
    for name in _loss_names(str(spec)):
        try:
            losses.append(registry.get(name))
        except Exception:  # noqa: BLE001 - half-typed names complete to nothing
            continue
    scope, dot, rest = incomplete.partition(".")
    items = []
    if dot:
        try:
            owner = registry.get(scope)
        except Exception:  # noqa: BLE001
            return []
        for p in owner.params:
            if p.name.startswith(rest):
                items.append(CompletionItem(f"{scope}.{p.name}=", help=p.doc))
        return items
    for loss in losses:
        for p in loss.params:
            if p.name.startswith(incomplete):
                items.append(CompletionItem(f"{p.name}=", help=f"{loss.name}: {p.doc}"))
        if loss.name.startswith(incomplete) and loss.params:
            items.append(CompletionItem(f"{loss.name}.", help="a parameter of this loss only"))
    return items


__all__ = ["complete_losses", "complete_params"]
