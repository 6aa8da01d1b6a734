"""Turn results and loss descriptions into tables, JSON, CSV or NDJSON text.

Renderers know nothing about files or losses beyond the plain records they are given.
Machine formats are written plainly; only the table goes through rich.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import numpy as np

from losscli.render.jsonout import Encoder, dumps
from losscli.render.numbers import exact_text
from losscli.render.tables import print_rich, table
from losscli.spec import param_text

TABLE_ROWS = 10  # rows shown at each end of a per-row table
TABLE_GROUPS = 200  # groups a table shows a loss (a terminal holds no more)


def params_text(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={param_text(v)}" for k, v in params.items())


def write_results(records: Sequence[Mapping[str, Any]], output: str, out: IO[str]) -> list[str]:
    """Write reduced compute results (per-row values stream through ``row_writers``).

    Returns notes for stderr (values JSON cannot hold).
    """
    encoder = Encoder()
    if output == "json":
        out.write(encoder.encode({"results": list(records)}) + "\n")
    elif output == "ndjson":
        for record in records:
            out.write(encoder.encode(record, str(record["loss"])) + "\n")
    elif output == "csv":
        if any("worst" in r for r in records):
            _write_worst_csv(records, out)
        else:
            _write_reduced_csv(records, out)
    else:
        print_rich(results_table(records), out)
        for record in records:
            if record.get("worst"):
                print_rich(worst_table(record), out)
    return encoder.notes()


def group_label(label: Any) -> str:
    return "(missing)" if label is None else str(label)


def flat_rows(records: Sequence[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], Any]]:
    """Each reduced record, then one row per group of it: (row, group label or ``...``)."""
    for record in records:
        yield record, ...
        for group in record.get("groups", ()):
            yield group, group["group"]


def _write_reduced_csv(records: Sequence[Mapping[str, Any]], out: IO[str]) -> None:
    import csv

    tasks = any("task" in r for r in records)
    grouped = any("groups" in r for r in records)
    intervals = any("ci" in r for r in records)
    header = ["task"] * tasks + ["loss"] + ["group"] * grouped + ["reduction", "n", "value"]
    header += ["ci_low", "ci_high"] * intervals + ["params"]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        for row, label in flat_rows([record]):
            cells = [record.get("task", "")] * tasks + [record["loss"]]
            cells += [("" if label is ... else group_label(label))] * grouped
            cells += [record["reduction"], row["n"], exact_text(row["value"])]
            if intervals:
                cells += [exact_text(v) for v in row.get("ci", (None, None))]
            writer.writerow(cells + [params_text(record["params"])])


def _inputs_of(records: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for record in records:
        for row in record.get("worst", ()):
            names |= dict.fromkeys(row["inputs"])
    return list(names)


def _input_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_input_text(v) for v in value) + "]"
    return exact_text(value) if isinstance(value, float) else str(value)


def _write_worst_csv(records: Sequence[Mapping[str, Any]], out: IO[str]) -> None:
    """One line per worst row of each loss, beside the loss's reduced value."""
    import csv

    inputs = _inputs_of(records)
    ids = any("id" in row for r in records for row in r.get("worst", ()))
    header = ["loss", "reduction", "n", "value", "params", "rank", "row"] + ["id"] * ids
    header += ["row_value", *inputs]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        common = [record["loss"], record["reduction"], record["n"], exact_text(record["value"])]
        common.append(params_text(record["params"]))
        for rank, row in enumerate(record.get("worst", ()), start=1):
            cells = [*common, rank, row["row"]] + [row.get("id", "")] * ids
            cells.append(exact_text(row["value"]))
            cells += [_input_text(row["inputs"][n]) if n in row["inputs"] else "" for n in inputs]
            writer.writerow(cells)


