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
each one a ticket slot rather than a person — for the load it carries: the larger of
``ceil(m + 3·√m)``, with ``m`` tickets in hand on average while on duty (Little's law:
on-duty handling minutes per on-duty minute; square-root staffing with β = 3), and the
99th percentile of the tickets it held (outside pauses) in its on-duty hours, since
arrivals peak in the morning. The people behind the slots — distinct resolvers active
per on-duty hour — are reported next to it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from simulator.calibration.fitting import DurationFit, fit_durations
from simulator.calibration.history import HistoryRule, RoutingStats, learn_history
from simulator.calibration.onduty import ON_DUTY_SHARE, OnDuty, activity_profile, learn_on_duty
from simulator.calibration.paths import PathTable, learn_paths
from simulator.calibration.reallog import RealLog
from simulator.calibration.visits import Visits

__all__ = ["OTHER", "ROUTINGS", "GroupModel", "GroupStats", "learn_groups", "pooled_groups", "team_name"]

OTHER = "other"
#: How calibrate learns routing: with memory (``history``), by whole observed paths with routing with
#: memory for the rest (``paths``), or a memoryless matrix scaled to the counted hand-offs
#: (``counted``) or as the updates show them (``visible``).
ROUTINGS = ("history", "paths", "counted", "visible")
#: A priority gets its own handling time in a group from this many visits on ...
MIN_VISITS_PER_PRIORITY = 30
#: ... shrunk towards the group's pooled handling by this many pseudo-visits (a Dirichlet-process
#: prior centred on the pooled distribution): 30 visits lean on the pool five parts in eight,
#: 200 one in five, thousands not at all.
PRIORITY_PRIOR = 50
#: Visits that end in a transfer get their own handling time from this many on (and as many
#: that do not).
MIN_VISITS_PER_OUTCOME = 100
_NAME = re.compile(r"\W+")


def team_name(group: str) -> str:
    """The scenario's name for a log's group: ``"70"`` → ``"group_70"``."""
    if group == OTHER:
        return OTHER
    return "group_" + (_NAME.sub("_", str(group)).strip("_") or "unnamed")


#: A group's on-duty hours: (weekdays, weekends), each (start hour, end hour) or None when off.
Hours = tuple[tuple[int, int] | None, tuple[int, int] | None]


@dataclass(frozen=True)
class GroupStats:
    """Figures about a group's visits, for comments and the report."""

    groups: tuple[str, ...]  # the log's groups pooled into this team
    resolved_here: float  # share of visits that ended in the final resolution
    transferred: float  # share that handed the ticket on
    hidden: tuple[float, float]  # hand-offs modelled beyond the visible ones, per visible one: out, in
    after_transfer: float  # share that came from another group and did not hand the ticket on
    work_median_min: float


@dataclass(frozen=True)
class GroupModel:
    """What was learned about one (pooled) group."""

    team: str
    hours: Hours
    handling: DurationFit  # visits that do not end in a transfer (all visits if not split)
    handling_by_priority: dict[str, DurationFit]
    handling_when_transferred: DurationFit | None  # visits that hand the ticket on to another group
    handling_when_transferred_by_priority: dict[str, DurationFit]
    handling_after_transfer: DurationFit | None  # other visits that began with a transfer in
    handling_after_transfer_by_priority: dict[str, DurationFit]
    p_wait: float  # share of the visits that wait on the user (of the usual kind, where kinds differ)
    wait: DurationFit | None
    wait_after_share: float
    transfer: dict[str, float]
    slots: dict[str, int]  # "weekday" / "weekend" → agents
    load: dict[str, float]  # mean tickets in hand while on duty
    people: float  # mean distinct resolvers active per on-duty weekday hour
    visits: int
    stats: GroupStats
    history: tuple[HistoryRule, ...] = ()  # routing with memory (``--routing history``)
    p_wait_when_transferred: float | None = None  # share of the visits that hand the ticket on that wait
    p_wait_after_transfer: float | None = None  # of the others that came from another group


