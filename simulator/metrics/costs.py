"""Metrics layer: cost KPIs — what the staff and the SLA breaches of the measured window cost.

Over the window from the end of the warm-up to the end of the run:

* ``staff_cost`` (team) = (rostered agent-hours + overtime agent-hours) × the team's
  ``hourly_cost``. Rostered hours are the paid hours of the scenario's roster — every
  rostered shift, including those lost to shrinkage or planned absence and the breaks, as
  ``mimsim staff`` prices a roster (a log without a scenario: the duty log's on-duty
  hours); overtime is busy time outside them (a ticket finished after the shift, or a
  paged member's time on a major-incident bridge), paid at the same hourly rate. Bridge
  time *during* a shift is already paid by the roster: what it costs shows in the ticket
  work it displaced (waits, SLA breaches).
* ``staff_cost`` (overall) = the sum over teams.
* ``sla_penalty`` (overall) = over the cohort (incidents that arrived after the warm-up),
  each priority's ``response_breach_penalty`` per response breach plus its
  ``breach_penalty`` per resolution breach. A breach is exactly what the attainment
  KPIs count as not met (decided and over target, or still open and already over).

A team whose hourly cost is unknown (a real log without a scenario) has no
``staff_cost`` (null, n = 0), never a made-up zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.metrics.coded import CodedLog
from simulator.metrics.incidents import KpiContext
from simulator.metrics.measures import Measure
from simulator.metrics.teams import DutyPeriods

__all__ = ["breaches", "cost_measures", "rostered_hours"]



def rostered_hours(duty: DutyPeriods, window: tuple[float, float]) -> dict[str, float]:
    """Per team, the agent-hours of ``duty`` (paid or on-duty periods) within ``window`` (minutes)."""
    hours: dict[str, float] = {}
    for team, edges, cumulative in duty.values():
        on = np.interp(np.asarray(window), edges, cumulative) if len(edges) else np.zeros(2)
        hours[team] = hours.get(team, 0.0) + float(on[1] - on[0]) / 60.0
    return hours


def breaches(met: pd.Series) -> int:
    """How many of a boolean SLA column (True, False or NA) are breached (False)."""
    return int(np.count_nonzero(_breached(met)))


def _breached(met: pd.Series) -> np.ndarray:
    """Whether each of a boolean SLA column (True, False or NA) is breached (False)."""
    return met.to_numpy(dtype=float, na_value=np.nan) == 0.0


def _penalty(table: pd.DataFrame, log: CodedLog, context: KpiContext, warmup_end: float) -> Measure:
    cohort = np.flatnonzero(table["arrived_min"].to_numpy() >= warmup_end)
    priority = table["priority"].to_numpy()[cohort]
    # (breaches as arrays of the cohort, counted per priority: selecting rows of the whole table
    # per priority copied every column of it)
    response_breached = _breached(table["sla_response_met"])[cohort]
    resolution_breached = _breached(table["sla_resolution_met"])[cohort]
    total = 0.0
    for code, name in enumerate(log.priorities):
        response, resolution = context.breach_penalties.get(name, (0.0, 0.0))
        if response == 0.0 and resolution == 0.0:
            continue
        mine = priority == code
        total += response * int(np.count_nonzero(response_breached & mine))
        total += resolution * int(np.count_nonzero(resolution_breached & mine))
    return total, len(cohort)


def cost_measures(table: pd.DataFrame, log: CodedLog, duty: DutyPeriods,
                  teams: dict[str, dict[str, Measure]], context: KpiContext,
                  window: tuple[float, float]) -> tuple[dict[str, Measure], dict[str, Measure]]:
    """Overall cost KPIs, and ``staff_cost`` per team.

    ``table`` is the per-incident table, ``duty`` each agent's paid periods, ``teams`` the
    team KPIs (for ``overtime_h``).
    """
    rostered = rostered_hours(duty, window)
    per_team: dict[str, Measure] = {}
    for team, measures in teams.items():
        hours = rostered.get(team, 0.0)
        rate = context.hourly_cost.get(team)
        if rate is None or hours <= 0.0:
            per_team[team] = (float("nan"), 0)
            continue
        overtime = measures["overtime_h"][0]
        per_team[team] = ((hours + (0.0 if np.isnan(overtime) else overtime)) * rate, 1)
    costed = [value for value, n in per_team.values() if n]
    overall: dict[str, Measure] = {
        "staff_cost": (float(sum(costed)) if costed else float("nan"), len(costed)),
        "sla_penalty": _penalty(table, log, context, window[0]),
    }
    return overall, per_team
