"""Model layer: the incident flow — logging, escalation, waiting on the user, resolution, closure.

This is the ITIL narrative of one incident, step by step, written as the
handlers the teams call when a piece of work ends (callbacks, not a process per
ticket: this is the hot path, see ``benchmarks/``):

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
from typing import cast

import simpy

from simulator.model.incident import NO_AGENT, ActivityCode, Incident
from simulator.model.sla import PriorityClock, SlaWatch
from simulator.model.teams import Agent, Team
from simulator.model.wiring import Wiring

__all__ = ["CLOSING_JOB_EVERY_MIN", "IncidentFlow"]

_A = ActivityCode
#: How often the auto-close job runs (minutes from the start of the run).
CLOSING_JOB_EVERY_MIN = 60.0


class IncidentFlow:
    """Moves incidents through their plans, across the scenario's teams, under the SLA watch.

    Parameters
    ----------
    wiring
        The run's shared parts.
    priority_clocks
        Each priority's SLA targets and the calendar they run on (in priority order).
    """

    def __init__(self, wiring: Wiring, priority_clocks: list[PriorityClock]) -> None:
        scenario = wiring.scenario
        self.env = wiring.env
        self.recorder = wiring.recorder
        #: The teams in the event log's order; each hands a finished piece of work to the flow.
        self.teams = [Team(wiring, code, name, spec.at_shift_end == "handover", self.segment_done)
                      for code, (name, spec) in enumerate(scenario.teams.items())]
        rule = scenario.flow.hierarchical_escalation
        self.sla = SlaWatch(wiring, priority_clocks, None if rule is None else rule.at_share,
                            self.escalate)
        self.closure_delay = scenario.flow.closure_delay
        self.open: dict[int, Incident] = {}  # case → incident, until resolved for good
        # (due, case, team) of the tickets resolved for good, in due order. Their numbers rather
        # than the incidents: a closed ticket's object is freed at resolution, while still in the
        # processor's cache, rather than days later (it was a twentieth of the baseline's run).
        self._to_close: deque[tuple[float, int, int]] = deque()
        if self.closure_delay > 0.0:
            self.env.process(self._close_resolved())

    def arrive(self, incident: Incident) -> None:
        """A new incident is logged and joins its first team's queue."""
        self.open[incident.id] = incident
        self.recorder.record((self.env.now, incident.id, _A.ARRIVED, incident.team, NO_AGENT))
        self.teams[incident.team].enqueue(incident)
        if self.sla.watching:  # after: a ticket answered at once needs no response deadline
            self.sla.start(incident)

    def segment_done(self, incident: Incident, agent: Agent) -> None:
        """An agent has finished a segment of the incident's plan: decide what happens next."""
        team, _, wait = incident.segments[incident.step]
        if incident.problem is not None:
            incident.problem.analysed(agent)  # a root-cause analysis, not an incident
            return
        outage = incident.outage
        if outage is not None and outage.hold(incident, agent):
            return  # it waits for its outage to be restored
        if wait > 0.0:
            self._wait_on_user(incident, agent, team, wait)
        elif incident.step + 1 < len(incident.segments):
            self._reassign(incident, agent, team)
        else:
            self._resolve(incident, agent.code, team)
            if outage is not None:
                outage.resolved(incident)

    def resolve_with_parent(self, incident: Incident) -> None:
        """A child ticket is resolved with its major incident (no agent, no reopen)."""
        incident.reopen_delay = math.nan
        self._resolve(incident, NO_AGENT, incident.team)

    def _next_segment(self, incident: Incident) -> int:
        incident.step += 1
        team, work, _ = incident.segments[incident.step]
        incident.remaining = work
        return team

    def _wait_on_user(self, incident: Incident, agent: Agent, team: int, wait: float) -> None:
        self.recorder.record((self.env.now, incident.id, _A.PAUSED, team, agent.code))
        self.sla.pause(incident)
        self._next_segment(incident)
        self.env.call_later(wait, self._user_answered, incident)

    def _user_answered(self, event: simpy.Event) -> None:
        incident = cast(Incident, event.value)
        self.recorder.record((self.env.now, incident.id, _A.RESUMED, incident.team, NO_AGENT))
        self.sla.resume(incident)
        self.teams[incident.team].enqueue(incident)

    def _reassign(self, incident: Incident, agent: Agent, team: int) -> None:
        self.recorder.record((self.env.now, incident.id, _A.REASSIGNED, team, agent.code))
        incident.assignee = None
        self.teams[self._next_segment(incident)].enqueue(incident)

    def _resolve(self, incident: Incident, agent: int, team: int) -> None:
        now, case = self.env.now, incident.id
        incident.resolved = True
        if not math.isnan(incident.reopen_delay):
            self.recorder.record((now, case, _A.RESOLVED, team, agent))
            self.sla.pause(incident)  # the clock resumes if the user reopens it
            delay, incident.reopen_delay = incident.reopen_delay, math.nan  # reopened at most once
            self.env.call_later(delay, self._reopen, incident)
            return
        del self.open[case]  # (the SLA watch drops its deadlines: it is resolved for good)
        if self.closure_delay > 0.0:
            self.recorder.record((now, case, _A.RESOLVED, team, agent))
            self._to_close.append((now + self.closure_delay, case, incident.team))
        else:  # closed at once: the two rows in one call (the recorder takes several whole rows)
            self.recorder.record((now, case, _A.RESOLVED, team, agent, now, case, _A.CLOSED, team, NO_AGENT))

    def _reopen(self, event: simpy.Event) -> None:
        incident = cast(Incident, event.value)
        self.recorder.record((self.env.now, incident.id, _A.REOPENED, incident.team, NO_AGENT))
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
                _, case, team = to_close.popleft()
                record((now, case, _A.CLOSED, team, NO_AGENT))

    def escalate(self, incident: Incident) -> None:
        """Hierarchical escalation: a waiting ticket moves ahead in its queue."""
        self.teams[incident.team].move_ahead(incident)
