"""Calibration layer: a real log rewritten as a mimsim event log, so the same KPI code measures both.

Each incident becomes the rows the model would have written for it:
``arrived`` at the desk at its opening; ``reassigned`` from the desk and ``queued``
in its first group when it reaches one; a ``reassigned`` (from the group it leaves)
and ``queued`` at each later group; ``paused``/``resumed`` around each wait; a
``resolved`` then ``reopened`` for each reopening; ``resolved`` at its final
resolution and ``closed`` at its closure. Hand-offs and reopenings that the
counters show but the updates do not (missing updates) are written at the last
visible hand-off and just before the final resolution, so that the counts agree
with the export's ``reassignment_count`` and ``reopen_count``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.calibration.groups import team_name
from simulator.calibration.reallog import RealLog
from simulator.calibration.visits import Visits
from simulator.eventlog.log import EVENT_COLUMNS, Activity

__all__ = ["to_event_log"]


def _rows(case: pd.Series | np.ndarray, time: pd.Series | np.ndarray, activity: str,
          team: pd.Series | np.ndarray | str, order: int) -> pd.DataFrame:
    return pd.DataFrame({"case_id": np.asarray(case), "timestamp": pd.to_datetime(np.asarray(time)),
                         "activity": activity, "team": team, "order": order})


def to_event_log(log: RealLog, cut: Visits, desk: str) -> pd.DataFrame:
    """The event log (columns :data:`~simulator.eventlog.log.EVENT_COLUMNS`) of a real log."""
    incidents = log.incidents
    visits = cut.visits.sort_values(["case_id", "step"]).copy()
    visits["team"] = visits["group"].astype(str).map(team_name)
    previous = visits["team"].shift().where(visits["step"] > 0, desk)
    last = visits.drop_duplicates("case_id", keep="last").set_index("case_id")
    hidden = cut.hidden_reassignments[cut.hidden_reassignments > 0].astype(int)
    hidden_case = np.repeat(hidden.index.to_numpy(), hidden.to_numpy())
    pauses = cut.pauses.merge(visits[["case_id", "step", "team"]], on=["case_id", "step"])
    waits, reopens = pauses[pauses["kind"] == "wait"], pauses[pauses["kind"] == "reopen"]
    seen_reopens = reopens.groupby("case_id").size()
    missing_reopens = incidents["n_reopened"].fillna(0) - seen_reopens.reindex(incidents.index,
                                                                                 fill_value=0)
    missing_reopens = missing_reopens[(missing_reopens > 0) & incidents["resolved"].notna()].astype(int)
    missing_case = np.repeat(missing_reopens.index.to_numpy(), missing_reopens.to_numpy())
    resolved = incidents[incidents["resolved"].notna()]
    final_team = last["team"].reindex(resolved.index).fillna(desk)
    closed = incidents[incidents["closed"].notna()]
    ended = waits[~waits["censored"]]
    parts = [
        _rows(incidents.index, incidents["opened"], Activity.ARRIVED, desk, 0),
        _rows(visits["case_id"], visits["entry"], Activity.REASSIGNED, previous.to_numpy(), 1),
        _rows(hidden_case, last.loc[hidden_case, "entry"], Activity.REASSIGNED,
              last.loc[hidden_case, "team"].to_numpy(), 2),
        _rows(visits["case_id"], visits["entry"], Activity.QUEUED, visits["team"].to_numpy(), 3),
        _rows(waits["case_id"], waits["start"], Activity.PAUSED, waits["team"].to_numpy(), 4),
        _rows(ended["case_id"], ended["end"], Activity.RESUMED, ended["team"].to_numpy(), 5),
        _rows(reopens["case_id"], reopens["start"], Activity.RESOLVED, reopens["team"].to_numpy(), 6),
        _rows(reopens["case_id"], reopens["end"], Activity.REOPENED, reopens["team"].to_numpy(), 7),
        _rows(missing_case, resolved.loc[missing_case, "resolved"], Activity.RESOLVED,
              final_team.loc[missing_case].to_numpy(), 8),
        _rows(missing_case, resolved.loc[missing_case, "resolved"], Activity.REOPENED,
              final_team.loc[missing_case].to_numpy(), 9),
        _rows(resolved.index, resolved["resolved"], Activity.RESOLVED, final_team.to_numpy(), 10),
        _rows(closed.index, closed["closed"], Activity.CLOSED,
              last["team"].reindex(closed.index).fillna(desk).to_numpy(), 11),
    ]
    events = pd.concat([part for part in parts if len(part)], ignore_index=True)
    events = events.sort_values(["case_id", "timestamp", "order"], kind="stable").reset_index(drop=True)
    events["seq"] = np.arange(len(events))
    priority = events["case_id"].map(incidents["priority"])
    events["priority"] = pd.Categorical(priority)
    events["category"] = pd.Categorical(priority)
    events["agent"] = None
    events["service"] = None
    events["parent"] = None
    return events[list(EVENT_COLUMNS)]
