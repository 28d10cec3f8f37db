"""Calibration layer: learn a mimsim scenario from a real incident log.

What is learned, and from what (docs/calibration.md says why):

* **arrivals** — volume per day over the log's active period (days from the first to
  the last whose week-long neighbourhood holds at least a tenth of the busiest week's
  incidents: exports often end in a thin tail of stragglers), and a weekly 7×24 table
  of shares; one stream per priority, so that the desk can route each priority its own
  way (``escalation_by_category``);
* **priorities** — the mix, impact × urgency jointly, and the matrix between them;
* **the desk** — a logging step (opened → record saved, where the log has it), staffed
  24×7 so that it never queues: the log's opening time *is* the logging time; its
  first-contact resolution is the share never assigned to a group, and its escalation
  per priority the first group's shares;
* **groups** — see :mod:`simulator.calibration.groups`;
* **reopen and closure** — the share of resolved incidents reopened and the time from
  resolution to reopening; the median resolved → closed delay;
* **SLA targets** — where a ``made_sla`` flag exists, the resolution target per priority
  that best reproduces it, with its agreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.calibration.fitting import DurationFit, fit_durations
from simulator.calibration.groups import learn_groups, team_name
from simulator.calibration.reallog import RealLog
from simulator.calibration.visits import cut_visits

__all__ = ["DESK", "Calibration", "active_period", "calibrate", "priority_names"]

DESK = "service_desk"
WARMUP_DAYS = 14
_DAY = pd.Timedelta(days=1)
#: Candidate SLA resolution targets (minutes): 1 h to 30 days.
_SLA_CANDIDATES = [60.0 * h for h in (1, 2, 4, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 720)]


@dataclass
class Calibration:
    """A learned scenario (plain data, durations in minutes), comments for its file, and a report."""

    scenario: dict[str, Any]
    comments: dict[tuple[str, ...], str]
    report: dict[str, Any] = field(default_factory=dict)


def priority_names(incidents: pd.DataFrame) -> list[str]:
    """The log's priorities, highest first (``P1`` before ``P2``; ``unknown`` last)."""
    def key(name: str) -> tuple[int, float, str]:
        digits = name[1:] if name.startswith("P") and name[1:].isdigit() else None
        return (name == "unknown", float(digits) if digits else math.inf, name)

    return sorted(incidents["priority"].astype(str).unique(), key=key)


