"""Training curves: logs read (``logs``), smoothed as TensorBoard does (``smoothing``),
early stopping as Keras decides it (``early_stopping``), diagnosed (``diagnose``)."""
