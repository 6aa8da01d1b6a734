"""No output destroys a file the user has: an output naming an input (by any spelling),
a file inside an input dataset, another output, or a folder is refused in one line before
anything is read; FIFOs and devices are written in place, never replaced; what a killed
run left beside a baseline is removed by the next run that writes it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest

import losscli

P = "p\n1.0\n2.0\n4.0\n"
Y = "y\n1.5\n2.0\n3.0\n"
LOG = "epoch,train_loss,val_loss\n1,1.0,1.2\n2,0.8,1.0\n3,0.7,0.9\n"


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text(P)
    (tmp_path / "y.csv").write_text(Y)
    (tmp_path / "w.csv").write_text("w\n1\n2\n1\n")
    (tmp_path / "both.csv").write_text("p,y\n1.0,1.5\n2.0,2.0\n4.0,3.0\n")
    (tmp_path / "log.csv").write_text(LOG)
    (tmp_path / "log2.csv").write_text(LOG)
    np.save(tmp_path / "p.npy", np.array([1.0, 2.0, 4.0]))
    np.save(tmp_path / "y.npy", np.array([1.5, 2.0, 3.0]))
    (tmp_path / "sub").mkdir()
    return tmp_path


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


PER_ROW = ["compute", "mse", "--reduction", "none"]
# (arguments, the option the refusal names); every one names an input as an output.
CASES = [
    ([*PER_ROW, "p.csv", "y.csv", "--out", "p.csv"], "--out p.csv"),
    ([*PER_ROW, "p.csv", "y.csv", "--out", "y.csv"], "--out y.csv"),
    ([*PER_ROW, "p.csv", "y.csv", "--out", "./p.csv"], "--out ./p.csv"),
    ([*PER_ROW, "p.csv", "y.csv", "--out", "sub/../p.csv"], "--out sub/../p.csv"),
    ([*PER_ROW, "p.csv", "y.csv", "--weights", "w.csv", "--out", "w.csv"], "--out w.csv"),
    (
        [*PER_ROW, "both.csv", "--col", "predictions=p", "--col", "targets=y", "--out", "both.csv"],
        "--out both.csv",
    ),
    ([*PER_ROW, "p.npy", "y.npy", "--out", "p.npy"], "--out p.npy"),
    (["compute", "mse", "p.csv", "y.csv", "--out", "p.csv"], "--out p.csv"),
    (["compute", "mse", "p.csv", "y.csv", "--worst", "2", "--out", "y.csv"], "--out y.csv"),
    (["grad", "mse", "p.csv", "y.csv", "--out", "p.csv"], "--out p.csv"),
    (["plot", "dist", "mse", "p.csv", "y.csv", "--out", "p.csv"], "--out p.csv"),
    (
        [
            "plot",
            "groups",
            "mse",
            "both.csv",
            "--col",
            "predictions=p",
            "--col",
            "targets=y",
            "--group-by",
            "y",
            "--out",
            "both.csv",
        ],
        "--out both.csv",
    ),
    (["plot", "residuals", "p.csv", "y.csv", "--out", "y.csv"], "--out y.csv"),
    (["plot", "calibration", "p.csv", "y.csv", "--out", "p.csv"], "--out p.csv"),
    (["curve", "log.csv", "--markdown", "log.csv"], "--markdown log.csv"),
    (["curve", "log.csv", "log2.csv", "--junit-xml", "log2.csv"], "--junit-xml log2.csv"),
    (["curve", "log.csv", "--out", "log.csv"], "--out log.csv"),
    (
        ["check", "mse", "p.csv", "y.csv", "--max", "mse=9", "--junit-xml", "y.csv"],
        "--junit-xml y.csv",
    ),
    (
        ["check", "mse", "p.csv", "y.csv", "--max", "mse=9", "--markdown", "p.csv"],
        "--markdown p.csv",
    ),
    (
        ["check", "mse", "p.csv", "y.csv", "--baseline", "p.csv", "--update-baseline"],
        "--baseline p.csv",
    ),
    (
        [
            "check",
            "mse",
            "p.csv",
            "y.csv",
            "--max",
            "mse=9",
            "--junit-xml",
            "r.xml",
            "--markdown",
            "r.xml",
        ],
        "the same file as --junit-xml r.xml",
    ),
]


@pytest.mark.parametrize(("args", "named"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_an_output_naming_an_input_is_refused_and_the_input_survives(run, files, args, named):
    before = _snapshot(files)
    result = run(*args)
    assert result.code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and named in result.stderr, result.stderr
    assert result.stdout == ""
    assert _snapshot(files) == before


def test_every_spelling_of_the_same_file_is_the_same_file(run, files):
    os.symlink("p.csv", files / "link.csv")
    os.link(files / "p.csv", files / "hard.csv")
    before = (files / "p.csv").read_bytes()
    for out in (str(files / "p.csv"), "link.csv", "hard.csv", f"../{files.name}/p.csv"):
        result = run(*PER_ROW, "p.csv", "y.csv", "--out", out)
        assert result.code == 2 and "it is the input p.csv" in result.stderr, (out, result.stderr)
    assert (files / "p.csv").read_bytes() == before


def test_an_output_inside_an_input_dataset_is_refused(run, files):
    (files / "ds").mkdir()
    (files / "ds" / "a.csv").write_text(P)
    for args in (
        ["ds", "y.csv", "--out", "ds/rows.csv"],
        ["ds/*.csv", "y.csv", "--out", "ds/b.csv"],
    ):
        result = run(*PER_ROW, *args)
        assert result.code == 2 and "would join" in result.stderr, result.stderr
    assert sorted(os.listdir(files / "ds")) == ["a.csv"]


def test_the_refusal_comes_before_anything_is_read(run, files):
    (files / "bad.csv").write_text("p\nnot a number\n")
    result = run(*PER_ROW, "bad.csv", "y.csv", "--out", "y.csv")
    assert "--out y.csv: it is the input y.csv" in result.stderr  # not the bad cell


def test_a_checks_file_and_a_tasks_file_guard_their_inputs(run, files):
    (files / "losscli.toml").write_text(
        '[[check]]\nloss = "mse"\ninputs = ["p.csv", "y.csv"]\nmax = { mse = 9 }\n'
    )
    (files / "tasks.toml").write_text('[[task]]\nloss = "mse"\ninputs = ["p.csv", "y.csv"]\n')
    before = _snapshot(files)
    result = run("check", "--junit-xml", "p.csv")
    assert result.code == 2 and "--junit-xml p.csv: it is the input" in result.stderr
    result = run("check", "--markdown", "losscli.toml")
    assert result.code == 2 and "--markdown losscli.toml" in result.stderr
    result = run("compute", "--tasks", "tasks.toml", "--out", "y.csv")
    assert result.code == 2 and "--out y.csv" in result.stderr, result.stderr
    assert _snapshot(files) == before


def test_the_api_refuses_an_input_as_out(files):
    before = _snapshot(files)
    with pytest.raises(losscli.LossCliError, match=r"out='p.csv': it is the input p.csv"):
        losscli.compute("mse", "p.csv", "y.csv", reduction="none", out="p.csv")
    with pytest.raises(losscli.LossCliError, match="out= takes a file path"):
        losscli.compute("mse", "p.csv", "y.csv", reduction="none", out=123)
    with pytest.raises(losscli.LossCliError, match=r"out='y.csv'"):
        losscli.grad("mse", "p.csv", "y.csv", out="y.csv")
    assert _snapshot(files) == before


def test_a_fifo_is_written_in_place_and_stays_a_fifo(run, files):
    fifo = files / "rows.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run(*PER_ROW, "p.csv", "y.csv", "--out", "rows.csv")
    reader.join(timeout=30)
    assert result.code == 0, result.stderr
    assert got == [b"mse\n0.25\n0.0\n1.0\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_device_is_written_in_place_never_replaced(run, files):
    result = run(*PER_ROW, "p.csv", "y.csv", "-o", "csv", "--out", os.devnull)
    assert result.code == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    if os.path.exists("/dev/full"):
        result = run("curve", "log.csv", "--markdown", "/dev/full")
        assert result.code == 2 and "No space left" in result.stderr, result.stderr
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_out_dev_stdout_writes_to_stdout_whatever_it_is(files):
    command = [sys.executable, "-m", "losscli", *PER_ROW, "p.csv", "y.csv", "-o", "csv"]
    piped = subprocess.run([*command, "--out", "/dev/stdout"], capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stdout == "mse\n0.25\n0.0\n1.0\n", piped.stderr
    with open(files / "kept.txt", "w") as fh:  # a file stdout: appended to, not replaced
        fh.write("before\n")
        fh.flush()
        done = subprocess.run([*command, "--out", "/dev/stdout"], stdout=fh, stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    assert (files / "kept.txt").read_text() == "before\nmse\n0.25\n0.0\n1.0\n"


def test_a_residuals_chart_is_one_file_with_both_panels(run, files):
    pytest.importorskip("matplotlib")
    from PIL import Image

    result = run("plot", "residuals", "p.csv", "y.csv", "--out", "r.png")
    assert result.code == 0, result.stderr
    assert sorted(p.name for p in files.glob("r*.png")) == ["r.png"]
    with Image.open(files / "r.png") as image:
        width, height = image.size
    assert height > width  # two panels of 8 x 4.5 inches, one above the other


def test_what_a_killed_run_left_beside_a_baseline_is_removed(run, files):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = files / f".losscli-{dead.pid}-abc123"
    stale.write_text("half a baseline")
    alive = files / f".losscli-{os.getpid()}-busy"  # another run's, still being written
    alive.write_text("in progress")
    result = run("check", "mse", "p.csv", "y.csv", "--baseline", "b.json", "--update-baseline")
    assert result.code == 0, result.stderr
    assert not stale.exists() and alive.exists()
    assert [p.name for p in files.glob(".losscli-*")] == [alive.name]
