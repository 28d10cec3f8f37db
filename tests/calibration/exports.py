"""A mimsim event log written as two other tools would export it: one row per status transition
(event form), and one row per incident with counts (the form of most reporting exports)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulator.eventlog.log import Activity

#: The state each activity leaves a ticket in (the others change no state).
_STATE_AFTER = {Activity.QUEUED: "Assigned", Activity.PAUSED: "On Hold", Activity.RESUMED: "Assigned",
                Activity.RESOLVED: "Resolved", Activity.REOPENED: "Assigned", Activity.CLOSED: "Closed"}

TRANSITIONS_MAPPING = """\
case_id: ticket
updated: at
sequence: n
from_state: from_status
state: to_status
group: queue
resolver: agent
priority: priority
pause_states: [On Hold]
"""

PER_INCIDENT_MAPPING = """\
case_id: ticket
opened: opened
resolved: resolved
closed: closed
priority: priority
first_group: first_queue
last_group: last_queue
reassignments: moves
reopens: reopens
"""


def _team(events: pd.DataFrame, desk: str) -> pd.Series:
    """The group holding the ticket on each row (none while at the desk)."""
    joined = events["team"].where(events["activity"] == Activity.QUEUED).astype(object)
    held = joined.groupby(events["case_id"]).ffill()
    return held.where(held != desk)


def write_transitions(events: pd.DataFrame, desk: str, path: Path) -> Path:
    """One row per status change or change of group: ticket, at, from_status, to_status, queue, agent."""
    events = events.sort_values(["case_id", "seq"]).reset_index(drop=True)
    queue = _team(events, desk)
    state = events["activity"].map(_STATE_AFTER)
    first = events["case_id"] != events["case_id"].shift()
    state = state.where(~first, "New").groupby(events["case_id"]).ffill()
    moved = (queue != queue.groupby(events["case_id"]).shift()) & queue.notna()
    changed = (state != state.groupby(events["case_id"]).shift()) | moved
    rows = events[changed & ~first]
    previous = state.groupby(events["case_id"]).shift()[rows.index]
    table = pd.DataFrame({
        "ticket": rows["case_id"], "at": rows["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "n": range(len(rows)), "from_status": previous, "to_status": state[rows.index],
        "queue": queue[rows.index], "agent": rows["agent"].astype(object),
        "priority": rows["priority"].astype(str)})
    table.to_csv(path, index=False)
    return path


def write_per_incident(events: pd.DataFrame, desk: str, path: Path) -> Path:
    """One row per incident: opened, resolved, closed, priority, first and last group, counts."""
    events = events.sort_values(["case_id", "seq"])
    by_case = events.groupby("case_id")
    queue = _team(events, desk).dropna().groupby(events["case_id"])

    def when(activity: str, pick: str) -> pd.Series:
        chosen = events[events["activity"] == activity].groupby("case_id")["timestamp"]
        return getattr(chosen, pick)().dt.strftime("%Y-%m-%d %H:%M:%S")

    moves = events[(events["activity"] == Activity.REASSIGNED) & (events["team"] != desk)]
    table = pd.DataFrame({
        "opened": when(Activity.ARRIVED, "first"), "resolved": when(Activity.RESOLVED, "last"),
        "closed": when(Activity.CLOSED, "last"), "priority": by_case["priority"].first().astype(str),
        "first_queue": queue.first(), "last_queue": queue.last(),
        "moves": moves.groupby("case_id").size(),
        "reopens": events[events["activity"] == Activity.REOPENED].groupby("case_id").size()})
    table[["moves", "reopens"]] = table[["moves", "reopens"]].fillna(0).astype(int)
    table.index.name = "ticket"
    table.to_csv(path)
    return path
