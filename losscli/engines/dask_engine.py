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

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

from losscli.engines.partitions import Partition, partitions
from losscli.errors import LossCliError, UsageError, option
from losscli.pipeline.run import Run, plan, read
from losscli.pipeline.sources import Sources, open_sources
from losscli.pipeline.states import RunState
from losscli.records import record, replace
from losscli.requests import Options, Request
from losscli.results import Evaluation

INSTALL = "pip install 'losscli[dask]'"


class EngineError(LossCliError):
    """The cluster could not finish the job (unreachable, workers lost)."""


def _local(options: Options, weights: Any) -> Options:
    return replace(options, engine="local", scheduler=None, weights=weights)


def _opened(partition: Partition, options: Options) -> tuple[Sources, Options]:
    """The partition's files opened, and the options that read them in this process."""
    weights = None if partition.weights is None else partition.weights.table()
    local = _local(options, weights)
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
        from losscli.engines.dask_join import evaluate_joined

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


def finish_states(stages: Run, states: list[RunState]) -> Evaluation:
    """The results of a client-side run that absorbs every partition's state, merged."""
    merged = RunState.concat(states)
    stages.absorb(merged)
    return stages.finish()


@record(frozen=True)
class Job:
    """What every task of a run shares: sent to each worker once, not with every task."""

    requests: list[Request]
    options: Options


def evaluate_job_partition(partition: Partition, job: Job) -> RunState:
    return evaluate_partition(partition, job.requests, job.options)


def run_partitions(
    client: Any, parts: Sequence[Partition], requests: Sequence[Request], options: Options
) -> list[RunState]:
    """Every part's state from the cluster, in part order."""
    job = client.scatter(Job(list(requests), options), broadcast=True, hash=False)
    futures = client.map(evaluate_job_partition, parts, job=job, pure=False)
    return run_futures(futures, [part.describe() for part in parts])


def run_futures(futures: list[Any], names: Sequence[str]) -> list[Any]:
    """The futures' results in order, once every one has finished.

    The first failing one (in order) ends the run with its error; a task whose workers kept
    dying is a clear error, never a result computed without it.
    """
    from distributed import as_completed

    from losscli.progress import task

    try:
        with task("files evaluated on Dask", len(futures)) as bar:
            for _ in as_completed(futures):
                bar.advance(1)
        for name, future in zip(names, futures):
            if future.status == "error":
                _raise_for(name, future)
        return [f.result() for f in futures]
    finally:
        for future in futures:
            future.cancel()


def _raise_for(name: str, future: Any) -> None:
    from distributed.scheduler import KilledWorker

    error = future.exception()
    if isinstance(error, LossCliError):
        raise error
    if isinstance(error, KilledWorker):
        raise EngineError(
            f"the Dask workers evaluating {name} died repeatedly (last: {error}); "
            "no result: check the workers' memory and logs"
        )
    raise EngineError(f"evaluating {name} on Dask failed: {type(error).__name__}: {error}")


@contextlib.contextmanager
def cluster(address: str | None) -> Iterator[Any]:
    """A client of the cluster at ``address`` (or in a scheduler file; default: Dask's
    ``scheduler-address`` setting, e.g. $DASK_SCHEDULER_ADDRESS), else of a local cluster
    sized to this machine that starts and stops with the command."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(f"{option('engine', 'dask')} needs Dask: {INSTALL}") from None
    address = address or dask.config.get("scheduler-address", None)
    if address is not None:
        where = {"scheduler_file": address} if os.path.isfile(address) else {"address": address}
        try:
            client = Client(**where, timeout=_timeout())
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
        with client:
            yield client
        return
    workers = max(1, os.cpu_count() or 1)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never "8787 is in use"
            silence_logs=logging.CRITICAL,
        ) as local,
        Client(local) as client,
    ):
        yield client


def _timeout() -> str:
    return os.environ.get("LOSSCLI_DASK_TIMEOUT", "20s")
