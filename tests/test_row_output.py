"""Per-row output streamed chunk by chunk: every format and every writer path gives the
values the in-memory path gives, rows stay aligned with their ids, and a run that fails
part way leaves no output that could pass for a whole one."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE

import losscli
from losscli.render.export import export_rows
from losscli.requests import Options, resolve_requests

CHUNK = 7  # rows a chunk in the library-level tests: many chunks, a short last one


def _data(n: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    p = y + rng.normal(size=n)
    p[[3, 17]] = np.round(p[[3, 17]])  # whole-number residuals somewhere
    y[[3, 17]] = 0.0
    return {"predictions": p, "targets": y}


def _read(fmt: str, data: bytes) -> dict[str, list]:
    """An output back as columns, by a reader independent of losscli's writers."""
    if fmt == "csv":
        convert = pacsv.ConvertOptions(strings_can_be_null=True)
        table = pacsv.read_csv(io.BytesIO(data), convert_options=convert)
    elif fmt == "parquet":
        table = pq.read_table(io.BytesIO(data))
    elif fmt == "arrow":
        table = ipc.open_file(io.BytesIO(data)).read_all()
    elif fmt == "ndjson":
        rows = [json.loads(line) for line in data.decode().splitlines()]
        return {k: [r[k] for r in rows] for k in rows[0]}
    else:
        raise AssertionError(fmt)
    return table.to_pydict()


def _export(fmt: str, arrays: dict, options: Options, spec: str = "mse,mae") -> bytes:
    out = io.StringIO()
    holder = io.BytesIO()
    out.buffer = holder  # type: ignore[attr-defined]
    export_rows(resolve_requests(spec), [arrays], options, fmt, None, out)
    return holder.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet", "arrow"])
def test_streamed_formats_equal_the_values_in_memory(fmt):
    arrays = _data()
    expected = losscli.compute("mse,mae", arrays, reduction="none")
    data = _export(fmt, arrays, Options(reduction="none", chunk_rows=CHUNK))
    got = _read(fmt, data)
    assert list(got) == ["mse", "mae"]
    for name in ("mse", "mae"):
        assert got[name] == expected[name].values.tolist()  # exact: shortest round-trip text


def test_json_document_holds_every_loss_and_its_metadata():
    arrays = _data()
    expected = losscli.compute("mse,mae", arrays, reduction="none")
    doc = json.loads(_export("json", arrays, Options(reduction="none", chunk_rows=CHUNK)))
    assert [r["loss"] for r in doc["results"]] == ["mse", "mae"]
    for record, result in zip(doc["results"], expected):
        assert record["n"] == 40 and record["reduction"] == "none"
        assert record["values"] == result.values.tolist()


def test_whole_numbers_keep_their_point_in_text_formats():
    arrays = {"predictions": np.array([1.0, 2.5, -3.0]), "targets": np.array([0.0, 0.0, -3.0])}
    for fmt in ("csv", "ndjson", "json"):
        text = _export(fmt, arrays, Options(reduction="none", chunk_rows=2), "mae").decode()
        assert "1.0" in text and "2.5" in text and "0.0" in text, (fmt, text)
        assert "-0" not in text.replace("-0.0", ""), text
    csv_text = _export("csv", arrays, Options(reduction="none"), "mae").decode()
    assert csv_text == "mae\n1.0\n2.5\n0.0\n"


def test_elements_get_a_column_each_in_tables_and_a_list_in_json():
    p = np.arange(12.0).reshape(6, 2)
    y = np.zeros((6, 2))
    options = Options(reduction="none", convention="torch", chunk_rows=4)
    got = _read("csv", _export("csv", {"predictions": p, "targets": y}, options, "mse"))
    assert got == {"mse[0]": (p[:, 0] ** 2).tolist(), "mse[1]": (p[:, 1] ** 2).tolist()}
    lines = _export("ndjson", {"predictions": p, "targets": y}, options, "mse").decode()
    assert json.loads(lines.splitlines()[1]) == {"mse": [4.0, 9.0]}


def test_skipped_rows_are_null_and_stay_in_place():
    arrays = _data(20)
    arrays["predictions"][[0, 8, 19]] = np.nan
    options = Options(reduction="none", nan="skip", chunk_rows=CHUNK)
    expected = np.abs(arrays["predictions"] - arrays["targets"])
    for fmt in ("csv", "ndjson", "parquet", "arrow"):
        got = _read(fmt, _export(fmt, arrays, options, "mae"))["mae"]
        assert [g is None for g in got] == list(np.isnan(expected)), fmt
        assert [g for g in got if g is not None] == expected[~np.isnan(expected)].tolist()


