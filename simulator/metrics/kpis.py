"""Metrics layer: the KPIs of one replication, computed from its event and duty logs.

Every KPI is defined exactly in the KPI catalogue (:mod:`simulator.scenario.kpis`, from
which the documentation's KPI reference is generated); in short:

* incident KPIs are measured over the *cohort* — incidents that arrived after
  the warm-up — overall and per priority, except ``backlog_end`` and
  ``backlog_age_h``, which describe every ticket still open at the end;
* team KPIs are measured over the window from the end of the warm-up to the end;
* cost KPIs (``staff_cost``, ``sla_penalty``) over the same window and cohort
  (:mod:`simulator.metrics.costs`).

A KPI with no observations is NaN (reported as ``null``) with its count of
zero, never a made-up zero. The result is a long table: one row per
(scope, key, kpi) with the value and the number of observations behind it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.eventlog.log import SimulationLog
from simulator.metrics.changes import change_measures
from simulator.metrics.channels import channel_measures
from simulator.metrics.coded import CodedLog, encode
from simulator.metrics.costs import cost_measures, rostered_hours
from simulator.metrics.incidents import KpiContext, incident_table
from simulator.metrics.measures import Measure, mean_measure, quantile_measure
from simulator.metrics.outages import outage_measures
from simulator.metrics.teams import (
    TeamActivity,
    duty_periods,
    paid_periods,
    team_activity,
    team_measures,
)
from simulator.scenario.kpis import share_kpis

__all__ = ["KPI_COLUMNS", "SHARE_KPIS", "ReplicationMeasures", "incident_kpis", "kpi_range",
           "measure_coded", "measure_replication", "replication_kpis", "window_minutes"]

#: Columns of a KPI table.
KPI_COLUMNS = ("scope", "key", "kpi", "value", "n")

#: The KPIs that are shares of something, between 0 and 1.
SHARE_KPIS = share_kpis()


def kpi_range(kpi: str) -> tuple[float, float]:
    """The values a KPI can take: a share lies in [0, 1]; every other KPI is a count, a duration,
    an amount of money or a ratio of counts, never negative.

    Confidence intervals are clipped to this range: a t-interval over few replications can
    otherwise promise a 119 % success rate or −2 outages.
    """
    return (0.0, 1.0) if kpi in SHARE_KPIS else (0.0, math.inf)



def _share(flags: pd.Series | np.ndarray) -> Measure:
    values = (flags.to_numpy(dtype=float, na_value=np.nan) if isinstance(flags, pd.Series)
              else np.asarray(flags, dtype=float))
    return mean_measure(values)


#: The incident table's columns the incident KPIs read.
_INCIDENT_COLUMNS = ("arrived_min", "abandoned_min", "first_work_min", "resolved_min", "is_resolved",
                     "n_resolved", "n_reassigned", "n_reopened", "fcr")
_SLA_COLUMNS = ("sla_response_met", "sla_resolution_met")


def _incident_columns(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of the incident table that the incident KPIs read, as arrays (the SLA ones as
    1.0 met, 0.0 breached, NaN undecided): selecting rows of a few arrays is far cheaper than
    selecting rows of the whole table, once overall and once per priority."""
    columns = {name: table[name].to_numpy() for name in _INCIDENT_COLUMNS}
    columns.update({name: table[name].to_numpy(dtype=float, na_value=np.nan) for name in _SLA_COLUMNS})
    return columns


def incident_kpis(table: pd.DataFrame, warmup_end: float, end: float) -> dict[str, Measure]:
    """Incident KPIs of one group of incidents (all of them, or one priority); times in minutes.

    Contacts abandoned before an agent answered are counted in ``arrived`` and nowhere else: they
    never became a ticket anyone worked on (the channel KPIs measure them)."""
    return _incident_measures(_incident_columns(table), warmup_end, end)


def _incident_measures(columns: dict[str, np.ndarray], warmup_end: float, end: float,
                       scope: np.ndarray | None = None) -> dict[str, Measure]:
    """:func:`incident_kpis` of the incidents whose columns (:func:`_incident_columns`) are given,
    or of those of them where ``scope`` holds (one priority's): the scope's cohort is taken from
    the columns in one selection, not a selection of a selection."""
    arrived_all = columns["arrived_min"]
    after_warmup = arrived_all >= warmup_end
    ticket = np.isnan(columns["abandoned_min"])
    if scope is not None:
        after_warmup &= scope
        ticket &= scope
    contacts = int(np.count_nonzero(after_warmup))
    # (positions, then each column at them: cheaper than a boolean mask's selection of each
    # column; none at all when the cohort is every incident, as without a warm-up)
    rows = np.flatnonzero(ticket & after_warmup)
    cohort = (columns if len(rows) == len(arrived_all)
              else {name: values[rows] for name, values in columns.items()})
    arrived, first_work = cohort["arrived_min"], cohort["first_work_min"]
    resolved = cohort["is_resolved"]
    resolved_rows = np.flatnonzero(resolved)
    resolution_h = (cohort["resolved_min"][resolved_rows] - arrived[resolved_rows]) / 60.0
    open_arrived = arrived_all[np.flatnonzero(ticket & ~columns["is_resolved"])]
    ever_resolved = cohort["n_resolved"] > 0
    handed_on = cohort["n_reassigned"] > 0
    first_team_done = handed_on | ever_resolved
    size = len(arrived)
    response_met, resolution_met = cohort["sla_response_met"], cohort["sla_resolution_met"]
    measures: dict[str, Callable[[], Measure]] = {
        "arrived": lambda: (float(contacts), contacts),
        "resolved": lambda: (float(np.count_nonzero(resolved)), size),
        "backlog_end": lambda: (float(len(open_arrived)), len(open_arrived)),
        "backlog_age_h": lambda: mean_measure((end - open_arrived) / 60.0),
        "mtta_min": lambda: mean_measure(first_work - arrived),
        "p_wait": lambda: _share(np.isnan(first_work) | (first_work > arrived)),
        "mttr_h": lambda: mean_measure(resolution_h),
        "mttr_h_median": lambda: quantile_measure(resolution_h, 0.5),
        "mttr_h_p90": lambda: quantile_measure(resolution_h, 0.9),
        "sla_response_attainment": lambda: _share(response_met),
        "sla_resolution_attainment": lambda: _share(resolution_met),
        "sla_response_breaches": lambda: (float(np.count_nonzero(response_met == 0.0)), size),
        "sla_resolution_breaches": lambda: (float(np.count_nonzero(resolution_met == 0.0)), size),
        "fcr_rate": lambda: _share(cohort["fcr"][resolved_rows]),
        "reassignments_mean": lambda: mean_measure(
            cohort["n_reassigned"][resolved_rows].astype(float)),
        "escalation_rate": lambda: _share(np.where(first_team_done, handed_on, np.nan)),
        "reopen_rate": lambda: _share(cohort["n_reopened"][np.flatnonzero(ever_resolved)] > 0),
    }
    return {name: measure() for name, measure in measures.items()}


