"""Metrics layer: team KPIs — utilisation, overtime, queue wait, backlog — from the logs.

A *work session* runs from a ``work started`` row to the next row of the same
case that ends it (``paused``, ``reassigned``, ``resolved``, ``interrupted`` or
``awaiting restoration``; ``known error`` for a problem's root-cause analysis), or to
the end of the run; time on a major-incident
bridge (``joined bridge`` to the same agent's ``left bridge`` on the same
outage) is work too. An agent's *duty* runs from each on-duty row of the duty
log to the next off-duty row. Within the measurement window (end of
warm-up to end of run):

* ``utilisation`` = ``occupancy`` = busy agent-minutes while on duty ÷ on-duty
  agent-minutes (a break, a shift lost to shrinkage and a planned absence are off duty, so
  this is time on contacts ÷ time available: what contact centres call occupancy);
* ``utilisation_paid`` = busy agent-minutes within paid time ÷ paid agent-minutes, where
  paid time is what the roster pays for (each rostered agent's shifts, whether worked,
  lost to shrinkage or absence, or spent on a break; an agent added during the run is
  paid while on duty): shrinkage and breaks are paid and idle, so they pull it below
  occupancy (a ticket finished into a paid break still counts as paid work);
* ``overtime_h`` = busy agent-hours outside paid time (finishing a ticket after a shift;
  without a roster, as for a real log: busy while off duty);
* ``queue_wait_min`` = mean minutes from joining the team's queue to the next
  work start, over queue entries in the window that were taken up by the end;
* ``backlog_end`` = open tickets whose last queue was this team's, at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.metrics.coded import CodedLog, column_codes, is_any, minutes_since, rows_by_code
from simulator.metrics.incidents import first_rows
from simulator.metrics.measures import Measure

__all__ = ["DutyPeriods", "TeamActivity", "duty_periods", "paid_periods", "queue_waits", "team_activity",
           "team_measures", "work_sessions"]

_CODE = {name: index for index, name in enumerate(ACTIVITIES)}
_WORK_STARTED, _QUEUED = _CODE[Activity.WORK_STARTED], _CODE[Activity.QUEUED]
_SESSION_ENDS = [_CODE[name] for name in (Activity.PAUSED, Activity.REASSIGNED, Activity.RESOLVED,
                                          Activity.INTERRUPTED, Activity.AWAITING_RESTORATION,
                                          Activity.KNOWN_ERROR)]
_JOINED, _LEFT = _CODE[Activity.JOINED], _CODE[Activity.LEFT]

#: Per agent name: its team, and the edges and cumulative minutes of its on-duty periods.
DutyPeriods = dict[str, tuple[str, np.ndarray, np.ndarray]]


def _next_in_case(case: np.ndarray, values: np.ndarray, fill: float) -> tuple[np.ndarray, np.ndarray]:
    same = np.append(case[1:] == case[:-1], False)
    return same, np.append(values[1:], fill)


def work_sessions(log: CodedLog, end: float) -> pd.DataFrame:
    """Every work session: ``team`` and ``agent`` codes, ``start`` and ``end`` minutes."""
    activity = log.column("activity")
    keep = np.flatnonzero(is_any(activity, [_WORK_STARTED, *_SESSION_ENDS]))
    case, t, activity = log.column("case")[keep], log.column("t")[keep], activity[keep]
    same, next_t = _next_in_case(case, t, end)
    _, next_activity = _next_in_case(case, activity, -1)
    starts = np.flatnonzero(activity == _WORK_STARTED)
    finish = np.where(same & is_any(next_activity, _SESSION_ENDS), next_t, end)
    start_rows = keep[starts]
    bridges = _bridge_sessions(log, end)
    # (the tickets' sessions, then the bridges', as one frame: what pd.concat of the two gave)
    return pd.DataFrame({
        "team": np.concatenate([log.column("team")[start_rows], bridges["team"].to_numpy()]),
        "agent": np.concatenate([log.column("agent")[start_rows], bridges["agent"].to_numpy()]),
        "start": np.concatenate([t[starts], bridges["start"].to_numpy()]),
        "end": np.concatenate([finish[starts], bridges["end"].to_numpy()])}, copy=False)


def _bridge_sessions(log: CodedLog, end: float) -> pd.DataFrame:
    """Each member's time on a bridge: ``joined bridge`` to their ``left bridge`` (or the end)."""
    activity = log.column("activity")
    keep = np.flatnonzero(is_any(activity, [_JOINED, _LEFT]))
    rows = pd.DataFrame({"case": log.column("case")[keep], "agent": log.column("agent")[keep],
                         "team": log.column("team")[keep], "t": log.column("t")[keep],
                         "joined": activity[keep] == _JOINED})
    rows = rows.sort_values(["case", "agent", "t"], kind="stable")
    following = rows.shift(-1)
    same = (following["case"] == rows["case"]) & (following["agent"] == rows["agent"])
    joined = rows["joined"].to_numpy(dtype=bool)
    left = same.to_numpy(dtype=bool) & ~following["joined"].fillna(True).to_numpy(dtype=bool)
    return pd.DataFrame({"team": rows["team"].to_numpy()[joined], "agent": rows["agent"].to_numpy()[joined],
                         "start": rows["t"].to_numpy()[joined],
                         "end": np.where(left, following["t"].to_numpy(), end)[joined]})


