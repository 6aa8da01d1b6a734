"""`losscli grad`: analytic gradients equal PyTorch autograd (fixtures from
tests/fixtures/make_gradient_fixtures.py, extreme inputs included), the numerical fallback
agrees with them, the output streams through the per-row writers, and --check catches a
plugin's planted mistake."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

import losscli
from losscli.advice.gradients import analytic, numerical
from losscli.catalogue import default_registry
from losscli.registry import resolve_params

CASES = json.loads((ROOT / "tests" / "fixtures" / "gradients.json").read_text())


def _arrays(case: dict) -> dict[str, np.ndarray]:
    if "inputs" in case:
        return {k: np.array(v, dtype=float) for k, v in case["inputs"].items()}
    return {
        "predictions": np.array(case["predictions"], dtype=float),
        "targets": np.array(case["targets"], dtype=float),
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_analytic_gradient_equals_torch_autograd(case):
    loss = default_registry().get(case["loss"])
    got = analytic(loss, _arrays(case), resolve_params(loss, case["params"]))
    np.testing.assert_allclose(got, case["grad"], rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize(
    "case", [c for c in CASES if "extreme" not in c["name"]], ids=lambda c: c["name"]
)
def test_numerical_gradient_agrees_away_from_kinks(case):
    loss = default_registry().get(case["loss"])
    arrays = _arrays(case)
    got = numerical(loss, arrays, resolve_params(loss, case["params"]), loss.inputs[0].name)
    smooth = np.ones(np.shape(case["grad"]), dtype=bool)
    if case["loss"] in ("mae", "mape", "pinball", "huber", "smooth_l1"):
        residual = np.abs(arrays["predictions"] - arrays["targets"])
        smooth = residual > 1e-3  # no kink (|r| = 0, delta, beta, the hinge) inside the step
    if case["loss"] in ("huber", "smooth_l1"):
        edge = case["params"].get("delta", case["params"].get("beta", 1.0))
        smooth &= np.abs(residual - edge) > 1e-3
    if case["loss"] == "hinge":
        y = np.where(arrays["targets"] == 0, -1.0, arrays["targets"])
        smooth = np.abs(1 - y * arrays["predictions"]) > 1e-3
    assert smooth.sum() >= 3
    np.testing.assert_allclose(
        np.asarray(got)[smooth], np.asarray(case["grad"])[smooth], rtol=1e-4, atol=1e-7
    )


def test_cli_writes_gradients_and_a_summary(tmp_path, run):
    p = np.array([1e-9, 0.3, 0.6, 0.9999999])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "x.npy", np.log(p / (1 - p)))
    result = run(
        "grad", "bce", tmp_path / "p.npy", tmp_path / "y.npy", "--out", tmp_path / "g.parquet"
    )
    assert result.code == 0, result.stderr
    got = pq.read_table(tmp_path / "g.parquet").column("grad_bce").to_pylist()
    np.testing.assert_allclose(got, (1 - y) / (1 - p) - y / p, rtol=1e-12)
    assert "method: analytic" in result.stderr and "huge (|g| > 1e+06): 0.5" in result.stderr
    logits = run("grad", "bce_with_logits", tmp_path / "x.npy", tmp_path / "y.npy", "-o", "csv")
    assert logits.stderr.rstrip().endswith("huge (|g| > 1e+06): 0")  # logits stay well scaled
    numeric = run("grad", "iou", tmp_path / "p.npy", tmp_path / "y.npy", "-o", "csv")
    assert numeric.code == 0 and "method: numerical" in numeric.stderr


PLUGIN = """
import numpy as np
from losscli import loss

def _grad(predictions, targets):
    return {body}

@loss(name="cubic", summary="cubed error", formula="l = (p - y)^3", grad=_grad)
def cubic(predictions, targets):
    return (predictions - targets) ** 3
