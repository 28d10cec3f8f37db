"""Calibration layer: from an export's rows (already renamed and parsed) to per-incident rows.

Two shapes of export: one row per incident (:func:`incidents_from_rows`) and one
row per update (:func:`incidents_from_updates`), where per-incident values come
from the incident's rows in time order — the last value written (the export
copies final values onto rows, and blanks some fields on closing rows), the first
and last assignment group, and, where no column gives them, the reassignment and
reopen counts from the sequence of groups and states.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from simulator.calibration.mapping import ColumnMapping
from simulator.calibration.reallog import COUNTER_COLUMNS, INCIDENT_COLUMNS, UPDATE_COLUMNS
from simulator.scenario.schema import SERVICENOW_PRIORITY_MATRIX

__all__ = ["incidents_from_rows", "incidents_from_updates", "priority_label"]

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_LEADING_NUMBER = re.compile(r"^\s*p?\s*(\d+)", re.IGNORECASE)


def priority_label(value: object) -> str | None:
    """``"1"``, ``"1 - Critical"``, ``"P1"`` → ``"P1"``; other text stays as it is."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    match = _LEADING_NUMBER.match(text)
    return f"P{int(match.group(1))}" if match else (text or None)


def _flags(values: pd.Series) -> tuple[pd.Series, int]:
    text = values.astype("string").str.strip().str.lower()
    result = pd.Series(np.where(text.isin(_TRUE), 1.0, np.where(text.isin(_FALSE), 0.0, np.nan)),
                       index=values.index)
    return result, int((values.notna() & np.isnan(result)).sum())


def _numbers(values: pd.Series) -> tuple[pd.Series, int]:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers, int((values.notna() & numbers.isna()).sum())


def _level(values: pd.Series) -> pd.Series:
    """Impact or urgency levels: the leading number of ``"2"`` or ``"2 - Medium"`` (NaN if none)."""
    levels = {}
    for value in values.dropna().unique():
        match = _LEADING_NUMBER.match(str(value))
        levels[value] = float(match.group(1)) if match else np.nan
    return values.map(levels).astype(float)


def _finish(incidents: pd.DataFrame, problems: Counter[str]) -> pd.DataFrame:
    """The checks both shapes share: missing openings, resolutions before openings, priorities."""
    for column in INCIDENT_COLUMNS:
        if column not in incidents:
            time_like = column in ("opened", "logged", "first_response", "resolved", "closed")
            incidents[column] = pd.NaT if time_like else np.nan
    no_opened = incidents["opened"].isna()
    problems["no opened time (incident left out)"] += int(no_opened.sum())
    incidents = incidents[~no_opened.to_numpy()]
    backwards = incidents["resolved"] < incidents["opened"]
    problems["resolved before opened (incident left out)"] += int(backwards.sum())
    incidents = incidents[~backwards.to_numpy()].copy()
    early_close = incidents["closed"] < incidents["resolved"]
    problems["closed before resolved (closure ignored)"] += int(early_close.sum())
    incidents.loc[early_close, "closed"] = pd.NaT
    for column in ("n_reassigned", "n_reopened", "made_sla", "impact", "urgency"):
        incidents[column] = incidents[column].astype(float)
    priority = incidents["priority"].map(priority_label).astype(object)
    derivable = priority.isna() & incidents["impact"].isin([1, 2, 3]) & incidents["urgency"].isin([1, 2, 3])
    from_matrix = [SERVICENOW_PRIORITY_MATRIX[int(i) - 1][int(u) - 1] for i, u in
                   zip(incidents.loc[derivable, "impact"], incidents.loc[derivable, "urgency"],
                       strict=True)]
    priority[derivable] = from_matrix
    problems["priority missing (taken from impact × urgency)"] += int(derivable.sum())
    problems["priority missing (counted as 'unknown')"] += int(priority.isna().sum())
    incidents["priority"] = priority.fillna("unknown")
    category = incidents["category"].astype(object)
    named = category.where(category.isna(), category.astype(str).str.strip())
    incidents["category"] = named.replace("", np.nan)
    return incidents[list(INCIDENT_COLUMNS)]


def _parse_fields(frame: pd.DataFrame, problems: Counter[str]) -> pd.DataFrame:
    frame = frame.copy()
    for key, column in (("reassignments", "n_reassigned"), ("reopens", "n_reopened")):
        if key in frame:
            frame[column], bad = _numbers(frame.pop(key))
            problems[f"unreadable {key} count"] += bad
    if "made_sla" in frame:
        frame["made_sla"], bad = _flags(frame["made_sla"])
        problems["unreadable made_sla flag"] += bad
    for key in ("impact", "urgency"):
        if key in frame:
            frame[key] = _level(frame[key])
    return frame


