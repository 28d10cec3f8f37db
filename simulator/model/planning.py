"""Model layer: what work each incident will need, drawn when it arrives.

An incident's own randomness — its priority, how long each piece of work takes,
whether the desk resolves it, where it is escalated and transferred, whether it
waits on the user and for how long, whether it is reopened — is drawn here,
for all incidents of a stream at once, from streams named by purpose and step.
Every purpose draws one value per incident whether or not it is used, and
durations are drawn by inversion, so incident *j* of a stream always meets the
same uniforms: changing staffing (or a routing share) changes only what it
must, and comparisons of designs stay sharp (common random numbers).

A scenario with ``flow.paths`` draws each escalated ticket's whole path first, from a
stream of its own (so a scenario without paths meets exactly the numbers it met before
paths existed); a ticket on a path goes where the path says instead of where its
group's transfer would send it. Where a ticket goes after a group is drawn with the
group's work, from the same numbers, so the work can depend on it (a visit that ends in
a transfer, or one that
began with a transfer, can take its own handling time) without changing any draw.

The result is a *plan*: a list of work segments ``(team, minutes, pause_after)``.
Consecutive segments in different teams mean a reassignment; ``pause_after``
is a wait on the user before the next segment (in the same team). The last
segment ends in resolution. The model then plays the plan out against queues,
agents and shifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np

from simulator.model.streams import RandomStreams
from simulator.scenario.changes import KnownError
from simulator.scenario.distributions import Distribution
from simulator.scenario.routing import handoff_bounds, path_teams
from simulator.scenario.schema import PauseRule, ResolverGroup, Scenario

__all__ = ["PlannedIncidents", "Segment", "plan_backlog", "plan_stream", "plan_tickets"]

#: (team index, work in minutes, minutes waiting on the user after this segment)
Segment = tuple[int, float, float]

#: In the planner's team arrays: where a ticket goes next once it is resolved — nowhere.
_RESOLVED: Final = -1
#: In the table of each ticket's path (``flow.paths``): the ticket is on none, its groups' transfers
#: route it.
_NOT_ON_A_PATH: Final = -2


#: One step of many incidents' plans: incident index → the segments that step adds (only
#: incidents still unresolved at that step appear, so later steps are small).
Step = dict[int, tuple[Segment, ...]]


def _step(current: np.ndarray, work: np.ndarray, pause: np.ndarray, split: np.ndarray) -> Step:
    """The segments of one step: the work in a team, split in two around a wait on the user."""
    active = np.flatnonzero(current != _RESOLVED)
    step: Step = {index: ((team, minutes, 0.0),) for index, team, minutes in zip(
        active.tolist(), current[active].tolist(), work[active].tolist(), strict=True)}
    waiting = np.flatnonzero(pause > 0.0)
    before = work[waiting] * split[waiting]
    for index, team, first, second, wait in zip(
            waiting.tolist(), current[waiting].tolist(), before.tolist(),
            (work[waiting] - before).tolist(), pause[waiting].tolist(), strict=True):
        step[index] = ((team, first, wait), (team, second, 0.0))
    return step


def _wait_chance(rule: PauseRule, moved: np.ndarray, came_by_transfer: bool) -> np.ndarray:
    """The chance of waiting on the user in each visit: by whether it ends in a transfer, else
    whether it began with one, else the rule's probability."""
    usual = rule.probability
    if came_by_transfer and rule.probability_after_transfer is not None:
        usual = rule.probability_after_transfer
    handed_on = usual if rule.probability_when_transferred is None else rule.probability_when_transferred
    return np.where(moved, handed_on, usual)


