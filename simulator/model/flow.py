"""Model layer: the incident flow — logging, escalation, waiting on the user, resolution, closure.

This is the ITIL narrative of one incident, step by step, written as the
handlers the teams call when a piece of work ends:

1. the incident **arrives** and is logged; its SLA clocks start; it joins the
   desk's queue;
2. when an agent finishes a **segment** of its plan, the incident either waits
   on the user (**paused**, clocks stopped) and comes back to the same queue,
   or is **reassigned** to the next group (functional escalation or a
   misroute), or is **resolved**;
3. a resolved incident may be **reopened** by the user and go back to the group
   that resolved it; otherwise it is **closed** by the hourly auto-close job once
   the closure delay has passed.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from typing import Any, Protocol

import simpy

from simulator.model.incident import ActivityCode, Incident, Recorder
from simulator.model.sla import SlaWatch
from simulator.model.teams import Agent, Team

__all__ = ["CLOSING_JOB_EVERY_MIN", "IncidentFlow", "OutageHooks", "ProblemHooks"]


class OutageHooks(Protocol):
    """What the flow asks of the outage handling (see :mod:`simulator.model.major`)."""

    def hold(self, incident: Incident, agent: Agent) -> bool: ...

    def resolved(self, incident: Incident) -> None: ...


class ProblemHooks(Protocol):
    """What the flow asks of problem management (see :mod:`simulator.model.problems`)."""

    def analysed(self, analysis: Incident, agent: Agent) -> None: ...


_A = ActivityCode
#: How often the auto-close job runs (minutes from the start of the run).
CLOSING_JOB_EVERY_MIN = 60.0


class IncidentFlow:
    """Moves incidents through their plans."""

    def __init__(self, env: simpy.Environment, teams: list[Team], recorder: Recorder,
                 sla: SlaWatch, closure_delay: float) -> None:
        self.env = env
        self.teams = teams
        self.recorder = recorder
        self.sla = sla
        self.closure_delay = closure_delay
        self.open: dict[int, Incident] = {}  # case → incident, until resolved for good
        self.outages: OutageHooks | None = None  # set when the scenario has services
        self.problems: ProblemHooks | None = None  # set when it has problem management
        self._to_close: deque[tuple[float, Incident]] = deque()  # (due, incident), due order
        if closure_delay > 0.0:
            env.process(self._close_resolved())

    def arrive(self, incident: Incident) -> None:
        """A new incident is logged and joins its first team's queue."""
        self.open[incident.id] = incident
        self.recorder.record((self.env.now, incident.id, _A.ARRIVED, incident.team, -1))
        self.teams[incident.team].enqueue(incident)
        self.sla.start(incident)  # after: a ticket answered at once needs no response deadline

    def segment_done(self, incident: Incident, agent: Agent) -> None:
        """An agent has finished a segment of the incident's plan: decide what happens next."""
        team, _, wait = incident.segments[incident.step]
        if incident.problem is not None and self.problems is not None:
            self.problems.analysed(incident, agent)  # a root-cause analysis, not an incident
            return
        if incident.outage is not None and self.outages is not None \
                and self.outages.hold(incident, agent):
            return  # it waits for its outage to be restored
        if wait > 0.0:
            self._wait_on_user(incident, agent, team, wait)
        elif incident.step + 1 < len(incident.segments):
            self._reassign(incident, agent, team)
        else:
            self._resolve(incident, agent.code, team)
            if incident.outage is not None and self.outages is not None:
                self.outages.resolved(incident)

    def resolve_with_parent(self, incident: Incident) -> None:
        """A child ticket is resolved with its major incident (no agent, no reopen)."""
        incident.reopen_delay = math.nan
        self._resolve(incident, -1, incident.team)

    def _next_segment(self, incident: Incident) -> int:
        incident.step += 1
        team, work, _ = incident.segments[incident.step]
        incident.remaining = work
        return team

    def _wait_on_user(self, incident: Incident, agent: Agent, team: int, wait: float) -> None:
        self.recorder.record((self.env.now, incident.id, _A.PAUSED, team, agent.code))
        self.sla.pause(incident)
        self._next_segment(incident)
        self.env.timeout(wait, incident).callbacks.append(self._user_answered)

    def _user_answered(self, event: Any) -> None:
        incident: Incident = event._value
        self.recorder.record((self.env.now, incident.id, _A.RESUMED, incident.team, -1))
        self.sla.resume(incident)
        self.teams[incident.team].enqueue(incident)

    def _reassign(self, incident: Incident, agent: Agent, team: int) -> None:
        self.recorder.record((self.env.now, incident.id, _A.REASSIGNED, team, agent.code))
        incident.assignee = None
        self.teams[self._next_segment(incident)].enqueue(incident)

    def _resolve(self, incident: Incident, agent: int, team: int) -> None:
        now = self.env.now
        self.recorder.record((now, incident.id, _A.RESOLVED, team, agent))
        incident.resolved = True
        if not math.isnan(incident.reopen_delay):
            self.sla.pause(incident)  # the clock resumes if the user reopens it
            delay, incident.reopen_delay = incident.reopen_delay, math.nan  # reopened at most once
            self.env.timeout(delay, incident).callbacks.append(self._reopen)
            return
        self.sla.stop(incident)
        del self.open[incident.id]
        if self.closure_delay > 0.0:
            self._to_close.append((now + self.closure_delay, incident))
        else:
            self.recorder.record((now, incident.id, _A.CLOSED, team, -1))

    def _reopen(self, event: Any) -> None:
        incident: Incident = event._value
        self.recorder.record((self.env.now, incident.id, _A.REOPENED, incident.team, -1))
        incident.resolved = False
        incident.segments.append((incident.team, incident.reopen_work, 0.0))
        self._next_segment(incident)
        self.sla.resume(incident)
        self.teams[incident.team].enqueue(incident)

    def _close_resolved(self) -> Generator[simpy.Event, None, None]:
        """The auto-close job: every hour, close the tickets resolved at least the closure delay ago.

        ServiceNow closes resolved incidents with a scheduled job (in the UCI log, hourly),
        so a ticket closes at the first run after its delay has passed. The delay is the
        same for every ticket, so the waiting list is in due order.
        """
        record, to_close = self.recorder.record, self._to_close
        while True:
            yield self.env.timeout(CLOSING_JOB_EVERY_MIN)
            now = self.env.now
            while to_close and to_close[0][0] <= now:
                incident = to_close.popleft()[1]
                record((now, incident.id, _A.CLOSED, incident.team, -1))

    def escalate(self, incident: Incident) -> None:
        """Hierarchical escalation: a waiting ticket moves ahead in its queue."""
        self.teams[incident.team].move_ahead(incident)
