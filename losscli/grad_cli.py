"""``losscli grad``: the gradient of a loss with respect to the predictions, per element,
streamed through the per-row writers, with a summary; ``--check`` compares the analytic
gradient with central finite differences."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click
import numpy as np

from losscli.cli import _options, _registry, _requests, _warn, complete_losses, data_options
from losscli.pipeline.exact_sum import ExactSums

VANISHING = 1e-7
HUGE = 1e6


class _Gradients:
    """Observer of the evaluation: each chunk's inputs -> gradients, to a writer and a
    summary."""

    def __init__(self, request: Any, writer: Any, convention: str | None = None) -> None:
        self.request = request
        self.convention = convention
        self.writer = writer
        self.method = ""
        self.elements = self.vanishing = self.nonfinite = self.huge = 0
        self.squares = ExactSums()  # of the gradients, exact: no overflow
        self.rows = 0

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        if self.writer is not None:
            self.writer.start([f"grad_{self.request.loss.name}"], None)

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        pass

    def inputs(self, arrays: Mapping[str, np.ndarray]) -> None:
        from losscli.gradients import gradient

        if not len(next(iter(arrays.values()))):
            return
        grad, self.method = gradient(
            self.request.loss, arrays, self.request.params, self.convention
        )
        finite = np.isfinite(grad)
        self.elements += grad.size
        self.rows += len(grad)
        self.nonfinite += int((~finite).sum())
        magnitude = np.abs(np.where(finite, grad, 0.0))
        self.vanishing += int((finite & (magnitude < VANISHING)).sum())
        self.huge += int((magnitude > HUGE).sum())
        self.squares.add_products(magnitude, magnitude)
        if self.writer is not None:
            self.writer.write(None, [grad])

    def summary(self) -> dict[str, Any]:
        n = max(self.rows, 1)
        total = max(self.elements, 1)
        return {
            "loss": self.request.loss.name,
            "method": self.method,
            "rows": self.rows,
            "elements": self.elements,
            "norm of the per-row gradients": self.squares.sqrt(),
            "norm of the mean loss's gradient": self.squares.sqrt() / n,
            f"vanishing (|g| < {VANISHING:g})": self.vanishing / total,
            "non-finite": self.nonfinite / total,
            f"huge (|g| > {HUGE:g})": self.huge / total,
        }


@click.command()
@click.argument("loss", metavar="LOSS", shell_complete=complete_losses)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@data_options
@click.option("--check", "check_mode", is_flag=True,
              help="Compare the analytic gradient with central finite differences; exit 1 "
              "beyond --tolerance.")  # fmt: skip
@click.option("--tolerance", type=float, default=1e-4, show_default=True,
              help="Largest relative error --check accepts.")  # fmt: skip
@click.option("-o", "--output", type=click.Choice(("table", "json", "csv", "ndjson")))
@click.option(
    "--out",
    "out_path",
    metavar="FILE",
    help="Write the gradients to FILE (.csv .ndjson .json .parquet .arrow .npy).",
)
def grad(
    loss: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    plugins: tuple[str, ...],
    check_mode: bool,
    tolerance: float,
    output: str | None,
    out_path: str | None,
    **kw: Any,
) -> int:
    """The gradient of each row's loss with respect to its predictions (d l_i / d p_i; the
    mean loss's gradient is that divided by the number of rows), per element, with a summary
    on stderr: norms, and the shares of vanishing, non-finite and huge entries. Analytic
    where the loss has a formula (built-in, or a plugin's grad=), else central differences
    (said in the summary).

    \b
    Examples:
      losscli grad bce probs.csv labels.csv -o csv | head
      losscli grad bce_with_logits logits.csv labels.csv --out grads.parquet
      losscli grad --check my_loss preds.csv targets.csv --plugin my_losses.py
    """
    requests = _requests(loss, params, _registry(plugins))
    if len(requests) != 1 or requests[0].weight is not None:
        raise click.UsageError("grad takes one loss")
    options = _options(kw)
    if check_mode:
        return _check(requests, inputs, options, tolerance, output)
    from losscli.evaluate import evaluate

    fmt = output or ("table" if sys.stdout.isatty() else "csv")
    if out_path is not None or fmt in ("csv", "ndjson", "json"):
        from losscli.destinations import open_destination
        from losscli.row_writers import format_of, row_writer

        fmt = format_of(out_path) if out_path else fmt
        destination = open_destination(out_path, sys.stdout)
        writer = row_writer(fmt, destination.stream)
        observer = _Gradients(requests[0], writer, options.convention)
        try:
            evaluation = evaluate(requests, inputs, options, observe=observer)
            notes = writer.finish([{"loss": f"grad_{loss}", "reduction": "none", "params": {},
                                    "n": observer.rows}])  # fmt: skip
        except BaseException:
            writer.abort()
            destination.discard()
            raise
        destination.commit()
        _warn(evaluation.warnings + notes)
    else:
        observer = _Gradients(requests[0], None, options.convention)
        evaluation = evaluate(requests, inputs, options, observe=observer)
        _warn(evaluation.warnings)
    summary = observer.summary()
    if fmt == "table" and out_path is None:
        for key, value in summary.items():
            click.echo(f"{key}: {_text(value)}")
    else:
        text = "; ".join(f"{k}: {_text(v)}" for k, v in summary.items())
        click.echo(f"losscli: gradient summary: {text}", err=True)
    return 0


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


class _FirstChunk:
    """Observer that keeps the first chunk's inputs, then stops the evaluation."""

    class Enough(Exception):
        pass

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] | None = None

    def start(self, names: Sequence[str], id_column: str | None) -> None:
        pass

    def write(self, ids: Any, columns: Sequence[np.ndarray]) -> None:
        pass

    def inputs(self, arrays: Mapping[str, np.ndarray]) -> None:
        if len(next(iter(arrays.values()))):
            self.arrays = {k: np.array(v) for k, v in arrays.items()}
            raise self.Enough


