"""Inputs of many files in one process: directories, globs, hive partitions (as columns for
--group-by), fsspec URLs, and what is wrong with a dataset said in one line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import losscli
from losscli.errors import InputError

COLUMNS = {"predictions": "p", "targets": "y"}


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return pd.DataFrame({"y": y, "p": y + rng.normal(size=n), "w": rng.random(n)})


def _write(path, frame: pd.DataFrame, fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        frame.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")


@pytest.fixture(params=["parquet", "csv"])
def dated(tmp_path, request):
    """Three days of two files each under date=... folders, and the whole frame by day."""
    fmt = request.param
    days = ["2026-11-01", "2026-11-02", "2026-12-01"]
    frames = {}
    for i, day in enumerate(days):
        frame = _frame(i, 500 + 100 * i)
        frames[day] = frame
        half = len(frame) // 2
        _write(tmp_path / "preds" / f"date={day}" / f"part-0.{fmt}", frame.iloc[:half], fmt)
        _write(tmp_path / "preds" / f"date={day}" / f"part-1.{fmt}", frame.iloc[half:], fmt)
    (tmp_path / "preds" / "_SUCCESS").write_text("")
    (tmp_path / "preds" / "date=2026-11-01" / ".part-0.crc").write_text("x")
    return tmp_path / "preds", frames


def _mse(frames) -> float:
    whole = pd.concat(frames)
    return float(((whole.p - whole.y) ** 2).mean())


def test_a_directory_is_every_file_in_it(dated):
    root, frames = dated
    result = losscli.compute("mse", str(root), columns=COLUMNS)
    assert result.n == sum(len(f) for f in frames.values())
    assert math.isclose(result.value, _mse(list(frames.values())), rel_tol=1e-12)


def test_hive_partitions_are_columns_for_group_by(dated):
    root, frames = dated
    result = losscli.compute("mse", str(root), columns=COLUMNS, group_by="date")
    assert [g.group for g in result.groups] == list(frames)
    for group in result.groups:
        assert group.n == len(frames[group.group])
        assert math.isclose(group.value, _mse([frames[group.group]]), rel_tol=1e-12)


def test_a_glob_of_partition_folders_selects_those_days(dated):
    root, frames = dated
    november = [frames["2026-11-01"], frames["2026-11-02"]]
    result = losscli.compute("mse", f"{root}/date=2026-11-*/", columns=COLUMNS, group_by="date")
    assert [g.group for g in result.groups] == ["2026-11-01", "2026-11-02"]
    assert math.isclose(result.value, _mse(november), rel_tol=1e-12)
    files = losscli.compute("mse", f"{root}/date=2026-11-0[12]/part-1.*", columns=COLUMNS)
    halves = [f.iloc[len(f) // 2 :] for f in november]
    assert math.isclose(files.value, _mse(halves), rel_tol=1e-12)


def test_integer_partitions_are_numbers(tmp_path):
    frames = [_frame(10 + k, 300) for k in range(3)]
    for k, frame in enumerate(frames):
        _write(tmp_path / "d" / f"fold={k}" / "x.parquet", frame, "parquet")
    result = losscli.compute("mse", str(tmp_path / "d"), columns=COLUMNS, group_by="fold")
    assert [g.group for g in result.groups] == [0, 1, 2]
    by_fold = losscli.compute(
        "mse", str(tmp_path / "d"), columns={"predictions": "fold", "targets": "y"}
    )
    fold = np.concatenate([np.full(300, k) for k in range(3)])
    y = np.concatenate([f.y for f in frames])
    assert math.isclose(by_fold.value, float(np.mean((fold - y) ** 2)), rel_tol=1e-12)


def test_two_datasets_align_row_by_row(tmp_path):
    frame = _frame(3, 900)
    for k in range(3):
        rows = frame.iloc[300 * k : 300 * (k + 1)]
        _write(tmp_path / "preds" / f"{k}.parquet", rows[["p"]], "parquet")
        _write(tmp_path / "targets" / f"{k}.csv", rows[["y"]], "csv")
    result = losscli.compute("mse", str(tmp_path / "preds"), str(tmp_path / "targets"))
    assert math.isclose(result.value, _mse([frame]), rel_tol=1e-12)


def test_fsspec_urls(tmp_path):
    import fsspec

    frame = _frame(4, 400)
    memory = fsspec.filesystem("memory")
    for k in range(2):
        with memory.open(f"/evals/run/date=d{k}/part.parquet", "wb") as fh:
            pq.write_table(pa.Table.from_pandas(frame.iloc[200 * k : 200 * (k + 1)]), fh)
    result = losscli.compute("mse", "memory://evals/run", columns=COLUMNS, group_by="date")
    assert math.isclose(result.value, _mse([frame]), rel_tol=1e-12)
    assert [g.group for g in result.groups] == ["d0", "d1"]
    _write(tmp_path / "local" / "a.csv", frame, "csv")
    local = losscli.compute("mse", f"file://{tmp_path}/local", columns=COLUMNS)
    assert math.isclose(local.value, _mse([frame]), rel_tol=1e-12)


def test_what_is_wrong_with_a_dataset_is_one_line(tmp_path, run):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    result = run("compute", "mse", empty, "--col", "predictions=p", "--col", "targets=y")
    assert result.code == 2 and "no data files" in result.stderr
    result = run("compute", "mse", f"{tmp_path}/nothing-*.parquet")
    assert result.code == 2 and "no file matches" in result.stderr
    mixed = tmp_path / "mixed"
    _write(mixed / "a.csv", _frame(1, 10), "csv")
    _write(mixed / "b.parquet", _frame(1, 10), "parquet")
    result = run("compute", "mse", mixed, "--col", "predictions=p", "--col", "targets=y")
    assert result.code == 2 and "several formats" in result.stderr
    uneven = tmp_path / "uneven"
    _write(uneven / "date=1" / "a.parquet", _frame(1, 10), "parquet")
    _write(uneven / "b.parquet", _frame(1, 10), "parquet")
    result = run("compute", "mse", uneven, "--col", "predictions=p", "--col", "targets=y")
    assert result.code == 2 and "b.parquet has no 'date=' partition" in result.stderr
    for result in [run("compute", "mse", uneven), run("compute", "mse", mixed)]:
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_cell_names_the_file_it_is_in(tmp_path, run):
    for k in range(3):
        _write(tmp_path / "d" / f"part-{k}.csv", _frame(k, 50), "csv")
    bad = tmp_path / "d" / "part-1.csv"
    lines = bad.read_text().splitlines()
    lines[7] = lines[7].split(",")[0] + ",oops,0.5"
    bad.write_text("\n".join(lines) + "\n")
    result = run("compute", "mse", tmp_path / "d", "--col", "predictions=p", "--col", "targets=y")
    assert result.code == 2
    assert "part-1.csv" in result.stderr and "row 7" in result.stderr and "'oops'" in result.stderr


def test_text_partitions_are_not_numbers(tmp_path):
    _write(tmp_path / "d" / "region=north" / "a.parquet", _frame(1, 10), "parquet")
    with pytest.raises(InputError, match="column 'region' holds text"):
        losscli.compute(
            "mse", str(tmp_path / "d"), columns={"predictions": "region", "targets": "y"}
        )


@pytest.mark.parametrize(
    "values",
    [
        np.array([5, -3, 5, 7, -3, 0]),
        np.random.default_rng(0).integers(-50, 50, size=1000),
        np.array([2**40, 3, 2**40]),  # a wide range: sorted, not looked up
        np.array([3], dtype=np.uint8),
    ],
)
def test_integer_group_labels_encode_as_numpy_unique_does(values):
    from losscli.pipeline.labels import encode

    codes, labels = encode(values)
    uniques, inverse = np.unique(values, return_inverse=True)
    assert labels == uniques.tolist() and codes.tolist() == inverse.tolist()


def test_text_partitions_come_encoded_and_join_and_group_like_text(tmp_path):
    frame = _frame(2, 60)
    frame["id"] = np.arange(60)
    for k, region in enumerate(["b", "a", "c"]):
        _write(
            tmp_path / "d" / f"region={region}" / "x.parquet",
            frame.iloc[20 * k : 20 * (k + 1)],
            "parquet",
        )
    targets = tmp_path / "t.csv"
    frame[["id", "y"]].iloc[::-1].to_csv(targets, index=False)
    result = losscli.compute(
        "mse",
        str(tmp_path / "d"),
        str(targets),
        on="id",
        group_by="region",
        columns={"predictions": "p", "targets": "y"},
    )
    assert [g.group for g in result.groups] == ["a", "b", "c"]
    assert math.isclose(result.groups[0].value, _mse([frame.iloc[20:40]]), rel_tol=1e-12)


def test_a_url_without_its_filesystem_says_what_to_install(run, monkeypatch):
    import fsspec

    def missing(url, **kwargs):
        raise ImportError("Install s3fs to access S3")

    monkeypatch.setattr(fsspec.core, "url_to_fs", missing)
    result = run("compute", "mse", "s3://bucket/evals/", *["--col", "predictions=p"])
    assert result.code == 2
    assert result.stderr.strip() == (
        "losscli: error: s3://bucket/evals/: no filesystem for this URL (Install s3fs to access S3)"
    )
    monkeypatch.undo()
    result = run("compute", "mse", "nosuchfs://bucket/evals/")
    assert result.code == 2 and "no filesystem for this URL (Protocol not known" in result.stderr


def test_read_ahead_keeps_order_passes_errors_and_stops_with_its_consumer():
    import threading
    import time

    from losscli.readers.datasets import read_ahead

    assert list(read_ahead(iter(range(100)), 3)) == list(range(100))

    def failing():
        yield 1
        raise InputError("part-7.parquet: cannot read (truncated)")

    with pytest.raises(InputError, match="part-7"):
        list(read_ahead(failing(), 2))
    produced = []

    def endless():
        for i in range(10**9):
            produced.append(i)
            yield i

    reader = read_ahead(endless(), 2)
    assert next(reader) == 0
    reader.close()  # the consumer stops: so does the thread, a few items ahead at most
    time.sleep(0.5)
    assert len(produced) <= 5
    assert not any(t.name == "losscli-read-ahead" for t in threading.enumerate())
