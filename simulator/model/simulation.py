"""Model layer: one replication of a scenario, with run control.

:class:`Simulation` builds the model for (scenario, seed, replication): the
arrival times and plans of every incident, the teams and their rosters, the SLA
watch and the flow, then change and problem management and the outages — in
the order they depend on each other, each handed the run's
:class:`~simulator.model.wiring.Wiring`. It can run to the end in one go, or be driven step by step
— advance to a time, inspect the state, inject an incident or a staffing
change, continue — which is what the tabletop mode builds on. Its only output
is the :class:`~simulator.eventlog.log.SimulationLog`.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import simpy

from simulator.eventlog.log import SimulationLog
from simulator.model.abandonment import Abandonment, LiveStream
from simulator.model.arrivals import arrival_times
from simulator.model.changes import ChangeHandling
from simulator.model.decisions import Decision, DecisionPoints
from simulator.model.engine import ModelEnvironment
from simulator.model.flow import IncidentFlow
from simulator.model.incident import NO_AGENT, NO_CASE, NO_TEAM, ActivityCode, Incident, Recorder, case_id
from simulator.model.major import OutageHandling
from simulator.model.memory import ordinary_pages
from simulator.model.oncall import OnCallDuty
from simulator.model.outages import plan_outages
from simulator.model.planning import PlannedIncidents, plan_backlog, plan_stream
from simulator.model.problems import FamilyState, ProblemHandling
from simulator.model.rosters import available_periods, duty_periods, roster_agents
from simulator.model.sla import PriorityClock
from simulator.model.streams import RandomStreams
from simulator.model.teams import Agent, Team
from simulator.model.timing import LateTimeout
from simulator.model.wiring import Wiring
from simulator.scenario.calendars import ALWAYS_OPEN, CalendarClock
from simulator.scenario.schema import Scenario

__all__ = ["AgentState", "ModelState", "Simulation", "TicketState", "TicketStatus"]

_DAY = 24 * 60.0
_NO_REOPEN = (math.nan, 0.0)
#: In the snapshot's order of a team's tickets: those in no queue (in work, paused) come first.
_NOT_QUEUED = -1


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Run the body (or, as a decorator, the method) with Python's cyclic garbage collector
    paused; reference counting still frees every object as usual.

    Why: building and running a replication allocate millions of small objects (plans, event-log
    rows, SimPy events, queue entries) and make next to no reference cycles (a one-year baseline
    leaves about 50 objects for the collector), yet the collector's periodic passes over the
    growing heap took about a third of the time. It is restored on the way out and collects
    those few cycles then.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class TicketStatus(StrEnum):
    """Where an open ticket stands."""

    QUEUED = "queued"  # in its team's queue
    IN_WORK = "in work"  # an agent is working on it
    WAITING_ON_USER = "waiting on user"  # paused: its SLA clocks stop
    AWAITING_RESTORATION = "awaiting restoration"  # about an outage: waits for the service
    RESOLVED = "resolved (may reopen)"  # the user may still reopen it


@dataclass(frozen=True)
class TicketState:
    """An open ticket as seen at one moment."""

    case_id: str
    priority: str
    category: str
    team: str
    status: TicketStatus
    age_min: float
    agent: str | None


@dataclass(frozen=True)
class AgentState:
    """An agent as seen at one moment."""

    name: str
    team: str
    on_duty: bool
    away: bool
    working_on: str | None


@dataclass(frozen=True)
class ModelState:
    """A snapshot of the model: the time, every open ticket and every agent."""

    time: dt.datetime
    minutes: float
    open_tickets: tuple[TicketState, ...]
    agents: tuple[AgentState, ...]

    def queue(self, team: str) -> list[TicketState]:
        """Tickets waiting in a team's queue, in the order they will be taken."""
        return [ticket for ticket in self.open_tickets
                if ticket.team == team and ticket.status == TicketStatus.QUEUED]


