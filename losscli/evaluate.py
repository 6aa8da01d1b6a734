"""Evaluate requested losses on inputs: open the sources, run the pipeline on them with
the engine the options name, and return the results. See ``losscli.pipeline.run``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from losscli.errors import UsageError, option
from losscli.pipeline.collect import RowSink
from losscli.pipeline.prepare import WEIGHTS
from losscli.pipeline.results import Evaluation, Result
from losscli.pipeline.run import read
from losscli.pipeline.sources import Sources, open_sources
from losscli.records import replace
from losscli.requests import Options, Request, check_requests

__all__ = ["Evaluation", "Options", "Request", "Result", "evaluate", "evaluate_sources"]


def evaluate(
    requests: Sequence[Request],
    inputs: Sequence[Any],
    options: Options | None = None,
    *,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> Evaluation:
    """Compute every requested loss on ``inputs`` (paths, '-', or in-memory objects).

    Per-row values (``reduction="none"``) go to ``rows_to`` chunk by chunk when it is
    given (the results then carry no ``values``); otherwise they are kept in the results.
    ``observe`` sees every chunk's per-row losses (unweighted, NaN for skipped rows)
    whatever the reduction (plots build histograms from them); if it has an
    ``inputs(arrays)`` method, that gets the kept rows' inputs of the first loss too.
    """
    options = options or Options()
    check_requests(requests, options)
    if options.engine != "local":
        if keep_rows or rows_to is not None or observe is not None:
            raise UsageError(
                f"{option('engine', 'dask')} computes reduced values; this command needs "
                "every row in one process"
            )
        from losscli.engines import engine

        return engine(options.engine)(requests, inputs, options)
    sources = open_sources(inputs, options)
    evaluation = evaluate_sources(
        requests, sources, options, keep_rows=keep_rows, rows_to=rows_to, observe=observe
    )
    return replace(evaluation, warnings=[*sources.notes, *evaluation.warnings])


def evaluate_sources(
    requests: Sequence[Request],
    sources: Sources,
    options: Options,
    *,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> Evaluation:
    """The loop over aligned chunks of already opened sources."""
    return read(requests, sources, options, keep_rows, rows_to, observe).finish()


def evaluate_arrays(
    requests: Sequence[Request],
    arrays: Mapping[str, Any],
    options: Options | None = None,
) -> Evaluation:
    """Compute losses on in-memory arrays named after the inputs (and ``weights``)."""
    options = options or Options()
    if WEIGHTS in arrays:
        options = replace(options, columns={**options.columns, WEIGHTS: WEIGHTS})
    return evaluate(requests, [dict(arrays)], options)