def pooled_groups(visits: pd.DataFrame, n_groups: int, updates: pd.DataFrame | None = None,
                  window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> list[str]:
    """The ``n_groups`` groups with the most visits, then the groups kept apart because they work
    when the pool does not (:func:`_off_pool_hours`); the rest is pooled as ``"other"``."""
    counts = visits["group"].value_counts()
    top = [str(name) for name in counts.index[:n_groups]]
    rest = [str(name) for name, n in counts.iloc[n_groups:].items() if n >= MIN_RESOLUTIONS_FOR_HOURS]
    if updates is None or window is None or not rest or not updates["resolver"].notna().any():
        return top
    return top + _off_pool_hours(updates, set(top), rest, window)


def _off_pool_hours(updates: pd.DataFrame, top: set[str], rest: list[str],
                    window: tuple[pd.Timestamp, pd.Timestamp]) -> list[str]:
    """The groups of ``rest`` that work while the other groups pooled with them are off duty.

    A pooled group has one shift, learned from all its members' people: a small group that
    works nights would take the office-hours members' shift (and their handling). A group is
    kept apart when, over the hours of the week the rest of the pool is off duty (the pool's
    hours learned without the group's own people), its own people are active on average at
    least :data:`~simulator.calibration.onduty.ON_DUTY_SHARE` of its own busiest hour's — the
    rule that puts an hour on duty, applied to the hours the others do not cover.
    """
    group = updates.groupby("case_id", sort=False)["group"].ffill()
    named = group.astype(str).where(group.notna())
    own = activity_profile(updates, named.where(~named.isin(top)), *window)
    pool = own.sum(axis=0).to_numpy()
    kept = []
    for name in rest:
        if name not in own.index:
            continue
        mine = own.loc[name].to_numpy()
        off = ~OnDuty.from_hours([learn_on_duty(np.clip(pool - mine, 0.0, None))]).mask[0]
        typical = _typical_week(mine)
        if off.any() and typical.max() > 0 and typical[off].mean() >= ON_DUTY_SHARE * typical.max():
            kept.append(name)
    return kept


def _typical_week(profile: np.ndarray) -> np.ndarray:
    """A 168-hour profile with weekdays and the weekend each replaced by their mean day."""
    weekday = profile[:120].reshape(5, 24).mean(axis=0)
    weekend = profile[120:].reshape(2, 24).mean(axis=0)
    return np.concatenate([np.tile(weekday, 5), np.tile(weekend, 2)])


def _on_duty_minutes(clock: OnDuty, code: np.ndarray, visits: pd.DataFrame, pauses: pd.DataFrame,
                     pause_code: np.ndarray, days: range | None) -> np.ndarray:
    work = clock.minutes(code, visits["exit"], days) - clock.minutes(code, visits["entry"], days)
    paused = clock.minutes(pause_code, pauses["end"], days) - clock.minutes(pause_code, pauses["start"], days)
    index = pd.MultiIndex.from_frame(visits[["case_id", "step"]])
    by_visit = pd.Series(paused, index=pd.MultiIndex.from_frame(pauses[["case_id", "step"]]))
    by_visit = by_visit.groupby(level=[0, 1]).sum().reindex(index, fill_value=0.0)
    return np.maximum(work - by_visit.to_numpy(), 0.0)


def _transfers(visits: pd.DataFrame, teams: list[str], entry: pd.Series, counted: pd.Series
               ) -> tuple[dict[str, dict[str, float]], RoutingStats]:
    """Transfer probabilities: where tickets go from the visible hand-offs, how often from the counts.

    A quarter of the updates are missing from a ServiceNow log, so some hand-offs are never
    seen (A→B→A between two logged rows); the reassignment count still has them. The
    visible hand-offs give each group's destinations and its relative propensity to hand
    on; one factor on all of them (each group's total capped at 0.95) makes the share of
    escalated tickets that stay with their first group equal to the counted share with no
    reassignment. (Matching the share rather
    than the mean: a memoryless routing cannot match both, and the shares are what a
    reader of the reassignment distribution sees; the mean is reported.)
    """
    index = {team: i for i, team in enumerate(teams)}
    ordered = visits.sort_values(["case_id", "step"])
    following = ordered["team"].shift(-1)
    same = ordered["case_id"].shift(-1) == ordered["case_id"]
    moves = ordered[same.to_numpy() & (following != ordered["team"]).to_numpy()]
    counts = np.zeros((len(teams), len(teams)))
    np.add.at(counts, (moves["team"].map(index).to_numpy(dtype=np.int64),
                       following[moves.index].map(index).to_numpy(dtype=np.int64)), 1)
    stays = ordered["team"].value_counts().reindex(teams, fill_value=0).to_numpy().astype(float)
    base = counts / np.maximum(stays, 1.0)[:, None]
    start = np.array([entry.get(team, 0.0) for team in teams])
    start = start / start.sum() if start.sum() > 0 else start

    def scaled(factor: float) -> np.ndarray:
        """``base`` × factor, each group's total capped at 0.95 (it must resolve some tickets)."""
        totals = base.sum(axis=1, keepdims=True)
        capped = np.minimum(totals * factor, 0.95)
        return np.where(totals > 0, base * capped / np.maximum(totals, 1e-12), 0.0)

    def changes(factor: float) -> float:
        matrix = scaled(factor)
        expected_visits = start @ np.linalg.inv(np.eye(len(teams)) - matrix)
        return float(expected_visits @ matrix.sum(axis=1))

    def handed_on(factor: float) -> float:  # share handed on by the first group
        return float(start @ scaled(factor).sum(axis=1))

    target = 1.0 - float((counted == 0).mean()) if len(counted) else handed_on(1.0)
    low, high = 0.0, 50.0
    for _ in range(60):  # handed_on grows with the factor: bisection
        middle = (low + high) / 2
        low, high = (middle, high) if handed_on(middle) < target else (low, middle)
    factor = (low + high) / 2
    matrix = scaled(factor)
    result = {team: {teams[j]: float(matrix[i, j]) for j in np.flatnonzero(matrix[i] > 0)}
              for i, team in enumerate(teams)}
    # Hand-offs the model makes beyond the visible ones, per visible one: out of each team, and
    # into it (for the handling times of those visits, see :func:`_handling`).
    out_ratio = matrix.sum(axis=1) / np.maximum(base.sum(axis=1), 1e-12) - 1.0
    in_ratio = (stays @ matrix) / np.maximum(stays @ base, 1e-12) - 1.0
    return result, RoutingStats(
        changes(1.0), changes(factor), float(counted.mean()) if len(counted) else math.nan, 1.0 - target,
        factor, dict(zip(teams, np.maximum(out_ratio, 0.0).tolist(), strict=True)),
        dict(zip(teams, np.maximum(in_ratio, 0.0).tolist(), strict=True)))


def _in_hand(visits: pd.DataFrame, pauses: pd.DataFrame, hours: pd.DatetimeIndex) -> np.ndarray:
    """How many of the visits' tickets the group held (outside pauses) at each of ``hours``."""
    def up_to(times: pd.Series) -> np.ndarray:
        return np.searchsorted(np.sort(times.to_numpy()), hours.to_numpy(), side="right")

    return (up_to(visits["entry"]) - up_to(visits["exit"]) - up_to(pauses["start"]) + up_to(pauses["end"]))


def _slots(load: float, peak: float) -> int:
    """Enough slots for the mean load (square-root staffing, β = 3) and for the busy hours."""
    return max(1, math.ceil(load + 3.0 * math.sqrt(load)), math.ceil(peak))


@dataclass(frozen=True)
class _Context:
    """What every group's learning shares: visits with their team and work, pauses, the clocks."""

    visits: pd.DataFrame
    pauses: pd.DataFrame
    priority: pd.Series
    clock: OnDuty
    code_of: dict[str, int]
    in_class: dict[str, np.ndarray]
    grid: pd.DatetimeIndex
    weeks: float
    fraction: float


_CLASSES = {"weekday": range(5), "weekend": range(5, 7)}


#: Without resolver names, a group's hours come from when it resolves tickets, from this many on.
MIN_RESOLUTIONS_FOR_HOURS = 100


def _hours_from_resolutions(visits: pd.DataFrame, teams: list[str],
                            window: tuple[pd.Timestamp, pd.Timestamp]) -> list[Hours]:
    """Each group's hours from the hours of the week its resolutions fall in (a log without resolver
    names: one row per incident); the assumed office hours where it resolved too few tickets."""
    resolved = visits[visits["resolved_here"].to_numpy(dtype=bool)]
    hours = []
    for team in teams:
        mine = resolved[resolved["team"] == team]
        if len(mine) < MIN_RESOLUTIONS_FOR_HOURS:
            hours.append(learn_on_duty(None))
            continue
        frame = pd.DataFrame({"time": mine["exit"].to_numpy(), "resolver": np.arange(len(mine))})
        profile = activity_profile(frame, pd.Series(team, index=frame.index), *window)
        hours.append(learn_on_duty(profile.loc[team].to_numpy() if team in profile.index else None))
    return hours


def _on_duty_hours(log: RealLog, visits: pd.DataFrame, pooled: dict[str, str], teams: list[str],
                   window: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[list[Hours], pd.DataFrame | None]:
    updates = log.updates
    if updates is None or not updates["resolver"].notna().any():
        return _hours_from_resolutions(visits, teams, window), None
    update_group = updates.groupby("case_id", sort=False)["group"].ffill()
    update_team = update_group.map(pooled)
    update_team[update_group.notna() & update_team.isna()] = OTHER  # before any group: no one's
    profile = activity_profile(updates, update_team, *window)
    return [learn_on_duty(profile.loc[team].to_numpy() if team in profile.index else None)
            for team in teams], profile


def _staffing(context: _Context, team: str, mine: np.ndarray) -> tuple[dict[str, int], dict[str, float]]:
    code = context.code_of[team]
    held = _in_hand(context.visits[mine], context.pauses[context.pauses["team"] == team],
                    context.grid) / context.fraction
    open_hour = context.clock.mask[code, context.grid.day_of_week * 24 + context.grid.hour]
    slots, load = {}, {}
    for name, days in _CLASSES.items():
        on_duty = float(context.clock.weekly_minutes(days)[code]) * context.weeks
        if on_duty <= 0:
            slots[name], load[name] = 0, 0.0
            continue
        load[name] = float(context.in_class[name][mine].sum()) / on_duty / context.fraction
        chosen = open_hour & np.isin(context.grid.day_of_week, list(days))
        peak = float(np.quantile(held[chosen], 0.99)) if chosen.any() else 0.0
        slots[name] = _slots(load[name], peak)
    return slots, load


def _fits(context: _Context, chosen: np.ndarray, hidden: float = 0.0
          ) -> tuple[DurationFit, dict[str, DurationFit]]:
    """The handling time of the ``chosen`` visits, pooled and per priority (from enough visits).

    ``hidden`` visits of no time per visit seen are added: hand-offs the updates do not show
    happened between two logged updates, and their time is already in the visible visits.
    A priority's own fit is the posterior mean of a Dirichlet-process prior centred on the
    pooled visits with :data:`PRIORITY_PRIOR` pseudo-visits: its visits plus that many
    representatives of the pool (evenly spaced order statistics), so a priority seen in a
    group a few dozen times keeps its own shape (a fast low priority stays fast) without
    taking chance for it, where an all-or-nothing threshold gave it the pool's shape,
    which is the commonest priority's, until it had hundreds of visits.
    """
    pooled = _work(context, chosen, hidden)
    by_priority = {}
    for name in sorted(context.priority[chosen].dropna().unique()):
        mine = chosen & (context.priority == name).to_numpy()
        if mine.sum() >= MIN_VISITS_PER_PRIORITY and name != "unknown":
            own = _work(context, mine, hidden)
            prior = _representatives(pooled, PRIORITY_PRIOR)
            by_priority[str(name)] = fit_durations(np.concatenate([own[0], prior[0]]),
                                                   np.concatenate([own[1], prior[1]]))
    return fit_durations(*pooled), by_priority


def _work(context: _Context, chosen: np.ndarray, hidden: float) -> tuple[np.ndarray, np.ndarray]:
    """The handling minutes and censoring of the ``chosen`` visits, with ``hidden`` visits of no
    time per finished one (see :func:`_fits`)."""
    visits = context.visits
    work, censored = visits.loc[chosen, "work_min"].to_numpy(), visits.loc[chosen, "censored"].to_numpy()
    extra = round(hidden * float((~censored).sum()))
    return (np.concatenate([work, np.zeros(extra)]),
            np.concatenate([censored.astype(bool), np.zeros(extra, dtype=bool)]))


def _representatives(sample: tuple[np.ndarray, np.ndarray], count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` values of ``sample`` at evenly spaced ranks (its mid-quantiles), censoring kept."""
    values, censored = sample
    if not len(values):
        return values, censored
    order = np.argsort(values, kind="stable")
    picked = order[np.minimum(((np.arange(count) + 0.5) / count * len(values)).astype(int), len(values) - 1)]
    return values[picked], censored[picked]


#: (pooled, per priority) handling fits of one kind of visit; None when not learned apart
_Fits = tuple[DurationFit | None, dict[str, DurationFit]]


def _handling(context: _Context, mine: np.ndarray, hidden: tuple[float, float] = (0.0, 0.0)
              ) -> tuple[DurationFit, dict[str, DurationFit], _Fits, _Fits]:
    """Handling times of a group's visits by where the ticket goes and where it came from.

    Visits that hand the ticket on to another group are learned apart, and of the others
    those that began with a transfer from another group: a ticket resolved by its first
    group is mostly an easy one, quickly done, while one that reaches a group after a
    misroute has already shown it is hard. The model knows both before it draws the work.
    A kind of visit is learned apart from :data:`MIN_VISITS_PER_OUTCOME` finished visits on
    (otherwise it stays in the group's usual handling). A visit still open at the export has
    an unknown outcome: it is counted, censored, both where it came from and as handed on.
    ``hidden``: the hand-offs the model makes beyond the visible ones, per visible one, out of
    the group and into it (``--routing counted``); each adds a visit of no time to the kind of
    visit it is (see :func:`_fits`).
    """
    visits = context.visits
    transferred = visits["transferred"].to_numpy()
    after = visits["after_transfer"].to_numpy()
    censored = visits["censored"].to_numpy()

    def enough(chosen: np.ndarray) -> bool:
        return bool((chosen & ~censored).sum() >= MIN_VISITS_PER_OUTCOME)

    stayed = mine & ~transferred
    moved: _Fits = (None, {})
    if enough(mine & transferred) and enough(stayed):
        moved = _fits(context, mine & (transferred | censored), hidden[0])
    else:
        stayed = mine
    came: _Fits = (None, {})
    if enough(stayed & after) and enough(stayed & ~after):
        came = _fits(context, stayed & after, hidden[1])
        stayed = stayed & ~after
    return (*_fits(context, stayed), moved, came)


def _group(context: _Context, team: str, hours: Hours, transfer: dict[str, float],
           profile: pd.DataFrame | None, hidden: tuple[float, float]) -> GroupModel:
    visits, pauses = context.visits, context.pauses
    mine = (visits["team"] == team).to_numpy()
    handling, by_priority, (moved, moved_by_priority), (came, came_by_priority) = _handling(
        context, mine, hidden)
    waits = pauses[(pauses["team"] == team) & (pauses["kind"] == "wait")]
    first_waits = waits.sort_values("start").drop_duplicates(["case_id", "step"])
    wait_fit = fit_durations(((waits["end"] - waits["start"]).dt.total_seconds() / 60.0).to_numpy(),
                             waits["censored"].to_numpy()) if len(waits) else None
    after = _after_share(context.clock, context.code_of[team], visits[mine], first_waits)
    slots, load = _staffing(context, team, mine)
    people = 0.0
    open_hours = context.clock.mask[context.code_of[team], :120]
    if profile is not None and team in profile.index and open_hours.any():
        people = float(profile.loc[team].to_numpy()[:120][open_hours].mean())
    work = visits.loc[mine, "work_min"].to_numpy()
    p_wait, p_wait_moved, p_wait_came = _wait_chances(visits, mine)
    if p_wait_moved is not None:  # the hand-offs the updates do not show take no time, and no wait
        p_wait_moved /= 1.0 + hidden[0]
    return GroupModel(
        team, hours, handling, by_priority, moved, moved_by_priority, came, came_by_priority,
        p_wait, wait_fit, after, transfer, slots, load, people,
        int(mine.sum()),
        GroupStats(tuple(sorted({str(g) for g in visits.loc[mine, "group"].unique()})),
                   float(visits.loc[mine, "resolved_here"].mean()),
                   float(visits.loc[mine, "transferred"].mean()), hidden,
                   float((visits["after_transfer"] & ~visits["transferred"])[mine].mean()),
                   float(np.median(work)) if len(work) else math.nan),
        p_wait_when_transferred=p_wait_moved, p_wait_after_transfer=p_wait_came)


def _wait_chances(visits: pd.DataFrame, mine: np.ndarray) -> tuple[float, float | None, float | None]:
    """The share of a group's visits that wait on the user: of those that neither hand the ticket
    on nor came from another group, of those that hand it on, and of the others that came from
    another group — each kind apart from :data:`MIN_VISITS_PER_OUTCOME` visits on (None where not)."""
    waited = (visits["n_waits"] > 0).to_numpy()
    transferred = visits["transferred"].to_numpy(dtype=bool)
    after = visits["after_transfer"].to_numpy(dtype=bool)
    moved, came = mine & transferred, mine & after & ~transferred
    usual = mine & ~transferred & ~after

    def share(chosen: np.ndarray) -> float | None:
        return float(waited[chosen].mean()) if chosen.sum() >= MIN_VISITS_PER_OUTCOME else None

    p_moved, p_came, p_usual = share(moved), share(came), share(usual)
    if p_usual is None:
        return float(waited[mine].mean()), p_moved, p_came
    return p_usual, p_moved, p_came


def learn_groups(log: RealLog, cut: Visits, n_groups: int, window: tuple[pd.Timestamp, pd.Timestamp],
                 entry: pd.Series, routing: str = "history", desk: str = "service_desk",
                 category: pd.Series | None = None,
                 ) -> tuple[list[GroupModel], list[str], RoutingStats, tuple[PathTable, ...]]:
    """Learn every pooled group's model; ``entry`` is the share of escalations reaching each team.

    ``routing`` (:data:`ROUTINGS`): ``"history"`` learns routing with memory, scaled to the
    log's reassignment counts stage by stage (:mod:`simulator.calibration.history`);
    ``"counted"`` a memoryless matrix scaled to the counts (see :func:`_transfers`);
    ``"visible"`` a memoryless matrix of the hand-offs the updates show; ``"paths"`` the
    paths tickets took (:mod:`simulator.calibration.paths`, returned last), with routing
    with memory of the visible hand-offs for the tickets that draw none, by first group × priority
    and, where ``category`` names an incident's category stream, by first group × that stream.
    """
    visits = cut.visits.copy()
    top = pooled_groups(visits, n_groups, log.updates, window)
    pooled = {group: team_name(group) for group in top}
    visits["team"] = visits["group"].astype(str).map(pooled).fillna(OTHER)
    ordered = visits.sort_values(["case_id", "step"])
    following = ordered["case_id"].shift(-1) == ordered["case_id"]
    # handed on to another team (a move between two groups pooled as "other" is no transfer)
    visits["transferred"] = (following & (ordered["team"].shift(-1) != ordered["team"])).reindex(visits.index)
    earlier = ordered["case_id"].shift(1) == ordered["case_id"]
    # came from another team (the first group's visit came from the desk)
    visits["after_transfer"] = (earlier & (ordered["team"].shift(1) != ordered["team"])).reindex(visits.index)
    if routing == "history":  # hand-offs counted but not seen are taken to come first (see _group)
        hidden = cut.hidden_reassignments.reindex(visits["case_id"]).fillna(0).to_numpy() > 0
        visits["after_transfer"] |= hidden & (visits["step"] == 0).to_numpy()
    teams = [pooled[group] for group in top] + ([OTHER] if (visits["team"] == OTHER).any() else [])
    code_of = {team: i for i, team in enumerate(teams)}
    hours, profile = _on_duty_hours(log, visits, pooled, teams, window)
    clock = OnDuty.from_hours(hours)
    code = visits["team"].map(code_of).to_numpy(dtype=int)
    pauses = cut.pauses.merge(visits[["case_id", "step", "team"]], on=["case_id", "step"])
    pause_code = pauses["team"].map(code_of).to_numpy(dtype=int)
    visits["work_min"] = _on_duty_minutes(clock, code, visits, pauses, pause_code, None)
    context = _Context(
        visits, pauses, visits["case_id"].map(log.incidents["priority"]), clock, code_of,
        {name: _on_duty_minutes(clock, code, visits, pauses, pause_code, days)
         for name, days in _CLASSES.items()},
        pd.date_range(window[0], window[1], freq="h", inclusive="left"),
        (window[1] - window[0]) / pd.Timedelta(days=7), log.sample_fraction)
    counted = log.incidents.loc[log.incidents["first_group"].notna(), "n_reassigned"].dropna()
    if routing in ("visible", "paths"):
        counted = counted.iloc[:0]  # no counts to match: the visible hand-offs as they are
    rules: dict[str, tuple[HistoryRule, ...]] = {}
    if routing in ("history", "paths"):
        # like the visits it learns from, the counts of incidents still open are not final: left out
        finished = counted[log.incidents.loc[counted.index, "resolved"].notna().to_numpy()]
        history = learn_history(visits, teams, log.incidents["priority"], finished, desk)
        transfers, routing_stats, rules = history.transfer, history.stats, history.rules
    else:
        transfers, routing_stats = _transfers(visits, teams, entry, counted)
    models = [replace(_group(context, team, hours[code_of[team]], transfers[team], profile,
                             (routing_stats.hidden_out[team],
                              0.0 if routing == "history" else routing_stats.hidden_in[team])),
                      history=rules.get(team, ())) for team in teams]
    paths = learn_paths(visits, log.incidents["priority"], category) if routing == "paths" else ()
    return models, teams, routing_stats, paths


def _after_share(clock: OnDuty, code: int, visits: pd.DataFrame, first_waits: pd.DataFrame) -> float:
    """Share of a visit's work done before its first wait on the user (mean over visits that wait)."""
    joined = first_waits.merge(visits[["case_id", "step", "entry", "work_min"]], on=["case_id", "step"])
    joined = joined[joined["work_min"] > 0]
    if joined.empty:
        return 0.5
    codes = np.full(len(joined), code)
    before = clock.minutes(codes, joined["start"]) - clock.minutes(codes, joined["entry"])
    return float(np.clip(before / joined["work_min"].to_numpy(), 0.0, 1.0).mean())
