"""The command line: one module per command over the library."""

from losscli.cli.main import cli, main

__all__ = ["cli", "main"]
