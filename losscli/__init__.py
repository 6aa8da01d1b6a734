"""losscli: evaluate machine-learning losses on prediction files or in-memory data.

>>> import losscli
>>> losscli.compute("mse", [1.0, 2.0], [0.0, 4.0]).value
2.5

Public API: ``compute``, ``check``, ``compare``, ``grad``, ``grad_check``, ``get``,
``list_losses``, the ``loss``
decorator for your own losses (with ``Param``, ``Input``, ``Check``, ``Rows``), the
result types and the error hierarchy. Names are imported on first use, so that
``import losscli`` stays cheap for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "compute": "losscli.api",
    "check": "losscli.api",
    "compare": "losscli.api",
    "get": "losscli.api",
    "grad": "losscli.api",
    "grad_check": "losscli.api",
    "Gradients": "losscli.api",
    "list_losses": "losscli.api",
    "LossWarning": "losscli.api",
    "Result": "losscli.pipeline.results",
    "GroupValue": "losscli.pipeline.results",
    "Evaluation": "losscli.pipeline.results",
    "CheckRun": "losscli.checks.gates",
    "Verdict": "losscli.checks.gates",
    "Comparison": "losscli.comparison",
    "loss": "losscli.plugins",
    "Loss": "losscli.registry",
    "Param": "losscli.registry",
    "Input": "losscli.registry",
    "Check": "losscli.registry",
    "Rows": "losscli.registry",
    "Registry": "losscli.registry",
    "LossCliError": "losscli.errors",
    "UsageError": "losscli.errors",
    "InputError": "losscli.errors",
    "ConfigError": "losscli.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'losscli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
