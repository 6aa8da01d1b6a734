"""Registry-wide properties, in the spirit of scikit-learn's metrics/tests/test_common.py.

Every registered loss is checked against its slow reference and for the invariances a user
relies on when weighting, reordering or chunking rows. ``DATA`` says how to draw valid
inputs for each family; a completeness test fails when a loss has no place in it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from losscli.evaluate import Options, evaluate_arrays, resolve_requests
from losscli.registry import default_registry

REGISTRY = default_registry()
LOSSES = [loss.name for loss in REGISTRY]
# Non-default parameter values to exercise, per loss.
OTHER_PARAMS = {
    "huber": ["delta=0.2"],
    "smooth_l1": ["beta=0.3", "beta=0"],
    "pinball": ["alpha=0.9"],
}


def regression_data(rng: np.random.Generator, n: int, d: int | None) -> dict[str, np.ndarray]:
    shape = (n,) if d is None else (n, d)
    targets = rng.normal(size=shape) * 3
    targets.flat[::7] = 0.0  # zeros exercise MAPE's epsilon
    return {"predictions": rng.normal(size=shape) * 3, "targets": targets}


DATA = {"regression": regression_data}


def values(loss: str, arrays, params=(), **options):
    requests = resolve_requests(loss, list(params), REGISTRY)
    return evaluate_arrays(requests, arrays, Options(**options)).results[0]


def test_every_loss_has_a_data_generator():
    assert {loss.family for loss in REGISTRY} <= set(DATA)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("d", [None, 4])
def test_vectorized_equals_reference(loss, d):
    entry = REGISTRY.get(loss)
    rng = np.random.default_rng(hash((loss, d)) % 2**32)
    data = DATA[entry.family](rng, 50, d)
    for params in [[], *([p] for p in OTHER_PARAMS.get(loss, []))]:
        request = resolve_requests(loss, params, REGISTRY)[0]
        fast = entry.fn(**data, **request.params)
        slow = entry.reference(**data, **request.params)
        assert fast.shape == (50,)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("loss", LOSSES)
def test_declared_properties_hold(loss):
    entry = REGISTRY.get(loss)
    data = DATA[entry.family](np.random.default_rng(1), 40, None)
    v = entry.fn(**data, **entry.defaults())
    if "nonnegative" in entry.properties:
        assert (v >= 0).all()
    if "zero_at_perfect" in entry.properties:
        perfect = {"predictions": data["targets"], "targets": data["targets"]}
        assert (entry.fn(**perfect, **entry.defaults()) == 0).all()
    if "symmetric" in entry.properties:
        swapped = {"predictions": data["targets"], "targets": data["predictions"]}
        np.testing.assert_allclose(entry.fn(**swapped, **entry.defaults()), v, rtol=1e-14)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("loss", LOSSES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_invariances_under_weights_order_and_chunks(loss, data):
    n = data.draw(st.integers(1, 40))
    p = data.draw(arrays(np.float64, n, elements=finite))
    y = data.draw(arrays(np.float64, n, elements=finite))
    base = {"predictions": p, "targets": y}
    whole = values(loss, base).value

    # Zero at a perfect prediction, never negative.
    entry = REGISTRY.get(loss)
    if "zero_at_perfect" in entry.properties:
        assert values(loss, {"predictions": y, "targets": y}).value == 0
    assert whole >= 0

    # Equal weights change nothing; any chunking gives the same result.
    c = data.draw(st.floats(0.01, 100))
    assert values(loss, {**base, "weights": np.full(n, c)}).value == pytest.approx(whole, rel=1e-12)
    chunk = data.draw(st.integers(1, n))
    assert values(loss, base, chunk_rows=chunk).value == pytest.approx(whole, rel=1e-12)

    # Row order does not matter; integer weights repeat rows; weight 0 removes a row.
    order = data.draw(st.permutations(range(n)))
    shuffled = {k: v[list(order)] for k, v in base.items()}
    assert values(loss, shuffled).value == pytest.approx(whole, rel=1e-12)
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    if counts.sum() > 0:
        repeated = {k: np.repeat(v, counts) for k, v in base.items()}
        weighted = values(loss, {**base, "weights": counts.astype(float)}).value
        assert weighted == pytest.approx(values(loss, repeated).value, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("loss", [n for n in LOSSES if "none" in REGISTRY.get(n).reductions])
def test_sum_and_none_agree_with_mean(loss):
    data = regression_data(np.random.default_rng(3), 30, None)
    per_row = values(loss, data, reduction="none").values
    assert values(loss, data, reduction="sum").value == pytest.approx(per_row.sum(), rel=1e-12)
    assert values(loss, data).value == pytest.approx(per_row.mean(), rel=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
def test_finite_at_extreme_inputs(loss):
    p = np.array([1e4, -1e4, 1e150, -1e150, 0.0, 1e-300])
    y = np.array([-1e4, 1e4, 0.0, 0.0, 0.0, 0.0])
    entry = REGISTRY.get(loss)
    v = entry.fn(predictions=p, targets=y, **entry.defaults())
    # Squared losses of 1e150 reach 1e300: large but still finite.
    assert np.isfinite(v).all(), v
