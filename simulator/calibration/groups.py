"""Calibration layer: what each resolver group does — its hours, work, waits, hand-offs, headcount.

How waiting is told apart from working. A ticket's time with a group (a visit,
:mod:`simulator.calibration.visits`) holds four things: nights and weekends when
nobody in the group works, waits on the user or a vendor (pause states), waiting
for someone to pick it up while the group is at work, and the work itself. The log
shows the first two: the group's hours come from who updates its tickets when
(:mod:`simulator.calibration.onduty`), the pauses from the states. What is left —
the visit's *on-duty minutes* outside pauses — is the group's *handling* time in
the scenario: the time a ticket is in someone's hands while the group works,
including the multitasking of people who juggle several tickets (the log cannot
split those minutes further: it has no "work started" row).

The model then adds nights and weekends back through the roster (tickets arriving
off duty wait for the shift; with ``at_shift_end: handover`` unfinished work waits
for the next one) and waits on the user through ``waiting_on_user``. So that its own
queueing does not count the in-hours waiting twice, a group gets enough *agents* —
each one a ticket slot rather than a person — for the load it carries: with ``m``
tickets in hand on average while on duty (Little's law: on-duty handling minutes
per on-duty minute), ``ceil(m + 3·√m)`` slots (square-root staffing with β = 3, which
keeps waiting for a free slot rare). The people behind the slots — distinct
resolvers active per on-duty hour — are reported next to it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.calibration.fitting import DurationFit, fit_durations
from simulator.calibration.onduty import OnDuty, activity_profile, learn_on_duty
from simulator.calibration.reallog import RealLog
from simulator.calibration.visits import Visits

__all__ = ["OTHER", "GroupModel", "learn_groups", "team_name"]

OTHER = "other"
#: A priority gets its own handling time in a group from this many visits on.
MIN_VISITS_PER_PRIORITY = 200
_NAME = re.compile(r"\W+")


def team_name(group: str) -> str:
    """The scenario's name for a log's group: ``"70"`` → ``"group_70"``."""
    if group == OTHER:
        return OTHER
    return "group_" + (_NAME.sub("_", str(group)).strip("_") or "unnamed")


@dataclass
class GroupModel:
    """What was learned about one (pooled) group."""

    team: str
    hours: tuple[tuple[int, int] | None, tuple[int, int] | None]
    handling: DurationFit
    handling_by_priority: dict[str, DurationFit]
    p_wait: float
    wait: DurationFit | None
    wait_after_share: float
    transfer: dict[str, float]
    slots: dict[str, int]  # "weekday" / "weekend" → agents
    load: dict[str, float]  # mean tickets in hand while on duty
    people: float  # mean distinct resolvers active per on-duty weekday hour
    visits: int
    stats: dict[str, Any] = field(default_factory=dict)


def pooled_groups(visits: pd.DataFrame, n_groups: int) -> list[str]:
    """The ``n_groups`` groups with the most visits (the rest is pooled as ``"other"``)."""
    counts = visits["group"].value_counts()
    return [str(name) for name in counts.index[:n_groups]]


def _on_duty_minutes(clock: OnDuty, code: np.ndarray, visits: pd.DataFrame, pauses: pd.DataFrame,
                     pause_code: np.ndarray, days: range | None) -> np.ndarray:
    work = clock.minutes(code, visits["exit"], days) - clock.minutes(code, visits["entry"], days)
    paused = clock.minutes(pause_code, pauses["end"], days) - clock.minutes(pause_code, pauses["start"], days)
    index = pd.MultiIndex.from_frame(visits[["case_id", "step"]])
    by_visit = pd.Series(paused, index=pd.MultiIndex.from_frame(pauses[["case_id", "step"]]))
    by_visit = by_visit.groupby(level=[0, 1]).sum().reindex(index, fill_value=0.0)
    return np.maximum(work - by_visit.to_numpy(), 0.0)


def _transfers(visits: pd.DataFrame, teams: list[str], entry: pd.Series,
               target_changes: float) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Transfer probabilities: where tickets go from the visible hand-offs, how often from the counts.

    A quarter of the updates are missing from a ServiceNow log, so some hand-offs are never
    seen (A→B→A between two logged rows); the reassignment count still has them. The
    visible hand-offs give the destinations; one factor on every group's probability of
    handing on makes the expected number of hand-offs per escalated ticket (from the
    routing matrix's fundamental matrix) equal to the counted mean.
    """
    index = {team: i for i, team in enumerate(teams)}
    ordered = visits.sort_values(["case_id", "step"])
    following = ordered["team"].shift(-1)
    same = ordered["case_id"].shift(-1) == ordered["case_id"]
    moves = ordered[same.to_numpy() & (following != ordered["team"]).to_numpy()]
    counts = np.zeros((len(teams), len(teams)))
    np.add.at(counts, (moves["team"].map(index).to_numpy(), following[moves.index].map(index).to_numpy()), 1)
    stays = ordered["team"].value_counts().reindex(teams, fill_value=0).to_numpy().astype(float)
    base = counts / np.maximum(stays, 1.0)[:, None]
    start = np.array([entry.get(team, 0.0) for team in teams])
    start = start / start.sum() if start.sum() > 0 else start

    def changes(factor: float) -> float:
        matrix = base * factor
        expected_visits = start @ np.linalg.inv(np.eye(len(teams)) - matrix)
        return float(expected_visits @ matrix.sum(axis=1))

    ceiling = 0.95 / max(float(base.sum(axis=1).max()), 1e-9)
    low, high = 0.0, ceiling
    if changes(high) < target_changes:
        factor = high
    else:
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if changes(middle) < target_changes else (low, middle)
        factor = (low + high) / 2
    matrix = base * factor
    result = {team: {teams[j]: float(matrix[i, j]) for j in np.flatnonzero(matrix[i] > 0)}
              for i, team in enumerate(teams)}
    return result, {"visible_per_ticket": changes(1.0), "counted_per_ticket": target_changes,
                    "factor": factor}


