"""Mergeable partial states for reduced losses, so that any file can be reduced in chunks.

Every sum is exact (``exact_sum.ExactSums``) and rounded once when a value is read, so a
loss is the same float64 however its rows were chunked, split into files or partitions, and
merged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.pipeline.exact_sum import ExactSums, padded
from losscli.records import field, record


def _add(target: ExactSums, terms: Any, weights: np.ndarray | None, codes: Any, n: int) -> None:
    """Add sum_i w_i x_i (or sum_i x_i) of a chunk's rows to ``target``."""
    x = np.broadcast_to(np.asarray(terms, dtype=np.float64), (n,))
    if weights is None:
        target.add(x, codes)
    else:
        target.add_products(weights, x, codes)


def _zeros_and_ones(mask: np.ndarray, nonzero: int) -> bool:
    """Whether every entry of ``mask`` (with ``nonzero`` non-zero entries) is 0 or 1: its sum
    is then the count, without summing (an ignore mask, the common case)."""
    return int(np.count_nonzero(mask == 1.0)) == nonzero


@record
class Partial:
    """Exact sums of the rows seen so far.

    ``sums`` hold sum_i w_i v_i (what ``--reduction sum`` reports), ``numerators`` and
    ``denominators`` the two sides of the mean, sum_i w_i m_i / sum_i w_i r_i, where ``m``
    defaults to the values and ``r`` to 1 (see ``registry.Rows``); ``weights`` sum_i w_i.
    A side that is None is the same as its default (``numerators``: ``sums``;
    ``denominators``: ``weights``; ``weights``: the row count), so a plain mean sums once.
    """

    sums: ExactSums = field(default_factory=ExactSums)
    numerators: ExactSums | None = None
    denominators: ExactSums | None = None
    weights: ExactSums | None = None
    count: int = 0
    counted: int = 0  # rows that count in Keras's mean: not masked out (norm 0)

    def add(
        self,
        values: np.ndarray,
        weights: np.ndarray | None = None,
        means: np.ndarray | None = None,
        norms: np.ndarray | None = None,
    ) -> None:
        n = len(values)
        _add(self.sums, values, weights, None, n)
        if means is not None:
            if self.numerators is None:
                self.numerators = ExactSums()
            _add(self.numerators, means, weights, None, n)
        if weights is not None:
            if self.weights is None:
                self.weights = ExactSums()
            self.weights.add(weights)
        kept = n
        if norms is not None:
            if self.denominators is None:
                self.denominators = ExactSums()
            mask = np.broadcast_to(np.asarray(norms, dtype=np.float64), (n,))
            kept = int(np.count_nonzero(mask))
            if weights is None and _zeros_and_ones(mask, kept):  # the sum is the count
                self.denominators.add(np.array([float(kept)]))
            else:
                _add(self.denominators, norms, weights, None, n)
        self.count += n
        self.counted += kept

    @staticmethod
    def concat(partials: list[Partial]) -> Partial:
        """The rows of every partial, in any order (the sums are exact)."""
        out = Partial()
        for name in ("numerators", "denominators", "weights"):
            if all(getattr(p, name) is None for p in partials):
                continue
            setattr(out, name, ExactSums.concat([p.side(name) for p in partials]))
        out.sums = ExactSums.concat([p.sums for p in partials])
        out.count = sum(p.count for p in partials)
        out.counted = sum(p.counted for p in partials)
        return out

    def side(self, name: str) -> ExactSums:
        """One of the sums, its default filled in."""
        value = getattr(self, name)
        if value is not None:
            return value
        if name == "numerators":
            return self.sums
        if name == "denominators":
            return self.side("weights")
        counts = ExactSums()
        if self.count:
            counts.add(np.array([float(self.count)]))
        return counts

    @property
    def weighted_sum(self) -> float:
        return float(self.sums.rounded()[0])

    @property
    def weight_total(self) -> float:
        """The sum of the weights (the row count without weights)."""
        return float(self.weights.rounded()[0]) if self.weights is not None else float(self.count)

    @property
    def denominator(self) -> float:
        """sum_i w_i r_i rounded once (the row count without weights and norms)."""
        if self.denominators is None and self.weights is None:
            return float(self.count)
        return float(self.side("denominators").rounded()[0])

    def mean(self) -> float:
        """sum_i w_i m_i / sum_i w_i r_i rounded once; NaN when the denominator is 0."""
        numerators = self.side("numerators")
        if self.denominators is None and self.weights is None:
            return numerators.ratio(self.count)
        return numerators.ratio(self.side("denominators"))

    def mean_over_rows(self) -> float:
        """sum_i w_i m_i / N: Keras's ``sum_over_batch_size`` (N counts the rows a mask keeps;
        NaN when it keeps none)."""
        return self.side("numerators").ratio(self.counted)


class GroupPartials:
    """The partials of groups 0..k-1: one exact sum a group for each side of ``Partial``,
    added chunk by chunk without a Python loop over groups."""

    def __init__(self) -> None:
        self.sides: dict[str, ExactSums] = {"sums": ExactSums(0)}
        self.counts = np.zeros(0, dtype=np.int64)
        self.counted = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.counts)

    def _grow(self, k: int) -> None:
        extra = k - len(self)
        if extra > 0:
            self.counts = padded(self.counts, after=extra)
            self.counted = padded(self.counted, after=extra)

    def add(
        self,
        codes: np.ndarray,
        values: np.ndarray,
        weights: np.ndarray | None,
        means: Any = None,
        norms: Any = None,
    ) -> None:
        """Add a chunk's rows to their groups (``codes``: each row's group)."""
        n = len(codes)
        if not n:
            return
        k = int(codes.max()) + 1
        self._grow(k)
        _add(self.sides["sums"], values, weights, codes, n)
        if means is not None:
            _add(self.sides.setdefault("numerators", ExactSums(0)), means, weights, codes, n)
        if weights is not None:
            self.sides.setdefault("weights", ExactSums(0)).add(weights, codes)
        counts = np.bincount(codes, minlength=k)
        self.counts[:k] += counts
        if norms is None:
            self.counted[:k] += counts
        else:
            mask = np.broadcast_to(np.asarray(norms, dtype=np.float64), (n,))
            kept = np.bincount(codes[mask != 0], minlength=k)
            self.counted[:k] += kept
            denominators = self.sides.setdefault("denominators", ExactSums(0))
            if weights is None and _zeros_and_ones(mask, int(kept.sum())):  # sums are counts
                denominators.add(kept.astype(np.float64), np.arange(k))
            else:
                _add(denominators, norms, weights, codes, n)
        for sums in self.sides.values():
            sums.grow(len(self))  # a sum for every group, rows in this chunk or not

    def partial(self, g: int) -> Partial:
        """Group ``g``'s sums as a ``Partial``."""
        if g >= len(self) or not self.counts[g]:
            return Partial()
        sides = {}
        for name, sums in self.sides.items():
            sides[name] = sums.take(g)
        return Partial(
            sides["sums"],
            sides.get("numerators"),
            sides.get("denominators"),
            sides.get("weights"),
            int(self.counts[g]),
            int(self.counted[g]),
        )

    def present(self) -> list[int]:
        """The groups with rows."""
        return np.flatnonzero(self.counts).tolist()