def test_ids_travel_with_their_rows_whatever_they_hold(tmp_path, run):
    ids = ['a,"quoted"', "b\nline", "plain", None, "ü", "x"]
    table = pa.table(
        {"key": ids, "p": [1.0, 2.0, 3.5, 4.0, 5.0, 6.0], "y": [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]}
    )
    pq.write_table(table, tmp_path / "both.parquet")
    args = ["compute", "mae", tmp_path / "both.parquet", "--col", "predictions=p"]
    args += ["--col", "targets=y", "--reduction", "none", "--id", "key"]
    for fmt in ("csv", "ndjson", "parquet", "arrow"):
        out = tmp_path / f"rows.{fmt}"
        result = run(*args, "--out", out)
        assert result.code == 0, result.stderr
        got = _read(fmt, out.read_bytes())
        assert got["key"] == ids, fmt
        assert got["mae"] == [1.0, 2.0, 3.5, 3.0, 3.0, 3.0], fmt
    doc = json.loads(run(*args, "-o", "json").stdout)
    assert doc["id_column"] == "key" and doc["ids"] == ids


def test_the_on_key_is_carried_by_default(tmp_path, run):
    pq.write_table(pa.table({"id": [3, 1, 2], "p": [3.0, 1.0, 2.0]}), tmp_path / "p.parquet")
    pq.write_table(pa.table({"id": [1, 2, 3], "y": [0.0, 0.0, 0.0]}), tmp_path / "y.parquet")
    result = run(
        "compute", "mae", tmp_path / "p.parquet", tmp_path / "y.parquet",
        "--on", "id", "--reduction", "none", "-o", "ndjson",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(r["mae"] == float(r["id"]) for r in rows)  # |p - 0| = the key, by construction


def test_npy_out_is_the_values_array(tmp_path, run):
    arrays = _data()
    np.save(tmp_path / "p.npy", arrays["predictions"])
    np.save(tmp_path / "y.npy", arrays["targets"])
    out = tmp_path / "rows.npy"
    result = run(
        "compute", "huber", tmp_path / "p.npy", tmp_path / "y.npy", "--reduction", "none",
        "--out", out,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "wrote 40 rows" in result.stderr and result.stdout == ""
    expected = losscli.compute("huber", arrays, reduction="none").values
    np.testing.assert_array_equal(np.load(out, allow_pickle=False), expected)
    result = run(
        "compute", "mse,mae", tmp_path / "p.npy", tmp_path / "y.npy", "--reduction", "none",
        "--out", out,
    )  # fmt: skip
    assert result.code == 2 and "holds one array" in result.stderr


def test_weighted_sum_streams_its_total_column():
    arrays = _data()
    expected = losscli.compute("0.25*mse + 2*mae", arrays, reduction="none")
    got = _read(
        "csv", _export("csv", arrays, Options(reduction="none", chunk_rows=5), "0.25*mse + 2*mae")
    )
    assert list(got) == ["mse", "mae", expected["total"].loss]
    np.testing.assert_allclose(got[expected["total"].loss], expected["total"].values, rtol=1e-15)


def test_infinities_are_null_in_json_and_said_on_stderr(tmp_path, run):
    arrays = {"predictions": np.array([1.0, 1e300]), "targets": np.array([0.0, -1e300])}
    lines = _export("ndjson", arrays, Options(reduction="none"), "mse").decode().splitlines()
    assert [json.loads(line)["mse"] for line in lines] == [1.0, None]
    np.save(tmp_path / "p.npy", arrays["predictions"])
    np.save(tmp_path / "y.npy", arrays["targets"])
    args = ["compute", "mse", tmp_path / "p.npy", tmp_path / "y.npy", "--reduction", "none"]
    result = run(*args, "-o", "json")
    assert json.loads(result.stdout)["results"][0]["values"] == [1.0, None]
    assert "wrote null for 1 value, the first at mse row 2" in result.stderr


def _bad_second_chunk(tmp_path, rows: int = 300_000) -> tuple[str, str]:
    """A CSV pair whose first chunk is clean and whose later rows hold NaN: the error
    comes only after output has started to stream."""
    rng = np.random.default_rng(1)
    p = rng.normal(size=rows)
    p[rows - 5] = np.nan
    pacsv.write_csv(pa.table({"v": p}), tmp_path / "p.csv")
    pacsv.write_csv(pa.table({"v": rng.normal(size=rows)}), tmp_path / "y.csv")
    return str(tmp_path / "p.csv"), str(tmp_path / "y.csv")


def test_a_failed_run_leaves_out_file_untouched(tmp_path, run):
    p, y = _bad_second_chunk(tmp_path)
    out = tmp_path / "rows.parquet"
    out.write_bytes(b"previous")
    result = run("compute", "mse", p, y, "--reduction", "none", "--out", out)
    assert result.code == 2 and "NaN" in result.stderr
    assert out.read_bytes() == b"previous"
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []


@pytest.mark.parametrize("how", ["file", "append", "pipe"])
def test_a_failed_run_prints_nothing_to_stdout(tmp_path, how):
    p, y = _bad_second_chunk(tmp_path)
    cmd = [sys.executable, "-m", "losscli", "compute", "mse", p, y, "--reduction", "none"]
    cmd += ["-o", "csv"]
    target = tmp_path / "out.csv"
    if how == "pipe":
        done = subprocess.run(cmd, capture_output=True)
        assert done.stdout == b""
    else:
        target.write_bytes(b"kept\n")
        with open(target, "ab" if how == "append" else "r+b") as handle:
            handle.seek(0, 2)
            done = subprocess.run(cmd, stdout=handle, stderr=subprocess.PIPE)
        assert target.read_bytes() == b"kept\n"
    assert done.returncode == 2 and b"NaN" in done.stderr


def test_a_pipe_gets_the_whole_output_past_the_memory_spool(tmp_path):
    rows = 1_200_000  # ~25 MiB of CSV a column: more than the in-memory spool holds
    rng = np.random.default_rng(2)
    np.save(tmp_path / "p.npy", rng.normal(size=rows))
    np.save(tmp_path / "y.npy", rng.normal(size=rows))
    cmd = [sys.executable, "-m", "losscli", "compute", "mse,mae", str(tmp_path / "p.npy")]
    cmd += [str(tmp_path / "y.npy"), "--reduction", "none", "-o", "csv"]
    done = subprocess.run(cmd, capture_output=True, check=True)
    got = pacsv.read_csv(io.BytesIO(done.stdout)).to_pydict()
    p, y = np.load(tmp_path / "p.npy"), np.load(tmp_path / "y.npy")
    assert got["mse"] == ((p - y) ** 2).tolist()
    assert got["mae"] == np.abs(p - y).tolist()


def test_table_shows_first_and_last_rows_across_chunks():
    from losscli.evaluate import evaluate
    from losscli.render.rows import HeadAndTail

    arrays = _data(50)
    rows = HeadAndTail(10)
    evaluate(
        resolve_requests("mae"), [arrays], Options(reduction="none", chunk_rows=3), rows_to=rows
    )
    expected = np.abs(arrays["predictions"] - arrays["targets"])
    shown = rows.shown()
    assert [i for i, _ in shown] == [*range(10), *range(40, 50)]
    assert [cells[0] for _, cells in shown] == [expected[i] for i, _ in shown]


def test_out_format_comes_from_the_extension(tmp_path, run):
    args = ["compute", "mae", SAMPLE / "preds.csv", SAMPLE / "targets.csv"]
    result = run(*args, "--out", tmp_path / "r.json")
    assert result.code == 0 and result.stdout == ""
    assert json.loads((tmp_path / "r.json").read_text())["results"][0]["loss"] == "mae"
    bad = run(*args, "--out", tmp_path / "r.xlsx")
    assert bad.code == 2 and ".parquet" in bad.stderr
    clash = run(*args, "--out", tmp_path / "r.json", "-o", "csv")
    assert clash.code == 2 and "disagree" in clash.stderr
    binary = run(*args, "--out", tmp_path / "r.parquet")
    assert binary.code == 2 and "per-row values" in binary.stderr


def test_python_api_streams_to_a_file_too(tmp_path):
    arrays = _data()
    out = tmp_path / "rows.arrow"
    result = losscli.compute("mae", arrays, reduction="none", out=out)
    assert result.values is None and result.n == 40
    got = ipc.open_file(out.read_bytes()).read_all().column("mae").to_pylist()
    assert got == np.abs(arrays["predictions"] - arrays["targets"]).tolist()
    with pytest.raises(losscli.UsageError, match="reduction='none'"):
        losscli.compute("mae", arrays, out=out)


def test_out_into_a_missing_folder_is_a_usage_error(tmp_path, run):
    args = ["compute", "mae", SAMPLE / "preds.csv", SAMPLE / "targets.csv", "--reduction", "none"]
    result = run(*args, "--out", tmp_path / "no" / "rows.csv")
    assert result.code == 2
    assert result.stderr.startswith(
        f"losscli: error: --out {tmp_path / 'no' / 'rows.csv'}: cannot write there"
    )


def _float64_sample() -> np.ndarray:
    """Finite float64 values across the whole range: random bit patterns (every exponent),
    subnormals, signed zeros, the extremes, whole numbers above 2**53 and powers of ten."""
    rng = np.random.default_rng(21)
    bits = rng.integers(0, 2**63, 4000, dtype=np.uint64) | (
        rng.integers(0, 2, 4000, dtype=np.uint64) << np.uint64(63)
    )
    random = bits.view(np.float64)
    random = random[np.isfinite(random)]
    special = np.array(
        [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e308]
        + [10.0**k for k in range(-20, 25)]
        + [2.0**53, 2.0**53 + 2, 2.0**60, 3.0 * 2**70, 123456789.0, -1e16, 1e10, 1e15, 0.1, 1.5]
    )
    return np.concatenate([special, random, rng.standard_normal(500) * 1e-310])


def test_every_written_number_is_json_and_reads_back_as_the_same_float64():
    """CSV, NDJSON and JSON text of any float64: valid JSON numbers (RFC 8259), the same bits
    through the json module, pandas and pyarrow."""
    import io
    import re

    import pandas as pd
    import pyarrow.csv as pacsv

    from losscli.render.rows import row_writer

    values = _float64_sample()
    number = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")

    def same(read) -> None:
        read = np.asarray(read, dtype=np.float64)
        assert read.tobytes() == values.tobytes()

    for fmt in ("csv", "ndjson", "json"):
        stream = io.BytesIO()
        writer = row_writer(fmt, stream)
        writer.start(["v"], None)
        for start in range(0, len(values), 777):
            writer.write(None, [values[start : start + 777]])
        writer.finish([{"loss": "v", "reduction": "none", "params": {}, "n": len(values)}])
        text = stream.getvalue().decode()
        if fmt == "csv":
            cells = text.splitlines()[1:]
            for cell in cells:
                assert number.match(cell), cell
            same([json.loads(c) for c in cells])
            same(pd.read_csv(io.StringIO(text))["v"])
            same(pacsv.read_csv(io.BytesIO(text.encode())).column("v").to_numpy())
        elif fmt == "ndjson":
            same([json.loads(line)["v"] for line in text.splitlines()])
            import pyarrow.json as pajson

            same(pajson.read_json(io.BytesIO(text.encode())).column("v").to_numpy())
        else:
            same(json.loads(text)["results"][0]["values"])
        for cell in re.findall(r"[-0-9.eE+]+(?=[,\]}\n])", text):
            assert number.match(cell), (fmt, cell)


def test_whole_numbers_of_1e10_and_above_are_numbers_in_every_text_format(tmp_path, run):
    """`1e+10`, never `1e+10.0`: the README's reproduction, on stdout and through --out."""
    (tmp_path / "p.csv").write_text("p\n100000\n-3\n")
    (tmp_path / "t.csv").write_text("t\n0\n0\n")
    args = ["compute", "mse", tmp_path / "p.csv", tmp_path / "t.csv", "--reduction", "none"]
    doc = run(*args, "-o", "json").json()
    assert doc["results"][0]["values"] == [1e10, 9.0]
    lines = run(*args, "-o", "ndjson").stdout.splitlines()
    assert [json.loads(line)["mse"] for line in lines] == [1e10, 9.0]
    assert run(*args, "-o", "csv").stdout.splitlines()[1:] == ["1e+10", "9.0"]
    for name in ("rows.csv", "rows.json", "rows.ndjson"):
        result = run(*args, "--out", tmp_path / name)
        assert result.code == 0, result.stderr
        assert "1e+10.0" not in (tmp_path / name).read_text()


def test_the_python_record_is_plain_json():
    import losscli

    result = losscli.compute(
        "mse",
        np.array([1.0, np.nan, 1e200]),
        np.array([0.0, 0.0, 0.0]),
        reduction="none",
        nan="skip",
    )
    record = result.to_dict()
    assert record["values"] == [1.0, None, None]  # skipped and inf are null, as the CLI writes
    assert json.loads(json.dumps(record)) == record


def test_per_row_output_does_not_import_pandas(tmp_path):
    """pyarrow converts Python scalars through pandas (a third of a second): the per-row path
    must not, so that a small file's rows come as fast as its mean."""
    import subprocess
    import sys

    (tmp_path / "p.csv").write_text("p\n1\n2\n")
    (tmp_path / "t.csv").write_text("t\n0\n2\n")
    for fmt in ("json", "ndjson", "csv"):
        code = (
            "import sys; from losscli.cli import main\n"
            f"sys.argv = ['losscli', 'compute', 'mse', r'{tmp_path / 'p.csv'}', "
            f"r'{tmp_path / 't.csv'}', '--reduction', 'none', '-o', '{fmt}']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pandas' in sys.modules, file=sys.stderr)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.stderr.strip().splitlines()[-1] == "False", (fmt, done.stderr)
