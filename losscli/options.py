"""Every option of losscli, defined once: its Python keyword (also its TOML key and its
``Options`` field), its command-line flag, its type, choices, default and help, and where
it is taken: the commands, the API functions and the TOML tables.

The click decorators (``losscli.cli.options``), the spelling of options in error messages
(``losscli.errors.option``), the API's keywords (checked against this table by a test)
and the keys a checks file or a tasks file accepts all derive from this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The commands that evaluate losses on files and take the whole data vocabulary.
EVALUATING = ("compute", "check", "compare", "grad", "plot dist", "plot groups")
# Commands that read prediction files without a loss of the user's choosing.
READING = ("plot residuals", "plot calibration", "recommend")
PLOTS = ("plot curve", "plot dist", "plot residuals", "plot groups", "plot calibration")
OUTPUT_DEFAULT = "a table (for plots, the chart) on a terminal, json in a pipe"


@dataclass(frozen=True)
class Opt:
    """One option. ``name`` is the Python keyword, the TOML key and the ``Options`` field."""

    name: str
    flags: tuple[str, ...]
    help: str
    commands: tuple[str, ...] = ()
    python: tuple[str, ...] = ()  # API functions taking ``name`` as a keyword
    toml: tuple[str, ...] = ()  # TOML tables taking ``name`` as a key: check, checks, task
    kind: str = "text"  # text | int | float | flag | switch | choice
    choices: tuple[str, ...] = ()
    choices_for: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default: Any = None
    defaults_for: Mapping[str, Any] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    metavar: str | None = None
    multiple: bool = False
    hidden_flags: tuple[str, ...] = ()  # old spellings, still accepted, not shown in --help
    spelled: str | None = None  # how messages spell the flag, when not the long one
    path: str = ""  # "read": names a file the run reads; "write": a file it writes

    @property
    def flag(self) -> str:
        """The flag as messages spell it."""
        return self.spelled or self.flags[-1].split("/")[0]

    def choices_of(self, command: str) -> tuple[str, ...]:
        return self.choices_for.get(command, self.choices)

    def default_of(self, command: str) -> Any:
        return self.defaults_for.get(command, self.default)


def _table(*options: Opt) -> dict[str, Opt]:
    return {o.name: o for o in options}


_EVAL_API = ("compute", "check", "compare", "grad")

OPTIONS: dict[str, Opt] = _table(
    Opt(
        "columns",
        ("--col",),
        "Take an input from named columns: a name, a glob ('p_*') or a comma list. Repeatable.",
        commands=(*EVALUATING, *READING),
        python=_EVAL_API,
        toml=("check", "task"),
        metavar="INPUT=COLUMN",
        multiple=True,
    ),
    Opt(
        "params",
        ("-p", "--param"),
        "Set a loss parameter; LOSS.NAME=VALUE sets it for one loss only. Repeatable.",
        commands=(*EVALUATING, "plot curve"),
        python=_EVAL_API,
        toml=("check", "task"),
        metavar="NAME=VALUE",
        multiple=True,
        spelled="-p",
    ),
    Opt(
        "weights",
        ("--weights",),
        "A file with one column of per-row weights (or --col weights=COLUMN).",
        commands=("compute", "check", "compare", "plot groups"),
        python=("compute", "check", "compare"),
        toml=("check", "task"),
        metavar="FILE",
        path="read",
    ),
    Opt(
        "nan",
        ("--nan",),
        "What to do with rows holding NaN, inf or missing values.",
        commands=(*EVALUATING, "plot residuals", "plot calibration"),
        python=_EVAL_API,
        toml=("check",),
        kind="choice",
        choices=("error", "skip"),
        default="error",
    ),
    Opt(
        "format",
        ("--format",),
        "Format of stdin ('-') and of files with no known extension (stdin default: csv).",
        commands=(*EVALUATING, *READING),
        python=("compute", "check", "compare", "grad"),
        kind="choice",
        choices=("csv", "tsv", "parquet", "npy", "npz"),
    ),
    Opt(
        "group_by",
        ("--group-by",),
        "Also give the value for every group of rows sharing a label in COLUMN (any file).",
        commands=("compute", "check", "compare", "plot groups"),
        python=("compute", "check", "compare"),
        toml=("check",),
        metavar="COLUMN",
    ),
    Opt(
        "on",
        ("--on",),
        "Match rows across files by this key column instead of by row order.",
        commands=(*EVALUATING, "plot residuals", "plot calibration"),
        python=_EVAL_API,
        toml=("check",),
        metavar="COLUMN",
    ),
    Opt(
        "how",
        ("--how",),
        "With --on: exact: every file must hold the same keys; inner: drop unmatched rows.",
        commands=(*EVALUATING, "plot residuals", "plot calibration"),
        python=_EVAL_API,
        toml=("check",),
        kind="choice",
        choices=("exact", "inner"),
        default="exact",
    ),
    Opt(
        "plugins",
        ("--plugin",),
        "Load user-defined losses from a Python file (see losscli.plugins). Repeatable.",
        commands=(*EVALUATING, "plot curve", "list", "info"),
        python=(*_EVAL_API, "get", "list_losses"),
        metavar="FILE.py",
        multiple=True,
        path="read",
    ),
    Opt(
        "convention",
        ("--convention",),
        "Reproduce that library's number where libraries disagree (see 'losscli info LOSS').",
        commands=(*EVALUATING, "plot curve"),
        python=_EVAL_API,
        toml=("check",),
        kind="choice",
        choices=("torch", "keras", "sklearn"),
    ),
    Opt(
        "strict",
        ("--strict",),
        "Make every data warning (inputs that look wrong but cannot be proven wrong) an "
        "error, exit 2: for gates.",
        commands=EVALUATING,
        python=_EVAL_API,
        toml=("check",),
        kind="flag",
        default=False,
    ),
    Opt(
        "progress",
        ("--progress/--no-progress",),
        "Show progress bars on stderr for long work (default: only on a terminal).",
        commands=(*EVALUATING, "plot residuals", "plot calibration", "curve"),
        kind="switch",
    ),
    Opt(
        "quiet",
        ("-q", "--quiet"),
        "Do not print warnings on stderr.",
        commands=(*EVALUATING, *READING, "plot curve", "curve"),
        kind="flag",
        default=False,
    ),
    Opt(
        "engine",
        ("--engine",),
        "dask: evaluate each file of the inputs on a Dask cluster and merge the sums exactly "
        "(extra 'dask').",
        commands=("compute", "check"),
        python=("compute", "check"),
        kind="choice",
        choices=("local", "dask"),
        default="local",
    ),
    Opt(
        "scheduler",
        ("--scheduler",),
        "With --engine dask, the scheduler to join (tcp://host:8786, or a scheduler file); "
        "default: $DASK_SCHEDULER_ADDRESS, else a local cluster sized to this machine.",
        commands=("compute", "check"),
        python=("compute", "check"),
        metavar="ADDRESS",
    ),
    Opt(
        "reduction",
        ("--reduction",),
        "mean: weighted mean over rows; sum: weighted sum; none: one value per row.",
        commands=("compute", "check"),
        python=("compute", "check"),
        toml=("check",),
        kind="choice",
        choices=("mean", "sum", "none"),
        choices_for={"check": ("mean", "sum")},
        default="mean",
    ),
    Opt(
        "ci",
        ("--ci",),
        "Confidence level of the bootstrap intervals (e.g. 0.95).",
        commands=("compute", "compare", "plot groups"),
        python=("compute", "compare"),
        kind="float",
        defaults_for={"compare": 0.95, "plot groups": 0.95},
        metavar="LEVEL",
        hidden_flags=("--confidence",),
    ),
    Opt(
        "bootstrap",
        ("--bootstrap",),
        "Number of bootstrap resamples of the rows.",
        commands=("compute", "compare", "plot groups"),
        python=("compute", "compare"),
        kind="int",
        default=2000,
        minimum=10,
    ),
    Opt(
        "seed",
        ("--seed",),
        "Seed of the resampling, so that intervals are reproducible.",
        commands=("compute", "compare", "plot groups"),
        python=("compute", "compare"),
        kind="int",
        default=0,
    ),
    Opt(
        "worst",
        ("--worst",),
        "Also report the K rows with the largest loss: row, id, inputs and value.",
        commands=("compute", "plot dist"),
        python=("compute",),
        kind="int",
        default=0,
        minimum=1,
        metavar="K",
    ),
    Opt(
        "id_column",
        ("--id",),
        "Name rows by this column in per-row output and --worst (default: the --on key).",
        commands=("compute", "plot dist"),
        python=("compute",),
        metavar="COLUMN",
    ),
    Opt(
        "out",
        ("--out",),
        "Write the output to FILE instead of stdout, in the format its extension names; "
        "replaced only on success.",
        commands=("compute", "grad", "curve", *PLOTS),
        python=("compute", "grad"),
        metavar="FILE",
        path="write",
    ),
    Opt(
        "output",
        ("-o", "--output"),
        f"Output format. Default: {OUTPUT_DEFAULT}.",
        commands=(
            "compute",
            "check",
            "compare",
            "grad",
            "recommend",
            "list",
            "info",
            "curve",
            *PLOTS,
        ),
        kind="choice",
        choices=("table", "json", "csv", "ndjson"),
        choices_for={
            "check": ("table", "json"),
            "recommend": ("table", "json"),
            "info": ("table", "json"),
            "curve": ("table", "json", "csv", "markdown"),
            **{plot: ("terminal", "json", "csv") for plot in PLOTS},
        },
    ),
    # The check: limits, a baseline and tolerances.
    Opt(
        "max",
        ("--max",),
        "Fail when LOSS > VALUE.",
        commands=("check",),
        python=("check",),
        toml=("check",),
        metavar="LOSS=VALUE",
        multiple=True,
    ),
    Opt(
        "min",
        ("--min",),
        "Fail when LOSS < VALUE.",
        commands=("check",),
        python=("check",),
        toml=("check",),
        metavar="LOSS=VALUE",
        multiple=True,
    ),
    Opt(
        "max_group",
        ("--max-group",),
        "With --group-by: fail when LOSS > VALUE in any group.",
        commands=("check",),
        python=("check",),
        toml=("check",),
        metavar="LOSS=VALUE",
        multiple=True,
    ),
    Opt(
        "min_group",
        ("--min-group",),
        "With --group-by: fail when LOSS < VALUE in any group.",
        commands=("check",),
        python=("check",),
        toml=("check",),
        metavar="LOSS=VALUE",
        multiple=True,
    ),
    Opt(
        "baseline",
        ("--baseline",),
        "Fail when a loss is worse than in this file (the JSON of 'compute -o json').",
        commands=("check",),
        python=("check",),
        toml=("checks",),
        metavar="FILE.json",
        path="read",
    ),
    Opt(
        "update_baseline",
        ("--update-baseline",),
        "Write this run's values to the --baseline file (atomically) instead of comparing.",
        commands=("check",),
        python=("check",),
        kind="flag",
        default=False,
    ),
    Opt(
        "rtol",
        ("--rtol",),
        "Relative tolerance against the baseline, for all losses or one. Default 1e-9.",
        commands=("check",),
        python=("check",),
        toml=("check", "checks"),
        metavar="[LOSS=]VALUE",
        multiple=True,
    ),
    Opt(
        "atol",
        ("--atol",),
        "Absolute tolerance against the baseline, for all losses or one. Default 0.",
        commands=("check",),
        python=("check",),
        toml=("check", "checks"),
        metavar="[LOSS=]VALUE",
        multiple=True,
    ),
    Opt(
        "higher_is_better",
        ("--higher-is-better",),
        "For the baseline, a higher value of LOSS is an improvement (metrics from plugins).",
        commands=("check",),
        python=("check",),
        toml=("check",),
        metavar="LOSS",
        multiple=True,
    ),
    Opt(
        "junit_xml",
        ("--junit-xml",),
        "Also write a JUnit XML report here.",
        commands=("check", "curve"),
        metavar="FILE",
        path="write",
    ),
    Opt(
        "markdown",
        ("--markdown",),
        "Also write a Markdown report here.",
        commands=("check", "curve"),
        metavar="FILE",
        path="write",
    ),
)

# Checks-file and tasks-file keys that are not options: what a check or task is made of.
TOML_STRUCTURE = {
    "check": ("name", "loss", "inputs"),
    "checks": ("check",),
    "task": ("name", "loss", "inputs", "weight"),
}


def for_command(command: str) -> list[Opt]:
    """The options ``command`` takes, in table order."""
    return [o for o in OPTIONS.values() if command in o.commands]


def for_function(function: str) -> list[Opt]:
    """The keywords of the API function ``function`` that are options."""
    return [o for o in OPTIONS.values() if function in o.python]


def toml_keys(table: str) -> set[str]:
    """The keys a TOML table of this kind accepts: check, checks (the file's top) or task."""
    return {o.name for o in OPTIONS.values() if table in o.toml} | set(TOML_STRUCTURE[table])


def flag_of(name: str) -> str:
    """How the command line spells option ``name`` (``--name`` when it is not in the table)."""
    known = OPTIONS.get(name)
    return known.flag if known is not None else "--" + name.replace("_", "-")


__all__ = ["OPTIONS", "Opt", "flag_of", "for_command", "for_function", "toml_keys"]
