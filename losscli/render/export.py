"""Evaluate with per-row values streamed into a file or stdout, which show the output only
once the whole run has succeeded (see ``destinations``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from losscli.evaluate import Evaluation, Options, Request, evaluate
from losscli.render.destinations import open_destination
from losscli.render.rows import row_writer


def export_rows(
    requests: Sequence[Request],
    inputs: Sequence[Any],
    options: Options,
    fmt: str,
    path: str | None,
    stdout: IO[str] | None = None,
) -> tuple[Evaluation, list[str]]:
    """Per-row values of ``requests`` written as ``fmt`` to ``path`` (None: ``stdout``),
    chunk by chunk. Returns the evaluation (results without ``values``) and notes."""
    destination = open_destination(path, stdout)
    writer = row_writer(fmt, destination.stream)
    try:
        evaluation = evaluate(requests, inputs, options, rows_to=writer)
        notes = writer.finish([r.to_dict() for r in evaluation.results])
    except BaseException:
        writer.abort()
        destination.discard()
        raise
    destination.commit()
    return evaluation, notes


def export_text(text: str, path: str) -> None:
    """Reduced results already rendered as text, written to ``path`` atomically."""
    destination = open_destination(path)
    try:
        destination.stream.write(text.encode())
    except BaseException:
        destination.discard()
        raise
    destination.commit()
