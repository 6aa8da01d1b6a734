"""`--worst K`: the K rows of largest loss, found in bounded memory while chunks stream by,
equal to a full sort of every row's loss (largest first, ties by row number)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE

import losscli


def _full_sort(values: np.ndarray, k: int) -> list[tuple[int, float]]:
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))[:k]
    return [(i + 1, float(values[i])) for i in order]


@pytest.mark.parametrize("chunk_rows", [1, 7, 64, 100_000])
@pytest.mark.parametrize("k", [1, 5, 40])
def test_worst_rows_equal_a_full_sort_whatever_the_chunks(chunk_rows, k):
    rng = np.random.default_rng(k)
    p = np.round(rng.normal(size=300), 1)  # rounded: many ties
    y = np.round(rng.normal(size=300), 1)
    result = losscli.compute("mae", p, y, worst=k, chunk_rows=chunk_rows)
    got = [(w.row, w.value) for w in result.worst]
    assert got == _full_sort(np.abs(p - y), k)
    assert all(
        w.inputs == {"predictions": p[w.row - 1], "targets": y[w.row - 1]} for w in result.worst
    )


def test_skipped_rows_keep_their_row_numbers():
    p = np.array([0.0, np.nan, 5.0, 1.0, np.nan, 9.0])
    y = np.zeros(6)
    with pytest.warns(losscli.LossWarning, match="skipped 2 of 6 rows"):
        result = losscli.compute("mse", p, y, worst=2, nan="skip", chunk_rows=2)
    assert [(w.row, w.value) for w in result.worst] == [(6, 81.0), (3, 25.0)]


def test_vectors_rows_and_a_weighted_total():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(50, 3))
    labels = rng.integers(0, 3, size=50)
    both = losscli.compute("0.5*cross_entropy + 2*multi_margin", logits, labels, worst=3)
    ce = both["cross_entropy"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    by_hand = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(50), labels]
    assert [w.row for w in ce.worst] == [r for r, _ in _full_sort(by_hand, 3)]
    assert ce.worst[0].inputs["predictions"] == logits[ce.worst[0].row - 1].tolist()
    mm = losscli.compute("multi_margin", logits, labels, reduction="none").values
    total = 0.5 * by_hand + 2 * mm
    assert [w.row for w in both["total"].worst] == [r for r, _ in _full_sort(total, 3)]


def test_cli_worst_in_every_format_with_ids(tmp_path, run):
    pq.write_table(
        pa.table({"key": ["a", "b", "c", "d"], "p": [1.0, 5.0, 2.0, 0.0], "y": [0.0] * 4}),
        tmp_path / "t.parquet",
    )
    args = ["compute", "mae", tmp_path / "t.parquet", "--col", "predictions=p"]
    args += ["--col", "targets=y", "--worst", "2", "--id", "key"]
    doc = json.loads(run(*args, "-o", "json").stdout)
    assert doc["results"][0]["worst"] == [
        {"row": 2, "id": "b", "value": 5.0, "inputs": {"predictions": 5.0, "targets": 0.0}},
        {"row": 3, "id": "c", "value": 2.0, "inputs": {"predictions": 2.0, "targets": 0.0}},
    ]
    line = json.loads(run(*args, "-o", "ndjson").stdout.splitlines()[0])
    assert [w["id"] for w in line["worst"]] == ["b", "c"]
    csv_lines = run(*args, "-o", "csv").stdout.splitlines()
    assert csv_lines == [
        "loss,reduction,n,value,params,rank,row,id,row_value,predictions,targets",
        "mae,mean,4,2.0,,1,2,b,5.0,5.0,0.0",
        "mae,mean,4,2.0,,2,3,c,2.0,2.0,0.0",
    ]
    table = run(*args, "-o", "table").stdout
    assert "mae: the 2 rows with the largest loss" in table and "│ b " in table


def test_worst_does_not_mix_with_per_row_output(run):
    result = run(
        "compute", "mae", SAMPLE / "preds.csv", SAMPLE / "targets.csv",
        "--reduction", "none", "--worst", "3",
    )  # fmt: skip
    assert result.code == 2 and "--worst" in result.stderr and "--reduction mean" in result.stderr


def test_a_loss_without_per_row_values_names_what_its_worst_rows_rank_by(run):
    from conftest import SAMPLE

    p = np.loadtxt(SAMPLE / "preds.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(SAMPLE / "targets.csv", delimiter=",", skiprows=1)
    squared = (p - y) ** 2
    result = run("compute", "rmse", SAMPLE / "preds.csv", SAMPLE / "targets.csv", "--worst", "3")
    record = result.json()["results"][0]
    assert record["worst_of"] == "mse"  # rmse has no per-row values: the squared errors
    assert [w["value"] for w in record["worst"]] == pytest.approx(np.sort(squared)[::-1][:3])
    table = run(
        "compute",
        "rmse",
        SAMPLE / "preds.csv",
        SAMPLE / "targets.csv",
        "--worst",
        "3",
        "-o",
        "table",
    )
    assert "rows with the largest mse (per row)" in table.stdout
