"""The catalogue through the command line: every family from CSV, Parquet and NPY/NPZ files,
the mix-up diagnostics, weighted sums, --convention, --tasks and plugins.

Expected numbers are worked out here with plain NumPy from the textbook definitions (or
taken from the torch-generated fixtures), never from losscli's own functions.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, write_csv

CLS = ROOT / "sample_data" / "classification"
SEG = ROOT / "sample_data" / "segmentation"
CTC = ROOT / "sample_data" / "sequence" / "ctc.npz"


def _ce(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(labels)), labels]


LOGITS = np.load(CLS / "logits.npy")
LABELS = np.loadtxt(CLS / "labels.csv", skiprows=1).astype(int)
CE = _ce(LOGITS, LABELS).mean()


@pytest.mark.parametrize(
    "files",
    [
        ["logits.npy", "labels.csv"],
        ["logits.csv", "labels.parquet"],
    ],
)
def test_cross_entropy_from_every_format(run, files):
    r = run("compute", "cross_entropy", *(CLS / f for f in files), "-o", "json")
    assert r.code == 0, r.stderr
    assert r.value() == pytest.approx(CE, rel=1e-6)  # logits.csv holds 3 decimals, like .npy


def test_cross_entropy_from_npz_named_arrays(run, tmp_path):
    np.savez(tmp_path / "batch.npz", predictions=LOGITS, targets=LABELS)
    r = run("compute", "ce", tmp_path / "batch.npz", "-o", "json")
    assert r.code == 0, r.stderr
    assert r.value() == pytest.approx(CE, rel=1e-12)


def test_class_weights_follow_pytorch_normalisation(run, tmp_path):
    w = np.array([1.0, 2.0, 1.0, 0.5])
    per_row = _ce(LOGITS, LABELS) * w[LABELS]
    expected = per_row.sum() / w[LABELS].sum()
    r = run(
        "compute",
        "cross_entropy",
        CLS / "logits.npy",
        CLS / "labels.csv",
        "-p",
        "class_weights=1,2,1,0.5",
        "-o",
        "json",
    )
    assert r.value() == pytest.approx(expected, rel=1e-12)
    # The same vector from a file.
    write_csv(tmp_path / "w.csv", {"w": w})
    r2 = run(
        "compute",
        "cross_entropy",
        CLS / "logits.npy",
        CLS / "labels.csv",
        "-p",
        f"class_weights={tmp_path / 'w.csv'}",
        "-o",
        "json",
    )
    assert r2.value() == pytest.approx(expected, rel=1e-12)


def test_wrong_number_of_class_weights_is_an_error(run):
    r = run("compute", "ce", CLS / "logits.npy", CLS / "labels.csv", "-p", "class_weights=1,2")
    assert r.code == 2
    assert "class_weights" in r.stderr and "2 values" in r.stderr and "4 classes" in r.stderr


def test_class_index_out_of_range_names_row_and_classes(run, tmp_path):
    write_csv(tmp_path / "y.csv", {"label": np.array([0, 1, 4, 2])})
    np.save(tmp_path / "x.npy", np.zeros((4, 4)))
    r = run("compute", "cross_entropy", tmp_path / "x.npy", tmp_path / "y.csv")
    assert r.code == 2
    assert "row 3" in r.stderr and "class index 4" in r.stderr and "4 classes" in r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr


def test_probabilities_given_as_logits_warns_once(run):
    r = run("compute", "cross_entropy", CLS / "probs.parquet", CLS / "labels.csv", "-o", "json")
    assert r.code == 0
    assert r.stderr.count("look like probabilities") == 1
    assert "from_logits=false" in r.stderr
    ok = run(
        "compute",
        "cross_entropy",
        CLS / "probs.parquet",
        CLS / "labels.csv",
        "-p",
        "from_logits=false",
        "-o",
        "json",
    )
    assert "warning" not in ok.stderr
    assert ok.value() == pytest.approx(CE, rel=1e-4)  # probabilities rounded to 6 decimals


def test_logits_given_as_probabilities_is_an_error(run):
    r = run("compute", "bce", CLS / "logits.npy", CLS / "logits.npy")
    assert r.code == 2
    assert "outside [0, 1]" in r.stderr and "from_logits=true" in r.stderr


def test_hinge_labels_outside_the_domain_are_an_error(run, tmp_path):
    write_csv(tmp_path / "p.csv", {"p": np.array([0.5, -1.0, 2.0])})
    write_csv(tmp_path / "y.csv", {"y": np.array([1.0, 3.0, -1.0])})
    r = run("compute", "hinge", tmp_path / "p.csv", tmp_path / "y.csv", "-o", "json")
    assert r.code == 2
    assert "y.csv) row 2 holds 3; hinge expects -1/1 or 0/1 labels" in r.stderr


def test_all_rows_ignored_gives_null_and_a_warning(run, tmp_path):
    np.savez(tmp_path / "b.npz", predictions=np.zeros((3, 2)), targets=np.full(3, -100))
    r = run("compute", "cross_entropy", tmp_path / "b.npz", "-o", "json")
    assert r.code == 0
    assert r.value() is None
    assert "every row is ignored" in r.stderr


def test_weighted_sum_reports_terms_and_total(run):
    masks = np.load(SEG / "masks.npy")
    r = run(
        "compute",
        "0.5*cross_entropy + 0.5*dice",
        SEG / "logits.npy",
        SEG / "masks.npy",
        "-p",
        "dice.from_logits=true",
        "-o",
        "json",
    )
    assert r.code == 0, r.stderr
    results = r.json()["results"]
    assert [x["loss"] for x in results] == ["cross_entropy", "dice", "0.5*cross_entropy + 0.5*dice"]
    assert [x.get("weight") for x in results[:2]] == [0.5, 0.5]
    assert results[2]["value"] == pytest.approx(
        0.5 * results[0]["value"] + 0.5 * results[1]["value"], rel=1e-15
    )
    # Cross-entropy over (N, C, H, W): the mean over every pixel, as PyTorch's.
    logits = np.load(SEG / "logits.npy")
    flat = np.moveaxis(logits, 1, -1).reshape(-1, 3)
    assert results[0]["value"] == pytest.approx(_ce(flat, masks.ravel()).mean(), rel=1e-12)


def test_weighted_sum_per_row(run):
    r = run(
        "compute",
        "2*mse - mae",
        ROOT / "sample_data/regression/preds.npy",
        ROOT / "sample_data/regression/targets.npy",
        "--reduction",
        "none",
        "-o",
        "csv",
    )
    header, *rows = r.stdout.strip().splitlines()
    assert header == "mse,mae,2*mse - mae"
    mse, mae, total = map(float, rows[0].split(","))
    assert total == pytest.approx(2 * mse - mae, rel=1e-14)


def test_ctc_from_npz_matches_torch_fixture(run, tmp_path):
    case = next(
        c
        for c in json.loads((ROOT / "tests/fixtures/catalogue.json").read_text())["cases"]
        if c["loss"] == "ctc" and c["reduction"] == "mean" and not c["params"]
    )
    np.savez(tmp_path / "b.npz", **{k: np.array(v) for k, v in case["inputs"].items()})
    r = run("compute", "ctc", tmp_path / "b.npz", "-o", "json")
    assert r.code == 0
    assert "too short" in r.stderr  # the fixture holds one impossible sequence
    assert case["expected"] == float("inf")  # torch's mean over an impossible sequence
    # JSON has no infinity: null, and stderr says which value it stands for.
    assert r.value() is None
    assert "JSON cannot hold infinities: wrote null where results[0].value is inf" in r.stderr
    text = run("compute", "ctc", tmp_path / "b.npz", "-o", "csv").stdout
    assert float(text.splitlines()[1].split(",")[3]) == case["expected"]


def test_ctc_sample_data_per_sequence(run):
    r = run("compute", "ctc", CTC, "--reduction", "none", "-o", "json")
    assert r.code == 0, r.stderr
    assert len(r.json()["results"][0]["values"]) == 4


@pytest.mark.parametrize(
    "loss, inputs, expected",
    [
        # 1 - 2|X n Y| / (|X| + |Y|) with smooth 0: masks 1100 and 1010 overlap in one pixel.
        ("dice", {"predictions": [[1.0, 1, 0, 0]], "targets": [[1.0, 0, 1, 0]]}, 0.5),
        ("iou", {"predictions": [[1.0, 1, 0, 0]], "targets": [[1.0, 0, 1, 0]]}, 2 / 3),
        # Boxes [0,0,2,2] and [1,1,3,3]: IoU 1/7, enclosing box 9, union 7.
        ("giou", {"predictions": [[0.0, 0, 2, 2]], "targets": [[1.0, 1, 3, 3]]}, 1 - 1 / 7 + 2 / 9),
        # Triplet with distances 1 and 3, margin 1 -> 0; margin 3 -> 1.
        ("triplet", {"anchor": [[0.0, 0]], "positive": [[1.0, 0]], "negative": [[3.0, 0]]}, 0),
    ],
)
def test_hand_worked_examples_through_parquet(run, tmp_path, loss, inputs, expected):
    files = []
    for name, rows in inputs.items():
        rows = np.array(rows)
        table = pa.table({f"{name}_{j}": rows[:, j] for j in range(rows.shape[1])})
        pq.write_table(table, tmp_path / f"{name}.parquet")
        files.append(tmp_path / f"{name}.parquet")
    params = ["-p", "smooth=0"] if loss in ("dice", "iou") else []
    params += ["-p", "eps=0"] if loss == "triplet" else []
    r = run("compute", loss, *files, *params, "-o", "json")
    assert r.code == 0, r.stderr
    assert r.value() == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_contrastive_takes_distances_or_two_embeddings(run, tmp_path):
    a, b = np.array([[0.0, 0], [0, 0]]), np.array([[3.0, 4], [0.3, 0.4]])
    labels = np.array([1.0, 0.0])  # dissimilar at distance 5 (cost 0), similar at 0.5
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    write_csv(tmp_path / "y.csv", {"y": labels})
    write_csv(tmp_path / "d.csv", {"d": np.array([5.0, 0.5])})
    two = run(
        "compute",
        "contrastive",
        tmp_path / "a.npy",
        tmp_path / "b.npy",
        tmp_path / "y.csv",
        "-o",
        "json",
    )
    one = run("compute", "contrastive", tmp_path / "d.csv", tmp_path / "y.csv", "-o", "json")
    assert two.value() == pytest.approx(0.5 * (0 + 0.5 * 0.25))
    assert one.value() == pytest.approx(two.value(), rel=1e-12)


def test_convention_keras_divides_weighted_sum_by_n(run, tmp_path):
    p, y, w = np.array([1.0, 2.0, 4.0]), np.array([0.0, 0.0, 0.0]), np.array([1.0, 0.0, 3.0])
    write_csv(tmp_path / "p.csv", {"p": p})
    write_csv(tmp_path / "y.csv", {"y": y})
    write_csv(tmp_path / "w.csv", {"w": w})
    args = [
        "compute",
        "mse",
        tmp_path / "p.csv",
        tmp_path / "y.csv",
        "--weights",
        tmp_path / "w.csv",
        "-o",
        "json",
    ]
    assert run(*args).value() == pytest.approx((1 + 48) / 4)
    keras = run(*args, "--convention", "keras")
    assert keras.value() == pytest.approx((1 + 48) / 3)
    assert keras.json()["results"][0]["convention"] == "keras"


def test_info_lists_other_conventions(run):
    r = run("info", "kl_div", "-o", "table")
    assert "--convention torch" in r.stdout and "batchmean" in r.stdout
    assert run("info", "KLDivLoss", "-o", "json").json()["other_conventions"]["keras"]


def test_tasks_file_gives_each_task_and_the_weighted_total(run, tmp_path):
    np.save(tmp_path / "p.npy", np.array([1.0, 3.0]))
    np.save(tmp_path / "y.npy", np.array([0.0, 0.0]))
    (tmp_path / "t.toml").write_text(
        '[[task]]\nname = "a"\nloss = "mse"\ninputs = ["p.npy", "y.npy"]\nweight = 2\n'
        '[[task]]\nname = "b"\nloss = "huber"\ninputs = ["p.npy", "y.npy"]\n'
        "params = { delta = 2.0 }\n"
    )
    r = run("compute", "--tasks", tmp_path / "t.toml", "-o", "json")
    assert r.code == 0, r.stderr
    out = {x["task"]: x["value"] for x in r.json()["results"]}
    huber = (0.5 + 2 * (3 - 1)) / 2
    assert out == pytest.approx({"a": 5.0, "b": huber, "total": 2 * 5.0 + huber})


def test_tasks_file_errors_name_the_task(run, tmp_path):
    (tmp_path / "t.toml").write_text('[[task]]\nloss = "mse"\ninputs = "p.npy"\n')
    r = run("compute", "--tasks", tmp_path / "t.toml")
    assert r.code == 2 and "task 1" in r.stderr and "inputs" in r.stderr


PLUGIN = """
import numpy as np
from losscli.plugins import Param, loss

