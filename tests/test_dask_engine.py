"""The Dask engine against the single-process path on the same partitioned data, on a real
``dask.distributed`` cluster of two worker processes: values, groups, weights, NaN
policies, paired datasets, intervals, errors, and a worker killed mid-job."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import losscli
from losscli.errors import InputError, UsageError


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.CRITICAL,
    ) as cluster:
        yield cluster.scheduler_address


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    targets = rng.normal(size=n) * 3
    probabilities = 1 / (1 + np.exp(-rng.normal(size=n) * 4))
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "y": targets,
            "p": targets + rng.standard_t(3, size=n),
            "w": rng.exponential(size=n),
            "label": (rng.random(n) < probabilities).astype(float),
            "prob": np.clip(probabilities + rng.normal(scale=0.1, size=n), 0.01, 0.99),
            "region": rng.choice(["north", "south", "east", "west"], size=n),
            "fold": rng.integers(0, 3, size=n),
        }
    )


def write_dataset(
    root: Path, frame: pd.DataFrame, files: int, fmt: str = "parquet", hive: str | None = None
) -> Path:
    """``frame`` cut into ``files`` consecutive files, under ``hive=value/`` folders if asked."""
    root.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(frame), files + 1).astype(int)
    for k in range(files):
        part = frame.iloc[bounds[k] : bounds[k + 1]]
        groups = [(None, part)] if hive is None else list(part.groupby(hive, sort=True))
        for value, rows in groups:
            folder = root if value is None else root / f"{hive}={value}"
            folder.mkdir(exist_ok=True)
            rows = rows if hive is None else rows.drop(columns=[hive])
            if fmt == "parquet":
                pq.write_table(
                    pa.Table.from_pandas(rows, preserve_index=False),
                    folder / f"part-{k:03d}.parquet",
                )
            else:
                rows.to_csv(folder / f"part-{k:03d}.csv", index=False)
    return root


def _close(a: float, b: float) -> bool:
    """The same float64, bit for bit (sums are exact, so the engine changes nothing)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def _same(local, engine) -> None:
    """Every value and group value of two evaluations is the same float64."""
    local_results = list(local) if not isinstance(local, losscli.Result) else [local]
    engine_results = list(engine) if not isinstance(engine, losscli.Result) else [engine]
    assert len(local_results) == len(engine_results)
    for a, b in zip(local_results, engine_results):
        assert a.loss == b.loss and a.n == b.n
        assert _close(a.value, b.value), (a.loss, a.value, b.value)
        assert [g.group for g in a.groups] == [g.group for g in b.groups]
        for ga, gb in zip(a.groups, b.groups):
            assert ga.n == gb.n
            assert _close(ga.value, gb.value), (a.loss, ga.group, ga.value, gb.value)


COLUMNS = {"predictions": "p", "targets": "y"}
PICK = ["--col", "predictions=p", "--col", "targets=y"]


def ON_ENGINE(scheduler: str) -> list[str]:  # noqa: N802 - reads as a constant in calls
    return [*PICK, "--engine", "dask", "--scheduler", scheduler]


@pytest.mark.parametrize("files", [1, 3, 8])
def test_parquet_values_and_groups_equal_one_process_whatever_the_files(tmp_path, scheduler, files):
    frame = _frame(np.random.default_rng(files), 30_000)
    path = str(write_dataset(tmp_path / "d", frame, files))
    spec = "mse,mae,huber,log_cosh"
    kw = dict(columns=COLUMNS, group_by="region", chunk_rows=4096)
    _same(
        losscli.compute(spec, path, **kw),
        losscli.compute(spec, path, engine="dask", scheduler=scheduler, **kw),
    )
    # and the independent answer: pandas on the whole frame
    engine = losscli.compute("mse", path, engine="dask", scheduler=scheduler, **kw)
    expected = ((frame.p - frame.y) ** 2).groupby(frame.region).mean()
    assert math.isclose(engine.value, float(((frame.p - frame.y) ** 2).mean()), rel_tol=1e-12)
    for group in engine.groups:
        assert math.isclose(group.value, float(expected[group.group]), rel_tol=1e-12)


