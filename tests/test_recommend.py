"""`losscli recommend` on generated data of each task kind, with known properties: the
kind found, the figures measured, the ranking and the parameters computed from the data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.advice.recommend import recommend


@pytest.fixture
def save(tmp_path):
    def write(name: str, array: np.ndarray) -> str:
        path = tmp_path / name
        np.save(path, array)
        return str(path)

    return write


def test_binary_imbalanced_gets_focal_and_a_weighted_bce(save):
    y = np.zeros(1000)
    y[:100] = 1  # 900 : 100
    advice = recommend(save("y.npy", y))
    assert advice["task"] == "binary 0/1"
    assert advice["measures"]["class counts"] == {"0": 900, "1": 100}
    assert advice["measures"]["imbalance ratio"] == 9.0
    first, second = advice["ranking"][:2]
    assert first["loss"] == "focal" and first["params"]["alpha"] == 0.9
    assert second["loss"] == "bce" and second["params"]["pos_weight"] == 9.0
    assert "-p alpha=0.9" in first["command"]


def test_class_indices_get_sklearn_balanced_weights(save):
    y = np.repeat([0, 1, 2], [600, 300, 100])
    advice = recommend(save("y.npy", y))
    assert advice["task"] == "class indices"
    weights = advice["ranking"][0]["params"]["class_weights"]
    n, k = 1000, 3
    assert weights == pytest.approx([n / (k * 600), n / (k * 300), n / (k * 100)], abs=1e-4)


def test_balanced_classes_and_logits_decide_the_plain_loss(save):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=400)
    logits = rng.normal(size=(400, 4)) * 3
    advice = recommend(save("y.npy", y), save("p.npy", logits))
    assert advice["measures"]["predictions are"] == "logits"
    assert advice["ranking"][0]["loss"] == "cross_entropy"
    shifted = logits - logits.max(axis=1, keepdims=True)
    by_hand = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(400), y])
    assert advice["ranking"][0]["value"] == pytest.approx(by_hand, rel=1e-12)


def test_regression_with_outliers_gets_huber_with_delta_from_the_residuals(save):
    rng = np.random.default_rng(1)
    y = rng.normal(size=2000)
    p = y + rng.normal(scale=0.5, size=2000)
    p[:100] += 20  # 5% gross errors
    advice = recommend(save("y.npy", y), save("p.npy", p))
    assert advice["measures"]["outliers (residuals)"] >= 0.05
    huber = advice["ranking"][0]
    assert huber["loss"] == "huber"
    residuals = p - y
    scale = 1.4826 * np.median(np.abs(residuals - np.median(residuals)))
    assert huber["params"]["delta"] == pytest.approx(1.345 * scale, rel=1e-5)
    assert [e["loss"] for e in advice["ranking"][:3]] == ["huber", "mae", "mse"]


def test_clean_regression_gets_mse_and_zeros_warn_about_mape(save):
    rng = np.random.default_rng(2)
    y = rng.normal(size=500)
    y[:10] = 0.0
    advice = recommend(save("y.npy", y), save("p.npy", y + 0.1 * rng.normal(size=500)))
    assert advice["task"] == "real values" and advice["ranking"][0]["loss"] == "mse"
    assert advice["measures"]["zeros"] == 0.02
    assert advice["notes"][0] == "2.0% of targets are 0: MAPE is undefined there"
    assert "MSLE and Poisson do not apply" in advice["notes"][1]


@pytest.mark.parametrize(
    "make, kind, first",
    [
        (lambda r: r.poisson(3.0, size=500) * 7, "counts", "poisson_deviance"),
        (lambda r: r.lognormal(0, 1.5, size=500), "positive skewed amounts", "msle"),
        (
            lambda r: np.eye(3)[r.integers(0, 3, size=300)],
            "one-hot classes",
            "categorical_crossentropy",
        ),
        (lambda r: r.dirichlet([1, 1, 1], size=300), "distributions", "kl_div"),
        (lambda r: (r.random((300, 5)) < 0.3).astype(float), "multi-label 0/1", "bce"),
        (lambda r: (r.random((20, 8, 8)) < 0.2).astype(float), "segmentation masks", "dice"),
    ],
)
def test_each_task_kind(save, make, kind, first):
    advice = recommend(save("y.npy", make(np.random.default_rng(3))))
    assert advice["task"] == kind
    assert advice["ranking"][0]["loss"] == first


def test_boxes(save):
    rng = np.random.default_rng(4)
    xy = rng.random((100, 2))
    boxes = np.hstack([xy, xy + rng.random((100, 2)) + 0.1])
    advice = recommend(save("y.npy", boxes))
    assert advice["task"] == "boxes"
    assert [e["loss"] for e in advice["ranking"]] == ["ciou", "diou", "giou"]


def test_cli_json_is_deterministic(save, run):
    y = save("y.npy", np.repeat([0.0, 1.0], [80, 20]))
    first, second = run("recommend", y, "-o", "json"), run("recommend", y, "-o", "json")
    assert first.code == 0 and first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert set(doc) == {"task", "measures", "ranking", "notes"}
    assert set(doc["ranking"][0]) == {"loss", "params", "reasons", "command"}
