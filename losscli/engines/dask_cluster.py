"""What the Dask engines share: a client of a cluster (joined, or started and stopped with
the command), the job every task shares, futures gathered in order with clear errors, and
a client-side run that absorbs the merged states."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

from losscli.errors import LossCliError, UsageError, option
from losscli.pipeline.results import Evaluation
from losscli.pipeline.run import Run
from losscli.pipeline.states import RunState
from losscli.records import record, replace
from losscli.requests import Options, Request

INSTALL = "pip install 'losscli[dask]'"


class EngineError(LossCliError):
    """The cluster could not finish the job (unreachable, workers lost)."""


def local_options(options: Options, weights: Any) -> Options:
    return replace(options, engine="local", scheduler=None, weights=weights)


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
