"""Seeded fuzzing of the command line: generated files (valid, damaged and odd) in every
format, with loss specs, parameters and options drawn from the catalogue and beyond.

Whatever comes in, losscli exits 0, 1 or 2; an exit 2 is one ``losscli: error:`` line that
names a file, an option, a parameter or a loss; there is never a traceback or an internal
error; and an exit 0 gives values the data allow: finite, unless a warning says why not.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from losscli.catalogue import default_registry

LOSSES = [loss.name for loss in default_registry()]
CASES = 1200
SEED = 20261129


def _values(rng, n: int, k: int) -> np.ndarray:
    kind = rng.integers(0, 8)
    if kind == 0:
        return rng.integers(-3, 6, (n, k)).astype(float)  # labels, some out of range
    if kind == 1:
        return rng.uniform(0, 1, (n, k))  # probabilities
    if kind == 2:
        x = rng.uniform(0, 1, (n, k))
        return x / x.sum(axis=1, keepdims=True)  # distributions
    if kind == 3:
        return rng.normal(0, 1e150, (n, k))  # extreme
    if kind == 4:
        x = rng.normal(size=(n, k))
        x[rng.uniform(size=(n, k)) < 0.2] = np.nan
        return x
    if kind == 5:
        return np.zeros((n, k))
    return rng.normal(0, 3, (n, k))


def _write(rng, path, data: np.ndarray, names: list[str]) -> str:
    """``data`` as a CSV, Parquet, NPY or NPZ file, sometimes damaged or odd."""
    fmt = rng.choice(["csv", "parquet", "npy", "npz"])
    file = path.with_suffix("." + fmt)
    if fmt == "csv":
        lines = [",".join(names)] + [",".join(repr(float(v)) for v in row) for row in data]
        oddity = rng.integers(0, 8)
        if oddity == 0 and len(lines) > 2:
            lines.insert(int(rng.integers(1, len(lines))), "")  # a blank line
        elif oddity == 1 and len(lines) > 2:
            lines[-1] = lines[-1] + ",9"  # a ragged row
        elif oddity == 2 and len(lines) > 2:
            lines[1] = lines[1].replace(lines[1].split(",")[0], "oops", 1)  # text in a cell
        elif oddity == 3:
            lines = lines[:1]  # a header only
        file.write_text("\n".join(lines) + "\n")
    elif fmt == "parquet":
        columns = {n: data[:, i] for i, n in enumerate(names)}
        if rng.integers(0, 6) == 0:
            columns[names[0]] = pa.array(["x"] * len(data))  # a text column
        pq.write_table(pa.table(columns), file)
    elif fmt == "npy":
        array = data[:, 0] if data.shape[1] == 1 and rng.integers(0, 2) else data
        np.save(file, array)
        if rng.integers(0, 8) == 0:
            file.write_bytes(file.read_bytes()[: int(rng.integers(0, 120))])  # truncated
    else:
        np.savez(file, **{n: data[:, i] for i, n in enumerate(names)})
    return file.name


def _mutate(rng, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One of the ways real files go wrong, applied to valid inputs."""
    name = str(rng.choice(sorted(data)))
    array = np.array(data[name], dtype=float, copy=True)
    flat = array.reshape(-1)
    kind = rng.integers(0, 7)
    if kind == 0 and flat.size:
        flat[int(rng.integers(0, flat.size))] = np.nan
    elif kind == 1 and flat.size:
        flat[int(rng.integers(0, flat.size))] = float(rng.choice([1e300, -1e300, 1e-320]))
    elif kind == 2 and flat.size:
        flat[int(rng.integers(0, flat.size))] = float(rng.choice([-5.0, 7.5, 2.0, -1.0]))
    elif kind == 3 and len(array) > 1:
        array = array[:-1]  # a row short
    elif kind == 4 and array.ndim > 1 and array.shape[-1] > 1:
        array = array[..., :-1]  # a column short
    elif kind == 5:
        array = np.round(array)
    else:
        array = array[:0]  # no rows
    return {**data, name: array}


def _valid_case(rng, tmp_path) -> list[str]:
    """A loss's own kind of data (as the property tests draw it), sometimes damaged."""
    from loss_data import DATA

    loss = str(rng.choice(LOSSES))
    data = DATA[loss](rng, int(rng.choice([1, 5, 30])))
    if rng.uniform() < 0.5:
        data = _mutate(rng, data)
    inputs = [i.name for i in default_registry().get(loss).inputs if i.name in data]
    if rng.uniform() < 0.3 or any(np.ndim(data[k]) > 2 for k in inputs):
        file = tmp_path / "in0.npz"
        np.savez(file, **{k: np.asarray(v) for k, v in data.items() if k != "weights"})
        files = [file.name]
    else:
        files = []
        for position, name in enumerate(inputs):
            array = np.asarray(data[name], dtype=float)
            table = array.reshape(len(array), -1) if array.size else np.zeros((len(array), 1))
            files.append(
                _write(
                    rng, tmp_path / f"in{position}", table, [f"c{j}" for j in range(table.shape[1])]
                )
            )
    args = ["compute", loss, *files]
    if rng.uniform() < 0.3:
        args += list(_option(rng))
    return args + ["-o", "json"]


