"""What every command does the same way: the console for notes and warnings, the
registry with --plugin files, the loss requests, and the evaluation ``Options`` from the
options of the table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from losscli.cli.options import pairs


class Console:
    """Where a command's notes and warnings go: stderr, one line each, prefixed
    ``losscli:``; warnings are silenced by ``--quiet``."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def warn(self, warnings: Iterable[str]) -> None:
        if self.quiet:
            return
        for warning in warnings:
            click.echo(f"losscli: warning: {warning}", err=True)

    def note(self, text: str) -> None:
        click.echo(f"losscli: {text}", err=True)

    def notes(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.note(text)


def registry(plugins: tuple[str, ...], load_all: bool = False) -> Any:
    """Built-in losses, plus plugin files, plus entry-point plugins when looked up."""
    from losscli.plugins import registry_with

    return registry_with(plugins, load_all=load_all)


def requests(spec: str, params: tuple[str, ...], plugins: tuple[str, ...]) -> Any:
    """The loss requests of a LOSS argument with its ``-p`` words."""
    from losscli.requests import resolve_requests

    given, _ = pairs(params, "params", "NAME=VALUE, e.g. -p delta=0.5", unique=False)
    return resolve_requests(spec, given, registry(plugins))


# Options of the table that are fields of ``Options`` (how an evaluation reads and reduces).
_EVALUATION_FIELDS = (
    "strict",
    "reduction",
    "nan",
    "weights",
    "format",
    "convention",
    "group_by",
    "on",
    "how",
    "id_column",
    "worst",
    "ci",
    "bootstrap",
    "seed",
    "engine",
    "scheduler",
)


def evaluation_options(kw: dict[str, Any], **overrides: Any) -> Any:
    """The evaluation ``Options`` from a command's options (removed from ``kw``)."""
    from losscli.requests import Options

    values: dict[str, Any] = {}
    if "columns" in kw:
        columns, _ = pairs(kw.pop("columns"), "columns", "INPUT=COLUMN, e.g. --col targets=y")
        values["columns"] = dict(columns)
    for name in _EVALUATION_FIELDS:
        if name in kw:
            values[name] = kw.pop(name)
    if values.get("worst") is None:
        values.pop("worst", None)
    return Options(**(values | overrides))


__all__ = ["Console", "evaluation_options", "registry", "requests"]