def incidents_from_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, Counter[str]]:
    """Per-incident rows from an export with one row per incident."""
    problems: Counter[str] = Counter()
    frame = _parse_fields(frame, problems)
    repeated = frame["case_id"].duplicated(keep="last")
    problems["case id repeated (last row kept)"] += int(repeated.sum())
    incidents = frame[~repeated.to_numpy()].set_index("case_id")
    return _finish(incidents, problems), problems


def _group_changes(updates: pd.DataFrame) -> pd.Series:
    groups = updates[["case_id", "group"]].dropna()
    changed = (groups["group"] != groups["group"].shift()) & (groups["case_id"] == groups["case_id"].shift())
    return changed.groupby(groups["case_id"]).sum().astype(float)


def _reopens(updates: pd.DataFrame, resolved: frozenset[str], closed: frozenset[str]) -> pd.Series:
    state = updates["state"]
    same_case = updates["case_id"] == updates["case_id"].shift()
    was_resolved = state.shift().isin(resolved) & same_case
    reopened = was_resolved & state.notna() & ~state.isin(resolved | closed)
    return reopened.groupby(updates["case_id"]).sum().astype(float)


def _opening_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Status transitions (``from_state`` → ``state``): a row at each incident's opening (or at its
    first transition) in the first transition's ``from_state``, before the transitions."""
    first = frame.sort_values(["case_id", "updated"], kind="stable").drop_duplicates("case_id").copy()
    if "opened" in first:
        first["updated"] = first["opened"].where(first["opened"].notna(), first["updated"])
    first["state"] = first["from_state"]
    if "sequence" in first:
        first["sequence"] = -1
    return pd.concat([first, frame], ignore_index=True).drop(columns="from_state")


def incidents_from_updates(frame: pd.DataFrame, mapping: ColumnMapping
                           ) -> tuple[pd.DataFrame, pd.DataFrame, Counter[str]]:
    """Per-incident rows and the update table from an export with one row per update."""
    problems: Counter[str] = Counter()
    frame = _parse_fields(frame, problems)
    no_time = frame["updated"].isna()
    problems["update without a time (row left out)"] += int(no_time.sum())
    frame = frame[~no_time.to_numpy()].copy()
    if "from_state" in frame:
        frame = _opening_rows(frame)
    order = ["case_id", "updated"]
    if "sequence" in frame:
        frame["sequence"] = pd.to_numeric(frame["sequence"], errors="coerce")
        order.append("sequence")
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    updates = pd.DataFrame({"case_id": frame["case_id"], "time": frame["updated"]})
    for column in ("state", "group", "resolver"):
        updates[column] = frame[column].astype(object) if column in frame else None
    updates = updates[list(UPDATE_COLUMNS)]
    for column in COUNTER_COLUMNS:  # the counters as each row wrote them, so that a cut can censor them
        if column in frame:
            updates[column] = frame[column].astype(float)
    grouped = frame.groupby("case_id", sort=False)
    incidents = grouped.last()  # the last value written, per column
    resolved_states, closed_states = frozenset(mapping.resolved_states), frozenset(mapping.closed_states)
    in_resolved = updates[updates["state"].isin(resolved_states)]
    last_resolved_row = in_resolved.groupby("case_id")["time"].max()
    last_state = updates.groupby("case_id", sort=False)["state"].last()
    if "opened" not in incidents:
        incidents["opened"] = grouped["updated"].min()
    if "resolved" not in incidents:
        finished = last_state.isin(resolved_states | closed_states)
        incidents["resolved"] = last_resolved_row.reindex(incidents.index).where(
            finished.reindex(incidents.index, fill_value=False))
    else:
        fallback = incidents["resolved"].isna() & incidents.index.isin(last_resolved_row.index)
        problems["resolved time missing (taken from the last row in a resolved state)"] += int(
            fallback.sum())
        incidents.loc[fallback, "resolved"] = last_resolved_row.reindex(
            incidents.index[fallback]).to_numpy()
    groups = updates.dropna(subset=["group"]).groupby("case_id", sort=False)["group"]
    incidents["first_group"] = groups.first().reindex(incidents.index)
    incidents["last_group"] = groups.last().reindex(incidents.index)
    if "n_reassigned" not in incidents:
        incidents["n_reassigned"] = _group_changes(updates).reindex(incidents.index, fill_value=0.0)
    if "n_reopened" not in incidents:
        incidents["n_reopened"] = _reopens(updates, resolved_states, closed_states).reindex(
            incidents.index, fill_value=0.0)
    before = updates["time"] < updates["case_id"].map(incidents["opened"])
    problems["update before opened (kept)"] += int(before.sum())
    incidents = _finish(incidents, problems)
    updates = updates[updates["case_id"].isin(incidents.index)].reset_index(drop=True)
    return incidents, updates, problems
