"""Bad input: one line on stderr naming what is wrong, exit status 2, nothing on stdout."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE, write_csv

PREDS, TARGETS = SAMPLE / "preds.csv", SAMPLE / "targets.csv"


def fails(r, *fragments):
    assert r.code == 2, (r.code, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("losscli: error: ")
    assert "Traceback" not in r.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def test_missing_file(run, tmp_path):
    fails(run("compute", "mse", tmp_path / "nope.csv", TARGETS), "nope.csv", "no such file")


def test_directory_instead_of_file(run, tmp_path):
    (tmp_path / "d.csv").mkdir()
    fails(run("compute", "mse", tmp_path / "d.csv", TARGETS), "d.csv", "directory")


def test_unknown_format(run, tmp_path):
    f = tmp_path / "preds.dat"
    f.write_text("1\n")
    fails(run("compute", "mse", f, TARGETS), "preds.dat", "--format")


def test_corrupt_parquet(run, tmp_path):
    f = tmp_path / "p.parquet"
    f.write_text("not parquet")
    fails(run("compute", "mse", f, TARGETS), "p.parquet", "Parquet")


def test_unknown_loss_suggests_nearest(run):
    fails(run("compute", "msee", PREDS, TARGETS), "unknown loss 'msee'", "mse")
    fails(run("compute", "hubber", PREDS, TARGETS), "huber")


def test_unknown_parameter_lists_valid_ones(run):
    fails(run("compute", "huber", PREDS, TARGETS, "-p", "delt=2"), "'delt'", "huber: delta")
    fails(run("compute", "huber", PREDS, TARGETS, "-p", "mse.delta=2"), "mse", "not among")


def test_ill_typed_and_out_of_range_parameters(run):
    fails(run("compute", "huber", PREDS, TARGETS, "-p", "delta=abc"), "delta", "'abc'", "> 0")
    fails(run("compute", "huber", PREDS, TARGETS, "-p", "delta=-1"), "delta", "> 0", "-1")
    fails(run("compute", "pinball", PREDS, TARGETS, "-p", "alpha=1.5"), "alpha", "<= 1")
    fails(run("compute", "huber", PREDS, TARGETS, "-p", "delta"), "NAME=VALUE")


def test_non_numeric_cell_names_file_column_and_row(run, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("p,y\n1,2\n3,4\n5,oops\n")
    fails(
        run("compute", "mse", f, "--col", "predictions=p", "--col", "targets=y"),
        "bad.csv",
        "row 3",
        "column 'y'",
        "'oops'",
    )


def test_text_column_in_parquet(run, tmp_path):
    pq.write_table(pa.table({"p": ["a", "b"]}), tmp_path / "s.parquet")
    fails(run("compute", "mse", tmp_path / "s.parquet", TARGETS), "s.parquet", "'p'", "text")


def test_row_counts_disagree_gives_both(run, tmp_path):
    short = write_csv(tmp_path / "short.csv", {"p": np.arange(150.0)})
    fails(run("compute", "mse", short, TARGETS), "short.csv", "150 rows", "targets.csv", "200 rows")
    np.save(tmp_path / "short.npy", np.arange(150.0))
    fails(run("compute", "mse", tmp_path / "short.npy", SAMPLE / "targets.npy"), "150", "200")


def test_shapes_disagree_gives_both(run, tmp_path):
    np.save(tmp_path / "wide.npy", np.zeros((200, 3)))
    fails(
        run("compute", "mse", tmp_path / "wide.npy", SAMPLE / "targets.npy"),
        "(200, 3)",
        "(200,)",
        "wide.npy",
        "targets.npy",
    )


def test_nan_and_inf_are_errors_by_default(run, tmp_path):
    p = np.load(SAMPLE / "preds.npy")
    p[[7, 9]] = [np.nan, np.inf]
    np.save(tmp_path / "p.npy", p)
    fails(
        run("compute", "mse", tmp_path / "p.npy", SAMPLE / "targets.npy"),
        "2 of 200 rows",
        "row 8",
        "p.npy",
        "--nan skip",
    )


def test_missing_cell_is_reported_like_nan(run, tmp_path):
    f = tmp_path / "gap.csv"
    f.write_text("p,y\n1,2\n,4\n")
    fails(
        run("compute", "mse", f, "--col", "predictions=p", "--col", "targets=y"),
        "1 of 2 rows",
        "row 2",
    )


def test_empty_inputs(run, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    fails(run("compute", "mse", empty, TARGETS), "empty.csv", "empty")
    header_only = tmp_path / "h.csv"
    header_only.write_text("p\n")
    fails(run("compute", "mse", header_only, header_only), "no rows")
    np.save(tmp_path / "e.npy", np.zeros(0))
    fails(run("compute", "mse", tmp_path / "e.npy", tmp_path / "e.npy"), "no rows")


def test_every_row_nan_with_skip(run, tmp_path):
    np.save(tmp_path / "n.npy", np.full(3, np.nan))
    fails(
        run("compute", "mse", tmp_path / "n.npy", tmp_path / "n.npy", "--nan", "skip"),
        "every one of the 3 rows",
    )


def test_ragged_csv(run, tmp_path):
    f = tmp_path / "rag.csv"
    f.write_text("p,y\n1,2\n3,4,5\n")
    fails(
        run("compute", "mse", f, "--col", "predictions=p", "--col", "targets=y"),
        "rag.csv",
        "row 2",
        "3 fields",
        "expected 2",
    )


def test_object_npy_is_never_unpickled(run, tmp_path):
    np.save(tmp_path / "obj.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    fails(run("compute", "mse", tmp_path / "obj.npy", SAMPLE / "targets.npy"), "obj.npy", "objects")
    np.savez(tmp_path / "obj.npz", predictions=np.array([{}], dtype=object), targets=np.ones(1))
    fails(run("compute", "mse", tmp_path / "obj.npz"), "obj.npz", "objects")


def test_rmse_has_no_per_row_values(run):
    fails(run("compute", "rmse", PREDS, TARGETS, "--reduction", "none"), "rmse", "mean")


def test_file_and_input_bookkeeping(run):
    fails(run("compute", "mse", PREDS), "needs targets", "--col targets=")
    fails(run("compute", "mse", PREDS, TARGETS, SAMPLE / "weights.csv"), "weights.csv", "not used")
    fails(
        run("compute", "mse", SAMPLE / "both.csv", "--col", "predicted=yhat"),
        "no input 'predicted'",
        "predictions",
    )
    fails(
        run(
            "compute", "mse", SAMPLE / "both.csv", "--col", "predictions=nope", "--col", "targets=y"
        ),
        "nope",
        "no column matches",
        "yhat",
    )
    fails(run("compute", "mse", "-", "-", input="1\n"), "stdin")
    fails(run("compute", "mse", PREDS, TARGETS, "--col", "targets"), "INPUT=COLUMN")


def test_negative_weights(run, tmp_path):
    w = np.ones(200)
    w[4] = -1
    np.save(tmp_path / "w.npy", w)
    fails(
        run("compute", "mse", PREDS, TARGETS, "--weights", tmp_path / "w.npy"), "weights", "row 5"
    )


def test_zero_weights(run, tmp_path):
    np.save(tmp_path / "w.npy", np.zeros(200))
    fails(run("compute", "mse", PREDS, TARGETS, "--weights", tmp_path / "w.npy"), "add up to 0")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["compute"], "give a LOSS and at least one INPUT"),
        (["compute", "mse", PREDS, "--bogus"], "--bogus"),
        (["compute", "mse", PREDS, TARGETS, "--reduction", "avg"], "avg"),
        (["nosuchcommand"], "nosuchcommand"),
        (["info", "nope"], "unknown loss"),
        (["list", "--family", "nope"], "regression"),
    ],
)
def test_usage_errors_are_one_line(run, args, fragment):
    fails(run(*args), fragment)
