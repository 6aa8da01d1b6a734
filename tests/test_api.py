"""The Python API: the same numbers, checks and messages as the command line, on in-memory
data of every common kind and on files. Expected values are worked by hand or come from
pandas/NumPy computations independent of losscli."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from conftest import ROOT, SAMPLE

import losscli
from losscli.errors import InputError, UsageError
from losscli.requests import Options

P = np.array([0.5, 3.0, -1.0, 2.0])
Y = np.array([0.0, 0.0, 0.0, 2.5])
# Huber, delta 0.5, by hand: r = .5, 3, 1, .5 -> .125, 1.375, .375, .125
HUBER = (0.125 + 1.375 + 0.375 + 0.125) / 4


def test_compute_returns_a_result_with_value_n_params():
    result = losscli.compute("huber", P, Y, delta=0.5)
    assert result.value == pytest.approx(HUBER, rel=1e-15)
    assert result.n == 4
    assert result.params == {"delta": 0.5}
    assert float(result) == result.value


def test_to_dict_is_exactly_the_json_record_of_the_cli(run, tmp_path):
    np.save(tmp_path / "p.npy", P)
    np.save(tmp_path / "y.npy", Y)
    cli = run("compute", "huber", tmp_path / "p.npy", tmp_path / "y.npy", "-p", "delta=0.5")
    assert losscli.compute("huber", P, Y, delta=0.5).to_dict() == cli.json()["results"][0]


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a,
        lambda a: a.tolist(),
        lambda a: pd.Series(a),
        lambda a: pa.array(a),
        lambda a: pa.chunked_array([a[:2], a[2:]]),
        lambda a: pl.Series(a),
        lambda a: pd.Series(a, dtype="Float64"),
    ],
    ids=["numpy", "list", "pandas", "pyarrow", "pyarrow-chunked", "polars", "pandas-nullable"],
)
def test_inputs_of_every_common_kind(make):
    assert losscli.compute("huber", make(P), make(Y), delta=0.5).value == pytest.approx(HUBER)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"yhat": P, "y": Y}),
        pl.DataFrame({"yhat": P, "y": Y}),
        pa.table({"yhat": P, "y": Y}),
        {"yhat": P, "y": Y},
    ],
    ids=["pandas", "polars", "pyarrow", "dict"],
)
def test_data_frame_with_column_picks(frame):
    result = losscli.compute(
        "huber", data=frame, columns={"predictions": "yhat", "targets": "y"}, delta=0.5
    )
    assert result.value == pytest.approx(HUBER)


def test_file_paths_give_the_cli_number(run):
    files = [SAMPLE / "preds.csv", SAMPLE / "targets.parquet"]
    expected = run("compute", "mse", *files, "-o", "json").value()
    assert losscli.compute("mse", *files).value == expected
    assert losscli.compute("mse", *map(str, files)).value == expected


def test_per_row_values_with_reduction_none():
    values = losscli.compute("mae", P, Y, reduction="none").values
    np.testing.assert_array_equal(values, [0.5, 3.0, 1.0, 0.5])


def test_several_losses_and_weighted_sums():
    both = losscli.compute("mse,mae", P, Y)
    assert [r.loss for r in both] == ["mse", "mae"]
    assert both["mae"].value == pytest.approx(1.25)
    total = losscli.compute("0.5*mse + 0.5*mae", P, Y)["total"]
    assert total.value == pytest.approx(0.5 * np.mean((P - Y) ** 2) + 0.5 * 1.25)
    assert total.n == 4


def test_parameters_are_python_values_per_loss():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    labels = np.array([0, 2])
    weighted = losscli.compute("cross_entropy", logits, labels, class_weights=[1, 2, 0.5])
    # torch semantics: sum w_y * nll / sum w_y, with w = 1 for row 0 and 0.5 for row 1.
    nll = -(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))[[0, 1], labels]
    assert weighted.value == pytest.approx((1 * nll[0] + 0.5 * nll[1]) / 1.5)
    scoped = losscli.compute("mse,huber", P, Y, params={"huber": {"delta": 0.5}})
    assert scoped["huber"].value == pytest.approx(HUBER)


def test_weights_group_by_and_intervals_on_a_data_frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "predictions": rng.normal(size=200),
            "targets": rng.normal(size=200),
            "w": rng.uniform(0.5, 2, size=200),
            "region": rng.choice(["east", "west", "north"], size=200),
        }
    )
    result = losscli.compute("mse", data=frame, weights="w", group_by="region", ci=0.9, seed=1)
    frame["sq"] = (frame.predictions - frame.targets) ** 2 * frame.w
    sums = frame.groupby("region")[["sq", "w"]].sum()
    expected = (sums.sq / sums.w).to_dict()
    assert {g.group: g.value for g in result.groups} == pytest.approx(expected)
    assert [g.group for g in result.groups] == ["east", "north", "west"]
    low, high = result.ci
    assert low < result.value < high


def test_group_by_labels_given_as_an_array():
    regions = np.array(["b", "a", "b", "a"])
    result = losscli.compute("mae", P, Y, group_by=regions)
    # mae per row: .5, 3, 1, .5 -> a: (3 + .5) / 2, b: (.5 + 1) / 2
    assert [(g.group, g.n, g.value) for g in result.groups] == [("a", 2, 1.75), ("b", 2, 0.75)]
    assert result.group_by == "group"
    with pytest.raises(InputError, match="row counts disagree: .*group_by .* has 3 rows"):
        losscli.compute("mae", P, Y, group_by=regions[:3])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: losscli.compute("rmse", P, Y, reduction="none"), "reduction='mean'"),
        (lambda: losscli.compute("mse", P, Y, reduction="median"), "reduction='median'"),
        (lambda: Options(reduction="median"), "expected reduction='mean' or reduction='sum'"),
        (lambda: losscli.compute("mse", P, Y, ci=1.5), "ci=1.5: give a confidence level"),
        (lambda: losscli.compute("mse", P, Y, ci="high"), "ci='high'"),
        (lambda: losscli.compute("mse", P, Y, bootstrap=3), "bootstrap=3"),
        (lambda: losscli.compute("mse", P, Y, how="inner"), "how='inner' needs on='COLUMN'"),
        (lambda: losscli.compute("mse", P, Y, delta=1), "no loss asked for has a parameter"),
        (lambda: losscli.compute("huber", P, Y, delta=-1), "must be a number > 0; got -1"),
        (lambda: losscli.compute("huber", P, Y, delta="x"), "must be a number > 0; got 'x'"),
        (lambda: losscli.compute("mse", P, Y, group_by="region"), "group_by='region'"),
        (lambda: losscli.compute("msee", P, Y), "did you mean mse"),
        (lambda: losscli.compute("mse", P), "needs targets"),
        (lambda: losscli.compute("mse", P, Y[:3]), "row counts disagree"),
        (lambda: losscli.compute("mse", P, np.array(["a"] * 4)), "expected numbers"),
    ],
)
def test_every_check_of_the_cli_happens_in_the_library(call, message):
    with pytest.raises((UsageError, InputError)) as caught:
        call()
    assert message in str(caught.value)


def test_fixes_are_spelled_for_whoever_reads_them(run, tmp_path):
    bad = np.array([1.0, np.nan, 2.0, 0.0])
    with pytest.raises(InputError, match="pass nan='skip' to drop those rows"):
        losscli.compute("mse", bad, Y)
    np.save(tmp_path / "p.npy", bad)
    np.save(tmp_path / "y.npy", Y)
    cli = run("compute", "mse", tmp_path / "p.npy", tmp_path / "y.npy")
    assert cli.code == 2
    assert "pass --nan skip to drop those rows" in cli.stderr


def test_warnings_are_python_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = losscli.compute("mse", np.array([1.0, np.nan, 2.0, 0.0]), Y, nan="skip")
    assert result.n == 3
    assert [str(w.message) for w in caught] == [
        "skipped 1 of 4 rows with NaN, inf or missing values"
    ]
    assert all(issubclass(w.category, losscli.LossWarning) for w in caught)


def test_check_and_compare_return_verdicts():
    run = losscli.check("mse,mae", P, Y, max={"mse": 3.0, "mae": 1.0})
    assert not run.passed
    assert [v.loss for v in run.failed] == ["mae"]
    assert losscli.check("mse - mae", P, Y, max={"total": 100}).passed
    rng = np.random.default_rng(2)
    y = rng.normal(size=500)
    a, b = y + rng.normal(scale=1.0, size=500), y + rng.normal(scale=0.5, size=500)
    comparison = losscli.compare("mse", a, b, y, bootstrap=200)
    assert comparison.overall.verdict == "B better"
    assert comparison.overall.a == pytest.approx(np.mean((a - y) ** 2))


def test_get_returns_the_entry_with_its_pure_function():
    entry = losscli.get("Huber")
    assert entry.name == "huber"
    np.testing.assert_allclose(entry.fn(P, Y, delta=0.5), [0.125, 1.375, 0.375, 0.125])
    assert [e.name for e in losscli.list_losses("segmentation")] == ["dice", "iou", "tversky"]


def test_the_plugin_decorator_is_public(tmp_path):
    plugin = tmp_path / "my_losses.py"
    plugin.write_text(
        "import numpy as np\nimport losscli\n\n"
        "@losscli.loss(name='scaled_mae', summary='k |p - y|', formula='l = k |p - y|',\n"
        "              params=[losscli.Param('k', 'float', 1.0, 'scale', low=0.0)])\n"
        "def scaled_mae(predictions, targets, *, k=1.0):\n"
        "    return k * np.abs(predictions - targets)\n"
    )
    result = losscli.compute("scaled_mae", P, Y, k=2, plugins=[str(plugin)])
    assert result.value == pytest.approx(2 * 1.25)


def test_a_plugin_formula_is_read_from_its_docstring(run, tmp_path):
    plugin = tmp_path / "my_losses.py"
    plugin.write_text(
        "import numpy as np\nimport losscli\n\n"
        "@losscli.loss(name='abs_cubed', summary='|p - y|^3')\n"
        "def abs_cubed(predictions, targets):\n"
        '    """Cubed error.\n\n    l = |p -\n        y|^3\n\n    More words."""\n'
        "    return np.abs(predictions - targets) ** 3\n\n"
        "@losscli.loss(name='bare', summary='no formula anywhere')\n"
        "def bare(predictions, targets):\n"
        "    return predictions - targets\n"
    )
    info = run("info", "abs_cubed", "--plugin", plugin, "-o", "json")
    assert "no formula" in info.stderr and info.code == 2
    plugin.write_text(plugin.read_text().split("@losscli.loss(name='bare'")[0])
    info = run("info", "abs_cubed", "--plugin", plugin, "-o", "json")
    assert info.code == 0, info.stderr
    assert info.json()["formula"] == "l = |p - y|^3"


def test_task_total_n_counts_the_rows_behind_it(run, tmp_path):
    rng = np.random.default_rng(4)
    for name in ("a", "b"):
        np.save(tmp_path / f"{name}_p.npy", rng.normal(size=10))
        np.save(tmp_path / f"{name}_y.npy", rng.normal(size=10))
    (tmp_path / "tasks.toml").write_text(
        '[[task]]\nname = "a"\nloss = "0.5*mse + 0.5*mae"\ninputs = ["a_p.npy", "a_y.npy"]\n'
        '[[task]]\nname = "b"\nloss = "mae"\ninputs = ["b_p.npy", "b_y.npy"]\nweight = 2\n'
    )
    results = run("compute", "--tasks", tmp_path / "tasks.toml", "-o", "json").json()["results"]
    total = results[-1]
    assert (total["task"], total["n"]) == ("total", 20)  # two tasks of 10 rows each
    assert [r["n"] for r in results] == [10, 10, 10, 10, 20]


def test_subtraction_is_one_spec_everywhere(run, tmp_path):
    files = [SAMPLE / "preds.csv", SAMPLE / "targets.csv"]
    mse = run("compute", "mse", *files).value()
    mae = run("compute", "mae", *files).value()
    cli = run("check", "mse - mae", *files, "--max", "total=100", "-o", "json")
    assert cli.code == 0, cli.stderr
    assert cli.json()["checks"][-1]["value"] == pytest.approx(mse - mae)
    (tmp_path / "losscli.toml").write_text(
        f'[[check]]\nloss = "mse - mae"\ninputs = ["{files[0]}", "{files[1]}"]\n'
        "max = { total = 100 }\n"
    )
    from_file = run("check", "--config", tmp_path / "losscli.toml", "-o", "json")
    assert from_file.code == 0, from_file.stderr


def test_json_has_no_infinity_and_says_why(run, tmp_path):
    np.save(tmp_path / "p.npy", np.array([1e200, 0.0]))
    np.save(tmp_path / "y.npy", np.array([-1e200, 0.0]))
    r = run("compute", "mse", tmp_path / "p.npy", tmp_path / "y.npy", "-o", "json")
    record = json.loads(r.stdout)["results"][0]  # strict JSON: no Infinity token
    assert record["value"] is None
    assert "wrote null where results[0].value is inf" in r.stderr
    checked = run(
        "check", "mse", tmp_path / "p.npy", tmp_path / "y.npy", "--max", "1", "-o", "json"
    )
    assert json.loads(checked.stdout)["checks"][0]["value"] is None
    assert checked.code == 1


def test_import_is_cheap():
    import subprocess
    import sys

    code = "import losscli, sys; print(sorted(m for m in ('numpy', 'pandas', 'click', 'rich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_checks_file_error_is_spelled_as_the_file_writes_it(run, tmp_path):
    files = [SAMPLE / "preds.csv", SAMPLE / "targets.csv"]
    (tmp_path / "losscli.toml").write_text(
        f'[[check]]\nloss = "mse"\ninputs = ["{files[0]}", "{files[1]}"]\nnan = "drop"\nmax = 1\n'
    )
    r = run("check", "--config", tmp_path / "losscli.toml")
    assert r.code == 2
    assert 'check 1: nan = "drop": expected nan = "error" or nan = "skip"' in r.stderr


def test_a_check_needs_something_to_check_against():
    with pytest.raises(UsageError, match=r"nothing to check against: give max or min limits"):
        losscli.check("mse", P, Y)
    with pytest.raises(UsageError, match=r"update_baseline=True needs baseline='FILE.json'"):
        losscli.check("mse", P, Y, max=1, update_baseline=True)


def test_weights_near_the_float64_limits_give_the_mean_they_define():
    p, y = np.array([1.0, 2.0, 3.0]), np.zeros(3)
    # Equal weights: the plain mean (1 + 4 + 9) / 3, however large they are.
    assert losscli.compute("mse", p, y, weights=np.full(3, 1e308)).value == pytest.approx(
        14 / 3, rel=1e-15
    )
    # Subnormal weights 1:2:1 -> (1 + 8 + 9) / 4, without losing digits.
    tiny = np.array([5e-324, 1e-323, 5e-324])
    assert losscli.compute("mse", p, y, weights=tiny).value == pytest.approx(4.5, rel=1e-15)
    grouped = losscli.compute("mse", p, y, weights=np.full(3, 1e308), group_by=np.array([1, 1, 2]))
    assert [g.value for g in grouped.groups] == pytest.approx([2.5, 9.0], rel=1e-15)


def test_per_row_values_carry_the_sample_weights():
    p, y, w = np.array([1.0, 2.0, 3.0]), np.zeros(3), np.array([0.5, 0.0, 2.0])
    values = losscli.compute("mse", p, y, weights=w, reduction="none").values
    np.testing.assert_array_equal(values, [0.5, 0.0, 18.0])
    assert values.sum() == losscli.compute("mse", p, y, weights=w, reduction="sum").value


@pytest.mark.parametrize("spec, message", [("1e309*mse", "too large"), ("1e-400*mse", "too small")])
def test_weighted_sum_coefficients_must_be_float64(spec, message):
    with pytest.raises(UsageError, match=message):
        losscli.compute(spec, P, Y)


def test_weights_adding_up_to_zero():
    zeros = np.zeros(4)
    # sum_i w_i l_i = 0, and Keras divides that sum by N (sum_over_batch_size): 0 too.
    assert losscli.compute("mse", P, Y, weights=zeros, reduction="sum").value == 0.0
    assert losscli.compute("mse", P, Y, weights=zeros, convention="keras").value == 0.0
    with pytest.raises(InputError, match="add up to 0"):
        losscli.compute("mse", P, Y, weights=zeros)  # the weighted mean is undefined


def test_sklearn_rmse_of_several_outputs_streams_groups_and_resamples():
    rng = np.random.default_rng(8)
    p, y = rng.normal(size=(200, 3)) * [1.0, 5.0, 10.0], rng.normal(size=(200, 3))
    groups = np.arange(200) % 2

    def per_column_roots(rows):  # scikit-learn's multioutput='uniform_average', by hand
        return float(np.mean(np.sqrt(np.mean((p[rows] - y[rows]) ** 2, axis=0))))

    result = losscli.compute(
        "rmse", p, y, convention="sklearn", group_by=groups, ci=0.9, chunk_rows=7, seed=1
    )
    assert result.value == pytest.approx(per_column_roots(slice(None)), rel=1e-12)
    for group in result.groups:
        assert group.value == pytest.approx(per_column_roots(groups == group.group), rel=1e-12)
        assert group.ci[0] < group.value < group.ci[1]
    assert result.ci[0] < result.value < result.ci[1]
    # By default the root of the overall mean, as Keras's RootMeanSquaredError.
    assert losscli.compute("rmse", p, y).value == pytest.approx(np.sqrt(np.mean((p - y) ** 2)))


def test_torch_none_gives_every_element_and_csv_a_column_each(run, tmp_path):
    p, y = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])
    w = np.array([2.0, 0.5])
    values = losscli.compute("mse", p, y, reduction="none", convention="torch", weights=w).values
    np.testing.assert_array_equal(values, [[2.0, 8.0], [2.0, 8.0]])  # w_i (p - y)^2, by hand
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "y.npy", y)
    text = run(
        "compute",
        "mse",
        tmp_path / "p.npy",
        tmp_path / "y.npy",
        "--reduction",
        "none",
        "--convention",
        "torch",
        "-o",
        "csv",
    ).stdout
    assert text.splitlines() == ["mse[0],mse[1]", "1.0,4.0", "4.0,16.0"]


def test_a_masked_array_has_missing_values_where_it_is_masked():
    masked = np.ma.masked_array([1.0, 2.0, 10000.0], mask=[0, 0, 1])
    y = np.array([1.0, 2.5, 3.0])
    with pytest.raises(losscli.LossCliError, match="missing values"):
        losscli.compute("mse", masked, y)  # as NaN would be, under nan='error'
    with pytest.warns(losscli.LossWarning):
        result = losscli.compute("mse", masked, y, nan="skip")
    assert result.value == pytest.approx(0.125) and result.n == 2  # (0 + 0.25) / 2


def test_a_generator_or_a_string_is_no_array():
    with pytest.raises(losscli.LossCliError, match="a generator is not an array"):
        losscli.compute("mse", (x for x in [1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(losscli.LossCliError, match="a str is not an array"):
        losscli.compute("mse", np.array([1.0]), {"targets": "abc"}, columns={"targets": "targets"})


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_option_values_that_are_not_finite_are_refused(run, tmp_path, value):
    (tmp_path / "log.csv").write_text("epoch,val_loss\n1,1.0\n2,0.9\n3,0.8\n")
    result = run("curve", tmp_path / "log.csv", "--min-delta", value)
    assert result.code == 2 and "is not a finite number" in result.stderr
    result = run("curve", tmp_path / "log.csv", "--smooth", value)
    assert result.code == 2 and "is not a finite number" in result.stderr
