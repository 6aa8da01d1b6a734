"""--group-by against an independent pandas groupby; --on joins with shuffled, missing and
duplicate keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losscli.catalogue import default_registry
from losscli.evaluate import evaluate
from losscli.requests import Options, resolve_requests


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 600
    y = rng.normal(size=n)
    return pd.DataFrame(
        {
            "id": rng.permutation(np.arange(10_000, 10_000 + n)),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "cohort": rng.integers(1, 4, n),
            "y": y,
            "yhat": y + rng.normal(scale=0.7, size=n),
            "w": rng.uniform(0.1, 2.0, n),
        }
    )


def _expected(frame: pd.DataFrame, by: str, weighted: bool = False) -> pd.DataFrame:
    error = frame.yhat - frame.y
    out = frame.assign(se=error**2, ae=error.abs())
    if weighted:
        out = out.assign(se=out.se * out.w, ae=out.ae * out.w)
        sums = out.groupby(by)[["se", "ae", "w"]].sum()
        return pd.DataFrame({"mse": sums.se / sums.w, "mae": sums.ae / sums.w})
    return out.groupby(by).agg(mse=("se", "mean"), mae=("ae", "mean"), n=("se", "size"))


def test_group_by_matches_pandas_groupby(run, tmp_path, frame):
    frame[["yhat"]].to_csv(tmp_path / "preds.csv", index=False)
    frame[["y", "region"]].to_csv(tmp_path / "targets.csv", index=False)
    result = run(
        "compute",
        "mse,mae",
        tmp_path / "preds.csv",
        tmp_path / "targets.csv",
        "--group-by",
        "region",
        "-o",
        "json",
    )
    assert result.code == 0, result.stderr
    expected = _expected(frame, "region")
    for record in result.json()["results"]:
        assert record["group_by"] == "region"
        groups = {g["group"]: g for g in record["groups"]}
        assert list(groups) == sorted(expected.index)
        for label, row in expected.iterrows():
            assert groups[label]["value"] == pytest.approx(row[record["loss"]], rel=1e-12)
            assert groups[label]["n"] == row["n"]
    overall = result.json()["results"][0]["value"]
    assert overall == pytest.approx(((frame.yhat - frame.y) ** 2).mean(), rel=1e-12)


def test_group_by_with_weights_and_numeric_labels_in_parquet(run, tmp_path, frame):
    frame[["yhat", "y", "cohort", "w"]].to_parquet(tmp_path / "all.parquet")
    result = run(
        "compute",
        "mse,mae",
        tmp_path / "all.parquet",
        "--col",
        "predictions=yhat",
        "--col",
        "targets=y",
        "--col",
        "weights=w",
        "--group-by",
        "cohort",
        "-o",
        "json",
    )
    assert result.code == 0, result.stderr
    expected = _expected(frame, "cohort", weighted=True)
    for record in result.json()["results"]:
        labels = [g["group"] for g in record["groups"]]
        assert labels == [1, 2, 3]  # integers, in order
        for group in record["groups"]:
            assert group["value"] == pytest.approx(
                expected.loc[group["group"], record["loss"]], rel=1e-12
            )


def test_group_by_streams_in_chunks_with_the_same_result(tmp_path, frame):
    frame[["yhat", "y", "region"]].to_csv(tmp_path / "all.csv", index=False)
    requests = resolve_requests("mse", [], default_registry())
    options = Options(
        columns={"predictions": "yhat", "targets": "y"}, group_by="region", chunk_rows=37
    )
    result = evaluate(requests, [str(tmp_path / "all.csv")], options).results[0]
    expected = _expected(frame, "region")
    assert {g.group: g.value for g in result.groups} == pytest.approx(
        expected["mse"].to_dict(), rel=1e-12
    )


def _mse_on(path) -> list:
    return ["compute", "mse", path, "--col", "predictions=yhat", "--col", "targets=y"]


def test_group_by_in_csv_and_table_output(run, tmp_path, frame):
    frame[["yhat", "y", "region"]].to_csv(tmp_path / "all.csv", index=False)
    args = [*_mse_on(tmp_path / "all.csv"), "--group-by", "region"]
    csv_lines = run(*args, "-o", "csv").stdout.splitlines()
    assert csv_lines[0] == "loss,group,reduction,n,value,params"
    assert csv_lines[1].startswith("mse,,mean,600,")
    assert [line.split(",")[1] for line in csv_lines[2:]] == ["east", "north", "south", "west"]
    table = run(*args, "-o", "table").stdout
    for label in ("all", "east", "north", "south", "west"):
        assert label in table


def test_group_by_errors_exit_2(run, tmp_path, frame):
    frame[["yhat", "y"]].to_csv(tmp_path / "all.csv", index=False)
    args = _mse_on(tmp_path / "all.csv")
    missing = run(*args, "--group-by", "region")
    assert missing.code == 2
    assert "--group-by region: no input has that column" in missing.stderr
    per_row = run(*args, "--group-by", "yhat", "--reduction", "none")
    assert per_row.code == 2
    assert "--group-by applies to reduced values" in per_row.stderr


def _write_pair(tmp_path, frame, preds: pd.DataFrame, targets: pd.DataFrame):
    preds.to_csv(tmp_path / "preds.csv", index=False)
    targets.to_parquet(tmp_path / "targets.parquet")
    return tmp_path / "preds.csv", tmp_path / "targets.parquet"


def test_on_aligns_shuffled_keys(run, tmp_path, frame):
    shuffled = frame.sample(frac=1.0, random_state=3)
    preds, targets = _write_pair(tmp_path, frame, shuffled[["id", "yhat"]], frame[["id", "y"]])
    expected_value = ((frame.yhat - frame.y) ** 2).mean()
    by_order = run(
        "compute",
        "mse",
        preds,
        targets,
        "--col",
        "predictions=yhat",
        "--col",
        "targets=y",
        "-o",
        "json",
    )
    assert by_order.value() != pytest.approx(expected_value, rel=0.1)  # rows out of step
    result = run("compute", "mse", preds, targets, "--on", "id", "-o", "json")
    assert result.code == 0, result.stderr
    assert result.value() == pytest.approx(expected_value, rel=1e-12)
    per_row = run(
        "compute", "mse", preds, targets, "--on", "id", "--reduction", "none", "-o", "json"
    ).json()["results"][0]["values"]
    # Rows come in the order of the first file.
    expected = (shuffled.yhat - shuffled.y) ** 2
    np.testing.assert_allclose(per_row, expected.to_numpy(), rtol=1e-12)


def test_on_with_text_keys(run, tmp_path, frame):
    frame = frame.assign(key="row-" + frame.id.astype(str))
    preds, targets = _write_pair(
        tmp_path, frame, frame[["key", "yhat"]].iloc[::-1], frame[["key", "y"]]
    )
    result = run("compute", "mae", preds, targets, "--on", "key", "-o", "json")
    assert result.code == 0, result.stderr
    assert result.value() == pytest.approx((frame.yhat - frame.y).abs().mean(), rel=1e-12)


def test_on_missing_and_extra_keys_are_an_error_with_counts_and_examples(run, tmp_path, frame):
    preds, targets = _write_pair(
        tmp_path, frame, frame[["id", "yhat"]].iloc[3:], frame[["id", "y"]].iloc[:-2]
    )
    result = run("compute", "mse", preds, targets, "--on", "id")
    assert result.code == 2
    assert result.stdout == ""
    message = result.stderr
    assert "keys do not match" in message
    assert "2 keys of" in message and "preds.csv are missing" in message
    assert "targets.parquet has 3 keys not in every other file" in message
    assert f"e.g. {frame.id.iloc[0]}" in message
    assert "--how inner evaluates the 595 matched rows" in message


def test_on_how_inner_proceeds_and_says_what_was_dropped(run, tmp_path, frame):
    preds, targets = _write_pair(
        tmp_path, frame, frame[["id", "yhat"]].iloc[3:], frame[["id", "y"]].iloc[:-2]
    )
    result = run("compute", "mse", preds, targets, "--on", "id", "--how", "inner", "-o", "json")
    assert result.code == 0, result.stderr
    matched = frame.iloc[3:-2]
    assert result.json()["results"][0]["n"] == len(matched)
    assert result.value() == pytest.approx(((matched.yhat - matched.y) ** 2).mean(), rel=1e-12)
    assert "dropped 2 of 597 rows of" in result.stderr
    assert "3 of 598 rows of" in result.stderr and "595 rows remain" in result.stderr


def test_on_duplicate_keys_are_an_error_even_with_inner(run, tmp_path, frame):
    duplicated = pd.concat([frame[["id", "yhat"]], frame[["id", "yhat"]].iloc[:2]])
    preds, targets = _write_pair(tmp_path, frame, duplicated, frame[["id", "y"]])
    for how in ("exact", "inner"):
        result = run("compute", "mse", preds, targets, "--on", "id", "--how", how)
        assert result.code == 2
        assert "preds.csv has 2 duplicate id keys" in result.stderr
        assert f"{frame.id.iloc[0]} (2 times)" in result.stderr


def test_on_needs_the_column_in_every_file(run, tmp_path, frame):
    np.save(tmp_path / "preds.npy", frame.yhat.to_numpy())
    frame[["id", "y"]].to_csv(tmp_path / "targets.csv", index=False)
    result = run("compute", "mse", tmp_path / "preds.npy", tmp_path / "targets.csv", "--on", "id")
    assert result.code == 2
    assert "preds.npy has no column 'id'" in result.stderr
    inner_alone = run(
        "compute", "mse", tmp_path / "preds.npy", tmp_path / "targets.csv", "--how", "inner"
    )
    assert inner_alone.code == 2 and "--how inner needs --on" in inner_alone.stderr


def test_on_and_group_by_together(run, tmp_path, frame):
    shuffled = frame.sample(frac=1.0, random_state=11)
    preds, targets = _write_pair(
        tmp_path, frame, shuffled[["id", "yhat"]], frame[["id", "y", "region"]]
    )
    result = run(
        "compute", "mse", preds, targets, "--on", "id", "--group-by", "region", "-o", "json"
    )
    assert result.code == 0, result.stderr
    expected = _expected(frame, "region")["mse"].to_dict()
    got = {g["group"]: g["value"] for g in result.json()["results"][0]["groups"]}
    assert got == pytest.approx(expected, rel=1e-12)


def test_missing_keys_and_missing_group_labels(run, tmp_path):
    (tmp_path / "p.csv").write_text("id,p\n1,1\n,2\n3,3\n")
    (tmp_path / "t.csv").write_text("id,y\n1,1\n2,2\n3,3\n")
    blank = run("compute", "mse", tmp_path / "p.csv", tmp_path / "t.csv", "--on", "id")
    assert blank.code == 2
    assert "p.csv column 'id': row 2 has no key" in blank.stderr
    pd.DataFrame({"g": ["x", None, "y", "x"], "p": [1.0, 2, 3, 4], "y": [1.5, 2, 3, 5]}).to_parquet(
        tmp_path / "n.parquet"
    )
    result = run(
        "compute",
        "mse",
        tmp_path / "n.parquet",
        "--col",
        "predictions=p",
        "--col",
        "targets=y",
        "--group-by",
        "g",
        "-o",
        "json",
    )
    groups = [(g["group"], g["n"], g["value"]) for g in result.json()["results"][0]["groups"]]
    assert groups == [("x", 2, (0.25 + 1.0) / 2), ("y", 1, 0.0), (None, 1, 0.0)]


def test_a_group_whose_rows_are_all_skipped_is_left_out_and_said_so(run, tmp_path):
    (tmp_path / "d.csv").write_text("p,y,g\n1,1.5,a\nnan,2,b\n3,3,a\n")
    result = run(
        "compute",
        "mse",
        tmp_path / "d.csv",
        "--col",
        "predictions=p",
        "--col",
        "targets=y",
        "--group-by",
        "g",
        "--nan",
        "skip",
        "--ci",
        "0.9",
        "-o",
        "json",
    )
    assert result.code == 0, result.stderr
    groups = result.json()["results"][0]["groups"]
    assert [(g["group"], g["n"], g["value"]) for g in groups] == [("a", 2, 0.125)]
    assert "no usable rows in group b; left out" in result.stderr


def test_a_groups_keras_mean_over_n_counts_only_its_unmasked_rows():
    """Each group's value is the loss of its rows alone, also when Keras's ignore_class masks
    some rows (the mean divides by the unmasked rows of the group), whatever the chunking."""
    import losscli

    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(4), size=300)
    labels = rng.integers(0, 4, size=300)
    groups = rng.choice(["a", "b", "c"], size=300)
    kw = dict(convention="keras", ignore_class=0)
    result = losscli.compute(
        "sparse_categorical_crossentropy",
        probabilities,
        labels,
        group_by=groups,
        chunk_rows=50,
        **kw,
    )
    for group in result.groups:
        mine = groups == group.group
        alone = losscli.compute(
            "sparse_categorical_crossentropy", probabilities[mine], labels[mine], **kw
        )
        assert group.value == pytest.approx(alone.value, rel=1e-12)
