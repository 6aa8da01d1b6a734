"""Registry-wide properties, in the spirit of scikit-learn's metrics/tests/test_common.py.

Every registered loss is checked against its slow reference and for the invariances a user
relies on when weighting, reordering or chunking rows. ``loss_data.DATA`` says how to draw
valid inputs for each loss; a completeness test fails when a loss has no place in it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loss_data import DATA, extreme, pairs

from losscli.catalogue import default_registry
from losscli.evaluate import evaluate_arrays
from losscli.registry import Rows
from losscli.requests import Options, resolve_requests

REGISTRY = default_registry()
LOSSES = [loss.name for loss in REGISTRY]
# Non-default parameter values to exercise, per loss.
OTHER_PARAMS = {
    "huber": ["delta=0.2"],
    "smooth_l1": ["beta=0.3", "beta=0"],
    "pinball": ["alpha=0.9"],
    "bce": ["from_logits=true", "pos_weight=1,2,3", "label_smoothing=0.1"],
    "bce_with_logits": ["pos_weight=2", "label_smoothing=0.2"],
    "focal": ["from_logits=true", "alpha=-1", "gamma=0", "alpha=0.1,0.5,0.9"],
    "cross_entropy": ["label_smoothing=0.1", "class_weights=1,2,3,0.5,1", "ignore_index=2"],
    "nll": ["class_weights=1,2,3,0.5,1", "ignore_index=0"],
    "categorical_crossentropy": ["label_smoothing=0.2"],
    "categorical_focal": ["gamma=0.5", "alpha=1,2,3,4,5"],
    "multi_margin": ["p=2", "margin=0.3", "class_weights=1,2,3,4,5"],
    "poly1": ["epsilon=-0.5"],
    "poisson_nll": ["full=true"],
    "gaussian_nll": ["full=true"],
    "tweedie": ["power=1", "power=1.5", "power=2", "power=3", "power=-1"],
    "kl_div": ["log_target=true"],
    "cosine_embedding": ["margin=0.3"],
    "dice": ["smooth=0"],
    "iou": ["smooth=0"],
    "tversky": ["alpha=0.7", "beta=0.1"],
    "contrastive": ["margin=2"],
    "triplet": ["swap=true", "p=1", "margin=0.1"],
    "margin_ranking": ["margin=0.5"],
    "hinge_embedding": ["margin=0.5"],
    "ctc": ["zero_infinity=true"],
}


def data_for(loss: str, seed: int = 0, n: int = 40) -> dict[str, np.ndarray]:
    return DATA[loss](np.random.default_rng(seed), n)


def values(loss, arrays, params=(), **options):
    requests = resolve_requests(loss, pairs(params), REGISTRY)
    return evaluate_arrays(requests, arrays, Options(**options)).results[0]


def rows_axis(loss: str, name: str) -> int:
    return next(i.row_axis for i in REGISTRY.get(loss).inputs if i.name == name)


def take_rows(loss: str, data: dict, index) -> dict:
    """The rows ``index`` of every input, along each input's own row axis."""
    return {
        k: np.take(v, index, axis=rows_axis(loss, k) if k != "weights" else 0)
        for k, v in data.items()
    }


def as_arrays(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(result, Rows):
        n = len(result.values)
        means = result.values if result.means is None else result.means
        norms = np.ones(n) if result.norms is None else result.norms
        return np.asarray(result.values), np.asarray(means), np.asarray(norms)
    return result, result, np.ones(len(result))


def fn_inputs(loss: str, data: dict) -> dict:
    """Arrays as the loss function sees them: row axis first, as the evaluator hands them."""
    return {k: np.moveaxis(v, rows_axis(loss, k), 0) for k, v in data.items()}


def test_every_loss_has_a_data_generator():
    assert set(LOSSES) <= set(DATA), set(LOSSES) - set(DATA)


@pytest.mark.parametrize("loss", LOSSES)
def test_vectorized_equals_reference(loss):
    entry = REGISTRY.get(loss)
    data = fn_inputs(loss, data_for(loss, seed=len(loss), n=30))
    for params in [[], *([p] for p in OTHER_PARAMS.get(loss, []))]:
        request = resolve_requests(loss, pairs(params), REGISTRY)[0]
        fast = as_arrays(entry.fn(**data, **request.params))
        slow = as_arrays(entry.reference(**data, **request.params))
        assert fast[0].shape == (30,)
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-300, err_msg=str(params))


