"""Built-in loss families. Each module exposes ``LOSSES``, a tuple of registry entries."""

from __future__ import annotations

from importlib import import_module

from losscli.registry import Loss

FAMILY_MODULES = (
    "regression",
    "binary",
    "multiclass",
    "probabilistic",
    "distribution",
    "segmentation",
    "boxes",
    "metric",
    "sequence",
)


def builtin_losses() -> list[Loss]:
    losses: list[Loss] = []
    for name in FAMILY_MODULES:
        losses += import_module(f"losscli.losses.{name}").LOSSES
    return losses
