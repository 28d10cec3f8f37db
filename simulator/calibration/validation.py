"""Calibration layer: how far a scenario's simulation is from a real log, measured the same way.

Both sides go through the same two functions: :func:`cohort_table` (an event log →
one row per incident of the cohort, through :func:`simulator.metrics.incident_table`)
and :func:`validation_kpis` (that table → the KPIs compared). The real log is first
rewritten as a mimsim event log (:mod:`simulator.calibration.convert`).

The cohort is the incidents opened in the real log's active period (as in
calibration: a thin tail of stragglers after it is left out); both sides are
observed up to the same end (the window's end plus a tail, at most the export), so
an incident still open then is unresolved on both sides alike. The simulation
starts ``warmup`` before the window, from empty, as the scenario says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simulator.calibration.convert import to_event_log
from simulator.calibration.learn import DESK, active_period
from simulator.calibration.reallog import RealLog
from simulator.calibration.visits import cut_visits
from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.experiment.executors import available_workers, make_executor
from simulator.experiment.summary import confidence_interval
from simulator.metrics.coded import encode
from simulator.metrics.incidents import KpiContext, incident_table
from simulator.model.simulation import Simulation
from simulator.scenario.calendars import WEEKDAYS
from simulator.scenario.schema import Scenario

__all__ = ["TAIL", "Observation", "ValidationResult", "cohort_table", "distances",
           "observe_log", "validate_against", "validation_kpis"]

#: How long after the window incidents are followed (and the simulation runs on).
TAIL = pd.Timedelta(weeks=12)
WITHIN_H = (4, 24, 72)


@dataclass(frozen=True)
class Observation:
    """What is compared: the cohort window and the end of observation (datetimes)."""

    start: dt.datetime
    end: dt.datetime  # end of the window of openings (exclusive)
    observed_until: dt.datetime


def cohort_table(events: pd.DataFrame, origin: dt.datetime, observation: Observation,
                 desk: str) -> pd.DataFrame:
    """One row per incident opened in the window: priority, opening, resolution, hand-offs.

    Columns: ``priority``, ``opened`` (datetime), ``resolved`` (bool), ``resolution_h``
    (NaN while open), ``reassignments`` (hand-offs between groups: ``reassigned`` rows
    that do not leave the desk), ``first_team`` (the first group it joined; the desk if
    none), ``reopened`` (bool). Events after ``observed_until`` are not known.
    """
    events = events[events["timestamp"] <= pd.Timestamp(observation.observed_until)]
    coded = encode(events, origin)
    end_min = (observation.observed_until - origin).total_seconds() / 60.0
    table = incident_table(coded, KpiContext({}), end_min)
    start_min = (observation.start - origin).total_seconds() / 60.0
    stop_min = (observation.end - origin).total_seconds() / 60.0
    table = table[(table["arrived_min"] >= start_min) & (table["arrived_min"] < stop_min)]
    rows = coded.rows
    desk_code = coded.teams.index(desk) if desk in coded.teams else -2
    handed = (rows["activity"] == ACTIVITIES.index(Activity.REASSIGNED)) & (rows["team"] != desk_code)
    moves = np.bincount(rows.loc[handed, "case"], minlength=len(coded.cases))
    joined = rows[(rows["activity"] == ACTIVITIES.index(Activity.QUEUED)) & (rows["team"] != desk_code)]
    first_code = joined.drop_duplicates("case").set_index("case")["team"]
    first_team = np.full(len(coded.cases), desk, dtype=object)
    first_team[first_code.index.to_numpy()] = np.asarray(coded.teams, dtype=object)[first_code.to_numpy()]
    priority = np.array([*coded.priorities, "unknown"], dtype=object)
    opened = pd.Timestamp(origin) + pd.to_timedelta(table["arrived_min"].to_numpy(), unit="min")
    resolved = table["is_resolved"].to_numpy()
    hours = (table["resolved_min"] - table["arrived_min"]).to_numpy() / 60.0
    return pd.DataFrame({
        "priority": priority[table["priority"].to_numpy()],
        "opened": opened, "resolved": resolved, "resolution_h": np.where(resolved, hours, np.nan),
        "reassignments": moves[table["case"].to_numpy()],
        "first_team": first_team[table["case"].to_numpy()],
        "reopened": np.where(table["n_resolved"].to_numpy() > 0, table["n_reopened"].to_numpy() > 0,
                             np.nan)}, index=table.index)


def validation_kpis(cohort: pd.DataFrame, priorities: list[str]) -> dict[str, float]:
    """The compared KPIs of a cohort (shares as fractions, times in hours); NaN where undefined."""
    kpis: dict[str, float] = {}
    n = len(cohort)
    weekday = cohort["opened"].dt.day_of_week.value_counts().reindex(range(7), fill_value=0)
    hour = cohort["opened"].dt.hour.value_counts().reindex(range(24), fill_value=0)
    for index, name in enumerate(WEEKDAYS):
        kpis[f"arrivals.{name}"] = weekday[index] / n if n else np.nan
    for h in range(24):
        kpis[f"arrivals.{h:02d}h"] = hour[h] / n if n else np.nan
    for name in priorities:
        kpis[f"mix.{name}"] = float((cohort["priority"] == name).mean()) if n else np.nan
    for scope in ["all", *priorities]:
        chosen = cohort if scope == "all" else cohort[cohort["priority"] == scope]
        label = "" if scope == "all" else f".{scope}"
        hours = chosen["resolution_h"].dropna().to_numpy()
        kpis[f"resolution_median_h{label}"] = float(np.median(hours)) if len(hours) else np.nan
        kpis[f"resolution_p90_h{label}"] = float(np.quantile(hours, 0.9)) if len(hours) else np.nan
        for limit in WITHIN_H:
            within = chosen["resolution_h"].to_numpy() <= limit
            kpis[f"within_{limit}h{label}"] = float(within.mean()) if len(chosen) else np.nan
    moves = cohort["reassignments"].clip(upper=3)
    for count in range(4):
        share = float((moves == count).mean()) if n else np.nan
        kpis[f"reassigned.{count}{'+' if count == 3 else ''}"] = share
    reopened = cohort["reopened"].dropna()
    kpis["reopen_rate"] = float(reopened.mean()) if len(reopened) else np.nan
    return kpis


def _samples(cohort: pd.DataFrame, priorities: list[str]) -> dict[str, np.ndarray]:
    samples = {"resolution_h": cohort["resolution_h"].dropna().to_numpy(),
               "arrival_hour": cohort["opened"].dt.hour.to_numpy().astype(float),
               "arrival_weekday": cohort["opened"].dt.day_of_week.to_numpy().astype(float),
               "reassignments": cohort["reassignments"].to_numpy().astype(float)}
    for name in priorities:
        chosen = cohort.loc[cohort["priority"] == name, "resolution_h"]
        samples[f"resolution_h.{name}"] = chosen.dropna().to_numpy()
    return samples


def distances(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Kolmogorov–Smirnov statistic and Wasserstein distance between each pair of samples."""
    result = {}
    for name, left in a.items():
        right = b.get(name, np.zeros(0))
        if len(left) == 0 or len(right) == 0:
            result[name] = {"ks": np.nan, "wasserstein": np.nan, "n_a": len(left), "n_b": len(right)}
            continue
        result[name] = {"ks": float(stats.ks_2samp(left, right).statistic),
                        "wasserstein": float(stats.wasserstein_distance(left, right)),
                        "n_a": len(left), "n_b": len(right)}
    return result


