"""Experiment layer: one replication — simulate, measure, and write its logs.

Replication *r* depends only on (scenario, root seed, r), so the numbers are
the same whatever executor runs it and in whatever order replications finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulator.eventlog.export import write_events
from simulator.eventlog.log import SimulationLog
from simulator.metrics.coded import CodedLog, encode
from simulator.metrics.hourly import hourly_team_measures
from simulator.metrics.incidents import KpiContext
from simulator.metrics.kpis import ReplicationMeasures, measure_replication
from simulator.metrics.series import backlog_series
from simulator.model.memory import ordinary_pages
from simulator.model.simulation import Simulation
from simulator.scenario.schema import Scenario

__all__ = ["ReplicationResult", "ReplicationTask", "run_replication", "run_task"]


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


def _named(codes: pd.Series, names: list[str]) -> list[str | None]:
    return [names[code] if code >= 0 else None for code in codes]


def _write_logs(out_dir: Path, replication: int, log: SimulationLog, coded: CodedLog,
                measured: ReplicationMeasures, events_format: str) -> None:
    """The replication's event log, incident table and hourly team measures, each written whole."""
    stem = f"replication-{replication:03d}"
    events_path = out_dir / "events" / f"{stem}.{events_format}"
    events_path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(events_path, lambda path: write_events(log.events, path, format=events_format))
    incidents = measured.incidents.drop(columns="case")
    incidents["priority"] = _named(incidents["priority"], coded.priorities)
    incidents["category"] = _named(incidents["category"], coded.categories)
    incidents["resolved_by"] = _named(incidents["resolved_by"], coded.teams)
    incidents_path = out_dir / "incidents" / f"{stem}.parquet"
    incidents_path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(incidents_path, incidents.to_parquet)
    hourly = hourly_team_measures(coded, measured.teams)
    hourly_path = out_dir / "hourly" / f"{stem}.parquet"
    hourly_path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(hourly_path, lambda path: hourly.to_parquet(path, index=False))


def _simulate(scenario: Scenario, replication: int, seed: int) -> SimulationLog:
    """The replication's log; the model (its incidents, queues and recorded rows) is freed on
    return, before the log is measured, which lowers the replication's peak memory."""
    simulation = Simulation(scenario, replication, seed)
    simulation.run()
    return simulation.results()


@ordinary_pages()
def run_replication(scenario: Scenario, replication: int, seed: int,
                    out_dir: Path | None = None, events_format: str = "parquet") -> ReplicationResult:
    """Simulate one replication and measure it; with ``out_dir``, also write its logs there.

    Files written (each complete or absent): ``events/replication-NNN.<format>``,
    ``incidents/replication-NNN.parquet`` and ``hourly/replication-NNN.parquet`` (team
    measures by hour of the week, for the report) — the incident table and the team
    activity the KPIs were measured from, not measured again.
    """
    began = time.perf_counter()
    log = _simulate(scenario, replication, seed)
    coded = encode(log.events, log.start)
    measured = measure_replication(log, KpiContext.from_scenario(scenario), coded)
    kpis = measured.kpis
    kpis.insert(0, "replication", replication)
    backlog = backlog_series(coded, measured.teams.window[1])
    backlog.insert(0, "replication", replication)
    if out_dir is not None:
        _write_logs(out_dir, replication, log, coded, measured, events_format)
    return ReplicationResult(replication, kpis, backlog, time.perf_counter() - began,
                             len(log.events))


@dataclass(frozen=True)
class ReplicationTask:
    """One replication of one design, as sent to a worker."""

    design: int
    scenario: Scenario
    replication: int
    seed: int
    out_dir: Path | None
    events_format: str = "parquet"


def run_task(task: ReplicationTask) -> tuple[int, ReplicationResult]:
    """Run a task (module-level, so that every executor can pickle it); returns its design too."""
    return task.design, run_replication(task.scenario, task.replication, task.seed, task.out_dir,
                                        task.events_format)
