"""Errors every layer may raise; the CLI turns them into one line on stderr and an exit status."""

from __future__ import annotations


class LossCliError(Exception):
    """A problem with what the user asked for or gave us. Exit status 2."""

    exit_code = 2


class InputError(LossCliError):
    """A file, column, row or value that is not what a loss needs."""


class UsageError(LossCliError):
    """A loss name, parameter or option that does not fit."""
