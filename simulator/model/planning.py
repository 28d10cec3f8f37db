"""Model layer: what work each incident will need, drawn when it arrives.

An incident's own randomness — its priority, how long each piece of work takes,
whether the desk resolves it, where it is escalated and transferred, whether it
waits on the user and for how long, whether it is reopened — is drawn here,
for all incidents of a stream at once, from streams named by purpose and step.
Every purpose draws one value per incident whether or not it is used, and
durations are drawn by inversion, so incident *j* of a stream always meets the
same uniforms: changing staffing (or a routing share) changes only what it
must, and comparisons of designs stay sharp (common random numbers).

Where a ticket goes after a group is drawn with the group's work, from the same
numbers, so the work can depend on it (a visit that ends in a transfer, or one that
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
from simulator.scenario.schema import ResolverGroup, Scenario

__all__ = ["PlannedIncidents", "Segment", "plan_backlog", "plan_stream", "plan_tickets"]

#: (team index, work in minutes, minutes waiting on the user after this segment)
Segment = tuple[int, float, float]

#: In the planner's team arrays: where a ticket goes next once it is resolved — nowhere.
_RESOLVED: Final = -1


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

    # The arrays as Python lists, for the model's per-incident reads (a list item is several times
    # cheaper to read than a NumPy element).
    @cached_property
    def arrival_minutes(self) -> list[float]:
        """:attr:`arrival` as a list."""
        return list(self.arrival.tolist())

    @cached_property
    def priority_ranks(self) -> list[int]:
        """:attr:`priority` as a list."""
        return list(self.priority.tolist())

    @cached_property
    def category_codes(self) -> list[int]:
        """:attr:`category` as a list."""
        return list(self.category.tolist())

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
        work = self.desk_handling.quantile(self.uniforms("desk-handling", n)) * self.factor
        fcr = desk.fcr_for(category) if self.fcr is None else self.fcr
        escalated = self.uniforms("first-contact", n) >= fcr
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

    def _group_steps(self, current: np.ndarray, priority: np.ndarray,
                     first_step: int) -> list[Step]:
        steps: list[Step] = []
        groups = self.scenario.flow.groups
        names = list(self.scenario.teams)
        n = len(current)
        step_number = first_step
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
                following[here] = self._choose(group.transfer, u_transfer[here])
                # (after the first group step, a ticket came to its group by a transfer)
                self._visit_work(work, here, following != _RESOLVED, group, step_number > first_step,
                                 priority, u_work)
                if group.waiting_on_user is not None:
                    waits = here & (u_pause < group.waiting_on_user.probability)
                    pause[waits] = group.waiting_on_user.duration.quantile(u_pause_length[waits])
                    split[waits] = group.waiting_on_user.after_share
            steps.append(_step(current, work, pause, split))
            current = following
            step_number += 1
        return steps

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
            steps = [desk_step, *self._group_steps(following, priority, 1)]
        else:
            current = np.full(n, self.team_index[start_team])
            steps = self._group_steps(current, priority, 1)
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
