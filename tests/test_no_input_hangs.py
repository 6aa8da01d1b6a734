"""No input makes losscli run without end, and a CI runner's SIGTERM ends it at once.

Hostile files (random bytes, every line ending and mixes of them, quotes left open, very
long lines, NUL bytes, gzip inside gzip, damaged Parquet, NPY and NPZ, datasets holding a
FIFO) are run in a child process under a time limit (``hostile_inputs.py``): a hang fails
the test with the case that did not return, instead of hanging the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
HERE = Path(__file__).parent


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hostile_files_end_with_an_answer_in_time(seed):
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "hostile_inputs.py"), str(seed), "250"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        started = [line for line in out.splitlines() if line.startswith("case ")]
        pytest.fail(f"no answer within 120 s; the last case begun: {started[-1:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    bad = [line for line in done.stdout.splitlines() if line.startswith("bad ")]
    assert not bad, "\n".join(bad)
    assert done.stdout.count("\ndone ") + done.stdout.startswith("done ") == 250


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        (b"p\r1\r2\r", 2),  # old Mac line endings, read as pandas reads them
        (b"p\r1\r2", 2),
        (b"p\n1\r\n2\r", 2),  # mixed
    ],
)
def test_carriage_return_lines_read_like_pandas(tmp_path, run, content, rows):
    import io

    import pandas as pd

    path = tmp_path / "cr.csv"
    path.write_bytes(content)
    expected = pd.read_csv(io.BytesIO(content))["p"].tolist()
    assert len(expected) == rows
    result = run("compute", "mse", path, path, "--reduction", "none", "-o", "json")
    assert result.code == 0, result.stderr
    assert result.json()["results"][0]["values"] == [0.0] * rows


@pytest.mark.parametrize("content", [b"p", b"abcdef", b"\0", b'"', b"p,q"])
def test_a_file_without_a_line_break_is_an_error_not_a_hang(tmp_path, content):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-m", "losscli", "compute", "mse", str(path), str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "x.csv" in done.stderr


def test_a_fifo_in_a_dataset_is_refused_at_once(tmp_path, run):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("p,y\n1,2\n")
    os.mkfifo(folder / "b.csv")
    result = run("compute", "mse", folder, "--col", "predictions=p", "--col", "targets=y")
    assert result.code == 2
    assert "b.csv is not a regular file" in result.stderr


def _slow_writer(batches: int, pause: float) -> subprocess.Popen:
    """A producer that writes a header, then ``batches`` of 1000 rows of 1.5 to its stdout,
    ``pause`` seconds apart."""
    code = (
        "import sys, time\n"
        "sys.stdout.write('p\\n'); sys.stdout.flush()\n"
        f"for _ in range({batches}):\n"
        f"    sys.stdout.write('1.5\\n' * 1000); sys.stdout.flush(); time.sleep({pause})\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)


def _losscli(args: list[str], stdin, tmp_path: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "losscli", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
        **kw,
    )


@pytest.mark.parametrize("out", [False, True])
def test_sigterm_ends_a_run_at_once_and_removes_its_temporary_files(tmp_path, out):
    """While stdin is spooled to a temporary file (and an --out file is pending), SIGTERM
    ends losscli within a second, with exit status 143 and no file left behind."""
    (tmp_path / "t.csv").write_text("t\n" + "1.0\n" * 10)
    producer = _slow_writer(1000, 0.05)
    args = ["compute", "mse", "-", "t.csv", "--reduction", "none"]
    if out:
        args += ["--out", "rows.csv"]
    child = _losscli(args, producer.stdout, tmp_path)
    try:
        deadline = time.time() + 20
        while not os.listdir(tmp_path / "tmp") and time.time() < deadline:
            time.sleep(0.05)  # the spool exists: the run is under way
        assert os.listdir(tmp_path / "tmp"), "stdin was never spooled"
        child.send_signal(signal.SIGTERM)
        started = time.time()
        code = child.wait(timeout=10)
        assert time.time() - started < 2
        assert code == -signal.SIGTERM  # ended by the signal: a shell shows 143
        assert os.listdir(tmp_path / "tmp") == []
        assert not (tmp_path / "rows.csv").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "tmp"]
    finally:
        producer.kill()
        child.kill()


def test_an_inherited_ignored_sighup_stays_ignored(tmp_path):
    """`nohup losscli compute mse - t.csv`: a hangup while stdin is spooled changes nothing."""
    (tmp_path / "t.csv").write_text("t\n" + "1.5\n" * 3000)
    producer = _slow_writer(3, 0.5)

    def ignore_hangup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    child = _losscli(
        ["compute", "mse", "-", "t.csv"], producer.stdout, tmp_path, preexec_fn=ignore_hangup
    )
    try:
        time.sleep(0.8)
        child.send_signal(signal.SIGHUP)
        stdout, stderr = child.communicate(timeout=30)
        assert child.returncode == 0, stderr
        assert b'"value": 0.0' in stdout
    finally:
        producer.kill()
        child.kill()
