"""`losscli compute` end to end: formats, column selection, outputs and the JSON contract."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES, SAMPLE, write_csv

MSE = FIXTURES["sample_data"]["mse"]  # scikit-learn's value on sample_data/regression
P = np.load(SAMPLE / "preds.npy")
Y = np.load(SAMPLE / "targets.npy")


def test_readme_example_prints_sklearn_value_as_json(run):
    r = run("compute", "mse", SAMPLE / "preds.csv", SAMPLE / "targets.csv")
    assert r.code == 0, r.stderr
    assert r.json() == {
        "results": [{"loss": "mse", "reduction": "mean", "params": {}, "n": 200, "value": MSE}]
    }
    assert r.stderr == ""


@pytest.mark.parametrize("ext", ["csv", "parquet", "npy"])
def test_every_format_and_mixed_formats(run, ext):
    for targets in ("csv", "parquet", "npy"):
        r = run("compute", "mse", SAMPLE / f"preds.{ext}", SAMPLE / f"targets.{targets}")
        assert r.code == 0, r.stderr
        assert r.value() == pytest.approx(MSE, rel=1e-12)


def test_one_file_supplies_both_inputs_by_column(run):
    r = run(
        "compute", "mse", SAMPLE / "both.csv", "--col", "predictions=yhat", "--col", "targets=y"
    )
    assert r.code == 0, r.stderr
    assert r.value() == pytest.approx(MSE, rel=1e-12)


def test_tsv_gzip_and_headerless_csv(run, tmp_path):
    tsv = write_csv(tmp_path / "both.tsv", {"y": Y, "yhat": P}, sep="\t")
    gz = tmp_path / "both.csv.gz"
    gz.write_bytes(gzip.compress((SAMPLE / "both.csv").read_bytes()))
    bare_p = write_csv(tmp_path / "p.csv", {"p": P}, header=False)
    bare_y = write_csv(tmp_path / "y.csv", {"y": Y}, header=False)
    for args in (
        [tsv, "--col", "predictions=yhat", "--col", "targets=y"],
        [gz, "--col", "predictions=yhat", "--col", "targets=y"],
        [bare_p, bare_y],
    ):
        r = run("compute", "mse", *args)
        assert r.code == 0, r.stderr
        assert r.value() == pytest.approx(MSE, rel=1e-12)


def test_headerless_columns_are_named_col1_col2(run, tmp_path):
    f = write_csv(tmp_path / "pair.csv", {"a": P, "b": Y}, header=False)
    r = run("compute", "mse", f, "--col", "predictions=col1", "--col", "targets=col2")
    assert r.value() == pytest.approx(MSE, rel=1e-12)


def test_stdin_as_csv_and_as_declared_format(run):
    r = run("compute", "mse", "-", SAMPLE / "targets.csv", input=(SAMPLE / "preds.csv").read_text())
    assert r.value() == pytest.approx(MSE, rel=1e-12)
    parquet = (SAMPLE / "preds.parquet").read_bytes()
    r = run("compute", "mse", "-", SAMPLE / "targets.parquet", "--format", "parquet", input=parquet)
    assert r.value() == pytest.approx(MSE, rel=1e-12)


def test_npz_arrays_named_after_inputs(run, tmp_path):
    np.savez(tmp_path / "pt.npz", predictions=P, targets=Y)
    r = run("compute", "mse", tmp_path / "pt.npz")
    assert r.value() == pytest.approx(MSE, rel=1e-12)
    np.savez(tmp_path / "other.npz", yhat=P, y=Y)
    r = run(
        "compute", "mse", tmp_path / "other.npz", "--col", "predictions=yhat", "--col", "targets=y"
    )
    assert r.value() == pytest.approx(MSE, rel=1e-12)


def test_glob_selects_several_columns_as_n_by_k(run, tmp_path):
    rng = np.random.default_rng(0)
    p, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    table = {f"p_{i}": p[:, i] for i in range(3)} | {f"y_{i}": y[:, i] for i in range(3)}
    pq.write_table(pa.table(table), tmp_path / "wide.parquet")
    r = run(
        "compute",
        "mse",
        tmp_path / "wide.parquet",
        "--col",
        "predictions=p_*",
        "--col",
        "targets=y_0,y_1,y_2",
    )
    assert r.code == 0, r.stderr
    assert r.value() == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)  # mean over rows and D


def test_weights_from_file_and_from_column(run):
    expected = FIXTURES["sample_data"]["mse_weighted"]
    r = run(
        "compute",
        "mse",
        SAMPLE / "preds.csv",
        SAMPLE / "targets.csv",
        "--weights",
        SAMPLE / "weights.csv",
    )
    assert r.value() == pytest.approx(expected, rel=1e-12)
    r = run(
        "compute",
        "mse",
        SAMPLE / "both.csv",
        "--col",
        "predictions=yhat",
        "--col",
        "targets=y",
        "--col",
        "weights=weight",
    )
    assert r.value() == pytest.approx(expected, rel=1e-12)


def test_several_losses_aliases_and_scoped_params(run):
    r = run(
        "compute",
        "L2,MAE,huber,smooth_l1",
        SAMPLE / "preds.npy",
        SAMPLE / "targets.npy",
        "-p",
        "huber.delta=2",
        "-p",
        "beta=0.5",
    )
    assert r.code == 0, r.stderr
    results = r.json()["results"]
    assert [x["loss"] for x in results] == ["mse", "mae", "huber", "smooth_l1"]
    assert results[2]["params"] == {"delta": 2.0}
    assert results[3]["params"] == {"beta": 0.5}
    d = np.abs(P - Y)
    # Hand-worked: the piecewise definitions of Huber (delta 2) and Smooth L1 (beta 0.5).
    huber = np.where(d <= 2, 0.5 * d**2, 2 * (d - 1)).mean()
    smooth = np.where(d < 0.5, d**2, d - 0.25).mean()
    assert results[2]["value"] == pytest.approx(huber, rel=1e-12)
    assert results[3]["value"] == pytest.approx(smooth, rel=1e-12)


def test_unscoped_param_applies_to_every_loss_declaring_it(run):
    r = run(
        "compute", "pinball,mae", SAMPLE / "preds.npy", SAMPLE / "targets.npy", "-p", "alpha=0.9"
    )
    pinball, mae = r.json()["results"]
    assert pinball["params"] == {"alpha": 0.9}
    assert mae["params"] == {}


def test_reductions_sum_and_none(run):
    r = run("compute", "mse", SAMPLE / "preds.npy", SAMPLE / "targets.npy", "--reduction", "sum")
    assert r.value() == pytest.approx(MSE * 200, rel=1e-12)
    r = run(
        "compute", "mse,mae", SAMPLE / "preds.npy", SAMPLE / "targets.npy", "--reduction", "none"
    )
    mse, mae = r.json()["results"]
    assert "value" not in mse and mse["reduction"] == "none"
    np.testing.assert_allclose(mse["values"], (P - Y) ** 2, rtol=1e-15)
    np.testing.assert_allclose(mae["values"], np.abs(P - Y), rtol=1e-15)


def test_per_row_csv_and_ndjson_have_one_field_per_loss(run):
    args = (
        "compute",
        "mse,mae",
        SAMPLE / "preds.npy",
        SAMPLE / "targets.npy",
        "--reduction",
        "none",
    )
    lines = run(*args, "-o", "csv").stdout.splitlines()
    assert lines[0] == "mse,mae"
    assert len(lines) == 201
    first = [float(v) for v in lines[1].split(",")]
    assert first == pytest.approx([(P[0] - Y[0]) ** 2, abs(P[0] - Y[0])], rel=1e-15)
    rows = [json.loads(line) for line in run(*args, "-o", "ndjson").stdout.splitlines()]
    assert len(rows) == 200 and set(rows[0]) == {"mse", "mae"}


def test_reduced_csv_and_ndjson(run):
    args = ("compute", "mse,huber", SAMPLE / "preds.npy", SAMPLE / "targets.npy")
    lines = run(*args, "-o", "csv").stdout.splitlines()
    assert lines[0] == "loss,reduction,n,value,params"
    assert lines[2].startswith("huber,mean,200,") and lines[2].endswith(",delta=1")
    records = [json.loads(x) for x in run(*args, "-o", "ndjson").stdout.splitlines()]
    assert [x["loss"] for x in records] == ["mse", "huber"]


def test_table_output_shows_values(run):
    r = run("compute", "mse,mae", SAMPLE / "preds.npy", SAMPLE / "targets.npy", "-o", "table")
    assert r.code == 0
    assert "mse" in r.stdout and repr(MSE) in r.stdout
    assert r.stdout.count("│") > 0 or r.stdout.count("|") > 0


def test_nan_skip_drops_rows_and_says_so(run, tmp_path):
    p, y = P.copy(), Y.copy()
    p[[3, 50]] = np.nan
    f = write_csv(tmp_path / "p.csv", {"p": p})
    r = run("compute", "mse", f, SAMPLE / "targets.csv", "--nan", "skip")
    assert r.code == 0
    keep = ~np.isnan(p)
    assert r.value() == pytest.approx(np.mean((p[keep] - y[keep]) ** 2), rel=1e-12)
    assert r.json()["results"][0]["n"] == 198
    assert "skipped 2 of 200 rows" in r.stderr
    r = run("compute", "mse", f, SAMPLE / "targets.csv", "--nan", "skip", "--reduction", "none")
    values = r.json()["results"][0]["values"]
    assert values[3] is None and values[50] is None and len(values) == 200


def test_mape_warns_once_about_zero_targets(run, tmp_path):
    f = write_csv(
        tmp_path / "pt.csv", {"p": np.array([1.0, 2.0, 3.0]), "y": np.array([0.0, 2.0, 0.0])}
    )
    r = run("compute", "mape", f, "--col", "predictions=p", "--col", "targets=y")
    assert r.code == 0
    assert r.stderr.count("warning") == 1 and "2 of 3 rows have a zero target" in r.stderr
    assert r.value() == pytest.approx((1e9 + 0 + 3e9) / 3, rel=1e-12)  # 100*|y-p|/1e-7


def test_msle_warns_about_negative_values(run, tmp_path):
    f = write_csv(tmp_path / "pt.csv", {"p": np.array([-1.0, 2.0]), "y": np.array([1.0, 2.0])})
    r = run("compute", "msle", f, "--col", "predictions=p", "--col", "targets=y")
    assert r.code == 0 and "1 of 2 rows have negative" in r.stderr


def test_log_cosh_is_finite_for_huge_residuals(run, tmp_path):
    f = write_csv(tmp_path / "pt.csv", {"p": np.array([1e4, -800.0]), "y": np.array([0.0, 0.0])})
    r = run("compute", "log_cosh", f, "--col", "predictions=p", "--col", "targets=y")
    # log(cosh(x)) = |x| - log 2 + log1p(exp(-2|x|)), exactly |x| - log 2 in float64 here.
    assert r.value() == pytest.approx(((1e4 - np.log(2)) + (800 - np.log(2))) / 2, rel=1e-15)