@dataclass
class PlannedIncidents:
    """The planned work of a batch of incidents (one arrival stream, or one backlog entry)."""

    arrival: np.ndarray  # minutes since the start (negative for the initial backlog)
    priority: np.ndarray  # rank in the scenario's priority order (0 = highest)
    category: np.ndarray  # index into scenario.categories()
    steps: list[Step]
    reopen: dict[int, tuple[float, float]]  # incident index → (delay, rework minutes)

    def __len__(self) -> int:
        return len(self.arrival)

    def segments(self, index: int) -> list[Segment]:
        """The work segments of incident ``index``, in order (a new list: the model adds to it)."""
        return list(self._segments[index])

    @cached_property
    def _segments(self) -> list[list[Segment]]:
        # Every incident's segments in one pass over the steps, the first time one is asked for
        # (once per batch, rather than a look-up in every step for each incident as it arrives).
        # An incident is in every step up to its last (a resolved one takes no further step).
        segments: list[list[Segment]] = [[] for _ in range(len(self))]
        for step in self.steps:
            for index, added in step.items():
                segments[index].extend(added)
        return segments

    @cached_property
    def tickets(self) -> list[tuple[int, int, list[Segment]]]:
        """Each incident's priority rank, category code and segments (shared: copy them before
        changing them), as Python values — the model's one read per incident as it arrives (a
        list item is several times cheaper to read than a NumPy element; made once per batch)."""
        return list(zip(self.priority.tolist(), self.category.tolist(), self._segments, strict=True))

    @staticmethod
    def segments_of(steps: list[Step], index: int) -> list[Segment]:
        """The work segments of incident ``index`` in ``steps``, in order."""
        segments: list[Segment] = []
        for step in steps:
            added = step.get(index)
            if added is None:
                break
            segments.extend(added)
        return segments


