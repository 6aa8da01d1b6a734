"""What a chart shows, as plain data: the one model that the terminal renderer, the image
renderer and ``-o json|csv`` all read. Plot commands build a ``Figure``; they never draw."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from losscli.records import field, record


@record(frozen=True)
class Series:
    """One thing drawn: ``line`` (x, y), ``points`` (x, y), ``bars`` (x = bin edges, one more
    than y; a histogram), ``errorbars`` (x = labels' positions, y, low, high) or ``density``
    (x and y bin edges, ``z`` the count of each (x bin, y bin))."""

    label: str
    kind: str
    x: Sequence[float]
    y: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    z: Sequence[Sequence[float]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "kind": self.kind}
        out |= {"x": list(self.x), "y": list(self.y)}
        if self.low is not None and self.high is not None:
            out |= {"low": list(self.low), "high": list(self.high)}
        if self.z is not None:
            out["z"] = [list(row) for row in self.z]
        return out


@record(frozen=True)
class Mark:
    """A labelled vertical line at ``x`` (the mean, a quantile, the best epoch) or, with
    ``y``, a labelled point."""

    label: str
    x: float
    y: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "x": self.x}
        return out if self.y is None else out | {"y": self.y}


@record(frozen=True)
class Figure:
    """A chart: series, marks, axis labels, scales; ``facts`` are the numbers said beside it
    (n, mean, ECE, ...); ``x_ticks`` name categorical positions (groups)."""

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    marks: tuple[Mark, ...] = ()
    x_log: bool = False
    y_log: bool = False
    facts: dict[str, Any] = field(default_factory=dict)
    x_ticks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "x_label": self.x_label}
        out |= {"y_label": self.y_label, "x_log": self.x_log, "y_log": self.y_log}
        if self.x_ticks:
            out["x_ticks"] = list(self.x_ticks)
        out["series"] = [s.to_dict() for s in self.series]
        out["marks"] = [m.to_dict() for m in self.marks]
        out["facts"] = dict(self.facts)
        return out

    def rows(self) -> Iterator[list[Any]]:
        """The plotted data as long CSV rows: series, kind, x, y, low, high (a histogram's
        row i is its bin [x_i, x_{i+1}) as x_low/x_high), then the marks."""
        yield ["series", "kind", "x", "x_high", "y", "low", "high"]
        for s in self.series:
            if s.z is not None:  # a density: one row a cell, x and y its lower edges
                for i, row in enumerate(s.z):
                    for j, count in enumerate(row):
                        yield [s.label, s.kind, s.x[i], s.x[i + 1], s.y[j], count, ""]
                continue
            for i, y in enumerate(s.y):
                x_high = s.x[i + 1] if s.kind == "bars" else ""
                low = s.low[i] if s.low is not None else ""
                high = s.high[i] if s.high is not None else ""
                yield [s.label, s.kind, s.x[i], x_high, y, low, high]
        for m in self.marks:
            yield [m.label, "mark", m.x, "", "" if m.y is None else m.y, "", ""]
