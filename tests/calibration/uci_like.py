"""A mimsim event log rewritten with only the fields (and the quirks) of the UCI 498 ServiceNow log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.eventlog.log import Activity
from simulator.model.simulation import Simulation
from simulator.scenario.loader import parse_scenario

_STATE = {Activity.ARRIVED: "New", Activity.QUEUED: "New", Activity.PAUSED: "Awaiting User Info",
          Activity.RESOLVED: "Resolved", Activity.CLOSED: "Closed"}
_DROPPED = (Activity.RESPONSE_SLA_BREACHED, Activity.RESOLUTION_SLA_BREACHED, Activity.ESCALATED)
_FORMAT = "%d/%m/%Y %H:%M"


def _when(times: pd.Series) -> pd.Series:
    text = times.dt.strftime(_FORMAT)
    return text.str.replace(r"^0", "", regex=True).str.replace(r"/0", "/", regex=True).fillna("?")


def simulated_events(spec: dict[str, Any], name: str, seed: int) -> pd.DataFrame:
    """The event log of replication 0 of a hand-written scenario (``spec``, named ``name``)."""
    simulation = Simulation(parse_scenario(spec, name), 0, seed)
    simulation.run()
    return simulation.results().events


def write_uci_like(events: pd.DataFrame, desk: str, path: Path, category: bool = False) -> Path:
    """One row per update: number, ident_state, counters, d/m/yyyy HH:MM times, '?' for missing
    (with ``category``, also the incident's category, as ServiceNow's ``category`` column)."""
    rows = events[~events["activity"].isin(_DROPPED)].copy()
    case = rows["case_id"].astype(str)
    arrived = rows[rows["activity"] == Activity.ARRIVED].set_index("case_id")["timestamp"]
    resolved = rows[rows["activity"] == Activity.RESOLVED].groupby("case_id")["timestamp"].max()
    closed = rows[rows["activity"] == Activity.CLOSED].groupby("case_id")["timestamp"].max()
    moves = rows[(rows["activity"] == Activity.REASSIGNED) & (rows["team"] != desk)].groupby("case_id").size()
    reopens = rows[rows["activity"] == Activity.REOPENED].groupby("case_id").size()
    team = rows["team"].astype(str)
    table = pd.DataFrame({
        "number": case,
        "ident_state": rows["activity"].map(_STATE).fillna("Active"),
        "reassignment_count": case.map(moves).fillna(0).astype(int),
        "reopen_count": case.map(reopens).fillna(0).astype(int),
        "sys_mod_count": rows.groupby("case_id").cumcount(),
        "made_sla": "true",
        "opened_at": _when(case.map(arrived)),
        "sys_updated_at": _when(rows["timestamp"]),
        "impact": "?", "urgency": "?",
        "priority": rows["priority"].astype(str).str.removeprefix("P"),
        "assignment_group": np.where(team == desk, "?", team),
        "assigned_to": rows["agent"].astype(object).where(rows["agent"].notna(), "?").astype(str)
        .replace({"": "?", "None": "?", "nan": "?"}),
        "resolved_at": _when(case.map(resolved)),
        "closed_at": _when(case.map(closed)),
    })
    if category:
        table.insert(2, "category", rows["category"].astype(str).to_numpy())
    table.to_csv(path, index=False)
    return path