def duty_periods(duty: pd.DataFrame, origin: dt.datetime, end: float) -> DutyPeriods:
    """Each agent's on-duty periods from the duty log, as cumulative on-duty minutes."""
    t = minutes_since(duty["timestamp"], origin)
    # (the names' codes, not the names as strings: a string a row cost a sixth of the KPIs'
    # time in a one-year baseline replication, whose duty log has 21,000 rows)
    agent, agents = column_codes(duty["agent"])
    team, teams = column_codes(duty["team"])
    on_duty = duty["on_duty"].to_numpy(dtype=bool)
    result: DutyPeriods = {}
    for code, rows in rows_by_code(agent).items():
        if code < 0:  # a row without an agent
            continue
        # After each row the agent is on duty exactly if the row says "on" (a repeated on or off
        # changes nothing), so a row starts or ends a period where it differs from the one before.
        on = on_duty[rows]
        changes = on != np.concatenate(([False], on[:-1]))
        array = t[rows][changes]
        if len(array) % 2 == 1:
            array = np.append(array, max(end, float(array[-1])))
        cumulative = np.zeros(len(array))
        cumulative[1::2] = np.cumsum(array[1::2] - array[0::2])
        cumulative[2::2] = cumulative[1:-1:2]
        first_team = team[rows[0]]
        result[agents[code]] = (teams[first_team] if first_team >= 0 else "nan", array, cumulative)
    return result


def paid_periods(rostered: dict[str, tuple[str, tuple[tuple[float, float], ...]]],
                 duty: DutyPeriods) -> DutyPeriods | None:
    """Each agent's paid periods, as cumulative minutes: its rostered periods, or for an agent
    the roster does not name (added during the run), its on-duty periods. ``None`` without a
    roster (a real log: its paid time is unknown)."""
    if not rostered:
        return None
    paid: DutyPeriods = {}
    for agent, (team, periods) in rostered.items():
        edges = np.asarray(periods, dtype=float).reshape(-1)
        cumulative = np.zeros(len(edges))
        cumulative[1::2] = np.cumsum(edges[1::2] - edges[0::2])
        cumulative[2::2] = cumulative[1:-1:2]
        paid[agent] = (team, edges, cumulative)
    paid.update((agent, periods) for agent, periods in duty.items() if agent not in rostered)
    return paid


