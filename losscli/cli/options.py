"""The command line's options, made from the one table in ``losscli.options``; the one
parser of KEY=VALUE words; the one output rule."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from losscli.options import OPTIONS, OUTPUT_DEFAULT, Opt, for_command

Decorator = Callable[[Any], Any]


class TableOption(click.Option):
    """An option of the table; its old spellings parse but stay out of ``--help``."""

    def __init__(self, *args: Any, hidden_flags: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_flags = hidden_flags

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.hidden_flags]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


class PathParam(click.ParamType):
    """A file the command reads (``READ``: inputs, '-', globs, folders) or writes
    (``WRITE``). The command checks them together before anything is read (see
    ``LossCliCommand``): an output never replaces an input."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type="file")]


class FiniteFloat(click.ParamType):
    """A number that is finite: ``nan`` and ``inf`` would make every comparison with it
    false (``--min-delta nan`` stops early stopping at once)."""

    name = "float"

    def __init__(
        self, low: float | None = None, high: float | None = None, high_open: bool = False
    ) -> None:
        self.low, self.high, self.high_open = low, high, high_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        above = self.high is not None and (
            number >= self.high if self.high_open else number > self.high
        )
        if (self.low is not None and number < self.low) or above:
            bound = "<" if self.high_open else "<="
            self.fail(f"{value!r} is not in {self.low} <= x {bound} {self.high}", param, ctx)
        return number


FINITE = FiniteFloat()
READ = PathParam("read")
WRITE = PathParam("write")


def _completion(opt: Opt) -> dict[str, Any]:
    if opt.name == "params":
        from losscli.cli.completion import complete_params

        return {"shell_complete": complete_params}
    return {}


def click_option(opt: Opt, command: str) -> Decorator:
    """The click decorator of one option of the table, as ``command`` takes it."""
    flags = [*opt.flags, *opt.hidden_flags]
    settings: dict[str, Any] = {"help": opt.help, "cls": TableOption}
    settings["hidden_flags"] = opt.hidden_flags
    default = opt.default_of(command)
    if opt.minimum is not None and default is not None and default < opt.minimum:
        default = None  # "none asked" (``--worst``: 0 rows): the flag takes K >= minimum
    if opt.kind == "choice":
        settings["type"] = click.Choice(opt.choices_of(command))
    elif opt.kind == "int":
        settings["type"] = click.IntRange(min=int(opt.minimum)) if opt.minimum is not None else int
    elif opt.kind == "float":
        settings["type"] = FINITE
    elif opt.path:
        settings["type"] = READ if opt.path == "read" else WRITE
    if opt.kind == "flag":
        settings |= {"is_flag": True, "default": False}
    elif opt.kind == "switch":
        settings["default"] = None
    elif opt.multiple:
        settings |= {"multiple": True, "default": ()}
    else:
        settings |= {"default": default, "show_default": default is not None}
    if opt.metavar:
        settings["metavar"] = opt.metavar
    return click.option(*flags, opt.name, **settings, **_completion(opt))


def table_options(command: str, *, skip: tuple[str, ...] = ()) -> Decorator:
    """Every option of the table that ``command`` takes, in table order."""
    chosen = [o for o in for_command(command) if o.name not in skip]

    def apply(f: Any) -> Any:
        for opt in reversed(chosen):
            f = click_option(opt, command)(f)
        return f

    return apply


def output_format(output: str | None, out_path: str | None = None) -> str:
    """The one output rule: ``-o`` if given, else the format ``--out FILE`` names, else
    a table on a terminal and JSON in a pipe."""
    if out_path is not None:
        from losscli.render.rows import format_of

        fmt = format_of(out_path, output)
        if output is not None and output != fmt:
            raise click.UsageError(f"-o {output} and --out {out_path} disagree; give one of them")
        return fmt
    if output is not None:
        return output
    return "table" if sys.stdout.isatty() else "json"


def pairs(
    items: tuple[str, ...],
    name: str,
    example: str,
    *,
    bare: bool = False,
    unique: bool = True,
) -> tuple[list[tuple[str, str]], str | None]:
    """``KEY=VALUE`` words of option ``name`` as (key, value) pairs in order; with
    ``bare``, one word without a key is allowed too (returned second); with ``unique``, a
    key given twice is an error. The one parser of such words (--col, -p, --max, --rtol)."""
    flag = OPTIONS[name].flag if name in OPTIONS else name
    out: list[tuple[str, str]] = []
    alone = None
    for item in items:
        key, sep, value = item.rpartition("=") if bare else item.partition("=")
        key, value = key.strip(), value.strip()
        if bare and not sep:
            if alone is not None:
                raise click.UsageError(f"{flag} {item}: a bare value is given twice")
            alone = value
            continue
        if not sep or not key or not value:
            raise click.UsageError(f"{flag} {item}: expected {example}")
        if unique and key in dict(out):
            raise click.UsageError(f"{flag} {key}=... is given twice")
        out.append((key, value))
    if alone is not None and out:
        raise click.UsageError(f"{flag}: give either one bare value or {example} values, not both")
    return out, alone


__all__ = [
    "OUTPUT_DEFAULT",
    "TableOption",
    "click_option",
    "output_format",
    "pairs",
    "table_options",
]
