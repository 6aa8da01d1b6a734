"""The parts of the README generated from the code: the loss table, the fields that ``list``
and ``info`` give, and the Python API reference. ``python -m losscli.docs --write`` rewrites
them between their markers; a test fails when the committed text differs.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from losscli.catalogue import default_registry
from losscli.registry import PROPERTIES
from losscli.spec import param_text

BEGIN = "<!-- generated: {name} (python -m losscli.docs --write) -->\n"
END = "<!-- end generated: {name} -->\n"

# What each field of `losscli list -o json`, `losscli info -o json` and Loss.describe() holds.
FIELDS = {
    "name": "canonical name, used in results",
    "aliases": "other names it answers to (other libraries' names), case-insensitive",
    "family": "regression, classification, probabilistic, distribution, segmentation, "
    "boxes, metric_learning or sequence",
    "summary": "one line on what it is",
    "formula": "the per-row formula (and the mean, where it is not the plain mean)",
    "inputs": "each input's `name`, `shape` (a pattern such as `(N, C)`), `kind` (`real` or "
    "`label`), `optional` and `doc`",
    "params": "each parameter's `name`, `type` (`float`, `int`, `bool`, `floats`), `default`, "
    "`range` and `doc`",
    "reductions": "the `--reduction` values it supports",
    "properties": "what holds for every valid input: "
    + "; ".join(f"`{k}`: {v}" for k, v in PROPERTIES.items()),
    "convention": "the library whose numbers it reproduces by default",
    "convention_detail": "the exact call it matches, and how other libraries differ",
    "other_conventions": "what `--convention torch|keras|sklearn` changes for it",
    "when_to_use": "when to choose it",
    "pitfalls": "common mistakes with it",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def loss_table() -> str:
    rows = [
        "| loss | family | inputs | params (default) | convention | per-row formula |",
        "|---|---|---|---|---|---|",
    ]
    for loss in default_registry():
        inputs = ", ".join(i.name + ("?" if i.optional else "") for i in loss.inputs)
        params = ", ".join(f"`{p.name}={param_text(p.default)}`" for p in loss.params) or "—"
        formula = loss.formula + (" (reduced only)" if loss.finalize is not None else "")
        rows.append(
            f"| `{loss.name}` | {loss.family} | {inputs} | {params} | {loss.convention} "
            f"| `{_cell(formula)}` |"
        )
    return "\n".join(rows) + "\n"


def list_fields() -> str:
    described = default_registry().get("mse").describe()
    missing = set(described) - set(FIELDS)
    if missing:
        raise KeyError(f"describe() fields without documentation: {sorted(missing)}")
    rows = ["| field | what it holds |", "|---|---|"]
    rows += [f"| `{key}` | {FIELDS[key]} |" for key in described]
    return "\n".join(rows) + "\n"


def _first_paragraphs(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    kept = []
    for paragraph in doc.split("\n\n"):
        if paragraph.lstrip().startswith(">>>"):
            break
        kept.append(" ".join(line.strip() for line in paragraph.splitlines()))
    return "\n\n".join(kept)


def _signature(name: str, obj: Any) -> str:
    """The signature one parameter a line, annotations as written in the source."""
    signature = inspect.signature(obj)
    parts = []
    starred = False
    for param in signature.parameters.values():
        if param.kind == param.KEYWORD_ONLY and not starred:
            parts.append("*")
        starred = starred or param.kind in (param.KEYWORD_ONLY, param.VAR_POSITIONAL)
        stars: dict[Any, str] = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}
        text = stars.get(param.kind, "")
        text += param.name
        if param.annotation is not param.empty:
            text += f": {param.annotation}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        parts.append(text)
    returns = signature.return_annotation
    ret = "" if returns is signature.empty else f" -> {returns}"
    if sum(len(p) for p in parts) < 70:
        return f"{name}({', '.join(parts)}){ret}"
    return f"{name}(\n" + "".join(f"    {p},\n" for p in parts) + f"){ret}"


def api_reference() -> str:
    import losscli
    from losscli.checks.gates import CheckRun
    from losscli.comparison import Comparison
    from losscli.pipeline.results import Evaluation, Result

    functions = ["compute", "check", "compare", "grad", "grad_check", "get", "list_losses", "loss"]
    lines = []
    for name in functions:
        obj = getattr(losscli, name)
        lines += [f"#### `losscli.{name}`", "", "```python", _signature(name, obj), "```", ""]
        lines += [_first_paragraphs(obj), ""]
    for cls in (Result, Evaluation, CheckRun, Comparison):
        public = [
            m
            for m, _ in inspect.getmembers(cls)
            if not m.startswith("_") and m not in ("count", "index")
        ]
        fields = list(getattr(cls, "__record_fields__", ()))
        members = [*fields, *[m for m in public if m not in fields]]
        lines += [f"#### `{cls.__name__}`", "", _first_paragraphs(cls), ""]
        lines += ["Members: " + ", ".join(f"`{m}`" for m in members) + ".", ""]
    errors = (
        "Errors: `losscli.LossCliError` (exit status 2 on the command line) with "
        "`UsageError` (a loss, parameter, option or configuration that does not fit; "
        "`ConfigError` for checks and tasks files) and `InputError` (a file, column, row or "
        "value). Warnings are `losscli.LossWarning`."
    )
    return "\n".join(lines) + "\n" + errors + "\n"


SECTIONS: dict[str, Callable[[], str]] = {
    "loss-table": loss_table,
    "list-fields": list_fields,
    "api-reference": api_reference,
}


def section_text(text: str, name: str) -> str:
    begin, end = BEGIN.format(name=name), END.format(name=name)
    if begin not in text or end not in text:
        raise KeyError(f"README has no generated section '{name}'")
    return text.split(begin, 1)[1].split(end, 1)[0]


def pycon_blocks(text: str) -> list[str]:
    """The Python examples (```pycon blocks), for the doctest of the README."""
    return re.findall(r"^```pycon\n(.*?)^```\n", text, re.S | re.M)


def write(path: Path) -> bool:
    text = path.read_text()
    new = text
    for name, make in SECTIONS.items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        new = new.replace(begin + section_text(new, name) + end, begin + make() + end)
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":
    readme = Path(sys.argv[-1]) if sys.argv[-1].endswith(".md") else Path("README.md")
    if "--write" in sys.argv:
        print("updated" if write(readme) else "up to date", readme, file=sys.stderr)
    else:
        for section in SECTIONS.values():
            print(section())
