"""Mergeable partial states for reduced losses, so that any file can be reduced in chunks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Partial:
    """Weighted sum of per-row losses, total weight and row count of the rows seen so far.

    Chunk sums are kept apart and added exactly at the end (``math.fsum``), so the result
    does not depend on how the rows were chunked beyond the last bit of each chunk's sum.
    """

    sums: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    count: int = 0

    def add(self, values: np.ndarray, weights: np.ndarray | None = None) -> None:
        if weights is None:
            self.sums.append(float(np.sum(values)))
            self.weights.append(float(len(values)))
        else:
            self.sums.append(float(np.dot(weights, values)))
            self.weights.append(float(np.sum(weights)))
        self.count += len(values)

    def merge(self, other: Partial) -> Partial:
        return Partial(
            self.sums + other.sums, self.weights + other.weights, self.count + other.count
        )

    @property
    def weighted_sum(self) -> float:
        return math.fsum(self.sums)

    @property
    def weight_total(self) -> float:
        return math.fsum(self.weights)

    def mean(self) -> float:
        return self.weighted_sum / self.weight_total
