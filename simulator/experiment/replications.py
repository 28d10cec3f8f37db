"""Experiment layer: one replication — simulate, measure, and write its logs.

Replication *r* depends only on (scenario, root seed, r), so the numbers are
the same whatever executor runs it and in whatever order replications finish.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.eventlog.export import write_events
from simulator.eventlog.log import SimulationLog
from simulator.experiment.interrupts import deferred_interrupts
from simulator.metrics.coded import CodedLog, encode
from simulator.metrics.hourly import hourly_team_measures
from simulator.metrics.incidents import KpiContext
from simulator.metrics.kpis import ReplicationMeasures, measure_coded, measure_replication, window_minutes
from simulator.metrics.series import backlog_series
from simulator.model.incident import RecordedColumns
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
    with deferred_interrupts():  # pandas would lose a Ctrl-C here now and then
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


@dataclass(frozen=True)
class _Recorded:
    """What the KPIs read of a replication, made straight from the recorder's columns."""

    coded: CodedLog
    duty: pd.DataFrame
    start: dt.datetime
    window: tuple[float, float]  # the end of the warm-up and of the run, minutes since the start


def _simulate_coded(scenario: Scenario, replication: int, seed: int) -> _Recorded:
    """The replication, coded for the KPIs without its event-log table: the codes the recorder
    holds are the codes :func:`~simulator.metrics.coded.encode` would read back from the table's
    categoricals, and the times the table's timestamps as minutes (the same values, bit for bit:
    ``tests/validation/test_replication_paths.py``)."""
    columns, names, duty, start, window = _recorded_columns(scenario, replication, seed)  # model freed
    order = np.argsort(columns.case, kind="stable")  # by case, then seq (the recording order)
    case = columns.case[order]
    rows = pd.DataFrame({
        "case": case,
        # minutes_since(timestamps): (start + ms) - start, in nanoseconds, over 60e9
        "t": (columns.milliseconds * 1_000_000)[order] / 60e9,
        "activity": columns.activity[order],
        "team": columns.team[order],
        "agent": columns.agent[order],
        "priority": columns.case_priority[case],
        "category": columns.case_category[case],
        "service": columns.case_service[case],
        "parent": columns.case_parent[case],
    }, copy=False)
    return _Recorded(CodedLog(rows, start, *names), duty, start, window)


def _recorded_columns(scenario: Scenario, replication: int, seed: int) -> tuple[
        RecordedColumns, list[list[str]], pd.DataFrame, dt.datetime, tuple[float, float]]:
    """The replication's recorded columns, its name lists (in :class:`CodedLog`'s order), its duty
    log, start and window (see :class:`_Recorded`); the model is freed on return (a lower peak)."""
    simulation = Simulation(scenario, replication, seed)
    simulation.run()
    recorder, start, now = simulation.recorder, simulation.start, simulation.now
    names = [list(recorder.case_names), list(recorder.team_names), list(recorder.agent_names),
             list(recorder.priority_names), list(recorder.category_names), list(recorder.service_names)]
    # the window as Simulation.results() gives it to the log (its datetimes, then minutes)
    window = window_minutes(start, start + dt.timedelta(minutes=min(scenario.run.warmup, now)),
                            start + dt.timedelta(minutes=now))
    return recorder.columns(), names, recorder.duty_frame(start), start, window


@ordinary_pages()
def run_replication(scenario: Scenario, replication: int, seed: int,
                    out_dir: Path | None = None, events_format: str = "parquet") -> ReplicationResult:
    """Simulate one replication and measure it; with ``out_dir``, also write its logs there.

    Files written (each complete or absent): ``events/replication-NNN.<format>``,
    ``incidents/replication-NNN.parquet`` and ``hourly/replication-NNN.parquet`` (team
    measures by hour of the week, for the report) — the incident table and the team
    activity the KPIs were measured from, not measured again. Without ``out_dir`` no event-log
    table is built: the KPIs are measured from the recorder's codes (the same numbers).
    """
    began = time.perf_counter()
    context = KpiContext.from_scenario(scenario)
    if out_dir is None:
        recorded = _simulate_coded(scenario, replication, seed)
        coded = recorded.coded
        measured = measure_coded(coded, context, recorded.duty, recorded.start, recorded.window)
    else:
        log = _simulate(scenario, replication, seed)
        coded = encode(log.events, log.start)
        measured = measure_replication(log, context, coded)
    kpis = measured.kpis
    kpis.insert(0, "replication", replication)
    backlog = backlog_series(coded, measured.teams.window[1])
    backlog.insert(0, "replication", replication)
    if out_dir is not None:
        _write_logs(out_dir, replication, log, coded, measured, events_format)
    return ReplicationResult(replication, kpis, backlog, time.perf_counter() - began, len(coded.rows))


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
