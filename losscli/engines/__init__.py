"""Where evaluation runs when not in this process. An engine is a function
``(requests, inputs, options) -> Evaluation`` that drives ``pipeline.run.Run``s (feed,
state, absorb, finish); ``evaluate`` looks it up here by the name ``--engine`` gives.
Engines import the pipeline; the pipeline never imports an engine.

- ``dask``: ``dask_engine`` evaluates partitions (``partitions``) on a Dask cluster and
  merges their states (``pipeline.states``) exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

# name -> (module, function); imported only when that engine is asked for.
ENGINES = {"dask": ("losscli.engines.dask_engine", "evaluate_on_dask")}


def engine(name: str) -> Callable[..., Any]:
    """The engine called ``name`` (``local`` runs in ``evaluate`` itself)."""
    module, function = ENGINES[name]
    found: Callable[..., Any] = getattr(import_module(module), function)
    return found


__all__ = ["ENGINES", "engine"]
