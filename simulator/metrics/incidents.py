"""Metrics layer: the per-incident table, derived from the event log alone.

One row per case with the moments and counts every incident KPI is built
from: when it arrived, was first worked on, and was (last) resolved; how many
times it was reassigned and reopened; whether it is still open at the end; and
its SLA clocks in working minutes of its priority's calendar, with waits on the
user and resolved-then-reopened spells excluded from the resolution clock.

Pure pandas and NumPy: no SimPy, no model objects. A real ITSM export mapped to
the event-log columns goes through exactly the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.eventlog.log import ACTIVITIES, SAME_MOMENT_MIN, Activity
from simulator.metrics.coded import CodedLog
from simulator.metrics.pricing import DowntimeTerms, Prices
from simulator.scenario.calendars import ALWAYS_OPEN, Calendar, CalendarClock
from simulator.scenario.schema import Scenario
from simulator.scenario.shifts import rostered_periods

__all__ = ["KpiContext", "PriorityTargets", "first_per_case", "incident_table"]

_DAY = 24 * 60.0
_CODE = {name: index for index, name in enumerate(ACTIVITIES)}
_CLOCK_STOPS = [_CODE[Activity.PAUSED], _CODE[Activity.RESOLVED]]
_CLOCK_STARTS = [_CODE[Activity.ARRIVED], _CODE[Activity.RESUMED], _CODE[Activity.REOPENED]]


@dataclass(frozen=True)
class PriorityTargets:
    """SLA targets of one priority (working minutes; ``None``: no target) and their calendar."""

    response: float | None
    resolution: float | None
    calendar: Calendar | None  # None: 24×7


@dataclass(frozen=True)
class KpiContext:
    """What the KPIs need besides the log: SLA targets and calendars per priority, each
    service's downtime-cost terms, the stakeholder-update cadence (minutes), each
    team's hourly cost, each priority's penalties per (response, resolution) breach, the
    categories of the problem families' incidents, each channel's answer time and each
    rostered agent's paid periods."""

    priorities: dict[str, PriorityTargets]
    downtime: dict[str, DowntimeTerms] = field(default_factory=dict)
    updates_every: float | None = None
    hourly_cost: dict[str, float] = field(default_factory=dict)
    breach_penalties: dict[str, tuple[float, float]] = field(default_factory=dict)
    family_categories: tuple[str, ...] = ()  # categories of problem families' incidents
    # channel → (the categories its streams bring, the service level's answer time in minutes)
    channels: dict[str, tuple[tuple[str, ...], float]] = field(default_factory=dict)
    # per agent name: its team and the periods it is rostered (paid), in minutes since the run's
    # start; empty for a log without a scenario (its paid time is unknown)
    rostered: dict[str, tuple[str, tuple[tuple[float, float], ...]]] = field(default_factory=dict)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> KpiContext:
        """The targets, calendars, costs and cadence a scenario sets."""
        priorities = {name: PriorityTargets(
            priority.response, priority.resolution,
            None if priority.calendar == ALWAYS_OPEN else scenario.calendars[priority.calendar])
            for name, priority in scenario.priorities.items()}
        prices = Prices.of(scenario)
        families = () if scenario.problems is None else tuple(dict.fromkeys(
            scenario.category_of(family.stream) for family in scenario.problems.families.values()
            if family.stream is not None))
        channels = {channel: (tuple(dict.fromkeys(scenario.category_of(name) for name in names)),
                              min(scenario.arrivals[name].answer_target for name in names))
                    for channel, names in scenario.channels().items()}
        return cls(priorities, dict(prices.downtime), scenario.major_incident.updates_every,
                   dict(prices.hourly_cost), dict(prices.breach_penalties), families, channels,
                   rostered_periods(scenario))

    @property
    def prices(self) -> Prices:
        """The prices of the money KPIs."""
        return Prices(self.downtime, self.hourly_cost, self.breach_penalties)