def worst_table(record: Mapping[str, Any]) -> Any:
    """The worst rows of one loss: rank, row, id, the row's loss and its inputs."""
    rows = record["worst"]
    inputs = _inputs_of([record])
    ids = any("id" in row for row in rows)
    ranked_by = record.get("worst_of") or record["loss"]
    header = ["rank", "row"] + ["id"] * ids + [ranked_by, *inputs]
    cells = []
    for rank, row in enumerate(rows, start=1):
        line = [str(rank), str(row["row"])] + [str(row.get("id", ""))] * ids
        line.append(exact_text(row["value"]))
        line += [_input_text(row["inputs"].get(n, "")) for n in inputs]
        cells.append(line)
    title = f"{record['loss']}: the {len(rows)} rows with the largest loss"
    if ranked_by != record["loss"]:
        title = f"{record['loss']}: the {len(rows)} rows with the largest {ranked_by} (per row)"
    return table(header, cells, left=("id",), title=title)


def results_table(records: Sequence[Mapping[str, Any]]) -> Any:
    tasks = any("task" in r for r in records)
    grouped = any("groups" in r for r in records)
    most = max((len(r.get("groups", ())) for r in records), default=0)
    caption = None
    if most > TABLE_GROUPS:
        caption = f"showing {TABLE_GROUPS} of {most} groups a loss; -o csv or -o json gives all"
    intervals = [r["confidence"] for r in records if "ci" in r]
    columns = ["task"] * tasks + ["loss"] + ["group"] * grouped + ["value"]
    columns += [f"{intervals[0]:.0%} CI" if intervals else ""] * bool(intervals)
    columns += ["reduction", "n", "params"]
    rows = []
    for r in records:
        for position, (row, label) in enumerate(flat_rows([r])):
            if position > TABLE_GROUPS:
                break
            first = label is ...
            cells = [r.get("task", "") if first else ""] * tasks + [r["loss"] if first else ""]
            if grouped:
                cells.append(("all" if "groups" in r else "") if first else group_label(label))
            cells.append(exact_text(row["value"]))
            if intervals:
                ci = row.get("ci")
                cells.append("" if ci is None else f"{ci[0]:.6g}–{ci[1]:.6g}")
            cells += [r["reduction"], str(row["n"]), params_text(r["params"]) if first else ""]
            rows.append(cells)
    wrapless = ("value", columns[-4])
    return table(columns, rows, right=("value", "n"), caption=caption, no_wrap=wrapless)


def per_row_table(
    names: Sequence[str], id_column: str | None, shown: Sequence[tuple[int, list[Any]]], n: int
) -> Any:
    """The first and last rows of per-row values: (row index, [id,] values) each."""
    caption = None
    if len(shown) < n:
        caption = f"showing {len(shown)} of {n} rows; -o csv gives all"
    header = ["row", *([id_column] if id_column is not None else []), *names]
    rows = []
    previous = -1
    width = len(names) + (id_column is not None)
    for index, cells in shown:
        if index != previous + 1:
            rows.append(["…", *("…" for _ in range(width))])
        texts = [str(c) for c in cells[: width - len(names)]]
        texts += [_cell(v) for v in cells[width - len(names) :]]
        rows.append([str(index + 1), *texts])
        previous = index
    return table(header, rows, left=[id_column] if id_column is not None else [], caption=caption)


def _cell(value: Any) -> str:
    """A row's value, or its elements (PyTorch's none), for a table."""
    if np.ndim(value) == 0:
        return exact_text(float(value))
    items = [exact_text(v) for v in np.ravel(value).tolist()]
    return "[" + ", ".join(items[:4]) + (", …]" if len(items) > 4 else "]")


def _shown_rows(n: int) -> list[int]:
    if n <= 2 * TABLE_ROWS:
        return list(range(n))
    return [*range(TABLE_ROWS), *range(n - TABLE_ROWS, n)]


def _iter_param_summary(loss: Mapping[str, Any]) -> Iterator[str]:
    for p in loss["params"]:
        yield f"{p['name']}={param_text(p['default'])}"