"""


@pytest.mark.parametrize(
    "body, code", [("3 * (predictions - targets) ** 2", 0), ("2 * (predictions - targets) ** 2", 1)]
)
def test_check_passes_a_right_gradient_and_catches_a_planted_mistake(tmp_path, run, body, code):
    plugin = tmp_path / "mine.py"
    plugin.write_text(textwrap.dedent(PLUGIN.format(body=body)))
    rng = np.random.default_rng(0)
    np.save(tmp_path / "p.npy", rng.normal(size=50))
    np.save(tmp_path / "y.npy", rng.normal(size=50))
    result = run(
        "grad", "--check", "cubic", tmp_path / "p.npy", tmp_path / "y.npy",
        "--plugin", plugin, "-o", "json",
    )  # fmt: skip
    assert result.code == code, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == ("pass" if code == 0 else "fail")
    if code:
        assert report["worst relative error"] > 0.3


def test_check_without_an_analytic_gradient_says_how_to_declare_one(tmp_path, run):
    np.save(tmp_path / "p.npy", np.ones(3))
    np.save(tmp_path / "y.npy", np.ones(3))
    result = run("grad", "--check", "iou", tmp_path / "p.npy", tmp_path / "y.npy")
    assert result.code == 2 and "grad=" in result.stderr


def test_keras_clipping_makes_saturated_probabilities_stop_learning(run):
    """Keras clips probabilities to [1e-7, 1 - 1e-7]: outside, d loss / d p is exactly 0;
    inside, -y/p + (1 - y)/(1 - p). The narrow step finds both (the wide one would measure
    the slope across the clip)."""
    data = ROOT / "sample_data" / "classification" / "saturated.csv"
    args = ["grad", "bce", data, "--col", "predictions=p", "--col", "targets=y"]
    result = run(*args, "--convention", "keras", "-o", "csv")
    got = [float(v) for v in result.stdout.splitlines()[1:]]
    p = np.array([1e-9, 0.02, 0.3, 0.6, 0.97, 0.999999999])
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    inside = (p > 1e-7) & (p < 1 - 1e-7)
    by_hand = np.where(inside, -y / p + (1 - y) / (1 - p), 0.0)
    np.testing.assert_allclose(got, by_hand, rtol=1e-6, atol=1e-12)
    assert "numerical (keras variant)" in result.stderr


def test_the_api_gives_gradients_and_checks_them_as_the_command_does(tmp_path, run):
    p, y = np.array([0.5, 2.0, -1.0]), np.array([0.0, 4.0, -1.5])
    got = losscli.grad("mse", p, y)
    np.testing.assert_array_equal(got.values, 2 * (p - y))  # d (p - y)^2 / dp, by hand
    assert got.summary["method"] == "analytic" and got.summary["rows"] == 3
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    shown = run("grad", "mse", tmp_path / "p.npy", tmp_path / "y.npy", "-o", "json").json()
    assert shown["results"][0]["values"] == got.values.tolist()
    checked = losscli.grad_check("huber", p, y, delta=0.7)
    assert checked["verdict"] == "pass" and checked["rows"] == 3


def test_every_built_in_gradient_is_declared_on_its_entry_as_a_plugin_declares_it():
    from losscli.catalogue import default_registry

    with_formula = {entry.name for entry in default_registry() if entry.grad is not None}
    assert with_formula == set(
        [
            "bce",
            "bce_with_logits",
            "brier",
            "categorical_crossentropy",
            "categorical_hinge",
            "cosine_similarity",
            "cross_entropy",
            "gamma_deviance",
            "hinge",
            "hinge_embedding",
            "huber",
            "log_cosh",
            "mae",
            "mape",
            "margin_ranking",
            "mse",
            "msle",
            "multi_margin",
            "nll",
            "pinball",
            "poisson",
            "poisson_deviance",
            "poisson_nll",
            "smooth_l1",
            "soft_margin",
            "sparse_categorical_crossentropy",
            "squared_hinge",
            "tweedie",
        ]
    )


def test_a_plugin_declares_a_reference_and_properties_like_a_built_in(tmp_path):
    plugin = tmp_path / "mine.py"
    plugin.write_text(
        textwrap.dedent(
            """
            from losscli import loss

            def _slow(predictions, targets):
                return [float(p - t) ** 2 for p, t in zip(predictions, targets)]

            @loss(name="sq", summary="squared error", formula="l = (p - y)^2",
                  reference=_slow, properties=("nonnegative", "symmetric"))
            def sq(predictions, targets):
                return (predictions - targets) ** 2
            """
        )
    )
    from losscli.plugins import registry_with

    entry = registry_with([str(plugin)]).get("sq")
    assert entry.properties == {"nonnegative", "symmetric"}
    assert entry.reference(np.array([1.0, 3.0]), np.array([0.0, 1.0])) == [1.0, 4.0]
