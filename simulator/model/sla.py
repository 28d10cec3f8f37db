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
simulation. A ticket resolved for good needs no call: once ``resolved`` is set
(only a reopen, which follows a :meth:`SlaWatch.pause`, unsets it) its entries
are dead. Wake-ups are scheduled after every ordinary event of the same minute,
so a ticket resolved exactly at its deadline counts as met — the same rule
(elapsed ≤ target) the KPIs use.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from simulator.eventlog.log import SAME_MOMENT_MIN
from simulator.model.engine import LATE
from simulator.model.incident import NO_AGENT, ActivityCode, Incident
from simulator.scenario.calendars import CalendarClock

if TYPE_CHECKING:
    from simulator.model.wiring import Wiring

__all__ = ["PriorityClock", "SlaWatch"]

_RESPONSE, _RESOLUTION, _ESCALATION = 0, 1, 2  # (also the index of each in SlaWatch._targets)


@dataclass(frozen=True)
class PriorityClock:
    """The SLA targets (working minutes) of one priority and the calendar they run on."""

    response: float | None
    resolution: float | None
    clock: CalendarClock


class SlaWatch:
    """Watches every open ticket's SLA deadlines and escalation point.

    Parameters
    ----------
    wiring
        The run's shared parts (its environment, recorder and horizon).
    clocks
        Each priority's targets and calendar, in priority order.
    escalation_share
        Hierarchical escalation at this share of the resolution target (``None``: none).
    on_escalate
        Called with the ticket when it is escalated.
    """

    def __init__(self, wiring: Wiring, clocks: list[PriorityClock], escalation_share: float | None,
                 on_escalate: Callable[[Incident], None]) -> None:
        self.env = wiring.env
        self.recorder = wiring.recorder
        self.clocks = clocks
        self.escalation_share = escalation_share
        self.horizon = wiring.scenario.run.horizon
        self.on_escalate = on_escalate
        # Each priority's points to watch, in working minutes of its clock, by kind of deadline
        # (``None``: not watched): the response and resolution targets and the escalation point,
        # in that order, so that a deadline's kind (_RESPONSE, _RESOLUTION, _ESCALATION) indexes it.
        self._targets = [(clock.response, clock.resolution,
                          None if escalation_share is None or clock.resolution is None
                          else escalation_share * clock.resolution) for clock in clocks]
        self._always_open = [clock.clock.always_open for clock in clocks]
        #: Whether any priority has a target or an escalation point. Without one nothing is ever
        #: watched, and the flow need not call :meth:`start`.
        self.watching = any(target is not None for targets in self._targets for target in targets)
        self._heap: list[tuple[float, int, int, Incident, int, bool]] = []
        self._order = itertools.count()
        self._next_wake = math.inf

    # -- the ticket's life -------------------------------------------------------------------
    def start(self, incident: Incident) -> None:
        """A new ticket: its clocks start at its arrival (unanswered tickets: the response clock too)."""
        since = incident.clock_since = incident.arrival
        response, resolution, _ = self._targets[incident.priority]
        if response is not None and not incident.responded:
            self._push(_RESPONSE, incident, since, response)
        if resolution is not None:  # (nothing to watch otherwise: skip the call)
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
        """Watch the next point of the running resolution clock: escalation, then the breach.

        Only one of the two is in the heap at a time: most tickets are resolved before the
        first, and the second is pushed when the first fires."""
        if incident.resolution_breached:
            return
        kind = _RESOLUTION if incident.escalated else _ESCALATION
        target = self._targets[incident.priority][kind]
        if kind == _ESCALATION and target is None:  # no escalation rule: the breach is next
            kind, target = _RESOLUTION, self._targets[incident.priority][_RESOLUTION]
        if target is not None:
            self._push(kind, incident, incident.clock_since, max(0.0, target - incident.clock_used))

    # -- deadlines ---------------------------------------------------------------------------
    def _push(self, kind: int, incident: Incident, since: float, working: float) -> None:
        """Watch the moment ``working`` minutes of the priority's clock will have run since ``since``.

        On a calendar that closes, ``since + working`` is a cheap lower bound of that moment:
        the exact time is only worked out if the ticket is still open by then, which most
        are not.
        """
        due = since + working
        if due > self.horizon:
            return  # beyond the run: it can only be decided after the end
        exact = working == 0.0 or self._always_open[incident.priority]
        heapq.heappush(self._heap, (due, next(self._order), kind, incident,
                                    incident.clock_version, exact))
        if due < self._next_wake:
            self._schedule(due)

    def _schedule(self, due: float) -> None:
        self._next_wake = due
        # A hair after the deadline, after that minute's ordinary events: a ticket answered or
        # resolved at its deadline (to the precision of the event log's timestamps) is in time.
        delay = max(0.0, due - self.env.now) + SAME_MOMENT_MIN
        self.env.call_later(delay, self._wake, priority=LATE)

    def _exact_due(self, kind: int, incident: Incident) -> float:
        """The exact moment of a deadline still to watch (its clock has not stopped since its push)."""
        target = self._targets[incident.priority][kind]
        assert target is not None
        clock = self.clocks[incident.priority].clock
        if kind == _RESPONSE:
            return clock.deadline(incident.arrival, target)
        return clock.deadline(incident.clock_since, max(0.0, target - incident.clock_used))

    def _wake(self, _event: simpy.Event) -> None:
        now = self.env.now
        if now < self._next_wake:
            return  # an earlier plan, superseded
        heap = self._heap
        # Take every entry that is due, and every dead one that has come to the top.
        while heap:
            due, _, kind, incident, version, exact = heap[0]
            # Still to watch? Not once the ticket is resolved, nor a response deadline once it is
            # answered, nor a resolution deadline pushed before its clock last stopped.
            alive = not incident.resolved and (not incident.responded if kind == _RESPONSE
                                               else version == incident.clock_version)
            if alive and due > now:
                break
            heapq.heappop(heap)
            if not alive:
                continue
            if not exact:  # a lower bound has come: now work out the exact moment
                exact_due = self._exact_due(kind, incident)
                if exact_due > now:
                    if exact_due <= self.horizon:
                        heapq.heappush(heap, (exact_due, next(self._order), kind, incident,
                                              version, True))
                    continue
            self._fire(kind, incident)
        self._next_wake = math.inf
        if heap:
            self._schedule(heap[0][0])

    def _fire(self, kind: int, incident: Incident) -> None:
        now, record = self.env.now, self.recorder.record
        if kind == _RESPONSE:
            record((now, incident.id, ActivityCode.RESPONSE_SLA_BREACHED, incident.team, NO_AGENT))
        elif kind == _RESOLUTION and not incident.resolution_breached:
            incident.resolution_breached = True
            record((now, incident.id, ActivityCode.RESOLUTION_SLA_BREACHED, incident.team, NO_AGENT))
        elif kind == _ESCALATION and not incident.escalated:
            incident.escalated = True
            record((now, incident.id, ActivityCode.ESCALATED, incident.team, NO_AGENT))
            self.on_escalate(incident)
            self._push_resolution(incident)  # the breach is next

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
