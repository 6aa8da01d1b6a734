"""`losscli curve`: Keras's EarlyStopping and TensorBoard's smoothing reproduced exactly
(golden values from tests/fixtures/make_curve_fixtures.py), every log format parsed,
the labelled training curves diagnosed, and the CI gate."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from losscli.curves.diagnose import diagnose
from losscli.curves.early_stopping import keras_early_stopping
from losscli.curves.logs import read_run
from losscli.curves.smoothing import tensorboard_smooth
from losscli.errors import InputError

GOLDEN = json.loads((ROOT / "tests" / "fixtures" / "curves.json").read_text())
CURVES = ROOT / "sample_data" / "curves"
LABELS = json.loads((CURVES / "labels.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["early_stopping"], ids=lambda c: f"{c['series']}")
def test_early_stopping_matches_keras(case):
    values = GOLDEN["series"][case["series"]]
    got = keras_early_stopping(values, case["min_delta"], case["patience"])
    assert (got.stopped, got.best) == (case["stopped"], case["best"])


@pytest.mark.parametrize("case", GOLDEN["smoothing"], ids=lambda c: f"{c['series']}-{c['weight']}")
def test_smoothing_matches_tensorboard(case):
    values = np.array(GOLDEN["series"][case["series"]], dtype=float)
    got = tensorboard_smooth(values, case["weight"])
    np.testing.assert_allclose(got, case["smoothed"], rtol=1e-13, equal_nan=True)


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_keras_csvlogger(tmp_path):
    run = read_run(_write(tmp_path / "log.csv", "epoch,accuracy,loss,val_accuracy,val_loss\n"
                          "0,0.5,1.2,0.4,1.3\n1,0.7,0.8,0.6,0.9\n2,0.8,0.6,0.7,0.8\n"))  # fmt: skip
    assert run.x_name == "epoch" and run.train.name == "loss" and run.val.name == "val_loss"
    assert run.train.y.tolist() == [1.2, 0.8, 0.6] and run.val.x.tolist() == [0.0, 1.0, 2.0]


def test_ragged_lightning_file_with_blank_cells(tmp_path):
    text = (
        "epoch,step,train_loss,val_loss,lr-Adam\n"
        "0,49,1.5,,0.001\n0,49,,1.6,\n1,99,1.1,,0.001\n1,99,,1.2,\n2,149,0.9,,0.001\n"
    )
    run = read_run(_write(tmp_path / "version_0" / "metrics.csv", text).rsplit("/", 1)[0])
    assert run.name == "version_0" and run.x_name == "epoch"
    assert run.train.y.tolist() == [1.5, 1.1, 0.9] and run.val.y.tolist() == [1.6, 1.2]


def test_resumed_run_keeps_the_last_value_of_a_repeated_step(tmp_path):
    text = "step,loss\n1,3.0\n2,2.0\n3,1.5\n2,2.5\n3,1.4\n4,1.2\n"
    run = read_run(_write(tmp_path / "log.csv", text))
    assert run.x_name == "step"
    assert run.train.x.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert run.train.y.tolist() == [3.0, 2.5, 1.4, 1.2]


def test_nan_written_as_text_is_the_nan_diagnosis(tmp_path):
    text = "epoch,loss,val_loss\n0,2.0,2.1\n1,1.0,1.2\n2,NaN,nan\n3,inf,-inf\n"
    run = read_run(_write(tmp_path / "log.csv", text))
    assert math.isnan(run.train.y[2]) and math.isinf(run.train.y[3])
    found = diagnose(run)
    assert found[0]["name"] == "nan" and found[0]["where"] == 2.0


def test_history_json_mlflow_jsonl_parquet_and_tsv(tmp_path):
    history = _write(tmp_path / "h.json", json.dumps({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}))
    assert read_run(history).val.y.tolist() == [1.1, 0.7]
    for name, lines in (("train_loss", ["1 0.9 0", "2 0.4 1"]), ("val_loss", ["1 1.0 0"])):
        _write(tmp_path / "mlrun" / "metrics" / name, "\n".join(lines) + "\n")
    run = read_run(str(tmp_path / "mlrun"))
    assert run.train.y.tolist() == [0.9, 0.4] and run.val.y.tolist() == [1.0]
    jsonl = _write(
        tmp_path / "l.jsonl", '{"step": 0, "train/loss": 2.0}\n{"step": 1, "train/loss": 1.0}\n'
    )
    assert read_run(jsonl).train.y.tolist() == [2.0, 1.0]
    pq.write_table(pa.table({"epoch": [0, 1], "eval_loss": [0.5, 0.4]}), tmp_path / "t.parquet")
    assert read_run(str(tmp_path / "t.parquet")).val.y.tolist() == [0.5, 0.4]
    tsv = _write(tmp_path / "t.tsv", "epoch\tmy_loss\n0\t3\n1\t2\n")
    assert read_run(tsv, train="my_loss").train.y.tolist() == [3.0, 2.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the log is empty"),
        ("epoch,loss\n", "the log is empty"),
        ("epoch,accuracy\n0,0.5\n", "no loss column found"),
    ],
)
def test_logs_without_losses_are_clear_errors(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_run(_write(tmp_path / "log.csv", text))


def _detections():
    table = {}
    for path, info in LABELS.items():
        names = [d["name"] for d in diagnose(read_run(str(CURVES / path)))]
        row = table.setdefault((info["set"], info["label"]), [0, 0])
        row[0] += info["label"] in names
        row[1] += 1
    return table


def test_labelled_curves_detection_is_what_the_readme_says():
    table = _detections()
    readme = (ROOT / "README.md").read_text()
    for (split, label), (caught, total) in table.items():
        line = f"| {label} | {split} | {caught} of {total} |"
        assert line in readme, line


def test_cli_gate_fails_on_named_diagnoses_with_reports(tmp_path, run, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    overfit, healthy = CURVES / "runs" / "overfit-0.json", CURVES / "runs" / "healthy-0.csv"
    result = run(
        "curve", overfit, healthy, "--fail-on", "nan,overfitting",
        "--junit-xml", tmp_path / "c.xml", "-o", "json",
    )  # fmt: skip
    assert result.code == 1
    doc = json.loads(result.stdout)  # on a GitHub runner too, stdout is the JSON alone
    assert [r["run"] for r in doc["runs"]] == ["overfit-0.json", "healthy-0.csv"]
    suite = ET.parse(tmp_path / "c.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert "::error title=losscli curve::overfit-0.json: overfitting" in result.stderr
    assert "1 of 2 runs fail" in summary.read_text()
    assert run("curve", healthy, "--fail-on", "nan,diverging", "-o", "csv").code == 0


def test_cli_explain_and_unknown_diagnosis(run):
    text = run("curve", "--explain").stdout
    assert all(
        text.count(f"{name}:") >= 1 for name in ("nan", "diverging", "plateau", "overfitting")
    )
    bad = run("curve", CURVES / "runs" / "healthy-0.csv", "--fail-on", "sad")
    assert bad.code == 2 and "unknown diagnosis 'sad'" in bad.stderr


def test_tensorboard_event_files(run):
    pytest.importorskip("tensorboard")
    folder = ROOT / "tests" / "fixtures" / "tensorboard" / "run1"
    got = read_run(str(folder))
    steps = np.arange(20)
    expected = np.float32(2.0 * np.exp(-steps / 5) + 0.1)  # what the writer stored
    assert got.x_name == "step" and got.train.x.tolist() == steps.tolist()
    np.testing.assert_array_equal(got.train.y, expected.astype(float))
    assert got.val.x.tolist() == [4.0, 9.0, 14.0, 19.0]
    assert run("curve", folder, "-o", "csv").code == 0


def test_tensorboard_without_the_extra_names_it(tmp_path, run, monkeypatch):
    import sys

    for name in ("tensorboard", "tensorboard.backend.event_processing"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(
        sys.modules, "tensorboard.backend.event_processing.event_accumulator", raising=False
    )
    folder = ROOT / "tests" / "fixtures" / "tensorboard" / "run1"
    result = run("curve", folder)
    assert result.code == 2 and "pip install 'losscli[tensorboard]'" in result.stderr


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("a.json", "[1, 2, 3]", "record 1 is int"),
        ("b.jsonl", '"x"\n', "record 1 is str"),
        ("c.csv", "epoch,loss\n0,abc\n", "loss hold no numbers"),
        ("d.json", "{not json", "cannot read the log"),
        ("e.txt", "loss\n1\n", "not a known log"),
    ],
)
def test_bad_logs_are_one_line_errors(tmp_path, run, name, text, message):
    result = run("curve", _write(tmp_path / name, text))
    assert result.code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