class _Planner:
    """Draws the plans of incidents of one category, starting at one team."""

    def __init__(self, scenario: Scenario, streams: RandomStreams, prefix: str,
                 known_error: KnownError | None = None,
                 desk_handling: Distribution | None = None) -> None:
        self.scenario = scenario
        # A channel's own work at the desk (same random numbers as the desk's would use).
        self.desk_handling = scenario.flow.desk.handling if desk_handling is None else desk_handling
        self.streams = streams
        self.prefix = prefix
        self.team_index = {name: index for index, name in enumerate(scenario.teams)}
        self.priority_names = list(scenario.priorities)
        # A known error (problem management) helps the desk and shortens the work; the
        # random numbers are the same with or without it.
        self.fcr = None if known_error is None else known_error.first_contact_resolution
        self.factor = 1.0 if known_error is None else known_error.handling

    def uniforms(self, purpose: str, size: int) -> np.ndarray:
        return self.streams.uniforms(f"{purpose}/{self.prefix}", size)

    def _visit_work(self, work: np.ndarray, here: np.ndarray, moved: np.ndarray,
                    group: ResolverGroup, came_by_transfer: bool, priority: np.ndarray,
                    u: np.ndarray) -> None:
        """Draw the work of the visits ``here`` to ``group`` from their own numbers ``u``, each on
        the handling time :meth:`ResolverGroup.handling_for` gives it (by its priority, whether it
        ends in a transfer — ``moved`` — and whether it came by one); visits that share a
        distribution are drawn together."""
        visits = np.flatnonzero(here)  # index arrays: later steps hold few tickets
        for transferred in (False, True):
            mine = visits[moved[visits] == transferred]
            if not len(mine):
                continue
            ranks = priority[mine]
            shared: dict[int, tuple[Distribution, list[int]]] = {}
            for rank in np.unique(ranks).tolist():
                handling = group.handling_for(self.priority_names[rank], transferred, came_by_transfer)
                shared.setdefault(id(handling), (handling, []))[1].append(rank)
            for handling, chosen_ranks in shared.values():
                chosen = mine if len(shared) == 1 else mine[np.isin(ranks, chosen_ranks)]
                work[chosen] = handling.quantile(u[chosen]) * self.factor

    def _desk_step(self, n: int, category: str, priority: np.ndarray,
                   ) -> tuple[Step, np.ndarray]:
        desk = self.scenario.flow.desk
        u_work = self.uniforms("desk-handling", n)
        work = self.desk_handling.quantile(u_work) * self.factor
        fcr = desk.fcr_for(category) if self.fcr is None else self.fcr
        escalated = self.uniforms("first-contact", n) >= fcr
        if desk.handling_when_resolved is not None:  # the same numbers, the resolved tickets' time
            resolved = ~escalated
            work[resolved] = desk.handling_when_resolved.quantile(u_work[resolved]) * self.factor
        target = self._choose(desk.escalation_for(category), self.uniforms("escalation", n))
        following = np.where(escalated, target, _RESOLVED)
        team = np.full(n, self.team_index[desk.team])
        return _step(team, work, np.zeros(n), np.zeros(n)), following

    def _choose(self, shares: dict[str, float], u: np.ndarray) -> np.ndarray:
        """Team index chosen by ``u`` among ``shares``; ``_RESOLVED`` where ``u`` falls beyond their sum."""
        names = list(shares)
        edges = np.cumsum([shares[name] for name in names])
        picked = np.searchsorted(edges, u, side="right")
        codes = np.array([self.team_index[name] for name in names] + [_RESOLVED])
        return codes[np.minimum(picked, len(names))]

    def _paths(self, first: np.ndarray, priority: np.ndarray, category: str) -> np.ndarray | None:
        """Each ticket's path after its first group (team codes by step, -1 once resolved), or -1
        throughout for tickets the groups' transfers route; None without ``flow.paths``."""
        rules = self.scenario.flow.paths
        if not rules:
            return None
        u = self.uniforms("path", len(first))
        paths: list[tuple[int, ...]] = [()]  # path 0: none (routed by the transfers)
        chosen = np.zeros(len(first), dtype=int)
        taken = first < 0
        for rule in rules:
            if rule.category is not None and rule.category != category:
                continue
            here = ~taken & (first == self.team_index[rule.first])
            if rule.priority is not None:
                here &= priority == self.priority_names.index(rule.priority)
            edges = np.cumsum(list(rule.paths.values()))
            picked = np.searchsorted(edges, u[here], side="right")
            chosen[here] = np.where(picked < len(edges), picked + len(paths), 0)
            paths.extend(tuple(self.team_index[name] for name in path_teams(path)[1:]) for path in rule.paths)
            taken |= here
        width = max(len(path) for path in paths) + 1
        table = np.full((len(paths), width), _RESOLVED)
        for row, path in enumerate(paths):
            table[row, :len(path)] = path
        routes = table[chosen]
        routes[chosen == 0] = _NOT_ON_A_PATH
        return routes

    def _group_steps(self, current: np.ndarray, priority: np.ndarray,
                     first_step: int, category: str) -> list[Step]:
        steps: list[Step] = []
        routes = self._paths(current, priority, category)
        groups = self.scenario.flow.groups
        names = list(self.scenario.teams)
        n = len(current)
        step_number = first_step
        came_from = np.full(n, self.team_index[self.scenario.flow.desk.team])
        while (current != _RESOLVED).any():
            u_work = self.uniforms(f"handling/{step_number}", n)
            u_pause = self.uniforms(f"waiting/{step_number}", n)
            u_pause_length = self.uniforms(f"waiting-duration/{step_number}", n)
            u_transfer = self.uniforms(f"transfer/{step_number}", n)
            work = np.zeros(n)
            pause = np.zeros(n)
            split = np.zeros(n)
            following = np.full(n, _RESOLVED)
            for code in np.unique(current[current != _RESOLVED]):
                here = current == code
                group = groups[names[code]]
                # Where the ticket goes next is known before its work here is drawn, so a
                # visit that ends in a transfer can take its own handling time.
                following[here] = self._route(group, came_from[here], step_number - first_step,
                                              priority[here], u_transfer[here])
                if routes is not None:
                    position = min(step_number - first_step, routes.shape[1] - 1)
                    on_path = here & (routes[:, position] != _NOT_ON_A_PATH)
                    following[on_path] = routes[on_path, position]
                moved = here & (following != _RESOLVED)
                # (after the first group step, a ticket came to its group by a transfer)
                self._visit_work(work, here, moved, group, step_number > first_step, priority, u_work)
                if group.waiting_on_user is not None:
                    chance = _wait_chance(group.waiting_on_user, moved, step_number > first_step)
                    waits = here & (u_pause < chance)
                    pause[waits] = group.waiting_on_user.duration.quantile(u_pause_length[waits])
                    split[waits] = group.waiting_on_user.after_share
            steps.append(_step(current, work, pause, split))
            came_from, current = current, following
            step_number += 1
        return steps

    def _route(self, group: ResolverGroup, came_from: np.ndarray, handoffs: int, priority: np.ndarray,
               u: np.ndarray) -> np.ndarray:
        """Where tickets go after ``group`` (-1: resolved there), from the same numbers ``u``
        whether the routing has memory or not: by the first of the group's
        ``transfer_by_history`` rules their history matches, else by its ``transfer``."""
        following = self._choose(group.transfer, u)
        if not group.transfer_by_history:
            return following
        routed = np.zeros(len(u), dtype=bool)
        for rule in group.transfer_by_history:
            low, high = handoff_bounds(rule.handoffs)
            if not low <= handoffs <= high:
                continue
            chosen = ~routed
            if rule.came_from is not None:
                chosen &= came_from == self.team_index[rule.came_from]
            if rule.priority is not None:
                chosen &= priority == self.priority_names.index(rule.priority)
            following[chosen] = self._choose(rule.transfer, u[chosen])
            routed |= chosen
        return following

    def _reopen(self, steps: list[Step], priority: np.ndarray) -> dict[int, tuple[float, float]]:
        """Which incidents the user will reopen: index → (delay, rework in the resolving team).

        A user can only reopen a ticket that is not yet closed: a delay as long as the
        closure delay or longer means the ticket closes first, and is not reopened.
        """
        n = len(priority)
        flow = self.scenario.flow
        u_reopen = self.uniforms("reopen", n)
        u_delay = self.uniforms("reopen-delay", n)
        u_work = self.uniforms("reopen-handling", n)
        if flow.reopen is None:
            return {}
        delay = flow.reopen.delay.quantile(u_delay)
        chosen = u_reopen < flow.reopen.probability
        if flow.closure_delay > 0.0:
            chosen &= delay < flow.closure_delay
        names = list(self.scenario.teams)
        reopened: dict[int, tuple[float, float]] = {}
        for index in np.flatnonzero(chosen).tolist():
            team = names[PlannedIncidents.segments_of(steps, index)[-1][0]]
            group = flow.groups.get(team)
            handling = flow.desk.handling if group is None \
                else group.handling_for(self.priority_names[priority[index]])
            reopened[index] = (float(delay[index]),
                               float(handling.quantile(u_work[index:index + 1])[0]) * self.factor)
        return reopened

    def plan(self, arrival: np.ndarray, category: str, priority: np.ndarray,
             start_team: str) -> PlannedIncidents:
        n = len(arrival)
        if start_team == self.scenario.flow.desk.team:
            desk_step, following = self._desk_step(n, category, priority)
            steps = [desk_step, *self._group_steps(following, priority, 1, category)]
        else:
            current = np.full(n, self.team_index[start_team])
            steps = self._group_steps(current, priority, 1, category)
        category_code = self.scenario.categories().index(category)
        return PlannedIncidents(arrival, priority, np.full(n, category_code), steps,
                                self._reopen(steps, priority))


