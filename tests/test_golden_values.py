"""Every loss against values computed by PyTorch, scikit-learn, Keras, scipy or mpmath.

The values were produced by tests/fixtures/make_fixtures.py (regression),
tests/fixtures/make_catalogue_fixtures.py (everything else) and
tests/fixtures/make_convention_fixtures.py (what --convention must reproduce); each case
names its source.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import FIXTURES, ROOT, SAMPLE
from loss_data import pairs

from losscli.catalogue import default_registry
from losscli.evaluate import evaluate, evaluate_arrays
from losscli.requests import Options, resolve_requests

CASES = [
    *FIXTURES["cases"],
    *json.loads((ROOT / "tests/fixtures/catalogue.json").read_text())["cases"],
    *json.loads((ROOT / "tests/fixtures/conventions.json").read_text())["cases"],
]


def _id(case):
    return f"{case['loss']}-{case['reduction']}-{case['source'][:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_independent_implementation(case):
    params = [
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in case["params"].items()
    ]
    requests = resolve_requests(case["loss"], pairs(params), default_registry())
    named = case.get("inputs") or {k: case[k] for k in ("predictions", "targets")}
    arrays = {name: np.array(values) for name, values in named.items()}
    if "weights" in case:
        arrays["weights"] = np.array(case["weights"])
    options = Options(reduction=case["reduction"], convention=case.get("convention"))
    result = evaluate_arrays(requests, arrays, options).results[0]
    got = result.values if case["reduction"] == "none" else result.value
    expected = np.array(case["expected"], dtype=np.float64)  # null -> NaN
    np.testing.assert_allclose(got, expected, rtol=case["rtol"], atol=0)


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
