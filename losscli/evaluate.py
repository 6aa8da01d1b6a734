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

__all__ = ["Evaluation", "Options", "Request", "Result", "Sources", "evaluate", "open_sources"]


def evaluate(
    requests: Sequence[Request],
    inputs: Sequence[Any] | Sources,
    options: Options | None = None,
    *,
    keep_rows: bool = False,
    rows_to: RowSink | None = None,
    observe: RowSink | None = None,
) -> Evaluation:
    """Compute every requested loss on ``inputs`` (paths, '-', or in-memory objects).

    ``inputs`` may also be ``Sources`` opened once with ``open_sources`` and read again
    (a plot's second pass, a comparison's second model); their notes are then the
    opener's to report, and the results carry only the run's own warnings.

    Per-row values (``reduction="none"``) go to ``rows_to`` chunk by chunk when it is
    given (the results then carry no ``values``); otherwise they are kept in the results.
    ``observe`` sees every chunk's per-row losses (unweighted, NaN for skipped rows)
    whatever the reduction (plots build histograms from them); if it has an
    ``inputs(arrays)`` method, that gets the kept rows' inputs of the first loss too.
    """
    options = options or Options()
    check_requests(requests, options)
    if options.engine != "local":
        one_process = keep_rows or rows_to is not None or observe is not None
        if one_process or isinstance(inputs, Sources):
            raise UsageError(
                f"{option('engine', 'dask')} computes reduced values; this command needs "
                "every row in one process"
            )
        from losscli.engines import engine

        return engine(options.engine)(requests, inputs, options)
    if isinstance(inputs, Sources):
        return read(requests, inputs, options, keep_rows, rows_to, observe).finish()
    sources = open_sources(inputs, options)
    evaluation = read(requests, sources, options, keep_rows, rows_to, observe).finish()
    return replace(evaluation, warnings=[*sources.notes, *evaluation.warnings])


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