def test_csv_hive_partitions_weights_and_nan_skip(tmp_path, scheduler):
    frame = _frame(np.random.default_rng(7), 20_000)
    frame.loc[frame.sample(frac=0.01, random_state=1).index, "p"] = np.nan
    path = str(write_dataset(tmp_path / "d", frame, 4, fmt="csv", hive="region"))
    kw = dict(
        columns={**COLUMNS, "weights": "w"},
        group_by="region",
        nan="skip",
        chunk_rows=3000,
    )
    spec = "0.7*mse + 0.3*mae"
    local = losscli.compute(spec, path, **kw)
    engine = losscli.compute(spec, path, engine="dask", scheduler=scheduler, **kw)
    _same(local, engine)
    assert engine["total"].n == frame.p.notna().sum()
    kept = frame[frame.p.notna()]
    expected = np.average((kept.p - kept.y) ** 2, weights=kept.w)
    assert math.isclose(engine["mse"].value, expected, rel_tol=1e-12)
    assert [g.group for g in engine["mse"].groups] == ["east", "north", "south", "west"]


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        (
            "binary_cross_entropy,focal,brier",
            {"columns": {"predictions": "prob", "targets": "label"}},
        ),
        ("mse,mae", {"columns": COLUMNS, "reduction": "sum"}),
        (
            "binary_cross_entropy",
            {"columns": {"predictions": "prob", "targets": "label"}, "convention": "keras"},
        ),
        ("mse", {"columns": {**COLUMNS, "weights": "w"}, "group_by": "fold", "reduction": "sum"}),
    ],
)
def test_reductions_conventions_and_integer_partitions(tmp_path, scheduler, spec, options):
    frame = _frame(np.random.default_rng(3), 12_000)
    path = str(write_dataset(tmp_path / "d", frame, 5, hive="fold"))
    local = losscli.compute(spec, path, **options)
    engine = losscli.compute(spec, path, engine="dask", scheduler=scheduler, **options)
    _same(local, engine)


def test_two_datasets_pair_by_file_name_and_by_order(tmp_path, scheduler):
    frame = _frame(np.random.default_rng(11), 9_000)
    preds = write_dataset(tmp_path / "preds", frame[["p"]], 3)
    targets = write_dataset(tmp_path / "targets", frame[["y"]], 3)
    local = losscli.compute("mse", str(preds), str(targets))
    engine = losscli.compute("mse", str(preds), str(targets), engine="dask", scheduler=scheduler)
    _same(local, engine)
    # Other names: paired by order.
    for k, name in enumerate(sorted(os.listdir(targets))):
        os.rename(targets / name, targets / f"t{k}.parquet")
    renamed = losscli.compute("mse", str(preds), str(targets), engine="dask", scheduler=scheduler)
    _same(local, renamed)


def test_files_that_do_not_pair_are_an_error(tmp_path, scheduler):
    frame = _frame(np.random.default_rng(12), 3_000)
    preds = write_dataset(tmp_path / "preds", frame[["p"]], 3)
    targets = write_dataset(tmp_path / "targets", frame[["y"]], 2)
    with pytest.raises(InputError, match=r"do not pair up .*has 3 files.*has 2 files"):
        losscli.compute("mse", str(preds), str(targets), engine="dask", scheduler=scheduler)
    shifted = write_dataset(tmp_path / "shifted", frame[["y"]].iloc[:2_900], 3)
    with pytest.raises(InputError, match=r"row counts disagree.*part-000"):
        losscli.compute("mse", str(preds), str(shifted), engine="dask", scheduler=scheduler)


