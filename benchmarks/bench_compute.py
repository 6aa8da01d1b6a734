"""Time `losscli compute mse` against the bare cost of reading the same files.

    python benchmarks/bench_compute.py                # 10 million rows, 3 rounds
    python benchmarks/bench_compute.py --rows 1000000 --rounds 5

For each format (CSV, Parquet, NPY) it writes a predictions file and a targets file of
--rows float64 values into a temporary folder, then runs, each in a fresh process:
  * losscli compute mse PREDS TARGETS -o json
  * the read limit: the fastest plain pyarrow/NumPy read of both files' columns, nothing else
and prints the median wall time (start-up included) and the peak resident memory of each
as a Markdown table. Needs only losscli's own dependencies.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("csv", "parquet", "npy")
READ_ONLY = {
    "csv": """
import sys, pyarrow as pa, pyarrow.csv as c
for f in sys.argv[1:]:
    t = c.read_csv(f, convert_options=c.ConvertOptions(column_types={"v": pa.float64()}))
""",
    "parquet": """
import sys, pyarrow.parquet as pq
for f in sys.argv[1:]:
    t = pq.ParquetFile(f).read()
""",
    "npy": """
import sys, numpy as np
for f in sys.argv[1:]:
    a = np.load(f)
""",
}


def write_inputs(folder: Path, rows: int) -> None:
    """Runs in its own process, so that this one stays small: a child's peak memory
    as the kernel reports it starts from its parent's size at fork."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    targets = rng.normal(size=rows)
    preds = targets + rng.normal(scale=0.1, size=rows)
    for fmt in FORMATS:
        for name, values in (("preds", preds), ("targets", targets)):
            path = folder / f"{name}.{fmt}"
            if fmt == "csv":
                pacsv.write_csv(pa.table({"v": values}), path)
            elif fmt == "parquet":
                pq.write_table(pa.table({"v": values}), path)
            else:
                np.save(path, values)


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def median_of(cmd: list[str], rounds: int) -> tuple[float, float]:
    runs = [measure(cmd) for _ in range(rounds)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_to:
        write_inputs(args.write_to, args.rows)
        return
    losscli = [sys.executable, "-m", "losscli"]
    folder = Path(tempfile.mkdtemp(prefix="losscli-bench-"))
    try:
        print(f"writing {args.rows:,} rows per file to {folder} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--write-to", str(folder)],
            check=True,
        )
        print(
            f"| input ({args.rows:,} rows) | read limit | losscli compute mse | ratio "
            "| read-limit peak | losscli peak |"
        )
        print("|---|---|---|---|---|---|")
        for fmt in FORMATS:
            p, t = folder / f"preds.{fmt}", folder / f"targets.{fmt}"
            base_t, base_m = median_of(
                [sys.executable, "-c", READ_ONLY[fmt], str(p), str(t)], args.rounds
            )
            ours_t, ours_m = median_of(
                [*losscli, "compute", "mse", str(p), str(t), "-o", "json"], args.rounds
            )
            size = p.stat().st_size / 2**20
            print(
                f"| {fmt.upper()} (2 x {size:.0f} MiB) | {base_t:.2f} s | {ours_t:.2f} s | "
                f"{ours_t / base_t:.2f}x | {base_m:.0f} MiB | {ours_m:.0f} MiB |",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
