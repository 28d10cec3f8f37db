"""Model layer: what work each incident will need, drawn when it arrives.

An incident's own randomness — its priority, how long each piece of work takes,
whether the desk resolves it, where it is escalated and transferred, whether it
waits on the user and for how long, whether it is reopened — is drawn here,
for all incidents of a stream at once, from streams named by purpose and step.
Every purpose draws one value per incident whether or not it is used, and
durations are drawn by inversion, so incident *j* of a stream always meets the
same uniforms: changing staffing (or a routing share) changes only what it
must, and comparisons of designs stay sharp (common random numbers).

The result is a *plan*: a list of work segments ``(team, minutes, pause_after)``.
Consecutive segments in different teams mean a reassignment; ``pause_after``
is a wait on the user before the next segment (in the same team). The last
segment ends in resolution. The model then plays the plan out against queues,
agents and shifts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.model.streams import RandomStreams
from simulator.scenario.distributions import Distribution
from simulator.scenario.schema import Scenario

__all__ = ["PlannedIncidents", "Segment", "plan_backlog", "plan_stream"]

#: (team index, work in minutes, minutes waiting on the user after this segment)
Segment = tuple[int, float, float]


@dataclass
class _Step:
    team: list[int]  # -1 where the incident has already been resolved
    work: list[float]
    pause: list[float]  # 0 where there is no wait on the user
    split: list[float]  # share of the work done before the wait


@dataclass
class PlannedIncidents:
    """The planned work of a batch of incidents (one arrival stream, or one backlog entry)."""

    arrival: np.ndarray  # minutes since the start (negative for the initial backlog)
    priority: np.ndarray  # rank in the scenario's priority order (0 = highest)
    category: np.ndarray  # index into scenario.categories()
    steps: list[_Step]
    reopen_delay: list[float]  # NaN where the incident will not be reopened
    reopen_work: list[float]

    def __len__(self) -> int:
        return len(self.arrival)

    def segments(self, index: int) -> list[Segment]:
        """The work segments of incident ``index``, in order."""
        segments: list[Segment] = []
        for step in self.steps:
            team = step.team[index]
            if team < 0:
                break
            pause = step.pause[index]
            if pause > 0.0:
                before = step.work[index] * step.split[index]
                segments.append((team, before, pause))
                segments.append((team, step.work[index] - before, 0.0))
            else:
                segments.append((team, step.work[index], 0.0))
        return segments


class _Planner:
    """Draws the plans of incidents of one category, starting at one team."""

    def __init__(self, scenario: Scenario, streams: RandomStreams, prefix: str) -> None:
        self.scenario = scenario
        self.streams = streams
        self.prefix = prefix
        self.team_index = {name: index for index, name in enumerate(scenario.teams)}
        self.priority_names = list(scenario.priorities)

    def uniforms(self, purpose: str, size: int) -> np.ndarray:
        return self.streams.uniforms(f"{purpose}/{self.prefix}", size)

    def _work(self, distributions: dict[int, Distribution], default: Distribution,
              priority: np.ndarray, u: np.ndarray) -> np.ndarray:
        work = default.quantile(u)
        for rank, distribution in distributions.items():
            chosen = priority == rank
            if chosen.any():
                work[chosen] = distribution.quantile(u[chosen])
        return work

    def _desk_step(self, n: int, category: str, priority: np.ndarray,
                   ) -> tuple[_Step, np.ndarray]:
        desk = self.scenario.flow.desk
        work = desk.handling.quantile(self.uniforms("desk-handling", n))
        fcr = desk.first_contact_resolution_by_category.get(category,
                                                            desk.first_contact_resolution)
        escalated = self.uniforms("first-contact", n) >= fcr
        shares = desk.escalation_by_category.get(category, desk.escalation)
        target = self._choose(shares, self.uniforms("escalation", n))
        following = np.where(escalated, target, -1)
        team = np.full(n, self.team_index[desk.team])
        return _Step(team.tolist(), work.tolist(), [0.0] * n, [0.0] * n), following

    def _choose(self, shares: dict[str, float], u: np.ndarray) -> np.ndarray:
        """Team index chosen by ``u`` among ``shares``; -1 where ``u`` falls beyond their sum."""
        names = list(shares)
        edges = np.cumsum([shares[name] for name in names])
        picked = np.searchsorted(edges, u, side="right")
        codes = np.array([self.team_index[name] for name in names] + [-1])
        return codes[np.minimum(picked, len(names))]

    def _group_steps(self, current: np.ndarray, priority: np.ndarray,
                     first_step: int) -> list[_Step]:
        steps: list[_Step] = []
        groups = self.scenario.flow.groups
        names = list(self.scenario.teams)
        n = len(current)
        step_number = first_step
        while (current >= 0).any():
            u_work = self.uniforms(f"handling/{step_number}", n)
            u_pause = self.uniforms(f"waiting/{step_number}", n)
            u_pause_length = self.uniforms(f"waiting-duration/{step_number}", n)
            u_transfer = self.uniforms(f"transfer/{step_number}", n)
            work = np.zeros(n)
            pause = np.zeros(n)
            split = np.zeros(n)
            following = np.full(n, -1)
            for code in np.unique(current[current >= 0]):
                here = current == code
                group = groups[names[code]]
                by_priority = {self.priority_names.index(name): distribution
                               for name, distribution in group.handling_by_priority.items()}
                work[here] = self._work(by_priority, group.handling, priority[here], u_work[here])
                if group.waiting_on_user is not None:
                    waits = here & (u_pause < group.waiting_on_user.probability)
                    pause[waits] = group.waiting_on_user.duration.quantile(u_pause_length[waits])
                    split[waits] = group.waiting_on_user.after_share
                following[here] = self._choose(group.transfer, u_transfer[here])
            steps.append(_Step(current.tolist(), work.tolist(), pause.tolist(), split.tolist()))
            current = following
            step_number += 1
        return steps

    def _reopen(self, steps: list[_Step], priority: np.ndarray) -> tuple[list[float], list[float]]:
        n = len(priority)
        rule = self.scenario.flow.reopen
        u_reopen = self.uniforms("reopen", n)
        u_delay = self.uniforms("reopen-delay", n)
        u_work = self.uniforms("reopen-handling", n)
        if rule is None:
            return [float("nan")] * n, [0.0] * n
        last_team = np.full(n, -1)
        for step in steps:
            team = np.asarray(step.team)
            last_team = np.where(team >= 0, team, last_team)
        names = list(self.scenario.teams)
        delay = np.where(u_reopen < rule.probability, rule.delay.quantile(u_delay), np.nan)
        work = np.zeros(n)
        for code in np.unique(last_team):
            here = last_team == code
            name = names[code]
            group = self.scenario.flow.groups.get(name)
            distribution = group.handling if group is not None else self.scenario.flow.desk.handling
            work[here] = distribution.quantile(u_work[here])
        return delay.tolist(), work.tolist()

    def plan(self, arrival: np.ndarray, category: str, priority: np.ndarray,
             start_team: str) -> PlannedIncidents:
        n = len(arrival)
        if start_team == self.scenario.flow.desk.team:
            desk_step, following = self._desk_step(n, category, priority)
            steps = [desk_step, *self._group_steps(following, priority, 1)]
        else:
            current = np.full(n, self.team_index[start_team])
            steps = self._group_steps(current, priority, 1)
        reopen_delay, reopen_work = self._reopen(steps, priority)
        category_code = self.scenario.categories().index(category)
        return PlannedIncidents(arrival, priority, np.full(n, category_code), steps,
                                reopen_delay, reopen_work)


def _priorities(scenario: Scenario, stream_name: str, u: np.ndarray) -> np.ndarray:
    cells = list(scenario.arrivals[stream_name].impact_urgency_shares().items())
    edges = np.cumsum([share for _, share in cells])
    picked = np.minimum(np.searchsorted(edges, u * edges[-1], side="right"), len(cells) - 1)
    names = list(scenario.priorities)
    ranks = np.array([names.index(scenario.priority_matrix[impact - 1][urgency - 1])
                      for (impact, urgency), _ in cells])
    return ranks[picked]


def plan_stream(scenario: Scenario, stream_name: str, arrival: np.ndarray,
                streams: RandomStreams) -> PlannedIncidents:
    """Plans of the incidents an arrival stream brings at times ``arrival``."""
    planner = _Planner(scenario, streams, f"stream/{stream_name}")
    priority = _priorities(scenario, stream_name, planner.uniforms("priority", len(arrival)))
    return planner.plan(arrival, scenario.category_of(stream_name), priority,
                        scenario.flow.desk.team)


def plan_backlog(scenario: Scenario, index: int, streams: RandomStreams) -> PlannedIncidents:
    """Plans of the tickets of ``scenario.initial_backlog[index]``, open at the start."""
    item = scenario.initial_backlog[index]
    planner = _Planner(scenario, streams, f"backlog/{index}")
    age = item.age.quantile(planner.uniforms("age", item.count))
    arrival = -np.sort(age)[::-1]  # oldest first
    priority = np.full(item.count, list(scenario.priorities).index(item.priority))
    category = item.category or scenario.categories()[0]
    return planner.plan(arrival, category, priority, item.team)
