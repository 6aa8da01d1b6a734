"""Mergeable partial states for reduced losses, so that any file can be reduced in chunks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Partial:
    """Weighted sums of the rows seen so far, kept per chunk and added exactly at the end.

    ``sums`` hold sum_i w_i v_i (what ``--reduction sum`` reports), ``numerators`` and
    ``denominators`` the two sides of the mean, sum_i w_i m_i / sum_i w_i r_i, where
    ``m`` defaults to the values and ``r`` to 1 (see ``registry.Rows``). Chunk sums are
    added with ``math.fsum``, so the result does not depend on how rows were chunked
    beyond the last bit of each chunk's sum.
    """

    sums: list[float] = field(default_factory=list)
    numerators: list[float] = field(default_factory=list)
    denominators: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    count: int = 0

    def add(
        self,
        values: np.ndarray,
        weights: np.ndarray | None = None,
        means: np.ndarray | None = None,
        norms: np.ndarray | None = None,
    ) -> None:
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
        )

    def add_sums(
        self, value_sum: float, numerator: float, denominator: float, weight: float, count: int
    ) -> None:
        """Add rows already summed: sum w v, sum w m, sum w r, sum w and their number."""
        self.sums.append(float(value_sum))
        self.numerators.append(float(numerator))
        self.denominators.append(float(denominator))
        self.weights.append(float(weight))
        self.count += int(count)

    def merge(self, other: Partial) -> Partial:
        return Partial(
            self.sums + other.sums,
            self.numerators + other.numerators,
            self.denominators + other.denominators,
            self.weights + other.weights,
            self.count + other.count,
        )

    @property
    def weighted_sum(self) -> float:
        return math.fsum(self.sums)

    @property
    def weight_total(self) -> float:
        return math.fsum(self.weights)

    @property
    def denominator(self) -> float:
        return math.fsum(self.denominators)

    def mean(self) -> float:
        """sum_i w_i m_i / sum_i w_i r_i; NaN when the denominator is 0 (all rows ignored)."""
        denominator = self.denominator
        if denominator == 0:
            return math.nan
        return math.fsum(self.numerators) / denominator

    def mean_over_rows(self) -> float:
        """sum_i w_i m_i / N: Keras's ``sum_over_batch_size``."""
        return math.fsum(self.numerators) / self.count
