"""Bootstrap intervals from per-row loss contributions, resampling rows with replacement.

A reduced loss is ``finalize(sum_i a_i / sum_i b_i)`` (a weighted mean), or ``sum_i a_i``
(``--reduction sum``), over per-row parts ``a`` and ``b`` (``RowData``). A bootstrap
replicate draws n rows with replacement and recomputes that statistic; the percentile
interval is the central ``confidence`` share of the replicates. Replicates are computed in
blocks of resamples at once, and every loss of a run (or both models of a comparison) is
evaluated on the same resampled rows, which is what makes the comparison paired.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from losscli.progress import task
from losscli.records import record

BLOCK_ELEMENTS = 1 << 22  # row draws per block: 32 MiB of indices, 32 MiB of counts


@record
class RowData:
    """Per-row parts of one reduced loss over every row read (skipped rows are not ``valid``)."""

    values: np.ndarray  # the loss of each row; NaN where skipped
    numerators: np.ndarray  # a_i: w_i m_i (or w_i v_i for a sum); 0 where skipped
    denominators: np.ndarray | None  # b_i: w_i r_i (or 1); None for a sum
    valid: np.ndarray
    groups: np.ndarray | None = None  # group id of each row
    finalize: Callable[[float], float] | None = None
    scale: float = 1.0  # a power of two the weights were divided by (see collect.RowParts)
    # Column-wise means (numerators (n, D)): mean_d column_finalize(mean of column d).
    column_finalize: Callable[[float], float] | None = None

    def subset(self, rows: np.ndarray) -> RowData:
        return RowData(
            self.values[rows],
            self.numerators[rows],
            None if self.denominators is None else self.denominators[rows],
            self.valid[rows],
            None if self.groups is None else self.groups[rows],
            self.finalize,
            self.scale,
            self.column_finalize,
        )

    def numerator_columns(self) -> np.ndarray:
        """The numerators as (n, D): D = 1 unless the mean is column-wise."""
        return self.numerators if self.numerators.ndim == 2 else self.numerators[:, None]

    def combine(self, numerators: np.ndarray, denominators: np.ndarray | None) -> np.ndarray:
        """The statistic from summed parts: numerators (..., D), denominators (...)."""
        with np.errstate(all="ignore"):
            ratio = numerators if denominators is None else numerators / denominators[..., None]
        ratio = ratio * self.scale
        if self.column_finalize is None:
            return _applied(self.finalize, ratio[..., 0])
        return _applied(self.column_finalize, ratio).mean(axis=-1)

    def statistic(self) -> float:
        """The loss over these rows: exact sums, each ratio rounded once (as ``compute``)."""
        from losscli.pipeline.exact_sum import ExactSums, exact_mean

        denominator = None
        if self.denominators is not None:
            denominator = ExactSums()
            denominator.add(self.denominators)
        ratios = []
        for column in self.numerator_columns().T:
            sums = ExactSums()
            sums.add(column)
            ratio = float(sums.rounded()[0]) if denominator is None else sums.ratio(denominator)
            ratios.append(ratio * self.scale)
        if self.column_finalize is None:
            return float(_applied(self.finalize, np.array(ratios[:1]))[0])
        return exact_mean(_applied(self.column_finalize, np.array(ratios)))


def _applied(fn: Callable[[float], float] | None, values: np.ndarray) -> np.ndarray:
    """``fn`` on every finite entry of ``values`` (any shape)."""
    if fn is None:
        return values
    flat = [fn(v) if math.isfinite(v) else v for v in np.ravel(values).tolist()]
    return np.array(flat, dtype=np.float64).reshape(np.shape(values))


def replicates(parts: Sequence[RowData], n_boot: int, seed: int | Sequence[int]) -> np.ndarray:
    """(len(parts), n_boot) bootstrap replicates, every part resampled on the same rows.

    Each block of resamples becomes a matrix of how often each row was drawn, (b, n), and one
    matrix product with the parts' columns (n, m) gives every sum at once: the cost does not
    grow with the number of parts.
    """
    n = len(parts[0].numerators)
    columns = _columns(parts)
    matrix = np.column_stack(columns)
    rng = np.random.default_rng(seed)
    out = np.empty((len(parts), n_boot))
    block = max(1, min(n_boot, BLOCK_ELEMENTS // max(n, 1)))
    with task("bootstrap resamples", n_boot) as bar:
        for start in range(0, n_boot, block):
            stop = min(start + block, n_boot)
            b = stop - start
            rows = rng.integers(0, n, size=(b, n))
            rows += np.arange(b)[:, None] * n
            counts = np.bincount(rows.ravel(), minlength=b * n).reshape(b, n)
            sums = weighted_sums(counts, matrix)
            for k, value in enumerate(_per_part(parts, sums)):
                out[k, start:stop] = value
            bar.advance(b)
    return out


def weighted_sums(counts: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(b, m) sums_i counts[b, i] * matrix[i, j], in an order fixed by the shapes alone.

    Not ``counts @ matrix``: BLAS picks its kernel (and so its rounding) by CPU, and a seeded
    interval must be the same bits on every machine.
    """
    out = np.empty((counts.shape[0], matrix.shape[1]))
    for j in range(matrix.shape[1]):
        np.sum(counts * matrix[:, j], axis=1, out=out[:, j])
    return out


