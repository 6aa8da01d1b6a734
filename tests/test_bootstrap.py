"""Bootstrap intervals: coverage on simulated data with a known answer, pairing, seeds, and
the compare command's numbers against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.catalogue import default_registry
from losscli.comparison import compare
from losscli.evaluate import evaluate_arrays
from losscli.requests import Options, resolve_requests

REGISTRY = default_registry()
TRIALS = 300


def _coverage(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


def test_compute_ci_covers_the_true_mae(tmp_path):
    """E|e| = sqrt(2/pi) for e ~ N(0, 1): a 90% interval should hold it in ~90% of samples."""
    truth = math.sqrt(2 / math.pi)
    requests = resolve_requests("mae", [], REGISTRY)
    hits = []
    for trial in range(TRIALS):
        rng = np.random.default_rng(1000 + trial)
        targets = rng.normal(size=150)
        predictions = targets + rng.normal(size=150)
        options = Options(ci=0.9, bootstrap=500, seed=trial)
        result = evaluate_arrays(
            requests, {"predictions": predictions, "targets": targets}, options
        ).results[0]
        low, high = result.ci
        assert low <= result.value <= high
        hits.append(low <= truth <= high)
    # Binomial sd at 300 trials is 1.7 points; the percentile bootstrap runs slightly narrow.
    assert 0.84 <= _coverage(hits) <= 0.95


def _engine_interval(predictions, targets, partitions: int, seed: int):
    """A 90% interval as the Dask engine makes it: each partition's rows Poisson-weighted by
    its own stream, the partitions' replicate sums merged (run here, without a cluster)."""
    from losscli.pipeline.run import Run, plan, read
    from losscli.pipeline.sources import open_sources
    from losscli.pipeline.states import RunState

    requests = resolve_requests("mae", [], REGISTRY)
    options = Options(ci=0.9, bootstrap=500, seed=seed)
    states, first = [], None
    for k, rows in enumerate(np.array_split(np.arange(len(targets)), partitions)):
        data = {"predictions": predictions[rows], "targets": targets[rows]}
        sources = open_sources([data], options)
        first = first or Run(requests, plan(requests, sources, options), options)
        states.append(read(requests, sources, options).state(k))
    first.absorb(RunState.concat(states))
    return first.finish().results[0]


def test_engine_poisson_bootstrap_covers_the_true_mae():
    """The same coverage check as above for the resampling the Dask engine uses."""
    truth = math.sqrt(2 / math.pi)
    hits = []
    for trial in range(TRIALS):
        rng = np.random.default_rng(1000 + trial)
        targets = rng.normal(size=150)
        predictions = targets + rng.normal(size=150)
        result = _engine_interval(predictions, targets, 3, trial)
        low, high = result.ci
        assert low <= result.value <= high
        assert math.isclose(
            result.value, float(np.mean(np.abs(predictions - targets))), rel_tol=1e-12
        )
        hits.append(low <= truth <= high)
    assert 0.84 <= _coverage(hits) <= 0.95


def test_engine_poisson_bootstrap_depends_on_the_seed_and_the_partitioning_only():
    rng = np.random.default_rng(5)
    targets = rng.normal(size=600)
    predictions = targets + rng.normal(size=600)
    first = _engine_interval(predictions, targets, 4, 1).ci
    assert _engine_interval(predictions, targets, 4, 1).ci == first
    assert _engine_interval(predictions, targets, 4, 2).ci != first
    assert _engine_interval(predictions, targets, 3, 1).ci != first


def _write_models(tmp_path, rng, n):
    """Model B = model A's error plus a shift: the true MSE difference is E[u^2] = 0.18."""
    targets = rng.normal(size=n)
    error_a = rng.normal(size=n)
    shift = rng.normal(loc=0.3, scale=0.3, size=n)
    np.save(tmp_path / "a.npy", targets + error_a)
    np.save(tmp_path / "b.npy", targets + error_a + shift)
    np.save(tmp_path / "y.npy", targets)
    return [str(tmp_path / f) for f in ("a.npy", "b.npy", "y.npy")]


def test_paired_interval_covers_the_known_difference(tmp_path):
    truth = 0.18
    requests = resolve_requests("mse", [], REGISTRY)
    hits = []
    for trial in range(TRIALS):
        a, b, y = _write_models(tmp_path, np.random.default_rng(trial), 200)
        comparison, _ = compare(requests, a, b, [y], Options(bootstrap=500, seed=trial))
        low, high = comparison.overall.ci
        hits.append(low <= truth <= high)
    # An unpaired interval would be ~4x wider here and cover nearly always.
    assert 0.90 <= _coverage(hits) <= 0.985


def test_compare_numbers_against_an_independent_computation(run, tmp_path):
    a, b, y = _write_models(tmp_path, np.random.default_rng(42), 2000)
    pa, pb, t = np.load(a), np.load(b), np.load(y)
    result = run("compare", "mse", a, b, y, "-o", "json")
    assert result.code == 0, result.stderr
    record = result.json()["results"][0]
    loss_a, loss_b = (pa - t) ** 2, (pb - t) ** 2
    assert record["a"] == pytest.approx(loss_a.mean(), rel=1e-12)
    assert record["b"] == pytest.approx(loss_b.mean(), rel=1e-12)
    assert record["difference"] == pytest.approx(loss_b.mean() - loss_a.mean(), rel=1e-9)
    assert record["b_better_share"] == pytest.approx(np.mean(loss_b < loss_a))
    # The paired interval's width is close to the normal theory one: 2 z sd(d) / sqrt(n).
    d = loss_b - loss_a
    normal_width = 2 * 1.959964 * d.std(ddof=1) / math.sqrt(len(d))
    low, high = record["ci"]
    assert high - low == pytest.approx(normal_width, rel=0.1)
    assert record["verdict"] == "B worse"
    assert (record["bootstrap"], record["seed"], record["confidence"]) == (2000, 0, 0.95)


