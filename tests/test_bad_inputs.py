"""Damaged and malformed inputs end in one line on stderr naming the file (and row or member)
with exit status 2: never a traceback, an internal error or a wrong number."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


def _npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _make(tmp_path, name):
    """Write the file ``name`` (one of the cases below) and return its path."""
    path = tmp_path / name
    good = _npy_bytes(np.array([1.0, 2.0, 3.0]))
    if name in ("empty.npy", "empty.npz"):
        path.write_bytes(b"")
    elif name in ("text.npy", "text.npz"):
        path.write_text("p,y\n1,2\n")
    elif name == "truncated.npy":
        path.write_bytes(good[:-5])
    elif name == "bad_header.npy":
        path.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': <f8', 'fo")
    elif name == "objects.npy":
        path.write_bytes(_npy_bytes(np.array([{"a": 1}, None], dtype=object)))
    elif name == "member.npz":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("predictions.npy", good)
            archive.writestr("targets.npy", b"not npy data")
    elif name == "truncated.npz":
        buf = io.BytesIO()
        np.savez(buf, predictions=np.ones(3), targets=np.ones(3))
        path.write_bytes(buf.getvalue()[:150])
    elif name == "damaged.csv.gz":
        path.write_bytes(gzip.compress(b"p\n1\n2\n3\n")[:-8] + b"garbage!")
    elif name == "duplicate.parquet":
        table = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([1.0, 2.0])], ["a", "a"])
        pq.write_table(table, path)
    elif name == "footer.parquet":
        buf = io.BytesIO()
        pq.write_table(pa.table({"a": [1.0, 2.0]}), buf)
        raw = buf.getvalue()
        path.write_bytes(raw[:-12] + b"\x00" * 8 + b"PAR1")
    elif name == "no_values.npy":
        np.save(path, np.zeros((3, 0)))
    return path


CASES = [
    ("empty.npy", "empty.npy: the file is empty; expected a .npy file"),
    ("empty.npz", "empty.npz: the file is empty; expected an .npz archive"),
    (
        "text.npy",
        "text.npy: not a .npy file (it does not start with the right magic bytes; it holds text",
    ),
    ("text.npz", "text.npz: not an .npz archive"),
    ("truncated.npy", "truncated.npy: a damaged .npy file"),
    ("bad_header.npy", "bad_header.npy: the .npy header is damaged"),
    (
        "objects.npy",
        "objects.npy holds Python objects (dtype object), which losscli never unpickles",
    ),
    ("member.npz", "member.npz array 'targets' is not .npy data"),
    ("truncated.npz", "truncated.npz: a damaged .npz archive"),
    ("damaged.csv.gz", "damaged.csv.gz: cannot read"),
    ("duplicate.parquet", "duplicate.parquet: the file names column 'a' 2 times"),
    ("footer.parquet", "footer.parquet: not a readable Parquet file"),
    ("no_values.npy", "predictions (no_values.npy) has shape (3, 0): its rows hold no values"),
]


@pytest.mark.parametrize("name, message", CASES, ids=[c[0] for c in CASES])
def test_damaged_files_are_one_line_naming_the_file(run, tmp_path, name, message):
    path = _make(tmp_path, name)
    other = tmp_path / "y.npy"
    np.save(other, np.ones(3))
    inputs = [path] if name.endswith(".npz") else [path, other]
    result = run("compute", "mse", *inputs)
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("losscli: error: ")
    assert message in lines[0].replace(str(tmp_path) + "/", "")


def test_a_blank_line_is_a_missing_row_not_a_shift(run, tmp_path):
    """Skipping the blank line would pair 3 with 2 and 4 with 3 (n 3, values [0, 1, 1])."""
    (tmp_path / "p.csv").write_text("p\n1\n\n3\n")
    np.save(tmp_path / "y.npy", np.array([1.0, 2.0, 3.0]))
    result = run(
        "compute",
        "mse",
        tmp_path / "p.csv",
        tmp_path / "y.npy",
        "--reduction",
        "none",
        "--nan",
        "skip",
        "-o",
        "json",
    )
    assert result.code == 0
    assert result.json()["results"][0]["values"] == [0.0, None, 0.0]
    strict = run("compute", "mse", tmp_path / "p.csv", tmp_path / "y.npy")
    assert strict.code == 2 and "the first at row 2 of predictions" in strict.stderr


def test_blank_lines_at_the_end_of_a_file_are_not_rows(run, tmp_path):
    (tmp_path / "p.csv").write_text("p\r\n1\r\n2\r\n3\r\n\r\n\r\n")
    np.save(tmp_path / "y.npy", np.array([1.0, 2.0, 4.0]))
    result = run("compute", "mse", tmp_path / "p.csv", tmp_path / "y.npy", "-o", "json")
    assert result.code == 0, result.stderr
    assert result.json()["results"][0]["n"] == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "delta=١"], "must be a number > 0; got '١'"),
        (["-p", "delta=1_0"], "must be a number > 0; got '1_0'"),
        (["-p", "delta=1", "-p", "delta=2"], "parameter delta of huber is given twice"),
        (["-p", "delta=1", "-p", "huber.delta=2"], "parameter delta of huber is given twice"),
        (["--ci", "0.9", "--seed", "-1"], "--seed -1: give an integer of at least 0"),
        (
            ["--ci", "0.9", "--bootstrap", "1000000000"],
            "--bootstrap 1000000000: give an integer of at most 1,000,000",
        ),
    ],
)
def test_options_that_cannot_be_used(run, tmp_path, args, message):
    np.save(tmp_path / "y.npy", np.ones(3))
    result = run("compute", "huber", tmp_path / "y.npy", tmp_path / "y.npy", *args)
    assert result.code == 2
    assert message in result.stderr


# Data that prove an input is not what the loss declares: an error naming file and row,
# never a number (each gave a number before: bce -1.6, cross_entropy -5.8, ...).
P3 = [0.2, 0.7, 0.9]


@pytest.mark.parametrize(
    "loss, arrays, message",
    [
        (
            "bce",
            {"predictions": P3, "targets": [0.0, 1.0, 2.0]},
            "row 3 holds 2, outside [0, 1]: bce expects 0/1 labels",
        ),
        (
            "bce_with_logits",
            {"predictions": P3, "targets": [0.0, -1.0, 1.0]},
            "row 2 holds -1, outside [0, 1]",
        ),
        (
            "cross_entropy",
            {"predictions": [[2.0, 0.5], [0.1, 0.2]], "targets": [[1.5, -0.5], [0.5, 0.5]]},
            "row 1 holds [1.5, -0.5]: per-class targets of cross_entropy must be probabilities",
        ),
        (
            "categorical_crossentropy",
            {"predictions": [[0.6, 0.4], [0.3, 0.7]], "targets": [[1.0, 0.0], [1.0, 1.0]]},
            "row 2 holds [1, 1]: per-class targets of categorical_crossentropy must be probabilities",
        ),
        (
            "brier",
            {"predictions": P3, "targets": [1.0, 2.0, 2.0]},
            "row 2 holds 2; brier expects 0/1 (or -1/1) labels",
        ),
        (
            "hinge",
            {"predictions": P3, "targets": [0.0, 2.0, 0.0]},
            "row 2 holds 2; hinge expects -1/1 or 0/1 labels",
        ),
        (
            "dice",
            {"predictions": [[0.2, 0.9], [0.5, 0.5]], "targets": [[0.0, 1.0], [2.0, 0.0]]},
            "row 2 holds [2, 0]: a mask of dice holds values in [0, 1]",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else "",
)
def test_inputs_the_data_prove_wrong_are_errors(run, tmp_path, loss, arrays, message):
    np.savez(tmp_path / "data.npz", **{k: np.array(v) for k, v in arrays.items()})
    result = run("compute", loss, tmp_path / "data.npz")
    assert result.code == 2, result.stdout
    assert message in result.stderr


def test_brier_reads_minus_one_as_the_negative_class_as_scikit_learn_does(run, tmp_path):
    # sklearn.metrics.brier_score_loss([-1, 1, 1], [0.2, 0.7, 0.9]) (pos_label 1):
    # ((0.2 - 0)^2 + (0.7 - 1)^2 + (0.9 - 1)^2) / 3 = (0.04 + 0.09 + 0.01) / 3
    np.savez(tmp_path / "d.npz", predictions=np.array(P3), targets=np.array([-1.0, 1.0, 1.0]))
    result = run("compute", "brier", tmp_path / "d.npz", "-o", "json")
    assert result.code == 0
    assert result.value() == pytest.approx(0.14 / 3, rel=1e-12)


@pytest.mark.parametrize(
    "change, args, message",
    [
        (None, ["-p", "blank=6"], "blank = 6 is not one of the 6 classes of log_probs"),
        ("exp", [], "log_probs (ctc.npz array log_probs) row 1 are not log-probabilities"),
        (
            "half",
            [],
            "input_lengths (ctc.npz array input_lengths) row 1: 30.5 is not a whole number",
        ),
        ("long", [], "row 1: input_lengths (ctc.npz array input_lengths) must lie in 1..30 (T)"),
    ],
)
def test_ctc_inputs_that_cannot_be(run, tmp_path, change, args, message):
    from conftest import ROOT

    data = dict(np.load(ROOT / "sample_data/sequence/ctc.npz"))
    if change == "exp":
        data["log_probs"] = np.exp(data["log_probs"])
    elif change == "half":
        data["input_lengths"] = data["input_lengths"] + 0.5
    elif change == "long":
        data["input_lengths"] = data["input_lengths"] + 10
    np.savez(tmp_path / "ctc.npz", **data)
    result = run("compute", "ctc", tmp_path / "ctc.npz", *args)
    assert result.code == 2
    assert message in result.stderr.replace(str(tmp_path) + "/", "")


def _shell(command: str, tmp_path) -> tuple[int, str]:
    import subprocess
    import sys

    script = f'losscli() {{ "{sys.executable}" -m losscli "$@"; }}\n{command}'
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    "command, status, message",
    [
        # The reader of the per-row output goes away after one line: not an error of ours.
        (
            "losscli compute mae y.npy y.npy --reduction none -o csv | head -1; exit ${PIPESTATUS[0]}",
            0,
            "mae\n",
        ),
        (
            "losscli compute mae y.npy y.npy > /dev/full",
            2,
            "cannot write the output (No space left on device)",
        ),
        ("losscli compute mae y.npy y.npy >&-", 2, "stdout is closed"),
        ("losscli compute mae - y.npy <&-", 2, "-: stdin is closed"),
        ("losscli compute mae y.npy y.npy 2>&- >/dev/null", 0, ""),
    ],
)
def test_output_and_input_streams_that_fail(tmp_path, command, status, message):
    np.save(tmp_path / "y.npy", np.arange(100_000.0))
    code, text = _shell(command, tmp_path)
    assert code == status, text
    assert message in text
    assert "Traceback" not in text and "internal error" not in text


def test_regressions_found_by_the_fuzz_test():
    import losscli
    from losscli.errors import InputError

    # A chunk whose rows are all skipped (rows 1-2 of 2-row chunks) computes nothing.
    p = np.array([[np.nan, 1.0], [1.0, np.nan], [0.5, 0.5], [0.2, 0.8]])
    y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    with pytest.warns(losscli.LossWarning, match="skipped 2 of 4 rows"):
        result = losscli.compute("cosine_similarity", p, y, nan="skip", chunk_rows=2)
    assert result.n == 2
    # The fractional label of 2-D targets is reported at its row, not at a flat index.
    with pytest.raises(InputError, match=r"row 2: 1.5 is not a whole number"):
        losscli.compute("multi_margin", np.zeros((3, 4)), np.array([0.0, 1.5, 2.0]))
    # A label beyond what an integer holds is named, not cast to garbage.
    with pytest.raises(InputError, match=r"row 1: 1e\+300 is too large for an integer"):
        losscli.compute("multi_margin", np.zeros((2, 3)), np.array([1e300, 0.0]))
    with pytest.raises(InputError, match=r"row 1: class index 1e\+300 is out of range for 3"):
        losscli.compute("cross_entropy", np.zeros((2, 3)), np.array([1e300, 0.0]))


class TestKlReadsTheSpaceFromTheData:
    """KL(P || Q) = sum p log(p / q), worked with NumPy on the same rows."""

    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.ones(4), 30)
    p = rng.dirichlet(np.ones(4), 30)
    expected = float(np.mean((p * np.log(p / q)).sum(axis=1)))

    @pytest.mark.parametrize("space", ["probabilities", "log-probabilities"])
    def test_either_space_gives_the_kl(self, space):
        import losscli

        q = self.q if space == "probabilities" else np.log(self.q)
        assert losscli.compute("kl_div", q, self.p).value == pytest.approx(self.expected, rel=1e-12)
        log_p = np.log(self.p)
        assert losscli.compute("kl_div", q, log_p).value == pytest.approx(self.expected, rel=1e-12)

    def test_rows_that_are_no_distribution_are_an_error_unless_normalized(self):
        import losscli
        from losscli.errors import InputError

        with pytest.raises(
            InputError, match=r"row 1 holds .*: kl_div needs each row to be probabilities"
        ):
            losscli.compute("kl_div", 3 * self.q, self.p)
        rescaled = losscli.compute("kl_div", 3 * self.q, self.p, normalize=True).value
        assert rescaled == pytest.approx(self.expected, rel=1e-12)

    def test_a_forced_space_the_data_cannot_be_in_is_an_error(self):
        import losscli
        from losscli.errors import InputError

        with pytest.raises(
            InputError,
            match=r"needs log-probabilities .* as log_input=true says; pass log_input='auto'",
        ):
            losscli.compute("kl_div", self.q, self.p, log_input=True)
        forced = losscli.compute("kl_div", np.log(self.q), self.p, log_input=True, log_target=False)
        assert forced.value == pytest.approx(self.expected, rel=1e-12)

    def test_rows_in_both_spaces_are_an_error(self):
        import losscli
        from losscli.errors import InputError

        mixed = self.q.copy()
        mixed[5] = np.log(mixed[5])
        with pytest.raises(InputError, match=r"row 6 is in another space"):
            losscli.compute("kl_div", mixed, self.p)

    def test_js_divergence_rescales_only_when_asked(self):
        import losscli
        from losscli.errors import InputError

        # scipy.spatial.distance.jensenshannon(a, b) ** 2 normalises a and b first.
        m = (self.p + self.q) / 2
        js = float(
            np.mean(
                0.5 * (self.p * np.log(self.p / m)).sum(1)
                + 0.5 * (self.q * np.log(self.q / m)).sum(1)
            )
        )
        with pytest.raises(InputError, match="js_divergence needs rows of probabilities"):
            losscli.compute("js_divergence", 2 * self.q, self.p)
        assert losscli.compute(
            "js_divergence", 2 * self.q, self.p, normalize=True
        ).value == pytest.approx(js, rel=1e-12)


def test_keys_and_group_labels_compare_as_the_user_means(run, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": [2, 1], "y": [2.0, 1.5]}), tmp_path / "y.parquet")
    (tmp_path / "a.csv").write_text("id,yhat\n1.0,1\n2.0,2\n")  # 1.0 is the key 1
    ok = run(
        "compute",
        "mse",
        tmp_path / "a.csv",
        tmp_path / "y.parquet",
        "--on",
        "id",
        "--col",
        "targets=y",
        "-o",
        "json",
    )
    assert ok.code == 0, ok.stderr
    assert ok.value() == pytest.approx(0.125)  # (1 - 1.5)^2 / 2
    (tmp_path / "b.csv").write_text("id,yhat\n001,1\n002,2\n")  # 001 is an identifier, not 1
    refused = run(
        "compute",
        "mse",
        tmp_path / "b.csv",
        tmp_path / "y.parquet",
        "--on",
        "id",
        "--col",
        "targets=y",
    )
    assert refused.code == 2 and "keys do not match" in refused.stderr
    # An empty CSV label is the missing group, like a Parquet null; a label may span lines.
    (tmp_path / "g.csv").write_text('yhat,region\n1,\n2,"north\nwest"\n3,north\n')
    np.save(tmp_path / "t.npy", np.array([1.0, 2.0, 4.0]))
    grouped = run(
        "compute",
        "mse",
        tmp_path / "g.csv",
        tmp_path / "t.npy",
        "--col",
        "predictions=yhat",
        "--group-by",
        "region",
        "-o",
        "json",
    )
    assert grouped.code == 0, grouped.stderr
    groups = {g["group"]: g["value"] for g in grouped.json()["results"][0]["groups"]}
    assert groups == {"north": 1.0, "north\nwest": 0.0, None: 0.0}


def test_stdin_is_never_spooled_until_the_disk_is_full(monkeypatch):
    import io

    from losscli import tempfiles
    from losscli.errors import InputError

    monkeypatch.setattr(tempfiles, "KEEP_FREE", 1 << 62)  # as if the disk were nearly full
    monkeypatch.setattr(tempfiles, "CHECK_EVERY", 1 << 20)
    try:
        with pytest.raises(InputError, match="stdin holds more than .* has room for"):
            tempfiles.spool(io.BytesIO(b"1\n" * (1 << 20)))
    finally:
        tempfiles.remove_all()


def test_a_table_shows_at_most_200_groups_and_says_so(run, tmp_path):
    n = 500
    (tmp_path / "d.csv").write_text(
        "yhat,y,g\n" + "".join(f"{i % 3},{i % 2},{i}\n" for i in range(n))
    )
    args = ["compute", "mse", tmp_path / "d.csv", "--col", "predictions=yhat"]
    args += ["--col", "targets=y", "--group-by", "g"]
    table = run(*args, "-o", "table")
    assert table.code == 0
    assert "showing 200 of 500 groups a loss" in " ".join(table.stdout.split())
    assert len(run(*args, "-o", "json").json()["results"][0]["groups"]) == n


def test_sigterm_leaves_no_spooled_stdin_behind(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    np.save(tmp_path / "y.npy", np.ones(3))
    spool = tmp_path / "spool"
    spool.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", "compute", "mse", "-", tmp_path / "y.npy"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(spool)},
    )
    process.stdin.write(b"p\n1\n2\n")  # stdin stays open: losscli is still spooling it
    process.stdin.flush()
    deadline = time.monotonic() + 20
    while not list(spool.glob("losscli-stdin-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(spool.glob("losscli-stdin-*")), "the spool file never appeared"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == -signal.SIGTERM
    process.stdin.close()
    assert not list(spool.glob("losscli-stdin-*"))


def test_a_glob_never_takes_a_column_another_input_names(run, tmp_path):
    from conftest import write_csv

    rng = np.random.default_rng(5)
    logits = rng.normal(size=(30, 10))
    labels = rng.integers(0, 10, 30)
    columns = {f"l{c}": logits[:, c] for c in range(10)} | {"label": labels}
    write_csv(tmp_path / "f.csv", columns)
    # by hand: the mean of logsumexp(x) - x_y, the 10 logits alone
    top = logits.max(axis=1)
    lse = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    expected = float(np.mean(lse - logits[np.arange(30), labels]))
    result = run(
        "compute",
        "cross_entropy",
        tmp_path / "f.csv",
        "--col",
        "predictions=l*",
        "--col",
        "targets=label",
        "-o",
        "json",
    )
    assert result.code == 0, result.stderr
    assert result.value() == pytest.approx(expected, rel=1e-12)
    assert "--col predictions=l* leaves out label: another input names it" in result.stderr


def test_nll_refuses_rows_that_are_not_log_probabilities(run, tmp_path):
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(8, 3))
    np.save(tmp_path / "x.npy", logits)
    np.save(tmp_path / "y.npy", rng.integers(0, 3, 8))
    result = run("compute", "nll", tmp_path / "x.npy", tmp_path / "y.npy")
    assert result.code == 2 and result.stdout == ""
    assert "exponentials do not sum to 1" in result.stderr and "cross_entropy" in result.stderr
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.save(tmp_path / "lp.npy", np.round(log_p, 4))  # printed to 4 decimals: still accepted
    assert run("compute", "nll", tmp_path / "lp.npy", tmp_path / "y.npy").code == 0
    # PyTorch's NLLLoss takes any numbers: under its convention, its number and a warning
    torch = run("compute", "nll", tmp_path / "x.npy", tmp_path / "y.npy", "--convention", "torch")
    assert torch.code == 0 and "taken as PyTorch's NLLLoss takes them" in torch.stderr
    y = np.load(tmp_path / "y.npy")
    assert torch.value() == pytest.approx(-np.mean(logits[np.arange(8), y]), rel=1e-12)


def test_nll_under_the_torch_convention_sums_every_position_as_pytorch(run, tmp_path):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 3, 5))
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    y = rng.integers(0, 3, (4, 5))
    np.save(tmp_path / "lp.npy", log_p)
    np.save(tmp_path / "y.npy", y)
    picked = np.take_along_axis(log_p, y[:, None, :], axis=1)[:, 0, :]
    # torch.nn.NLLLoss(reduction='sum'): every (n, d) position once; 'none': each of them
    args = ("compute", "nll", tmp_path / "lp.npy", tmp_path / "y.npy", "--convention", "torch")
    assert run(*args, "--reduction", "sum").value() == pytest.approx(-picked.sum(), rel=1e-12)
    assert run(*args, "--reduction", "mean").value() == pytest.approx(-picked.mean(), rel=1e-12)
    same = run(
        "compute",
        "cross_entropy",
        tmp_path / "lp.npy",
        tmp_path / "y.npy",
        "--convention",
        "torch",
        "--reduction",
        "sum",
    )
    assert same.value() == pytest.approx(-picked.sum(), rel=1e-12)


def test_weights_named_like_a_column_point_to_col_weights(run, tmp_path):
    (tmp_path / "f.csv").write_text("p,y,w\n1,1.5,1\n2,2,2\n")
    args = ("compute", "mse", tmp_path / "f.csv", "--col", "predictions=p", "--col", "targets=y")
    result = run(*args, "--weights", "w")
    assert result.code == 2 and "give --col weights=w" in result.stderr, result.stderr
    # as suggested: (0.25 * 1 + 0 * 2) / (1 + 2)
    assert run(*args, "--col", "weights=w").value() == pytest.approx(0.25 / 3)


def test_a_binary_loss_given_per_class_scores_names_itself_and_cross_entropy(run, tmp_path):
    rng = np.random.default_rng(9)
    np.save(tmp_path / "x.npy", rng.normal(size=(10, 3)))
    np.save(tmp_path / "y.npy", rng.integers(0, 3, 10).astype(float))
    result = run("compute", "bce_with_logits", tmp_path / "x.npy", tmp_path / "y.npy")
    assert result.code == 2
    assert result.stderr.startswith("losscli: error: bce_with_logits: shapes disagree")
    assert "cross_entropy" in result.stderr
