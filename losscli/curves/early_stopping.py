"""Where Keras's ``EarlyStopping(monitor, mode="min", min_delta, patience,
restore_best_weights=True)`` would stop on a series, and which epoch's weights it keeps.

Keras 3's rule, epoch by epoch (index t from 0): an epoch improves when
``value + min_delta < best`` (the first epoch always does; NaN never does); ``wait``
counts epochs since the last improvement; training stops at the first epoch with
``wait >= patience`` (and t > 0). The weights kept are those of the best epoch, also
when training runs to the end.
"""

from __future__ import annotations

from losscli.records import record


@record(frozen=True)
class Stopping:
    best: int | None  # index of the epoch whose weights are kept
    stopped: int | None  # index of the epoch at which training stops; None: never


def keras_early_stopping(
    values: list[float], min_delta: float = 0.0, patience: int = 0
) -> Stopping:
    best_value: float | None = None
    best = None
    wait = 0
    for epoch, value in enumerate(values):
        wait += 1
        if best_value is None or value + abs(min_delta) < best_value:
            best_value, best, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return Stopping(best, epoch)
    return Stopping(best, None)
