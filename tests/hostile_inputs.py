"""Hostile input files for ``test_no_input_hangs.py``: run as a script, it makes ``CASES``
of them in a scratch folder and runs ``losscli compute`` on each in this process, printing
``case N`` before each and one line of verdict after, so that the test (which runs this
under a time limit) can name the case that did not return.

``python tests/hostile_inputs.py SEED CASES`` prints ``bad ...`` lines for a case that
ended with a traceback, an internal error or an exit code other than 0, 1 or 2.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ENDINGS = [b"\n", b"\r\n", b"\r"]


def _lines(rng: np.random.Generator) -> bytes:
    """A CSV-ish text with random line endings (one kind or mixed), quotes left open, very
    long lines, NUL bytes or nothing after the header."""
    rows = [b"p,y"] + [
        b"%r,%r" % (float(a), float(b)) for a, b in rng.normal(size=(int(rng.integers(0, 50)), 2))
    ]
    kind = int(rng.integers(0, 9))
    if kind == 0:
        rows.insert(int(rng.integers(0, len(rows))), b'"open quote, ' + b"x" * 100)
    elif kind == 1:
        rows.append(b"9" * int(rng.integers(1 << 16, 1 << 21)))  # a very long line
    elif kind == 2:
        rows = [rows[0]]  # a header alone
    elif kind == 3:
        rows[-1] = rows[-1] + b"\0" * int(rng.integers(1, 5))
    elif kind == 4:
        rows = [b'"' * int(rng.integers(1, 4))]
    mixed = rng.integers(0, 2)
    ending = ENDINGS[int(rng.integers(0, 3))]
    out = b""
    for row in rows:
        out += row + (ENDINGS[int(rng.integers(0, 3))] if mixed else ending)
    if rng.integers(0, 2):
        out = out.rstrip(b"\r\n")  # no final line break
    return out


def _content(rng: np.random.Generator) -> tuple[str, bytes]:
    """(file name suffix, bytes) of one hostile file."""
    kind = int(rng.integers(0, 12))
    noise = rng.integers(0, 256, int(rng.integers(0, 4000)), dtype=np.uint8).tobytes()
    if kind == 0:
        return ".csv", noise
    if kind == 1:
        return ".csv", noise.replace(b"\n", b"")  # no line break at all
    if kind in (2, 3, 4):
        return str(rng.choice([".csv", ".tsv"])), _lines(rng)
    if kind == 5:
        return ".csv.gz", gzip.compress(_lines(rng))
    if kind == 6:
        return ".csv.gz", gzip.compress(gzip.compress(_lines(rng)))  # gzip inside gzip
    if kind == 7:
        return ".csv.gz", gzip.compress(_lines(rng))[: int(rng.integers(1, 40))]  # truncated
    if kind == 8:
        return ".parquet", b"PAR1" + noise + b"PAR1"
    if kind == 9:
        header = b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (10,), }"
        return ".npy", header.ljust(128, b" ")[:128] + noise[: int(rng.integers(0, 200))]
    if kind == 10:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("p.npy", noise)
        return ".npz", buffer.getvalue()
    return ".npz", noise


def main(seed: int, cases: int) -> None:
    from click.testing import CliRunner

    from losscli.cli import cli

    rng = np.random.default_rng(seed)
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as scratch:
        good = Path(scratch) / "good.csv"
        good.write_text("y\n1\n2\n")
        for case in range(cases):
            folder = Path(scratch) / f"case{case}"
            folder.mkdir()
            suffix, data = _content(rng)
            target = folder / f"hostile{suffix}"
            if rng.integers(0, 5) == 0:  # a dataset: the file among others, maybe a FIFO
                target = folder / "data" / f"part-1{suffix}"
                target.parent.mkdir()
                (folder / "data" / f"part-0{suffix}").write_bytes(data)
                if rng.integers(0, 2) and hasattr(os, "mkfifo"):
                    os.mkfifo(folder / "data" / f"part-2{suffix}")
                given = str(target.parent)
            else:
                given = str(target)
            target.write_bytes(data)
            args = ["compute", "mse", given, str(good if rng.integers(0, 2) else given)]
            print(f"case {case}: {' '.join(args)}", flush=True)
            result = runner.invoke(cli, args)
            output = (result.stdout or "") + (result.stderr or "")
            if (
                result.exit_code not in (0, 1, 2)
                or "Traceback" in output
                or "internal error" in output
            ):
                print(f"bad {case}: exit {result.exit_code}: {output[-500:]!r}", flush=True)
            print(f"done {case}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
