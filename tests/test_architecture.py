"""The package's structure, as its imports show it: no module or folder imports one that
imports it back, and each layer imports only the layers beneath it. Read from the source
with ``ast`` (imports inside functions and under ``TYPE_CHECKING`` count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "losscli"


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module_of(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


GRAPH = _imports()


def _unit(module: str) -> str:
    """The folder a module belongs to (``losscli.pipeline``), or the module at the top."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_one_that_imports_it_back():
    assert _cycles(GRAPH) == []


def test_no_folder_imports_one_that_imports_it_back():
    folders: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        if module == "losscli":  # the package's face hands names on lazily
            continue
        folders.setdefault(_unit(module), set()).update(
            _unit(t) for t in targets if _unit(t) != _unit(module) and t != "losscli"
        )
    assert _cycles(folders) == []


# Each layer may import only what is listed for it (and the ground: errors, records, spec,
# options, progress, tempfiles, formats, config, output_guard).
GROUND = {
    "losscli.errors",
    "losscli.records",
    "losscli.spec",
    "losscli.options",
    "losscli.progress",
    "losscli.tempfiles",
    "losscli.formats",
    "losscli.config",
    "losscli.output_guard",
}
NEVER = {
    "losscli.readers": {"losscli.pipeline", "losscli.evaluate", "losscli.engines"},
    "losscli.losses": {"losscli.readers", "losscli.pipeline", "losscli.evaluate"},
    "losscli.pipeline": {
        "losscli.evaluate",
        "losscli.engines",
        "losscli.render",
        "losscli.checks",
        "losscli.cli",
        "losscli.api",
        "losscli.plots",
        "losscli.curves",
        "losscli.advice",
    },
    "losscli.evaluate": {"losscli.render", "losscli.cli", "losscli.api"},
    "losscli.render": {"losscli.cli", "losscli.api", "losscli.engines"},
    "losscli.checks": {"losscli.cli", "losscli.api"},
    "losscli.advice": {"losscli.cli", "losscli.api"},
    "losscli.plots": {"losscli.cli", "losscli.api"},
    "losscli.curves": {"losscli.cli", "losscli.api"},
}


@pytest.mark.parametrize("layer", sorted(NEVER))
def test_a_layer_never_imports_the_layers_above_it(layer):
    wrong = {
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if _unit(module) == layer
        for target in targets
        if _unit(target) in NEVER[layer]
    }
    assert not wrong


def test_engines_are_looked_up_by_name_and_import_the_pipeline_never_the_reverse():
    assert GRAPH["losscli.engines"] <= GROUND  # the lookup loads an engine when asked
    assert "losscli.engines" in GRAPH["losscli.evaluate"]
    assert "losscli.pipeline.run" in GRAPH["losscli.engines.dask_engine"]


def test_the_ground_imports_nothing_above_it():
    wrong = {
        f"{module} -> {target}"
        for module in GROUND
        for target in GRAPH[module]
        if target not in GROUND
    }
    assert not wrong


def test_only_the_command_line_imports_the_command_line():
    outside = {
        m for m, targets in GRAPH.items() if not m.startswith("losscli.cli") and m != "losscli.__main__"
        for t in targets if t.startswith("losscli.cli")
    }  # fmt: skip
    assert not outside


def test_tables_for_people_are_built_in_one_place():
    """rich's Table is made by render/tables.py alone, so every command's tables look alike."""
    makers = sorted(
        _module_of(path) for path in PACKAGE.rglob("*.py") if "rich.table" in path.read_text()
    )
    assert makers == ["losscli.render.tables"]
