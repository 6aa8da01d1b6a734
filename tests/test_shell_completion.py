"""Shell completion as bash, zsh and fish ask for it: commands, options, loss names
(plugins included), parameter names after -p and after -p LOSS."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import ROOT

from losscli.cli import cli


def complete(words: str, shell: str = "bash") -> list[str]:
    parts = words.split(" ")
    env = {
        "_LOSSCLI_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        # fish passes the token under the cursor, bash and zsh its position
        "COMP_CWORD": parts[-1] if shell == "fish" else str(len(parts) - 1),
    }
    result = CliRunner().invoke(cli, [], env=env)
    if shell == "bash":  # lines of "type,value"
        return [line.split(",", 1)[1] for line in result.output.splitlines() if "," in line]
    lines = result.output.splitlines()
    if any("\t" in line for line in lines):  # fish in some click versions: "type,value\thelp"
        return [line.split(",", 1)[1].split("\t")[0] for line in lines]
    return lines[1::3]  # zsh (and fish in others): type, value, help; three lines an item


def test_commands_and_options():
    assert {"compute", "compare", "check", "curve", "plot"} <= set(complete("losscli "))
    assert complete("losscli compute mse --wor") == ["--worst"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_loss_names_and_aliases(shell):
    got = complete("losscli compute hu", shell)
    assert "huber" in got and "HuberLoss" in got
    assert "mse,huber" in complete("losscli compute mse,hu", shell)


def test_parameters_after_p():
    got = complete("losscli compute huber,focal -p ")
    assert {"delta=", "gamma=", "alpha=", "focal."} <= set(got)
    assert complete("losscli compute huber,focal -p focal.ga") == ["focal.gamma="]


def test_plugin_losses_complete():
    plugin = ROOT / "sample_data" / "plugins" / "my_losses.py"
    assert "scaled_mae" in complete(f"losscli compute --plugin {plugin} sca")


def test_scripts_for_each_shell():
    for shell, marker in (
        ("bash", "complete -o"),
        ("zsh", "#compdef losscli"),
        ("fish", "complete"),
    ):
        script = CliRunner().invoke(cli, [], env={"_LOSSCLI_COMPLETE": f"{shell}_source"}).output
        assert marker in script and "_LOSSCLI_COMPLETE" in script


def test_progress_only_when_asked_or_on_a_terminal(monkeypatch, run):
    import losscli.progress

    monkeypatch.setattr(losscli.progress, "DELAY", 0.0)
    sample = ROOT / "sample_data" / "regression"
    args = ["compute", "mse", sample / "preds.csv", sample / "targets.csv", "--ci", "0.9"]
    args += ["--bootstrap", "50", "-o", "json"]
    shown = run(*args, "--progress")
    assert shown.code == 0 and "bootstrap resamples" in shown.stderr
    assert "reading preds.csv" in shown.stderr
    assert shown.stdout.startswith('{"results"')  # results stay clean on stdout
    quiet = run(*args)  # stderr is not a terminal here: no bar
    assert quiet.code == 0 and quiet.stderr == ""


def test_quiet_silences_warnings_not_errors(tmp_path, run):
    (tmp_path / "p.csv").write_text("p\n1\nnan\n3\n")
    (tmp_path / "y.csv").write_text("y\n1\n2\n3\n")
    args = ["compute", "mae", tmp_path / "p.csv", tmp_path / "y.csv", "--nan", "skip"]
    assert "skipped 1 of 3 rows" in run(*args).stderr
    quiet = run(*args, "--quiet")
    assert quiet.code == 0 and quiet.stderr == ""
    error = run("compute", "mae", tmp_path / "p.csv", tmp_path / "y.csv", "--quiet")
    assert error.code == 2 and "NaN" in error.stderr
