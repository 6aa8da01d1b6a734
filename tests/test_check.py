"""losscli check: every exit status, baselines, the checks file and the CI reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import losscli

MSE_GOOD = 0.25  # sum of squares 1.0 over 4 rows, by hand


@pytest.fixture
def files(tmp_path):
    """Targets, a model whose errors are (0.5, -0.5, 0.5, -0.5) and a worse one (x2)."""
    targets = np.array([1.0, 2.0, 3.0, 4.0])
    errors = np.array([0.5, -0.5, 0.5, -0.5])
    pd.DataFrame({"y": targets, "region": ["n", "n", "s", "s"]}).to_csv(
        tmp_path / "targets.csv", index=False
    )
    pd.DataFrame({"yhat": targets + errors}).to_csv(tmp_path / "good.csv", index=False)
    worse = targets + errors * np.array([1.0, 1.0, 2.0, 2.0])
    pd.DataFrame({"yhat": worse}).to_csv(tmp_path / "worse.csv", index=False)
    return tmp_path


def _check(run, files, model, *extra):
    return run(
        "check", "mse,mae", files / model, files / "targets.csv", "--col", "targets=y", "-o",
        "table", *extra,
    )  # fmt: skip


def test_limits_pass_exit_0_and_fail_exit_1(run, files):
    passed = _check(run, files, "good.csv", "--max", "mse=0.25", "--max", "mae=0.5")
    assert passed.code == 0, passed.stderr
    assert "all 2 checks passed" in passed.stdout
    failed = _check(run, files, "good.csv", "--max", "mse=0.2", "--max", "mae=0.5", "-o", "json")
    assert failed.code == 1
    report = failed.json()
    assert report["passed"] is False
    assert report["summary"] == {"checks": 2, "passed": 1, "failed": 1}
    mse = report["checks"][0]
    assert (mse["loss"], mse["value"], mse["verdict"]) == ("mse", MSE_GOOD, "fail")
    assert mse["reasons"] == ["mse = 0.25 is above its max 0.2"]


def test_min_for_higher_is_better_values(run, files):
    similar = run(
        "check",
        "cosine_similarity",
        files / "good.csv",
        files / "good.csv",
        "--min",
        "-0.5",
        "-o",
        "json",
    )
    # Keras's cosine similarity loss is -cos: identical vectors give -1, below the min.
    assert similar.code == 1
    assert similar.json()["checks"][0]["value"] == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max", "mse=0.3", "--max", "huber=1"], "huber is not among the losses checked"),
        (["--max", "0.3"], "name the loss it limits"),
        (["--max", "mse=abc"], "'abc' is not a number"),
        (["--max-group", "mse=0.3"], "need --group-by"),
        ([], "nothing to check against"),
        (["--baseline", "missing.json"], "no such file; record one with --update-baseline"),
        (["--update-baseline", "--max", "mse=1"], "--update-baseline needs --baseline"),
        (["--max", "mse=1", "--rtol", "x"], "--rtol: 'x' is not a number"),
    ],
)
def test_usage_and_data_errors_exit_2(run, files, args, message):
    result = _check(run, files, "good.csv", *args)
    assert result.code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_unreadable_inputs_exit_2(run, files):
    result = run("check", "mse", files / "nope.csv", files / "targets.csv", "--max", "1")
    assert result.code == 2 and "no such file" in result.stderr


def test_baseline_round_trip_write_pass_regress_fail(run, files):
    baseline = files / "baseline.json"
    written = _check(run, files, "good.csv", "--baseline", baseline, "--update-baseline")
    assert written.code == 0, written.stderr
    assert "wrote the baseline" in written.stderr
    stored = json.loads(baseline.read_text())
    assert [r["loss"] for r in stored["results"]] == ["mse", "mae"]
    assert stored["results"][0]["value"] == MSE_GOOD
    assert [p.name for p in files.iterdir() if p.name.startswith(".losscli")] == []

    same = _check(run, files, "good.csv", "--baseline", baseline)
    assert same.code == 0, same.stdout

    regressed = _check(run, files, "worse.csv", "--baseline", baseline, "-o", "json")
    assert regressed.code == 1
    mse = regressed.json()["checks"][0]
    worse_mse = (0.25 + 0.25 + 1.0 + 1.0) / 4
    assert mse["value"] == worse_mse
    assert mse["baseline"] == MSE_GOOD
    assert mse["change"] == pytest.approx(worse_mse - MSE_GOOD)
    assert mse["change_pct"] == pytest.approx(150.0)
    assert mse["limits"][0]["kind"] == "baseline"

    tolerated = _check(
        run, files, "worse.csv", "--baseline", baseline, "--rtol", "mse=1.6", "--atol", "mae=0.25"
    )
    assert tolerated.code == 0, tolerated.stdout
    too_tight = _check(
        run, files, "worse.csv", "--baseline", baseline, "--rtol", "mse=1.6", "--atol", "mae=0.2"
    )
    assert too_tight.code == 1

    improved = _check(run, files, "good.csv", "--baseline", baseline)
    assert improved.code == 0


def test_baseline_from_compute_json_and_from_check_json(run, files):
    compute = run(
        "compute",
        "mse,mae",
        files / "good.csv",
        files / "targets.csv",
        "--col",
        "targets=y",
        "-o",
        "json",
    )
    (files / "from_compute.json").write_text(compute.stdout)
    assert _check(run, files, "good.csv", "--baseline", files / "from_compute.json").code == 0
    report = _check(run, files, "good.csv", "--max", "mse=1", "--max", "mae=1", "-o", "json")
    (files / "from_check.json").write_text(report.stdout)
    assert _check(run, files, "worse.csv", "--baseline", files / "from_check.json").code == 1


def test_baseline_data_errors_exit_2(run, files):
    bad = files / "bad.json"
    bad.write_text("{not json")
    assert "not valid JSON" in _check(run, files, "good.csv", "--baseline", bad).stderr
    bad.write_text('{"results": [{"loss": "mse", "value": 0.1, "params": {}}]}')
    lacking = _check(run, files, "good.csv", "--baseline", bad)
    assert lacking.code == 2 and "no value for mae" in lacking.stderr
    bad.write_text('{"results": [{"loss": "huber", "value": 0.1, "params": {"delta": 2.0}}]}')
    other = run(
        "check",
        "huber",
        files / "good.csv",
        files / "targets.csv",
        "--col",
        "targets=y",
        "--baseline",
        bad,
    )
    assert other.code == 2 and "recorded with other parameters (delta=2.0 then" in other.stderr


def test_group_limits_name_the_failing_groups(run, files):
    result = _check(
        run, files, "worse.csv", "--group-by", "region", "--max-group", "mse=0.5", "-o", "json"
    )
    assert result.code == 1
    verdicts = {(c["loss"], c.get("group")): c["verdict"] for c in result.json()["checks"]}
    assert verdicts[("mse", "n")] == "pass"
    assert verdicts[("mse", "s")] == "fail"
    assert verdicts[("mse", None)] == "no limit"
    reasons = [r for c in result.json()["checks"] for r in c.get("reasons", [])]
    assert reasons == ["mse [region=s] = 1 is above its max 0.5"]
    table = _check(run, files, "worse.csv", "--group-by", "region", "--max-group", "mse=0.5")
    assert "1 of 2 checks failed" in table.stdout


def test_reports_junit_markdown_summary_and_annotations(run, files, monkeypatch):
    summary = files / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    junit, markdown = files / "report.xml", files / "report.md"
    result = _check(
        run,
        files,
        "worse.csv",
        "--max",
        "mse=0.5",
        "--max",
        "mae=1",
        "--junit-xml",
        junit,
        "--markdown",
        markdown,
    )
    assert result.code == 1

    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"mse", "mae"}
    failure = cases["mse"].find("failure")
    assert failure is not None and "mse = 0.625 is above its max 0.5" in failure.get("message")
    assert cases["mae"].find("failure") is None

    text = markdown.read_text()
    assert text.startswith("### losscli check: ❌ 1 of 2 checks failed")
    assert "| mse | 0.625 | ≤ 0.5 | ❌ fail |" in text
    assert "| mae | 0.75 | ≤ 1 | ✅ pass |" in text
    assert summary.read_text() == "earlier step\n" + text + "\n"

    annotations = [line for line in result.stderr.splitlines() if line.startswith("::")]
    assert annotations == ["::error title=losscli check::mse = 0.625 is above its max 0.5"]


def test_json_stays_json_on_a_github_runner(run, files, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(files / "summary.md"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = _check(run, files, "worse.csv", "--max", "mse=0.5", "-o", "json")
    assert result.code == 1
    assert json.loads(result.stdout)["passed"] is False
    assert result.stderr.startswith("::error title=losscli check::mse = 0.625")
    assert (
        "❌ 1 of 1" not in result.stdout
        and "### losscli check" in (files / "summary.md").read_text()
    )


def test_no_annotations_outside_github_actions(run, files, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = _check(run, files, "worse.csv", "--max", "mse=0.5")
    assert result.code == 1
    assert "::error" not in result.stderr + result.stdout


CHECKS = """
baseline = "baseline.json"
rtol = 0.5

