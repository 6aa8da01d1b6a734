"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml), run as
GitHub and pre-commit would run them, on sample data, for a passing and a failing run.

The action's setup-python and install steps are not run here (the suite runs inside an
environment where losscli is installed); its check step runs as the runner would: the
inputs in its environment, bash, the GitHub variables set."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _expand(text: str, context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def run_action(workdir: Path, summary: Path, **given: str) -> subprocess.CompletedProcess:
    inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    inputs.update(given)
    context = {f"inputs.{k}": v for k, v in inputs.items()}
    context["github.action_path"] = str(ROOT)
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "check")
    assert step["shell"] == "bash"
    env = {k: _expand(str(v), context) for k, v in step.get("env", {}).items()}
    env |= {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    cwd = workdir / _expand(step.get("working-directory", "."), context)
    # GitHub runs a bash step as `bash --noprofile --norc -eo pipefail {0}`.
    script = workdir / "step.sh"
    script.write_text(_expand(step["run"], context))
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def ci_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    shutil.copytree(ROOT / "sample_data" / "ci", folder)
    (folder / "passing.toml").write_text(
        '[[check]]\nname = "forecast"\nloss = "mae"\n'
        'inputs = ["candidate.csv", "actuals.parquet"]\non = "order_id"\n'
        'columns = { targets = "y" }\nmax = { mae = 10.0 }\n'
    )
    return folder


def test_action_passes_when_the_checks_pass(ci_folder, tmp_path):
    summary = tmp_path / "summary.md"
    done = run_action(ci_folder, summary, checks="passing.toml")
    assert done.returncode == 0, done.stderr
    assert "passed" in summary.read_text()
    suite = ET.parse(ci_folder / "losscli-junit.xml").getroot()
    assert suite.get("failures") == "0"
    assert "::error" not in done.stdout + done.stderr


def test_action_fails_exactly_when_a_check_fails(ci_folder, tmp_path):
    summary = tmp_path / "summary.md"
    done = run_action(ci_folder, summary, **{"junit-xml": "reports/junit.xml"})
    assert done.returncode == 1, done.stderr
    text = summary.read_text()
    assert "losscli check" in text and "fail" in text
    annotations = done.stdout + done.stderr  # check writes them to stderr, beside its warnings
    assert "::error" in annotations and "region=east" in annotations
    suite = ET.parse(ci_folder / "reports" / "junit.xml").getroot()
    assert int(suite.get("failures")) >= 1


def test_action_runs_a_whole_command(ci_folder, tmp_path):
    command = (
        "losscli compare mae forecast.csv candidate.csv actuals.parquet --on order_id "
        "--col targets=y --bootstrap 200 --fail-if-worse -o csv"
    )
    done = run_action(ci_folder, tmp_path / "summary.md", command=command)
    worse = "B worse" in done.stdout
    assert done.returncode == (1 if worse else 0), done.stderr
    assert done.stdout.startswith("loss,")


def test_pre_commit_hook_runs_check_on_prediction_baseline_and_checks_changes(ci_folder):
    (hook,) = HOOKS
    assert hook["entry"] == "losscli check" and hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    for changed in ("candidate.csv", "baseline.json", "losscli.toml", "preds.parquet", "p.npy"):
        assert pattern.search(changed), changed
    assert not pattern.search("train.py")
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    failing = subprocess.run(hook["entry"].split(), cwd=ci_folder, env=env, capture_output=True)
    assert failing.returncode == 1
    passing = subprocess.run(
        [*hook["entry"].split(), "--config", "passing.toml"], cwd=ci_folder, env=env
    )
    assert passing.returncode == 0


def test_readme_shows_the_action_and_gitlab():
    readme = (ROOT / "README.md").read_text()
    assert "uses: " in readme and "losscli@" in readme
    assert "junit: losscli-junit.xml" in readme  # GitLab's native JUnit report
