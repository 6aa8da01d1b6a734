"""The gate's own inputs: baselines, checks files and reports that are malformed, hostile or
unusual end in one clear line and exit 2, and never leave a baseline half-written."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET

import pandas as pd
import pytest


@pytest.fixture
def files(tmp_path):
    pd.DataFrame({"yhat": [1.5, 1.5, 3.5, 3.5], "region": ["n", "n", "s", "s"]}).to_csv(
        tmp_path / "preds.csv", index=False
    )
    pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}).to_csv(tmp_path / "targets.csv", index=False)
    return tmp_path


def _against(run, files, baseline, *extra):
    return run(
        "check",
        "mse",
        files / "preds.csv",
        files / "targets.csv",
        "--col",
        "predictions=yhat",
        "--baseline",
        baseline,
        *extra,
    )


def _baseline(files, *records):
    path = files / "baseline.json"
    path.write_text(json.dumps({"results": list(records)}))
    return path


MSE = {"loss": "mse", "reduction": "mean", "params": {}, "n": 4, "value": 0.25}


@pytest.mark.parametrize(
    "record, message",
    [
        ({**MSE, "value": "0.25"}, 'the value of mse is "0.25", not a number'),
        ({**MSE, "value": [0.25]}, "the value of mse is [0.25], not a number"),
        ({**MSE, "value": {"v": 1}}, "not a number"),
        ({**MSE, "value": None}, "the value of mse is null, not a number"),
        ({**MSE, "value": True}, "the value of mse is true, not a number"),
        ({**MSE, "value": 10**400}, "the value of mse is not a finite number"),
        ({**MSE, "groups": 5}, '"groups" of mse is not a list'),
        ({**MSE, "groups": "east"}, '"groups" of mse is not a list'),
        ({**MSE, "groups": [{"group": {"a": 1}, "value": 1}]}, "is not a group label"),
        (
            {**MSE, "groups": [{"group": "n", "value": 1}, {"group": "n", "value": 2}]},
            "lists group 'n' twice",
        ),
        ({**MSE, "reduction": "sum"}, "mse was recorded with reduction sum, this run uses mean"),
        ({**MSE, "params": 3}, '"params" of mse has the wrong type'),
    ],
)
def test_baseline_values_are_checked(run, files, record, message):
    result = _against(run, files, _baseline(files, record))
    assert result.code == 2, result.stdout
    assert message in result.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"results": [{"loss": "mse", "value": NaN}]}', "not a finite number"),
        ('{"results": [{"loss": "mse", "value": Infinity}]}', "not a finite number"),
        ('{"results": [{"loss": "mse", "value": 1e400}]}', "not a finite number"),
        ('{"results": [{"loss": "mse", "value": ' + "9" * 5000 + "}]}", "not valid JSON"),
        ('{"results": ' + "[" * 100000 + "]" * 100000 + "}", "not valid JSON"),
        ("[]", "expected the JSON of 'losscli compute -o json'"),
    ],
)
def test_baseline_files_that_are_not_baselines(run, files, text, message):
    (files / "b.json").write_text(text)
    result = _against(run, files, files / "b.json")
    assert result.code == 2
    assert message in result.stderr


def test_a_fifo_or_device_is_no_baseline(run, files):
    os.mkfifo(files / "fifo")
    for path in (files / "fifo", "/dev/zero"):
        result = _against(run, files, path)
        assert result.code == 2
        assert "not a regular file" in result.stderr
    assert "--baseline -: give a file path" in _against(run, files, "-").stderr


def test_a_baseline_group_missing_from_the_run_is_named(run, files):
    record = {
        **MSE,
        "group_by": "region",
        "groups": [{"group": "n", "value": 0.25}, {"group": "w", "value": 0.1}],
    }
    result = _against(run, files, _baseline(files, record), "--group-by", "region", "--rtol", "1")
    assert result.code == 0, result.stderr
    assert "mse: the baseline's group w has no rows in this run; not checked" in result.stderr


def test_update_baseline_keeps_mode_and_links_and_writes_last(run, files):
    target = files / "real.json"
    target.write_text("{}")
    os.chmod(target, 0o644)
    (files / "link.json").symlink_to(target)
    result = _against(run, files, files / "link.json", "--update-baseline")
    assert result.code == 0, result.stderr
    assert (files / "link.json").is_symlink()
    assert json.loads(target.read_text())["results"][0]["value"] == 0.25
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert not [p for p in os.listdir(files) if p.startswith(".losscli-baseline-")]
    # A report that cannot be written fails the run before the baseline is touched.
    target.write_text("{}")
    failed = _against(
        run, files, target, "--update-baseline", "--junit-xml", files / "no" / "x.xml"
    )
    assert failed.code == 2
    assert target.read_text() == "{}"
    empty = _against(run, files, target, "--update-baseline", "--junit-xml", "")
    assert empty.code == 2 and "--junit-xml: give a file path" in empty.stderr


def test_control_characters_in_labels_keep_reports_parseable(run, files, tmp_path):
    pd.DataFrame({"yhat": [1.5, 1.5], "region": ["a\x01b", "c\nd"]}).to_csv(
        tmp_path / "p.csv", index=False
    )
    pd.DataFrame({"y": [1.0, 2.0]}).to_csv(tmp_path / "t.csv", index=False)
    result = run(
        "check",
        "mse",
        tmp_path / "p.csv",
        tmp_path / "t.csv",
        "--col",
        "predictions=yhat",
        "--group-by",
        "region",
        "--max-group",
        "0.1",
        "--junit-xml",
        tmp_path / "r.xml",
        "--markdown",
        tmp_path / "r.md",
    )
    assert result.code == 1, result.stderr
    names = [c.get("name") for c in ET.parse(tmp_path / "r.xml").getroot().iter("testcase")]
    assert "mse [region=a\\x01b]" in names
    table = [
        line for line in (tmp_path / "r.md").read_text().splitlines() if line.startswith("| mse")
    ]
    assert len(table) == 3 and any("c\\nd" in line for line in table)  # all, and two groups


@pytest.mark.parametrize(
    "text, message",
    [
        ("check = [1, 2]", "check 1: expected a table"),
        (
            '[[check]]\nloss = "mse"\ninputs = ["p.csv", "t.csv"]\nmax = 1\nhigher_is_better = 5',
            "higher_is_better: give loss names, not 5",
        ),
        (
            '[[check]]\nloss = "mse"\ninputs = ["p.csv", "t.csv"]\nrtol = -0.1',
            "rtol: tolerances must be >= 0",
        ),
    ],
)
def test_checks_files_of_the_wrong_shape(run, tmp_path, text, message):
    (tmp_path / "losscli.toml").write_text(text + "\n")
    result = run("check", "--config", tmp_path / "losscli.toml")
    assert result.code == 2
    assert message in result.stderr


def test_a_pyproject_whose_tool_is_not_a_table(run, tmp_path):
    (tmp_path / "pyproject.toml").write_text("tool = 1\n[tool2]\n# [tool.losscli\n")
    result = run("check", "--config", tmp_path / "pyproject.toml")
    assert result.code == 2
    assert "has no [tool.losscli] table" in result.stderr
