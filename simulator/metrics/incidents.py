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
from simulator.metrics.coded import CodedLog, is_any
from simulator.metrics.pricing import DowntimeTerms, Prices
from simulator.scenario.calendars import ALWAYS_OPEN, Calendar, CalendarClock
from simulator.scenario.schema import Scenario
from simulator.scenario.shifts import rostered_periods

__all__ = ["KpiContext", "PriorityTargets", "first_per_case", "first_rows", "incident_table"]

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


def first_rows(case: np.ndarray, mask: np.ndarray, last: bool = False) -> np.ndarray:
    """The positions of each case's first (or last) row where ``mask`` holds, in case order.

    Rows must be sorted by case and then by time order.
    """
    rows = np.flatnonzero(mask)
    # Sorted by case, a case's first row is where the case changes (its last, before a change):
    # one pass, where np.unique would sort again. Positions, not masked copies of each column:
    # the callers take several columns at the same rows.
    if len(rows) > 1:
        chosen = case[rows]
        change = chosen[1:] != chosen[:-1]
        rows = rows[np.append(change, True) if last else np.insert(change, 0, True)]
    return rows


def first_per_case(case: np.ndarray, values: np.ndarray, mask: np.ndarray, n_cases: int,
                   last: bool = False) -> np.ndarray:
    """Per case, the first (or last) of ``values`` where ``mask`` holds; NaN where none.

    Rows must be sorted by case and then by time order.
    """
    result = np.full(n_cases, np.nan)
    rows = first_rows(case, mask, last)
    result[case[rows]] = values[rows]
    return result


def _per_case(case: np.ndarray, values: np.ndarray, rows: np.ndarray, n_cases: int,
              missing: float) -> np.ndarray:
    """Per case, ``values`` at its row among ``rows`` (one a case at most, as :func:`first_rows`
    gives them), ``missing`` for the cases without one."""
    result = np.full(n_cases, missing, dtype=values.dtype)
    result[case[rows]] = values[rows]
    return result


def _working(t: np.ndarray, priority: np.ndarray, clocks: list[CalendarClock]) -> np.ndarray:
    """Working minutes at times ``t`` on each row's priority calendar (NaN stays NaN)."""
    result = np.array(t, dtype=float, copy=True)
    for code, clock in enumerate(clocks):
        if clock.always_open:
            continue
        chosen = np.flatnonzero(priority == code)
        if not len(chosen):
            continue
        values = t[chosen]
        worked = clock.working_minutes_array(np.nan_to_num(values))
        result[chosen] = np.where(np.isnan(values), np.nan, worked)
    return result


def _resolution_clock(log: CodedLog, end: float, clocks: list[CalendarClock],
                      n_cases: int) -> np.ndarray:
    """Working minutes the resolution clock ran, per case, up to its final resolution or the end."""
    activity = log.column("activity")
    # (positions, then each column at them: a boolean mask's selection of a column costs several
    # times as much as taking it at positions, once there are a few columns to select)
    keep = np.flatnonzero(is_any(activity, _CLOCK_STOPS + _CLOCK_STARTS))
    case, t = log.column("case")[keep], log.column("t")[keep]
    priority = log.column("priority")[keep]
    is_start = is_any(activity[keep], _CLOCK_STARTS)
    same_case_next = np.append(case[1:] == case[:-1], False)
    next_is_start = np.append(is_start[1:], False)
    next_t = np.append(t[1:], end)
    counted = np.flatnonzero(is_start & ~(same_case_next & next_is_start))  # a start not overtaken
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
    undecided = np.isnan(target) | (~finished & within)
    return pd.arrays.BooleanArray(np.where(finished, within, False), undecided)


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
    arrivals = first_rows(case, activity == _CODE[Activity.ARRIVED])
    incident = case[arrivals]  # the cases whose arrival is logged, in case order: the table's rows
    resolved = activity == _CODE[Activity.RESOLVED]
    counts = {name: np.bincount(case[np.flatnonzero(activity == _CODE[name])], minlength=n)[incident]
              for name in (Activity.RESOLVED, Activity.REOPENED, Activity.REASSIGNED)}
    is_resolved = counts[Activity.RESOLVED] > counts[Activity.REOPENED]
    last_resolution = first_rows(case, resolved, last=True)
    priority = log.column("priority")[arrivals]
    arrived_min = t[arrivals]
    first_work = first_per_case(case, t, activity == _CODE[Activity.WORK_STARTED], n)[incident]
    clocks = _clocks(policy, log, end)
    answered, response_end = _responded(first_work, first_per_case(case, t, resolved, n)[incident], end)
    response = _working(response_end, priority, clocks) - _working(arrived_min, priority, clocks)
    resolution = _resolution_clock(log, end, clocks, n)[incident]
    return pd.DataFrame({
        "case": incident,
        "priority": priority,
        "category": log.column("category")[arrivals],
        "arrived_min": arrived_min,
        "first_work_min": first_work,
        "resolved_min": np.where(is_resolved, _per_case(case, t, last_resolution, n, np.nan)[incident],
                                 np.nan),
        "is_resolved": is_resolved,
        "resolved_by": np.where(is_resolved,
                                _per_case(case, log.column("team"), last_resolution, n, -1)[incident], -1),
        "n_resolved": counts[Activity.RESOLVED],
        "n_reopened": counts[Activity.REOPENED],
        "n_reassigned": counts[Activity.REASSIGNED],
        "abandoned_min": first_per_case(case, t, activity == _CODE[Activity.ABANDONED], n)[incident],
        "fcr": is_resolved & (counts[Activity.REASSIGNED] == 0) & (counts[Activity.REOPENED] == 0),
        "response_working_min": response,
        "resolution_working_min": resolution,
        "sla_response_met": _met(response, _targets(policy, log, priority, "response"), answered),
        "sla_resolution_met": _met(resolution, _targets(policy, log, priority, "resolution"), is_resolved),
    }, index=_case_index(log.cases, incident), copy=False)  # fresh arrays: no copies


def _case_index(cases: list[str], chosen: np.ndarray) -> pd.Index:
    """The ``case_id`` index of the chosen cases (codes into ``cases``, ascending)."""
    if len(chosen) == len(cases):  # every case (an M/M/c run: incidents only): no selection
        return pd.Index(cases, name="case_id")
    return pd.Index(cases, name="case_id")[chosen]
