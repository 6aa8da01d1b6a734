"""The command line: a thin click layer over the registry, readers and renderers."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from typing import Any

import click

from losscli import __version__
from losscli.errors import LossCliError, spelling
from losscli.formats import INPUT_FORMATS, OUTPUT_FORMATS
from losscli.tempfiles import remove_all

EXIT_INTERNAL = 3


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


COMPLETE_VAR = "_LOSSCLI_COMPLETE"


class LossCliCommand(click.Command):
    def make_parser(self, ctx: click.Context) -> Any:
        """Click tries every option first as a long one ("-o" as in "-foo") and builds a
        'no such option' error, with spelling suggestions, for each short one it then
        finds: a few milliseconds of start-up. Knowing short options as long ones too
        skips that; parsing is unchanged."""
        parser = super().make_parser(ctx)
        short, long = getattr(parser, "_short_opt", None), getattr(parser, "_long_opt", None)
        if isinstance(short, dict) and isinstance(long, dict):
            for name, opt in short.items():
                long.setdefault(name, opt)
        return parser


class LossCliGroup(click.Group):
    """Every failure ends as one line on stderr and an exit status; never a traceback."""

    command_class = LossCliCommand
    lazy = {  # imported only when used
        "plot": ("losscli.plot_cli", "plot"),
        "curve": ("losscli.curve_cli", "curve"),
        "recommend": ("losscli.recommend_cli", "recommend"),
        "grad": ("losscli.grad_cli", "grad"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> Any:
        if name in self.lazy:
            import importlib

            module, attribute = self.lazy[name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def main(  # type: ignore[override]
        self, args: Any = None, prog_name: str | None = None, **kwargs: Any
    ) -> Any:
        if COMPLETE_VAR in os.environ:  # the shell asks for completions (see the README)
            self._main_shell_completion({}, "losscli", COMPLETE_VAR)
        try:
            code = self._run(sys.argv[1:] if args is None else list(args), prog_name)
        finally:
            remove_all()
        sys.exit(code)

    def _run(self, args: list[str], prog_name: str | None) -> int:
        global _QUIET
        _QUIET = False  # each run starts loud and without bars: --quiet/--progress are per run
        from losscli import progress

        progress.configure(False)
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


def _default_output() -> str:
    return "table" if sys.stdout.isatty() else "json"


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise click.UsageError(
                f"{option} {item}: expected INPUT=COLUMN, e.g. {option} targets=y"
            )
        if key in out:
            raise click.UsageError(f"{option} {key}=... is given twice")
        out[key] = value
    return out


output_option = click.option(
    "-o",
    "--output",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    help="Output format. Default: table on a terminal, json in a pipe.",
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


plugin_option = click.option(
    "--plugin",
    "plugins",
    multiple=True,
    metavar="FILE.py",
    help="Load user-defined losses from a Python file (see losscli.plugins). Repeatable.",
)


def _registry(plugins: tuple[str, ...], load_all: bool = False) -> Any:
    """Built-in losses, plus plugin files, plus entry-point plugins when looked up."""
    from losscli.plugins import registry_with

    return registry_with(plugins, load_all=load_all)


def _apply(*decorators: Any) -> Any:
    def wrap(f: Any) -> Any:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return wrap


def _completion_registry(ctx: click.Context) -> Any:
    """The registry a completed command line would use (its --plugin files included)."""
    plugins = ctx.params.get("plugins") or ()
    try:
        return _registry(tuple(plugins), load_all=True)
    except Exception:  # noqa: BLE001 - a broken plugin must not break the shell
        return _registry((), load_all=True)


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


def complete_params(ctx: click.Context, param: Any, incomplete: str) -> list[Any]:
    """``-p NAME=`` for the losses on the line, and ``-p LOSS.NAME=`` after ``LOSS.``."""
    from click.shell_completion import CompletionItem

    registry = _completion_registry(ctx)
    spec = ctx.params.get("losses") or ctx.params.get("loss") or _typed_losses(ctx) or ""
    names = [n.split("*")[-1].strip() for n in re.split(r"[,+-]", str(spec)) if n.strip()]
    losses = []
    for name in names:
        try:
            losses.append(registry.get(name))
        except Exception:  # noqa: BLE001 - half-typed names complete to nothing
            continue
    scope, dot, rest = incomplete.partition(".")
    items = []
    if dot:
        try:
            owners = [registry.get(scope)]
        except Exception:  # noqa: BLE001
            return []
        for loss in owners:
            for p in loss.params:
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


column_option = click.option(
    "--col",
    "columns",
    multiple=True,
    metavar="INPUT=COLUMN",
    help="Take an input from named columns: a name, a glob ('p_*') or a comma list. Repeatable.",
)
param_option = click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    shell_complete=complete_params,
    help="Set a loss parameter; LOSS.NAME=VALUE sets it for one loss only. Repeatable.",
)

# Where compute and check run: this process, or a Dask cluster.
engine_options = _apply(
    click.option(
        "--engine",
        type=click.Choice(("local", "dask")),
        default="local",
        show_default=True,
        help="dask: evaluate each file of the inputs on a Dask cluster and merge the sums "
        "exactly (extra 'dask').",
    ),
    click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask, the scheduler to join (tcp://host:8786, or a scheduler "
        "file); default: $DASK_SCHEDULER_ADDRESS, else a local cluster sized to this machine.",
    ),
)

# Options every evaluating command shares: how files are read, joined, sliced and reduced.
data_options = _apply(
    column_option,
    param_option,
    click.option("--weights", metavar="FILE", help="A file with one column of per-row weights."),
    click.option(
        "--nan",
        type=click.Choice(("error", "skip")),
        default="error",
        show_default=True,
        help="What to do with rows holding NaN, inf or missing values.",
    ),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(INPUT_FORMATS),
        help="Format of stdin ('-') and of files with no known extension (stdin default: csv).",
    ),
    click.option(
        "--group-by",
        metavar="COLUMN",
        help="Also give the value for every group of rows sharing a label in COLUMN (any file).",
    ),
    click.option(
        "--on",
        metavar="COLUMN",
        help="Match rows across files by this key column instead of by row order.",
    ),
    click.option(
        "--how",
        type=click.Choice(("exact", "inner")),
        default="exact",
        show_default=True,
        help="With --on: exact: every file must hold the same keys; inner: drop unmatched rows.",
    ),
    plugin_option,
    click.option(
        "--convention",
        type=click.Choice(("torch", "keras", "sklearn")),
        help="Reproduce that library's number where libraries disagree (see 'losscli info LOSS').",
    ),
    click.option(
        "--progress/--no-progress",
        default=None,
        help="Show progress bars on stderr for long work (default: only on a terminal).",
    ),
    click.option("-q", "--quiet", is_flag=True, help="Do not print warnings on stderr."),
)

bootstrap_options = _apply(
    click.option(
        "--bootstrap",
        "n_bootstrap",
        type=click.IntRange(min=10),
        default=2000,
        show_default=True,
        help="Number of bootstrap resamples of the rows.",
    ),
    click.option(
        "--seed",
        type=int,
        default=0,
        show_default=True,
        help="Seed of the resampling, so that intervals are reproducible.",
    ),
)


def _param_pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """``-p delta=0.5`` and ``-p huber.delta=0.5`` as (name, text) pairs."""
    pairs = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"-p {item}: expected NAME=VALUE, e.g. -p delta=0.5")
        pairs.append((key.strip(), value))
    return pairs


def _requests(spec: str, params: tuple[str, ...], registry: Any) -> Any:
    from losscli.requests import resolve_requests

    return resolve_requests(spec, _param_pairs(params), registry)


def _options(kw: dict[str, Any], **overrides: Any) -> Any:
    """The evaluation options from the shared command-line options (removed from ``kw``)."""
    from losscli import progress
    from losscli.requests import Options

    progress.configure(kw.pop("progress", None))
    global _QUIET
    _QUIET = bool(kw.pop("quiet", False))

    values = dict(
        nan=kw.pop("nan"),
        columns=_pairs(kw.pop("columns"), "--col"),
        weights=kw.pop("weights"),
        format=kw.pop("fmt"),
        convention=kw.pop("convention"),
        group_by=kw.pop("group_by"),
        on=kw.pop("on"),
        how=kw.pop("how"),
    )
    if "n_bootstrap" in kw:
        values |= {"bootstrap": kw.pop("n_bootstrap"), "seed": kw.pop("seed")}
    if "engine" in kw:
        values |= {"engine": kw.pop("engine"), "scheduler": kw.pop("scheduler")}
    return Options(**(values | overrides))


_QUIET = False  # --quiet: no warnings on stderr (errors still are)


def _warn(warnings: list[str]) -> None:
    if _QUIET:
        return
    for warning in warnings:
        click.echo(f"losscli: warning: {warning}", err=True)


@cli.command()
@click.argument(
    "losses",
    required=False,
    metavar="LOSS[,LOSS...]|'W*LOSS + W*LOSS'",
    shell_complete=complete_losses,
)
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@data_options
@engine_options
@click.option(
    "--reduction",
    type=click.Choice(("mean", "sum", "none")),
    default="mean",
    show_default=True,
    help="mean: weighted mean over rows; sum: weighted sum; none: one value per row.",
)
@click.option(
    "--ci",
    type=float,
    metavar="LEVEL",
    help="Add a bootstrap confidence interval of this level (e.g. 0.95) to every value.",
)
@bootstrap_options
@click.option(
    "--tasks",
    "tasks_file",
    metavar="FILE.toml",
    help="Evaluate the [[task]]s of a TOML file and their weighted total (no LOSS or INPUT).",
)
@output_option
@click.option(
    "--out",
    "out_path",
    metavar="FILE",
    help="Write the output to FILE instead of stdout, in the format its extension names "
    "(.csv .json .ndjson; per-row values also .parquet .arrow .npy); replaced only on success.",
)
@click.option(
    "--worst",
    type=click.IntRange(min=1),
    metavar="K",
    help="Also report the K rows with the largest loss: row, id, inputs and value.",
)
@click.option(
    "--id",
    "id_column",
    metavar="COLUMN",
    help="Name rows by this column in per-row output and --worst (default: the --on key).",
)
def compute(
    losses: str | None,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    reduction: str,
    ci: float | None,
    tasks_file: str | None,
    output: str | None,
    out_path: str | None,
    worst: int | None,
    id_column: str | None,
    **kw: Any,
) -> None:
    """Compute one or more losses, or a weighted sum of losses, on prediction files.

    INPUT files fill the loss's inputs in order (predictions, then targets); '-' reads
    stdin; an .npz supplies every input named after one of its arrays. Formats: .csv,
    .tsv, .csv.gz, .parquet, .npy, .npz. A directory, a quoted glob or a URL (s3://,
    gs://, with fsspec) is a dataset of many files; key=value folders become columns.

    \b
    Examples:
      losscli compute mse preds.csv targets.csv
      losscli compute mse,mae,huber preds.parquet targets.parquet -p delta=0.5
      losscli compute cross_entropy logits.npy labels.csv -p class_weights=1,2,0.5
      losscli compute '0.5*cross_entropy + 0.5*dice' logits.npy y.npy -p dice.from_logits=true
      losscli compute mse preds.csv targets.parquet --on id --group-by region --ci 0.95
      losscli compute --tasks tasks.toml
      losscli compute mse both.csv --col predictions=yhat --col targets=y
      losscli compute huber preds.npy targets.npy --reduction none -o csv
      losscli compute bce p.parquet y.parquet --reduction none --id sample --out rows.parquet
      losscli compute mae preds.csv targets.csv --worst 5 --id date
      cat preds.csv | losscli compute mae - targets.csv --weights w.csv
      losscli compute mse 'evals/day=2026-11-*/' --col predictions=p --group-by day
      losscli compute mse s3://bucket/evals/ --engine dask --scheduler tcp://head:8786
    """
    from losscli.evaluate import evaluate
    from losscli.render import write_results

    registry = _registry(plugins)
    options = _options(kw, reduction=reduction, ci=ci, id_column=id_column, worst=worst or 0)
    fmt = _output_format(output, out_path)
    if tasks_file:
        if losses or inputs or options.columns or params or options.weights:
            raise click.UsageError(
                "--tasks takes losses, inputs, --col, -p and --weights from the TOML file; "
                "give none on the command line"
            )
        if options.group_by or options.on or ci is not None:
            raise click.UsageError("--group-by, --on and --ci do not apply to --tasks")
        from losscli.tasks import evaluate_tasks, load_tasks

        evaluation = evaluate_tasks(load_tasks(tasks_file, registry), options)
    else:
        if not losses or not inputs:
            raise click.UsageError("give a LOSS and at least one INPUT file (or --tasks FILE)")
        requests = _requests(losses, params, registry)
        if options.reduction == "none":
            _per_row(requests, inputs, options, fmt, out_path)
            return
        evaluation = evaluate(requests, inputs, options)
    _warn(evaluation.warnings)
    records = [r.to_dict() for r in evaluation.results]
    if out_path is None:
        _warn(write_results(records, fmt, sys.stdout))
        return
    from losscli.export import export_text

    if fmt in ("parquet", "arrow", "npy"):
        raise click.UsageError(
            f"--out {out_path}: {fmt} files hold per-row values (--reduction none); "
            "write reduced results as .json, .ndjson or .csv"
        )
    text = io.StringIO()
    _warn(write_results(records, fmt, text))
    export_text(text.getvalue(), out_path)


def _output_format(output: str | None, out_path: str | None) -> str:
    """The format ``-o`` names, or the one ``--out FILE``'s extension names."""
    if out_path is None:
        return output or _default_output()
    from losscli.row_writers import format_of

    fmt = format_of(out_path)
    if output is not None and output != fmt:
        raise click.UsageError(f"-o {output} and --out {out_path} disagree; give one of them")
    return fmt


def _per_row(requests: Any, inputs: Any, options: Any, fmt: str, out_path: str | None) -> None:
    """Per-row values, streamed to their writer (or the first and last rows, in a table)."""
    if fmt == "table":
        from losscli.evaluate import evaluate
        from losscli.render import TABLE_ROWS, per_row_table, print_rich
        from losscli.row_writers import HeadAndTail

        rows = HeadAndTail(TABLE_ROWS)
        evaluation = evaluate(requests, inputs, options, rows_to=rows)
        _warn(evaluation.warnings)
        print_rich(per_row_table(rows.names, rows.id_column, rows.shown(), rows.rows), sys.stdout)
        return
    from losscli.export import export_rows

    evaluation, notes = export_rows(requests, inputs, options, fmt, out_path, sys.stdout)
    _warn(evaluation.warnings + notes)
    if out_path is not None:
        click.echo(f"losscli: wrote {evaluation.results[0].n:,} rows to {out_path}", err=True)


def _limit_values(values: tuple[str, ...]) -> Any:
    """``--max mse=0.25 --max mae=1`` as a mapping, ``--max 0.25`` as one number."""
    named = {}
    bare = None
    for item in values:
        name, sep, text = item.rpartition("=")
        if sep:
            named[name.strip()] = text
        else:
            bare = text
    if bare is not None and named:
        raise click.UsageError("give either one bare limit or LOSS=VALUE limits, not both")
    return bare if bare is not None else (named or None)


def _tolerance(values: tuple[str, ...], option: str, requests: Any, registry: Any) -> Any:
    from losscli.limits import Tolerance, tolerance

    parts = [tolerance(_limit_values((v,)), option, requests, registry) for v in values]
    return Tolerance().over(*reversed(parts)) if parts else Tolerance()


# Options that define a check, so that a checks file and the command line never both do.
_CHECK_DEFINING = (
    "columns",
    "params",
    "weights",
    "group_by",
    "on",
    "how",
    "nan",
    "fmt",
    "convention",
    "reduction",
    "max_limits",
    "min_limits",
    "max_group",
    "min_group",
    "higher_is_better",
)


@cli.command()
@click.argument("losses", required=False, metavar="[LOSS[,LOSS...]", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, metavar="INPUT...]")
@data_options
@engine_options
@click.option(
    "--reduction",
    type=click.Choice(("mean", "sum")),
    default="mean",
    show_default=True,
    help="How each loss is reduced over the rows.",
)
@click.option(
    "--max", "max_limits", multiple=True, metavar="LOSS=VALUE", help="Fail when LOSS > VALUE."
)
@click.option(
    "--min", "min_limits", multiple=True, metavar="LOSS=VALUE", help="Fail when LOSS < VALUE."
)
@click.option(
    "--max-group",
    multiple=True,
    metavar="LOSS=VALUE",
    help="With --group-by: fail when LOSS > VALUE in any group.",
)
@click.option(
    "--min-group",
    multiple=True,
    metavar="LOSS=VALUE",
    help="With --group-by: fail when LOSS < VALUE in any group.",
)
@click.option(
    "--baseline",
    metavar="FILE.json",
    help="Fail when a loss is worse than in this file (the JSON of 'compute -o json').",
)
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Write this run's values to the --baseline file (atomically) instead of comparing.",
)
@click.option(
    "--rtol",
    multiple=True,
    metavar="[LOSS=]VALUE",
    help="Relative tolerance against the baseline, for all losses or one. Default 1e-9.",
)
@click.option(
    "--atol",
    multiple=True,
    metavar="[LOSS=]VALUE",
    help="Absolute tolerance against the baseline, for all losses or one. Default 0.",
)
@click.option(
    "--higher-is-better",
    multiple=True,
    metavar="LOSS",
    help="For the baseline, a higher value of LOSS is an improvement (metrics from plugins).",
)
@click.option(
    "--config",
    metavar="FILE",
    help="The checks file. Default: losscli.toml, else pyproject.toml [tool.losscli], "
    "in this directory or the nearest parent.",
)
@click.option("--junit-xml", metavar="FILE", help="Also write a JUnit XML report here.")
@click.option("--markdown", "markdown_file", metavar="FILE", help="Also write a Markdown report.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="Report format on stdout.",
)
@click.pass_context
def check(
    ctx: click.Context,
    losses: str | None,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    reduction: str,
    max_limits: tuple[str, ...],
    min_limits: tuple[str, ...],
    max_group: tuple[str, ...],
    min_group: tuple[str, ...],
    baseline: str | None,
    update_baseline: bool,
    rtol: tuple[str, ...],
    atol: tuple[str, ...],
    higher_is_better: tuple[str, ...],
    config: str | None,
    junit_xml: str | None,
    markdown_file: str | None,
    output: str,
    **kw: Any,
) -> int:
    """Fail (exit 1) when a loss breaks its limits or regresses from a baseline.

    Exit status: 0 every check passed, 1 at least one failed, 2 a usage or data error.
    With no LOSS, the checks come from losscli.toml or [tool.losscli] in pyproject.toml.
    Under GitHub Actions the Markdown report is appended to $GITHUB_STEP_SUMMARY and each
    failure is also an ::error annotation.

    \b
    Examples:
      losscli check mse,mae preds.parquet targets.parquet --max mse=0.25 --max mae=0.4
      losscli check mse preds.csv targets.csv --baseline baseline.json --rtol 0.02
      losscli check mse preds.csv targets.csv --baseline baseline.json --update-baseline
      losscli check mse preds.csv targets.csv --group-by region --max-group mse=0.4
      losscli check --junit-xml losscli.xml
    """
    from click.core import ParameterSource

    from losscli import checks_file, gates
    from losscli.limits import build_limits
    from losscli.records import replace

    registry = _registry(plugins)
    if losses:
        if config:
            raise click.UsageError("give either LOSS and INPUT files or --config, not both")
        if not inputs:
            raise click.UsageError("give the INPUT files after the LOSS")
        requests = _requests(losses, params, registry)
        limits = build_limits(
            requests,
            registry,
            max=_limit_values(max_limits),
            min=_limit_values(min_limits),
            max_group=_limit_values(max_group),
            min_group=_limit_values(min_group),
            rtol=_tolerance(rtol, "--rtol", requests, registry),
            atol=_tolerance(atol, "--atol", requests, registry),
            higher_is_better=higher_is_better,
        )
        options = _options(kw, reduction=reduction)
        checks = [gates.CheckSpec(requests, list(inputs), options, limits)]
    else:
        given = [
            "--" + name.replace("_", "-")
            for name in _CHECK_DEFINING
            if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE
        ]
        if given or inputs:
            raise click.UsageError(
                f"{', '.join(given) or 'INPUT files'}: with a checks file, put these in the "
                "file (or give LOSS and INPUT files instead of a checks file)"
            )
        path = checks_file.find() if config is None else _existing(config)
        if path is None:
            raise click.UsageError(
                "nothing to check: give LOSS and INPUT files with limits, or write "
                "losscli.toml (see 'losscli check --help' and the README)"
            )
        loaded = checks_file.load(path, registry)
        checks = []
        for spec in loaded.checks:
            cli_rtol = _tolerance(rtol, "--rtol", spec.requests, registry)
            cli_atol = _tolerance(atol, "--atol", spec.requests, registry)
            limits = replace(
                spec.limits,
                rtol=spec.limits.rtol.over(cli_rtol, loaded.rtol),
                atol=spec.limits.atol.over(cli_atol, loaded.atol),
            )
            where = {"engine": kw["engine"], "scheduler": kw["scheduler"]}
            if where["engine"] != "local":
                spec = replace(spec, options=replace(spec.options, **where))
            checks.append(replace(spec, limits=limits))
        baseline = baseline or loaded.baseline
    return _report(
        gates.run_checks(checks, baseline, update_baseline),
        output,
        junit_xml,
        markdown_file,
        baseline if update_baseline else None,
    )