def _minutes(log: SimulationLog) -> tuple[float, float]:
    return window_minutes(log.start, log.warmup_end, log.end)


def window_minutes(start: dt.datetime, warmup_end: dt.datetime, end: dt.datetime) -> tuple[float, float]:
    """The end of the warm-up and of the run, in minutes since ``start`` (as the KPIs count them)."""
    return (warmup_end - start).total_seconds() / 60.0, (end - start).total_seconds() / 60.0


@dataclass(frozen=True)
class ReplicationMeasures:
    """Every KPI of one replication, and the tables they were measured from (for a run
    directory's incident table and hourly team measures, so they are not measured again)."""

    kpis: pd.DataFrame  # KPI_COLUMNS
    incidents: pd.DataFrame  # incident_table(): one row per incident, codes as in the CodedLog
    teams: TeamActivity  # duty, work sessions and queue waits over the measured window


def replication_kpis(log: SimulationLog, policy: KpiContext,
                     coded: CodedLog | None = None) -> pd.DataFrame:
    """Every KPI of one replication as a long table (:data:`KPI_COLUMNS`)."""
    return measure_replication(log, policy, coded).kpis


def measure_replication(log: SimulationLog, policy: KpiContext,
                        coded: CodedLog | None = None) -> ReplicationMeasures:
    """Every KPI of one replication (:func:`replication_kpis`), with what they were measured from."""
    coded = coded if coded is not None else encode(log.events, log.start)
    return measure_coded(coded, policy, log.duty, log.start, _minutes(log))


def measure_coded(coded: CodedLog, policy: KpiContext, duty_log: pd.DataFrame, start: dt.datetime,
                  window: tuple[float, float]) -> ReplicationMeasures:
    """:func:`measure_replication` from what it reads of the log: the coded event log, the duty log
    (columns :data:`~simulator.eventlog.log.DUTY_COLUMNS`), the start and the window (the end of the
    warm-up and of the run, minutes since ``start``: :func:`window_minutes`)."""
    warmup_end, end = window
    table = incident_table(coded, policy, end)
    columns = _incident_columns(table)
    rows: list[tuple[str, str, str, float, int]] = [
        ("overall", "", kpi, value, n)
        for kpi, (value, n) in _incident_measures(columns, warmup_end, end).items()]
    priority = table["priority"].to_numpy()
    for name in policy.priorities:
        mine = priority == (coded.priorities.index(name) if name in coded.priorities else -2)
        rows.extend(("priority", name, kpi, value, n)
                    for kpi, (value, n) in _incident_measures(columns, warmup_end, end, mine).items())
    open_cases = table["case"].to_numpy()[~table["is_resolved"].to_numpy()
                                          & np.isnan(table["abandoned_min"].to_numpy())]
    duty = duty_periods(duty_log, start, end)
    activity = team_activity(coded, duty, (warmup_end, end), paid_periods(policy.rostered, duty))
    teams = team_measures(coded, activity, open_cases)
    paid = activity.paid if activity.paid is not None else activity.duty  # a real log: on duty
    costs, team_costs = cost_measures(table, coded, paid, teams, policy, (warmup_end, end))
    rostered = rostered_hours(paid, (warmup_end, end))
    for team, measures in teams.items():
        rows.extend(("team", team, kpi, value, n) for kpi, (value, n) in measures.items())
        rows.append(("team", team, "rostered_h", rostered.get(team, 0.0), 1))
        rows.append(("team", team, "staff_cost", *team_costs[team]))
    overall, services = outage_measures(coded, policy, (warmup_end, end))
    rows.extend(("overall", "", kpi, value, n) for kpi, (value, n) in overall.items())
    for service, measures in services.items():
        rows.extend(("service", service, kpi, value, n) for kpi, (value, n) in measures.items())
    rows.extend(("overall", "", kpi, value, n) for kpi, (value, n) in costs.items())
    changes, months = change_measures(coded, policy, (warmup_end, end))
    rows.extend(("overall", "", kpi, value, n) for kpi, (value, n) in changes.items())
    for month, measures in months.items():
        rows.extend(("month", month, kpi, value, n) for kpi, (value, n) in measures.items())
    if policy.channels:
        channels = channel_measures(table, coded.categories, policy.channels, warmup_end)
        for channel, measures in channels.items():
            rows.extend(("channel", channel, kpi, value, n) for kpi, (value, n) in measures.items())
    return ReplicationMeasures(pd.DataFrame(rows, columns=list(KPI_COLUMNS)), table, activity)