class Simulation:
    """One replication of a scenario.

    Parameters
    ----------
    scenario
        The organisation to simulate.
    replication
        The replication index; with the seed, it fixes every random number.
    seed
        The root seed (default: the scenario's ``run.seed``).
    """

    @_cycle_collector_paused()
    def __init__(self, scenario: Scenario, replication: int = 0, seed: int | None = None,
                 interactive: bool = False) -> None:
        self.scenario = scenario
        self.replication = replication
        self.seed = scenario.run.seed if seed is None else seed
        self.start = scenario.run.start
        self.horizon = scenario.run.horizon
        self.env = ModelEnvironment()
        self.decisions = DecisionPoints(self.env, interactive)
        self.streams = RandomStreams(self.seed, replication)
        self.recorder = Recorder(list(scenario.teams), list(scenario.priorities),
                                 list(scenario.categories()), list(scenario.services))
        backlog = [plan_backlog(scenario, index, self.streams)
                   for index in range(len(scenario.initial_backlog))]
        earliest = min([0.0, *(float(plans.arrival.min()) for plans in backlog if len(plans))])
        clocks = {name: CalendarClock(calendar, self.start, 0.0, self.horizon)
                  for name, calendar in scenario.calendars.items()}
        clocks[ALWAYS_OPEN] = CalendarClock(None, self.start)
        wiring = Wiring(self.env, scenario, self.recorder, self.streams, self.decisions, clocks)
        # Built in dependency order: the flow (teams, SLA watch), changes, problems, outages.
        self.flow = IncidentFlow(wiring, self._priority_clocks(earliest))
        self.teams = self.flow.teams
        self._start_on_call()
        self._start_rosters()
        self._load_backlog(backlog)
        self.changes: ChangeHandling | None = None
        if scenario.changes.emergency is not None or scenario.changes.normal is not None:
            self.changes = ChangeHandling(wiring, self.flow)
        self.problems: ProblemHandling | None = None
        if scenario.problems is not None:
            assert self.changes is not None  # validated: a fix is a normal change
            self.problems = ProblemHandling(wiring, self.teams, self.changes)
        # Only built when some phone or chat stream has a patience: without, nothing changes.
        self.abandonment: Abandonment | None = None
        if any(stream.patience is not None for stream in scenario.arrivals.values()):
            self.abandonment = Abandonment(wiring, self.flow)
        self._prepare_arrivals()
        self.outages: OutageHandling | None = None
        if scenario.services:
            self.outages = OutageHandling(wiring, self.flow, plan_outages(scenario, self.streams),
                                          self.changes, self.problems)
        self._injected = 0
        self._queue_area_at_warmup: dict[str, float] = {}
        self.env.process(self._mark_warmup(scenario.run.warmup))

    # -- building ----------------------------------------------------------------------------
    def _start_on_call(self) -> None:
        priorities = list(self.scenario.priorities)
        for team, spec in zip(self.teams, self.scenario.teams.values(), strict=True):
            if spec.on_call is not None:
                team.on_call = OnCallDuty(
                    self.env, team, frozenset(priorities.index(name) for name in spec.on_call.priorities),
                    spec.on_call.call_out, self.streams, self.recorder.case_names)

    def _priority_clocks(self, earliest: float) -> list[PriorityClock]:
        clocks: dict[str, CalendarClock] = {}
        for name, calendar in self.scenario.calendars.items():
            clocks[name] = CalendarClock(calendar, self.start, earliest - _DAY,
                                         self.horizon + 60 * _DAY)
        always = CalendarClock(None, self.start)
        return [PriorityClock(priority.response, priority.resolution,
                              always if priority.calendar == ALWAYS_OPEN else clocks[priority.calendar])
                for priority in self.scenario.priorities.values()]

    def _start_rosters(self) -> None:
        # (minute, 1 on / 0 off, team, agent, a break: the ticket in hand is finished first)
        changes: list[tuple[float, int, Team, Agent, bool]] = []
        periods: dict[int, list[tuple[float, float]]] = {}  # per shift: its agents share them
        for team, (name, spec) in zip(self.teams, self.scenario.teams.items(), strict=True):
            agents = roster_agents(name, spec)
            reduced = spec.shrinkage > 0 or spec.breaks or spec.planned_absence
            absent = max((absence.agents for absence in spec.planned_absence), default=0)
            draws = (self.streams.generator(f"shrinkage/{name}"),
                     self.streams.generator(f"breaks/{name}")) if reduced else None
            for number, (agent_name, shift) in enumerate(agents):
                agent = team.add_agent(agent_name)
                if id(shift) not in periods:
                    periods[id(shift)] = duty_periods(shift, self.start, 0.0, self.horizon)
                worked: list[tuple[float, float]] = periods[id(shift)]
                breaks: list[tuple[float, float]] = []
                if draws is not None:
                    worked, breaks = available_periods(spec, worked, self.start,
                                                       number >= len(agents) - absent, *draws)
                for on, off in worked:
                    changes.append((on, 1, team, agent, False))
                    if off < self.horizon:
                        changes.append((off, 0, team, agent, any(off == gap[0] for gap in breaks)))
        # Shifts ending hand over before shifts starting at the same minute take over.
        changes.sort(key=lambda change: (change[0], change[1]))
        self.env.process(self._follow_rosters(changes))

    def _follow_rosters(self, changes: list[tuple[float, int, Team, Agent, bool]]
                        ) -> Generator[simpy.Event, None, None]:
        for time, on, team, agent, pause in changes:
            if time > self.env.now:
                # After the minute's ordinary events: work that ends as a shift ends is finished.
                yield LateTimeout(self.env, time - self.env.now)
            if on:
                team.come_on_duty(agent)
            else:
                team.go_off_duty(agent, finish=pause)

    def _load_backlog(self, batches: list[PlannedIncidents]) -> None:
        rows: list[tuple[float, int, int, int, int]] = []
        tickets = sorted(((float(plans.arrival[index]), order, plans, index)
                          for order, plans in enumerate(batches) for index in range(len(plans))),
                         key=lambda ticket: ticket[:2])
        incidents = [self._incident(plans, index, case_id("BKL", number), arrival)
                     for number, (arrival, _, plans, index) in enumerate(tickets, start=1)]
        desk = list(self.scenario.teams).index(self.scenario.flow.desk.team)
        for incident in incidents:
            team = incident.team
            # Past the desk, a ticket was answered before the run began: no response clock.
            incident.responded = team != desk
            rows.append((incident.arrival, len(rows), incident.id, ActivityCode.ARRIVED, team))
            rows.append((incident.arrival, len(rows), incident.id, ActivityCode.QUEUED, team))
            for time, activity in self.flow.sla.past_events(incident):
                rows.append((time, len(rows), incident.id, activity, team))
        for time, _, case, activity, team in sorted(rows):
            self.recorder.record((time, case, activity, team, NO_AGENT))
        for incident in incidents:
            self.flow.open[incident.id] = incident
            self.flow.sla.start(incident)  # the deadlines still ahead
            self.teams[incident.team].preload(incident)

    def _prepare_arrivals(self) -> None:
        batches = []
        # Per batch, for a problem family's stream: its state, the plans once it is a known
        # error, and each incident's uniform for "avoided by the fix".
        self._families: list[tuple[FamilyState, PlannedIncidents, np.ndarray] | None] = []
        # Per batch, for a phone or chat stream with a patience: its contacts' patience.
        self._live: list[LiveStream | None] = []
        for name, stream in self.scenario.arrivals.items():
            times = arrival_times(stream, self.start, self.horizon,
                                  self.streams.generator(f"arrivals/{name}"))
            batches.append(plan_stream(self.scenario, name, times, self.streams))
            self._live.append(None if self.abandonment is None or stream.patience is None
                              else self.abandonment.live_stream(name, stream, len(times)))
            family = self.problems.by_stream.get(name) if self.problems is not None else None
            if family is None:
                self._families.append(None)
                continue
            known = plan_stream(self.scenario, name, times, self.streams,
                                known_error=family.spec.known_error)
            self._families.append((family, known, self.streams.uniforms(f"avoid/stream/{name}",
                                                                        len(times))))
        self._batches = batches
        times = np.concatenate([batch.arrival for batch in batches]) if batches else np.empty(0)
        batch_of = np.concatenate([np.full(len(batch), code) for code, batch in enumerate(batches)])
        index_in = np.concatenate([np.arange(len(batch)) for batch in batches])
        order = np.argsort(times, kind="stable")
        self._arrival_time = times[order].tolist()
        self._arrival_batch = batch_of[order].tolist()
        self._arrival_index = index_in[order].tolist()
        self._next_arrival = 0
        if self._arrival_time:
            self.env.call_later(self._arrival_time[0], self._arrive)

    def _incident(self, plans: PlannedIncidents, index: int, name: str, arrival: float) -> Incident:
        """Incident ``index`` of a batch of plans, logged as ``name``, arriving at ``arrival``."""
        priority, category, segments = plans.tickets[index]
        case = self.recorder.add_case(name, priority, category)
        reopen_delay, reopen_work = plans.reopen.get(index, _NO_REOPEN)
        return Incident(case, priority, category, arrival, list(segments), reopen_delay, reopen_work)

    def _arrive(self, _event: simpy.Event) -> None:
        now = self.env.now
        times, k, n = self._arrival_time, self._next_arrival, len(self._arrival_time)
        abandonment = self.abandonment
        while k < n and times[k] <= now:
            batch, index = self._arrival_batch[k], self._arrival_index[k]
            family = self._families[batch]
            incident: Incident | None
            if family is None:
                incident = self._incident(self._batches[batch], index, case_id("INC", k + 1), now)
            else:
                incident = self._family_incident(family, batch, index, case_id("INC", k + 1), now)
            if incident is not None:
                self.flow.arrive(incident)
                if abandonment is not None:
                    live = self._live[batch]
                    if live is not None:
                        abandonment.watch(incident, float(live.patience[index]), live)
            k += 1
        self._next_arrival = k
        if k < n:
            self.env.call_later(max(0.0, times[k] - now), self._arrive)

    def _family_incident(self, family: tuple[FamilyState, PlannedIncidents, np.ndarray],
                         batch: int, index: int, name: str, arrival: float) -> Incident | None:
        """An incident of a problem family: avoided once fixed, helped once a known error."""
        state, known, avoid = family
        problems = self.problems
        assert problems is not None
        plans = known if state.known_error else self._batches[batch]
        if problems.avoids(state, float(avoid[index])):
            case = self.recorder.add_case(name, int(plans.priority[index]), int(plans.category[index]))
            if state.case != NO_CASE:
                self.recorder.link(case, state.case)
            problems.avoided(case, NO_TEAM)
            return None
        problems.arrived(state)
        return self._incident(plans, index, name, arrival)

    def _mark_warmup(self, warmup: float) -> Generator[simpy.Event, None, None]:
        """At the end of the warm-up, note each queue's area so far (the monitor starts there)."""
        yield self.env.timeout(warmup)
        self._queue_area_at_warmup = {team.name: team.queue_length_area(self.env.now)
                                      for team in self.teams}

    # -- run control -------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulation time in minutes since the start."""
        return float(self.env.now)

    @property
    def clock(self) -> dt.datetime:
        """Simulation time as a datetime."""
        return self.start + dt.timedelta(minutes=self.now)

    @_cycle_collector_paused()
    def run(self, until: float | dt.datetime | None = None) -> None:
        """Advance to ``until`` (minutes or a datetime; default the end of the horizon)."""
        target = self.horizon if until is None else until
        if isinstance(target, dt.datetime):
            target = (target - self.start).total_seconds() / 60.0
        target = min(float(target), self.horizon)
        if target < self.now:
            raise ValueError(f"cannot go back in time: now is minute {self.now:g}, "
                             f"asked for minute {target:g}")
        if self.decisions.interactive:
            # Stop at the first question: the clock waits at that minute for the answer.
            while not self.decisions.pending and self.env.peek() < target:
                self.env.step()
            if self.decisions.pending:
                return
        if target > self.now:
            self.env.run(until=target)

    def advance(self, minutes: float) -> None:
        """Advance by ``minutes`` (in an interactive run, up to the next question at most)."""
        self.run(self.now + minutes)

    # -- decisions (interactive runs: ``Simulation(..., interactive=True)``) ------------------
    def pending_decisions(self) -> list[Decision]:
        """The questions waiting for an answer (the clock does not move while there are any)."""
        return [decision for decision, _ in self.decisions.pending.values()]

    @_cycle_collector_paused()
    def decide(self, key: str, answer: str) -> str:
        """Answer a pending question now; returns the answer as the model took it.

        The process that asked goes on at once, at this minute, as does everything else due
        at this minute — up to the next question, if one comes. Raises ``KeyError`` for an
        unknown question and ``ValueError`` for an answer that is not one of its options."""
        taken = self.decisions.answer(key, answer)
        now = self.env.now
        while not self.decisions.pending and self.env.peek() <= now:
            self.env.step()
        return taken

    def send_update(self, case: str) -> bool:
        """A stakeholder update about major incident ``case`` now (interactive runs leave the
        cadence to the players); False when there is nothing to update about."""
        return self.outages is not None and self.outages.send_update(case)

    def start_outage(self, service: str) -> str:
        """An outage of ``service`` starts now (an inject); returns its case id."""
        if self.outages is None or service not in self.scenario.services:
            raise ValueError(f"no service {service!r}; services: {list(self.scenario.services)}")
        return self.outages.start_outage(service)

    def inject_incident(self, stream: str | None = None, priority: str | None = None) -> str:
        """Add an incident now, planned like one from ``stream`` (default the first stream).

        Returns its case id (``INJ0000001``, ...). ``priority`` replaces the priority it would
        draw (its handling times then follow that priority too). Its random numbers come from
        streams of its own, so the regular incidents are unchanged.
        """
        name = stream or next(iter(self.scenario.arrivals))
        if name not in self.scenario.arrivals:
            raise ValueError(f"no arrival stream {name!r}; streams: {list(self.scenario.arrivals)}")
        priorities = list(self.scenario.priorities)
        if priority is not None and priority not in priorities:
            raise ValueError(f"no priority {priority!r}; priorities: {priorities}")
        self._injected += 1
        streams = RandomStreams(self.seed, self.replication)
        plans = plan_stream(self.scenario, name, np.array([self.now]),
                            _Prefixed(streams, f"inject/{self._injected}"),
                            None if priority is None else priorities.index(priority))
        incident = self._incident(plans, 0, case_id("INJ", self._injected), self.env.now)
        self.flow.arrive(incident)
        return self._case_name(incident.id)

    def add_agents(self, team: str, count: int = 1) -> list[str]:
        """Bring ``count`` extra agents on duty in ``team`` now; returns their names."""
        target = self._team(team)
        names = []
        for _ in range(count):
            agent = target.add_agent(f"{team}-extra-{len(target.agents) + 1}")
            target.come_on_duty(agent)
            names.append(agent.name)
        return names

    def remove_agents(self, team: str, count: int = 1) -> list[str]:
        """Send ``count`` on-duty agents of ``team`` off duty now (the team's shift-end rule applies)."""
        target = self._team(team)
        on_duty = [agent for agent in reversed(target.agents) if agent.on_duty]
        chosen = sorted(on_duty, key=lambda agent: agent.incident is not None)[:count]
        for agent in chosen:
            target.go_off_duty(agent)
        return [agent.name for agent in chosen]

    def withdraw_agent(self, team: str) -> str | None:
        """Take one agent off ``team``'s work (the ticket in hand goes back to the queue)."""
        agent = self._team(team).withdraw()
        return None if agent is None else agent.name

    def return_agent(self, name: str) -> None:
        """A withdrawn agent goes back to their team's work."""
        for team in self.teams:
            for agent in team.agents:
                if agent.name == name:
                    team.give_back(agent)
                    return
        raise ValueError(f"no agent named {name!r}")

    def _team(self, name: str) -> Team:
        for team in self.teams:
            if team.name == name:
                return team
        raise ValueError(f"no team {name!r}; teams: {[team.name for team in self.teams]}")

    def _case_name(self, case: int) -> str:
        return self.recorder.case_names[case]

    def state(self) -> ModelState:
        """What the model looks like now."""
        place = {incident.id: rank for team in self.teams
                 for rank, incident in enumerate(team.waiting())}
        incidents = sorted(self.flow.open.values(),
                           key=lambda incident: (incident.team, place.get(incident.id, _NOT_QUEUED),
                                                 incident.id))
        agents = [AgentState(agent.name, team.name, agent.on_duty, agent.away,
                             None if agent.incident is None else self._case_name(agent.incident.id))
                  for team in self.teams for agent in team.agents]
        return ModelState(self.clock, self.now,
                          tuple(self._ticket_state(incident) for incident in incidents),
                          tuple(agents))

    def _ticket_state(self, incident: Incident) -> TicketState:
        names = self.recorder
        holder = next((agent for team in self.teams for agent in team.agents
                       if agent.incident is incident), None)
        if incident.resolved:
            status = TicketStatus.RESOLVED
        elif holder is not None:
            status = TicketStatus.IN_WORK
        elif incident.queue_entry is not None:
            status = TicketStatus.QUEUED
        elif incident.awaiting:
            status = TicketStatus.AWAITING_RESTORATION
        else:
            status = TicketStatus.WAITING_ON_USER
        return TicketState(self._case_name(incident.id), names.priority_names[incident.priority],
                           names.category_names[incident.category], names.team_names[incident.team],
                           status, self.now - incident.arrival,
                           None if holder is None else holder.name)

    # -- results -----------------------------------------------------------------------------
    @ordinary_pages()
    def results(self) -> SimulationLog:
        """The event log and duty log so far, with the queue-length monitor."""
        now = self.now
        warmup = self.scenario.run.warmup
        span = now - warmup
        monitors: dict[str, dict[str, float]] = {}
        if span > 0.0 and self._queue_area_at_warmup:
            monitors["queue_length_mean"] = {
                team.name: (team.queue_length_area(now) - self._queue_area_at_warmup[team.name]) / span
                for team in self.teams}
        return self.recorder.build(self.start, now, min(warmup, now), monitors)


class _Prefixed(RandomStreams):
    """Streams whose names carry a prefix (for incidents injected during a run)."""

    def __init__(self, streams: RandomStreams, prefix: str) -> None:
        super().__init__(streams.seed, streams.replication)
        self.prefix = prefix

    def uniforms(self, name: str, size: int) -> np.ndarray:
        return super().uniforms(f"{self.prefix}/{name}", size)

