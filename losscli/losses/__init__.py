"""Built-in loss families. Each module exposes ``LOSSES``, a tuple of registry entries."""

from __future__ import annotations

from losscli.registry import Loss


def builtin_losses() -> list[Loss]:
    from losscli.losses import binary, multiclass, regression

    return [*regression.LOSSES, *binary.LOSSES, *multiclass.LOSSES]
