"""Metrics layer: turning what a run measured (minutes, hours, breaches) into money.

A replication measures *drivers* — per service the minutes it was down, how many of them
fell in the business hours of its downtime-cost calendar and how many came after its ramp
threshold; per team the rostered and overtime hours; per priority the SLA breaches — and
prices turn them into the money KPIs:

* ``downtime_cost`` (service) = business minutes × the business-hours rate + the other
  minutes × the out-of-hours rate + minutes past the ramp × the ramp's extra rate;
* ``staff_cost`` (team) = (rostered + overtime hours) × the hourly cost;
* ``sla_penalty`` = response breaches × the response penalty + resolution breaches × the
  resolution penalty, summed over priorities.

Every money KPI is a linear function of the drivers, so a study that only changes prices
re-prices the drivers it has (:func:`price_drivers`) instead of simulating again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.scenario.calendars import Calendar, CalendarClock
from simulator.scenario.schema import Scenario

__all__ = ["DRIVER_KPIS", "MONEY_KPIS", "DowntimeTerms", "Prices", "downtime_minutes", "driver_table",
           "price_drivers", "price_weights", "union"]


def union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping intervals merged (sorted; an interval inside another disappears)."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class DowntimeTerms:
    """What a minute of one service's outage costs (money per minute)."""

    business_per_min: float
    off_hours_per_min: float
    calendar: Calendar | None = None  # the business hours; None: every minute counts as one
    ramp_after_min: float = math.inf  # an outage's minutes past this ...
    ramp_per_min: float = 0.0  # ... cost this much more each

    def cost(self, minutes: float, business_minutes: float, past_ramp_minutes: float) -> float:
        """The cost of the measured minutes (all, in business hours, past the ramp)."""
        return (business_minutes * self.business_per_min
                + (minutes - business_minutes) * self.off_hours_per_min
                + past_ramp_minutes * self.ramp_per_min)


def downtime_minutes(intervals: list[tuple[float, float]], terms: DowntimeTerms,
                     origin: dt.datetime, window: tuple[float, float]) -> tuple[float, float, float]:
    """Of the union of ``intervals`` (outage start → restored, minutes since ``origin``), the
    minutes within ``window``: all of them, those in business hours, those past the ramp."""
    begin, end = window
    clock = CalendarClock(terms.calendar, origin, begin, end) if terms.calendar is not None else None
    down = business = past = 0.0
    for start, stop in union(intervals):
        low, high = max(start, begin), min(stop, end)
        if high <= low:
            continue
        down += high - low
        business += high - low if clock is None else clock.working_minutes_between(low, high)
        past += max(0.0, high - max(low, start + terms.ramp_after_min))
    return down, business, past


@dataclass(frozen=True)
class Prices:
    """Every price the money KPIs need."""

    downtime: Mapping[str, DowntimeTerms]  # service → its terms
    hourly_cost: Mapping[str, float]  # team → per rostered and overtime hour
    breach_penalties: Mapping[str, tuple[float, float]]  # priority → (response, resolution)

    @classmethod
    def of(cls, scenario: Scenario) -> Prices:
        """The prices a scenario sets (each range at its base value)."""
        downtime = {}
        for name, service in scenario.services.items():
            cost = service.downtime_cost
            business, off, ramp = cost.rates(service.users)
            downtime[name] = DowntimeTerms(
                business, off, scenario.calendars.get(cost.calendar),
                math.inf if cost.ramp is None else cost.ramp.after, ramp)
        hourly = {name: float(team.hourly_cost) for name, team in scenario.teams.items()}
        penalties = {name: (float(priority.response_breach_penalty or 0.0),
                            float(priority.breach_penalty or 0.0))
                     for name, priority in scenario.priorities.items()}
        return cls(downtime, hourly, penalties)


#: The drivers each money KPI is priced from, by scope.
DRIVER_KPIS: dict[str, tuple[str, ...]] = {
    "service": ("downtime_min", "downtime_min_business_hours", "downtime_min_past_ramp"),
    "team": ("rostered_h", "overtime_h"),
    "priority": ("sla_response_breaches", "sla_resolution_breaches"),
}
#: The money KPIs, in the order :func:`price_drivers` returns them.
MONEY_KPIS = ("downtime_cost", "staff_cost", "sla_penalty")


def driver_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """The drivers of a KPI table, one row per replication and a column per ``(scope, key,
    kpi)`` (0 where a driver has no value)."""
    chosen = pd.concat([kpis[(kpis["scope"] == scope) & kpis["kpi"].isin(names)]
                        for scope, names in DRIVER_KPIS.items()])
    wide = chosen.set_index(["replication", "scope", "key", "kpi"])["value"].unstack(
        ["scope", "key", "kpi"])
    replications = sorted(kpis["replication"].unique())
    return wide.reindex(replications).astype(float).fillna(0.0)


def _weight(column: tuple[str, str, str], prices: Prices) -> tuple[int, float]:
    """Which money KPI a driver column feeds (its index in MONEY_KPIS) and at what price."""
    scope, key, kpi = column
    if scope == "service" and key in prices.downtime:
        terms = prices.downtime[key]
        return 0, {"downtime_min": terms.off_hours_per_min,
                   "downtime_min_business_hours": terms.business_per_min - terms.off_hours_per_min,
                   "downtime_min_past_ramp": terms.ramp_per_min}[kpi]
    if scope == "team":
        return 1, prices.hourly_cost.get(key, 0.0)
    if scope == "priority":
        response, resolution = prices.breach_penalties.get(key, (0.0, 0.0))
        return 2, response if kpi == "sla_response_breaches" else resolution
    return 0, 0.0


def price_weights(columns: pd.Index, prices: Prices) -> np.ndarray:
    """A (driver column × money KPI) matrix: the drivers times it give the money KPIs."""
    weights = np.zeros((len(columns), len(MONEY_KPIS)))
    for row, column in enumerate(columns):
        kind, price = _weight(tuple(column), prices)
        weights[row, kind] = price
    return weights


def price_drivers(drivers: pd.DataFrame, prices: Prices) -> pd.DataFrame:
    """Per replication of a :func:`driver_table`: the money KPIs at ``prices``."""
    money = drivers.to_numpy() @ price_weights(drivers.columns, prices)
    return pd.DataFrame(money, index=drivers.index, columns=list(MONEY_KPIS))
