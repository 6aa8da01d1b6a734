"""Every loss against values computed by PyTorch, scikit-learn, Keras or mpmath.

The values were produced by tests/fixtures/make_fixtures.py; each case names its source.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FIXTURES, SAMPLE

from losscli.evaluate import Options, evaluate, evaluate_arrays, resolve_requests
from losscli.registry import default_registry

CASES = FIXTURES["cases"]


def _id(case):
    return f"{case['loss']}-{case['reduction']}-{case['source'][:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_independent_implementation(case):
    params = [f"{k}={v}" for k, v in case["params"].items()]
    requests = resolve_requests(case["loss"], params, default_registry())
    arrays = {"predictions": np.array(case["predictions"]), "targets": np.array(case["targets"])}
    if "weights" in case:
        arrays["weights"] = np.array(case["weights"])
    result = evaluate_arrays(requests, arrays, Options(reduction=case["reduction"])).results[0]
    got = result.values if case["reduction"] == "none" else result.value
    np.testing.assert_allclose(got, case["expected"], rtol=case["rtol"], atol=0)


def test_every_loss_has_golden_values():
    covered = {case["loss"] for case in CASES}
    missing = [loss.name for loss in default_registry() if loss.name not in covered]
    assert not missing, f"no fixture values for {missing}"


@pytest.mark.parametrize("loss", ["mse", "mae", "rmse", "huber"])
@pytest.mark.parametrize("ext", ["csv", "parquet", "npy"])
def test_sample_data_matches_reference(loss, ext):
    requests = resolve_requests(loss, [], default_registry())
    files = [str(SAMPLE / f"preds.{ext}"), str(SAMPLE / f"targets.{ext}")]
    value = evaluate(requests, files, Options()).results[0].value
    assert value == pytest.approx(FIXTURES["sample_data"][loss], rel=1e-12)


def test_sample_data_weighted_matches_sklearn():
    requests = resolve_requests("mse", [], default_registry())
    files = [str(SAMPLE / "preds.csv"), str(SAMPLE / "targets.csv")]
    options = Options(weights=str(SAMPLE / "weights.csv"))
    value = evaluate(requests, files, options).results[0].value
    assert value == pytest.approx(FIXTURES["sample_data"]["mse_weighted"], rel=1e-12)
