"""Calibration layer: an incident's life cut into visits to groups, and the pauses inside them.

A *visit* is a stay of the ticket with one assignment group: from the moment it
reaches the group (for the first group the incident's opening — or the end of the
desk's step, its first response or the saving of its record, where the log has it;
otherwise the first update that shows the new group) to the moment it leaves (the first update
showing the next group) or is finally resolved. An incident still open when the
log was taken has its last visit *right-censored* at the export.

A *pause* is a spell in a pause state (Awaiting User Info, Awaiting Vendor…: the
ticket waits on someone outside the group) or between a resolution and a
reopening: time that is neither queueing nor work. Each pause is placed in the
visit where it starts and clipped to it.

The log holds update times only, so a state or group change that was not written
as its own update (a quarter of ServiceNow's updates are missing from the UCI
log) is seen at the next update that was: visits and pauses are estimates at the
resolution of the updates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.calibration.reallog import RealLog

__all__ = ["Visits", "cut_visits"]

_MINUTE = pd.Timedelta(minutes=1)


class Visits:
    """Visits and pauses of a log's incidents.

    Attributes
    ----------
    visits
        One row per visit: ``case_id``, ``step`` (0 for the first group), ``group``,
        ``entry``, ``exit`` (datetimes; ``exit`` is the export time when ``censored``),
        ``censored``, ``resolved_here`` (the visit ended in the final resolution),
        ``pause_min`` (wall-clock minutes paused within it), ``n_waits`` (spells in a
        pause state: waiting on the user or a vendor).
    pauses
        One row per pause: ``case_id``, ``step`` (the visit), ``start``, ``end``,
        ``kind`` (``"wait"`` or ``"reopen"``), ``censored`` (still paused at the export).
    hidden_reassignments
        Per incident, group changes its count shows but its updates do not (≥ 0).
    """

    def __init__(self, visits: pd.DataFrame, pauses: pd.DataFrame,
                 hidden_reassignments: pd.Series) -> None:
        self.visits = visits
        self.pauses = pauses
        self.hidden_reassignments = hidden_reassignments


def _runs(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The first row of each run of equal ``column`` values within a case."""
    new_case = frame["case_id"] != frame["case_id"].shift()
    changed = new_case | (frame[column] != frame[column].shift())
    return frame[changed.to_numpy()]


def _visits_from_updates(log: RealLog) -> pd.DataFrame:
    assert log.updates is not None
    updates = log.updates[["case_id", "time", "group"]].copy()
    first_row = updates["case_id"] != updates["case_id"].shift()
    updates["group"] = updates.groupby("case_id", sort=False)["group"].ffill()
    updates["first_row"] = first_row
    updates = updates.dropna(subset=["group"])
    runs = _runs(updates, "group").copy()
    incidents = log.incidents
    opened = runs["case_id"].map(incidents["opened"])
    runs["entry"] = np.where(runs["first_row"].to_numpy(), opened.to_numpy(), runs["time"].to_numpy())
    resolved = runs["case_id"].map(incidents["resolved"])
    later = (runs["entry"] >= resolved) & (runs["case_id"] == runs["case_id"].shift())
    runs = runs[~later.to_numpy()].copy()  # a group set on a closing row: after the work
    runs["entry"] = pd.to_datetime(runs["entry"])
    same_next = runs["case_id"].shift(-1) == runs["case_id"]
    final = runs["case_id"].map(incidents["resolved"])
    runs["exit"] = np.where(same_next.to_numpy(), runs["entry"].shift(-1).to_numpy(),
                            final.to_numpy())
    runs["exit"] = pd.to_datetime(runs["exit"])
    runs["resolved_here"] = ~same_next.to_numpy() & runs["exit"].notna().to_numpy()
    runs["step"] = runs.groupby("case_id", sort=False).cumcount()
    return runs[["case_id", "step", "group", "entry", "exit", "resolved_here"]]


def _visits_from_incidents(log: RealLog) -> pd.DataFrame:
    """Without updates: the first group, then the last one after the counted reassignments.

    The stays between are unknown: the time from opening to resolution is split evenly
    over the ``n_reassigned + 1`` visits, and visits between the first and the last go
    to the group ``"other"`` (a stated simplification; an event log avoids it).
    """
    incidents = log.incidents.dropna(subset=["first_group"])
    moves = incidents["n_reassigned"].fillna(0).clip(lower=0).astype(int).to_numpy()
    count = moves + 1
    case = np.repeat(incidents.index.to_numpy(), count)
    step = np.concatenate([np.arange(n) for n in count]) if len(count) else np.zeros(0, int)
    total = np.repeat(count, count)
    opened = np.repeat(incidents["opened"].to_numpy(), count)
    open_at_export = np.repeat(incidents["resolved"].isna().to_numpy(), count)
    # An incident still open at the export: its visits share the time up to the export, the
    # last one right-censored there (``exit`` left empty; :func:`cut_visits` fills it).
    ended = incidents["resolved"].fillna(log.exported).clip(lower=incidents["opened"])
    span = np.repeat((ended - incidents["opened"]).to_numpy(), count)
    first = np.repeat(incidents["first_group"].to_numpy(), count)
    last = np.repeat(incidents["last_group"].fillna(incidents["first_group"]).to_numpy(), count)
    group = np.where(step == 0, first, np.where(step == total - 1, last, "other"))
    entry = opened + span * (step / total)
    exit_ = pd.Series(opened + span * ((step + 1) / total))
    final = step == total - 1
    exit_[final & open_at_export] = pd.NaT
    return pd.DataFrame({"case_id": case, "step": step, "group": group, "entry": entry,
                         "exit": exit_.to_numpy(), "resolved_here": final & ~open_at_export})