def first_per_case(case: np.ndarray, values: np.ndarray, mask: np.ndarray, n_cases: int,
                   last: bool = False) -> np.ndarray:
    """Per case, the first (or last) of ``values`` where ``mask`` holds; NaN where none.

    Rows must be sorted by case and then by time order.
    """
    result = np.full(n_cases, np.nan)
    chosen_case, chosen_values = case[mask], values[mask]
    # Sorted by case, a case's first row is where the case changes (its last, before a change):
    # one pass, where np.unique would sort again.
    if len(chosen_case):
        change = chosen_case[1:] != chosen_case[:-1]
        edge = np.append(change, True) if last else np.insert(change, 0, True)
        result[chosen_case[edge]] = chosen_values[edge]
    return result


def _working(t: np.ndarray, priority: np.ndarray, clocks: list[CalendarClock]) -> np.ndarray:
    """Working minutes at times ``t`` on each row's priority calendar (NaN stays NaN)."""
    result = np.array(t, dtype=float, copy=True)
    for code, clock in enumerate(clocks):
        chosen = priority == code
        if clock.always_open or not chosen.any():
            continue
        values = t[chosen]
        worked = clock.working_minutes_array(np.nan_to_num(values))
        result[chosen] = np.where(np.isnan(values), np.nan, worked)
    return result


def _resolution_clock(log: CodedLog, end: float, clocks: list[CalendarClock],
                      n_cases: int) -> np.ndarray:
    """Working minutes the resolution clock ran, per case, up to its final resolution or the end."""
    activity = log.column("activity")
    keep = np.isin(activity, _CLOCK_STOPS + _CLOCK_STARTS)
    case, t = log.column("case")[keep], log.column("t")[keep]
    priority = log.column("priority")[keep]
    is_start = np.isin(activity[keep], _CLOCK_STARTS)
    same_case_next = np.append(case[1:] == case[:-1], False)
    next_is_start = np.append(is_start[1:], False)
    next_t = np.append(t[1:], end)
    counted = is_start & ~(same_case_next & next_is_start)  # a start not overtaken by another
    stop = np.where(same_case_next, next_t, end)[counted]
    running = (_working(stop, priority[counted], clocks)
               - _working(t[counted], priority[counted], clocks))
    return np.bincount(case[counted], weights=running, minlength=n_cases)


def _clocks(policy: KpiContext, log: CodedLog, end: float) -> list[CalendarClock]:
    first = min(float(log.column("t").min()), 0.0) if len(log.rows) else 0.0
    clocks = []
    for name in log.priorities:
        targets = policy.priorities.get(name)
        calendar = None if targets is None else targets.calendar
        clocks.append(CalendarClock(calendar, log.origin, first - _DAY, end + _DAY))
    return clocks


def _targets(policy: KpiContext, log: CodedLog, priority: np.ndarray, kind: str) -> np.ndarray:
    by_code = [getattr(policy.priorities[name], kind) if name in policy.priorities else None
               for name in log.priorities]
    values = np.array([np.nan if value is None else value for value in by_code] + [np.nan])
    return values[priority]


def _met(elapsed: np.ndarray, target: np.ndarray, finished: np.ndarray) -> pd.arrays.BooleanArray:
    """True when finished within target, False when over target, NA when no target or undecided."""
    within = elapsed <= target + SAME_MOMENT_MIN
    met = pd.array(np.where(finished, within, False), dtype="boolean")
    undecided = np.isnan(target) | (~finished & within)
    met[undecided] = pd.NA
    return met


