"""Calibration layer: a real incident log in one shape, whatever tool exported it.

Every importer (ServiceNow preset, generic CSV with a column mapping, XES)
produces a :class:`RealLog`: one row per incident with its moments and counts,
and — when the export has one row per update — the updates themselves (time,
state, assignment group, resolver). Rows that cannot be used are counted by
kind in :attr:`RealLog.problems`, never dropped silently.

The selections used to calibrate and to validate also live here: incidents
opened in a window (:func:`select_window`, which treats the log as exported at
the window's end, so that later events are unknown and open incidents are
right-censored) and a seeded random split of incidents (:func:`split_random`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = [
    "COUNTER_COLUMNS",
    "INCIDENT_COLUMNS",
    "UPDATE_COLUMNS",
    "RealLog",
    "select_window",
    "split_random",
]

#: Per-incident columns (index: ``case_id``). Times are datetime64 (NaT where unknown);
#: counts and flags are floats (NaN where the export does not say).
INCIDENT_COLUMNS = ("opened", "logged", "first_response", "resolved", "closed", "priority", "category",
                    "impact", "urgency", "first_group", "last_group", "n_reassigned",
                    "n_reopened", "made_sla")
#: Per-update columns, rows sorted by case then time: ``case_id``, ``time``, ``state``,
#: ``group``, ``resolver`` (strings; missing as None).
UPDATE_COLUMNS = ("case_id", "time", "state", "group", "resolver")
#: Per-update counters an export may write on every row (ServiceNow's ``reassignment_count``,
#: ``reopen_count``): the count so far, kept beside :data:`UPDATE_COLUMNS` when the mapping names them.
COUNTER_COLUMNS = ("n_reassigned", "n_reopened")


@dataclass(frozen=True)
class RealLog:
    """A real incident log, normalised.

    Attributes
    ----------
    incidents
        One row per incident (:data:`INCIDENT_COLUMNS`), indexed by ``case_id``.
    updates
        One row per update (:data:`UPDATE_COLUMNS`), or ``None`` for a
        one-row-per-incident export.
    exported
        When the log was taken: nothing after it is known, and an incident without
        a resolution is still open at that moment (right-censored).
    problems
        Rows or incidents that needed care, by kind (e.g. ``"duplicate row": 5``).
    pause_states, resolved_states
        States that stop work (waiting on the user, a vendor…) and that mean resolved.
    source
        Where the log came from (for messages and reports).
    sample_fraction
        The share of the organisation's incidents this log holds (1 unless a random
        part of a larger log was selected): volumes and loads are divided by it.
    fields
        The mapping's keys that named a column of the export (``opened``, ``reopens`` …):
        calibration says which of them it did not use, and why.
    """

    incidents: pd.DataFrame
    updates: pd.DataFrame | None
    exported: pd.Timestamp
    problems: dict[str, int] = field(default_factory=dict)
    pause_states: frozenset[str] = frozenset()
    resolved_states: frozenset[str] = frozenset({"Resolved"})
    source: str = "<log>"
    sample_fraction: float = 1.0
    fields: frozenset[str] = frozenset()

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last opening time."""
        opened = self.incidents["opened"]
        return opened.min(), opened.max()

    def with_problems(self, more: Counter[str]) -> RealLog:
        """The same log with more problems counted."""
        counted = Counter(self.problems)
        counted.update({kind: n for kind, n in more.items() if n})
        return replace(self, problems=dict(counted))


def select_window(log: RealLog, start: dt.datetime | None, end: dt.datetime | None,
                  cut: bool) -> RealLog:
    """Incidents opened in ``[start, end)``.

    With ``cut``, the log is treated as if exported at ``end``: later updates are
    dropped and later resolutions and closures become unknown, so incidents still
    open then are right-censored — what a calibration on that period could know.
    Without it, the incidents keep their whole history (a validation cohort).
    """
    incidents = log.incidents
    opened = incidents["opened"]
    keep = pd.Series(True, index=incidents.index)
    if start is not None:
        keep &= opened >= pd.Timestamp(start)
    if end is not None:
        keep &= opened < pd.Timestamp(end)
    chosen = incidents[keep.to_numpy()].copy()
    updates = log.updates
    if updates is not None:
        updates = updates[updates["case_id"].isin(chosen.index)]
    problems = Counter({"opened outside the selected period": int((~keep).sum())})
    exported = log.exported
    if cut and end is not None and pd.Timestamp(end) < log.exported:
        exported = pd.Timestamp(end)
        for column in ("resolved", "closed", "first_response"):
            later = chosen[column] >= exported
            chosen.loc[later, column] = pd.NaT
        if updates is not None:
            later = updates["time"] >= exported
            changed = set(updates.loc[later, "case_id"])
            updates = updates[~later]
            chosen = _counted_until_cut(chosen, updates, changed)
    result = replace(log, incidents=chosen, updates=updates, exported=exported)
    return result.with_problems(problems)


def _counted_until_cut(incidents: pd.DataFrame, updates: pd.DataFrame, changed: set[object]) -> pd.DataFrame:
    """The per-incident counts and last group as known at the cut, for the incidents updated after it.

    An export's per-incident counts are its last row's, written after the cut: a calibration on the
    period before it would count hand-offs and reopenings that had not happened yet (and treat them
    as hand-offs its updates do not show). Each such incident takes the counters of its last update
    before the cut (where the export writes counters on every row), else the group changes its
    updates before the cut show (reopenings then stay as exported: which states close an
    incident is not kept here).
    """
    cases = incidents.index[incidents.index.isin(list(changed))]
    if not len(cases):
        return incidents
    kept = updates[updates["case_id"].isin(cases)]
    last = kept.groupby("case_id", sort=False).last()  # the last non-missing value of each column
    groups = kept.dropna(subset=["group"])
    changes = ((groups["group"] != groups["group"].shift())
               & (groups["case_id"] == groups["case_id"].shift())).groupby(groups["case_id"]).sum()
    incidents = incidents.copy()
    if "group" in last:
        incidents.loc[cases, "last_group"] = last["group"].reindex(cases).to_numpy()
    if "n_reassigned" in kept:
        counted = last["n_reassigned"].reindex(cases)
    else:
        counted = changes.reindex(cases).astype(float)
    incidents.loc[cases, "n_reassigned"] = counted.fillna(0.0).to_numpy()
    if "n_reopened" in kept:
        incidents.loc[cases, "n_reopened"] = last["n_reopened"].reindex(cases).fillna(0.0).to_numpy()
    return incidents


def split_random(log: RealLog, fraction: float, seed: int, part: str) -> RealLog:
    """A seeded random split of the incidents: ``part`` ``"first"`` holds ``fraction`` of them.

    The split is drawn over the sorted case ids, so it is the same on any machine and
    whatever order the export lists the incidents in.
    """
    cases = np.sort(log.incidents.index.to_numpy().astype(str))
    u = np.random.default_rng(seed).random(len(cases))
    first = set(cases[u < fraction].tolist())
    chosen_mask = log.incidents.index.isin(first)
    if part == "second":
        chosen_mask = ~chosen_mask
    share = fraction if part == "first" else 1.0 - fraction
    incidents = log.incidents[chosen_mask]
    updates = log.updates
    if updates is not None:
        updates = updates[updates["case_id"].isin(incidents.index)]
    problems = Counter({f"in the other part of the random split ({part} part kept)":
                        int((~chosen_mask).sum())})
    return replace(log, incidents=incidents, updates=updates,
                   sample_fraction=log.sample_fraction * share).with_problems(problems)