def _pauses(log: RealLog) -> pd.DataFrame:
    columns = ["case_id", "start", "end", "kind"]
    if log.updates is None or log.updates["state"].isna().all():
        return pd.DataFrame(columns=columns)
    states = log.updates[["case_id", "time", "state"]].dropna(subset=["state"])
    runs = _runs(states, "state").copy()
    same_next = runs["case_id"].shift(-1) == runs["case_id"]
    runs["end"] = runs["time"].shift(-1).where(same_next.to_numpy())
    wait = runs["state"].isin(log.pause_states)
    resolved_state = runs["state"].isin(log.resolved_states)
    reopened = resolved_state & same_next & ~runs["state"].shift(-1).isin(
        log.resolved_states | {"Closed", "closed", "Canceled", "Cancelled"})
    chosen = runs[(wait | reopened).to_numpy()].copy()
    chosen["kind"] = np.where(chosen["state"].isin(log.pause_states), "wait", "reopen")
    chosen = chosen.rename(columns={"time": "start"})
    return chosen[columns]


def _place_pauses(visits: pd.DataFrame, pauses: pd.DataFrame, exported: pd.Timestamp) -> pd.DataFrame:
    if pauses.empty:
        return pauses.assign(step=pd.Series(dtype=int), censored=pd.Series(dtype=bool))
    left = pauses.sort_values("start").reset_index(drop=True)
    right = visits[["case_id", "step", "entry", "exit"]].sort_values("entry")
    placed = pd.merge_asof(left, right, left_on="start", right_on="entry", by="case_id",
                           direction="backward")
    placed = placed.dropna(subset=["step"])
    limit = placed["exit"].fillna(exported)
    placed["censored"] = placed["end"].isna() & placed["exit"].isna()
    placed["end"] = placed["end"].fillna(limit).clip(upper=limit)
    placed = placed[placed["end"] > placed["start"]]
    placed["step"] = placed["step"].astype(int)
    return placed[["case_id", "step", "start", "end", "kind", "censored"]]


def _after_desk_step(visits: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """The first group's visit starts when the desk's step ends — at the first response, else when
    the record was saved, where the log has one within the visit: in the model the desk's step
    (opened → that moment) comes before the first group's visit, so counting it in both would
    count it twice."""
    for column in ("first_response", "logged"):
        at = visits["case_id"].map(incidents[column])
        if at.notna().sum() >= 20:  # as the desk step needs (see learn._desk_step)
            inside = (visits["step"] == 0) & (at > visits["entry"]) & \
                ((at < visits["exit"]) | visits["exit"].isna())
            visits.loc[inside, "entry"] = at[inside]
            return visits
    return visits


def cut_visits(log: RealLog) -> Visits:
    """Cut every incident of ``log`` into visits and pauses (see the module docstring)."""
    if log.updates is not None and log.updates["group"].notna().any():
        visits = _visits_from_updates(log)
    else:
        visits = _visits_from_incidents(log)
    visits = _after_desk_step(visits.reset_index(drop=True), log.incidents)
    visits["censored"] = visits["exit"].isna().to_numpy()
    pauses = _place_pauses(visits, _pauses(log), log.exported)
    visits["exit"] = visits["exit"].fillna(log.exported)
    key = ["case_id", "step"]
    wall = ((pauses["end"] - pauses["start"]) / _MINUTE).groupby([pauses["case_id"], pauses["step"]]).sum()
    waits = (pauses["kind"] == "wait").groupby([pauses["case_id"], pauses["step"]]).sum()
    index = pd.MultiIndex.from_frame(visits[key])
    visits["pause_min"] = wall.reindex(index, fill_value=0.0).to_numpy()
    visits["n_waits"] = waits.reindex(index, fill_value=0).to_numpy().astype(int)
    seen = visits.groupby("case_id").size() - 1
    counted = log.incidents["n_reassigned"].reindex(seen.index)
    hidden = (counted - seen).clip(lower=0).fillna(0.0)
    return Visits(visits, pauses, hidden)
