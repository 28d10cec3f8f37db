"""Scenario layer: routing with memory — where a ticket goes next may depend on its history.

A resolver group's ``transfer`` is *memoryless*: every ticket leaving the group goes
on with the same probabilities, whatever it has been through. Real tickets are not
like that: one that has already been handed on twice is more likely to bounce again,
and one that came back from the network team goes elsewhere than a fresh one. A
group's ``transfer_by_history`` lists rules that say where tickets with a given
history go instead; the first rule whose conditions all hold is used, and a ticket
no rule matches takes the group's ``transfer``::

    transfer: {app: 0.2}                      # memoryless: the fallback
    transfer_by_history:
      - {came_from: app, handoffs: 1, transfer: {app: 0.6}}   # sent back to app
      - {priority: P1, handoffs: 0, transfer: {app: 0.05}}    # P1s rarely misrouted
      - {handoffs: 3+, transfer: {}}           # after three hand-offs: resolved here

``came_from`` is the team the ticket reached this group from (the desk's name for a
first visit, after escalation or from the initial backlog); ``handoffs`` counts the
hand-offs between groups before this visit (0 for the first group), exactly (``2``)
or at least (``"3+"``); ``priority`` is the ticket's priority. A condition left out
holds for every ticket.

Routing can also follow *whole paths* (trajectory resampling). ``flow.paths`` lists
rules that each name a first group (and optionally a priority and a category) and the
paths tickets escalated there take, with their shares; a ticket takes the first rule it
matches and draws one of its paths, and then goes exactly that way, group after group,
and is resolved in the path's last group. The shares may sum to less than 1: the rest
of the tickets (and tickets that match no rule) are routed by the groups' ``transfer``
and ``transfer_by_history`` — the fallback for paths too rare to list::

    paths:
      - {first: net, priority: P3, paths: {"net": 0.55, "net > db > net": 0.2, "net > app": 0.1}}

:func:`expected_visits` is what the routing means for workload: the mean number of
visits each group gets per ticket entering the groups, memory included.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping

import numpy as np
from pydantic import field_validator

from simulator.scenario.types import Probability, Spec

__all__ = ["HANDOFF_BUCKETS", "PATH_SEPARATOR", "PathRule", "TransferRule", "expected_visits",
           "handoff_bounds", "path_teams", "unresolvable_histories"]

_AT_LEAST = re.compile(r"^\s*(\d+)\s*\+\s*$")
#: Hand-off counts told apart at least when the routing's meaning is computed (0, 1, 2, 3 or more).
HANDOFF_BUCKETS = 4
#: Between the groups of a path: ``"net > db > net"``.
PATH_SEPARATOR = ">"


def handoff_bounds(handoffs: int | str | None) -> tuple[int, float]:
    """The hand-off counts a rule's ``handoffs`` covers, as (lowest, highest): ``"3+"`` → (3, inf)."""
    if handoffs is None:
        return 0, math.inf
    if isinstance(handoffs, int):
        return handoffs, float(handoffs)
    match = _AT_LEAST.match(handoffs)
    assert match is not None  # checked when the rule was read
    return int(match.group(1)), math.inf


class TransferRule(Spec):
    """Where tickets with a given history go after the group (routing with memory)."""

    came_from: str | None = None  # the team the ticket came from (the desk for a first visit)
    handoffs: int | str | None = None  # hand-offs between groups before this visit: 2, or "3+"
    priority: str | None = None  # the ticket's priority
    transfer: dict[str, Probability] = {}  # other group → probability; the rest is resolved here

    @field_validator("handoffs")
    @classmethod
    def _a_count(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, bool) or (isinstance(value, int) and value < 0):
            raise ValueError(f"expected a number of hand-offs (0, 1, 2 …) or 'N+' for N or more; "
                             f"found {value!r}")
        if isinstance(value, str) and not _AT_LEAST.match(value):
            raise ValueError(f"expected a number of hand-offs (0, 1, 2 …) or 'N+' for N or more "
                             f"(such as '3+'); found {value!r}")
        return value

    def matches(self, came_from: str | None, handoffs: int, priority: str | None = None) -> bool:
        """Whether a ticket of ``priority`` that came from ``came_from`` after ``handoffs`` hand-offs
        takes this rule (``priority`` None: the rule must not name one)."""
        low, high = handoff_bounds(self.handoffs)
        return ((self.came_from is None or self.came_from == came_from) and low <= handoffs <= high
                and (self.priority is None or self.priority == priority))


def path_teams(path: str) -> tuple[str, ...]:
    """The groups of a path, in order: ``"net > db > net"`` → ``("net", "db", "net")``."""
    return tuple(name.strip() for name in path.split(PATH_SEPARATOR))


