"""A number is a function of the data alone: every total is the exact sum of its terms rounded
once, whatever the chunking, file split, row order, engine or CPU.

The oracle is exact rational arithmetic (``fractions.Fraction``) and ``math.fsum``, never the
code under test.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losscli
from losscli.pipeline.exact_sum import ExactSums

ROOT = Path(__file__).parents[1]
CHUNKS = (1, 7, 4096, None)  # None: the whole array at once


def exact(values) -> Fraction:
    return sum((Fraction(float(v)) for v in values), Fraction(0))


def summed(values: np.ndarray, chunk: int | None, codes: np.ndarray | None = None) -> ExactSums:
    sums = ExactSums(1)
    step = chunk or max(len(values), 1)
    for start in range(0, len(values), step):
        part = None if codes is None else codes[start : start + step]
        sums.add(values[start : start + step], part)
    return sums


ADVERSARIAL = {
    "cancellation": np.array([1e16, 1.0, -1e16] * 5 + [3.0]),
    "huge and tiny": np.array([1e300, 1e-300, -1e300, 5e-324, 1.0, -1.0, 2.0**-1074]),
    "near the top": np.array([1.7e308, 1.7e308, -1.7e308, -1.6e308, 1e292]),
    "subnormals": np.array([5e-324] * 1000 + [-2.2e-308, 4.4e-308]),
    "alternating": (-1.0) ** np.arange(10_001) * (1 + np.arange(10_001) * 2.0**-40),
    "spread": np.random.default_rng(3).standard_normal(20_000)
    * np.exp(np.random.default_rng(4).uniform(-700, 700, 20_000)),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("chunk", CHUNKS)
def test_sums_are_the_exact_sum_rounded_once(name, chunk):
    values = ADVERSARIAL[name]
    assert summed(values, chunk).rounded()[0] == float(exact(values))
    if name != "near the top":  # fsum's partials overflow there; the exact answer does not
        assert summed(values, chunk).rounded()[0] == math.fsum(values)


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=0, max_size=60),
    st.integers(1, 9),
)
@settings(max_examples=300, deadline=None)
def test_any_finite_floats_in_any_chunking(values, chunk):
    values = np.array(values, dtype=np.float64)
    expected = exact(values)
    got = summed(values, chunk).rounded()[0]
    try:
        assert got == float(expected)
    except OverflowError:  # beyond float64: the rounded sum is inf
        assert got == (math.inf if expected > 0 else -math.inf)


def test_means_and_ratios_are_rounded_once():
    values = np.array([0.1] * 10 + [1e308, 1e308])
    sums = summed(values, 5)
    assert sums.ratio(len(values)) == float(exact(values) / len(values))
    both = ExactSums(1)
    both.add(np.array([1e308, 1e308]))
    assert both.ratio(2) == 1e308  # the mean of [1e308, 1e308]
    assert both.rounded()[0] == math.inf


def test_products_with_weights_spanning_1e300_to_1e_300():
    rng = np.random.default_rng(0)
    weights = 10.0 ** rng.uniform(-300, 300, 5000)
    values = rng.standard_normal(5000) * 10.0 ** rng.uniform(-5, 5, 5000) / weights
    # Every product w * v is a normal float64 here, so float64's own product is the term.
    products = weights * values
    assert np.all(np.abs(products) > 1e-300) and np.all(np.isfinite(products))
    for chunk in CHUNKS:
        sums, totals = ExactSums(1), ExactSums(1)
        step = chunk or 5000
        for start in range(0, 5000, step):
            sums.add_products(weights[start : start + step], values[start : start + step])
            totals.add(weights[start : start + step])
        assert sums.rounded()[0] == float(exact(products))
        assert sums.ratio(totals) == float(exact(products) / exact(weights))


def test_products_that_overflow_float64_still_give_the_finite_mean():
    weights = np.array([2.0**1000, 1.0, 2.0**-1000])
    values = np.array([3.0 * 2.0**100, 5.0, 7.0])  # the first product is 3 * 2**1100
    sums, totals = ExactSums(1), ExactSums(1)
    sums.add_products(weights, values)
    totals.add(weights)
    terms = [Fraction(w) * Fraction(v) for w, v in zip(weights.tolist(), values.tolist())]
    assert sums.ratio(totals) == float(sum(terms) / exact(weights))


def test_group_sums_equal_each_groups_rows_alone():
    rng = np.random.default_rng(1)
    values = rng.standard_normal(30_000) * np.exp(rng.uniform(-300, 300, 30_000))
    codes = rng.integers(0, 300, 30_000)
    for chunk in (7, 4096, None):
        sums = summed(values, chunk, codes)
        got = sums.rounded()
        for g in range(300):
            assert got[g] == math.fsum(values[codes == g])


def test_inf_and_nan_follow_ieee():
    for terms, expected in (
        ([1.0, math.inf], math.inf),
        ([-math.inf, 1.0], -math.inf),
        ([math.inf, -math.inf], math.nan),
        ([1.0, math.nan], math.nan),
    ):
        got = summed(np.array(terms), 1).rounded()[0]
        assert got == expected or (math.isnan(expected) and math.isnan(got))


def test_square_root_of_an_exact_sum_is_rounded_once():
    big = np.array([3.0, 4.0]) * 2.0**600  # squares beyond float64: 9 + 16 = 25 times 2**1200
    squares = ExactSums(1)
    squares.add_products(big, big)
    assert squares.rounded()[0] == math.inf
    assert squares.sqrt() == 5.0 * 2.0**600
    for n in (2, 3, 10, 12345):
        s = ExactSums(1)
        s.add(np.array([float(n)]))
        assert s.sqrt() == math.sqrt(n)  # IEEE sqrt is correctly rounded


# -- through the pipeline --------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 2000
    y = rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))
    frame = pd.DataFrame(
        {
            "p": y + rng.standard_normal(n) * np.exp(rng.uniform(-30, 10, n)),
            "y": y,
            "w": np.exp(rng.uniform(-300, 300, n)),
            "g": rng.choice(["a", "b", "c", "d"], n),
        }
    )
    path = tmp_path_factory.mktemp("hostile") / "rows.parquet"
    frame.to_parquet(path)
    return path, frame


def _oracle_mse(frame: pd.DataFrame, weighted: bool) -> float:
    errors = [(p - y) ** 2 for p, y in zip(frame.p, frame.y)]
    if not weighted:
        return float(exact(errors) / len(errors))
    terms = exact([w * e for w, e in zip(frame.w, errors)])  # products are normal here
    return float(terms / exact(frame.w))


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_compute_gives_the_same_bits_in_any_chunking(hostile, chunk):
    path, frame = hostile
    cols = {"predictions": "p", "targets": "y"}
    plain = losscli.compute("mse", str(path), columns=cols, chunk_rows=chunk, group_by="g")
    weighted = losscli.compute(
        "mse", str(path), columns={**cols, "weights": "w"}, chunk_rows=chunk, group_by="g"
    )
    assert plain.value == _oracle_mse(frame, weighted=False)
    assert weighted.value == _oracle_mse(frame, weighted=True)
    for group in weighted.groups:
        assert group.value == _oracle_mse(frame[frame.g == group.group], weighted=True)


def test_row_order_and_file_split_do_not_change_a_bit(hostile, tmp_path):
    path, frame = hostile
    cols = {"predictions": "p", "targets": "y", "weights": "w"}
    expected = losscli.compute("mae", str(path), columns=cols, group_by="g")
    rng = np.random.default_rng(11)
    for files in (2, 5):
        shuffled = frame.iloc[rng.permutation(len(frame))]
        folder = tmp_path / f"split{files}"
        folder.mkdir()
        for i, part in enumerate(np.array_split(np.arange(len(frame)), files)):
            shuffled.iloc[part].to_csv(folder / f"part-{i}.csv", index=False)
        got = losscli.compute("mae", str(folder), columns=cols, group_by="g", chunk_rows=333)
        assert got.value == expected.value
        assert [g.value for g in got.groups] == [g.value for g in expected.groups]


def test_errors_near_the_float64_limit_have_a_finite_mean(tmp_path, run):
    (tmp_path / "p.csv").write_text("p\n1e308\n-1e308\n1e308\n")
    (tmp_path / "t.csv").write_text("t\n0\n0\n0\n")
    result = run("compute", "mae", tmp_path / "p.csv", tmp_path / "t.csv", "-o", "json")
    assert result.code == 0, result.stderr
    assert result.value() == 1e308
    result = run("compute", "mae", tmp_path / "p.csv", tmp_path / "t.csv", "--reduction", "sum")
    assert result.code == 0 and result.value() is None  # beyond float64: inf, null in JSON


def test_seeded_intervals_are_the_same_in_any_chunking(hostile):
    path, _ = hostile
    cols = {"predictions": "p", "targets": "y", "weights": "w"}
    seen = {
        losscli.compute("mae", str(path), columns=cols, ci=0.9, seed=3, chunk_rows=c).ci
        for c in (7, 4096, 1 << 20)
    }
    assert len(seen) == 1


def test_readme_examples_print_the_same_digits_at_every_simd_level():
    """NumPy picks exp/log kernels by CPU (AVX-512, AVX2, SSE), and they differ in the last
    bit: every README example must print the same at each dispatch level this CPU can take."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    levels = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from readme_examples import README, examples, normalise, run_all\n"
        "items = examples(README.read_text())\n"
        "bad = [i.command for i, (o, _) in zip(items, run_all(items))"
        " if normalise(o) != normalise(i.shown)]\n"
        "print('\\n'.join(bad))\n"
    )
    for first in sorted({0, len(levels) // 2}):
        disabled = " ".join(levels[first:]) if levels else ""
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "", f"with {disabled} disabled:\n{done.stdout}"


def test_grad_norms_of_huge_gradients_are_finite(tmp_path, run):
    """MSE's gradient 2 (p - y) of 1e200-sized errors: the norm over three rows is
    2e200 * sqrt(3), not inf (squares beyond float64) and not 0."""
    (tmp_path / "p.csv").write_text("p\n1e200\n-1e200\n1e200\n")
    (tmp_path / "t.csv").write_text("t\n0\n0\n0\n")
    result = run("grad", "mse", tmp_path / "p.csv", tmp_path / "t.csv", "-o", "json")
    assert result.code == 0, result.stderr
    assert f"norm of the per-row gradients: {2e200 * math.sqrt(3):.5g}" in result.stderr
    assert f"norm of the mean loss's gradient: {2e200 * math.sqrt(3) / 3:.5g}" in result.stderr


@pytest.mark.parametrize("chunk", CHUNKS)
def test_weighted_terms_are_the_same_whichever_path_a_chunk_takes(chunk):
    """Chunks whose products w * v are normal floats take float64's product; chunks where one
    overflows or underflows take mantissas and exponents: the terms, and so the bits, agree."""
    rng = np.random.default_rng(9)
    n = 3000
    weights = rng.integers(1, 9, n) * 2.0 ** rng.choice(
        [-1000, -3, 0, 5, 1000], n, p=[0.01, 0.3, 0.38, 0.3, 0.01]
    )
    values = rng.integers(-9, 9, n) * 2.0 ** rng.choice([-60, 0, 60], n)
    exact_terms = [Fraction(w) * Fraction(v) for w, v in zip(weights.tolist(), values.tolist())]
    sums, totals = ExactSums(1), ExactSums(1)
    step = chunk or n
    for start in range(0, n, step):
        sums.add_products(weights[start : start + step], values[start : start + step])
        totals.add(weights[start : start + step])
    assert sums.ratio(totals) == float(sum(exact_terms) / exact(weights))


def test_intervals_with_weights_near_the_float64_limit_are_finite(tmp_path, run):
    """Bootstrap parts divide the weights by a power of two no larger than the largest: a
    weight of 1.7e308 neither overflows the parts nor the divisor."""
    (tmp_path / "rows.csv").write_text("p,y,w\n1,0,1.7e308\n2,0,1\n3,1,1e-300\n")
    result = run(
        "compute",
        "mse",
        tmp_path / "rows.csv",
        "--col",
        "predictions=p",
        "--col",
        "targets=y",
        "--col",
        "weights=w",
        "--ci",
        "0.9",
        "--bootstrap",
        "50",
        "-o",
        "json",
    )
    assert result.code == 0, result.stderr
    record = result.json()["results"][0]
    assert record["value"] == 1.0  # the 1.7e308 row's loss, the others' weight negligible
    low, high = record["ci"]
    assert low is not None and high is not None and 1.0 <= low <= high <= 4.0
