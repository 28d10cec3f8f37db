"""Model layer: a resolver group's out-of-hours on-call rota.

Most organisations do not leave a P1 in a resolver group's queue until the morning:
an engineer is on call. With ``teams.NAME.on_call`` in the scenario, the narrative is:

1. A ticket of an on-call priority waits in the team's queue while nobody in the
   team is on duty (it arrived at night, or the last shift ended with it waiting):
   the on-call engineer is **paged**.
2. After the call-out delay (reached, out of bed, logged in), an engineer who is off
   duty and not busy takes the most urgent waiting ticket and works it as overtime —
   unless a shift has started meanwhile, whose agents take it as usual.
3. When the ticket in hand is done, the engineer takes the next urgent one while
   nobody is on duty, and otherwise goes back off call.

At shift end, an agent holding a ticket of an on-call priority finishes it rather than
handing it over. A team without ``on_call`` is unchanged: its urgent tickets wait for
the next shift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import simpy

from simulator.model.streams import RandomStreams
from simulator.scenario.distributions import Distribution

if TYPE_CHECKING:
    from simulator.model.incident import Incident
    from simulator.model.teams import Agent, Team

__all__ = ["OnCallDuty"]


class OnCallDuty:
    """The on-call rota of one team (see the module's notes)."""

    def __init__(self, env: simpy.Environment, team: Team, priorities: frozenset[int],
                 call_out: Distribution, streams: RandomStreams, case_names: list[str]) -> None:
        self.env = env
        self.team = team
        self.priorities = priorities
        self.call_out = call_out
        self.streams = streams
        self.case_names = case_names
        self.paged = False  # a call-out is under way
        self.called: set[Agent] = set()  # engineers out of hours on a call-out

    def urgent(self, incident: Incident | None) -> bool:
        """Whether a ticket is of an on-call priority."""
        return incident is not None and incident.priority in self.priorities

    def _nobody_on_duty(self) -> bool:
        return not any(agent.on_duty and not agent.away for agent in self.team.agents)

    def check(self) -> None:
        """Page the on-call engineer if an urgent ticket waits and nobody is on duty or called."""
        self.called = {agent for agent in self.called
                       if agent.incident is not None and not agent.away}
        if self.paged or self.called or not self._nobody_on_duty():
            return  # already paged, an engineer is at work and takes it next, or a shift is on
        waiting = self.team.most_urgent_waiting()
        if not self.urgent(waiting):
            return
        assert waiting is not None
        self.paged = True
        # The delay is drawn for the ticket that caused the page, so the same ticket meets the
        # same delay in every design (common random numbers).
        rng = self.streams.generator(f"on_call/{self.team.name}/{self.case_names[waiting.id]}")
        delay = float(self.call_out.sample(rng, 1)[0])
        self.env.timeout(delay).callbacks.append(self._arrived)

    def _arrived(self, _event: Any) -> None:
        self.paged = False
        if not self._nobody_on_duty():
            return  # a shift has started: its agents take the ticket
        engineer = next((agent for agent in self.team.agents
                         if not agent.on_duty and not agent.away and agent.incident is None), None)
        if engineer is None:
            return  # everyone is on a bridge or busy: the ticket waits for the next shift
        self.called.add(engineer)
        self._next_ticket(engineer)

    def _next_ticket(self, engineer: Agent) -> None:
        waiting = self.team.most_urgent_waiting()
        if self.urgent(waiting) and self._nobody_on_duty():
            assert waiting is not None
            self.team.work_out_of_hours(engineer, waiting)
        else:
            self.called.discard(engineer)

    def finished(self, agent: Agent) -> None:
        """An agent off duty finished a piece of work: a called-out engineer takes the next."""
        if agent in self.called and agent.incident is None and not agent.away:
            self._next_ticket(agent)