def _existing(config: str) -> Any:
    from pathlib import Path

    path = Path(config)
    if not path.is_file():
        raise click.UsageError(f"--config {config}: no such file")
    return path


def _report(
    run: Any, output: str, junit: str | None, markdown: str | None, written: str | None
) -> int:
    """Reports to files, to the CI and to stdout; the exit status from the verdicts alone."""
    from losscli import baseline, check_reports

    _warn(run.warnings)
    text = check_reports.markdown(run.verdicts)
    for option, path, content in (
        ("--junit-xml", junit, lambda: check_reports.junit_xml(run.verdicts)),
        ("--markdown", markdown, lambda: text),
    ):
        if path is not None:
            _write_text(path, content(), option, "w")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        _write_text(summary_file, text + "\n", "GITHUB_STEP_SUMMARY", "a")
    if written:  # last of the files: a report that cannot be written leaves it as it was
        baseline.write(written, run.records)
        count = len(run.records)
        shown = _shown_path(written)
        click.echo(
            f"losscli: wrote the baseline {shown} ({count} result{'s' * (count != 1)})", err=True
        )
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in check_reports.github_annotations(run.verdicts):
            click.echo(line, err=True)
    if output == "json":
        _warn(check_reports.write_json(run, sys.stdout))
    else:
        check_reports.write_table(run.verdicts, sys.stdout)
    return 1 if run.failed else 0


