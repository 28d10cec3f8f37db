"""Calibration layer: routing with memory, learned from the paths tickets took between groups.

Where a ticket goes after a group depends on what it has been through: a ticket that
has already been handed on twice is more likely to be handed on again than a fresh
one, and where it goes depends on where it came from. The learned routing keeps that
memory (:mod:`simulator.scenario.routing`): per group, where tickets go next given the
number of hand-offs so far (0, 1, 2, 3 or more) and the group they came from.

**Estimation.** Every visit of a ticket to a group (consecutive visits to groups pooled
into one team count as one) has a state — its team, the team it came from, the
hand-offs before it — and an outcome: the next team, or resolved. A visit still open at
the export has no outcome yet and is left out. Rare states borrow from common ones by
*back-off smoothing*: the shares given the hand-offs so far are shrunk towards the
group's overall shares, and those given the previous group too towards the former, each
with :data:`PRIOR_VISITS` pseudo-visits of the coarser estimate (a Dirichlet prior
centred on it). A rule is written for every group and count of hand-offs (so that the
count's own share of hand-ons holds, see below), and for each previous group from
:data:`MIN_RULE_VISITS` visits on; rarer histories fall back to their count's rule.

**Counted hand-offs.** Where a log counts reassignments per incident and its updates
show fewer (missing updates hide some), the hand-on probabilities of each stage — the
first group's visit, the visit after one hand-off, after two, after three or more —
are scaled (each state capped at :data:`MAX_HAND_ON`) so that the model hands tickets on
at that stage exactly as often as the counts say: the share of escalated tickets with at
least *k* + 1 reassignments among those with at least *k*, and for three or more the
geometric continuation with the counts' mean excess. The destinations keep the visible
shares. So the whole counted distribution (0, 1, 2, 3+ and the tail's mean) is matched,
where a memoryless matrix can match only one share of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MIN_RULE_VISITS", "PRIOR_VISITS", "STAGES", "HistoryRouting", "HistoryRule", "RoutingStats",
           "learn_history", "scaled_shares"]

#: Pseudo-visits of the coarser estimate each state's shares are shrunk towards.
PRIOR_VISITS = 10.0
#: A previous group gets its own rule from this many visits in that state on.
MIN_RULE_VISITS = 30
#: No history hands every ticket on: each state resolves at least 5 % of its tickets.
MAX_HAND_ON = 0.95
#: Hand-off counts told apart: 0, 1, 2 and "3 or more".
STAGES = 4
RESOLVED = "(resolved)"


@dataclass(frozen=True)
class RoutingStats:
    """How the routing was scaled to the counted hand-offs (memoryless or with memory)."""

    visible_per_ticket: float  # hand-offs per ticket assigned to a group, as the updates show them
    model_per_ticket: float  # as the model makes them
    counted_per_ticket: float  # as the log counts them (NaN without counts)
    counted_share_none: float  # share of escalated tickets never reassigned, by the counts
    factor: float  # on every visible transfer probability (with memory: modelled per visible hand-off)
    hidden_out: dict[str, float]  # team → hand-offs out of it beyond the visible ones, per visible one
    hidden_in: dict[str, float]  # and into it
    stage_factors: tuple[float, ...] = ()  # routing with memory: on hand-ons at 0, 1, 2, 3+ hand-offs


@dataclass(frozen=True)
class HistoryRule:
    """Where tickets at ``team`` with this history go next (routing with memory)."""

    came_from: str | None  # None: whatever the previous group
    handoffs: int  # hand-offs before the visit; the last stage means "or more"
    transfer: dict[str, float]
    visits: int  # visits seen in this state
    priority: str | None = None  # None: whatever the priority


@dataclass(frozen=True)
class HistoryRouting:
    """Per team its rules (most specific first) and its overall (memoryless) transfer."""

    rules: dict[str, tuple[HistoryRule, ...]]
    transfer: dict[str, dict[str, float]]
    stats: RoutingStats


def _team_visits(visits: pd.DataFrame, desk: str, priority: pd.Series) -> pd.DataFrame:
    """One row per stay with a team: ``case_id``, ``team``, ``came_from``, ``handoffs``, ``priority``,
    ``outcome``."""
    ordered = visits.sort_values(["case_id", "step"])
    new_case = (ordered["case_id"] != ordered["case_id"].shift()).to_numpy()
    new_team = new_case | (ordered["team"] != ordered["team"].shift()).to_numpy()
    runs = ordered[new_team].copy()
    runs["censored"] = ordered["censored"].groupby(np.cumsum(new_team)).last().to_numpy()
    same_case_next = (runs["case_id"].shift(-1) == runs["case_id"]).to_numpy()
    same_case_before = (runs["case_id"].shift(1) == runs["case_id"]).to_numpy()
    runs["came_from"] = np.where(same_case_before, runs["team"].shift(1), desk)
    runs["handoffs"] = runs.groupby("case_id", sort=False).cumcount()
    runs["priority"] = runs["case_id"].map(priority).astype(str)
    runs["outcome"] = np.where(same_case_next, runs["team"].shift(-1), RESOLVED)
    unknown = ~same_case_next & runs["censored"].to_numpy(dtype=bool)  # still open at the export
    return runs.loc[~unknown, ["case_id", "team", "came_from", "handoffs", "priority", "outcome"]]


def _shares(outcomes: pd.Series, columns: list[str]) -> tuple[np.ndarray, int]:
    counts = outcomes.value_counts().reindex(columns, fill_value=0).to_numpy(dtype=float)
    return counts, int(counts.sum())


def _smoothed(counts: np.ndarray, n: int, prior: np.ndarray) -> np.ndarray:
    return (counts + PRIOR_VISITS * prior) / (n + PRIOR_VISITS)


#: Estimated outcome shares of a state, and the visits seen in it.
_Estimate = tuple[np.ndarray, int]


@dataclass
class _States:
    """Estimated outcome shares per state; ``columns``: the teams then :data:`RESOLVED`."""

    columns: list[str]
    base: dict[str, np.ndarray]  # team → shares
    by_stage: dict[tuple[str, int], _Estimate]  # (team, stage)
    by_source: dict[tuple[str, str, int], _Estimate]  # (team, came from, stage)
    by_priority: dict[tuple[str, str, int], _Estimate]  # (team, priority, stage)

    def shares(self, team: str, source: str, stage: int, priority: str) -> np.ndarray:
        """The shares of the first rule a ticket in this state takes (see :func:`_rules`)."""
        for specific in (self.by_source.get((team, source, stage)),
                         self.by_priority.get((team, priority, stage))):
            if specific is not None and specific[1] >= MIN_RULE_VISITS:
                return specific[0]
        return self.by_stage[(team, stage)][0]


def _refined(frame: pd.DataFrame, column: str, columns: list[str], prior: np.ndarray
             ) -> dict[str, _Estimate]:
    """Shares per value of ``column``, each shrunk towards ``prior``."""
    result = {}
    for value, chosen in frame.groupby(column):
        counts, n = _shares(chosen["outcome"], columns)
        result[str(value)] = (_smoothed(counts, n, prior), n)
    return result


def _estimate(stays: pd.DataFrame, teams: list[str]) -> _States:
    columns = [*teams, RESOLVED]
    stays = stays.assign(stage=np.minimum(stays["handoffs"].to_numpy(), STAGES - 1))
    states = _States(columns, {}, {}, {}, {})
    for team in teams:
        mine = stays[stays["team"] == team]
        counts, n = _shares(mine["outcome"], columns)
        states.base[team] = counts / n if n else np.eye(len(columns))[-1]
        for stage in range(STAGES):
            here = mine[mine["stage"] == stage]
            counts, n = _shares(here["outcome"], columns)
            level = _smoothed(counts, n, states.base[team])
            states.by_stage[(team, stage)] = (level, n)
            for priority, estimate in _refined(here, "priority", columns, level).items():
                states.by_priority[(team, priority, stage)] = estimate
            if stage > 0:  # a first visit always came from the desk
                for source, estimate in _refined(here, "came_from", columns, level).items():
                    states.by_source[(team, source, stage)] = estimate
    return states


def _scaled(shares: np.ndarray, factor: float) -> np.ndarray:
    """Hand-on shares × ``factor`` (their total capped at :data:`MAX_HAND_ON`); the rest resolves."""
    handed = shares[:-1]
    total = float(handed.sum())
    if total <= 0.0 or factor == 1.0:
        return shares
    new_total = min(total * factor, max(MAX_HAND_ON, total))
    return np.append(handed * new_total / total, 1.0 - new_total)


def scaled_shares(transfer: dict[str, float], factor: float) -> dict[str, float]:
    """Transfer shares × ``factor`` (their total capped at :data:`MAX_HAND_ON`), destinations kept."""
    total = math.fsum(transfer.values())
    if total <= 0.0 or factor == 1.0:
        return transfer
    ratio = min(total * factor, max(MAX_HAND_ON, total)) / total
    return {name: round(share * ratio, 4) for name, share in transfer.items() if round(share * ratio, 4) > 0}


#: Mass of tickets entering a stage, per (team, came from, priority).
_Masses = dict[tuple[str, str, str], float]


class _Chain:
    """Mass of tickets per state, stage by stage, for given factors per stage."""

    def __init__(self, states: _States, teams: list[str], desk: str, entry: _Masses) -> None:
        self.states = states
        self.teams = teams
        self.desk = desk
        self.entry = entry  # (first team, desk, priority) → share of escalated tickets

    def _shares(self, state: tuple[str, str, str], stage: int, factors: list[float]) -> np.ndarray:
        team, source, priority = state
        return _scaled(self.states.shares(team, source, stage, priority), factors[stage])

    def stage_masses(self, factors: list[float]) -> list[_Masses]:
        """Per stage, the mass of tickets entering it in each state; the last stage counts first
        entries only."""
        masses = [dict(self.entry)]
        for stage in range(STAGES - 1):
            following: _Masses = {}
            for state, mass in masses[stage].items():
                shares = self._shares(state, stage, factors)
                for target, share in zip(self.teams, shares[:-1], strict=True):
                    if share > 0:
                        key = (target, state[0], state[2])
                        following[key] = following.get(key, 0.0) + mass * share
            masses.append(following)
        return masses

    def handed_on(self, stage: int, factors: list[float]) -> float:
        """The share of tickets at ``stage`` that are handed on."""
        mass = self.stage_masses(factors)[stage]
        total = sum(mass.values())
        if total <= 0:
            return 0.0
        return sum(weight * float(self._shares(state, stage, factors)[:-1].sum())
                   for state, weight in mass.items()) / total

    def moves(self, factors: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """Expected hand-offs per escalated ticket out of and into each team (the last stage as a
        geometric tail with its mean continuation)."""
        out, into = np.zeros(len(self.teams)), np.zeros(len(self.teams))
        index = {team: i for i, team in enumerate(self.teams)}
        for stage, mass in enumerate(self.stage_masses(factors)):
            repeat = 1.0
            if stage == STAGES - 1:
                repeat = 1.0 / (1.0 - min(self.handed_on(stage, factors), MAX_HAND_ON))
            for state, weight in mass.items():
                shares = self._shares(state, stage, factors)[:-1]
                out[index[state[0]]] += weight * repeat * float(shares.sum())
                into += weight * repeat * shares
        return out, into


def _targets(counted: pd.Series) -> list[float]:
    """Per stage, the counted share of tickets handed on among those that reached it."""
    counts = counted.to_numpy(dtype=float)
    targets = []
    for stage in range(STAGES - 1):
        reached = counts >= stage
        targets.append(float((counts[reached] >= stage + 1).mean()) if reached.any() else math.nan)
    tail = counts[counts >= STAGES - 1] - (STAGES - 1)
    mean_excess = float(tail.mean()) if len(tail) else math.nan
    targets.append(mean_excess / (1.0 + mean_excess) if math.isfinite(mean_excess) else math.nan)
    return targets


def _fit_factors(chain: _Chain, targets: list[float]) -> list[float]:
    """Stage by stage, the factor whose share handed on equals the counted one (bisection)."""
    factors = [1.0] * STAGES
    for stage, target in enumerate(targets):
        if not math.isfinite(target) or chain.handed_on(stage, [*factors[:stage], 1.0,
                                                               *factors[stage + 1:]]) <= 0:
            continue
        low, high = 0.0, 50.0
        for _ in range(40):  # the share handed on grows with the factor
            factors[stage] = (low + high) / 2
            if chain.handed_on(stage, factors) < target:
                low = factors[stage]
            else:
                high = factors[stage]
        factors[stage] = (low + high) / 2
    return factors


def _rules(states: _States, team: str, factors: list[float]) -> tuple[HistoryRule, ...]:
    """A team's rules: per previous group, then per priority (each where seen often enough), then per
    stage; the first a ticket matches is its rule, as :meth:`_States.shares` reads them."""
    def transfer(shares: np.ndarray, stage: int) -> dict[str, float]:
        scaled = _scaled(shares, factors[stage])
        return {name: round(float(p), 4) for name, p in zip(states.columns[:-1], scaled[:-1], strict=True)
                if round(float(p), 4) > 0}

    by_source = [HistoryRule(source, stage, transfer(shares, stage), n)
                 for (name, source, stage), (shares, n) in states.by_source.items()
                 if name == team and n >= MIN_RULE_VISITS]
    by_priority = [HistoryRule(None, stage, transfer(shares, stage), n, priority)
                   for (name, priority, stage), (shares, n) in states.by_priority.items()
                   if name == team and n >= MIN_RULE_VISITS]
    general = [HistoryRule(None, stage, transfer(shares, stage), n)
               for stage in range(STAGES) for shares, n in [states.by_stage[(team, stage)]]]
    return (*sorted(by_source, key=lambda rule: (rule.handoffs, -rule.visits)),
            *sorted(by_priority, key=lambda rule: (rule.handoffs, -rule.visits)), *general)


def _entries(stays: pd.DataFrame, desk: str) -> _Masses:
    """The share of escalated tickets in each first state (first team, the desk, priority)."""
    first = stays[stays["handoffs"] == 0]
    shares = first.groupby(["team", "priority"]).size() / max(len(first), 1)
    return {(str(team), desk, str(priority)): float(share) for (team, priority), share in shares.items()}


def learn_history(visits: pd.DataFrame, teams: list[str], priority: pd.Series, counted: pd.Series,
                  desk: str) -> HistoryRouting:
    """Routing with memory from ``visits`` (with their ``team``); see the module docstring.

    ``priority``: each case's priority; ``counted``: reassignments per escalated incident as
    the log counts them (empty: match the visible hand-offs as they are).
    """
    stays = _team_visits(visits, desk, priority)
    states = _estimate(stays, teams)
    chain = _Chain(states, teams, desk, _entries(stays, desk))
    visible = [1.0] * STAGES
    factors = _fit_factors(chain, _targets(counted)) if len(counted) else visible
    rules = {team: _rules(states, team, factors) for team in teams}
    transfer = {team: {name: float(p) for name, p in zip(teams, states.base[team][:-1], strict=True) if p > 0}
                for team in teams}
    seen_out, seen_in = chain.moves(visible)
    model_out, model_in = chain.moves(factors)
    ratio_out = np.where(seen_out > 0, model_out / np.maximum(seen_out, 1e-12) - 1.0, 0.0)
    ratio_in = np.where(seen_in > 0, model_in / np.maximum(seen_in, 1e-12) - 1.0, 0.0)
    stats = RoutingStats(
        float(seen_out.sum()), float(model_out.sum()),
        float(counted.mean()) if len(counted) else math.nan,
        float((counted == 0).mean()) if len(counted) else 1.0 - chain.handed_on(0, visible),
        float(model_out.sum() / seen_out.sum()) if seen_out.sum() > 0 else 1.0,
        dict(zip(teams, np.maximum(ratio_out, 0.0).tolist(), strict=True)),
        dict(zip(teams, np.maximum(ratio_in, 0.0).tolist(), strict=True)),
        tuple(factors))
    return HistoryRouting(rules, transfer, stats)
