"""The ``losscli`` command group: the one command class, the commands (each in its own
module, imported when used), and every failure turned into one line and an exit status."""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from typing import Any

import click

from losscli import __version__
from losscli.cli.command import CommandGroup
from losscli.errors import LossCliError, spelling
from losscli.tempfiles import remove_all

EXIT_INTERNAL = 3
COMPLETE_VAR = "_LOSSCLI_COMPLETE"

# name -> (module, attribute): each command is imported only when it runs or is listed.
COMMANDS = {
    "compute": ("losscli.cli.compute", "compute"),
    "check": ("losscli.cli.check", "check"),
    "compare": ("losscli.cli.compare", "compare"),
    "list": ("losscli.cli.catalogue", "list_losses"),
    "info": ("losscli.cli.catalogue", "info"),
    "plot": ("losscli.cli.plot", "plot"),
    "curve": ("losscli.cli.curve", "curve"),
    "recommend": ("losscli.cli.recommend", "recommend"),
    "grad": ("losscli.cli.grad", "grad"),
}


def _error(message: str, code: int) -> int:
    one_line = " ".join(message.split())  # library messages may quote multi-line text
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr full or closed
        click.echo(f"losscli: error: {one_line}", err=True)
    return code


def _silence_stdout() -> None:
    """The reader of our output went away: send what is left (and the final flush) nowhere."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


class LossCliGroup(CommandGroup):
    """Every failure ends as one line on stderr and an exit status; never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Any:
        if name not in COMMANDS:
            return None
        import importlib

        module, attribute = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def main(  # type: ignore[override]
        self, args: Any = None, prog_name: str | None = None, **kwargs: Any
    ) -> Any:
        if COMPLETE_VAR in os.environ:  # the shell asks for completions (see the README)
            from click.shell_completion import shell_complete

            instruction = os.environ[COMPLETE_VAR]
            sys.exit(shell_complete(self, {}, "losscli", COMPLETE_VAR, instruction))
        try:
            # Each run in a context of its own: settings made for a run end with it.
            code = contextvars.copy_context().run(
                self._run, sys.argv[1:] if args is None else list(args), prog_name
            )
        finally:
            remove_all()
        sys.exit(code)

    def _run(self, args: list[str], prog_name: str | None) -> int:
        if sys.stdout is None:
            return _error("stdout is closed; losscli writes its results there", 2)
        try:
            with spelling("cli"), self.make_context(prog_name or "losscli", args) as ctx:
                code = self.invoke(ctx)
            return code if isinstance(code, int) else 0
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
            return 2
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            return _error(exc.format_message() + where, 2)
        except click.ClickException as exc:
            return _error(exc.format_message(), exc.exit_code)
        except LossCliError as exc:
            return _error(str(exc), exc.exit_code)
        except (click.Abort, KeyboardInterrupt) as exc:
            if isinstance(exc.__context__, EOFError):  # click turns any EOFError into Abort
                return _error(f"internal error: unexpected end of data: {exc.__context__}", 3)
            return _error("interrupted", 130)
        except BrokenPipeError:
            # The reader of our output went away (`| head`): not an error of ours.
            _silence_stdout()
            return 0
        except MemoryError:
            return _error("out of memory; use a reduced --reduction to stream the files", 2)
        except OSError as exc:
            # Readers turn their own OSErrors into InputErrors: this one is the output's.
            _silence_stdout()
            return _error(f"cannot write the output ({exc.strerror or exc})", 2)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if os.environ.get("LOSSCLI_DEBUG"):
                raise
            return _error(
                f"internal error: {type(exc).__name__}: {exc} "
                "(please report it; set LOSSCLI_DEBUG=1 for the traceback)",
                EXIT_INTERNAL,
            )


@click.group(
    cls=LossCliGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="losscli")
def cli() -> None:
    """Evaluate machine-learning losses on prediction files.

    \b
    Example:
      losscli compute mse preds.csv targets.csv
      losscli list
      losscli info huber
    """


def main() -> None:
    cli.main()
