"""Experiment layer: where replications run — in this process, on a local process pool, or on Dask.

Every executor maps a picklable function over tasks and yields results as they
finish, in any order; callers put them back in replication order. A replication
depends only on (scenario, seed, replication index), so every executor gives
the same numbers. Executors are context managers: leaving the ``with`` block
(also through Ctrl-C) stops what is still running.

Dask needs the optional ``distributed`` package (``pip install "mimsim[dask]"``);
on a remote cluster, every worker must have mimsim installed too.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Protocol, TypeVar

from simulator.experiment.lifetime import end_with_parent
from simulator.experiment.scheduler import (
    DEFAULT_CONNECT_TIMEOUT_S,
    SchedulerError,
    parse_scheduler_address,
)

__all__ = [
    "DaskExecutor",
    "Executor",
    "PoolExecutor",
    "SerialExecutor",
    "available_workers",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")


def available_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class Executor(Protocol):
    """Runs a function over tasks; results come back as they finish."""

    description: str

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...


class _Context:
    def __enter__(self) -> Any:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the workers."""


class SerialExecutor(_Context):
    """Everything in this process, one task after another."""

    description = "serial"

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        for task in tasks:
            yield function(task)


def _start_worker(parent: int) -> None:
    # Ctrl-C is the parent's to handle: it stops the pool and keeps what finished. SIGTERM
    # (the pool's way to stop a worker) ends a worker at once, whatever the parent made of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent(parent)  # no worker outlives a killed parent


class PoolExecutor(_Context):
    """A pool of local worker processes (forked where the platform allows)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.description = f"process pool of {workers}"
        context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        # Forked workers share the parent's memory until they write to it, and the cyclic garbage
        # collector writes to every object it scans: frozen, the parent's objects (the imported
        # libraries, hundreds of thousands of them) are left out of the workers' collections, so
        # they stay shared and each collection is shorter. The parent unfreezes once they exist.
        gc.freeze()
        try:
            self._pool = context.Pool(workers, initializer=_start_worker, initargs=(os.getpid(),))
        finally:
            gc.unfreeze()

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        yield from self._pool.imap_unordered(function, tasks)

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


class DaskExecutor(_Context):
    """A Dask cluster: ``"local"`` starts a LocalCluster of ``workers`` processes (default: one
    per core); an address connects to a running scheduler, whose workers are its own."""

    def __init__(self, address: str, connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
                 workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the test extra installs it
            raise SchedulerError(address, 'the "distributed" package (pip install "mimsim[dask]")',
                                 "it is not installed", None) from None
        self._cluster = None
        scheduler = parse_scheduler_address(address, None)
        if scheduler is None:
            self._cluster = LocalCluster(n_workers=workers or available_workers(), threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(str(scheduler), timeout=f"{connect_timeout_s}s")
            except Exception as error:  # reached the host, but no Dask scheduler answered there
                raise SchedulerError(address, f"a Dask scheduler answering within "
                                     f"{connect_timeout_s:g} s", f"{type(error).__name__}: "
                                     f"{str(error)[:120]}", None) from None
        self.description = f"Dask ({address}, {len(self._client.scheduler_info()['workers'])} workers)"

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        from distributed import as_completed

        futures = self._client.map(function, list(tasks), pure=False)
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor the options ask for: Dask if ``dask`` is given (``workers`` sizes a
    LocalCluster), else a pool (1 worker: serial)."""
    if dask is not None:
        return DaskExecutor(dask, workers=workers)
    count = available_workers() if workers is None else workers
    return SerialExecutor() if count <= 1 else PoolExecutor(count)