def _slots(load: float) -> int:
    return max(1, math.ceil(load + 3.0 * math.sqrt(load)))


def learn_groups(log: RealLog, cut: Visits, n_groups: int, window: tuple[pd.Timestamp, pd.Timestamp],
                 entry: pd.Series) -> tuple[list[GroupModel], dict[str, Any]]:
    """Learn every pooled group's model; ``entry`` is the share of escalations reaching each team."""
    visits = cut.visits.copy()
    top = pooled_groups(visits, n_groups)
    pooled = {group: team_name(group) for group in top}
    visits["team"] = visits["group"].astype(str).map(pooled).fillna(OTHER)
    teams = [pooled[group] for group in top] + ([OTHER] if (visits["team"] == OTHER).any() else [])
    code_of = {team: i for i, team in enumerate(teams)}
    updates = log.updates
    hours: list[tuple[tuple[int, int] | None, tuple[int, int] | None]]
    profile = None
    if updates is not None and updates["resolver"].notna().any():
        update_group = updates.groupby("case_id", sort=False)["group"].ffill()
        update_team = update_group.map(pooled)
        update_team[update_group.notna() & update_team.isna()] = OTHER  # before any group: no one's
        profile = activity_profile(updates, update_team, *window)
        hours = [learn_on_duty(profile.loc[team].to_numpy() if team in profile.index else None)
                 for team in teams]
    else:
        hours = [learn_on_duty(None) for _ in teams]
    clock = OnDuty.from_hours(hours)
    code = visits["team"].map(code_of).to_numpy()
    pauses = cut.pauses.merge(visits[["case_id", "step", "team"]], on=["case_id", "step"])
    pause_code = pauses["team"].map(code_of).to_numpy()
    visits["work_min"] = _on_duty_minutes(clock, code, visits, pauses, pause_code, None)
    priority = visits["case_id"].map(log.incidents["priority"])
    weeks = (window[1] - window[0]) / pd.Timedelta(days=7)
    classes = {"weekday": range(5), "weekend": range(5, 7)}
    in_class = {name: _on_duty_minutes(clock, code, visits, pauses, pause_code, days)
                for name, days in classes.items()}
    hidden_mean = float(log.incidents.loc[log.incidents["first_group"].notna(), "n_reassigned"].mean())
    transfers, routing_stats = _transfers(visits, teams, entry, hidden_mean if np.isfinite(hidden_mean)
                                          else 0.0)
    models = []
    for team in teams:
        mine = (visits["team"] == team).to_numpy()
        work, censored = visits.loc[mine, "work_min"].to_numpy(), visits.loc[mine, "censored"].to_numpy()
        by_priority = {}
        for name in sorted(priority[mine].dropna().unique()):
            chosen = mine & (priority == name).to_numpy()
            if chosen.sum() >= MIN_VISITS_PER_PRIORITY and name != "unknown":
                by_priority[str(name)] = fit_durations(visits.loc[chosen, "work_min"].to_numpy(),
                                                       visits.loc[chosen, "censored"].to_numpy())
        waits = pauses[(pauses["team"] == team) & (pauses["kind"] == "wait")]
        first_waits = waits.sort_values("start").drop_duplicates(["case_id", "step"])
        wait_fit = fit_durations(((waits["end"] - waits["start"]).dt.total_seconds() / 60.0).to_numpy(),
                                 waits["censored"].to_numpy()) if len(waits) else None
        after = _after_share(clock, code_of[team], visits[mine], first_waits)
        slots, load = {}, {}
        for name, days in classes.items():
            on_duty = float(clock.weekly_minutes(days)[code_of[team]]) * weeks
            load[name] = float(in_class[name][mine].sum()) / on_duty / log.sample_fraction \
                if on_duty > 0 else 0.0
            slots[name] = _slots(load[name]) if on_duty > 0 else 0
        people = 0.0
        if profile is not None and team in profile.index:
            open_hours = clock.mask[code_of[team], :120]
            people = float(profile.loc[team].to_numpy()[:120][open_hours].mean()) if open_hours.any() else 0.0
        models.append(GroupModel(
            team, hours[code_of[team]], fit_durations(work, censored), by_priority,
            float((visits.loc[mine, "n_waits"] > 0).mean()), wait_fit, after, transfers[team],
            slots, load, people, int(mine.sum()),
            {"groups": sorted({str(g) for g in visits.loc[mine, "group"].unique()}),
             "resolved_here": float(visits.loc[mine, "resolved_here"].mean()),
             "work_median_min": float(np.median(work)) if len(work) else math.nan}))
    return models, {"teams": teams, "routing": routing_stats}


def _after_share(clock: OnDuty, code: int, visits: pd.DataFrame, first_waits: pd.DataFrame) -> float:
    """Share of a visit's work done before its first wait on the user (mean over visits that wait)."""
    joined = first_waits.merge(visits[["case_id", "step", "entry", "work_min"]], on=["case_id", "step"])
    joined = joined[joined["work_min"] > 0]
    if joined.empty:
        return 0.5
    codes = np.full(len(joined), code)
    before = clock.minutes(codes, joined["start"]) - clock.minutes(codes, joined["entry"])
    return float(np.clip(before / joined["work_min"].to_numpy(), 0.0, 1.0).mean())
