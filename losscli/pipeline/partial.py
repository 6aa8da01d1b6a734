"""Mergeable partial states for reduced losses, so that any file can be reduced in chunks."""

from __future__ import annotations

import math

import numpy as np

from losscli.records import field, record

# Chunk sums kept before they are added up (exactly, rounded once) into one: memory stays
# bounded per partial (and per group) however many chunks a file has.
COMPACT_AT = 32


def weight_scale(weights: np.ndarray | None) -> float:
    """What a chunk's weights are divided by before summing: their largest value, so that
    weights near the float64 limits (1e308, 5e-324) neither overflow nor lose digits."""
    if weights is None or len(weights) == 0:
        return 1.0
    largest = float(np.max(weights))
    return largest if largest > 0 else 1.0


@record
class Partial:
    """Weighted sums of the rows seen so far, kept per chunk and added exactly at the end.

    ``sums`` hold sum_i w_i v_i (what ``--reduction sum`` reports), ``numerators`` and
    ``denominators`` the two sides of the mean, sum_i w_i m_i / sum_i w_i r_i, where
    ``m`` defaults to the values and ``r`` to 1 (see ``registry.Rows``). Each chunk's sums
    are taken with its weights divided by ``scales[k]`` and combined relative to the largest
    scale; chunk sums are added with ``math.fsum``, so the result does not depend on how
    rows were chunked beyond the last bit of each chunk's sum (and of the exact sum of every
    ``COMPACT_AT`` chunks, which replaces them: memory stays bounded).
    """

    sums: list[float] = field(default_factory=list)
    numerators: list[float] = field(default_factory=list)
    denominators: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)
    count: int = 0
    counted: int = 0  # rows that count in Keras's mean: not masked out (norm 0)

    def add(
        self,
        values: np.ndarray,
        weights: np.ndarray | None = None,
        means: np.ndarray | None = None,
        norms: np.ndarray | None = None,
    ) -> None:
        scale = weight_scale(weights)
        if weights is not None and scale != 1.0:
            weights = weights / scale

        def total(x: np.ndarray) -> float:
            return float(np.sum(x)) if weights is None else float(np.dot(weights, x))

        weight = float(len(values)) if weights is None else float(np.sum(weights))
        value_sum = total(values)
        self.add_sums(
            value_sum,
            value_sum if means is None else total(means),
            weight if norms is None else total(norms),
            weight,
            len(values),
            scale,
            len(values)
            if norms is None
            else int(np.count_nonzero(np.broadcast_to(norms, values.shape))),
        )

    def add_sums(
        self,
        value_sum: float,
        numerator: float,
        denominator: float,
        weight: float,
        count: int,
        scale: float = 1.0,
        counted: int | None = None,
    ) -> None:
        """Add rows already summed: sum w v, sum w m, sum w r, sum w and their number, with
        the weights divided by ``scale``."""
        self.sums.append(float(value_sum))
        self.numerators.append(float(numerator))
        self.denominators.append(float(denominator))
        self.weights.append(float(weight))
        self.scales.append(float(scale))
        self.count += int(count)
        self.counted += int(count if counted is None else counted)
        if len(self.sums) >= COMPACT_AT:  # bounded memory whatever the number of chunks
            compact = self.compacted()
            self.sums, self.numerators = compact.sums, compact.numerators
            self.denominators, self.weights = compact.denominators, compact.weights
            self.scales = compact.scales

    @staticmethod
    def concat(partials: list[Partial]) -> Partial:
        """The rows of every partial, in order (``merge`` of many at once)."""
        out = Partial()
        for p in partials:
            out.sums += p.sums
            out.numerators += p.numerators
            out.denominators += p.denominators
            out.weights += p.weights
            out.scales += p.scales
            out.count += p.count
            out.counted += p.counted
        return out

    def compacted(self) -> Partial:
        """The same rows as one entry (each sum added exactly, then rounded once): what a
        partition sends back, whatever number of chunks it read."""
        if len(self.sums) <= 1:
            return self
        top = self.scale
        return Partial(
            [self._relative(self.sums)],
            [self._relative(self.numerators)],
            [self._relative(self.denominators)],
            [self._relative(self.weights)],
            [top],
            self.count,
            self.counted,
        )

    @property
    def scale(self) -> float:
        """The largest chunk scale: every total below is a multiple of it."""
        return max(self.scales, default=1.0)

    def _relative(self, parts: list[float]) -> float:
        """sum_k (scale_k / scale) parts_k."""
        top = self.scale
        return math.fsum(p * (s / top) for p, s in zip(parts, self.scales))

    @property
    def weighted_sum(self) -> float:
        return self.scale * self._relative(self.sums)

    @property
    def weight_total(self) -> float:
        """The sum of the weights relative to the largest scale (> 0 exactly when the true
        sum is)."""
        return self._relative(self.weights)

    @property
    def denominator(self) -> float:
        return self._relative(self.denominators)

    def mean(self) -> float:
        """sum_i w_i m_i / sum_i w_i r_i; NaN when the denominator is 0 (all rows ignored)."""
        denominator = self.denominator
        if denominator == 0:
            return math.nan
        return self._relative(self.numerators) / denominator

    def mean_over_rows(self) -> float:
        """sum_i w_i m_i / N: Keras's ``sum_over_batch_size`` (N counts the rows a mask keeps;
        NaN when it keeps none)."""
        if self.counted == 0:
            return math.nan
        return self.scale * (self._relative(self.numerators) / self.counted)