def _on_duty(edges: np.ndarray, cumulative: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.interp(t, edges, cumulative) if len(edges) else np.zeros(np.shape(t))


_PerTeam = dict[str, float]


_Clipped = dict[str, tuple[np.ndarray, np.ndarray]]
_NO_SESSIONS = (np.zeros(0), np.zeros(0))


def _sessions_by_agent(sessions: pd.DataFrame, agents: list[str], window: tuple[float, float]) -> _Clipped:
    """Per agent name, the starts and ends of its work sessions, clipped to ``window``: grouped
    once for both :func:`_time_and_busy` passes (on duty and paid)."""
    begin, end = window
    clipped_start = np.clip(sessions["start"].to_numpy(), begin, end)
    clipped_end = np.clip(sessions["end"].to_numpy(), begin, end)
    return {agents[code]: (clipped_start[rows], clipped_end[rows])
            for code, rows in rows_by_code(sessions["agent"].to_numpy()).items() if code >= 0}


def _time_and_busy(periods: DutyPeriods, sessions: _Clipped,
                   window: tuple[float, float]) -> tuple[_PerTeam, _PerTeam, _PerTeam]:
    """Per team, over ``window``: the agent-minutes within the periods, the busy agent-minutes
    within them, and the busy agent-minutes outside them."""
    begin, end = window
    within: dict[str, float] = {}
    busy: dict[str, float] = {}
    outside: dict[str, float] = {}
    for agent, (team, edges, cumulative) in periods.items():
        on = _on_duty(edges, cumulative, np.array([begin, end]))
        within[team] = within.get(team, 0.0) + float(on[1] - on[0])
        s, e = sessions.get(agent, _NO_SESSIONS)
        inside = _on_duty(edges, cumulative, e) - _on_duty(edges, cumulative, s)
        busy[team] = busy.get(team, 0.0) + float(inside.sum())
        outside[team] = outside.get(team, 0.0) + float(((e - s) - inside).sum())
    return within, busy, outside


def _ratio(part: float, whole: float) -> Measure:
    return (part / whole if whole > 0 else float("nan"), int(whole > 0))


def _utilisation(log: CodedLog, duty: DutyPeriods, sessions: pd.DataFrame,
                 window: tuple[float, float], paid: DutyPeriods | None) -> dict[str, dict[str, Measure]]:
    clipped = _sessions_by_agent(sessions, log.agents, window)
    on_duty, busy, off_duty = _time_and_busy(duty, clipped, window)
    paid_time, paid_busy, unpaid_busy = (_time_and_busy(paid, clipped, window)
                                         if paid is not None else ({}, {}, off_duty))
    measures: dict[str, dict[str, Measure]] = {}
    for team in log.teams:
        minutes = on_duty.get(team, 0.0)
        overtime = unpaid_busy.get(team, 0.0) / 60.0
        measures[team] = {
            "utilisation": _ratio(busy.get(team, 0.0), minutes),
            "occupancy": _ratio(busy.get(team, 0.0), minutes),
            "utilisation_paid": _ratio(paid_busy.get(team, 0.0), paid_time.get(team, 0.0)),
            "overtime_h": (overtime if minutes > 0 or paid_time.get(team, 0.0) > 0 else float("nan"),
                           int(minutes > 0 or paid_time.get(team, 0.0) > 0)),
        }
    return measures


def queue_waits(log: CodedLog, begin: float) -> pd.DataFrame:
    """Queue entries at or after ``begin`` that were taken up: ``team`` code, ``queued``, ``wait`` minutes."""
    activity = log.column("activity")
    keep = np.flatnonzero(is_any(activity, [_QUEUED, _WORK_STARTED]))
    case, t, activity = log.column("case")[keep], log.column("t")[keep], activity[keep]
    same, next_t = _next_in_case(case, t, np.nan)
    _, next_activity = _next_in_case(case, activity, -1)
    taken = np.flatnonzero((activity == _QUEUED) & (t >= begin) & same & (next_activity == _WORK_STARTED))
    return pd.DataFrame({"team": log.column("team")[keep[taken]], "queued": t[taken],
                         "wait": (next_t - t)[taken]}, copy=False)


def _holders_at_end(log: CodedLog, open_cases: np.ndarray) -> np.ndarray:
    """Per case: the team of its last queue (-1 if none)."""
    case = log.column("case")
    last_queue = first_rows(case, log.column("activity") == _QUEUED, last=True)
    holder = np.full(len(log.cases), -1)
    holder[case[last_queue]] = log.column("team")[last_queue]
    return holder[open_cases]


@dataclass(frozen=True)
class TeamActivity:
    """What the team KPIs and the hourly team measures are both made of, over ``window``
    (minutes): the agents' duty, their work sessions (to the window's end) and the queue
    entries taken up (from the window's start)."""

    window: tuple[float, float]
    duty: DutyPeriods
    sessions: pd.DataFrame
    waits: pd.DataFrame
    paid: DutyPeriods | None = None  # each agent's paid periods (None: unknown, a real log)


def team_activity(log: CodedLog, duty: DutyPeriods, window: tuple[float, float],
                  paid: DutyPeriods | None = None) -> TeamActivity:
    """The duty, paid time, work sessions and queue waits of a window, measured once."""
    return TeamActivity(window, duty, work_sessions(log, window[1]), queue_waits(log, window[0]),
                        paid)


def team_measures(log: CodedLog, activity: TeamActivity,
                  open_cases: np.ndarray) -> dict[str, dict[str, Measure]]:
    """Team KPIs over the activity's window; ``open_cases`` are the codes of cases open at the end."""
    measures = _utilisation(log, activity.duty, activity.sessions, activity.window, activity.paid)
    waits = activity.waits.groupby("team")["wait"]
    means, counts = waits.mean(), waits.size()
    held = np.bincount(_holders_at_end(log, open_cases) + 1, minlength=len(log.teams) + 1)[1:]
    for code, team in enumerate(log.teams):
        n = int(counts.get(code, 0))
        measures[team]["queue_wait_min"] = (float(means[code]) if n else float("nan"), n)
        measures[team]["backlog_end"] = (float(held[code]), int(held[code]))
    return measures