@pytest.mark.parametrize("loss", LOSSES)
def test_declared_properties_hold(loss):
    entry = REGISTRY.get(loss)
    if not entry.properties:
        pytest.skip(f"{loss} declares no properties to check")
    data = fn_inputs(loss, data_for(loss, seed=1))
    v = as_arrays(entry.fn(**data, **entry.defaults()))[0]
    assert np.isfinite(v).all(), "valid inputs give finite values"
    if "nonnegative" in entry.properties:
        assert (v >= -1e-15).all()
    if "zero_at_perfect" in entry.properties:
        perfect = {**data, "predictions": data["targets"]}
        np.testing.assert_allclose(
            as_arrays(entry.fn(**perfect, **entry.defaults()))[0], 0, atol=1e-15
        )
    if "symmetric" in entry.properties:
        swapped = {**data, "predictions": data["targets"], "targets": data["predictions"]}
        np.testing.assert_allclose(
            as_arrays(entry.fn(**swapped, **entry.defaults()))[0], v, rtol=1e-14
        )


@pytest.mark.parametrize("loss", LOSSES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_invariances_under_weights_order_and_chunks(loss, data):
    n = data.draw(st.integers(1, 30))
    seed = data.draw(st.integers(0, 2**16))
    base = data_for(loss, seed, n)
    whole = values(loss, base).value
    assert np.isfinite(whole), "valid inputs give a finite value: a NaN would prove nothing"

    # Equal weights change nothing; any chunking gives the same result.
    c = data.draw(st.floats(0.01, 100))
    assert values(loss, {**base, "weights": np.full(n, c)}).value == pytest.approx(whole, rel=1e-12)
    chunk = data.draw(st.integers(1, n))
    assert values(loss, base, chunk_rows=chunk).value == pytest.approx(whole, rel=1e-12)

    # Row order does not matter; integer weights repeat rows.
    order = data.draw(st.permutations(range(n)))
    assert values(loss, take_rows(loss, base, list(order))).value == pytest.approx(whole, rel=1e-12)
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    if counts.sum() > 0:
        repeated = take_rows(loss, base, np.repeat(np.arange(n), counts))
        weighted = values(loss, {**base, "weights": counts.astype(float)}).value
        assert weighted == pytest.approx(values(loss, repeated).value, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("loss", [n for n in LOSSES if "none" in REGISTRY.get(n).reductions])
def test_sum_and_none_agree_with_mean(loss):
    data = data_for(loss, seed=3, n=30)
    per_row = values(loss, data, reduction="none").values
    assert values(loss, data, reduction="sum").value == pytest.approx(per_row.sum(), rel=1e-12)
    _, means, norms = as_arrays(
        REGISTRY.get(loss).fn(**fn_inputs(loss, data), **REGISTRY.get(loss).defaults())
    )
    assert values(loss, data).value == pytest.approx(means.sum() / norms.sum(), rel=1e-12)


@pytest.mark.parametrize("loss", [n for n in LOSSES if extreme(n) is not None])
def test_finite_at_extreme_inputs(loss):
    entry = REGISTRY.get(loss)
    data = extreme(loss)
    for params in [[], *([p] for p in OTHER_PARAMS.get(loss, []) if "=1,2" not in p)]:
        request = resolve_requests(loss, pairs(params), REGISTRY)[0]
        if request.params.get("from_logits") and data["predictions"].max() <= 1:
            continue
        v = as_arrays(entry.fn(**data, **request.params))[0]
        # Squared losses of 1e150 reach 1e300: large but still finite.
        assert np.isfinite(v).all(), (params, v)


def _points(param, classes: int) -> list:
    """Values across a parameter's declared range: each closed bound, just inside each open
    bound, and one value inside."""
    if param.kind == "bool":
        return []  # a switch of input space, exercised by OTHER_PARAMS on fitting data
    low, high = param.low, param.high
    if param.kind == "int":
        if low is None:
            return [0]
        return sorted({int(low), int(low) + 1} | ({int(high)} if high is not None else set()))
    points = []
    if low is not None:
        points.append(low + 0.25 if param.low_open else low)
    if high is not None:
        points.append(high - 0.25 if param.high_open else high)
    if low is not None and high is not None:
        points.append((low + high) / 2)
    elif low is not None:
        points.append(low + 2.5)
    elif high is not None:
        points.append(high - 2.5)
    else:
        default = param.default if isinstance(param.default, float) else 0.0
        points += [default - 0.5, default + 0.5]
    if param.kind == "floats":
        return [tuple([p] * classes) for p in points] + [
            tuple(points[i % len(points)] for i in range(classes))
        ]
    return points


# Parameters whose range is not the whole story: values a valid input never meets together.
RANGE_EXEMPT = {("ctc", "blank"), ("tweedie", "power")}


def range_cases():
    for name in LOSSES:
        entry = REGISTRY.get(name)
        for param in entry.params:
            if (name, param.name) not in RANGE_EXEMPT:
                yield name, param.name


@pytest.mark.parametrize("loss, param", list(range_cases()))
def test_vectorized_equals_reference_across_the_declared_range(loss, param):
    """Every declared parameter at its bounds and inside them (bce's pos_weight=0 included)."""
    entry = REGISTRY.get(loss)
    data = fn_inputs(loss, data_for(loss, seed=3, n=25))
    predictions = data.get("predictions", next(iter(data.values())))
    classes = predictions.shape[1] if predictions.ndim > 1 else 1
    spec = entry.param(param)
    for value in _points(spec, classes):
        params = entry.defaults() | {param: spec.value(value, loss)}
        fast = as_arrays(entry.fn(**data, **params))
        slow = as_arrays(entry.reference(**data, **params))
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-300, err_msg=f"{param}={value}")


def test_declared_properties_are_known_ones():
    from losscli.registry import PROPERTIES, Loss, Registry

    assert {p for loss in REGISTRY for p in loss.properties} <= set(PROPERTIES)
    entry = REGISTRY.get("mse")
    bad = Loss(
        **{**entry.__dict__, "name": "x", "aliases": (), "properties": frozenset({"convex"})}
    )
    with pytest.raises(ValueError, match="unknown properties"):
        Registry().register(bad)


VARIANTS = [
    (loss.name, name) for loss in REGISTRY for name, v in loss.variants.items() if v.fn is not None
]


def test_every_convention_variant_has_a_slow_reference():
    missing = [
        f"{loss}/{name}"
        for loss, name in VARIANTS
        if REGISTRY.get(loss).variants[name].reference is None
    ]
    assert not missing


@pytest.mark.parametrize("loss, convention", VARIANTS)
def test_convention_variant_equals_its_reference(loss, convention):
    entry = REGISTRY.get(loss)
    variant = entry.variants[convention]
    data = fn_inputs(loss, data_for(loss, seed=11, n=25))
    if (loss, convention) == ("msle", "sklearn"):  # scikit-learn's domain is x > -1
        data = {k: np.abs(v) for k, v in data.items()}
    params = entry.defaults()
    fast = as_arrays(variant.fn(**data, **params))
    slow = as_arrays(variant.reference(**data, **params))
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-300)
    if convention == "keras" and "from_logits" in params:  # the logits path too
        logits = {**data, "predictions": np.log(data["predictions"])}
        fast = as_arrays(variant.fn(**logits, **{**params, "from_logits": True}))
        slow = as_arrays(variant.reference(**logits, **{**params, "from_logits": True}))
        np.testing.assert_allclose(fast[0], slow[0], rtol=1e-10)


