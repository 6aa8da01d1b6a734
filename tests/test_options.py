"""One vocabulary: the command line, the Python API, the TOML files and the error
messages take their options from the one table in ``losscli.options``."""

from __future__ import annotations

import inspect
import json
import os

import click
import pytest

import losscli
from losscli.cli import cli
from losscli.errors import option, spelling
from losscli.options import OPTIONS, for_command, for_function, toml_keys

# API keywords that are not options of a command: where in-memory data come from, the
# registry object, the chunk size, a gradient check's tolerance.
API_ONLY = {"data", "registry", "chunk_rows", "tolerance", "loss_params"}


def _commands():
    ctx = click.Context(cli)
    found = {}

    def walk(command, path):
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])
        else:
            found[" ".join(path)] = command

    walk(cli, [])
    return found


COMMANDS = _commands()


@pytest.mark.parametrize("function", ["compute", "check", "compare", "grad", "grad_check"])
def test_api_keywords_are_the_options_the_table_gives_the_function(function):
    parameters = inspect.signature(getattr(losscli, function)).parameters
    keywords = {
        name
        for name, p in parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in API_ONLY
    }
    table_name = "grad" if function == "grad_check" else function
    expected = {o.name for o in for_function(table_name)}
    if function == "grad_check":
        expected.discard("out")
    assert keywords == expected


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_takes_its_table_options_as_the_table_spells_them(command):
    params = {p.name: p for p in COMMANDS[command].params if isinstance(p, click.Option)}
    for opt in for_command(command):
        assert opt.name in params, f"{command} lacks {opt.flag}"
        flags = [f for spelled in opt.flags for f in spelled.split("/")]
        assert set(flags) <= {*params[opt.name].opts, *params[opt.name].secondary_opts}
        if opt.kind == "choice":
            assert tuple(params[opt.name].type.choices) == opt.choices_of(command)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_declares_no_option_of_the_table_by_hand(command):
    given = {o.name for o in for_command(command)}
    for param in COMMANDS[command].params:
        if isinstance(param, click.Option) and param.name in OPTIONS:
            assert param.name in given, f"{command} copies {OPTIONS[param.name].flag}"


def test_messages_spell_every_option_as_each_face_takes_it():
    for opt in OPTIONS.values():
        with spelling("cli"):
            assert option(opt.name) == opt.flag
        with spelling("python"):
            assert option(opt.name) == opt.name


def test_checks_files_and_tasks_files_take_the_keys_of_the_table(tmp_path):
    from losscli.checks import checks_file

    (tmp_path / "p.csv").write_text("p\n1\n2\n")
    (tmp_path / "y.csv").write_text("y\n1\n3\n")
    path = tmp_path / "losscli.toml"
    path.write_text('[[check]]\nloss = "mse"\ninputs = ["p.csv", "y.csv"]\nstrictly = 1\n')
    with pytest.raises(losscli.LossCliError) as caught:
        checks_file.load(path, losscli.api.default_registry())
    assert "strictly" in str(caught.value)
    assert {"max", "rtol", "weights", "group_by", "columns"} <= toml_keys("check")
    assert toml_keys("checks") == {"baseline", "rtol", "atol", "check"}


def test_the_confidence_level_is_ci_everywhere_and_the_old_spelling_still_works(run, tmp_path):
    files = [tmp_path / n for n in ("a.csv", "b.csv", "y.csv")]
    for path, values in zip(files, ([1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 3, 3])):
        path.write_text("v\n" + "\n".join(map(str, values)) + "\n")
    new = run("compare", "mae", *files, "--ci", "0.8", "--bootstrap", "200", "-o", "json")
    old = run("compare", "mae", *files, "--confidence", "0.8", "--bootstrap", "200", "-o", "json")
    assert new.code == old.code == 0, new.stderr + old.stderr
    assert new.json() == old.json()
    assert "--confidence" not in run("compare", "--help").stdout
    assert "--ci" in run("compare", "--help").stdout
    wrong = run("compare", "mae", *files, "--ci", "2")
    assert wrong.code == 2 and "--ci 2" in wrong.stderr  # the error names the flag given
    a = losscli.compare("mae", *[str(f) for f in files], ci=0.8, bootstrap=200)
    b = losscli.compare("mae", *[str(f) for f in files], confidence=0.8, bootstrap=200)
    assert a.to_dict() == b.to_dict()
    assert new.json()["results"][0]["ci"] == a.to_dict()["ci"]


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "mse", "{p}", "{y}"],
        ["check", "mse", "{p}", "{y}", "--max", "5"],
        ["compare", "mse", "{p}", "{p2}", "{y}", "--bootstrap", "20"],
        ["grad", "mse", "{p}", "{y}"],
        ["grad", "--check", "huber", "{p}", "{y}"],
        ["recommend", "{p}", "{y}"],
        ["list"],
        ["info", "mse"],
        ["curve", "{log}"],
        ["plot", "residuals", "{p}", "{y}"],
    ],
)
def test_every_command_writes_json_in_a_pipe_unless_asked(run, tmp_path, args):
    values = {
        "p": "p\n0.5\n1.5\n2.0\n",
        "p2": "p\n0.4\n1.5\n2.5\n",
        "y": "y\n1\n1\n2\n",
        "log": "epoch,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(12)),
    }
    paths = {}
    for name, text in values.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text(text)
    result = run(*[a.format(**paths) for a in args])
    assert result.code == 0, result.stderr
    json.loads(result.stdout)


def test_recommend_takes_predictions_first_and_the_columns_of_one_file(run, tmp_path):
    both = tmp_path / "both.csv"
    both.write_text("yhat,y\n" + "".join(f"{i * 0.6 + 0.25},{i * 0.5 + 0.25}\n" for i in range(40)))
    result = run("recommend", both, "--col", "predictions=yhat", "--col", "targets=y")
    assert result.code == 0, result.stderr
    advice = result.json()
    mse = next(e for e in advice["ranking"] if e["loss"] == "mse")
    # sum of (0.1 i)^2 over i < 40, divided by 40: 0.01 * 39 * 40 * 79 / 6 / 40 = 5.135
    assert mse["value"] == pytest.approx(0.01 * 39 * 79 / 6, rel=1e-12)
    pasted = mse["command"].split()[1:]
    assert run(*pasted).value() == pytest.approx(mse["value"], rel=1e-15)


def test_completion_reads_loss_specs_as_the_commands_do():
    from losscli.cli.completion import _loss_names

    assert _loss_names("smooth-l1") == ["smooth-l1"]
    assert _loss_names("0.5*mse + 0.5*smooth-l1") == ["mse", "smooth-l1"]
    assert _loss_names("mse - mae") == ["mse", "mae"]


def test_progress_and_quiet_belong_to_one_run(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("p\n0.2\n0.9\n")
    y = tmp_path / "y.csv"
    y.write_text("y\n0.2\n0.9\n")
    from losscli import progress

    run("compute", "mse", p, y, "--progress", "-q")
    assert progress._MODE.get() is False  # the library default survives a run
    assert os.environ.get("LOSSCLI_PROGRESS") is None