def _responded(first_work: np.ndarray, first_resolved: np.ndarray, end: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each ticket was answered, and when its response clock stopped (``end`` if not).

    The clock stops at the first work on the ticket, or at its resolution if that comes first:
    a user's ticket about an outage still waiting in the desk's queue when the major incident
    resolves it with its parent was answered by the restoration."""
    stop = np.fmin(first_work, first_resolved)
    answered = ~np.isnan(stop)
    return answered, np.where(answered, stop, end)


def incident_table(log: CodedLog, policy: KpiContext, end: float) -> pd.DataFrame:
    """One row per incident, indexed by ``case_id``.

    Columns: ``case`` (the code of the case in ``log.cases``), ``priority``,
    ``category`` (codes into ``log.priorities`` and ``log.categories``),
    ``arrived_min``, ``first_work_min``, ``resolved_min`` (last resolution; NaN while
    open), ``is_resolved`` (at the end),
    ``resolved_by`` (team code; -1 while open), ``n_reassigned``,
    ``n_reopened``, ``n_resolved``, ``fcr`` (resolved, never reassigned nor
    reopened), ``response_working_min`` and ``resolution_working_min``
    (working minutes on the priority's calendar, up to the end for tickets
    still waiting; the response clock stops at the first work or the first resolution,
    whichever comes first; the resolution clock excludes waits on the user and
    resolved-then-reopened spells), ``sla_response_met`` and
    ``sla_resolution_met`` (True, False, or NA where no target applies or it
    cannot be decided yet). Times are minutes since ``log.origin``; ``end`` is
    the end of the observation in the same minutes. ``abandoned_min`` is when a phone or chat
    contact hung up unanswered (NaN for every other case); an abandoned contact is not open.
    """
    n = len(log.cases)
    case, t, activity = log.column("case"), log.column("t"), log.column("activity")
    arrived = activity == _CODE[Activity.ARRIVED]
    resolved = activity == _CODE[Activity.RESOLVED]
    counts = {name: np.bincount(case[activity == _CODE[name]], minlength=n)
              for name in (Activity.RESOLVED, Activity.REOPENED, Activity.REASSIGNED)}
    is_resolved = counts[Activity.RESOLVED] > counts[Activity.REOPENED]
    priority = first_per_case(case, log.column("priority").astype(float), arrived, n)
    priority = np.nan_to_num(priority, nan=-1).astype(np.int64)
    table = pd.DataFrame({
        "case": np.arange(n),
        "priority": priority,
        "category": np.nan_to_num(first_per_case(case, log.column("category").astype(float),
                                                 arrived, n), nan=-1).astype(np.int64),
        "arrived_min": first_per_case(case, t, arrived, n),
        "first_work_min": first_per_case(case, t, activity == _CODE[Activity.WORK_STARTED], n),
        "resolved_min": np.where(is_resolved, first_per_case(case, t, resolved, n, last=True),
                                 np.nan),
        "is_resolved": is_resolved,
        "resolved_by": np.where(is_resolved, np.nan_to_num(first_per_case(
            case, log.column("team").astype(float), resolved, n, last=True), nan=-1), -1
                                ).astype(np.int64),
        "n_resolved": counts[Activity.RESOLVED],
        "n_reopened": counts[Activity.REOPENED],
        "n_reassigned": counts[Activity.REASSIGNED],
        "abandoned_min": first_per_case(case, t, activity == _CODE[Activity.ABANDONED], n),
    }, index=pd.Index(log.cases, name="case_id"))
    table["fcr"] = is_resolved & (table["n_reassigned"] == 0) & (table["n_reopened"] == 0)
    table = table[~np.isnan(table["arrived_min"].to_numpy())]  # cases whose arrival is not logged
    clocks = _clocks(policy, log, end)
    keep = ~np.isnan(first_per_case(case, t, arrived, n))
    priority = table["priority"].to_numpy()
    start = _working(table["arrived_min"].to_numpy(), priority, clocks)
    answered, response_end = _responded(table["first_work_min"].to_numpy(),
                                        first_per_case(case, t, resolved, n)[keep], end)
    table["response_working_min"] = _working(response_end, priority, clocks) - start
    table["resolution_working_min"] = _resolution_clock(log, end, clocks, n)[keep]
    table["sla_response_met"] = _met(table["response_working_min"].to_numpy(),
                                     _targets(policy, log, priority, "response"), answered)
    table["sla_resolution_met"] = _met(table["resolution_working_min"].to_numpy(),
                                       _targets(policy, log, priority, "resolution"),
                                       table["is_resolved"].to_numpy())
    return table
