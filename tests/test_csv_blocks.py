"""The CSV block reader (blocks of whole rows parsed on every core) against the plain
whole-file parse: same values for every block size, wherever a block boundary falls (inside
a row, inside a quoted field holding a comma or a line break), for plain and gzipped files,
CRLF line ends, a byte-order mark, trailing blank lines; and the exact row and column of a
bad cell that only a later block holds."""

from __future__ import annotations

import gzip
import io
import random

import numpy as np
import pytest

from losscli.errors import InputError
from losscli.readers.csv_blocks import row_blocks
from losscli.readers.csv_reader import CsvTable


def _random_csv(rng: random.Random, rows: int) -> bytes:
    lines = ["id,a,b"]
    for _ in range(rows):
        label = rng.choice(["x", '"q,uoted"', '"multi\nline"', '"say ""hi"""', ""])
        a = rng.choice([f"{rng.uniform(-1e3, 1e3)!r}", "1e-300", "NaN", ""])
        lines.append(f"{label},{a},{rng.random()!r}")
    return ("\n".join(lines) + rng.choice(["", "\n"])).encode()


@pytest.mark.parametrize("seed", range(60))
def test_blocks_are_whole_rows_that_join_back_to_the_body(seed):
    rng = random.Random(seed)
    text = _random_csv(rng, rng.randint(0, 40))
    if seed % 5 == 0:
        text = b"\xef\xbb\xbf" + text
    size = rng.randint(1, 64)
    body = text.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[1] if b"\n" in text else b""
    blocks = list(row_blocks(io.BytesIO(text), size, True))
    assert b"".join(b for b, _ in blocks) == body
    for block, quoted in blocks:
        assert block.count(b'"') % 2 == 0  # no block ends inside a quoted field
        assert quoted == (b'"' in block)


def _write(tmp_path, name: str, text: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    return str(path)


def _streamed(path: str, block_bytes: int, labels=frozenset({"id"})) -> dict[str, list]:
    table = CsvTable(path, path, ",")
    table.block_bytes = block_bytes
    parts: dict[str, list] = {"id": [], "a": [], "b": []}
    for piece in table.chunks({"i": ("id",), "a": ("a",), "b": ("b",)}, 1 << 18, labels):
        parts["id"] += piece["i"].to_pylist()
        parts["a"] += piece["a"].tolist()
        parts["b"] += piece["b"].tolist()
    return parts


def _whole(path: str) -> dict[str, list]:
    table = CsvTable(path, path, ",")
    whole = table.read({"i": ("id",), "a": ("a",), "b": ("b",)}, frozenset({"id"}))
    return {"id": whole["i"].to_pylist(), "a": whole["a"].tolist(), "b": whole["b"].tolist()}


def _same(x: list, y: list) -> bool:
    return len(x) == len(y) and all(
        (a != a and b != b) or a == b
        for a, b in zip(x, y)  # NaN equals NaN here
    )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz"])
def test_streamed_equals_whole_at_any_block_size(tmp_path, seed, name):
    rng = random.Random(seed)
    text = _random_csv(rng, 200)
    if seed % 3 == 1:
        text = text.replace(b"\n", b"\r\n")
    if seed % 4 == 2 and not name.endswith(".gz"):
        text += b"\n\n\n"  # an editor's trailing blank lines are not rows
    path = _write(tmp_path, name, text)
    expected = _whole(path)
    assert len(expected["a"]) == 200
    for block_bytes in (1, 7, 64, 1000, 1 << 20):
        got = _streamed(path, block_bytes)
        for column in ("id", "a", "b"):
            assert _same(got[column], expected[column]), (block_bytes, column)


def test_a_bad_cell_in_a_later_block_is_named_exactly(tmp_path):
    rows = [f"{i}.5,{i}" for i in range(5000)]
    rows[4321] = "4321.5,oops"
    path = _write(tmp_path, "bad.csv", ("p,y\n" + "\n".join(rows) + "\n").encode())
    table = CsvTable(path, "bad.csv", ",")
    table.block_bytes = 4096
    with pytest.raises(InputError) as info:
        for _ in table.chunks({"p": ("p",), "y": ("y",)}, 1 << 18, frozenset()):
            pass
    assert str(info.value) == "bad.csv: row 4322 (line 4323), column 'y': 'oops' is not a number"


def test_numbers_survive_every_boundary(tmp_path):
    """Every possible cut point of a short file: each value read back exactly."""
    values = np.random.default_rng(3).normal(size=50) * 1e3
    text = ("v\n" + "\n".join(repr(float(v)) for v in values)).encode()
    path = _write(tmp_path, "n.csv", text)
    for block_bytes in range(1, 40):
        table = CsvTable(path, path, ",")
        table.block_bytes = block_bytes
        got = np.concatenate([c["v"] for c in table.chunks({"v": ("v",)}, 10, frozenset())])
        np.testing.assert_array_equal(got, values)
