"""The data behind every plot, checked against hand-worked numbers and numpy; images
checked as images; the terminal chart by a snapshot at a fixed width."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE

from losscli.catalogue import default_registry
from losscli.plots.curve import curve_figure
from losscli.plots.figure import Figure, Mark, Series
from losscli.plots.terminal import render

SNAPSHOTS = Path(__file__).parent / "fixtures" / "snapshots"


def _series(doc: dict, label: str) -> dict:
    return next(s for s in doc["series"] if s["label"] == label)


def test_curve_values_are_the_losses_by_hand():
    figure = curve_figure("bce,mse", [], default_registry(), target=1.0)
    bce = next(s for s in figure.series if s.label == "bce")
    p = np.asarray(bce.x)
    np.testing.assert_allclose(bce.y, -np.log(p), rtol=1e-12)  # -log p for y = 1
    mse = next(s for s in figure.series if s.label == "mse")
    np.testing.assert_allclose(mse.y, (np.asarray(mse.x) - 1.0) ** 2, rtol=1e-12)
    assert min(bce.x) > 0 and max(bce.x) < 1  # probabilities stay inside (0, 1)


def test_curve_draws_one_line_per_listed_value(run):
    result = run("plot", "curve", "focal", "-p", "gamma=0,2", "-p", "alpha=-1", "-o", "json")
    doc = json.loads(result.stdout)
    assert [s["label"] for s in doc["series"]] == [
        "focal (gamma=0, alpha=-1)",
        "focal (gamma=2, alpha=-1)",
    ]
    p = np.asarray(doc["series"][1]["x"])
    by_hand = -((1 - p) ** 2) * np.log(p)  # focal, y = 1, no alpha weighting
    np.testing.assert_allclose(doc["series"][1]["y"], by_hand, rtol=1e-10)


def test_regression_curves_are_drawn_over_the_residual(run):
    doc = json.loads(run("plot", "curve", "mse,mae,huber", "-o", "json").stdout)
    assert doc["x_label"] == "residual (prediction - target)"
    huber = _series(doc, "huber")
    r = np.abs(np.asarray(huber["x"]))
    np.testing.assert_allclose(huber["y"], np.where(r < 1, 0.5 * r**2, r - 0.5), rtol=1e-12)


def test_curve_refuses_losses_of_class_scores(run):
    result = run("plot", "curve", "cross_entropy")
    assert result.code == 2 and "one prediction and one target a row" in result.stderr


def test_dist_counts_equal_numpy_histogram_and_marks_the_quantiles(run):
    p = np.loadtxt(SAMPLE / "preds.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(SAMPLE / "targets.csv", delimiter=",", skiprows=1)
    values = np.abs(p - y)
    doc = json.loads(
        run(
            "plot", "dist", "mae", SAMPLE / "preds.csv", SAMPLE / "targets.csv",
            "--bins", "12", "--worst", "2", "-o", "json",
        ).stdout
    )  # fmt: skip
    bars = doc["series"][0]
    counts, edges = np.histogram(values, bins=12)
    np.testing.assert_allclose(bars["x"], edges, rtol=1e-12)
    assert bars["y"] == counts.tolist()
    marks = {m["label"]: m["x"] for m in doc["marks"]}
    assert marks["mean"] == pytest.approx(values.mean(), rel=1e-12)
    for q in (50, 90, 99):
        assert marks[f"p{q}"] == pytest.approx(np.quantile(values, q / 100), rel=1e-12)
    assert marks["max"] == values.max()
    order = np.argsort(-values, kind="stable")
    assert marks[f"worst 1: row {order[0] + 1}"] == values[order[0]]


def test_dist_streams_the_same_counts_in_small_chunks():
    from losscli.plots.distribution import distribution_figure
    from losscli.requests import Options, resolve_requests

    rng = np.random.default_rng(0)
    arrays = {"predictions": rng.normal(size=1000), "targets": rng.normal(size=1000)}
    whole, _ = distribution_figure(resolve_requests("mse"), [arrays], Options(), 30, False)
    chunked, _ = distribution_figure(
        resolve_requests("mse"), [arrays], Options(chunk_rows=7), 30, True
    )
    values = (arrays["predictions"] - arrays["targets"]) ** 2
    assert whole.series[0].y == np.histogram(values, 30)[0].tolist()
    log_edges = np.geomspace(values.min(), values.max(), 31)
    assert chunked.series[0].y == np.histogram(values, log_edges)[0].tolist()


def test_calibration_bins_and_ece_by_hand(tmp_path, run):
    # Two bins: [0, 0.5) holds 0.2, 0.4 (labels 0, 1); [0.5, 1] holds 0.6, 0.8, 0.9 (1, 1, 0).
    np.save(tmp_path / "p.npy", np.array([0.2, 0.4, 0.6, 0.8, 0.9]))
    np.save(tmp_path / "y.npy", np.array([0, 1, 1, 1, 0]))
    doc = json.loads(
        run("plot", "calibration", tmp_path / "p.npy", tmp_path / "y.npy", "--bins", "2").stdout
    )
    per_bin = _series(doc, "per bin")
    assert per_bin["x"] == pytest.approx([0.3, 2.3 / 3])
    assert per_bin["y"] == pytest.approx([0.5, 2 / 3])
    ece = 2 / 5 * abs(0.5 - 0.3) + 3 / 5 * abs(2 / 3 - 2.3 / 3)
    assert doc["facts"]["ECE"] == pytest.approx(ece, rel=1e-12)
    brier = np.mean((np.array([0.2, 0.4, 0.6, 0.8, 0.9]) - [0, 1, 1, 1, 0]) ** 2)
    assert doc["facts"]["Brier score"] == pytest.approx(brier, rel=1e-12)


def test_calibration_of_class_probabilities_uses_the_top_class(tmp_path, run):
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.45, 0.45, 0.1], [0.2, 0.7, 0.1]])
    np.save(tmp_path / "p.npy", probs)
    np.save(tmp_path / "y.npy", np.array([0, 1, 0, 1]))
    doc = json.loads(
        run("plot", "calibration", tmp_path / "p.npy", tmp_path / "y.npy", "--bins", "2").stdout
    )
    per_bin = _series(doc, "per bin")
    # top-class confidences 0.7, 0.6, 0.45, 0.7 -> bins [0, .5): {0.45 hit}, [.5, 1]: 3 rows
    assert per_bin["x"] == pytest.approx([0.45, 2.0 / 3])
    assert per_bin["y"] == pytest.approx([1.0, 2 / 3])


def test_groups_are_sorted_with_their_intervals(run):
    doc = json.loads(
        run(
            "plot", "groups", "mae", SAMPLE / "both.csv", "--col", "predictions=yhat",
            "--col", "targets=y", "--group-by", "date", "--bootstrap", "50", "-o", "json",
        ).stdout
    )  # fmt: skip
    bars = doc["series"][0]
    assert bars["y"] == sorted(bars["y"], reverse=True)
    assert all(lo <= v <= hi for lo, v, hi in zip(bars["low"], bars["y"], bars["high"]))
    assert len(doc["x_ticks"]) == len(bars["y"]) == 200


def test_residuals_points_then_density_counts_equal_numpy(run):
    p = np.loadtxt(SAMPLE / "preds.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(SAMPLE / "targets.csv", delimiter=",", skiprows=1)
    args = ["plot", "residuals", SAMPLE / "preds.csv", SAMPLE / "targets.csv", "--bins", "8"]
    few = run(*args, "-o", "json")
    docs = json.loads(few.stdout)["figures"]
    assert docs[0]["series"][0]["kind"] == "points"
    assert docs[0]["series"][0]["x"] == y.tolist() and docs[0]["series"][0]["y"] == p.tolist()
    counts, _ = np.histogram(p - y, 8)
    assert docs[1]["series"][0]["y"] == counts.tolist()
    many = run(*args, "--points", "50", "-o", "json")
    density = json.loads(many.stdout)["figures"][0]["series"][0]
    grid = np.linspace(min(p.min(), y.min()), max(p.max(), y.max()), 9)
    assert density["kind"] == "density"
    assert density["z"] == np.histogram2d(y, p, [grid, grid])[0].astype(int).tolist()
    assert "200 rows are more than --points 50" in many.stderr


def test_images_open_with_their_size_and_labels(tmp_path, run):
    pytest.importorskip("matplotlib")
    import matplotlib.image

    png, svg, pdf = tmp_path / "c.png", tmp_path / "c.svg", tmp_path / "c.pdf"
    for path in (png, svg, pdf):
        result = run("plot", "curve", "bce,focal", "--out", path)
        assert result.code == 0, result.stderr
    assert matplotlib.image.imread(png).shape[:2] == (450, 800)
    text = svg.read_text()
    assert "predicted probability" in text and "loss" in text
    assert pdf.read_bytes().startswith(b"%PDF") and b"%%EOF" in pdf.read_bytes()[-32:]


def test_images_without_matplotlib_name_the_extra(tmp_path, run, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = run("plot", "curve", "bce", "--out", tmp_path / "c.png")
    assert result.code == 2
    assert "pip install 'losscli[plot]'" in result.stderr and len(result.stderr.splitlines()) == 1


def test_terminal_chart_snapshot():
    figure = Figure(
        title="snapshot",
        x_label="x",
        y_label="y",
        series=(
            Series("line", "line", [0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 4.0, 9.0]),
            Series("bars", "bars", [0.0, 1.0, 2.0, 3.0], [2.0, 5.0, 1.0]),
        ),
        marks=(Mark("mean", 1.5),),
        facts={"n": 4},
    )
    text = render(figure, width=48, height=8, color=False)
    expected = (SNAPSHOTS / "terminal_chart.txt").read_text()
    assert text + "\n" == expected


def test_plot_data_as_csv(run):
    lines = run("plot", "curve", "mse", "--range", "-1:1", "-o", "csv").stdout.splitlines()
    assert lines[0] == "series,kind,x,x_high,y,low,high"
    assert lines[1] == "mse,line,-1.0,,1.0,,"