def observe_log(log: RealLog) -> tuple[Observation, pd.DataFrame]:
    """The window of a (selected) real log and its cohort table."""
    start, end = active_period(log.incidents["opened"])
    observed = min(log.exported, end + TAIL)
    observation = Observation(start.to_pydatetime(), end.to_pydatetime(), observed.to_pydatetime())
    events = to_event_log(log, cut_visits(log), DESK)  # every incident: hand-offs need the whole log
    return observation, cohort_table(events, observation.start, observation, DESK)


@dataclass(frozen=True)
class _Task:
    scenario: Scenario
    replication: int
    seed: int
    observation: Observation
    priorities: tuple[str, ...]


def _simulate(task: _Task) -> tuple[int, dict[str, float], pd.DataFrame]:
    """One replication's cohort and KPIs (module level, so that a process pool can run it)."""
    simulation = Simulation(task.scenario, task.replication, task.seed)
    simulation.run()
    log = simulation.results()
    desk = task.scenario.flow.desk.team
    cohort = cohort_table(log.events, log.start, task.observation, desk)
    return task.replication, validation_kpis(cohort, list(task.priorities)), cohort


@dataclass
class ValidationResult:
    """Real and simulated KPIs side by side, distances, and the pooled samples (for plots)."""

    table: pd.DataFrame  # kpi, real, mean, ci_low, ci_high, n
    distances: dict[str, dict[str, float]]
    real_samples: dict[str, np.ndarray]
    simulated_samples: dict[str, np.ndarray]
    observation: Observation
    replications: int
    seed: int

    def document(self, log: RealLog, scenario_name: str) -> dict[str, Any]:
        """The JSON document of ``mimsim validate-against --format json``."""
        def number(value: float) -> float | None:
            return None if value is None or not np.isfinite(value) else round(float(value), 6)

        return {
            "log": {"source": log.source, "incidents": len(log.incidents),
                    "window": [str(self.observation.start), str(self.observation.end)],
                    "observed_until": str(self.observation.observed_until), "problems": log.problems},
            "scenario": scenario_name, "replications": self.replications, "seed": self.seed,
            "kpis": {row.kpi: {"real": number(row.real), "mean": number(row.mean),
                               "ci_low": number(row.ci_low), "ci_high": number(row.ci_high)}
                     for row in self.table.itertuples()},
            "distances": {name: {key: number(value) for key, value in entry.items()}
                          for name, entry in self.distances.items()}}


