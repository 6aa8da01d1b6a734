"""Time losscli against the bare read of its inputs and against DuckDB and Polars.

    pip install -e '.[bench]'                       # DuckDB and Polars, the peers
    python benchmarks/bench_compute.py              # every cell, 5 rounds (~10 minutes)
    python benchmarks/bench_compute.py --cells mse-csv,startup --rounds 3

Every number is a whole process (interpreter start-up included), as a user runs it. For each
cell the inputs are generated deterministically into --folder (default: /dev/shm, so that
they are read from RAM: this VM does not keep files in its page cache). After one warm-up
run of every command, each round runs the bare read, losscli and each peer once, in turn;
a command's ratio is its wall time over the bare read's in the same round (x < 1: faster
than merely reading the files), and the table gives the median ratio over the rounds, the
median wall time and the highest peak resident memory. The bare read is the fastest plain
pyarrow or NumPy read of the same files, nothing computed: pyarrow's whole-file parse for
CSV (on every core), its batch iterator for Parquet (faster and leaner than a whole read
here), np.load for NPY.

The Markdown table printed is the one in the README's Performance section.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
CLASSES = 10


def _losscli() -> list[str]:
    script = shutil.which("losscli")
    return [script] if script else [PY, "-m", "losscli"]


# --- inputs -------------------------------------------------------------------------------


def _write(folder: Path, cell: str, rows: int) -> None:
    """Runs in a child process, so that this one stays small (a child's peak memory as
    the kernel reports it starts from its parent's size at fork)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    if cell.startswith("ce-"):
        logits = rng.normal(scale=2.0, size=(rows, CLASSES))
        labels = rng.integers(0, CLASSES, size=rows)
        if cell == "ce-npy":
            np.save(folder / "logits.npy", logits)
            np.save(folder / "labels.npy", labels)
            return
        table = pa.table({f"l{i}": logits[:, i] for i in range(CLASSES)})
        if cell == "ce-parquet":
            pq.write_table(table, folder / "logits.parquet")
            pq.write_table(pa.table({"y": labels}), folder / "labels.parquet")
        else:
            pacsv.write_csv(table, folder / "logits.csv")
            pacsv.write_csv(pa.table({"y": labels}), folder / "labels.csv")
        return
    targets = rng.normal(size=rows)
    preds = targets + rng.normal(scale=0.1, size=rows)
    fmt = {"mse-csv": "csv", "mse-parquet": "parquet"}.get(cell, "npy")
    for name, values in (("preds", preds), ("targets", targets)):
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(pa.table({"v": values}), path)
        elif fmt == "parquet":
            pq.write_table(pa.table({"v": values}), path)
        else:
            np.save(path, values)


# --- the commands of each cell ------------------------------------------------------------

READ_CSV = """
import sys, pyarrow as pa, pyarrow.csv as c
types = {{{types}}}
for f in sys.argv[1:]:
    c.read_csv(f, convert_options=c.ConvertOptions(column_types=types))
"""
READ_PARQUET = """
import sys, pyarrow.parquet as pq
for f in sys.argv[1:]:
    for batch in pq.ParquetFile(f, pre_buffer=False, buffer_size=1 << 20).iter_batches(1 << 18):
        pass
"""
READ_NPY = """
import sys, numpy as np
for f in sys.argv[1:]:
    np.load(f)
"""
WRITE_ROWS = """
import sys, numpy as np, pyarrow as pa, pyarrow.csv as c
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
c.write_csv(pa.table({"mse": (a - b) ** 2}), sys.argv[3])
"""
DUCKDB_MSE = """
import sys, duckdb
r = duckdb.sql(f"SELECT avg((p.v - t.v) ^ 2) FROM {sys.argv[1]}('{sys.argv[2]}') p "
               f"POSITIONAL JOIN {sys.argv[1]}('{sys.argv[3]}') t").fetchall()
"""
POLARS_MSE = """
import sys, polars as pl
scan = getattr(pl, sys.argv[1])
p = scan(sys.argv[2]).select(pl.col("v").alias("p"))
t = scan(sys.argv[3]).select(pl.col("v").alias("t"))
pl.concat([p, t], how="horizontal").select(((pl.col("p") - pl.col("t")) ** 2).mean()).collect()
"""
_L = [f"l{i}" for i in range(CLASSES)]
DUCKDB_CE = f"""
import sys, duckdb
m = "greatest({", ".join(_L)})"
lse = "ln(" + " + ".join(f"exp({{c}} - m)" for c in {_L!r}) + ") + m"
pick = "list_extract([{", ".join(_L)}], y + 1)"
duckdb.sql(f"SELECT avg({{lse}} - {{pick}}) FROM (SELECT *, {{m}} AS m FROM "
           f"{{sys.argv[1]}}('{{sys.argv[2]}}') POSITIONAL JOIN {{sys.argv[1]}}('{{sys.argv[3]}}'))"
          ).fetchall()
"""
POLARS_CE = f"""
import sys, polars as pl
scan = getattr(pl, sys.argv[1])
cols = [pl.col(c) for c in {_L!r}]
m = pl.max_horizontal(cols)
lse = m + pl.sum_horizontal([(c - m).exp() for c in cols]).log()
pick = pl.concat_list(cols).list.get(pl.col("y"))
frame = pl.concat([scan(sys.argv[2]), scan(sys.argv[3])], how="horizontal")
frame.select((lse - pick).mean()).collect()
"""
STARTUP_READ = "import sys, numpy as np; np.load(sys.argv[1]); np.load(sys.argv[2])"

Command = list[str]


def _cell_commands(cell: str, folder: Path) -> dict[str, Command]:
    """The commands of a cell: 'read' (the bare read), 'losscli', and the peers."""
    f = str(folder)
    ours = _losscli()
    if cell == "startup" or cell == "mse-npy":
        p, t = f"{f}/preds.npy", f"{f}/targets.npy"
        read = [PY, "-c", STARTUP_READ if cell == "startup" else READ_NPY, p, t]
        return {"read": read, "losscli": [*ours, "compute", "mse", p, t, "-o", "json"]}
    if cell == "startup-rows":  # per-row text against the reduced value, same files
        p, t = f"{f}/preds.npy", f"{f}/targets.npy"
        reduced = [*ours, "compute", "mse", p, t, "-o", "json"]
        return {"read": reduced, "losscli": [*reduced[:-2], "--reduction", "none", "-o", "csv"]}
    if cell == "rows-csv":
        p, t, out = f"{f}/preds.npy", f"{f}/targets.npy", f"{f}/rows.csv"
        cmd = [*ours, "compute", "mse", p, t, "--reduction", "none", "--out", out]
        return {"read": [PY, "-c", WRITE_ROWS, p, t, out], "losscli": cmd}
    if cell.startswith("mse-"):
        fmt = cell[4:]
        p, t = f"{f}/preds.{fmt}", f"{f}/targets.{fmt}"
        read_code = READ_CSV.format(types='"v": pa.float64()') if fmt == "csv" else READ_PARQUET
        return {
            "read": [PY, "-c", read_code, p, t],
            "losscli": [*ours, "compute", "mse", p, t, "-o", "json"],
            "duckdb": [PY, "-c", DUCKDB_MSE, f"read_{fmt}", p, t],
            "polars": [PY, "-c", POLARS_MSE, f"scan_{fmt}", p, t],
        }
    fmt = cell[3:]
    x, y = f"{f}/logits.{fmt}", f"{f}/labels.{fmt}"
    ce = [*ours, "compute", "cross_entropy", x, y, "-o", "json"]
    if fmt == "npy":
        return {"read": [PY, "-c", READ_NPY, x, y], "losscli": ce}
    if fmt == "csv":
        types = ", ".join(f'"{c}": pa.float64()' for c in _L) + ', "y": pa.int64()'
        read = [PY, "-c", READ_CSV.format(types=types), x, y]
    else:
        read = [PY, "-c", READ_PARQUET, x, y]
    return {
        "read": read,
        "losscli": ce,
        "duckdb": [PY, "-c", DUCKDB_CE, f"read_{fmt}", x, y],
        "polars": [PY, "-c", POLARS_CE, f"scan_{fmt}", x, y],
    }


CELLS: dict[str, tuple[str, int]] = {
    # name: (what the table calls it, rows)
    "ce-npy": ("cross_entropy, 1e7 x 10, NPY", 10_000_000),
    "ce-parquet": ("cross_entropy, 1e7 x 10, Parquet", 10_000_000),
    "ce-csv": ("cross_entropy, 1e6 x 10, CSV", 1_000_000),
    "mse-csv": ("mse, 1e7 rows, CSV", 10_000_000),
    "mse-parquet": ("mse, 1e7 rows, Parquet", 10_000_000),
    "mse-npy": ("mse, 1e7 rows, NPY", 10_000_000),
    "startup": ("start-up: mse on a 1,000-row NPY pair", 1_000),
    "rows-csv": ("per-row output: mse --reduction none --out rows.csv, 1e7 rows", 10_000_000),
    # Its "bare read" is losscli's reduced command on the same files.
    "startup-rows": ("start-up: per-row CSV against the reduced mse, 1,000-row NPY", 1_000),
}


# --- measuring ----------------------------------------------------------------------------


def measure(cmd: Command, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def _available(peer: str) -> bool:
    try:
        __import__(peer)
    except ImportError:
        return False
    return True


def run_cell(cell: str, folder: Path, rounds: int, env: dict[str, str]) -> dict[str, tuple]:
    commands = _cell_commands(cell, folder)
    commands = {k: c for k, c in commands.items() if k in ("read", "losscli") or _available(k)}
    repeat = 10 if cell.startswith("startup") else 1  # short runs: several a round, their median
    for cmd in commands.values():
        measure(cmd, env)  # warm-up
    walls: dict[str, list[float]] = {k: [] for k in commands}
    ratios: dict[str, list[float]] = {k: [] for k in commands}
    peaks: dict[str, float] = dict.fromkeys(commands, 0.0)
    for _ in range(rounds):
        this_round = {}
        for name, cmd in commands.items():
            runs = [measure(cmd, env) for _ in range(repeat)]
            this_round[name] = statistics.median(r[0] for r in runs)
            peaks[name] = max(peaks[name], *(r[1] for r in runs))
        for name, wall in this_round.items():
            walls[name].append(wall)
            ratios[name].append(wall / this_round["read"])
    return {
        name: (statistics.median(walls[name]), statistics.median(ratios[name]), peaks[name])
        for name in commands
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cells", default=",".join(CELLS), help="comma list of: " + ", ".join(CELLS)
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--folder", type=Path, default=Path("/dev/shm" if os.path.isdir("/dev/shm") else "/tmp")
    )
    parser.add_argument("--write", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        _write(Path(args.write[0]), args.write[1], int(args.write[2]))
        return
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode compiled once
    import losscli

    compileall.compile_dir(os.path.dirname(losscli.__file__), quiet=1)
    peers = [p for p in ("duckdb", "polars") if _available(p)]
    missing = {"duckdb", "polars"} - set(peers)
    if missing:
        print(
            f"not installed, left out: {', '.join(sorted(missing))} (pip install -e '.[bench]')",
            file=sys.stderr,
        )
    print("| cell | bare read | losscli | " + " | ".join(peers) + " |")
    print("|---|---|---|" + "---|" * len(peers))
    for cell in args.cells.split(","):
        label, rows = CELLS[cell]
        folder = Path(args.folder) / f"losscli-bench-{cell}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            print(f"{cell}: writing inputs to {folder} ...", file=sys.stderr)
            subprocess.run([PY, __file__, "--write", str(folder), cell, str(rows)], check=True)
            result = run_cell(cell, folder, args.rounds, env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        read_wall, _, read_peak = result["read"]
        cells = [f"{read_wall:.3f} s, {read_peak:.0f} MiB"]
        for name in ["losscli", *peers]:
            if name not in result:
                cells.append("—")
                continue
            wall, ratio, peak = result[name]
            cells.append(f"**{ratio:.2f}x** ({wall:.3f} s, {peak:.0f} MiB)")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