def _option(rng) -> list[str]:
    options = [
        ["--reduction", str(rng.choice(["mean", "sum", "none"]))],
        ["--nan", "skip"],
        ["--convention", str(rng.choice(["torch", "keras", "sklearn"]))],
        ["--ci", "0.9", "--bootstrap", "20"],
    ]
    return options[int(rng.integers(0, len(options)))]


def _case(rng, tmp_path) -> list[str]:
    if rng.uniform() < 0.6:
        return _valid_case(rng, tmp_path)
    n = int(rng.choice([0, 1, 3, 17, 40]))
    spec_kind = rng.integers(0, 10)
    if spec_kind == 0:
        spec = f"0.5*{rng.choice(LOSSES)} + 0.5*{rng.choice(LOSSES)}"
    elif spec_kind == 1:
        spec = ",".join(rng.choice(LOSSES, size=2, replace=False))
    elif spec_kind == 2:
        spec = str(rng.choice(["msee", "1e309*mse", "mse -", "", "*", "mse,,mae"]))
    else:
        spec = str(rng.choice(LOSSES))
    k = int(rng.choice([1, 1, 2, 3, 4]))
    inputs = [
        _write(
            rng,
            tmp_path / f"in{i}",
            _values(rng, n + (i == 1 and rng.integers(0, 6) == 0), k),
            [f"c{j}" for j in range(k)],
        )
        for i in range(int(rng.choice([1, 2, 2, 2, 3])))
    ]
    args = ["compute", spec, *inputs]
    options = [
        ["--reduction", str(rng.choice(["mean", "sum", "none"]))],
        ["--nan", "skip"],
        ["--convention", str(rng.choice(["torch", "keras", "sklearn"]))],
        [
            "-p",
            str(
                rng.choice(
                    [
                        "delta=0.5",
                        "delta=-1",
                        "from_logits=true",
                        "gamma=x",
                        "margin=1e400",
                        "class_weights=1,2",
                    ]
                )
            ),
        ],
        ["--ci", str(rng.choice(["0.9", "1.5", "abc"])), "--bootstrap", "20"],
        ["--group-by", "c0"],
        ["--col", "predictions=c0"],
        ["-o", str(rng.choice(["json", "csv", "ndjson"]))],
    ]
    for _ in range(int(rng.integers(0, 3))):
        args += options[int(rng.integers(0, len(options)))]
    if "-o" not in args:
        args += ["-o", "json"]
    return args


def _values_in(stdout: str) -> list[float | None]:
    out: list[float | None] = []
    text = stdout.strip()
    if text.startswith("{"):
        for line in text.splitlines():
            document = json.loads(line)
            for record in document.get("results", [document]):
                if "value" in record:
                    out.append(record["value"])
                out += record.get("values", []) if isinstance(record.get("values"), list) else []
    return out


@pytest.mark.parametrize("chunk", range(6))
def test_any_input_gets_a_clear_answer(run, tmp_path, chunk):
    rng = np.random.default_rng([SEED, chunk])
    for case in range(CASES // 6):
        folder = tmp_path / f"case{case}"
        folder.mkdir()
        args = _case(rng, folder)
        result = run(*[a if not str(a).startswith("in") else folder / a for a in args])
        where = f"case {chunk}/{case}: losscli {' '.join(map(str, args))}\n{result.stderr}"
        assert result.code in (0, 1, 2), where
        assert "Traceback" not in result.stderr + result.stdout, where
        assert "internal error" not in result.stderr, where
        errors = [line for line in result.stderr.splitlines() if line.startswith("losscli: error:")]
        if result.code == 2:
            assert len(errors) == 1 and result.stdout == "", where
            named = [a.name if hasattr(a, "name") else str(a) for a in args]
            mentions = any(
                word and word in errors[0] for word in named[1:] if not word.startswith("-")
            )
            assert mentions or any(
                m in errors[0] for m in ("--", "-p ", "parameter", "loss", "stdin")
            ), where
        if result.code == 0:
            assert not errors, where
            json.loads(result.stdout) if result.stdout.startswith('{"results"') else None
            for value in _values_in(result.stdout):
                explained = any(
                    w in result.stderr
                    for w in (
                        "the result is",
                        "every row is ignored",
                        "JSON cannot hold",
                        "skipped",
                    )
                )
                assert value is None or math.isfinite(value) or explained, where
                if value is None:
                    assert explained or "--nan" in args or "none" in args, where
