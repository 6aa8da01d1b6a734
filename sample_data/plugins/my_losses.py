"""A user-defined loss, loaded with `losscli compute ... --plugin my_losses.py`."""

import numpy as np

from losscli import Param, loss


def scaled_mae_grad(predictions, targets, *, k=1.0):
    """d l_i / d p_i: k sign(p - y) / D."""
    per_row = np.prod(predictions.shape[1:]) if predictions.ndim > 1 else 1
    return k * np.sign(predictions - targets) / per_row


@loss(
    name="scaled_mae",
    summary="MAE times k.",
    formula="l = k mean_d |p - y|",
    params=[Param("k", "float", 1.0, "scale", low=0.0)],
    grad=scaled_mae_grad,  # optional: lets `losscli grad --check` test it
)
def scaled_mae(predictions, targets, *, k=1.0):
    return k * np.abs(predictions - targets).reshape(len(predictions), -1).mean(axis=1)