def test_nan_error_names_the_file_and_row_and_no_number_is_given(tmp_path, scheduler, run):
    frame = _frame(np.random.default_rng(5), 6_000)
    frame.loc[4_321, "p"] = np.nan  # the 322nd row of the third of six files (1000 rows each)
    path = write_dataset(tmp_path / "d", frame, 6)
    result = run("compute", "mse", path, *ON_ENGINE(scheduler), "-o", "json")
    assert result.code == 2 and result.stdout == ""
    assert "NaN, inf or missing values in 1 of 6000 rows" in result.stderr
    assert "row 322 of predictions" in result.stderr and "part-004.parquet" in result.stderr


def test_bad_input_in_a_partition_is_the_same_one_line_error(tmp_path, scheduler, run):
    frame = _frame(np.random.default_rng(6), 3_000)
    path = write_dataset(tmp_path / "d", frame, 3, fmt="csv")
    bad = path / "part-001.csv"
    lines = bad.read_text().splitlines()
    cells = lines[10].split(",")
    cells[2] = "oops"
    lines[10] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n")
    local = run("compute", "mse", path, *PICK)
    engine = run("compute", "mse", path, *ON_ENGINE(scheduler))
    assert engine.code == local.code == 2 and engine.stdout == ""
    assert engine.stderr == local.stderr
    assert "part-001.csv" in engine.stderr and "'oops'" in engine.stderr
    assert len(engine.stderr.strip().splitlines()) == 1


def test_check_gates_on_the_engine(tmp_path, scheduler, run):
    frame = _frame(np.random.default_rng(8), 5_000)
    path = write_dataset(tmp_path / "d", frame, 4, hive="region")
    mse = float(((frame.p - frame.y) ** 2).mean())
    args = ["check", "mse", path, *ON_ENGINE(scheduler), "-o", "json"]
    assert run(*args, "--max", f"mse={mse * 1.001}").code == 0
    failed = run(*args, "--max", f"mse={mse * 0.999}", "--group-by", "region")
    assert failed.code == 1
    assert math.isclose(failed.json()["checks"][0]["value"], mse, rel_tol=1e-12)


def test_bootstrap_on_the_engine_is_reproducible_and_brackets_the_value(tmp_path, scheduler):
    frame = _frame(np.random.default_rng(9), 8_000)
    path = str(write_dataset(tmp_path / "d", frame, 4, hive="region"))
    kw = dict(
        columns=COLUMNS,
        group_by="region",
        ci=0.9,
        bootstrap=400,
        engine="dask",
        scheduler=scheduler,
    )
    first = losscli.compute("mse,mae", path, seed=3, **kw)
    again = losscli.compute("mse,mae", path, seed=3, **kw)
    other = losscli.compute("mse,mae", path, seed=4, **kw)
    for a, b, c in zip(first, again, other):
        assert a.ci == b.ci and a.ci != c.ci
        assert a.ci[0] < a.value < a.ci[1]
        for group in a.groups:
            assert group.ci[0] < group.value < group.ci[1]
    # the same partitioning evaluated in this process with the same streams
    from losscli.engines.dask_engine import _client_stages, evaluate_partition, finish_states
    from losscli.engines.partitions import partitions
    from losscli.requests import Options, resolve_requests

    requests = resolve_requests("mse,mae", [])
    options = Options(
        columns=COLUMNS, group_by="region", ci=0.9, bootstrap=400, seed=3, engine="dask"
    )
    parts = partitions([path], None)
    states = [evaluate_partition(p, requests, options) for p in parts]
    here = finish_states(_client_stages(requests, parts[0], options), states)
    assert [r.ci for r in here] == [r.ci for r in first]