class PathRule(Spec):
    """Whole paths that tickets escalated to ``first`` take (trajectory resampling)."""

    first: str  # the group the desk escalates the ticket to (a path's first group)
    priority: str | None = None  # only tickets of this priority
    category: str | None = None  # only tickets of this category
    paths: dict[str, Probability]  # "net > db > net" → share; the rest: by the groups' transfers

    @field_validator("paths")
    @classmethod
    def _written_paths(cls, value: dict[str, float]) -> dict[str, float]:
        for path in value:
            teams = path_teams(path)
            if any(not name for name in teams):
                raise ValueError(f"expected paths of group names separated by '{PATH_SEPARATOR}' "
                                 f"(such as 'net > db > net'); found {path!r}")
            repeated = [a for a, b in itertools.pairwise(teams) if a == b]
            if repeated:
                raise ValueError(f"expected a path that changes group at every step (a hand-off goes "
                                 f"to another group); found {repeated[0]!r} twice in a row in {path!r}")
        return value

    def matches(self, first: str, priority: str, category: str) -> bool:
        """Whether a ticket of ``priority`` and ``category`` escalated to ``first`` takes this rule."""
        return (self.first == first and (self.priority is None or self.priority == priority)
                and (self.category is None or self.category == category))


def _rule_for(rules: tuple[TransferRule, ...], fallback: Mapping[str, float], came_from: str | None,
              handoffs: int, priority: str | None) -> Mapping[str, float]:
    return next((rule.transfer for rule in rules if rule.matches(came_from, handoffs, priority)), fallback)


#: A state of a ticket at a group: (group, where it came from, hand-offs so far).
State = tuple[str, str, int]


class _Chain:
    """The routing as a Markov chain over :data:`State` (see :func:`expected_visits`).

    Hand-off counts from ``top`` on share one state: ``top`` is one more than the largest
    count any rule names, so every rule means the same for all counts from ``top`` on and
    the chain is exact.
    """

    def __init__(self, transfer: Mapping[str, Mapping[str, float]],
                 rules: Mapping[str, tuple[TransferRule, ...]], desk: str, priority: str | None) -> None:
        named = [handoff_bounds(rule.handoffs)[0] for group_rules in rules.values() for rule in group_rules]
        self.top = max([HANDOFF_BUCKETS - 1, *(count + 1 for count in named)])
        groups = list(transfer)
        sources = [desk, *groups]
        self.states: list[State] = [(g, s, h) for g in groups for s in sources for h in range(self.top + 1)
                                    if (h == 0) == (s == desk) and s != g]
        self.index = {state: i for i, state in enumerate(self.states)}
        self.matrix = np.zeros((len(self.states), len(self.states)))
        for (group, source, handoffs), row in self.index.items():
            shares = _rule_for(rules.get(group, ()), transfer[group], source, handoffs, priority)
            for target, share in shares.items():
                if target in transfer and target != group:
                    self.matrix[row, self.index[(target, group, min(handoffs + 1, self.top))]] += share

    def stuck(self, entries: Mapping[str, float]) -> list[State]:
        """States a ticket can reach from ``entries`` but from which it can never be resolved."""
        reach = self.matrix > 0
        reachable = np.zeros(len(self.states), bool)
        frontier = [self.index[(g, s, h)] for (g, s, h) in self.states if h == 0 and g in entries]
        while frontier:
            row = frontier.pop()
            if not reachable[row]:
                reachable[row] = True
                frontier.extend(np.flatnonzero(reach[row]).tolist())
        finishes = self.matrix.sum(axis=1) < 1.0 - 1e-9
        while True:
            more = finishes | (reach & finishes[None, :]).any(axis=1)
            if (more == finishes).all():
                break
            finishes = more
        return [state for state, bad in zip(self.states, reachable & ~finishes, strict=True) if bad]

    def visits(self, entries: Mapping[str, float]) -> dict[str, float]:
        start = np.zeros(len(self.states))
        for (group, _, handoffs), row in self.index.items():
            if handoffs == 0:
                start[row] = entries.get(group, 0.0)
        counts = np.linalg.solve((np.eye(len(self.states)) - self.matrix).T, start)
        result: dict[str, float] = {}
        for (group, _, _), count in zip(self.states, counts.tolist(), strict=True):
            result[group] = result.get(group, 0.0) + count
        return result


def expected_visits(entries: Mapping[str, float], transfer: Mapping[str, Mapping[str, float]],
                    rules: Mapping[str, tuple[TransferRule, ...]], desk: str,
                    priority: str | None = None) -> dict[str, float]:
    """Mean visits per group for tickets of ``priority`` entering the groups from ``desk`` with the
    shares ``entries``.

    ``transfer``: each group's memoryless transfer; ``rules``: its ``transfer_by_history``.
    Exact for any rules (a Markov chain over group, where the ticket came from and
    hand-offs so far); the routing must let every ticket be resolved
    (:func:`unresolvable_histories` is empty).
    """
    if not transfer:
        return {}
    return _Chain(transfer, rules, desk, priority).visits(entries)


def unresolvable_histories(entries: Mapping[str, float], transfer: Mapping[str, Mapping[str, float]],
                           rules: Mapping[str, tuple[TransferRule, ...]], desk: str,
                           priority: str | None = None) -> list[State]:
    """The (group, came from, hand-offs so far) a ticket of ``priority`` can reach and never leave
    unresolved.

    A count of hand-offs stands for itself and every larger one when it is the largest
    the chain tells apart.
    """
    if not transfer:
        return []
    return _Chain(transfer, rules, desk, priority).stuck(entries)
