"""Calibration layer: learn a mimsim scenario from a real incident log.

:func:`learn` measures the log and returns a typed :class:`~simulator.calibration.learned.Learned`;
:func:`calibrate` is :func:`learn` followed by
:func:`~simulator.calibration.assemble.assemble`, which writes it as a scenario.
What is learned, and from what (docs/calibration.md says why):

* **arrivals** — volume per day over the log's active period (days from the first to
  the last whose week-long neighbourhood holds at least a tenth of the busiest week's
  incidents: exports often end in a thin tail of stragglers), and a weekly 7×24 table
  of shares; one stream per priority, and per priority × category where the log has a
  category (:func:`stream_of`), so that the desk can route each its own way
  (``escalation_by_category``);
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
from dataclasses import replace

import numpy as np
import pandas as pd

from simulator.calibration.assemble import assemble
from simulator.calibration.columns import column_use
from simulator.calibration.fitting import DurationFit, fit_durations, km_quantiles, share_below
from simulator.calibration.groups import OTHER, learn_groups, pooled_groups, team_name
from simulator.calibration.learned import (
    DESK,
    DESK_STEP_ENDS,
    MIN_STREAM_INCIDENTS,
    PROFILE_PRIOR,
    STREAM_PRIOR,
    ArrivalStats,
    Calibration,
    DeskModel,
    Learned,
    ReopenModel,
    ResolutionSummary,
    SlaTarget,
    Stream,
    written_closure_min,
)
from simulator.calibration.reallog import RealLog
from simulator.calibration.visits import cut_visits

__all__ = ["DESK", "Calibration", "active_period", "calibrate", "learn", "priority_names"]

WARMUP_DAYS = 14

_DAY = pd.Timedelta(days=1)
#: Candidate SLA resolution targets (minutes): 1 h to 30 days.
_SLA_CANDIDATES = [60.0 * h for h in (1, 2, 4, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 720)]


#: Priority names tools use, highest first (Jira's and the usual words), for ordering them.
PRIORITY_WORDS = ("blocker", "critical", "highest", "urgent", "high", "major", "medium", "normal", "moderate",
                  "minor", "low", "lowest", "trivial")


def priority_names(incidents: pd.DataFrame) -> list[str]:
    """The log's priorities, highest first (``P1`` before ``P2``; ``Highest`` before ``High``
    before ``Medium``; other names alphabetically; ``unknown`` last)."""
    def key(name: str) -> tuple[int, float, str]:
        digits = name[1:] if name.startswith("P") and name[1:].isdigit() else None
        word = name.strip().lower()
        rank = float(digits) if digits else float(PRIORITY_WORDS.index(word)) if word in PRIORITY_WORDS \
            else math.inf
        return (name == "unknown", rank, name)

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


def _mean_week(opened: pd.Series, per_weekday: np.ndarray) -> np.ndarray:
    """Mean incidents per hour of the week (7 × 24), each weekday averaged over its days."""
    counts = np.zeros((7, 24))
    np.add.at(counts, (opened.dt.day_of_week.to_numpy(), opened.dt.hour.to_numpy()), 1)
    return counts / np.maximum(per_weekday, 1)[:, None]


Weekly = list[list[float]]


def stream_of(incidents: pd.DataFrame) -> pd.Series:
    """Each incident's arrival stream: ``"P3 network"`` where its priority × category has
    :data:`MIN_STREAM_INCIDENTS` incidents and its priority comes in more than one category,
    else its priority (a log without categories: one stream per priority)."""
    priority = incidents["priority"].astype(str)
    category = incidents["category"]
    known = category.notna().to_numpy()
    cell = pd.Series(np.where(known, priority + " " + category.astype(str), priority), index=incidents.index)
    counts = cell[known].value_counts()
    own = counts[counts >= MIN_STREAM_INCIDENTS].index
    whole = priority.value_counts()
    own = [name for name in own if counts[name] < whole[priority[cell == name].iloc[0]]]
    return cell.where(cell.isin(own), priority)


def _streams(incidents: pd.DataFrame, names: list[str], stream: pd.Series) -> tuple[Stream, ...]:
    """The streams, per priority (highest first) its categories by size, then its other incidents."""
    counts = stream.value_counts()
    result = []
    for name in names:
        mine = counts[stream[(incidents["priority"] == name).to_numpy()].unique()]
        for label, n in sorted(mine.items(), key=lambda item: (item[0] == name, -item[1], item[0])):
            category = None if label == name else str(label)[len(name) + 1:]
            result.append(Stream(str(label), name, category, int(n), n / len(incidents)))
    return tuple(result)


def _arrivals(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, fraction: float,
              stream: pd.Series) -> tuple[float, Weekly, dict[str, Weekly], ArrivalStats]:
    """Volume per day, the weekly profile of all incidents, and each stream's own profile.

    A stream's profile (priorities can keep other hours: monitoring alerts at night) is its
    own shares shrunk towards all incidents' by :data:`PROFILE_PRIOR` pseudo-incidents (a
    Dirichlet prior centred on them), so that a rare stream does not get hours without
    arrivals from chance alone.
    """
    opened = incidents["opened"]
    days = pd.Series(pd.date_range(start, end, freq="D", inclusive="left"))
    per_weekday = days.dt.day_of_week.value_counts().reindex(range(7), fill_value=0).to_numpy()
    overall = _mean_week(opened, per_weekday)
    shares = overall / overall.sum()
    weekly = _round_shares(overall.ravel()).reshape(7, 24)
    by_stream = {}
    for name in stream.unique():
        mine = opened[(stream == name).to_numpy()]
        own = _mean_week(mine, per_weekday)
        n = len(mine)
        blended = (n * own / max(own.sum(), 1e-12) + PROFILE_PRIOR * shares) / (n + PROFILE_PRIOR)
        by_stream[str(name)] = _round_shares(blended.ravel()).reshape(7, 24).tolist()
    volume = len(opened) / len(days) / fraction
    return volume, weekly.tolist(), by_stream, ArrivalStats(len(opened), len(days), volume, fraction)


Cells = dict[str, dict[int, dict[int, float]]]


def _priorities(incidents: pd.DataFrame, names: list[str]) -> tuple[Cells, list[list[str]]]:
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
    cells: Cells = {}
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


#: A desk step longer than this is not a desk step (a ticket parked before anyone answered).
_DESK_STEP_LIMIT_MIN = 7 * 24 * 60.0
_MIN_DESK_STEPS = 20


def _desk_step(incidents: pd.DataFrame) -> tuple[str | None, DurationFit | None, float]:
    """The desk's step: opened → first response where the log has it, else opened → record saved.

    Returns the column used (None: neither, the 5-minute assumption), the fit and its mean
    in minutes.
    """
    for column in DESK_STEP_ENDS:
        minutes = ((incidents[column] - incidents["opened"]).dt.total_seconds() / 60.0).dropna()
        minutes = minutes[(minutes >= 0) & (minutes < (_DESK_STEP_LIMIT_MIN if column == "first_response"
                                                       else 24 * 60))]
        if len(minutes) >= _MIN_DESK_STEPS:
            return column, fit_durations(minutes.to_numpy()), float(np.mean(minutes))
    return None, None, 5.0


def _first_groups(incidents: pd.DataFrame, names: list[str], streams: tuple[Stream, ...], stream: pd.Series
                  ) -> tuple[dict[str, float], dict[str, pd.Series], pd.Series]:
    """Per stream the share never assigned to a group and the first group's shares; and overall.

    A category's stream has its own shares shrunk towards its priority's by :data:`STREAM_PRIOR`
    pseudo-incidents (a category seen a hundred times leans on its priority a third of the way).
    """
    first = incidents["first_group"].astype(object).map(
        lambda group: None if pd.isna(group) else str(group))
    fcr, escalation = {}, {}
    overall = first.dropna().value_counts(normalize=True)
    by_priority: dict[str, tuple[float, pd.Series]] = {}
    for name in names:
        mine = first[incidents["priority"] == name]
        shares = mine.dropna().value_counts(normalize=True)
        by_priority[name] = (float(mine.isna().mean()) if len(mine) else 0.0,
                             shares if len(shares) else overall)
    for chosen in streams:
        base_fcr, base_shares = by_priority[chosen.priority]
        mine = first[(stream == chosen.name).to_numpy()]
        n = float(len(mine))
        weight = n / (n + STREAM_PRIOR) if chosen.category is not None else 1.0
        own_fcr = float(mine.isna().mean()) if len(mine) else base_fcr
        fcr[chosen.name] = weight * own_fcr + (1.0 - weight) * base_fcr
        own = mine.dropna().value_counts(normalize=True)
        if not len(own):
            own, weight = base_shares, 0.0
        blended = own.mul(weight).add(base_shares.mul(1.0 - weight), fill_value=0.0)
        escalation[chosen.name] = blended[blended > 0] / blended.sum()
    return fcr, escalation, overall


def _desk(incidents: pd.DataFrame, names: list[str], peak_per_hour: float, teams: list[str],
          escalation: dict[str, pd.Series], fcr: dict[str, float]) -> DeskModel:
    step, handling, mean = _desk_step(incidents)
    resolved = _resolved_at_the_desk(incidents)
    fcr_share = float(incidents["first_group"].isna().mean())
    if resolved is not None:  # the desk's slots hold its first-contact resolutions too
        mean = (1.0 - fcr_share) * mean + fcr_share * resolved[1]
    load = peak_per_hour * mean / 60.0
    agents = max(1, math.ceil(load + 3 * math.sqrt(load)))
    pooled = {priority: _pooled_shares(shares, teams) for priority, shares in escalation.items()}
    return DeskModel(DESK, handling, fcr, pooled, agents, load, step,
                     resolved[0] if resolved is not None else None)


def _resolved_at_the_desk(incidents: pd.DataFrame) -> tuple[DurationFit, float] | None:
    """Opened → resolved of the incidents never assigned to a group (the desk's first-contact
    resolutions), from :data:`_MIN_DESK_STEPS` of them on: the fit and its mean in minutes."""
    mine = incidents[incidents["first_group"].isna() & incidents["resolved"].notna()]
    minutes = ((mine["resolved"] - mine["opened"]).dt.total_seconds() / 60.0).to_numpy()
    minutes = minutes[minutes >= 0]
    if len(minutes) < _MIN_DESK_STEPS:
        return None
    return fit_durations(minutes), float(np.mean(minutes))


def _pooled_shares(shares: pd.Series, teams: list[str]) -> dict[str, float]:
    pooled: dict[str, float] = {}
    for group, share in shares.items():
        team = team_name(str(group))
        team = team if team in teams else "other"
        pooled[team] = pooled.get(team, 0.0) + float(share)
    values = _round_shares(np.array(list(pooled.values())), 6)
    return {team: float(value) for team, value in zip(pooled, values, strict=True) if value > 0}


def _reopen(incidents: pd.DataFrame, pauses: pd.DataFrame, closure_min: float) -> ReopenModel:
    """The reopen rate and delay, consistent with the closure delay.

    In the model a ticket is reopened only before it closes; so the probability written is
    the observed share divided by the share of delays shorter than the closure delay. A
    log without reopen times (a per-incident ``reopens`` count) gets an assumed delay of a
    day at the median (4 days at the 90th percentile), within the closure delay where
    that is shorter.
    """
    resolved = incidents[incidents["resolved"].notna()]
    share = float((resolved["n_reopened"].fillna(0) > 0).mean()) if len(resolved) else 0.0
    spells = pauses[pauses["kind"] == "reopen"]
    delay: DurationFit | None = None
    spec: dict[str, object] = {"dist": "lognormal", "median": 1440.0, "p90": 5760.0}
    closure = written_closure_min(closure_min)
    if len(spells) >= 10:
        minutes = ((spells["end"] - spells["start"]).dt.total_seconds() / 60.0).to_numpy()
        delay = fit_durations(minutes, spells["censored"].to_numpy())
        spec = delay.spec
    elif closure > 0:
        spec = {"dist": "lognormal", "median": min(1440.0, closure / 4.0), "p90": min(5760.0, closure * 0.75)}
    within = share_below(spec, closure) if closure > 0 else 1.0
    probability = min(share / within, 1.0) if within > 0 else share
    return ReopenModel(probability, delay, share, within, None if delay is not None else spec)


def _sla(incidents: pd.DataFrame, names: list[str]) -> dict[str, SlaTarget]:
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
        result[name] = SlaTarget(_SLA_CANDIDATES[best], agreement[best], float(flag.mean()), int(mine.sum()))
    return result


def _active(log: RealLog) -> tuple[RealLog, pd.Timestamp, pd.Timestamp]:
    """The log without the incidents opened outside its active period (counted as a problem)."""
    start, end = active_period(log.incidents["opened"])
    within = (log.incidents["opened"] >= start) & (log.incidents["opened"] < end)
    problems = dict(log.problems)
    if (~within).sum():
        problems["opened outside the log's active period (left out)"] = int((~within).sum())
    incidents = log.incidents[within.to_numpy()]
    updates = log.updates
    if updates is not None:
        updates = updates[updates["case_id"].isin(incidents.index)]
    return replace(log, incidents=incidents, updates=updates, problems=problems), start, end


def learn(log: RealLog, n_groups: int = 8, name: str | None = None, routing: str = "history") -> Learned:
    """Measure everything a scenario needs from ``log`` (see the module docstring).

    ``routing``: one of :data:`~simulator.calibration.groups.ROUTINGS` (see
    :func:`~simulator.calibration.groups.learn_groups`).
    """
    log, start, end = _active(log)
    incidents = log.incidents
    names = priority_names(incidents)
    stream = stream_of(incidents)
    streams = _streams(incidents, names, stream)
    volume, weekly, weekly_by_stream, arrival_stats = _arrivals(incidents, start, end, log.sample_fraction,
                                                                stream)
    cells, matrix = _priorities(incidents, names)
    fcr, escalation, entry = _first_groups(incidents, names, streams, stream)
    cut = cut_visits(log)
    categories = pd.Series({s.name: s.category for s in streams})
    entry_by_team = _entry_by_team(entry, cut.visits, n_groups, log.updates, (start, end))
    groups, teams, routing_stats, paths = learn_groups(
        log, cut, n_groups, (start, end), entry_by_team, routing, DESK,
        stream.where(stream.map(categories).notna()))
    desk = _desk(incidents, names, volume * 7 * float(np.max(weekly)), teams, escalation, fcr)
    closing = (incidents["closed"] - incidents["resolved"]).dt.total_seconds() / 60.0
    closing = closing[(incidents["n_reopened"].fillna(0) == 0).to_numpy()].dropna()
    closure_min = float(closing.median()) if len(closing) else 0.0
    sla = _sla(incidents, names)
    return Learned(
        name=name or "calibrated", source=log.source, start=start, end=end, exported=log.exported,
        n_incidents=len(incidents), volume=volume, weekly=weekly, weekly_by_stream=weekly_by_stream,
        arrivals=arrival_stats,
        priorities=names,
        mix=incidents["priority"].value_counts(normalize=True).reindex(names).fillna(0).to_dict(),
        cells=cells, matrix=matrix, desk=desk, groups=groups, routing=routing_stats, paths=paths,
        reopen=_reopen(incidents, cut.pauses, closure_min), closure_min=closure_min,
        sla=sla, resolution=_resolution_summary(incidents, log.exported),
        problems=log.problems, warmup_days=WARMUP_DAYS,
        columns=column_use(log, routing, desk.step_end, bool(sla)), streams=streams)


def calibrate(log: RealLog, n_groups: int = 8, name: str | None = None,
              routing: str = "history") -> Calibration:
    """Learn a scenario from ``log`` (:func:`learn`) and write it as plain data (:func:`assemble`)."""
    return assemble(learn(log, n_groups, name, routing))


def _entry_by_team(entry: pd.Series, visits: pd.DataFrame, n_groups: int, updates: pd.DataFrame,
                   window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    top = {team_name(group) for group in pooled_groups(visits, n_groups, updates, window)}
    pooled: dict[str, float] = {}
    for group, share in entry.items():
        team = team_name(str(group))
        team = team if team in top else OTHER
        pooled[team] = pooled.get(team, 0.0) + float(share)
    return pd.Series(pooled)


def _resolution_summary(incidents: pd.DataFrame, exported: pd.Timestamp) -> dict[str, ResolutionSummary]:
    """Opened → resolved (hours) per priority by Kaplan–Meier, open incidents censored at the export."""
    end = incidents["resolved"].fillna(exported)
    hours = ((end - incidents["opened"]).dt.total_seconds() / 3600.0).to_numpy()
    censored = incidents["resolved"].isna().to_numpy()
    summary: dict[str, ResolutionSummary] = {}
    for name, chosen in [("all", np.ones(len(hours), bool)),
                         *[(p, (incidents["priority"] == p).to_numpy())
                           for p in incidents["priority"].unique()]]:
        median, p90 = km_quantiles(hours[chosen], censored[chosen], np.array([0.5, 0.9]))
        summary[str(name)] = ResolutionSummary(int(chosen.sum()), int(censored[chosen].sum()),
                                               float(median), float(p90))
    return summary
