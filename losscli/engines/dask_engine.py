"""Evaluation on a Dask cluster: each partition (one file of every input) is read and reduced
on a worker, which sends back its ``RunState`` (a few numbers a loss and group); the client
merges the states in partition order and finishes exactly as one process would.

What travels back from a partition: per loss, its exact sums overall and per group label
present in it (``Partial``: sum w v and, where they differ, sum w m, sum w r and sum w, each a
few 32-bit limbs; count, counted), plus, with ``--ci``, (resamples x columns) Poisson
replicate sums overall and per group. Exact sums merge in any order: the engine's values are
the one-process values, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losscli.engines.dask_cluster import (
    EngineError,
    Job,
    cluster,
    finish_states,
    local_options,
    run_futures,
)
from losscli.engines.dask_join import evaluate_joined
from losscli.engines.partitions import Partition, partitions
from losscli.errors import UsageError, option
from losscli.pipeline.results import Evaluation
from losscli.pipeline.run import Run, plan, read
from losscli.pipeline.sources import Sources, open_sources
from losscli.pipeline.states import RunState
from losscli.requests import Options, Request

__all__ = ["EngineError", "cluster", "evaluate_on_dask", "evaluate_partition", "finish_states"]


def _opened(partition: Partition, options: Options) -> tuple[Sources, Options]:
    """The partition's files opened, and the options that read them in this process."""
    weights = None if partition.weights is None else partition.weights.table()
    local = local_options(options, weights)
    return open_sources([p.table() for p in partition.inputs], local), local


def evaluate_partition(
    partition: Partition, requests: Sequence[Request], options: Options
) -> RunState:
    """One partition's state (runs on a worker)."""

    sources, local = _opened(partition, options)
    return read(requests, sources, local).state(partition.index)


def _check_supported(options: Options, requests: Sequence[Request]) -> None:
    engine = option("engine", "dask")
    if options.reduction == "none":
        raise UsageError(
            f"{engine} computes reduced values; per-row values ({option('reduction', 'none')}) "
            "are evaluated in one process"
        )
    if options.worst:
        raise UsageError(f"{option('worst')} is not available with {engine}")
    if options.group_by is not None and not isinstance(options.group_by, str):
        raise UsageError(f"{engine}: {option('group_by')} must name a column")
    whole = [r.loss.name for r in requests if not r.loss.streamable]
    if whole:
        raise UsageError(f"{whole[0]} needs every row at once; it cannot run on {engine}")


def evaluate_on_dask(
    requests: Sequence[Request], inputs: Sequence[Any], options: Options
) -> Evaluation:
    """Every partition of ``inputs`` evaluated on the cluster, merged, finished here."""
    _check_supported(options, requests)
    if options.on:
        return evaluate_joined(requests, inputs, options)
    parts = partitions(inputs, options.weights, options.format)
    stages = _client_stages(requests, parts[0], options)
    with cluster(options.scheduler) as client:
        states = run_partitions(client, parts, requests, options)
    return finish_states(stages, states)


def _client_stages(requests: Sequence[Request], first: Partition, options: Options) -> Any:
    """Stages bound on the first partition's files: a missing column or a shape that does
    not fit is reported before anything runs on the cluster."""

    sources, local = _opened(first, options)
    return Run(requests, plan(requests, sources, local), local)


def evaluate_job_partition(partition: Partition, job: Job) -> RunState:
    return evaluate_partition(partition, job.requests, job.options)


def run_partitions(
    client: Any, parts: Sequence[Partition], requests: Sequence[Request], options: Options
) -> list[RunState]:
    """Every part's state from the cluster, in part order."""
    job = client.scatter(Job(list(requests), options), broadcast=True, hash=False)
    futures = client.map(evaluate_job_partition, parts, job=job, pure=False)
    return run_futures(futures, [part.describe() for part in parts])
