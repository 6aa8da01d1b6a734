"""``--on KEY`` on Dask: each input read file by file into a Dask DataFrame (through
losscli's readers, so a bad cell is reported as in one process), the frames merged on the
key by Dask's shuffle, and every merged partition evaluated into a ``RunState``.

The key checks are those of ``joins.join``: a key repeated in a file is an error; keys
missing from a file are an error unless ``--how inner``, which drops them and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losscli.engines.dask_cluster import (
    INSTALL,
    Job,
    cluster,
    finish_states,
    local_options,
    run_futures,
)
from losscli.engines.partitions import PartFile, open_dataset, part_file
from losscli.errors import InputError, UsageError, option
from losscli.pipeline.results import Evaluation
from losscli.pipeline.run import Run, bind, read
from losscli.pipeline.sources import open_sources
from losscli.pipeline.states import RunState
from losscli.readers.base import Table
from losscli.readers.datasets import Dataset, keyed_file
from losscli.records import record, replace
from losscli.requests import Options, Request

KEY = "__losscli_key__"
EXAMPLES = 3


@record(frozen=True)
class Layout:
    """Which columns of each input (and of the weights, last) the evaluation reads."""

    displays: list[str]
    columns: list[list[str]]
    labels: frozenset[str]  # columns read as labels (the group column)
    weights: bool


def _name(table: int, column: str) -> str:
    return f"{table}/{column}"


def read_frame(
    file: PartFile, table: int, wanted: list[str], key: str, labels: frozenset[str]
) -> Any:
    """One file's key and columns as a pandas frame (runs on a worker)."""
    import pandas as pd
    import pyarrow as pa

    from losscli.pipeline import labels as label_columns

    source = file.table()
    if key not in source.columns:
        found = ", ".join(source.columns) or "none"
        raise InputError(
            f"{option('on', key)}: {source.display} has no column '{key}' (columns: {found})"
        )
    data = source._read_columns([key, *wanted], frozenset([key, *labels]))
    keys = label_columns.keys(data[key], f"{source.display} column '{key}'")
    out: dict[str, Any] = {KEY: keys.to_pandas() if isinstance(keys, pa.Array) else keys}
    for column in wanted:
        values = data[column]
        out[_name(table, column)] = (
            values.to_pandas() if isinstance(values, (pa.Array, pa.ChunkedArray)) else values
        )
    return pd.DataFrame(out)


def evaluate_frame(frame: Any, index: int, job: Job, layout: Layout) -> RunState:
    """One merged partition's state (runs on a worker)."""
    import pyarrow as pa

    from losscli.readers.memory import ArrayTable

    tables: list[Table] = []
    for t, (display, columns) in enumerate(zip(layout.displays, layout.columns)):
        data: dict[str, Any] = {}
        for column in columns:
            values = frame[_name(t, column)]
            data[column] = (
                pa.array(values, from_pandas=True) if column in layout.labels else values.to_numpy()
            )
        tables.append(ArrayTable(data, display))
    weights = tables.pop() if layout.weights else None
    local = local_options(replace(job.options, on=None, how="exact"), weights)
    stages = read(job.requests, open_sources(tables, local), local)
    state = stages.state(index)
    if state.rows.first_bad is not None:  # a row number means nothing after a shuffle
        _, name, origin = state.rows.first_bad
        state = replace(state, rows=replace(state.rows, first_bad=(-1, name, origin)))
    return state


def _plan(
    requests: Sequence[Request], datasets: list[Dataset], weights: Dataset | None, options: Options
) -> tuple[Layout, Any]:
    """Bind inputs on each dataset's first file, the key set aside; the columns to read."""

    firsts = [keyed_file(d.files[0], d.format, d.filesystem) for d in datasets]
    weight_table = (
        None
        if weights is None
        else keyed_file(weights.files[0], weights.format, weights.filesystem)
    )
    local = local_options(replace(options, on=None, how="exact"), weight_table)
    sources = open_sources(firsts, local)
    sources = replace(sources, reserved=sources.reserved | {options.on})
    plan = bind(requests, sources, local)
    every: list[Table] = [*firsts, *([weight_table] if weight_table is not None else [])]
    columns: list[list[str]] = [[] for _ in every]
    for binding in plan.bindings.values():
        t = next(i for i, table in enumerate(every) if table is binding.table)
        names = (
            binding.columns
            if binding.columns is not None
            else [c for c in binding.table.columns if c != options.on]
        )
        columns[t] += [c for c in names if c not in columns[t]]
    labels = frozenset(c for c in [options.group_by] if isinstance(c, str))
    displays = [d.display for d in [*datasets, *([weights] if weights is not None else [])]]
    stages = Run(requests, plan, local)
    return Layout(displays, columns, labels, weights is not None), stages


def _key_report(
    counts: list[int], matched: int, duplicates: list[Any], displays: list[str], options: Options
) -> list[str]:
    """Errors for repeated or unmatched keys, worded as in one process; else notes."""
    from losscli.pipeline.joins import duplicates_message, unmatched_keys

    key = str(options.on)
    for display, repeated in zip(displays, duplicates):
        if len(repeated):
            examples = list(repeated.items())[:EXAMPLES]
            message = duplicates_message(display, key, examples, len(repeated))
            raise InputError(f"{option('on', key)}: {message}")
    unmatched = [(d, c - matched, c) for d, c in zip(displays, counts) if c != matched]
    problems = [f"{extra} keys of {d} are missing from another file" for d, extra, _ in unmatched]
    dropped = [f"{extra} of {count} rows of {d}" for d, extra, count in unmatched]
    return unmatched_keys(key, options.how, matched, problems, dropped)


def evaluate_joined(
    requests: Sequence[Request], inputs: Sequence[Any], options: Options
) -> Evaluation:
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise UsageError(f"{option('engine', 'dask')} needs Dask: {INSTALL}") from None
    datasets = [open_dataset(i, options.format) for i in inputs]
    weights = None if options.weights is None else open_dataset(options.weights, options.format)
    every = [*datasets, *([weights] if weights is not None else [])]
    layout, stages = _plan(requests, datasets, weights, options)
    key = options.on
    with cluster(options.scheduler) as client:
        frames = [
            dd.from_map(
                read_frame,
                [part_file(d, f) for f in d.files],
                table=t,
                wanted=layout.columns[t],
                key=key,
                labels=layout.labels,
                enforce_metadata=False,
            )
            for t, d in enumerate(every)
        ]
        merged = frames[0]
        for frame in frames[1:]:
            merged = merged.merge(frame, on=KEY, how="inner")
        counts = [frame.shape[0] for frame in frames]
        duplicates = []
        for frame in frames:
            tally = frame[KEY].value_counts()
            duplicates.append(tally[tally > 1])
        measured = client.compute([*counts, *duplicates, merged.shape[0]])
        values = run_futures(measured, ["key counts"] * len(measured))
        counts_found = [int(c) for c in values[: len(frames)]]
        repeated = values[len(frames) : 2 * len(frames)]
        notes = _key_report(counts_found, int(values[-1]), repeated, layout.displays, options)
        pieces = merged.to_delayed()
        shared = dask.delayed(Job(list(requests), options))  # one node, sent once
        tasks = [
            dask.delayed(evaluate_frame)(piece, k, shared, layout) for k, piece in enumerate(pieces)
        ]
        states = run_futures(
            client.compute(tasks), [f"joined partition {k}" for k in range(len(tasks))]
        )
    evaluation = finish_states(stages, [s for s in states if s.rows.rows] or states[:1])
    return replace(evaluation, warnings=[*notes, *evaluation.warnings])
