"""Time bootstrap intervals: `compute --ci` and `compare` against a plain `compute`.

    python benchmarks/bench_bootstrap.py                       # 1 million rows, 2000 resamples
    python benchmarks/bench_bootstrap.py --rows 100000 --bootstrap 5000

Writes predictions of two models and targets as NPY files of --rows float64 values into a
temporary folder, then runs each command in a fresh process (start-up included) and prints
the median wall time of --rounds runs as a Markdown table. The cost of a bootstrap grows as
rows x resamples; it does not grow with the number of losses or models resampled together.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np


def _time(command: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        rng = np.random.default_rng(0)
        targets = rng.normal(size=args.rows)
        np.save(here / "y.npy", targets)
        np.save(here / "a.npy", targets + rng.normal(size=args.rows))
        np.save(here / "b.npy", targets + 1.01 * rng.normal(size=args.rows))
        a, b, y = (str(here / f) for f in ("a.npy", "b.npy", "y.npy"))
        boot = ["--bootstrap", str(args.bootstrap)]
        runs = {
            "compute mse": ["losscli", "compute", "mse", a, y, "-o", "json"],
            "compute mse --ci 0.95": ["losscli", "compute", "mse", a, y, "--ci", "0.95", *boot],
            "compute mse,mae,huber --ci 0.95": [
                "losscli",
                "compute",
                "mse,mae,huber",
                a,
                y,
                "--ci",
                "0.95",
                *boot,
            ],
            "compare mse": ["losscli", "compare", "mse", a, b, y, "-o", "json", *boot],
        }
        print(f"| command ({args.rows:,} rows, {args.bootstrap} resamples) | median wall time |")
        print("|---|---|")
        for name, command in runs.items():
            print(f"| `{name}` | {_time(command, args.rounds):.2f} s |")


if __name__ == "__main__":
    main()