def test_same_seed_same_interval_other_seed_other_interval(run, tmp_path):
    a, b, y = _write_models(tmp_path, np.random.default_rng(5), 300)
    first = run("compare", "mse", a, b, y, "-o", "json").json()["results"][0]["ci"]
    again = run("compare", "mse", a, b, y, "-o", "json").json()["results"][0]["ci"]
    other = run("compare", "mse", a, b, y, "--seed", "1", "-o", "json").json()["results"][0]["ci"]
    assert first == again
    assert first != other


def test_fail_if_worse_exit_status(run, tmp_path):
    a, b, y = _write_models(tmp_path, np.random.default_rng(8), 2000)
    worse = run("compare", "mse", a, b, y, "--fail-if-worse", "-o", "json")
    assert worse.code == 1
    assert worse.json()["results"][0]["verdict"] == "B worse"
    better = run("compare", "mse", b, a, y, "--fail-if-worse", "-o", "json")
    assert better.code == 0
    assert better.json()["results"][0]["verdict"] == "B better"
    same = run("compare", "mse", a, a, y, "--fail-if-worse", "-o", "json")
    assert same.code == 0
    record = same.json()["results"][0]
    assert record["difference"] == 0 and record["ci"] == [0, 0]
    assert record["verdict"] == "no clear difference"


def test_compare_groups_and_table(run, tmp_path):
    rng = np.random.default_rng(9)
    n = 900
    region = rng.choice(["a", "b", "c"], n)
    y = rng.normal(size=n)
    import pandas as pd

    pd.DataFrame({"y": y, "region": region}).to_csv(tmp_path / "t.csv", index=False)
    np.save(tmp_path / "a.npy", y + rng.normal(size=n))
    np.save(tmp_path / "b.npy", y + rng.normal(size=n) * np.where(region == "c", 2.0, 1.0))
    args = [
        "compare",
        "mae",
        tmp_path / "a.npy",
        tmp_path / "b.npy",
        tmp_path / "t.csv",
        "--group-by",
        "region",
    ]
    record = run(*args, "-o", "json").json()["results"][0]
    groups = {g["group"]: g for g in record["groups"]}
    assert list(groups) == ["a", "b", "c"]
    assert sum(g["n"] for g in groups.values()) == n
    assert groups["c"]["verdict"] == "B worse"
    pa, pb = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    mask = region == "c"
    assert groups["c"]["a"] == pytest.approx(np.abs(pa - y)[mask].mean(), rel=1e-12)
    assert groups["c"]["b"] == pytest.approx(np.abs(pb - y)[mask].mean(), rel=1e-12)
    table = run(*args, "-o", "table").stdout
    assert "95% CI" in table and "B worse" in table and "paired bootstrap" in table


def test_compute_ci_in_every_format_and_for_weighted_sums(run, tmp_path):
    a, _, y = _write_models(tmp_path, np.random.default_rng(3), 400)
    args = ["compute", "0.5*mse + 0.5*mae", a, y, "--ci", "0.9", "--bootstrap", "300"]
    records = run(*args, "-o", "json").json()["results"]
    for record in records:
        low, high = record["ci"]
        assert low < record["value"] < high and record["confidence"] == 0.9
    # The total's interval comes from the same resamples as its terms: it lies between them.
    mse, mae, total = records
    assert total["ci"][0] == pytest.approx(0.5 * mse["ci"][0] + 0.5 * mae["ci"][0], rel=0.05)
    header = run(*args, "-o", "csv").stdout.splitlines()[0]
    assert header == "loss,reduction,n,value,ci_low,ci_high,params"
    assert "90% CI" in run(*args, "-o", "table").stdout


def test_ci_option_errors(run, tmp_path):
    a, _, y = _write_models(tmp_path, np.random.default_rng(3), 50)
    assert run("compute", "mse", a, y, "--ci", "95").code == 2
    assert run("compute", "mse", a, y, "--ci", "0.95", "--bootstrap", "3").code == 2
    none = run("compute", "mse", a, y, "--ci", "0.95", "--reduction", "none")
    assert none.code == 2 and "--ci applies to reduced values" in none.stderr
    listed = run("compare", "mse,mae", a, a, y)
    assert listed.code == 2 and "one loss or a weighted sum" in listed.stderr


def test_group_intervals_resample_within_each_group():
    """All groups are resampled in one pass; each group's interval must be the one its own
    rows give on their own (up to resampling noise)."""
    import losscli

    rng = np.random.default_rng(5)
    n = 600
    groups = np.repeat(["a", "b", "c"], n // 3)
    scale = np.repeat([0.5, 1.0, 3.0], n // 3)  # three very different spreads
    p, y = rng.normal(size=n) * scale, np.zeros(n)
    together = losscli.compute("mae", p, y, group_by=groups, ci=0.9, bootstrap=4000, seed=3)
    for group in together.groups:
        alone = losscli.compute(
            "mae",
            p[groups == group.group],
            y[groups == group.group],
            ci=0.9,
            bootstrap=4000,
            seed=4,
        )
        assert group.value == pytest.approx(alone.value, rel=1e-12)
        width = alone.ci[1] - alone.ci[0]
        assert abs(group.ci[0] - alone.ci[0]) < 0.1 * width
        assert abs(group.ci[1] - alone.ci[1]) < 0.1 * width
