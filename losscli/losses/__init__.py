"""The built-in catalogue, one module per family; each exposes ``LOSSES``, a tuple of entries.

The catalogue registers into a ``Registry`` the same way a plugin does.
"""

from __future__ import annotations

from importlib import import_module

from losscli.registry import Loss, Registry

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


def register_builtins(registry: Registry) -> Registry:
    for loss in builtin_losses():
        registry.register(loss, source="built-in")
    return registry