def weighted_total(weights: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """sum_k weights[k] * samples[k] (k, ...) -> (...), without BLAS (see ``weighted_sums``)."""
    weights = np.asarray(weights, dtype=np.float64)
    return np.sum(weights.reshape((-1,) + (1,) * (samples.ndim - 1)) * samples, axis=0)


def _columns(parts: Sequence[RowData]) -> list[np.ndarray]:
    """Every part's numerator columns, then its denominator, side by side."""
    columns: list[np.ndarray] = []
    for part in parts:
        columns += list(part.numerator_columns().T)
        if part.denominators is not None:
            columns.append(part.denominators)
    return columns


def _per_part(parts: Sequence[RowData], sums: np.ndarray) -> list[np.ndarray]:
    """Each part's statistic from the sums of its columns (the last axis of ``sums``)."""
    out, column = [], 0
    for part in parts:
        width = part.numerator_columns().shape[1]
        numerators = sums[..., column : column + width]
        column += width
        denominators = None
        if part.denominators is not None:
            denominators = sums[..., column]
            column += 1
        out.append(part.combine(numerators, denominators))
    return out


def grouped_replicates(
    parts: Sequence[RowData], positions: np.ndarray, n_groups: int, n_boot: int, seed: Any
) -> np.ndarray:
    """(n_groups, len(parts), n_boot) replicates: each group's rows resampled within it.

    ``positions`` gives each row's group (0 .. n_groups - 1; every group has rows). Rows are
    sorted by group, each draw picks a row of its own group, and one pass over blocks of
    resamples sums every group at once: the cost is rows x resamples, however many groups.
    """
    order = np.argsort(positions, kind="stable")
    sorted_positions = positions[order]
    sizes = np.bincount(sorted_positions, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    n = len(order)
    columns = [column[order] for column in _columns(parts)]
    rng = np.random.default_rng(seed)
    out = np.empty((n_groups, len(parts), n_boot))
    row_start = starts[sorted_positions]
    row_size = sizes[sorted_positions]
    block = max(1, min(n_boot, BLOCK_ELEMENTS // max(n, 1)))
    with task("bootstrap resamples by group", n_boot) as bar:
        for start in range(0, n_boot, block):
            stop = min(start + block, n_boot)
            b = stop - start
            draws = row_start + (rng.random((b, n)) * row_size).astype(np.int64)
            draws += np.arange(b)[:, None] * n
            counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
            sums = np.stack(
                [np.add.reduceat(counts * column, starts, axis=1) for column in columns], axis=-1
            )
            for k, value in enumerate(_per_part(parts, sums)):
                out[:, k, start:stop] = value.T
            bar.advance(b)
    return out


def interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval holding the central ``confidence`` share of ``samples``."""
    tail = (1.0 - confidence) / 2.0
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return (float("nan"), float("nan"))
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return (float(low), float(high))


def bootstrap(
    data: Sequence[RowData], groups: Sequence[int], n_boot: int, seed: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Replicates (k, B) of every loss over all valid rows, and over each group's rows.

    ``groups`` are the group ids to resample, in the order results list them; every loss
    is resampled on the same rows, so sums of losses get paired intervals.
    """
    valid = np.flatnonzero(data[0].valid)
    overall = replicates([d.subset(valid) for d in data], n_boot, seed)
    codes = data[0].groups
    if codes is None or not len(groups):
        return overall, []
    lookup = np.full(int(codes.max()) + 1 if len(codes) else 1, -1)
    lookup[np.asarray(groups, dtype=np.int64)] = np.arange(len(groups))
    positions = lookup[codes[valid]]
    rows = valid[positions >= 0]
    per_group = grouped_replicates(
        [d.subset(rows) for d in data], positions[positions >= 0], len(groups), n_boot, [seed, 1]
    )
    return overall, list(per_group)