@loss(name="scaled_mae", summary="MAE times k.", formula="l = k mean_d |p - y|",
      params=[Param("k", "float", 1.0, "scale", low=0.0)])
def scaled_mae(predictions, targets, *, k=1.0):
    return k * np.abs(predictions - targets).reshape(len(predictions), -1).mean(axis=1)
"""


def test_plugin_file_registers_a_loss(run, tmp_path):
    (tmp_path / "mine.py").write_text(PLUGIN)
    np.save(tmp_path / "p.npy", np.array([1.0, -3.0]))
    np.save(tmp_path / "y.npy", np.zeros(2))
    r = run(
        "compute",
        "scaled_mae",
        tmp_path / "p.npy",
        tmp_path / "y.npy",
        "--plugin",
        tmp_path / "mine.py",
        "-p",
        "k=2",
        "-o",
        "json",
    )
    assert r.code == 0, r.stderr
    assert r.value() == pytest.approx(4.0)
    assert "scaled_mae" in run("list", "--plugin", tmp_path / "mine.py", "-o", "csv").stdout
    assert run("compute", "scaled_mae", tmp_path / "p.npy", tmp_path / "y.npy").code == 2


def test_plugin_name_collision_names_both_sources(run, tmp_path):
    (tmp_path / "mine.py").write_text(PLUGIN.replace('name="scaled_mae"', 'name="l1"'))
    r = run("list", "--plugin", tmp_path / "mine.py")
    assert r.code == 2
    assert "'l1'" in r.stderr and "mine.py" in r.stderr and "built-in" in r.stderr


def test_entry_point_plugins_load_only_when_asked_for(run, tmp_path, monkeypatch):
    module = tmp_path / "ep_losses.py"
    module.write_text(PLUGIN + "\nLOADED = open(__file__ + '.loaded', 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class Point:
        name, value = "scaled_mae", "ep_losses:scaled_mae"

        def load(self):
            import importlib

            return importlib.import_module("ep_losses").scaled_mae

    import losscli.plugins

    monkeypatch.setattr(losscli.plugins, "_entry_points", lambda: [Point()])
    assert run("info", "mse").code == 0
    assert not (tmp_path / "ep_losses.py.loaded").exists()
    r = run("info", "scaled_mae", "-o", "json")
    assert r.code == 0, r.stderr
    assert r.json()["name"] == "scaled_mae"
    assert (tmp_path / "ep_losses.py.loaded").exists()
    sys.modules.pop("ep_losses", None)


def test_convention_sklearn_mape_is_a_fraction(run, tmp_path):
    write_csv(tmp_path / "p.csv", {"p": np.array([110.0, 45.0])})
    write_csv(tmp_path / "y.csv", {"y": np.array([100.0, 50.0])})
    args = ["compute", "mape", tmp_path / "p.csv", tmp_path / "y.csv", "-o", "json"]
    assert run(*args).value() == pytest.approx(10.0)  # Keras: percent
    assert run(*args, "--convention", "sklearn").value() == pytest.approx(0.1)