def _priorities(scenario: Scenario, stream_name: str, u: np.ndarray) -> np.ndarray:
    cells = list(scenario.arrivals[stream_name].impact_urgency_shares().items())
    edges = np.cumsum([share for _, share in cells])
    picked = np.minimum(np.searchsorted(edges, u * edges[-1], side="right"), len(cells) - 1)
    names = list(scenario.priorities)
    ranks = np.array([names.index(scenario.priority_matrix[impact - 1][urgency - 1])
                      for (impact, urgency), _ in cells])
    return ranks[picked]


def plan_stream(scenario: Scenario, stream_name: str, arrival: np.ndarray,
                streams: RandomStreams, priority_rank: int | None = None,
                known_error: KnownError | None = None) -> PlannedIncidents:
    """Plans of the incidents an arrival stream brings at times ``arrival``.

    ``priority_rank`` imposes a priority instead of drawing one (for injected incidents);
    ``known_error`` plans them as they go once their problem is a known error.
    """
    planner = _Planner(scenario, streams, f"stream/{stream_name}", known_error,
                       scenario.arrivals[stream_name].desk_handling)
    priority = _priorities(scenario, stream_name, planner.uniforms("priority", len(arrival)))
    if priority_rank is not None:
        priority = np.full(len(arrival), priority_rank)
    return planner.plan(arrival, scenario.category_of(stream_name), priority,
                        scenario.flow.desk.team)


def plan_tickets(scenario: Scenario, streams: RandomStreams, prefix: str, arrival: np.ndarray,
                 category: str, priority: np.ndarray) -> PlannedIncidents:
    """Plans of tickets of a category arriving at the desk at ``arrival`` with given priorities."""
    planner = _Planner(scenario, streams, prefix)
    return planner.plan(arrival, category, priority, scenario.flow.desk.team)


def plan_backlog(scenario: Scenario, index: int, streams: RandomStreams) -> PlannedIncidents:
    """Plans of the tickets of ``scenario.initial_backlog[index]``, open at the start."""
    item = scenario.initial_backlog[index]
    planner = _Planner(scenario, streams, f"backlog/{index}")
    age = item.age.quantile(planner.uniforms("age", item.count))
    arrival = -np.sort(age)[::-1]  # oldest first
    priority = np.full(item.count, list(scenario.priorities).index(item.priority))
    category = item.category or scenario.categories()[0]
    return planner.plan(arrival, category, priority, item.team)
