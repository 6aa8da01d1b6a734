"""Reduced results stream: any chunking of any reader gives the whole-file value."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_csv

from losscli.catalogue import default_registry
from losscli.evaluate import evaluate
from losscli.readers.csv_reader import CsvTable
from losscli.requests import Options, resolve_requests

N = 5003  # not a multiple of any chunk size used


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(11)
    p, y, w = rng.normal(size=N), rng.normal(size=N), rng.uniform(0, 2, N)
    write_csv(tmp / "p.csv", {"p": p})
    write_csv(tmp / "y.csv", {"y": y})
    write_csv(tmp / "w.csv", {"w": w})
    pq.write_table(pa.table({"p": p}), tmp / "p.parquet", row_group_size=777)
    np.save(tmp / "y.npy", y)
    # Weighted MSE and Huber worked out directly from their definitions.
    d = np.abs(p - y)
    expected = {
        "mse": np.sum(w * d**2) / np.sum(w),
        "huber": np.sum(w * np.where(d <= 1, 0.5 * d**2, d - 0.5)) / np.sum(w),
    }
    return tmp, expected


@pytest.mark.parametrize("chunk_rows", [1, 64, 1000, 1 << 18])
@pytest.mark.parametrize("pair", [("p.csv", "y.csv"), ("p.parquet", "y.npy"), ("p.csv", "y.npy")])
def test_chunked_equals_whole(files, monkeypatch, chunk_rows, pair):
    tmp, expected = files
    monkeypatch.setattr(CsvTable, "block_bytes", 4096)  # many blocks of rows
    requests = resolve_requests("mse,huber", [], default_registry())
    options = Options(chunk_rows=chunk_rows, weights=str(tmp / "w.csv"))
    results = evaluate(requests, [str(tmp / f) for f in pair], options).results
    for result in results:
        assert result.n == N
        assert result.value == pytest.approx(expected[result.loss], rel=1e-12)


def test_streamed_csv_reports_bad_cell_with_row(files, monkeypatch, tmp_path):
    monkeypatch.setattr(CsvTable, "block_bytes", 4096)
    lines = ["p"] + ["1.0"] * 3000 + ["x"]
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    np.save(tmp_path / "y.npy", np.zeros(3001))
    requests = resolve_requests("mse", [], default_registry())
    with pytest.raises(Exception, match=r"row 3001 \(line 3002\), column 'p'"):
        evaluate(requests, [str(tmp_path / "bad.csv"), str(tmp_path / "y.npy")], Options())


def test_partial_states_merge_to_the_whole():
    from losscli.pipeline.partial import Partial

    rng = np.random.default_rng(5)
    values, weights = rng.uniform(size=1000), rng.uniform(size=1000)
    left, right, whole = Partial(), Partial(), Partial()
    left.add(values[:300], weights[:300])
    right.add(values[300:], weights[300:])
    whole.add(values, weights)
    merged = Partial.concat([left, right])
    assert merged.count == whole.count == 1000
    assert merged.mean() == pytest.approx(np.average(values, weights=weights), rel=1e-14)
    assert merged.weighted_sum == pytest.approx(np.dot(values, weights), rel=1e-14)


def test_nan_skip_when_a_whole_chunk_of_2d_rows_is_dropped():
    p = np.arange(40.0).reshape(10, 4)
    y = np.zeros((10, 4))
    p[2:6, 1] = np.nan  # rows 3-6: with chunks of 2 rows, whole chunks are dropped
    requests = resolve_requests("mse", [], default_registry())
    from losscli.evaluate import evaluate_arrays

    options = Options(chunk_rows=2, nan="skip")
    result = evaluate_arrays(requests, {"predictions": p, "targets": y}, options)
    keep = [0, 1, 6, 7, 8, 9]
    assert result.results[0].n == 6
    assert result.results[0].value == pytest.approx(np.mean(p[keep] ** 2), rel=1e-14)
    assert result.warnings == ["skipped 4 of 10 rows with NaN, inf or missing values"]


def test_partial_sums_stay_bounded_and_exact_over_many_chunks():
    """10,000 chunks: the exact sums stay a few limbs, and the mean and the weighted sum are
    the exact rational values (fractions.Fraction over every row) rounded once."""
    from fractions import Fraction

    from losscli.pipeline.partial import Partial

    rng = np.random.default_rng(0)
    partial, values, weights = Partial(), [], []
    for _ in range(10_000):
        v = rng.lognormal(sigma=3.0, size=7)
        w = rng.uniform(0.1, 10.0, size=7)
        partial.add(v, w)
        assert partial.sums.limbs.shape[1] <= 8
        values.append(v)
        weights.append(w)
    v, w = np.concatenate(values), np.concatenate(weights)
    terms = sum(Fraction(float(x)) for x in v * w)  # each product rounded as float64 does
    assert partial.mean() == float(terms / sum(Fraction(float(x)) for x in w))
    assert partial.weighted_sum == float(terms)
    assert partial.count == 70_000


def test_group_values_equal_each_groups_rows_alone_in_any_chunking():
    """Group sums (compensated, kept as arrays) against the plain sums of each group's rows
    evaluated alone: weights over 200 orders of magnitude, one-group and many-group chunks."""
    import losscli

    rng = np.random.default_rng(3)
    n = 3_000
    predictions, targets = rng.normal(size=n), rng.normal(size=n)
    weights = np.exp(rng.uniform(-230, 230, size=n))
    groups = np.repeat(rng.integers(0, 40, size=n // 100), 100)  # runs of one group
    groups[::7] = rng.integers(0, 40, size=len(groups[::7]))  # and mixed chunks
    for chunk_rows in (13, 100, 1_000):
        result = losscli.compute(
            "mse", predictions, targets, weights=weights, group_by=groups, chunk_rows=chunk_rows
        )
        for group in result.groups:
            mine = groups == group.group
            alone = losscli.compute("mse", predictions[mine], targets[mine], weights=weights[mine])
            assert group.value == pytest.approx(alone.value, rel=1e-12), (chunk_rows, group.group)
            assert group.n == int(mine.sum())
