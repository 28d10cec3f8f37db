"""Model layer: SLA clocks and hierarchical escalation, as deadlines.

Each priority's response and resolution targets run on that priority's
calendar. The resolution clock stops while the ticket waits on the user and
while it is resolved (before a reopen); the response clock runs from arrival to
the first work. When a clock reaches its target with the ticket still
unanswered or unresolved, the breach is written to the event log at that
minute; hierarchical escalation fires the same way at a share of the
resolution target.

Deadlines are kept in one heap with a single pending wake-up, rather than one
timer per ticket: most tickets are answered and resolved in time, and their
entries are simply dropped when they reach the top, without ever waking the
simulation. Wake-ups are scheduled after every ordinary event of the same
minute, so a ticket resolved exactly at its deadline counts as met — the same
rule (elapsed ≤ target) the KPIs use.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import simpy
from simpy.events import EventPriority

from simulator.model.incident import ActivityCode, Incident, Recorder
from simulator.scenario.calendars import CalendarClock

__all__ = ["PriorityClock", "SlaWatch"]

_RESPONSE, _RESOLUTION, _ESCALATION = 0, 1, 2
# SimPy orders events of the same time by priority (URGENT = 0, NORMAL = 1), then by creation.
_AFTER_ORDINARY_EVENTS = cast(EventPriority, 2)


@dataclass(frozen=True)
class PriorityClock:
    """The SLA targets (working minutes) of one priority and the calendar they run on."""

    response: float | None
    resolution: float | None
    clock: CalendarClock


class _Wake(simpy.events.Event):
    """A timeout that fires after the ordinary events of its minute."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, _AFTER_ORDINARY_EVENTS, delay)


class SlaWatch:
    """Watches every open ticket's SLA deadlines and escalation point."""

    def __init__(self, env: simpy.Environment, recorder: Recorder, clocks: list[PriorityClock],
                 escalation_share: float | None, horizon: float,
                 on_escalate: Callable[[Incident], None]) -> None:
        self.env = env
        self.recorder = recorder
        self.clocks = clocks
        self.escalation_share = escalation_share
        self.horizon = horizon
        self.on_escalate = on_escalate
        self._heap: list[tuple[float, int, int, Incident, int]] = []
        self._order = itertools.count()
        self._next_wake = math.inf

    # -- the ticket's life -------------------------------------------------------------------
    def start(self, incident: Incident) -> None:
        """A new ticket: its clocks start at its arrival."""
        clock = self.clocks[incident.priority]
        if clock.response is not None and not incident.responded:
            self._push(clock.clock.deadline(incident.arrival, clock.response), _RESPONSE, incident)
        incident.clock_since = incident.arrival
        self._push_resolution(incident)

    def pause(self, incident: Incident) -> None:
        """The resolution clock stops (waiting on the user, or resolved)."""
        clock = self.clocks[incident.priority].clock
        incident.clock_used += clock.working_minutes_between(incident.clock_since, self.env.now)
        incident.clock_version += 1  # deadlines pushed before now no longer apply

    def resume(self, incident: Incident) -> None:
        """The resolution clock runs again."""
        incident.clock_since = self.env.now
        self._push_resolution(incident)

    def _push_resolution(self, incident: Incident) -> None:
        priority = self.clocks[incident.priority]
        if priority.resolution is None:
            return
        since, used = incident.clock_since, incident.clock_used
        if not incident.resolution_breached:
            self._push(priority.clock.deadline(since, priority.resolution - used), _RESOLUTION,
                       incident)
        if self.escalation_share is not None and not incident.escalated:
            threshold = self.escalation_share * priority.resolution - used
            self._push(priority.clock.deadline(since, max(0.0, threshold)), _ESCALATION, incident)

    # -- deadlines ---------------------------------------------------------------------------
    def _push(self, due: float, kind: int, incident: Incident) -> None:
        if due > self.horizon:
            return  # beyond the run: it can only be decided after the end
        heapq.heappush(self._heap, (due, next(self._order), kind, incident, incident.clock_version))
        if due < self._next_wake:
            self._schedule(due)

    def _schedule(self, due: float) -> None:
        self._next_wake = due
        _Wake(self.env, max(0.0, due - self.env.now)).callbacks.append(self._wake)

    def _wake(self, _event: Any) -> None:
        now = self.env.now
        if now < self._next_wake:
            return  # an earlier plan, superseded
        heap = self._heap
        while heap and (heap[0][0] <= now or not self._live(heap[0])):
            entry = heapq.heappop(heap)
            if entry[0] <= now and self._live(entry):
                self._fire(entry[2], entry[3])
        self._next_wake = math.inf
        if heap:
            self._schedule(heap[0][0])

    @staticmethod
    def _live(entry: tuple[float, int, int, Incident, int]) -> bool:
        kind, incident = entry[2], entry[3]
        if incident.resolved:
            return False
        if kind == _RESPONSE:
            return not incident.responded
        return entry[4] == incident.clock_version

    def _fire(self, kind: int, incident: Incident) -> None:
        now, log = self.env.now, self.recorder.log
        if kind == _RESPONSE:
            log(now, incident.id, ActivityCode.RESPONSE_SLA_BREACHED, incident.team)
        elif kind == _RESOLUTION and not incident.resolution_breached:
            incident.resolution_breached = True
            log(now, incident.id, ActivityCode.RESOLUTION_SLA_BREACHED, incident.team)
        elif kind == _ESCALATION and not incident.escalated:
            incident.escalated = True
            log(now, incident.id, ActivityCode.ESCALATED, incident.team)
            self.on_escalate(incident)

    # -- the initial backlog -----------------------------------------------------------------
    def past_events(self, incident: Incident) -> list[tuple[float, int]]:
        """Deadlines a ticket opened before the start has already passed: ``(time, activity)``.

        Marks them as fired, so that the watch does not fire them again.
        """
        priority = self.clocks[incident.priority]
        passed: list[tuple[float, int]] = []
        if priority.response is not None and not incident.responded:
            due = priority.clock.deadline(incident.arrival, priority.response)
            if due < 0.0:
                passed.append((due, ActivityCode.RESPONSE_SLA_BREACHED))
                incident.responded = True  # breached already: nothing more to watch
        if priority.resolution is not None:
            due = priority.clock.deadline(incident.arrival, priority.resolution)
            if due < 0.0:
                passed.append((due, ActivityCode.RESOLUTION_SLA_BREACHED))
                incident.resolution_breached = True
            if self.escalation_share is not None:
                due = priority.clock.deadline(incident.arrival,
                                              self.escalation_share * priority.resolution)
                if due < 0.0:
                    passed.append((due, ActivityCode.ESCALATED))
                    incident.escalated = True
        return passed
