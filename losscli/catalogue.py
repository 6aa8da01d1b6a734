"""The registry a user gets: the built-in catalogue, then plugin files and entry points."""

from __future__ import annotations

from losscli.registry import Registry

_BUILTIN: Registry | None = None


def default_registry() -> Registry:
    """The built-in losses, registered once on first use (callers must not register into it)."""
    global _BUILTIN
    if _BUILTIN is None:
        from losscli.losses import register_builtins

        _BUILTIN = register_builtins(Registry())
    return _BUILTIN
