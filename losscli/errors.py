"""The one exception hierarchy, and how a message spells an option for whoever reads it.

Every layer raises these; the command line turns them into one line on stderr and an
exit status, Python callers catch them::

    LossCliError            anything the user must fix (exit status 2)
    ├── UsageError          a loss name, parameter, option or configuration that does not fit
    │   └── ConfigError     a checks file or tasks file that cannot be used
    └── InputError          a file, column, row or value that is not what a loss needs

A message that suggests a fix names it the way the reader gives it: ``--nan skip`` on the
command line, ``nan="skip"`` in Python. Library code spells options through ``option``,
``param`` and ``column``; the command line switches the spelling with ``spelling("cli")``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any


class LossCliError(Exception):
    """A problem with what the user asked for or gave. Exit status 2."""

    exit_code = 2


class UsageError(LossCliError):
    """A loss name, parameter or option that does not fit."""


class ConfigError(UsageError):
    """A checks file or tasks file that cannot be read or does not describe what it should."""


class InputError(LossCliError):
    """A file, column, row or value that is not what a loss needs."""


_FACE: ContextVar[str] = ContextVar("losscli_face", default="python")
_UNSET: Any = object()


# Python keyword -> command-line option, where they differ in more than '_' and '-'.
@contextlib.contextmanager
def spelling(face: str) -> Iterator[None]:
    """Spell options in messages for ``face``: ``"cli"``, ``"python"`` or ``"toml"``."""
    token = _FACE.set(face)
    try:
        yield
    finally:
        _FACE.reset(token)


def on_command_line() -> bool:
    return _FACE.get() == "cli"


def catalogue_hint() -> str:
    """Where to see every loss: the command or the function."""
    return "'losscli list'" if on_command_line() else "losscli.list_losses()"


def _toml_value(text: str) -> str:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered
    try:
        float(text)
    except ValueError:
        return '"' + text.replace('"', '\\"') + '"'
    return text


def _python_value(text: str) -> str:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered.capitalize()
    try:
        float(text)
    except ValueError:
        return repr(text)
    return text


def option(name: str, value: Any = _UNSET) -> str:
    """``option("nan", "skip")``: ``--nan skip`` or ``nan='skip'``; no value: the name alone.

    >>> option("group_by", "region")
    "group_by='region'"
    >>> with spelling("cli"):
    ...     option("group_by", "region")
    '--group-by region'
    """
    if on_command_line():
        from losscli.options import flag_of

        flag = flag_of(name)
        return flag if value is _UNSET else f"{flag} {value}"
    if _FACE.get() == "toml":
        return name if value is _UNSET else f"{name} = {_toml_value(str(value))}"
    return name if value is _UNSET else f"{name}={_python_value(str(value))}"


def flag(name: str) -> str:
    """A switch: ``--update-baseline`` or ``update_baseline=True``."""
    return option(name) if on_command_line() else f"{name}=True"


def param(name: str, value: Any) -> str:
    """A loss parameter: ``-p from_logits=true`` or ``from_logits=True``."""
    if on_command_line():
        return f"-p {name}={value}"
    if _FACE.get() == "toml":
        return f"params = {{ {name} = {_toml_value(str(value))} }}"
    return f"{name}={_python_value(str(value))}"


def column(name: str, pattern: str = "COLUMN") -> str:
    """A column pick: ``--col targets=y`` or ``columns={'targets': 'y'}``."""
    if on_command_line():
        return f"--col {name}={pattern}"
    if _FACE.get() == "toml":
        return f'columns = {{ {name} = "{pattern}" }}'
    return f"columns={{{name!r}: {pattern!r}}}"


class Spelled:
    """Options inside ``str.format`` templates of loss checks: ``{p:from_logits=true}``,
    ``{opt:convention=keras}``; spelled when the message is made."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __format__(self, spec: str) -> str:
        name, _, value = spec.partition("=")
        if self.kind == "p":
            return param(name, value)
        return option(name, value) if value else option(name)


SPELLED = {"p": Spelled("p"), "opt": Spelled("opt")}
