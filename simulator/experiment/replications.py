"""Experiment layer: running replications, serially or on a process pool.

Replication *r* depends only on (scenario, root seed, r), so the numbers are
the same whatever the number of workers or the order in which replications
finish. Each finished replication is handed to the caller at once (to write its
rows to disk), so an interrupted run keeps everything it finished.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulator.eventlog.export import write_events
from simulator.metrics.coded import encode
from simulator.metrics.incidents import SlaPolicy, incident_table
from simulator.metrics.kpis import replication_kpis
from simulator.metrics.series import backlog_series
from simulator.model.simulation import Simulation
from simulator.scenario.schema import Scenario

__all__ = ["ReplicationResult", "available_workers", "run_replication", "run_replications"]


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced, small enough to send between processes."""

    replication: int
    kpis: pd.DataFrame  # KPI_COLUMNS
    backlog: pd.DataFrame  # time, team, open
    wall_s: float
    n_events: int


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    partial = path.with_name(path.name + ".partial")
    write(partial)
    partial.replace(path)


def run_replication(scenario: Scenario, replication: int, seed: int,
                    out_dir: Path | None = None, events_format: str = "parquet") -> ReplicationResult:
    """Simulate one replication and measure it; with ``out_dir``, also write its logs there.

    Files written (each complete or absent): ``events/replication-NNN.<format>``
    and ``incidents/replication-NNN.parquet``.
    """
    began = time.perf_counter()
    simulation = Simulation(scenario, replication, seed)
    simulation.run()
    log = simulation.results()
    coded = encode(log.events, log.start)
    policy = SlaPolicy.from_scenario(scenario)
    end = (log.end - log.start).total_seconds() / 60.0
    kpis = replication_kpis(log, policy, coded)
    kpis.insert(0, "replication", replication)
    backlog = backlog_series(coded, end)
    backlog.insert(0, "replication", replication)
    if out_dir is not None:
        stem = f"replication-{replication:03d}"
        events_path = out_dir / "events" / f"{stem}.{events_format}"
        events_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(events_path, lambda path: write_events(
            log.events, path, format=events_format))
        incidents = incident_table(coded, policy, end).drop(columns="case")
        incidents["priority"] = [coded.priorities[code] if code >= 0 else None
                                 for code in incidents["priority"]]
        incidents["category"] = [coded.categories[code] if code >= 0 else None
                                 for code in incidents["category"]]
        incidents["resolved_by"] = [coded.teams[code] if code >= 0 else None
                                    for code in incidents["resolved_by"]]
        incidents_path = out_dir / "incidents" / f"{stem}.parquet"
        incidents_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(incidents_path, incidents.to_parquet)
    return ReplicationResult(replication, kpis, backlog, time.perf_counter() - began,
                             len(log.events))


def available_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _ignore_interrupts() -> None:
    # Ctrl-C is the parent's to handle: it stops the pool and keeps what finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _task(arguments: tuple[Scenario, int, int, Path | None, str]) -> ReplicationResult:
    return run_replication(*arguments)


def run_replications(scenario: Scenario, replications: Sequence[int], seed: int,
                     workers: int = 1, out_dir: Path | None = None,
                     events_format: str = "parquet") -> Iterator[ReplicationResult]:
    """Run the given replications, yielding each result as soon as it is finished.

    With ``workers`` > 1 the replications run on a process pool (in whatever
    order they finish); the results themselves do not depend on ``workers``.
    Closing the iterator early (or an interrupt) stops the pool.
    """
    tasks = [(scenario, replication, seed, out_dir, events_format) for replication in replications]
    if workers <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield _task(task)
        return
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    pool = context.Pool(min(workers, len(tasks)), initializer=_ignore_interrupts)
    try:
        yield from pool.imap_unordered(_task, tasks)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