def test_what_the_engine_does_not_do_is_a_one_line_error(tmp_path, scheduler):
    frame = _frame(np.random.default_rng(10), 100)
    path = str(write_dataset(tmp_path / "d", frame, 2))
    kw = dict(columns=COLUMNS, engine="dask", scheduler=scheduler)
    with pytest.raises(UsageError, match="reduced values"):
        losscli.compute("mse", path, reduction="none", **kw)
    with pytest.raises(UsageError, match="worst"):
        losscli.compute("mse", path, worst=3, **kw)
    with pytest.raises(UsageError, match="in-memory"):
        losscli.compute(
            "mse", frame.p.to_numpy(), frame.y.to_numpy(), engine="dask", scheduler=scheduler
        )
    np.save(tmp_path / "p.npy", frame.p.to_numpy())
    with pytest.raises(UsageError, match="NPY"):
        losscli.compute("mse", str(tmp_path / "p.npy"), str(tmp_path / "p.npy"), engine="dask")
    with pytest.raises(UsageError, match="--engine dask|engine='dask'"):
        losscli.compute("mse", path, columns=COLUMNS, scheduler=scheduler)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, run, monkeypatch):
    frame = _frame(np.random.default_rng(13), 100)
    path = write_dataset(tmp_path / "d", frame, 1)
    monkeypatch.setenv("LOSSCLI_DASK_TIMEOUT", "1s")
    result = run(
        "compute", "mse", path, *PICK, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith(
        "losscli: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9"
    )


def test_without_dask_the_engine_names_the_extra(tmp_path, run, monkeypatch):
    frame = _frame(np.random.default_rng(14), 100)
    path = write_dataset(tmp_path / "d", frame, 1)
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = run("compute", "mse", path, *PICK, "--engine", "dask")
    assert result.code == 2
    assert (
        result.stderr.strip()
        == "losscli: error: --engine dask needs Dask: pip install 'losscli[dask]'"
    )


def test_the_single_process_path_does_not_import_dask(tmp_path):
    frame = _frame(np.random.default_rng(15), 1000)
    path = write_dataset(tmp_path / "d", frame, 3, hive="region")
    code = (
        "import sys, losscli;"
        f"losscli.compute('mse', {str(path)!r}, columns={COLUMNS!r}, group_by='region');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_starts_and_stops_its_own_local_cluster(tmp_path):
    frame = _frame(np.random.default_rng(16), 4000)
    path = write_dataset(tmp_path / "d", frame, 2)
    args = [
        "compute",
        "mse",
        str(path),
        "--col",
        "predictions=p",
        "--col",
        "targets=y",
        "-o",
        "json",
    ]
    engine = subprocess.run(
        [sys.executable, "-m", "losscli", *args, "--engine", "dask"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert engine.returncode == 0, engine.stderr
    assert engine.stderr == ""
    value = json.loads(engine.stdout)["results"][0]["value"]
    assert math.isclose(value, float(((frame.p - frame.y) ** 2).mean()), rel_tol=1e-12)


def _slow_job(tmp_path: Path) -> tuple[str, dict]:
    """Enough partitions, read in small chunks, that a worker can be killed mid-job."""
    frame = _frame(np.random.default_rng(17), 1_000_000)
    path = str(write_dataset(tmp_path / "slow", frame, 16))
    return path, dict(columns=COLUMNS, group_by="region", chunk_rows=250)


def _kill_a_busy_worker(address: str, done: threading.Event) -> bool:
    """SIGKILL the process of a worker while it runs one of our tasks."""
    from distributed import Client

    with Client(address, timeout="10s") as client:
        pids = client.run(os.getpid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.is_set():
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                return True
            time.sleep(0.02)
    return False


@pytest.fixture
def fresh_cluster(request):
    """A cluster of its own (a worker is killed), with the scheduler's retry budget given."""
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": request.param}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        ) as cluster,
    ):
        yield cluster.scheduler_address


def _run_while_killing(path, kw, address):
    outcome: dict = {}
    done = threading.Event()

    def job():
        try:
            outcome["result"] = losscli.compute(
                "mse,mae", path, engine="dask", scheduler=address, **kw
            )
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=job)
    thread.start()
    killed = _kill_a_busy_worker(address, done)
    thread.join(timeout=300)
    return killed, outcome


@pytest.mark.parametrize("fresh_cluster", [3], indirect=True)
def test_a_worker_killed_mid_job_is_retried_and_the_numbers_are_whole(tmp_path, fresh_cluster):
    path, kw = _slow_job(tmp_path)
    killed, outcome = _run_while_killing(path, kw, fresh_cluster)
    assert killed, "the job ended before a worker could be killed"
    assert "error" not in outcome, outcome.get("error")
    _same(losscli.compute("mse,mae", path, **kw), outcome["result"])


@pytest.mark.parametrize("fresh_cluster", [0], indirect=True)
def test_a_worker_lost_without_retries_ends_with_a_clear_error(tmp_path, fresh_cluster):
    from losscli.engines.dask_engine import EngineError

    path, kw = _slow_job(tmp_path)
    killed, outcome = _run_while_killing(path, kw, fresh_cluster)
    assert killed, "the job ended before a worker could be killed"
    assert "result" not in outcome
    error = outcome["error"]
    assert isinstance(error, EngineError)
    assert "died" in str(error) and "no result" in str(error) and "\n" not in str(error)


def _keyed(tmp_path: Path, seed: int, n: int = 6_000) -> tuple[Path, Path, pd.DataFrame]:
    """Predictions and targets in files cut differently and in different row orders."""
    frame = _frame(np.random.default_rng(seed), n)
    shuffled = frame.sample(frac=1.0, random_state=seed)
    preds = write_dataset(tmp_path / "preds", shuffled[["id", "p", "w"]], 4)
    targets = write_dataset(tmp_path / "targets", frame[["id", "y", "region"]], 3, fmt="csv")
    return preds, targets, frame


def test_on_key_joins_equal_one_process(tmp_path, scheduler, monkeypatch):
    _, _, frame = _keyed(tmp_path, 21)
    monkeypatch.chdir(tmp_path)  # relative paths: the workers' directory is elsewhere
    preds, targets = Path("preds"), Path("targets")
    kw = dict(on="id", group_by="region", columns={**COLUMNS, "weights": "w"})
    local = losscli.compute("mse,mae", str(preds), str(targets), **kw)
    engine = losscli.compute(
        "mse,mae", str(preds), str(targets), engine="dask", scheduler=scheduler, **kw
    )
    _same(local, engine)
    expected = np.average((frame.p - frame.y) ** 2, weights=frame.w)
    assert math.isclose(engine["mse"].value, expected, rel_tol=1e-12)


def test_on_key_inner_drops_unmatched_rows_and_says_so(tmp_path, scheduler):
    preds, targets, frame = _keyed(tmp_path, 22)
    extra = pd.DataFrame({"id": [10**6, 10**6 + 1], "y": [0.0, 1.0], "region": ["x", "x"]})
    extra.to_csv(targets / "part-009.csv", index=False)
    kw = dict(on="id", columns=COLUMNS)
    with pytest.raises(
        InputError, match="keys do not match.*--how inner|keys do not match.*how='inner'"
    ):
        losscli.compute("mse", str(preds), str(targets), engine="dask", scheduler=scheduler, **kw)
    with pytest.warns(losscli.LossWarning, match="dropped 2 of 6002 rows"):
        engine = losscli.compute(
            "mse", str(preds), str(targets), how="inner", engine="dask", scheduler=scheduler, **kw
        )
    local = losscli.compute("mse", str(preds), str(targets), how="inner", **kw)
    _same(local, engine)


def test_on_key_duplicates_are_an_error(tmp_path, scheduler, run):
    preds, targets, _ = _keyed(tmp_path, 23)
    pd.DataFrame({"id": [5, 7], "y": [0.0, 1.0], "region": ["x", "x"]}).to_csv(
        targets / "part-009.csv", index=False
    )
    result = run("compute", "mse", preds, targets, "--on", "id", *ON_ENGINE(scheduler))
    assert result.code == 2 and result.stdout == ""
    assert "has 2 duplicate id keys" in result.stderr and "keys must be unique" in result.stderr


def test_a_checks_file_runs_on_the_engine(scheduler, run, monkeypatch):
    """sample_data/ci/losscli.toml: --on joins and --group-by, the same verdicts and values."""
    monkeypatch.chdir(Path(__file__).parents[1] / "sample_data" / "ci")
    local = run("check", "-o", "json")
    engine = run("check", "-o", "json", "--engine", "dask", "--scheduler", scheduler)
    assert engine.code == local.code == 1  # the candidate's east region fails its limit
    a, b = local.json()["checks"], engine.json()["checks"]
    assert [(c["loss"], c.get("group"), c["verdict"]) for c in a] == [
        (c["loss"], c.get("group"), c["verdict"]) for c in b
    ]
    for x, y in zip(a, b):
        assert _close(x["value"], y["value"])


def test_urls_reach_the_workers_through_fsspec(tmp_path, scheduler):
    """A URL's filesystem travels to the workers with each file (fsspec's local:// here;
    s3:// and gs:// take the same path)."""
    frame = _frame(np.random.default_rng(31), 5_000)
    write_dataset(tmp_path / "d", frame, 3, hive="region")
    url = f"local://{tmp_path}/d"
    kw = dict(columns=COLUMNS, group_by="region")
    engine = losscli.compute("mse", url, engine="dask", scheduler=scheduler, **kw)
    _same(losscli.compute("mse", str(tmp_path / "d"), **kw), engine)


def test_a_plugin_loss_runs_on_the_workers(scheduler, run, monkeypatch):
    """The plugin file is loaded here; its loss travels to the worker processes."""
    monkeypatch.chdir(Path(__file__).parents[1] / "sample_data")
    args = [
        "compute",
        "scaled_mae",
        "partitioned/evals/",
        "--plugin",
        "plugins/my_losses.py",
        "--col",
        "predictions=forecast",
        "--col",
        "targets=y",
        "-p",
        "k=2",
        "-o",
        "json",
    ]
    local = run(*args)
    engine = run(*args, "--engine", "dask", "--scheduler", scheduler)
    assert engine.code == local.code == 0, engine.stderr
    assert _close(engine.value(), local.value())


def test_the_scheduler_from_a_scheduler_file_or_dasks_setting(tmp_path, scheduler, run):
    import dask

    frame = _frame(np.random.default_rng(41), 3_000)
    path = write_dataset(tmp_path / "d", frame, 3)
    expected = float(((frame.p - frame.y) ** 2).mean())
    # the part of a scheduler file (dask scheduler --scheduler-file) a client reads
    (tmp_path / "scheduler.json").write_text(json.dumps({"address": scheduler}))
    by_file = run(
        "compute",
        "mse",
        path,
        *PICK,
        "--engine",
        "dask",
        "--scheduler",
        tmp_path / "scheduler.json",
        "-o",
        "json",
        "--progress",
    )
    assert by_file.code == 0, by_file.stderr
    assert math.isclose(by_file.value(), expected, rel_tol=1e-12)
    with dask.config.set({"scheduler-address": scheduler}):  # what $DASK_SCHEDULER_ADDRESS sets
        from losscli.engines.dask_engine import cluster

        with cluster(None) as client:
            assert client.scheduler.address == scheduler


def test_weights_from_a_dataset_of_their_own(tmp_path, scheduler):
    frame = _frame(np.random.default_rng(51), 4_000)
    data = write_dataset(tmp_path / "data", frame[["p", "y"]], 4)
    weights = write_dataset(tmp_path / "weights", frame[["w"]], 4, fmt="csv")
    kw = dict(columns=COLUMNS, weights=str(weights))
    engine = losscli.compute("mse", str(data), engine="dask", scheduler=scheduler, **kw)
    _same(losscli.compute("mse", str(data), **kw), engine)
    expected = np.average((frame.p - frame.y) ** 2, weights=frame.w)
    assert math.isclose(engine.value, expected, rel_tol=1e-12)


def test_the_number_of_workers_changes_no_bit(tmp_path, scheduler):
    """States are merged in file order, so one worker and two give the same bits."""
    from distributed import LocalCluster

    frame = _frame(np.random.default_rng(61), 20_000)
    path = str(write_dataset(tmp_path / "d", frame, 6, hive="region"))
    kw = dict(columns={**COLUMNS, "weights": "w"}, group_by="region", ci=0.9, bootstrap=200)
    two = losscli.compute("mse,mae", path, engine="dask", scheduler=scheduler, **kw)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.CRITICAL
    ) as single:
        one = losscli.compute(
            "mse,mae", path, engine="dask", scheduler=single.scheduler_address, **kw
        )
    assert [r.to_dict() for r in one] == [r.to_dict() for r in two]


def test_one_big_file_is_cut_by_row_groups(tmp_path, scheduler, run, monkeypatch):
    """A single Parquet file of each input: consecutive row groups are the parts; values and
    the row a message names are those of one process."""
    from losscli.engines import partitions as parts_module

    monkeypatch.setattr(parts_module, "ROWS_PER_PART", 1_000)
    frame = _frame(np.random.default_rng(71), 5_000)
    pq.write_table(
        pa.Table.from_pandas(frame[["p", "w"]]), tmp_path / "p.parquet", row_group_size=500
    )
    pq.write_table(pa.Table.from_pandas(frame[["y"]]), tmp_path / "y.parquet", row_group_size=500)
    inputs = [str(tmp_path / "p.parquet"), str(tmp_path / "y.parquet")]
    parts = parts_module.partitions(inputs, None)
    assert [p.inputs[0].row_groups for p in parts] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    kw = dict(columns={**COLUMNS, "weights": "w"})
    engine = losscli.compute("mse,mae", *inputs, engine="dask", scheduler=scheduler, **kw)
    _same(losscli.compute("mse,mae", *inputs, **kw), engine)
    frame.loc[2_345, "p"] = np.nan
    pq.write_table(
        pa.Table.from_pandas(frame[["p", "w"]]), tmp_path / "p.parquet", row_group_size=500
    )
    local = run("compute", "mse", *inputs, "--col", "predictions=p")
    on_engine = run(
        "compute",
        "mse",
        *inputs,
        "--col",
        "predictions=p",
        "--engine",
        "dask",
        "--scheduler",
        scheduler,
    )
    assert on_engine.code == local.code == 2
    assert on_engine.stderr == local.stderr
    assert "the first at row 2346 of predictions" in on_engine.stderr
    # different row groups in the two files: one part, still right
    pq.write_table(pa.Table.from_pandas(frame[["y"]]), tmp_path / "y.parquet", row_group_size=700)
    assert len(parts_module.partitions(inputs, None)) == 1


def test_extreme_values_and_weights_give_the_same_bits_as_one_process(tmp_path, scheduler):
    """Errors near 1e308 (whose sum overflows float64 but whose mean does not) and weights
    spanning 1e-300 to 1e300: the engine's exact sums merge to the one-process bits."""
    rng = np.random.default_rng(5)
    n = 3_000
    frame = pd.DataFrame(
        {
            "y": np.zeros(n),
            "p": rng.choice([1e308, -1.5e308, 3.0, 1e-300], n),
            "w": 10.0 ** rng.uniform(-300, 300, n),
            "region": rng.choice(["a", "b", "c"], n),
        }
    )
    path = str(write_dataset(tmp_path / "d", frame, 5, hive="region"))
    for columns in (COLUMNS, {**COLUMNS, "weights": "w"}):
        kw = dict(columns=columns, group_by="region")
        local = losscli.compute("mae", path, **kw)
        engine = losscli.compute("mae", path, engine="dask", scheduler=scheduler, **kw)
        assert math.isfinite(local.value)
        _same(local, engine)
