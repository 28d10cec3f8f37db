"""Experiment layer: the queueing formulas' first cut at a roster, and what they predict for one.

Per team and hour of the week, the *lagged offered load* (:func:`offered_load`) of
the work that reaches it:

* the service desk takes every arrival (streams with a ``volume``) for its handling time;
* a resolver group takes what the desk escalates to it (1 − first-contact resolution,
  times the escalation share, per category) and what other groups transfer to it
  (the expected visits of the routing chain), for its handling time per priority.

Then, per target, what the formulas can say (Erlang C, :mod:`simulator.metrics.analytic`):

* ``sla_response_attainment`` (overall or a priority): the desk, per hour, needs the
  fewest agents whose Erlang C service level within the response target reaches the
  target (overall: averaged over the priorities' shares). The queue is treated as
  first come, first served and the clock as 24x7 — optimistic for low priorities,
  pessimistic for high ones, and strict out of business hours;
* ``mtta_min`` (overall or a priority): the desk's Erlang C mean wait, per hour;
* ``CHANNEL.service_level``, ``CHANNEL.abandon_rate``, ``CHANNEL.asa_s``: Erlang A
  (:func:`~simulator.metrics.analytic.erlang_a`) on the desk's pooled load with the channel's
  mean patience and answer time, for a channel whose contacts abandon; Erlang C otherwise
  (the desk is one pool of agents; the speed of answer is the formula's mean wait over all
  contacts, abandoned ones included);
* ``TEAM.queue_wait_min``: that team's Erlang C mean wait, in the hours it is on duty;
* ``TEAM.utilisation <= u``: the occupancy cap below, at u for that team.

Every team also needs, in each hour it is on duty, its lagged load ÷ ``max_occupancy``
(0.85 by default, the usual cap), and each day's work within its hours on duty that day
at that occupancy — work that arrives while the team is off is counted on its next hour
on duty. Resolution attainment, MTTR and outage KPIs have no formula: the simulation
search decides them. The cheapest roster meeting the hourly and daily requirements with
the scenario's own shifts is a small integer program (the set-covering model of shift
scheduling, Dantzig 1954), solved with SciPy's MILP. A shift's agent counts in an hour at the
share of it they are expected to be available: after the team's shrinkage and breaks
(:class:`~simulator.experiment.roster.Post`), so the requirement is met by agents at work.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from simulator.experiment.roster import Post, Roster, current_roster, posts
from simulator.metrics.analytic import (
    erlang_a,
    mean_wait,
    offered_load,
    servers_needed,
    service_level,
)
from simulator.model.arrivals import hourly_rates
from simulator.scenario.calendars import HOURS_PER_WEEK, WEEKDAYS
from simulator.scenario.distributions import Distribution
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import Target

__all__ = ["FirstCut", "TeamDemand", "first_cut", "formula_predictions", "team_demands"]

_QUANTILES = (np.arange(400) + 0.5) / 400
#: The channel KPIs a queueing formula predicts.
_CHANNEL_FORMULAS = ("service_level", "abandon_rate", "asa_s")


@dataclass(frozen=True)
class TeamDemand:
    """The work reaching a team: arrivals per hour of the week, lagged load, mean work (minutes)."""

    arrivals: np.ndarray  # (168,) tickets per hour
    load: np.ndarray  # (168,) Erlangs
    work_mean: float


def _priority_shares(scenario: Scenario, stream: str) -> dict[str, float]:
    shares = dict.fromkeys(scenario.priorities, 0.0)
    for (impact, urgency), share in scenario.arrivals[stream].impact_urgency_shares().items():
        shares[scenario.priority_matrix[impact - 1][urgency - 1]] += share
    return shares


def _visits(scenario: Scenario, entries: dict[str, float]) -> dict[str, float]:
    """Expected visits to each group, from first entries, through the transfer chain."""
    groups = list(scenario.flow.groups)
    transfer = np.array([[scenario.flow.groups[g].transfer.get(h, 0.0) for h in groups]
                         for g in groups])
    first = np.array([entries.get(g, 0.0) for g in groups])
    visits = np.linalg.solve((np.eye(len(groups)) - transfer).T, first) if groups else first
    return dict(zip(groups, visits.tolist(), strict=True))


def _load(rates: np.ndarray, work: Distribution) -> np.ndarray:
    return offered_load(rates, work.quantile(_QUANTILES), work.mean())


def team_demands(scenario: Scenario) -> dict[str, TeamDemand]:
    """The work reaching each team of the flow (see the module's notes)."""
    flow = scenario.flow
    desk_rates = np.zeros(HOURS_PER_WEEK)
    desk_load = np.zeros(HOURS_PER_WEEK)
    group_rates = {(g, p): np.zeros(HOURS_PER_WEEK) for g in flow.groups for p in scenario.priorities}
    first_rates = {key: np.zeros(HOURS_PER_WEEK) for key in group_rates}  # visits from the desk
    for name, stream in scenario.arrivals.items():
        if stream.volume is None:
            continue  # fixed arrival times are exercises, not demand
        rates = hourly_rates(stream)
        desk_rates += rates
        desk_load += _load(rates, stream.desk_handling or flow.desk.handling)
        category = scenario.category_of(name)
        escalated = 1.0 - flow.desk.fcr_for(category)
        entries = {g: escalated * share for g, share in flow.desk.escalation_for(category).items()}
        visits = _visits(scenario, entries)
        for priority, share in _priority_shares(scenario, name).items():
            for group, count in visits.items():
                group_rates[(group, priority)] += rates * share * count
                first_rates[(group, priority)] += rates * share * entries.get(group, 0.0)
    desk_total = desk_rates.sum() * 60.0
    desk_mean = (float(desk_load.sum() * 60.0 / desk_total) if desk_total > 0
                 else flow.desk.handling.mean())
    demands = {flow.desk.team: TeamDemand(desk_rates * 60.0, desk_load, desk_mean)}
    for group, spec in flow.groups.items():
        arrivals = sum((group_rates[(group, p)] for p in scenario.priorities), np.zeros(HOURS_PER_WEEK))
        load = np.zeros(HOURS_PER_WEEK)
        handed_on = math.fsum(spec.transfer.values())
        for priority in scenario.priorities:
            rates, first = group_rates[(group, priority)], first_rates[(group, priority)]
            if not rates.any():
                continue
            usual, moved = spec.handling_for(priority), spec.handling_for(priority, transferred=True)
            came = spec.handling_for(priority, came_by_transfer=True)
            # a visit ends in a transfer with the group's transfer probability, wherever it came from
            load += (_load(first * (1.0 - handed_on), usual)
                     + _load((rates - first) * (1.0 - handed_on), came) + _load(rates * handed_on, moved))
        total = arrivals.sum() * 60.0
        work_mean = float(load.sum() * 60.0 / total) if total > 0 else spec.handling.mean()
        demands[group] = TeamDemand(arrivals * 60.0, load, work_mean)
    return demands


def _response_targets(scenario: Scenario, target: Target) -> list[tuple[float, float]]:
    """(share of the covered arrivals, response minutes) of the priorities a response target covers."""
    volume = dict.fromkeys(scenario.priorities, 0.0)
    for name, stream in scenario.arrivals.items():
        for priority, share in _priority_shares(scenario, name).items():
            volume[priority] += share * (stream.volume or 0.0)
    chosen = {p: spec.response for p, spec in scenario.priorities.items()
              if spec.response is not None and target.scope in (None, p) and volume[p] > 0}
    total = sum(volume[p] for p in chosen)
    return [(volume[p] / total, minutes) for p, minutes in chosen.items() if minutes is not None]


def _hourly_measure(scenario: Scenario, target: Target, desk: str
                    ) -> tuple[str, Callable[[int, float, float], float]] | None:
    """The team a target's formula is about, and the formula (agents, load, mean work) → value."""
    if target.kpi == "sla_response_attainment" and target.scope not in scenario.teams:
        pairs = _response_targets(scenario, target)
        if not pairs:
            return None
        return desk, lambda c, a, s: sum(w * service_level(c, a, s, t) for w, t in pairs)
    if target.kpi in _CHANNEL_FORMULAS and target.scope in scenario.channels():
        return desk, _channel_formula(scenario, target)
    if target.kpi == "mtta_min" and target.scope not in scenario.teams:
        return desk, mean_wait
    if target.kpi == "queue_wait_min" and target.scope in scenario.teams:
        return target.scope, mean_wait
    return None


def _channel_formula(scenario: Scenario, target: Target) -> Callable[[int, float, float], float]:
    """A channel target's formula on the desk's pooled load: Erlang A with the channel's mean
    patience where its contacts have one (Erlang C otherwise), at the channel's answer time."""
    assert target.scope is not None
    streams = [scenario.arrivals[name] for name in scenario.channels()[target.scope]]
    within = min(stream.answer_target for stream in streams)
    volumes = [stream.volume or 0.0 for stream in streams]
    patient = [(stream.patience.mean(), volume) for stream, volume in zip(streams, volumes, strict=True)
               if stream.patience is not None]
    patience = (sum(mean * volume for mean, volume in patient) / sum(v for _, v in patient)
                if patient and sum(v for _, v in patient) > 0 else None)

    def formula(agents: int, load: float, work_mean: float) -> float:
        if patience is None:  # Erlang C: nobody abandons
            if target.kpi == "service_level":
                return service_level(agents, load, work_mean, within)
            return 0.0 if target.kpi == "abandon_rate" else mean_wait(agents, load, work_mean) * 60.0
        queue = erlang_a(agents, load / work_mean, work_mean, patience, within)
        return {"service_level": queue.service_level, "abandon_rate": queue.p_abandon,
                "asa_s": queue.mean_wait * 60.0}.get(target.kpi, math.nan)

    return formula


@dataclass
class FirstCut:
    """The formula roster, and what the formulas could and could not take into account."""

    roster: Roster
    hourly_need: dict[str, np.ndarray]  # per team: agents needed in each hour (0: no hourly need)
    notes: list[str] = field(default_factory=list)
    # per team: agents at work the occupancy cap needs in each hour it is on duty
    occupancy_need: dict[str, np.ndarray] = field(default_factory=dict)


def _needs(scenario: Scenario, demands: dict[str, TeamDemand], targets: Sequence[Target],
           notes: list[str]) -> dict[str, np.ndarray]:
    desk = scenario.flow.desk.team
    needs = {team: np.zeros(HOURS_PER_WEEK, dtype=int) for team in demands}
    for target in targets:
        measure = _hourly_measure(scenario, target, desk)
        if measure is None:
            if not (target.kpi == "utilisation" and target.operator in ("<=", "<")):
                notes.append(f"{target.name} {target}: no queueing formula; left to the simulation")
            continue
        team, formula = measure
        demand = demands.get(team)
        if demand is None:
            continue
        try:
            hourly = [_hour_need(float(load), target, formula, demand.work_mean)
                      for load in demand.load]
        except ValueError as error:
            notes.append(f"{target.name} {target}: {error}; left to the simulation")
            continue
        needs[team] = np.maximum(needs[team], np.array(hourly, dtype=int))
    return needs


def _hour_need(load: float, target: Target, formula: Callable[[int, float, float], float],
               work_mean: float) -> int:
    """Fewest agents meeting the target in an hour with this load (0 for an hour without work)."""
    if load <= 1e-9:
        return 0
    return servers_needed(load, lambda agents: target.met_by(formula(agents, load, work_mean)),
                          limit=int(10 * load) + 1000)


def _caps(scenario: Scenario, targets: Sequence[Target], max_occupancy: float) -> dict[str, float]:
    caps = dict.fromkeys(scenario.teams, max_occupancy)
    for target in targets:
        if target.kpi == "utilisation" and target.scope in caps and target.operator in ("<=", "<"):
            caps[target.scope] = min(caps[target.scope], target.value)
    return caps


def _daily_work(demand: TeamDemand, on_duty: np.ndarray) -> np.ndarray:
    """Agent-hours of work per day of the week, work that arrives off duty carried to the
    team's next hour on duty (a fluid view of the overnight and weekend backlog)."""
    work = demand.arrivals * demand.work_mean / 60.0
    daily = np.zeros(7)
    covered = np.flatnonzero(on_duty > 0)
    for hour in np.flatnonzero(work > 0):
        later = covered[covered >= hour]
        taken = int(later[0]) if len(later) else int(covered[0])
        daily[taken // 24] += work[hour]
    return daily


def _solve(chosen: list[Post], need: np.ndarray, daily_hours: np.ndarray, team: str,
           notes: list[str]) -> list[int]:
    """Cheapest headcounts (each >= 1) covering ``need`` every hour and ``daily_hours`` each day."""
    # (168, posts): an hour counts when the agent is there half of it, at the share available
    covering = np.array([(post.coverage >= 0.5) * post.availability for post in chosen]).T
    uncovered = (need > 0) & (covering.sum(axis=1) == 0)
    if uncovered.any():
        hour = int(np.flatnonzero(uncovered)[0])
        notes.append(f"{team}: {int(uncovered.sum())} hours of the week need agents no shift "
                     f"covers (e.g. {WEEKDAYS[hour // 24]} {hour % 24:02d}:00 needs {need[hour]}); "
                     f"the roster's shape cannot meet them")
    rows = np.flatnonzero((need > 0) & ~uncovered)
    hours = np.array([post.hours_per_week for post in chosen])
    price = np.array([post.hours_per_week * post.hourly_cost for post in chosen]) + 1e-4 * hours
    per_day = np.array([(post.coverage * post.availability).reshape(7, 24).sum(axis=1)
                        for post in chosen]).T  # (7, posts)
    constraints = [LinearConstraint(per_day, daily_hours, np.inf)]
    if len(rows):
        constraints.append(LinearConstraint(covering[rows], need[rows], np.inf))
    solved = milp(price, constraints=constraints, integrality=np.ones(len(chosen)),
                  bounds=Bounds(np.ones(len(chosen)), np.full(len(chosen), np.inf)))
    if solved.x is None:
        raise ValueError(f"{team}: the formulas' requirements have no solution ({solved.message})")
    return [round(float(value)) for value in solved.x]


def first_cut(scenario: Scenario, chosen: Sequence[Post], targets: Sequence[Target],
              max_occupancy: float = 0.85, required: dict[str, np.ndarray] | None = None
              ) -> FirstCut:
    """The formulas' cheapest roster for the chosen posts (see the module's notes); ``required``
    adds hourly needs of agents at work found otherwise (the iterative staffing algorithm's)."""
    demands = team_demands(scenario)
    notes: list[str] = []
    needs = _needs(scenario, demands, targets, notes)
    for team, need in (required or {}).items():
        if team in needs:
            needs[team] = np.maximum(needs[team], np.asarray(need, dtype=int))
    caps = _caps(scenario, targets, max_occupancy)
    roster = list(current_roster(scenario, chosen))
    occupancy_needs: dict[str, np.ndarray] = {}
    for team in dict.fromkeys(post.team for post in chosen):
        indices = [index for index, post in enumerate(chosen) if post.team == team]
        demand = demands.get(team)
        if demand is None:
            notes.append(f"{team}: no tickets reach it in the flow; kept as it is")
            continue
        mine = [chosen[i] for i in indices]
        on_duty = sum((post.coverage for post in mine), np.zeros(HOURS_PER_WEEK))
        occupancy = np.where(on_duty > 0, np.ceil(demand.load / caps[team] - 1e-9), 0).astype(int)
        occupancy_needs[team] = occupancy
        need = np.maximum(needs[team], occupancy)
        daily = _daily_work(demand, on_duty) / caps[team]
        headcounts = _solve(mine, need, daily, team, notes)
        for index, count in zip(indices, headcounts, strict=True):
            roster[index] = count
    return FirstCut(tuple(roster), needs, notes, occupancy_needs)


def formula_predictions(scenario: Scenario, targets: Sequence[Target]) -> dict[str, float | None]:
    """What the formulas predict for each target under the scenario's own roster (None: no formula).

    Hour by hour with the agents on duty (a part-covered hour counts its share), weighted
    by the hour's arrivals; an hour whose load reaches its agents counts as no service.
    """
    demands = team_demands(scenario)
    desk = scenario.flow.desk.team
    predictions: dict[str, float | None] = {}
    for target in targets:
        predictions[target.name] = _prediction(scenario, target, demands, desk)
    return predictions


def _on_duty(scenario: Scenario, team: str) -> np.ndarray:
    mine = posts(scenario, [team])
    counts = current_roster(scenario, mine)
    return sum((post.coverage * post.availability * count
                for post, count in zip(mine, counts, strict=True)), np.zeros(HOURS_PER_WEEK))


def _prediction(scenario: Scenario, target: Target, demands: dict[str, TeamDemand],
                desk: str) -> float | None:
    if target.kpi == "utilisation" and target.scope in demands:
        capacity = _on_duty(scenario, target.scope).sum()
        return float(demands[target.scope].load.sum() / capacity) if capacity else None
    measure = _hourly_measure(scenario, target, desk)
    if measure is None or measure[0] not in demands:
        return None
    team, formula = measure
    demand = demands[team]
    agents = np.floor(_on_duty(scenario, team) + 1e-9).astype(int)
    busy = demand.arrivals > 0
    if not busy.any():
        return None
    worst = math.inf if target.kpi != "sla_response_attainment" else 0.0
    abandons = target.kpi in _CHANNEL_FORMULAS  # Erlang A: an overloaded hour still has a value
    values = np.array([formula(int(c), float(a), demand.work_mean) if c > a or abandons else worst
                       for c, a in zip(agents[busy], demand.load[busy], strict=True)])
    return float(np.average(values, weights=demand.arrivals[busy]))