def test_family_index_names_every_loss_of_its_module():
    """A command imports only the family module of the loss it uses: the index must list
    exactly what each module declares, or a loss would be found late or not at all."""
    from losscli.losses import FAMILY_MODULES, FAMILY_NAMES, family_losses

    assert list(FAMILY_NAMES) == list(FAMILY_MODULES)
    for family in FAMILY_MODULES:
        assert FAMILY_NAMES[family].split() == [loss.name for loss in family_losses(family)]


def test_lazy_families_list_in_catalogue_order_whatever_was_looked_up_first():
    from losscli.losses import register_builtins
    from losscli.registry import Registry

    eager = [loss.name for loss in default_registry()]
    registry = register_builtins(Registry())
    assert registry.get("ctc").name == "ctc"  # the last family, loaded first
    assert registry.get("l2").name == "mse"  # an alias: every family loads
    assert [loss.name for loss in registry] == eager
    assert eager[0] == "mse" and eager[-1] == "ctc"


def _string_constants(folder) -> list[str]:
    import ast

    texts = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.append(" ".join(node.value.split()))
    return texts


def test_each_formula_is_written_once():
    """A formula lives in its function's docstring (or, for a loss made from another's
    function, in its entry): never twice, where two copies could drift apart."""
    from pathlib import Path

    import losscli.losses

    texts = _string_constants(Path(losscli.losses.__file__).parent)
    for loss in REGISTRY:
        assert loss.formula, loss.name
        written = [t for t in texts if loss.formula in t]
        assert len(written) == 1, (loss.name, loss.formula, written)


def test_formula_comes_from_the_docstring_of_the_function():
    from losscli.registry import formula_of

    own = [loss for loss in REGISTRY if loss.fn.__name__.lstrip("_") == loss.name]
    assert len(own) > 40
    for loss in own:
        assert loss.formula == formula_of(loss.fn), loss.name
        assert loss.formula in " ".join(loss.fn.__doc__.split())
