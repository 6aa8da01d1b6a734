"""Evaluate with per-row values streamed into a file or stdout, which show the output only
once the whole run has succeeded (see ``destinations``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    def run(writer: Any) -> tuple[Evaluation, list[dict[str, Any]]]:
        evaluation = evaluate(requests, inputs, options, rows_to=writer)
        return evaluation, [r.to_dict() for r in evaluation.results]

    return _streamed(fmt, path, stdout, run)


def export_gradients(
    requests: Sequence[Request],
    inputs: Sequence[Any],
    options: Options,
    fmt: str,
    path: str | None,
    stdout: IO[str] | None = None,
) -> tuple[Evaluation, list[str], dict[str, Any]]:
    """The per-row gradients of the one loss of ``requests`` written as ``export_rows``
    writes values (a column ``grad_LOSS``). Returns the evaluation, notes and the summary."""
    from losscli.advice.grad import observe_gradients

    summary: dict[str, Any] = {}

    def run(writer: Any) -> tuple[Evaluation, list[dict[str, Any]]]:
        evaluation, observer = observe_gradients(requests, inputs, options, writer)
        summary.update(observer.summary())
        name = f"grad_{requests[0].loss.name}"
        return evaluation, [{"loss": name, "reduction": "none", "params": {}, "n": observer.rows}]

    evaluation, notes = _streamed(fmt, path, stdout, run)
    return evaluation, notes, summary


def _streamed(
    fmt: str,
    path: str | None,
    stdout: IO[str] | None,
    run: Callable[[Any], tuple[Evaluation, list[dict[str, Any]]]],
) -> tuple[Evaluation, list[str]]:
    """``run(writer)`` writing rows to ``path`` (None: ``stdout``), shown only if it succeeds."""
    destination = open_destination(path, stdout)
    writer = row_writer(fmt, destination.stream)
    try:
        evaluation, heads = run(writer)
        notes = writer.finish(heads)
    except BaseException:
        writer.abort()
        destination.discard()
        raise
    destination.commit()
    return evaluation, notes


def export_text(
    text: str | bytes, path: str, option_name: str = "out", durable: bool = False
) -> None:
    """Text (or an image's bytes) already rendered, written to ``path`` atomically (see
    ``open_destination``)."""
    destination = open_destination(path, option_name=option_name, durable=durable)
    try:
        destination.stream.write(text.encode() if isinstance(text, str) else text)
    except BaseException:
        destination.discard()
        raise
    destination.commit()
