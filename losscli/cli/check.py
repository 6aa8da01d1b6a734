"""``losscli check``: losses held to limits and a baseline; the exit status is the verdict."""

from __future__ import annotations

import sys
from typing import Any

import click

from losscli.cli.command import command
from losscli.cli.completion import complete_losses
from losscli.cli.options import READ, output_format, pairs, table_options
from losscli.cli.shared import Console, evaluation_options, registry, requests
from losscli.options import OPTIONS, for_command


def _limit_values(values: tuple[str, ...], name: str) -> Any:
    """``--max mse=0.25 --max mae=1`` as a mapping, ``--max 0.25`` as one number."""
    named, bare = pairs(values, name, "LOSS=VALUE", bare=True, unique=False)
    return bare if bare is not None else (dict(named) or None)


def _tolerance(values: tuple[str, ...], name: str, asked: Any, losses: Any) -> Any:
    from losscli.checks.limits import Tolerance, tolerance

    flag = OPTIONS[name].flag
    parts = [tolerance(_limit_values((v,), name), flag, asked, losses) for v in values]
    return Tolerance().over(*reversed(parts)) if parts else Tolerance()


# Options that define a check, so that a checks file and the command line never both do:
# the keys of a [[check]] table that are not tolerances (those may override the file's),
# and how files are read.
CHECK_DEFINING = tuple(
    o.name
    for o in for_command("check")
    if ("check" in o.toml and "checks" not in o.toml) or o.name == "format"
)


@command()
@click.argument("losses", required=False, metavar="[LOSS[,LOSS...]", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, metavar="INPUT...]", type=READ)
@table_options("check")
@click.option(
    "--config",
    metavar="FILE",
    type=READ,
    help="The checks file. Default: losscli.toml, else pyproject.toml [tool.losscli], "
    "in this directory or the nearest parent.",
)
@click.pass_context
def check(
    ctx: click.Context,
    losses: str | None,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    baseline: str | None,
    update_baseline: bool,
    rtol: tuple[str, ...],
    atol: tuple[str, ...],
    higher_is_better: tuple[str, ...],
    config: str | None,
    junit_xml: str | None,
    markdown: str | None,
    output: str | None,
    console: Console,
    **kw: Any,
) -> int:
    """Fail (exit 1) when a loss breaks its limits or regresses from a baseline.

    Exit status: 0 every check passed, 1 at least one failed, 2 a usage or data error.
    With no LOSS, the checks come from losscli.toml or [tool.losscli] in pyproject.toml.
    Under GitHub Actions the Markdown report is appended to $GITHUB_STEP_SUMMARY and each
    failure is also an ::error annotation on stderr.

    \b
    Examples:
      losscli check mse,mae preds.parquet targets.parquet --max mse=0.25 --max mae=0.4
      losscli check mse preds.csv targets.csv --baseline baseline.json --rtol 0.02
      losscli check mse preds.csv targets.csv --baseline baseline.json --update-baseline
      losscli check mse preds.csv targets.csv --group-by region --max-group mse=0.4
      losscli check --junit-xml losscli.xml
    """
    from click.core import ParameterSource

    from losscli.checks import checks_file, gates
    from losscli.checks.limits import build_limits
    from losscli.records import replace

    fmt = output_format(output)
    losses_of = registry(plugins)
    limit_words = {name: kw.pop(name) for name in ("max", "min", "max_group", "min_group")}
    if losses:
        if config:
            raise click.UsageError("give either LOSS and INPUT files or --config, not both")
        if not inputs:
            raise click.UsageError("give the INPUT files after the LOSS")
        asked = requests(losses, params, plugins)
        limits = build_limits(
            asked,
            losses_of,
            **{name: _limit_values(words, name) for name, words in limit_words.items()},
            rtol=_tolerance(rtol, "rtol", asked, losses_of),
            atol=_tolerance(atol, "atol", asked, losses_of),
            higher_is_better=higher_is_better,
        )
        options = evaluation_options(kw)
        checks = [gates.CheckSpec(asked, list(inputs), options, limits)]
    else:
        given = [
            OPTIONS[name].flag
            for name in CHECK_DEFINING
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
        loaded = checks_file.load(path, losses_of)
        checks = []
        for spec in loaded.checks:
            cli_rtol = _tolerance(rtol, "rtol", spec.requests, losses_of)
            cli_atol = _tolerance(atol, "atol", spec.requests, losses_of)
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
    reports: list[tuple[str, str | None]] = [("junit_xml", junit_xml), ("markdown", markdown)]
    if not losses:  # the checks file found is read too
        from losscli.output_guard import check_outputs

        check_outputs(reports, [str(path)])
    run = gates.run_checks(checks, baseline, update_baseline, reports)
    console.warn(run.warnings)
    from losscli.render.gate_report import publish
    from losscli.render.verdicts import gate_report, write_json, write_table

    report = gate_report(run.verdicts)

    def written() -> None:  # last of the files: a report that cannot be written leaves it
        if update_baseline and baseline:
            from losscli.render.baseline_file import write_baseline

            write_baseline(baseline, run.records)
            count = len(run.records)
            shown = _shown_path(baseline)
            console.note(f"wrote the baseline {shown} ({count} result{'s' * (count != 1)})")

    publish(report, junit_xml, markdown, before_annotations=written)
    if fmt == "json":
        console.warn(write_json(run, sys.stdout))
    else:
        write_table(run.verdicts, sys.stdout)
    return 1 if run.failed else 0


def _existing(config: str) -> Any:
    from pathlib import Path

    path = Path(config)
    if not path.is_file():
        raise click.UsageError(f"--config {config}: no such file")
    return path


def _shown_path(path: str) -> str:
    """A path as short as it reads: relative to the working directory when inside it."""
    import os

    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