[[check]]
name = "validation"
loss = "mse"
inputs = ["{model}", "targets.csv"]
columns = {{ targets = "y" }}
max = 0.7
group_by = "region"
max_group = {{ mse = 1.2 }}

[[check]]
name = "robust"
loss = "huber"
inputs = ["{model}", "targets.csv"]
columns = {{ targets = "y" }}
params = {{ delta = 0.5 }}
"""


def test_checks_file_runs_with_no_arguments(run, files, monkeypatch):
    (files / "losscli.toml").write_text(CHECKS.format(model="good.csv"))
    elsewhere = files / "sub"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # found in the parent directory; paths relative to the file
    missing = run("check")
    assert missing.code == 2 and "record one with --update-baseline" in missing.stderr
    written = run("check", "--update-baseline")
    assert written.code == 0, written.stderr + written.stdout
    stored = json.loads((files / "baseline.json").read_text())["results"]
    assert [(r["check"], r["loss"]) for r in stored] == [("validation", "mse"), ("robust", "huber")]
    assert stored[1]["params"]["delta"] == 0.5
    assert run("check").code == 0

    (files / "losscli.toml").write_text(CHECKS.format(model="worse.csv"))
    result = run("check", "-o", "json")
    assert result.code == 1
    failed = {
        (c["check"], c["loss"], c.get("group"))
        for c in result.json()["checks"]
        if c["verdict"] == "fail"
    }
    # mse 0.25 -> 0.625 breaks the baseline (+50% allowed) but not max 0.7; huber too.
    assert ("validation", "mse", None) in failed
    assert ("robust", "huber", None) in failed
    assert ("validation", "mse", "n") not in failed
    # A looser tolerance on the command line applies where the file sets none per check.
    assert run("check", "--rtol", "4").code == 0


def test_pyproject_tool_section_and_file_errors(run, files, monkeypatch):
    monkeypatch.chdir(files)
    assert run("check").code == 2  # nothing to check
    text = CHECKS.format(model="good.csv").replace('baseline = "baseline.json"\n', "")
    text = text.replace("[[check]]", "[[tool.losscli.check]]").replace(
        "rtol = 0.5", "[tool.losscli]\nrtol = 0.5"
    )
    (files / "pyproject.toml").write_text("[project]\nname = 'x'\n" + text)
    result = run("check")
    assert result.code == 2 and "check robust has no max, min or group limit" in result.stderr
    (files / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n" + text.replace("params = { delta = 0.5 }", "max = 1")
    )
    assert run("check").code == 0
    assert run("check", "--max", "mse=1").code == 2  # limits belong in the file then
    (files / "losscli.toml").write_text("[[check]]\nloss = 'mse'\ninputs = 3\n")
    broken = run("check")
    assert broken.code == 2 and "'inputs' must be a list of file paths" in broken.stderr
    (files / "losscli.toml").write_text("[[check]]\nloss = 'mse'\nmaximum = 3\n")
    assert "unknown key maximum" in run("check").stderr


def test_sample_ci_checks_file_as_the_readme_shows(run, monkeypatch):
    """sample_data/ci: better overall, worse in the east: the gate fails on that region."""
    from conftest import ROOT

    monkeypatch.chdir(ROOT / "sample_data" / "ci")
    result = run("check", "-o", "json")
    assert result.code == 1, result.stderr
    failed = [
        (c["loss"], c.get("group")) for c in result.json()["checks"] if c["verdict"] == "fail"
    ]
    assert failed == [("mae", "east"), ("rmse", "east")]
    readme = (ROOT / "README.md").read_text()
    assert "## Use it in CI" in readme
    job = readme.split("## Use it in CI", 1)[1]
    assert "runs-on:" in job and "losscli check --junit-xml" in job and "[[check]]" in job


def test_compare_two_columns_of_one_file_equals_two_files(tmp_path, run):
    rng = np.random.default_rng(5)
    y = rng.normal(size=300)
    a, b = y + rng.normal(size=300), y + 0.5 * rng.normal(size=300)
    lines = ["y,old,new"] + [f"{u},{v},{w}" for u, v, w in zip(y.tolist(), a.tolist(), b.tolist())]
    (tmp_path / "both.csv").write_text("\n".join(lines) + "\n")
    for name, values in (("old", a), ("new", b), ("y", y)):
        (tmp_path / f"{name}.csv").write_text("v\n" + "\n".join(map(repr, values.tolist())) + "\n")
    one = run(
        "compare", "mse", tmp_path / "both.csv", "--col", "a=old", "--col", "b=new",
        "--col", "targets=y", "--bootstrap", "300", "-o", "json",
    ).json()  # fmt: skip
    two = run(
        "compare", "mse", tmp_path / "old.csv", tmp_path / "new.csv", tmp_path / "y.csv",
        "--bootstrap", "300", "-o", "json",
    ).json()  # fmt: skip
    first, second = one["results"][0], two["results"][0]
    same = ("n", "a", "b", "difference", "ci", "b_better_share", "verdict")
    assert {k: first[k] for k in same} == {k: second[k] for k in same}
    assert first["a_file"].endswith("both.csv column old")
    assert first["a"] == pytest.approx(np.mean((a - y) ** 2), rel=1e-12)
    missing = run("compare", "mse", tmp_path / "both.csv", "--col", "a=old", "--col", "targets=y")
    assert missing.code == 2 and "--col b=COL" in missing.stderr


def test_strict_makes_every_data_warning_an_error_for_a_gate(run, tmp_path):
    rng = np.random.default_rng(8)
    np.save(tmp_path / "p.npy", rng.uniform(0.02, 0.98, 40))  # probabilities, not logits
    np.save(tmp_path / "y.npy", rng.integers(0, 2, 40).astype(float))
    files = (tmp_path / "p.npy", tmp_path / "y.npy")
    lenient = run("check", "bce_with_logits", *files, "--max", "bce_with_logits=5")
    assert lenient.code == 0 and "look like probabilities" in lenient.stderr
    strict = run("check", "bce_with_logits", *files, "--max", "bce_with_logits=5", "--strict")
    assert strict.code == 2 and strict.stdout == ""
    assert "look like probabilities" in strict.stderr and "[--strict]" in strict.stderr
    (tmp_path / "losscli.toml").write_text(
        '[[check]]\nloss = "bce_with_logits"\ninputs = ["p.npy", "y.npy"]\n'
        "max = { bce_with_logits = 5 }\nstrict = true\n"
    )
    assert run("check", "--config", tmp_path / "losscli.toml").code == 2
    with pytest.raises(losscli.LossCliError, match=r"look like probabilities.*\[strict=True\]"):
        losscli.compute("bce_with_logits", *map(str, files), strict=True)
