"""Model layer: a team's queue and its agents.

A :class:`Team` keeps waiting tickets in priority order, then first come, first
served (a heap), and hands them to idle agents who are on duty. Work is
non-preemptive: an agent keeps a ticket until the segment of work is done,
unless the agent is taken off it (:meth:`Team.withdraw`, used by the major
incident team, or a hand-over at shift end), in which case the ticket goes back
to the head of its priority class with the work that remains.

SimPy is used as the event scheduler: a piece of work is one event with a
callback (``env.call_later``, :mod:`simulator.model.engine`), not a process per
ticket. This is the cheapest way to run a queue in SimPy (see ``benchmarks/``;
the rarer lifecycles — outages, changes, problems — are processes), and a team
reads as what it does: take the next ticket, work on it, hand it on.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol

import simpy

from simulator.model.incident import NO_AGENT, ActivityCode, Incident

if TYPE_CHECKING:
    from simulator.model.wiring import Wiring

__all__ = ["Agent", "OnCallHooks", "Team"]

_A = ActivityCode


class OnCallHooks(Protocol):
    """What a team asks of its on-call rota (see :mod:`simulator.model.oncall`)."""

    def urgent(self, incident: Incident | None) -> bool: ...

    def check(self) -> None: ...

    def finished(self, agent: Agent) -> None: ...


class Agent:
    """One person in a team."""

    __slots__ = (
        "away",
        "code",
        "done",
        "incident",
        "name",
        "on_duty",
        "session",
        "started",
        "team",
    )

    def __init__(self, code: int, name: str, team: Team) -> None:
        self.code = code
        self.name = name
        self.team = team
        self.incident: Incident | None = None
        self.session: simpy.Event | None = None  # the pending end of the current work
        # What the end of a session calls: made once per agent, not once per piece of work.
        self.done: Callable[[simpy.Event], None] = partial(team.finished, self)
        self.started = 0.0
        self.on_duty = False  # busy while off duty: finishing the ticket in hand, as overtime
        self.away = False  # withdrawn from the team (e.g. to a major-incident bridge)


class Team:
    """A queue of tickets and the agents who work on them.

    Parameters
    ----------
    wiring
        The run's shared parts (its environment and recorder).
    code, name
        The team's number in the event log and its name.
    handover
        At shift end, put the ticket in hand back in the queue (``True``) or finish it first.
    on_segment_done
        Called with ``(incident, agent)`` when an agent finishes a segment of work.
    """

    def __init__(self, wiring: Wiring, code: int, name: str, handover: bool,
                 on_segment_done: Callable[[Incident, Agent], None]) -> None:
        self.env = wiring.env
        self.code = code
        self.name = name
        self.recorder = wiring.recorder
        self.handover = handover
        self.on_segment_done = on_segment_done
        self.agents: list[Agent] = []
        self._queue: list[tuple[int, int, float, int, Incident]] = []
        self._order = itertools.count()
        self._idle: deque[Agent] = deque()
        self._queued = 0  # tickets waiting (stale heap entries excluded)
        self._queue_area = 0.0  # time-integral of the number waiting (Little's law monitor)
        self._queue_changed = 0.0
        self.on_call: OnCallHooks | None = None  # the out-of-hours rota, if the team has one

    # -- the queue ---------------------------------------------------------------------------
    def enqueue(self, incident: Incident, entered: float | None = None) -> None:
        """Put a ticket in the queue (``entered`` keeps an earlier place, after an interruption)."""
        now = self.env.now
        incident.team = self.code
        incident.entered = now if entered is None else entered
        self.recorder.record((now, incident.id, _A.QUEUED, self.code, NO_AGENT))
        if self._idle and not self._queued:  # nobody waiting and someone free: straight to work
            self._start(self._idle.popleft(), incident, now)
            return
        self._push(incident, now)
        if self._idle:
            self._dispatch()
        elif self.on_call is not None:
            self.on_call.check()

    def preload(self, incident: Incident) -> None:
        """A ticket already waiting when the run starts (initial backlog); keeps its arrival as its place."""
        incident.team = self.code
        self._push(incident, self.env.now)

    # (``now`` is passed down the hot path: SimPy's ``env.now`` is a property, a Python call
    # each time it is read; the handlers read it once.)
    def _push(self, incident: Incident, now: float) -> None:
        entry = (incident.priority, 0 if incident.escalated else 1, incident.entered,
                 next(self._order), incident)
        incident.queue_entry = entry
        heapq.heappush(self._queue, entry)
        # (:meth:`_count_queue`, written out: every ticket that waits comes this way)
        self._queue_area += self._queued * (now - self._queue_changed)
        self._queue_changed = now
        self._queued += 1

    def _count_queue(self, change: int, now: float) -> None:
        """Keep the time-integral of the number waiting up to date, then change the number."""
        self._queue_area += self._queued * (now - self._queue_changed)
        self._queue_changed = now
        self._queued += change

    def move_ahead(self, incident: Incident) -> None:
        """Re-place a waiting ticket after hierarchical escalation (ahead in its priority)."""
        if incident.queue_entry is not None:
            now = self.env.now
            self._count_queue(-1, now)
            self._push(incident, now)  # the old heap entry is skipped when it surfaces

    def _dispatch(self) -> None:
        queue, idle, now = self._queue, self._idle, self.env.now
        while queue and idle:
            entry = heapq.heappop(queue)
            incident = entry[4]
            if incident.queue_entry is not entry:
                continue  # superseded by a newer place in the queue
            # (:meth:`_count_queue`, written out: every ticket that waits comes this way)
            self._queue_area += self._queued * (now - self._queue_changed)
            self._queue_changed = now
            self._queued -= 1
            incident.queue_entry = None
            self._start(idle.popleft(), incident, now)

    # -- work --------------------------------------------------------------------------------
    def _start(self, agent: Agent, incident: Incident, now: float) -> None:
        case, team = incident.id, self.code
        if incident.assignee is not agent:
            incident.assignee = agent
            # Two rows in one call (the recorder takes any number of whole rows at once).
            self.recorder.record((now, case, _A.ASSIGNED, team, agent.code,
                                  now, case, _A.WORK_STARTED, team, agent.code))
        else:
            self.recorder.record((now, case, _A.WORK_STARTED, team, agent.code))
        incident.responded = True
        agent.incident = incident
        agent.started = now
        agent.session = self.env.call_later(incident.remaining, agent.done)

    def finished(self, agent: Agent, event: simpy.Event) -> None:
        """The end of a piece of work of ``agent`` (a session's callback, through ``agent.done``)."""
        if agent.session is not event:
            return  # this work was interrupted; the ticket is back in a queue
        incident = agent.incident
        assert incident is not None
        agent.session = None
        agent.incident = None
        incident.remaining = 0.0
        self.on_segment_done(incident, agent)
        self._after_work(agent)

    def _after_work(self, agent: Agent) -> None:
        """The agent is free: the next ticket (the body of :meth:`_make_idle`, written out on
        this path, which every piece of work takes), or, off duty, the end of the overtime."""
        if agent.on_duty and not agent.away:
            if agent not in self._idle:
                self._idle.append(agent)
            if self._queue:
                self._dispatch()
        # An agent off duty was finishing a ticket as overtime: that ends with the ticket
        # (unless the agent was called out and another urgent ticket waits).
        elif self.on_call is not None:
            self.on_call.finished(agent)

    def _make_idle(self, agent: Agent) -> None:
        if agent not in self._idle:
            self._idle.append(agent)
        if self._queue:
            self._dispatch()

    def _interrupt(self, agent: Agent) -> None:
        incident = agent.incident
        assert incident is not None
        now = self.env.now
        incident.remaining = max(0.0, incident.remaining - (now - agent.started))
        agent.session = None
        agent.incident = None
        self.recorder.record((now, incident.id, _A.INTERRUPTED, self.code, agent.code))
        self.enqueue(incident, entered=incident.entered)

    # -- staffing ----------------------------------------------------------------------------
    def add_agent(self, name: str) -> Agent:
        """A new agent in the team, off duty until :meth:`come_on_duty`."""
        agent = Agent(self.recorder.add_agent(name), name, self)
        self.agents.append(agent)
        return agent

    def come_on_duty(self, agent: Agent) -> None:
        """The agent's shift starts (one still on the last shift's ticket simply carries on)."""
        if agent.on_duty:
            return
        agent.on_duty = True
        self.recorder.log_duty(self.env.now, self.code, agent.code, True)
        if agent.incident is None and not agent.away:
            self._make_idle(agent)

    def go_off_duty(self, agent: Agent, finish: bool = False) -> None:
        """The agent's shift ends: finish the ticket in hand, or hand it over (``finish``: always
        finish it, as before a break)."""
        if not agent.on_duty:
            return
        agent.on_duty = False
        self.recorder.log_duty(self.env.now, self.code, agent.code, False)
        if agent.incident is None:
            if agent in self._idle:
                self._idle.remove(agent)
        elif (self.handover and not finish
              and not (self.on_call is not None and self.on_call.urgent(agent.incident))):
            self._interrupt(agent)
        # Otherwise the agent finishes the ticket in hand: busy while off duty is overtime.
        if self.on_call is not None:
            self.on_call.check()

    def withdraw(self, agent: Agent | None = None) -> Agent | None:
        """Take an agent off the team's work (an idle one if there is one); ``None`` if nobody is on duty."""
        if agent is None:
            candidates = [a for a in self.agents if a.on_duty and not a.away]
            idle = [a for a in candidates if a.incident is None]
            # Prefer an idle agent, else the one on the least urgent ticket.
            busy = sorted((a for a in candidates if a.incident is not None),
                          key=lambda a: (-a.incident.priority, a.started))  # type: ignore[union-attr]
            if not idle and not busy:
                return None
            agent = (idle or busy)[0]
        agent.away = True
        if agent in self._idle:
            self._idle.remove(agent)
        if agent.incident is not None:
            self._interrupt(agent)
        return agent

    def pick_for_bridge(self) -> Agent | None:
        """Who answers a page: someone free on duty, else busy on duty, else someone off duty."""
        present = [agent for agent in self.agents if not agent.away]
        ranked = sorted(present, key=lambda agent: (
            not agent.on_duty, agent.incident is not None,
            -agent.incident.priority if agent.incident is not None else 0))
        return ranked[0] if ranked else None

    def detach(self, incident: Incident) -> Agent | None:
        """Take a ticket out of the team's hands (it is settled elsewhere).

        Returns the agent who was working on it, now free but not yet given new work
        (call :meth:`resume`), or ``None`` if it was waiting in the queue.
        """
        if incident.queue_entry is not None:
            self._count_queue(-1, self.env.now)
            incident.queue_entry = None  # its heap entry is skipped when it surfaces
            return None
        for agent in self.agents:
            if agent.incident is incident:
                incident.remaining = max(0.0, incident.remaining - (self.env.now - agent.started))
                agent.session = None
                agent.incident = None
                return agent
        return None

    def resume(self, agent: Agent) -> None:
        """A freed agent goes back to the team's queue (if on duty and not on a bridge)."""
        self._after_work(agent)

    def give_back(self, agent: Agent) -> None:
        """A withdrawn agent returns to the team's work."""
        if not agent.away:
            raise ValueError(f"{agent.name} was not withdrawn from {self.name}")
        agent.away = False
        if agent.on_duty and agent.incident is None:
            self._make_idle(agent)

    def most_urgent_waiting(self) -> Incident | None:
        """The ticket the queue would hand out next (None if nobody waits)."""
        queue = self._queue
        while queue and queue[0][4].queue_entry is not queue[0]:
            heapq.heappop(queue)  # superseded by a newer place in the queue
        return queue[0][4] if queue else None

    def work_out_of_hours(self, agent: Agent, incident: Incident) -> None:
        """An agent off duty (called out) takes a waiting ticket now, as overtime."""
        self.detach(incident)
        self._start(agent, incident, self.env.now)

    # -- inspection --------------------------------------------------------------------------
    def waiting(self) -> list[Incident]:
        """Tickets in the queue, in the order they will be taken."""
        return [entry[4] for entry in sorted(self._queue) if entry[4].queue_entry is entry]

    def queue_length_area(self, now: float) -> float:
        """∫ number waiting dt from the start to ``now`` (ticket-minutes)."""
        return self._queue_area + self._queued * (now - self._queue_changed)

    @property
    def n_waiting(self) -> int:
        """How many tickets wait in the queue."""
        return self._queued