def active_period(opened: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (end exclusive) of the period the log covers in earnest."""
    days = opened.dt.floor("D")
    daily = days.value_counts().sort_index()
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max(), freq="D"), fill_value=0)
    weekly = daily.rolling(7, center=True, min_periods=1).mean()
    active = weekly[weekly >= 0.1 * weekly.max()].index
    return active.min(), active.max() + _DAY


def _round_shares(values: np.ndarray, decimals: int = 5) -> np.ndarray:
    scale = 10 ** decimals
    units = np.round(values / values.sum() * scale)
    units.flat[int(np.argmax(units))] += scale - units.sum()
    return units / scale


def _arrivals(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
              fraction: float) -> tuple[float, list[list[float]], dict[str, Any]]:
    opened = incidents["opened"]
    days = pd.Series(pd.date_range(start, end, freq="D", inclusive="left"))
    per_weekday = days.dt.day_of_week.value_counts().reindex(range(7), fill_value=0).to_numpy()
    counts = np.zeros((7, 24))
    np.add.at(counts, (opened.dt.day_of_week.to_numpy(), opened.dt.hour.to_numpy()), 1)
    mean_week = counts / np.maximum(per_weekday, 1)[:, None]
    weekly = _round_shares(mean_week.ravel()).reshape(7, 24)
    volume = len(opened) / len(days) / fraction
    return volume, weekly.tolist(), {"incidents": len(opened), "days": len(days),
                                     "per_day": volume, "sample_fraction": fraction}


def _priorities(incidents: pd.DataFrame, names: list[str]) -> tuple[dict[str, Any], list[list[str]]]:
    """Impact × urgency cells per priority, and the matrix (each cell's most common priority).

    A log without impact and urgency (or where some priority is never the most common in
    any cell) gets a one-row matrix with one urgency level per priority: each stream then
    brings its own priority, which is all such a log can say.
    """
    known = incidents.dropna(subset=["impact", "urgency"])
    known = known[known["impact"].isin([1, 2, 3]) & known["urgency"].isin([1, 2, 3])]
    matrix = [["P1", "P2", "P3"], ["P2", "P3", "P4"], ["P3", "P4", "P4"]]
    if len(known):
        table = known.groupby(["impact", "urgency"])["priority"].agg(lambda s: s.value_counts().index[0])
        for (impact, urgency), name in table.items():
            matrix[int(impact) - 1][int(urgency) - 1] = str(name)
    cells: dict[str, Any] = {}
    for name in names:
        chosen = known[known["priority"] == name]
        shares = {(int(i), int(u)): n for (i, u), n in chosen.groupby(["impact", "urgency"]).size().items()
                  if matrix[int(i) - 1][int(u) - 1] == name}
        total = sum(shares.values())
        if not total:
            return {name: {1: {level: 1.0}} for level, name in enumerate(names, start=1)}, [list(names)]
        cells[name] = {}
        for (impact, urgency), n in shares.items():
            cells[name].setdefault(impact, {})[urgency] = n / total
    return cells, matrix


def _desk(log: RealLog, incidents: pd.DataFrame, names: list[str], peak_per_hour: float
          ) -> tuple[dict[str, Any], dict[tuple[str, ...], str], pd.Series]:
    logging = ((incidents["logged"] - incidents["opened"]).dt.total_seconds() / 60.0).dropna()
    logging = logging[(logging >= 0) & (logging < 24 * 60)]
    comments: dict[tuple[str, ...], str] = {}
    if len(logging) >= 20:
        fit = fit_durations(logging.to_numpy())
        handling: dict[str, Any] = fit.spec
        comments[("flow", "desk", "handling")] = f"opened → record saved: {fit.comment()}"
        mean = float(np.mean(logging))
    else:
        handling, mean = {"dist": "fixed", "value": 5.0}, 5.0
        comments[("flow", "desk", "handling")] = ("[assumption] 5 minutes to log a ticket "
                                                  "(no logging time in the log)")
    load = peak_per_hour * mean / 60.0
    agents = max(1, math.ceil(load + 3 * math.sqrt(load)))
    first = incidents["first_group"].astype(object).map(
        lambda group: None if pd.isna(group) else str(group))
    fcr, escalation = {}, {}
    overall = first.dropna().value_counts(normalize=True)
    for name in names:
        mine = first[incidents["priority"] == name]
        fcr[name] = float(mine.isna().mean()) if len(mine) else 0.0
        shares = mine.dropna().value_counts(normalize=True)
        escalation[name] = shares if len(shares) else overall
    desk = {"team": DESK, "handling": handling, "fcr": fcr, "escalation": escalation,
            "agents": agents, "load": load}
    return desk, comments, overall


def _pooled_shares(shares: pd.Series, teams: list[str]) -> dict[str, float]:
    pooled: dict[str, float] = {}
    for group, share in shares.items():
        team = team_name(str(group))
        team = team if team in teams else "other"
        pooled[team] = pooled.get(team, 0.0) + float(share)
    values = _round_shares(np.array(list(pooled.values())), 6)
    return {team: float(value) for team, value in zip(pooled, values, strict=True) if value > 0}


def _reopen(log: RealLog, incidents: pd.DataFrame, pauses: pd.DataFrame) -> tuple[float, DurationFit | None]:
    resolved = incidents[incidents["resolved"].notna()]
    share = float((resolved["n_reopened"].fillna(0) > 0).mean()) if len(resolved) else 0.0
    spells = pauses[pauses["kind"] == "reopen"]
    if len(spells) < 10:
        return share, None
    minutes = ((spells["end"] - spells["start"]).dt.total_seconds() / 60.0).to_numpy()
    return share, fit_durations(minutes, spells["censored"].to_numpy())


def _sla(incidents: pd.DataFrame, names: list[str]) -> dict[str, dict[str, float]]:
    """Per priority, the resolution target (24×7 minutes) that best reproduces ``made_sla``."""
    result = {}
    known = incidents.dropna(subset=["made_sla", "resolved"])
    hours = (known["resolved"] - known["opened"]).dt.total_seconds() / 60.0
    for name in names:
        mine = (known["priority"] == name).to_numpy()
        if mine.sum() < 20:
            continue
        flag = known.loc[mine, "made_sla"].to_numpy() > 0.5
        elapsed = hours[mine].to_numpy()
        agreement = [float(np.mean((elapsed <= target) == flag)) for target in _SLA_CANDIDATES]
        best = int(np.argmax(agreement))
        result[name] = {"resolution_min": _SLA_CANDIDATES[best], "agreement": agreement[best],
                        "made_sla": float(flag.mean()), "n": int(mine.sum())}
    return result


def calibrate(log: RealLog, n_groups: int = 8, name: str | None = None,
              routing: str = "counted") -> Calibration:
    """Learn a scenario from ``log``; the result's ``scenario`` is plain data for the writer.

    ``routing``: ``"counted"`` (transfers scaled to the log's reassignment counts) or
    ``"visible"`` (only the hand-offs its updates show).
    """
    from simulator.calibration.assemble import assemble

    start, end = active_period(log.incidents["opened"])
    within = (log.incidents["opened"] >= start) & (log.incidents["opened"] < end)
    problems = dict(log.problems)
    if (~within).sum():
        problems["opened outside the log's active period (left out)"] = int((~within).sum())
    incidents = log.incidents[within.to_numpy()]
    updates = log.updates
    if updates is not None:
        updates = updates[updates["case_id"].isin(incidents.index)]
    log = RealLog(incidents, updates, log.exported, problems, log.pause_states, log.resolved_states,
                  log.source, log.sample_fraction)
    names = priority_names(incidents)
    volume, weekly, arrival_stats = _arrivals(incidents, start, end, log.sample_fraction)
    cells, matrix = _priorities(incidents, names)
    peak = volume * 7 * float(np.max(weekly))
    desk, comments, entry = _desk(log, incidents, names, peak)
    cut = cut_visits(log)
    groups, group_stats = learn_groups(log, cut, n_groups, (start, end),
                                       _entry_by_team(entry, cut.visits, n_groups), routing)
    teams = group_stats["teams"]
    desk["escalation"] = {p: _pooled_shares(shares, teams) for p, shares in desk["escalation"].items()}
    reopen_share, reopen_fit = _reopen(log, incidents, cut.pauses)
    closing = (incidents["closed"] - incidents["resolved"]).dt.total_seconds() / 60.0
    closing = closing[(incidents["n_reopened"].fillna(0) == 0).to_numpy()].dropna()
    learned = {
        "name": name or "calibrated", "source": log.source, "start": start, "end": end,
        "volume": volume, "weekly": weekly, "priorities": names, "cells": cells, "matrix": matrix,
        "mix": incidents["priority"].value_counts(normalize=True).reindex(names).fillna(0).to_dict(),
        "desk": desk, "groups": groups, "reopen": (reopen_share, reopen_fit),
        "closure_min": float(closing.median()) if len(closing) else 0.0,
        "sla": _sla(incidents, names), "problems": problems, "arrivals": arrival_stats,
        "routing": group_stats["routing"], "warmup_days": WARMUP_DAYS,
        "exported": log.exported, "n_incidents": len(incidents),
        "resolution_km": _resolution_summary(incidents, log.exported),
    }
    return assemble(learned, comments)


def _entry_by_team(entry: pd.Series, visits: pd.DataFrame, n_groups: int) -> pd.Series:
    from simulator.calibration.groups import OTHER, pooled_groups

    top = {team_name(group) for group in pooled_groups(visits, n_groups)}
    pooled: dict[str, float] = {}
    for group, share in entry.items():
        team = team_name(str(group))
        team = team if team in top else OTHER
        pooled[team] = pooled.get(team, 0.0) + float(share)
    return pd.Series(pooled)


def _resolution_summary(incidents: pd.DataFrame, exported: pd.Timestamp) -> dict[str, Any]:
    """Opened → resolved (hours) per priority by Kaplan–Meier, open incidents censored at the export."""
    from simulator.calibration.fitting import km_quantiles

    end = incidents["resolved"].fillna(exported)
    hours = ((end - incidents["opened"]).dt.total_seconds() / 3600.0).to_numpy()
    censored = incidents["resolved"].isna().to_numpy()
    summary: dict[str, Any] = {}
    for name, chosen in [("all", np.ones(len(hours), bool)),
                         *[(p, (incidents["priority"] == p).to_numpy())
                           for p in incidents["priority"].unique()]]:
        median, p90 = km_quantiles(hours[chosen], censored[chosen], np.array([0.5, 0.9]))
        summary[str(name)] = {"n": int(chosen.sum()), "censored": int(censored[chosen].sum()),
                              "median_h": float(median), "p90_h": float(p90)}
    return summary

