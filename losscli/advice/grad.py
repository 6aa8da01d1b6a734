"""Gradients of a loss with respect to its predictions, over a whole evaluation, with a
summary (norms; shares of vanishing, non-finite and huge entries), and the check of an
analytic gradient against central differences. Used by ``losscli grad`` and by
``losscli.grad`` / ``losscli.grad_check``."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losscli.errors import UsageError
from losscli.pipeline.exact_sum import ExactSums
from losscli.requests import Options, Request

VANISHING = 1e-7
HUGE = 1e6


class GradientObserver:
    """Observer of an evaluation: each chunk's inputs -> gradients, to a row writer (or
    kept, with ``keep``) and into the summary."""

    def __init__(self, request: Request, writer: Any = None, convention: str | None = None,
                 keep: bool = False) -> None:  # fmt: skip
        self.request = request
        self.convention = convention
        self.writer = writer
        self.kept: list[np.ndarray] | None = [] if keep else None
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
        from losscli.advice.gradients import gradient

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
        if self.kept is not None:
            self.kept.append(np.array(grad))

    def gradients(self) -> np.ndarray:
        """The kept gradients, one row per row of the inputs."""
        assert self.kept is not None
        return np.concatenate(self.kept) if self.kept else np.empty(0)

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


def observe_gradients(
    requests: Sequence[Request],
    inputs: Sequence[Any],
    options: Options,
    writer: Any = None,
    keep: bool = False,
) -> tuple[Any, GradientObserver]:
    """Evaluate the one loss of ``requests`` with its gradients observed: written to
    ``writer`` chunk by chunk, kept in memory with ``keep``, summarised either way."""
    from losscli.evaluate import evaluate

    observer = GradientObserver(one_request(requests), writer, options.convention, keep=keep)
    return evaluate(requests, inputs, options, observe=observer), observer


def one_request(requests: Sequence[Request]) -> Request:
    if len(requests) != 1 or requests[0].weight is not None:
        raise UsageError("a gradient is taken of one loss; name one")
    return requests[0]


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


def grad_check(
    requests: Sequence[Request], inputs: Sequence[Any], options: Options, tolerance: float
) -> dict[str, Any]:
    """The analytic gradient against central differences on the first chunk of rows: the
    worst relative error, where it is, and the verdict (``pass`` within ``tolerance``)."""
    from losscli.advice.gradients import analytic, numerical
    from losscli.evaluate import evaluate

    request = one_request(requests)
    first = _FirstChunk()
    with contextlib.suppress(_FirstChunk.Enough):  # one chunk is checked: no more is read
        evaluate(requests, inputs, options, observe=first)
    arrays = first.arrays
    if arrays is None:
        raise UsageError("no rows to check")
    exact = analytic(request.loss, arrays, request.params)
    if exact is None:
        raise UsageError(
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
    return {
        "loss": request.loss.name,
        "input": "predictions",
        "rows": int(len(exact)),
        "worst relative error": error,
        "at row": int(position[0]) + 1,
        "element": [int(i) for i in position[1:]],
        "analytic": float(exact.reshape(-1)[worst]),
        "numerical": float(approx.reshape(-1)[worst]),
        "tolerance": tolerance,
        "verdict": "pass" if error <= tolerance else "fail",
    }


__all__ = ["GradientObserver", "grad_check", "observe_gradients", "one_request"]
