"""A user-defined loss, loaded with `losscli compute ... --plugin my_losses.py`."""

import numpy as np

from losscli import Param, loss


@loss(
    name="scaled_mae",
    summary="MAE times k.",
    formula="l = k mean_d |p - y|",
    params=[Param("k", "float", 1.0, "scale", low=0.0)],
)
def scaled_mae(predictions, targets, *, k=1.0):
    return k * np.abs(predictions - targets).reshape(len(predictions), -1).mean(axis=1)
