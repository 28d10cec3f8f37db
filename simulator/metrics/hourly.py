"""Metrics layer: team measures by hour of the week — when the teams are busy, when tickets wait.

Within the measurement window (end of warm-up to end of run), per team and
hour of the week (0 = Monday 00:00–01:00, … 167 = Sunday 23:00–24:00, on the
run's own clock):

* ``on_duty_min``: agent-minutes on duty in that hour (summed over the weeks);
* ``busy_min``: agent-minutes working while on duty (work sessions and bridges,
  as for the ``utilisation`` KPI), so ``busy_min / on_duty_min`` is the
  utilisation in that hour of the week;
* ``queue_entries`` and ``queue_wait_min``: queue entries in that hour that were
  taken up by the end, and the sum of their waits (minutes), so the ratio is
  the mean wait of a ticket queued in that hour.

Sums rather than means, so that replications can be pooled by adding them up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.metrics.coded import CodedLog
from simulator.metrics.teams import TeamActivity
from simulator.scenario.calendars import HOURS_PER_WEEK

__all__ = ["hourly_team_measures"]

_HOUR = 60.0


def _week_offset(log: CodedLog) -> float:
    """Minutes from the Monday 00:00 before the run's start to its start."""
    origin = log.origin
    return origin.weekday() * 1440.0 + origin.hour * 60.0 + origin.minute + origin.second / 60.0


def _hour_edges(window: tuple[float, float], offset: float) -> np.ndarray:
    """Whole-hour boundaries of the run's clock spanning the window (clipped to it)."""
    begin, end = window
    first = np.floor((begin + offset) / _HOUR) * _HOUR - offset
    edges = np.arange(first, end + _HOUR, _HOUR)
    return np.clip(edges, begin, end)


def _hour_of_week(t: np.ndarray, offset: float) -> np.ndarray:
    return (np.floor((t + offset) / _HOUR).astype(np.int64)) % HOURS_PER_WEEK


def _split_by_hour(start: np.ndarray, end: np.ndarray, offset: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each interval cut at whole hours: the index of its interval, the pieces' starts and ends."""
    first = np.floor((start + offset) / _HOUR)
    last = np.maximum(np.ceil((end + offset) / _HOUR) - 1, first)
    pieces = (last - first + 1).astype(np.int64)
    owner = np.repeat(np.arange(len(start)), pieces)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    boundary = (first[owner] + step) * _HOUR - offset
    return owner, np.maximum(start[owner], boundary), np.minimum(end[owner], boundary + _HOUR)


def hourly_team_measures(log: CodedLog, activity: TeamActivity) -> pd.DataFrame:
    """On-duty and busy agent-minutes and queue waits per team and hour of the week (see module),
    over the activity's window."""
    duty, window = activity.duty, activity.window
    offset = _week_offset(log)
    teams = list(dict.fromkeys([*log.teams, *(team for team, _, _ in duty.values())]))
    n_teams = len(teams)
    on_duty = np.zeros(n_teams * HOURS_PER_WEEK)
    busy = np.zeros(n_teams * HOURS_PER_WEEK)
    edges = _hour_edges(window, offset)
    bins = _hour_of_week(edges[:-1], offset)
    sessions = activity.sessions
    start = np.clip(sessions["start"].to_numpy(), *window)
    end = np.clip(sessions["end"].to_numpy(), *window)
    owner, piece_start, piece_end = _split_by_hour(start, end, offset)
    piece_agent = sessions["agent"].to_numpy()[owner]
    piece_bin = _hour_of_week(piece_start, offset)
    agent_code = {name: code for code, name in enumerate(log.agents)}
    team_code = {name: code for code, name in enumerate(teams)}
    for agent, (team, duty_edges, cumulative) in duty.items():
        if len(duty_edges) == 0:
            continue
        base = team_code[team] * HOURS_PER_WEEK
        on = np.diff(np.interp(edges, duty_edges, cumulative))
        np.add.at(on_duty, base + bins, on)
        mine = piece_agent == agent_code.get(agent, -2)
        worked = (np.interp(piece_end[mine], duty_edges, cumulative)
                  - np.interp(piece_start[mine], duty_edges, cumulative))
        np.add.at(busy, base + piece_bin[mine], worked)
    waits = activity.waits
    waits = waits[waits["queued"].to_numpy() < window[1]]
    cell = waits["team"].to_numpy() * HOURS_PER_WEEK + _hour_of_week(waits["queued"].to_numpy(), offset)
    size = n_teams * HOURS_PER_WEEK
    return pd.DataFrame({
        "team": np.repeat(teams, HOURS_PER_WEEK),
        "hour_of_week": np.tile(np.arange(HOURS_PER_WEEK), n_teams),
        "on_duty_min": on_duty,
        "busy_min": busy,
        "queue_entries": np.bincount(cell, minlength=size)[:size].astype(np.int64),
        "queue_wait_min": np.bincount(cell, weights=waits["wait"].to_numpy(), minlength=size)[:size],
    })
