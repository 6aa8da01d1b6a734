"""Time one process against the Dask engine on a partitioned Parquet dataset of 1e8 rows.

    pip install -e '.[dask]'
    python benchmarks/bench_dask.py                     # 1e8 rows, 3 rounds (~10 minutes)
    python benchmarks/bench_dask.py --rows 10_000_000 --rounds 1

The dataset (``--folder``, default /dev/shm/losscli-dask-bench: read from RAM, outside the
repository) is 100 Parquet files under ``day=D/`` folders, 10 days of 10 files, with
columns ``y`` and ``p`` (float64) and ``bucket`` (1,000 distinct integers), written once and
reused. Every number is a whole ``losscli`` process as a user runs it:

- read: the bare read, every ``y`` and ``p`` value scanned by pyarrow's dataset reader;
- one process: ``losscli compute mse DIR`` (pyarrow reads on every core);
- dask, N workers: ``--engine dask --scheduler ADDRESS`` on a cluster started beforehand with
  ``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` (as on a real cluster);
- dask, own cluster: ``--engine dask`` without a scheduler: the command starts and stops a
  local cluster sized to the machine (start-up included).

Each of these also runs with ``--group-by day`` (10 groups) and ``--group-by bucket``
(1,000 groups). After one warm-up run of every command, each round runs all of them in turn;
the table gives the median wall time, its ratio to the bare read of the same round, and the
highest peak memory of the command's own process (a local cluster's workers not counted).
It ends with what one partition sends back (pickled ``RunState`` bytes) by number of groups.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_compute  # noqa: E402 - beside this file

PY = sys.executable
DAYS = 10
FILES_PER_DAY = 10
BUCKETS = 1000


def write(folder: Path, rows: int) -> None:
    """The dataset, one file at a time (each from its own seeded stream)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    per_file = rows // (DAYS * FILES_PER_DAY)
    for day in range(DAYS):
        for part in range(FILES_PER_DAY):
            rng = np.random.default_rng([day, part])
            y = rng.normal(size=per_file)
            table = pa.table(
                {
                    "y": y,
                    "p": y + rng.normal(size=per_file),
                    "bucket": rng.integers(0, BUCKETS, size=per_file),
                }
            )
            target = folder / f"day={day}" / f"part-{part:02d}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, target)


def ensure_dataset(folder: Path, rows: int) -> None:
    stamp = folder / "_rows.json"
    if stamp.exists() and json.loads(stamp.read_text()) == rows:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"writing {rows:,} rows to {folder} ...", file=sys.stderr)
    subprocess.run([PY, __file__, "--write-only", str(folder), str(rows)], check=True)
    stamp.write_text(json.dumps(rows))


class Cluster:
    """A scheduler and workers started as a real deployment starts them."""

    def __init__(self, workers: int) -> None:
        self.dir = tempfile.mkdtemp(prefix="losscli-dask-")
        file = os.path.join(self.dir, "scheduler.json")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.processes = [
            subprocess.Popen(
                [
                    "dask",
                    "scheduler",
                    "--port",
                    "0",
                    "--dashboard-address",
                    ":0",
                    "--scheduler-file",
                    file,
                ],
                **quiet,
            )
        ]
        while not os.path.exists(file):
            time.sleep(0.1)
        time.sleep(0.3)
        self.address = json.loads(Path(file).read_text())["address"]
        self.processes.append(
            subprocess.Popen(
                [
                    "dask",
                    "worker",
                    "--scheduler-file",
                    file,
                    "--nworkers",
                    str(workers),
                    "--nthreads",
                    "1",
                    "--dashboard-address",
                    ":0",
                ],
                **quiet,
            )
        )
        from distributed import Client

        with Client(self.address) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of the command's own process (a local cluster's
    worker processes are not counted)."""
    return bench_compute.measure(cmd, dict(os.environ))


def bare_read(folder: Path) -> list[str]:
    code = (
        "import sys, pyarrow.dataset as ds\n"
        "n = 0\n"
        f"for b in ds.dataset({str(folder)!r}, format='parquet').to_batches(columns=['y', 'p']):\n"
        "    n += b.num_rows\n"
        "print(n)\n"
    )
    return [PY, "-c", code]


def state_sizes(folder: Path) -> dict[str, int]:
    """Bytes one partition sends back (its pickled RunState) for 0, 10 and 1,000 groups."""
    from losscli.engines.dask_engine import evaluate_partition
    from losscli.engines.partitions import partitions
    from losscli.requests import Options, resolve_requests

    requests = resolve_requests("mse", [])
    part = partitions([str(folder)], None)[0]
    out = {}
    for label, group_by in (("none", None), ("day (10)", "day"), ("bucket (1,000)", "bucket")):
        options = Options(columns={"predictions": "p", "targets": "y"}, group_by=group_by)
        out[label] = len(pickle.dumps(evaluate_partition(part, requests, options)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=100_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/dev/shm/losscli-dask-bench"))
    args = parser.parse_args()
    ensure_dataset(args.folder, args.rows)
    base = [
        *bench_compute._losscli(),
        "compute",
        "mse",
        str(args.folder),
        "--col",
        "predictions=p",
        "--col",
        "targets=y",
        "-o",
        "json",
    ]
    variants = {
        "": [],
        " --group-by day": ["--group-by", "day"],
        " --group-by bucket": ["--group-by", "bucket"],
    }
    clusters = {n: Cluster(n) for n in (1, 2)}
    try:
        commands: dict[str, list[str]] = {"read": bare_read(args.folder)}
        for suffix, extra in variants.items():
            commands[f"one process{suffix}"] = base + extra
            for n, cluster in clusters.items():
                commands[f"dask, {n} worker{'s' * (n > 1)}{suffix}"] = (
                    base + extra + ["--engine", "dask", "--scheduler", cluster.address]
                )
            commands[f"dask, own cluster{suffix}"] = base + extra + ["--engine", "dask"]
        for cmd in commands.values():
            measure(cmd)  # warm-up
        walls: dict[str, list[float]] = {k: [] for k in commands}
        ratios: dict[str, list[float]] = {k: [] for k in commands}
        peaks: dict[str, float] = dict.fromkeys(commands, 0.0)
        for _ in range(args.rounds):
            this_round = {name: measure(cmd) for name, cmd in commands.items()}
            for name, (wall, peak) in this_round.items():
                walls[name].append(wall)
                ratios[name].append(wall / this_round["read"][0])
                peaks[name] = max(peaks[name], peak)
    finally:
        for cluster in clusters.values():
            cluster.close()
    print(
        f"\n{args.rows:,} rows in {DAYS * FILES_PER_DAY} Parquet files, "
        f"{os.cpu_count()} cores, {args.rounds} rounds\n"
    )
    print("| command | wall (s) | x read | peak MiB |")
    print("|---|---:|---:|---:|")
    for name in commands:
        print(
            f"| {name} | {statistics.median(walls[name]):.2f} | "
            f"{statistics.median(ratios[name]):.2f} | {peaks[name]:.0f} |"
        )
    print("\n| groups | bytes a partition sends back (mse) |")
    print("|---|---:|")
    for label, size in state_sizes(args.folder).items():
        print(f"| {label} | {size:,} |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--write-only":
        write(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