def simulation_settings(scenario: Scenario, observation: Observation) -> Scenario:
    """The scenario run over the observation: warm-up before the window, then to its end."""
    warmup = dt.timedelta(minutes=scenario.run.warmup)
    start = observation.start - warmup
    horizon = (observation.observed_until - start).total_seconds() / 60.0
    run = scenario.run.model_copy(update={"start": start, "horizon": horizon})
    return scenario.model_copy(update={"run": run})


def validate_against(log: RealLog, scenario: Scenario, replications: int | None = None,
                     seed: int | None = None, workers: int | None = None) -> ValidationResult:
    """Simulate ``scenario`` over the log's window and compare the KPIs with the log's."""
    observation, real = observe_log(log)
    priorities = sorted(set(real["priority"]) | set(scenario.priorities))
    replications = scenario.run.replications if replications is None else replications
    seed = scenario.run.seed if seed is None else seed
    aligned = simulation_settings(scenario, observation)
    tasks = [_Task(aligned, r, seed, observation, tuple(priorities)) for r in range(replications)]
    results: dict[int, tuple[dict[str, float], pd.DataFrame]] = {}
    with make_executor(min(workers or available_workers(), replications)) as executor:
        for replication, kpis, cohort in executor.map_unordered(_simulate, tasks):
            results[replication] = (kpis, cohort)
    real_kpis = validation_kpis(real, priorities)
    rows = []
    for name, value in real_kpis.items():
        mean, low, high, n = confidence_interval(results[r][0][name] for r in sorted(results))
        rows.append((name, value, mean, low, high, n))
    table = pd.DataFrame(rows, columns=["kpi", "real", "mean", "ci_low", "ci_high", "n"])
    pooled = pd.concat([results[r][1] for r in sorted(results)], ignore_index=True)
    real_samples, simulated_samples = _samples(real, priorities), _samples(pooled, priorities)
    return ValidationResult(table, distances(real_samples, simulated_samples), real_samples,
                            simulated_samples, observation, replications, seed)