def _shown_path(path: str) -> str:
    """A path as short as it reads: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _write_text(path: str, text: str, what: str, mode: str) -> None:
    from losscli.errors import InputError

    if not path:
        raise InputError(f"{what}: give a file path")
    try:
        with open(path, mode, encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot write ({exc.strerror or exc})") from None


@cli.command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("files", nargs=-1, required=True, metavar="PREDS_A PREDS_B TARGETS...")
@data_options
@click.option(
    "--confidence",
    type=float,
    default=0.95,
    show_default=True,
    help="Confidence level of the interval for B - A.",
)
@bootstrap_options
@click.option(
    "--fail-if-worse",
    is_flag=True,
    help="Exit 1 when B is worse than A and the interval excludes zero.",
)
@output_option
def compare(
    loss: str,
    files: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    confidence: float,
    fail_if_worse: bool,
    output: str | None,
    **kw: Any,
) -> int:
    """Compare two models' predictions on the same targets, with a paired bootstrap interval.

    Reports both losses, the difference B - A with its confidence interval (rows are
    resampled with replacement, the same rows for both models) and the share of rows on
    which B's loss is lower. --col and -p apply to both models. With both models in one
    file, name their columns: --col a=COLUMN --col b=COLUMN, and give only the inputs.

    \b
    Examples:
      losscli compare mse old.parquet new.parquet targets.parquet
      losscli compare cross_entropy a.npy b.npy labels.csv --bootstrap 5000 --seed 1
      losscli compare mse old.csv new.csv targets.csv --on id --group-by region
      losscli compare mae old.csv new.csv targets.csv --fail-if-worse
      losscli compare mse both.csv --col a=yhat_old --col b=yhat_new --col targets=y
    """
    from losscli.comparison import compare as run_comparison
    from losscli.render import write_comparison

    options = _options(kw)
    requests = _requests(loss, params, _registry(plugins))
    in_columns = "a" in options.columns or "b" in options.columns
    if not in_columns and len(files) < 3:
        raise click.UsageError(
            "give PREDS_A PREDS_B and the targets, or both models as columns of one file "
            "with --col a=COLUMN --col b=COLUMN"
        )
    preds_a, preds_b, inputs = (None, None, files) if in_columns else (*files[:2], files[2:])
    comparison, warnings = run_comparison(requests, preds_a, preds_b, inputs, options, confidence)
    _warn(warnings)
    _warn(write_comparison(comparison.to_dict(), output or _default_output(), sys.stdout))
    return 1 if fail_if_worse and comparison.overall.verdict == "B worse" else 0


@cli.command("list")
@click.option("--family", help="Only losses of this family (e.g. regression).")
@plugin_option
@output_option
def list_losses(family: str | None, plugins: tuple[str, ...], output: str | None) -> None:
    """List every loss with its aliases, family, inputs and parameters.

    \b
    Examples:
      losscli list
      losscli list --family regression -o json
    """
    from losscli.render import write_loss_list

    losses = [loss.describe() for loss in _registry(plugins, load_all=True)]
    if family:
        families = sorted({loss["family"] for loss in losses})
        losses = [loss for loss in losses if loss["family"] == family.lower()]
        if not losses:
            raise click.BadParameter(
                f"no loss of family '{family}' (families: {', '.join(families)})",
                param_hint="--family",
            )
    write_loss_list(losses, output or "table", sys.stdout)


@cli.command()
@click.argument("loss", shell_complete=complete_losses)
@plugin_option
@output_option
def info(loss: str, plugins: tuple[str, ...], output: str | None) -> None:
    """Show a loss's formula, inputs, parameters, convention and when to use it.

    \b
    Examples:
      losscli info huber
      losscli info l2 -o json
    """
    from losscli.render import write_loss_info

    write_loss_info(_registry(plugins).get(loss).describe(), output or "table", sys.stdout)


def main() -> None:
    cli.main()