def _check(requests: Any, inputs: Any, options: Any, tolerance: float, output: str | None) -> int:
    """Analytic against central differences on the first chunk of rows."""
    from losscli.evaluate import evaluate
    from losscli.gradients import analytic, numerical

    request = requests[0]
    first = _FirstChunk()
    with contextlib.suppress(_FirstChunk.Enough):  # one chunk is checked: no more is read
        evaluate(requests, inputs, options, observe=first)
    arrays = first.arrays
    if arrays is None:
        raise click.UsageError("no rows to check")
    exact = analytic(request.loss, arrays, request.params)
    if exact is None:
        raise click.UsageError(
            f"{request.loss.name} has no analytic gradient to check; a plugin declares one "
            "with @losscli.loss(..., grad=...)"
        )
    with np.errstate(all="ignore"):
        approx = numerical(request.loss, arrays, request.params)
    scale = np.maximum(np.maximum(np.abs(exact), np.abs(approx)), 1e-8)
    relative = np.abs(exact - approx) / scale
    worst = int(np.nanargmax(np.where(np.isfinite(relative), relative, np.inf)))
    position = np.unravel_index(worst, relative.shape)
    error = float(relative.reshape(-1)[worst])
    passed = error <= tolerance
    report = {
        "loss": request.loss.name,
        "input": "predictions",
        "rows": int(len(exact)),
        "worst relative error": error,
        "at row": int(position[0]) + 1,
        "element": [int(i) for i in position[1:]],
        "analytic": float(exact.reshape(-1)[worst]),
        "numerical": float(approx.reshape(-1)[worst]),
        "tolerance": tolerance,
        "verdict": "pass" if passed else "fail",
    }
    if output == "json" or (output is None and not sys.stdout.isatty()):
        from losscli.jsonout import dumps

        click.echo(dumps(report))
    else:
        for key, value in report.items():
            click.echo(f"{key}: {_text(value)}")
    return 0 if passed else 1
