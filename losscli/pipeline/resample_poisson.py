"""The Poisson bootstrap: a resampling that parallelises by partition.

The classic bootstrap draws n rows with replacement, which needs every row in one place.
The Poisson bootstrap gives each row an independent Poisson(1) count per replicate
instead (how often it is "drawn"), so each partition weights its own rows, sums its
per-row parts (``resample.RowData``) under those counts, and sends back one small
(replicates x columns) array; the replicate sums of the whole data are the sums of the
partitions' arrays. The number of rows in a replicate is random (mean n), which changes
nothing for large n (Hanley & MacGibbon 2006; Chamandy et al. 2012).

Counts come from ``numpy.random.default_rng([seed, partition])``, drawn row by row in
the partition's order: the replicates are reproducible for a given seed and partitioning,
whatever the chunk size or the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from losscli.pipeline.resample import RowData, _columns, _per_part, weighted_sums
from losscli.records import record

BLOCK_DRAWS = 1 << 22  # counts drawn at a time: 32 MiB


@record
class PoissonSums:
    """Replicate sums of every part's columns, relative to the largest weight scale ``top``,
    overall (B, m) and per group label."""

    overall: np.ndarray
    groups: dict[Any, np.ndarray]
    top: float
    scaled: np.ndarray  # (m,) which columns are relative to ``top`` (the rest are counts)
    widths: list[int]  # each part's numerator columns; 0 for a plain (1-D) numerator

    def rescaled(self, top: float) -> PoissonSums:
        """The same sums relative to a larger ``top``."""
        if top == self.top:
            return self
        factor = np.where(self.scaled, self.top / top, 1.0)
        return PoissonSums(
            self.overall * factor,
            {label: sums * factor for label, sums in self.groups.items()},
            top,
            self.scaled,
            self.widths,
        )

    def merge(self, later: PoissonSums) -> PoissonSums:
        top = max(self.top, later.top)
        a, b = self.rescaled(top), later.rescaled(top)
        groups = dict(a.groups)
        for label, sums in b.groups.items():
            groups[label] = groups[label] + sums if label in groups else sums
        return PoissonSums(a.overall + b.overall, groups, top, a.scaled, a.widths)


def scaled_columns(parts: Sequence[RowData], weighted_means: Sequence[bool]) -> np.ndarray:
    """Which of ``_columns(parts)`` hold weights relative to the scale: every numerator, and
    the denominators of weighted means (Keras's mean over N divides by a count)."""
    flags: list[bool] = []
    for part, weighted in zip(parts, weighted_means):
        flags += [True] * part.numerator_columns().shape[1]
        if part.denominators is not None:
            flags.append(weighted)
    return np.array(flags, dtype=bool)


def poisson_sums(
    parts: Sequence[RowData],
    labels: list[Any],
    top: float,
    scaled: np.ndarray,
    n_boot: int,
    seed: int,
    partition: int,
) -> PoissonSums:
    """Replicate sums of one partition's rows (every part weighted by the same counts).

    ``labels[code]`` names the group of code ``code`` in ``parts[0].groups``.
    """
    matrix = np.column_stack(_columns(parts))  # (n, m); 0 on skipped rows
    n, m = matrix.shape
    codes = parts[0].groups
    rng = np.random.default_rng([seed, partition])
    overall = np.zeros((n_boot, m))
    by_group = np.zeros((len(labels), n_boot, m)) if codes is not None else None
    block = max(1, BLOCK_DRAWS // n_boot)
    for start in range(0, n, block):
        stop = min(start + block, n)
        counts = rng.poisson(1.0, size=(stop - start, n_boot)).astype(np.float64)
        rows = matrix[start:stop]
        overall += weighted_sums(counts.T, rows)
        if by_group is not None and codes is not None:
            order = np.argsort(codes[start:stop], kind="stable")
            present, first = np.unique(codes[start:stop][order], return_index=True)
            bounds = [*first.tolist(), stop - start]
            for i, g in enumerate(present.tolist()):
                mine = order[bounds[i] : bounds[i + 1]]
                by_group[g] += weighted_sums(counts[mine].T, rows[mine])
    groups = {} if by_group is None else {label: by_group[g] for g, label in enumerate(labels)}
    widths = [p.numerators.shape[1] if p.numerators.ndim == 2 else 0 for p in parts]
    return PoissonSums(overall, groups, top, scaled, widths)


def statistics(templates: Sequence[RowData], sums: np.ndarray) -> np.ndarray:
    """(k, B) statistics of every part from replicate sums (B, m)."""
    return np.array(_per_part(templates, sums))


def template(
    width: int,
    denominators: bool,
    finalize: Callable[[float], float] | None,
    column_finalize: Callable[[float], float] | None,
    scale: float,
) -> RowData:
    """A part's shape and reduction without its rows (``statistics`` needs no more)."""
    return RowData(
        np.empty(0),
        np.empty((0, width)) if width else np.empty(0),
        np.empty(0) if denominators else None,
        np.empty(0, dtype=bool),
        None,
        finalize,
        scale,
        column_finalize,
    )