class GroupPartials:
    """The partials of groups 0..k-1 as arrays, added chunk by chunk with compensated
    (Neumaier) sums: memory is a few numbers a group, and no Python loop runs over groups.

    Rows 0-3 of ``totals`` hold sum w v, sum w m, sum w r and sum w of each group, relative
    to the largest chunk scale ``top`` (as ``Partial`` keeps them); ``errors`` their
    running compensation.
    """

    def __init__(self) -> None:
        self.totals = np.zeros((4, 0))
        self.errors = np.zeros((4, 0))
        self.counts = np.zeros(0, dtype=np.int64)
        self.counted = np.zeros(0, dtype=np.int64)
        self.top = 0.0  # no chunk yet

    def __len__(self) -> int:
        return len(self.counts)

    def _grow(self, k: int) -> None:
        extra = k - len(self)
        if extra > 0:
            self.totals = np.pad(self.totals, ((0, 0), (0, extra)))
            self.errors = np.pad(self.errors, ((0, 0), (0, extra)))
            self.counts = np.pad(self.counts, (0, extra))
            self.counted = np.pad(self.counted, (0, extra))

    def add(
        self,
        where: slice | int,
        quantities: np.ndarray,
        counts: np.ndarray | int,
        counted: np.ndarray | int,
        scale: float,
    ) -> None:
        """Add a chunk's per-group sums (4 x groups at ``where``), taken with weights / scale."""
        stop = where.stop if isinstance(where, slice) else where + 1
        self._grow(int(stop))
        if scale > self.top:
            if self.top > 0:
                self.totals *= self.top / scale
                self.errors *= self.top / scale
            self.top = scale
        x = quantities if scale == self.top else quantities * (scale / self.top)
        s = self.totals[:, where]
        t = s + x
        self.errors[:, where] += np.where(np.abs(s) >= np.abs(x), (s - t) + x, (x - t) + s)
        self.totals[:, where] = t
        self.counts[where] += counts
        self.counted[where] += counted

    def partial(self, g: int) -> Partial:
        """Group ``g``'s sums as a ``Partial`` of one entry."""
        if g >= len(self) or not self.counts[g]:
            return Partial()
        v = (self.totals[:, g] + self.errors[:, g]).tolist()
        return Partial(
            [v[0]], [v[1]], [v[2]], [v[3]], [self.top], int(self.counts[g]), int(self.counted[g])
        )

    def present(self) -> list[int]:
        """The groups with rows."""
        return np.flatnonzero(self.counts).tolist()
