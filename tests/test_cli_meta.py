"""--version, --help, `list`, `info`, and that the README documents every loss."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from losscli import __version__
from losscli.catalogue import default_registry
from losscli.cli import cli

COMMANDS = sorted(cli.commands)
LOSSES = list(default_registry())


def test_version(run):
    r = run("--version")
    assert r.code == 0 and __version__ in r.stdout


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help_with_an_example(run, command):
    r = run(*command, "--help")
    assert r.code == 0
    assert "Example" in r.stdout
    assert run(*command, "-h").stdout == r.stdout


def test_list_names_every_loss_with_aliases(run):
    r = run("list", "-o", "json")
    listed = {x["name"]: x for x in r.json()["losses"]}
    assert set(listed) == {loss.name for loss in LOSSES}
    assert "l2" in listed["mse"]["aliases"]
    assert listed["huber"]["params"][0] == {
        "name": "delta",
        "type": "float",
        "default": 1.0,
        "range": "a number > 0",
        "doc": "where the loss turns from quadratic to linear",
    }
    table = run("list", "-o", "table").stdout
    for loss in LOSSES:
        assert loss.name in table


def test_list_filters_by_family(run):
    listed = run("list", "--family", "segmentation", "-o", "json").json()["losses"]
    # The three segmentation losses of the catalogue (Dice, IoU, Tversky), and nothing else.
    assert sorted(x["name"] for x in listed) == ["dice", "iou", "tversky"]
    assert {x["family"] for x in listed} == {"segmentation"}


@pytest.mark.parametrize("loss", [loss.name for loss in LOSSES])
def test_info_shows_formula_convention_params_and_advice(run, loss):
    entry = default_registry().get(loss)
    text = run("info", loss, "-o", "table").stdout
    assert entry.formula in text
    assert f"convention:  {entry.convention}" in text
    assert "when to use:" in text
    for p in entry.params:
        assert p.name in text and p.range_text() in text
    data = json.loads(run("info", loss, "-o", "json").stdout)
    assert data["convention"] == entry.convention and data["formula"] == entry.formula


def test_info_accepts_aliases_case_insensitively(run):
    assert (
        run("info", "SmoothL1Loss", "-o", "json").stdout
        == run("info", "smooth_l1", "-o", "json").stdout
    )


def test_readme_loss_table_lists_every_loss_and_convention():
    readme = (ROOT / "README.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9_]+)` \|.*$", readme, re.M)}
    for loss in LOSSES:
        assert loss.name in rows, f"README loss table lacks {loss.name}"
        assert loss.convention in rows[loss.name]


def test_internal_errors_are_one_line_without_traceback(run, monkeypatch):
    import losscli.evaluate

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(losscli.evaluate, "evaluate", boom)
    r = run("compute", "mse", "a.csv", "b.csv")
    assert r.code == 3
    assert r.stderr.count("\n") == 1 and "kaboom" in r.stderr and "Traceback" not in r.stderr