def write_loss_list(losses: Sequence[Mapping[str, Any]], output: str, out: IO[str]) -> None:
    if output == "json":
        out.write(dumps({"losses": list(losses)}) + "\n")
        return
    if output == "ndjson":
        for loss in losses:
            out.write(dumps(loss) + "\n")
        return
    rows = [
        (
            loss["name"],
            loss["family"],
            " ".join(i["name"] for i in loss["inputs"]),
            " ".join(_iter_param_summary(loss)),
            ", ".join(loss["aliases"]),
        )
        for loss in losses
    ]
    headers = ("name", "family", "inputs", "params", "aliases")
    if output == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return
    # On a terminal: what each loss is for; inputs, parameters and aliases are in `info`.
    summaries = [[loss["name"], loss["family"], loss["summary"]] for loss in losses]
    shown = table(
        ["name", "family", "summary"],
        summaries,
        caption="details: losscli info NAME",
        no_wrap=("name", "family"),
        plain=True,
    )
    print_rich(shown, out)


def write_loss_info(loss: Mapping[str, Any], output: str, out: IO[str]) -> None:
    if output in ("json", "ndjson"):
        out.write(dumps(loss) + "\n")
        return
    lines = [f"{loss['name']} — {loss['summary']}", ""]
    if loss["aliases"]:
        lines.append(f"aliases:     {', '.join(loss['aliases'])}")
    lines.append(f"family:      {loss['family']}")
    lines.append(f"convention:  {loss['convention']} — {loss['convention_detail']}")
    for name, note in loss.get("other_conventions", {}).items():
        lines.append(f"  --convention {name}: {note}")
    lines.append(f"formula:     {loss['formula']}")
    lines.append(f"reductions:  {', '.join(loss['reductions'])}")
    lines += ["", "inputs:"]
    lines += [f"  {i['name']:<12} {i['shape']:<10} {i['doc']}" for i in loss["inputs"]]
    lines += ["", "parameters:" if loss["params"] else "parameters:  none"]
    for p in loss["params"]:
        default = param_text(p["default"])
        lines.append(f"  {p['name']:<12} default {default}; {p['range']}. {p['doc']}")
    lines += ["", f"when to use: {loss['when_to_use']}"]
    if loss["pitfalls"]:
        lines += ["", "pitfalls:"] + [f"  - {p}" for p in loss["pitfalls"]]
    out.write("\n".join(lines) + "\n")


def write_comparison(record: Mapping[str, Any], output: str, out: IO[str]) -> list[str]:
    """A comparison of two models: overall, then one row per group."""
    rows = [("all", record), *((group_label(g["group"]), g) for g in record.get("groups", ()))]
    encoder = Encoder()
    if output == "json":
        out.write(encoder.encode({"results": [record]}) + "\n")
    elif output == "ndjson":
        out.write(encoder.encode(record) + "\n")
    elif output == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["loss", "group", "n", "a", "b", "difference", "ci_low", "ci_high"]
            + ["b_better_share", "verdict"]
        )
        for label, row in rows:
            writer.writerow(
                [record["loss"], "" if row is record else label, row["n"]]
                + [exact_text(row[k]) for k in ("a", "b", "difference")]
                + [exact_text(v) for v in row["ci"]]
                + [exact_text(row["b_better_share"]), row["verdict"]]
            )
    else:
        grouped = "groups" in record
        header = ["group"] * grouped + ["n", "A", "B", "B − A", f"{record['confidence']:.0%} CI"]
        cells = []
        for label, row in rows:
            low, high = row["ci"]
            cells.append([
                *([label] * grouped),
                str(row["n"]),
                f"{row['a']:.6g}",
                f"{row['b']:.6g}",
                f"{row['difference']:+.4g}",
                f"{low:+.4g} … {high:+.4g}",
                f"{row['b_better_share']:.1%}",
                row["verdict"],
            ])  # fmt: skip
        shown = table(
            [*header, "B better on", "verdict"],
            cells,
            left=("group", "verdict"),
            title=f"{record['loss']}: A = {record['a_file']}, B = {record['b_file']}",
            caption=f"paired bootstrap, {record['bootstrap']} resamples, seed {record['seed']}",
        )
        print_rich(shown, out)
    return encoder.notes()
