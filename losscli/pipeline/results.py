"""What an evaluation returns: one ``Result`` per loss (final when made), weighted totals,
and the ``Evaluation`` that holds them with the warnings of the run."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.records import field, record

if TYPE_CHECKING:
    from losscli.pipeline.resample import RowData


@record(frozen=True)
class GroupValue:
    """A loss reduced over the rows of one group."""

    group: Any
    n: int
    value: float
    ci: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"group": self.group, "n": self.n, "value": self.value}
        if self.ci is not None:
            out["ci"] = list(self.ci)
        return out


def _plain(values: np.ndarray) -> list[Any]:
    """Per-row values as plain Python lists, None where JSON writes null (NaN, inf)."""
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    if finite.all():
        return array.tolist()
    cells = array.astype(object)
    cells[~finite] = None
    return cells.tolist()


@record(frozen=True)
class Result:
    """One loss (or a weighted sum's total) over the rows evaluated.

    ``value`` is the reduced value (None with ``reduction="none"``, where ``values`` holds
    one value per row, NaN for skipped rows); ``n`` is the number of rows that made it; a
    total's ``n`` is the number of rows behind it (see ``weighted_total``). ``to_dict()`` is
    the JSON record ``compute -o json`` writes, in plain Python values (per-row values a list,
    None where JSON has null), so ``json.dumps`` takes it as it is.
    """

    loss: str
    reduction: str
    params: dict[str, Any]
    n: int
    value: float | None = None
    values: np.ndarray | None = None
    weight: float | None = None
    convention: str | None = None
    task: str | None = None
    ci: tuple[float, float] | None = None
    confidence: float | None = None
    group_by: str | None = None
    groups: tuple[GroupValue, ...] = ()
    terms: tuple[str, ...] = ()  # a weighted total's terms (or tasks)
    worst: tuple[Any, ...] = ()  # the rows of largest loss (``WorstRow``), when asked
    # what the worst rows' values are when not the loss itself: rmse ranks rows by their
    # squared error (mse), having no per-row values of its own
    worst_of: str | None = None

    @property
    def is_total(self) -> bool:
        return bool(self.terms)

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON contract spells it (per-row ``values`` as an array)."""
        out: dict[str, Any] = {"task": self.task} if self.task is not None else {}
        out |= {
            "loss": self.loss,
            "reduction": self.reduction,
            "params": dict(self.params),
            "n": self.n,
        }
        if self.weight is not None:
            out["weight"] = self.weight
        if self.convention is not None:
            out["convention"] = self.convention
        if self.values is not None:
            out["values"] = _plain(self.values)
        else:
            out["value"] = self.value
        if self.ci is not None:
            out["ci"] = list(self.ci)
            out["confidence"] = self.confidence
        if self.group_by is not None:
            out["group_by"] = self.group_by
            out["groups"] = [g.to_dict() for g in self.groups]
        if self.worst:
            out["worst"] = [w.to_dict() for w in self.worst]
            if self.worst_of is not None:
                out["worst_of"] = self.worst_of
        return out

    def __float__(self) -> float:
        if self.value is None:
            raise TypeError(f"{self.loss} has per-row values, not one value")
        return float(self.value)


@record(frozen=True)
class Evaluation:
    """The results of one run (a weighted sum's total last) and its warnings."""

    results: list[Result]
    warnings: list[str] = field(default_factory=list)
    rows: list[RowData] | None = None  # per loss, for resampling (when asked to keep rows)
    group_labels: list[Any] | None = None  # the label of each group id in ``rows``

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: int | str) -> Result:
        """A result by position, or by loss name (``"total"`` for a weighted sum's total)."""
        if isinstance(key, int):
            return self.results[key]
        for result in self.results:
            if result.loss == key or (key == "total" and result.is_total):
                return result
        names = ", ".join(r.loss for r in self.results)
        raise KeyError(f"no result for {key!r} (results: {names})")

    def to_pandas(self) -> Any:
        """The reduced results as a pandas DataFrame: one row per loss, and per group."""
        import pandas as pd

        rows = []
        for result in self.results:
            base: dict[str, Any] = {"task": result.task, "loss": result.loss}
            if result.values is not None:
                raise TypeError("per-row results: use result.values for each loss")
            rows.append(base | {"group": None, "n": result.n, "value": result.value})
            for g in result.groups:
                rows.append(base | {"group": g.group, "n": g.n, "value": g.value})
        frame = pd.DataFrame(rows)
        keep = [c for c in frame.columns if not frame[c].isna().all() or c in ("loss", "value")]
        return frame[keep]


def _value(result: Result) -> float:
    return math.nan if result.value is None else float(result.value)


def weighted_total(
    name: str,
    weights: Sequence[float],
    results: Sequence[Result],
    samples: np.ndarray | None = None,
    group_samples: Sequence[np.ndarray] | None = None,
) -> Result:
    """sum_k w_k L_k over the terms of a weighted sum: reduced, per row, or per group.

    The terms share their rows, so the total's ``n`` is theirs. ``samples`` are the terms'
    paired bootstrap replicates (k, B), for the total's interval.
    """
    from losscli.pipeline.exact_sum import exact_weighted_sum
    from losscli.pipeline.resample import interval, weighted_total

    first = results[0]
    w = np.asarray(weights, dtype=np.float64)
    common: dict[str, Any] = {
        "terms": tuple(r.loss for r in results),
        "loss": name,
        "reduction": first.reduction,
        "params": {},
        "n": first.n,
        "convention": first.convention,
        "group_by": first.group_by,
    }
    if first.values is not None:
        values = np.zeros(np.shape(first.values))
        for wk, r in zip(weights, results):
            values += wk * np.asarray(r.values)
        return Result(values=values, **common)
    value = exact_weighted_sum(weights, [_value(r) for r in results])
    groups = []
    for position, group in enumerate(first.groups):
        group_value = exact_weighted_sum(weights, [r.groups[position].value for r in results])
        ci = None
        if group_samples is not None and first.confidence is not None:
            ci = interval(weighted_total(w, group_samples[position]), first.confidence)
        groups.append(GroupValue(group.group, group.n, group_value, ci))
    ci = None
    if samples is not None and first.confidence is not None:
        ci = interval(weighted_total(w, samples), first.confidence)
    return Result(value=value, ci=ci, confidence=first.confidence, groups=tuple(groups), **common)
