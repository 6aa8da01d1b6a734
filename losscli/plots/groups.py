"""``plot groups``: one value per group with its bootstrap interval, sorted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losscli.errors import UsageError
from losscli.evaluate import evaluate
from losscli.plots.figure import Figure, Series
from losscli.render.results import group_label
from losscli.requests import Options, Request


def groups_figure(
    requests: Sequence[Request], inputs: Sequence[Any], options: Options
) -> tuple[Figure, list[str]]:
    if len(requests) != 1 or requests[0].weight is not None:
        raise UsageError("plot groups draws one loss; give a single loss name")
    evaluation = evaluate(requests, inputs, options)
    result = evaluation.results[0]
    ordered = sorted(result.groups, key=lambda g: (-g.value, str(g.group)))
    low = [g.ci[0] if g.ci else g.value for g in ordered]
    high = [g.ci[1] if g.ci else g.value for g in ordered]
    level = f"{options.ci:.0%} interval" if options.ci else "no interval"
    figure = Figure(
        title=f"{result.loss} by {result.group_by}, largest first ({level})",
        x_label=str(result.group_by),
        y_label=result.loss,
        series=(
            Series(
                result.loss,
                "errorbars",
                list(range(len(ordered))),
                [g.value for g in ordered],
                low,
                high,
            ),
        ),
        x_ticks=tuple(group_label(g.group) for g in ordered),
        facts={"all rows": result.value, "n": result.n, "groups": len(ordered)},
    )
    return figure, evaluation.warnings
