"""TensorBoard's scalar smoothing: its debiased exponential moving average.

    last_t = w * last_{t-1} + (1 - w) * y_t      (last_0 = 0, finite points only)
    smoothed_t = last_t / (1 - w^k)              (k: finite points so far)

A non-finite point is shown as it is and does not count; a constant series is not
smoothed (TensorBoard's rule, so that a flat line stays where it is).
"""

from __future__ import annotations

import math

import numpy as np


def tensorboard_smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """``values`` smoothed with ``weight`` in [0, 1) as TensorBoard's slider does."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0 or np.all(values == values[0]):
        return values.copy()
    out = np.empty_like(values)
    last = 0.0
    count = 0
    for i, value in enumerate(values.tolist()):
        if not math.isfinite(value):
            out[i] = value
            continue
        last = last * weight + (1.0 - weight) * value
        count += 1
        out[i] = last / (1.0 - weight**count) if weight != 1.0 else last
    return out
