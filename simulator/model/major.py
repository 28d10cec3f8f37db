"""Model layer: outages and major incidents, from the first symptom to the restored service.

The narrative of an outage, as the handlers below play it out:

1. The service fails (**outage started**). Monitoring raises an **alert** after a
   detection delay; users report, in a burst that fades. Each symptom is a
   ticket at the service desk; the first one (**detected**) is the outage's
   *primary* ticket — a P1 for a critical service.
2. Without a major incident, the primary ticket goes through the tiers like any
   other: the desk logs it and passes it to the service's owner group, where an
   agent, when one is free and on duty, diagnoses, fixes and waits for the
   recovery; the service is **restored** when that ticket is resolved. Users'
   tickets, once logged, wait for the service (**awaiting restoration**) and are
   then closed one by one as desk agents reach them.
3. With the major-incident process on, a criterion (an alert or a P1 on a
   critical service, or enough related tickets) makes the desk **propose** a
   major incident after a recognition delay; the major incident manager
   **declares** it after an acceptance delay (longer out of hours). Every ticket
   about the outage is **linked** to it as a child. The Major Incident Team is
   paged: each member **joins the bridge** after a paging delay (in or out of
   hours), leaving the ticket in hand to its queue; the team is **assembled** when
   the last one has joined. From the moment the first technical resolver is on
   the bridge, the team **diagnoses**, takes the restoration decision (a
   **workaround**; emergency changes come later), applies it, and the service
   recovers (**restored**).
   Children are resolved with it; the members **leave the bridge**. The
   communications lead sends a **stakeholder update** on joining and at every
   interval until the restoration.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
import simpy

from simulator.model.changes import ChangeHandling
from simulator.model.decisions import DecisionPoints
from simulator.model.flow import IncidentFlow
from simulator.model.incident import ActivityCode, Incident, Recorder, case_id
from simulator.model.outages import OutagePlan, RoleDraws, plan_outage
from simulator.model.planning import PlannedIncidents, plan_tickets
from simulator.model.problems import ProblemHandling
from simulator.model.streams import RandomStreams
from simulator.model.teams import Agent, Team
from simulator.scenario.calendars import CalendarClock
from simulator.scenario.schema import Scenario

__all__ = ["Outage", "OutageHandling"]

_A = ActivityCode
#: After "not yet", the declaration is asked again this many minutes later.
ASK_AGAIN_MIN = 15.0


class Outage:
    """One outage while it lasts (and its major incident, once declared)."""

    def __init__(self, plan: OutagePlan, case: int, owner: Team, tickets: PlannedIncidents | None,
                 resolves_children: bool) -> None:
        self.plan = plan
        self.case = case
        self.owner = owner
        self.tickets = tickets  # planned like ordinary incidents, when each needs its own fix
        self.resolves_children = resolves_children
        self.primary: Incident | None = None
        self.symptoms: list[Incident] = []
        self.recent: deque[float] = deque()  # times of recent tickets (related-ticket criterion)
        self.waiting: list[Incident] = []  # tickets awaiting restoration
        self.detected = False
        self.proposed = False
        self.declared = False
        self.restored = False
        self.members: list[tuple[Team, Agent]] = []
        self.joined = 0
        self.needed = 0
        self.diagnosing = False
        self.diagnosis = plan.diagnosis  # shorter once its problem is a known error
        self.updates_by: tuple[Team, Agent] | None = None


class OutageHandling:
    """Plays out every outage of a run, with or without the major-incident process."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, recorder: Recorder,
                 flow: IncidentFlow, teams: list[Team], plans: list[OutagePlan],
                 calendars: dict[str, CalendarClock], streams: RandomStreams,
                 changes: ChangeHandling | None = None, problems: ProblemHandling | None = None,
                 decisions: DecisionPoints | None = None) -> None:
        self.env = env
        self.scenario = scenario
        self.process = scenario.major_incident
        self.recorder = recorder
        self.flow = flow
        self.teams = teams
        self.calendars = calendars
        self.streams = streams
        self.changes = changes
        self.problems = problems
        self.decisions = decisions or DecisionPoints(env)
        self.team_code = {team.name: team.code for team in teams}
        self.desk = teams[self.team_code[scenario.flow.desk.team]]
        self.outages: list[Outage] = []
        priorities = list(scenario.priorities)
        self.p1 = priorities.index("P1") if "P1" in priorities else 0
        self.planned, self.injected = len(plans), 0
        for plan in plans:
            env.timeout(plan.start, plan).callbacks.append(self._start)

    def start_outage(self, service: str) -> str:
        """A new outage of ``service`` starts now (an inject); returns its case id.

        Its random numbers come from a stream of its own, so the planned outages are
        unchanged."""
        self.injected += 1
        number = self.planned + self.injected
        plan = plan_outage(self.scenario, self.streams, service, float(self.env.now), number,
                           f"outage/{service}/injected/{self.injected}")
        self._begin(plan)
        return case_id("OUT", number)

    # -- the outage and its symptoms ---------------------------------------------------------
    def _start(self, event: Any) -> None:
        self._begin(event._value)

    def _begin(self, plan: OutagePlan) -> None:
        service = self.scenario.services[plan.service]
        category = self.scenario.categories().index(self.scenario.storm_category(plan.service))
        case = self.recorder.add_case(f"OUT{plan.number:07d}", plan.primary_priority, category,
                                      list(self.scenario.services).index(plan.service))
        storm = service.ticket_storm
        resolves = storm is None or storm.resolved_with_restore
        tickets = None
        if not resolves:
            arrivals = plan.start + np.asarray(plan.storm_offsets)
            tickets = plan_tickets(self.scenario, self.streams, f"outage/{plan.service}/{plan.number}",
                                   arrivals, self.scenario.storm_category(plan.service),
                                   np.asarray(plan.storm_priorities, dtype=np.int64))
        outage = Outage(plan, case, self.teams[self.team_code[service.owner]], tickets, resolves)
        family = self.problems.by_service.get(plan.service) if self.problems is not None else None
        if family is not None:
            assert self.problems is not None
            u = self.streams.generator(f"avoid/outage/{plan.service}/{plan.number}").random()
            if self.problems.avoids(family, u):
                if family.case >= 0:
                    self.recorder.link(case, family.case)
                self.problems.avoided(case, outage.owner.code)  # the fix spared it
                return
            if family.known_error:
                outage.diagnosis *= family.spec.known_error.diagnosis
        self.outages.append(outage)
        self._log(outage, _A.OUTAGE_STARTED, outage.owner.code)
        if plan.detection_delay is not None:
            self.env.timeout(plan.detection_delay, outage).callbacks.append(self._alert)
        if plan.storm_offsets:
            self.env.timeout(plan.storm_offsets[0], (outage, 1)).callbacks.append(self._report)

    def _log(self, outage: Outage, activity: int, team: int, agent: int = -1) -> None:
        self.recorder.record((self.env.now, outage.case, activity, team, agent))

    def _alert(self, event: Any) -> None:
        outage: Outage = event._value
        if outage.restored:
            return
        self._log(outage, _A.ALERT_FIRED, self.desk.code)
        self._symptom(outage, self._ticket(outage, 0), alert=True)

    def _report(self, event: Any) -> None:
        outage, number = event._value
        if outage.restored and outage.resolves_children:
            return  # the storm ends with the outage (unless the damage outlasts it)
        self._symptom(outage, self._ticket(outage, number), alert=False)
        offsets = outage.plan.storm_offsets
        if number < len(offsets):
            delay = max(0.0, outage.plan.start + offsets[number] - self.env.now)
            self.env.timeout(delay, (outage, number + 1)).callbacks.append(self._report)

    def _ticket(self, outage: Outage, number: int) -> Incident:
        """The ticket of symptom ``number`` (0: the alert; 1 …: users' reports)."""
        plan = outage.plan
        primary = outage.primary is None
        priority = plan.primary_priority if primary or number == 0 else plan.storm_priorities[number - 1]
        desk = self.desk.code
        if primary:
            alone = 1.0 if self.process.enabled else self.process.solo_diagnosis_factor
            work = outage.diagnosis * alone + plan.fix + plan.recovery
            segments = [(desk, plan.desk_work[number], 0.0), (outage.owner.code, work, 0.0)]
        elif outage.tickets is not None and number > 0:
            segments = outage.tickets.segments(number - 1)
        else:
            segments = [(desk, plan.desk_work[number], 0.0)]
        category = self.recorder.case_category[outage.case]
        case = self.recorder.add_case(f"OUT{plan.number:07d}-{number:04d}", priority, category,
                                      self.recorder.case_service[outage.case])
        reopen = outage.tickets.reopen.get(number - 1) if outage.tickets is not None and number else None
        incident = Incident(case, priority, category, self.env.now, segments,
                            *(reopen or (math.nan, 0.0)))
        incident.outage = outage
        if primary:
            outage.primary = incident
        self.flow.arrive(incident)
        if outage.declared:
            self._link(outage, incident)
        return incident

    def _symptom(self, outage: Outage, ticket: Incident, alert: bool) -> None:
        outage.symptoms.append(ticket)
        if not outage.detected:
            outage.detected = True
            self._log(outage, _A.DETECTED, self.desk.code)
        if self.process.enabled and not outage.proposed and self._criterion_met(outage, ticket, alert):
            outage.proposed = True
            self.env.timeout(outage.plan.recognition, outage).callbacks.append(self._propose)

    def _criterion_met(self, outage: Outage, ticket: Incident, alert: bool) -> bool:
        rules = self.process.declare_when
        critical = self.scenario.services[outage.plan.service].criticality == "critical"
        if critical and ((alert and rules.alert_on_critical)
                         or (rules.p1_on_critical and ticket.priority == self.p1)):
            return True
        if rules.related_tickets is None:
            return False
        now = self.env.now
        outage.recent.append(now)
        while outage.recent and outage.recent[0] < now - rules.within:
            outage.recent.popleft()
        return len(outage.recent) >= rules.related_tickets

    # -- declaration and the Major Incident Team ---------------------------------------------
    def _in_hours(self, calendar: str, t: float) -> bool:
        return self.calendars[calendar].is_open(t)

    def _propose(self, event: Any) -> None:
        outage: Outage = event._value
        if outage.restored:
            return
        self._log(outage, _A.PROPOSED, self.desk.code)
        self._ask_to_declare(outage)

    def _ask_to_declare(self, outage: Outage) -> None:
        """Decision point: declare a major incident, or not yet (asked again a little later)."""
        if outage.restored or outage.declared:
            return
        self.decisions.ask(
            "declare", self._case_name(outage), f"Declare a major incident for the "
            f"{outage.plan.service} outage?", ("declare", "not yet"), "declare",
            lambda choice: self._declaration_chosen(outage, choice))

    def _declaration_chosen(self, outage: Outage, choice: str) -> None:
        if choice != "declare":
            self.env.timeout(ASK_AGAIN_MIN, outage).callbacks.append(
                lambda event: self._ask_to_declare(event._value))
            return
        acceptance = self.process.acceptance
        delay = outage.plan.acceptance(self._in_hours(acceptance.calendar, self.env.now))
        self.env.timeout(delay, outage).callbacks.append(self._declare)

    def _case_name(self, outage: Outage) -> str:
        return self.recorder.case_names[outage.case]

    def _declare(self, event: Any) -> None:
        outage: Outage = event._value
        if outage.restored or outage.declared:
            return  # restored through the tiers before anyone declared it
        outage.declared = True
        self._log(outage, _A.DECLARED, self.desk.code)
        for ticket in outage.symptoms:
            if not ticket.resolved:
                self._link(outage, ticket)
        primary = outage.primary
        if primary is not None and not primary.resolved and primary.team != self.desk.code \
                and not primary.awaiting:
            # Past the desk, the primary ticket is now the team's to restore, not a group's.
            team = self.teams[primary.team]
            agent = team.detach(primary)
            self._park(outage, primary, agent)
            if agent is not None:
                team.resume(agent)
        self._page(outage)

    def _link(self, outage: Outage, ticket: Incident) -> None:
        self.recorder.link(ticket.id, outage.case)
        self.recorder.record((self.env.now, ticket.id, _A.LINKED, ticket.team, -1))

    def _role_team(self, outage: Outage, draws: RoleDraws) -> Team:
        name = draws.role.team
        return outage.owner if name == "owner" else self.teams[self.team_code[name]]

    def _page(self, outage: Outage) -> None:
        """Decision point: which resolver groups to page (the manager and the communications
        lead are always paged). The policy pages the scenario's resolver roles."""
        resolvers = [draws for kind, draws in outage.plan.roles if kind == "resolvers"]
        usual = list(dict.fromkeys(self._role_team(outage, draws).name for draws in resolvers))
        groups = list(dict.fromkeys([*usual, *self.scenario.flow.groups]))
        self.decisions.ask(
            "page", self._case_name(outage), f"Which resolver groups do you page for the "
            f"{outage.plan.service} major incident?", tuple(groups), ",".join(usual),
            lambda choice: self._paged(outage, choice.split(",")), several=True)

    def _paged(self, outage: Outage, groups: list[str]) -> None:
        now = self.env.now
        resolvers = [draws for kind, draws in outage.plan.roles if kind == "resolvers"]
        for kind, draws in outage.plan.roles:
            team = self._role_team(outage, draws)
            if kind == "resolvers" and team.name not in groups:
                continue
            in_hours = self._in_hours(draws.role.on_call.calendar, now)
            for member in range(draws.role.count):
                outage.needed += 1
                delay = draws.delay(member, in_hours)
                self.env.timeout(delay, (outage, team, kind)).callbacks.append(self._join)
        # A group the scenario does not page sends one person, as fast as the first resolver.
        configured = {self._role_team(outage, draws).name for draws in resolvers}
        for name in groups:
            if name in configured or not resolvers:
                continue
            draws = resolvers[0]
            outage.needed += 1
            delay = draws.delay(0, self._in_hours(draws.role.on_call.calendar, now))
            team = self.teams[self.team_code[name]]
            self.env.timeout(delay, (outage, team, "resolvers")).callbacks.append(self._join)

    def _join(self, event: Any) -> None:
        outage, team, kind = event._value
        if outage.restored:
            return
        agent = team.pick_for_bridge()
        if agent is not None:
            team.withdraw(agent)
            outage.members.append((team, agent))
            self._log(outage, _A.JOINED, team.code, agent.code)
            if kind == "communications" and outage.updates_by is None:
                outage.updates_by = (team, agent)
                self._update_stakeholders(outage)
            if kind == "resolvers":
                self._diagnose(outage)
        outage.joined += 1
        if outage.joined == outage.needed:
            self._log(outage, _A.ASSEMBLED, outage.owner.code)
            self._diagnose(outage)  # if no resolver could be found, the team as it stands

    def _diagnose(self, outage: Outage) -> None:
        if not outage.diagnosing:
            outage.diagnosing = True
            self.env.timeout(outage.diagnosis, outage).callbacks.append(self._diagnosed)

    def _update_stakeholders(self, outage: Outage) -> None:
        if outage.restored or outage.updates_by is None or self.decisions.interactive:
            return  # interactive: the players send updates when they choose (send_update)
        team, agent = outage.updates_by
        self._log(outage, _A.UPDATE, team.code, agent.code)
        self.env.timeout(self.process.updates_every, outage).callbacks.append(
            lambda event: self._update_stakeholders(event._value))

    def send_update(self, case: str) -> bool:
        """A stakeholder update about the major incident ``case``, now (False if not possible:
        not declared, already restored, or nobody on the bridge to send it)."""
        outage = next((o for o in self.outages if self._case_name(o) == case), None)
        if outage is None or not outage.declared or outage.restored:
            return False
        sender = outage.updates_by or (outage.members[0] if outage.members else None)
        if sender is None:
            return False
        self._log(outage, _A.UPDATE, sender[0].code, sender[1].code)
        return True

    # -- restoration -------------------------------------------------------------------------
    def _diagnosed(self, event: Any) -> None:
        outage: Outage = event._value
        if outage.restored:
            return
        self._log(outage, _A.DIAGNOSED, outage.owner.code)
        self.restoration_decision(outage)

    def restoration_decision(self, outage: Outage) -> None:
        """The decision point: how to restore — the scenario's policy for the service.

        A workaround (failover, restart, rollback) takes the fix's time; an emergency change
        goes to the ECAB first and may fail, and falls back to the workaround if rejected
        or if every attempt fails. (The tabletop mode puts this choice to the players.)
        """
        service = self.scenario.services[outage.plan.service]
        options = ["workaround"]
        if service.restoration.rollback is not None:
            options.append("rollback")
        if self.changes is not None and self.scenario.changes.emergency is not None:
            options.append("emergency change")
        policy = self.scenario.restoration_path(outage.plan.service).replace("_", " ")
        self.decisions.ask(
            "restore", self._case_name(outage), f"The {outage.plan.service} outage is diagnosed: "
            f"how do you restore it?", tuple(options), policy,
            lambda choice: self._restore_by(outage, choice))

    def _restore_by(self, outage: Outage, choice: str) -> None:
        if choice == "emergency change":
            assert self.changes is not None
            service = self.scenario.services[outage.plan.service]
            self.changes.emergency(
                f"emergency/{outage.plan.service}/{outage.plan.number}", outage.case,
                outage.owner.code, self.recorder.case_service[outage.case],
                service.restoration.fix, outage.plan.fix,
                lambda succeeded: self._changed(outage, succeeded))
            return
        self._workaround(outage, rollback=choice == "rollback")

    def _workaround(self, outage: Outage, rollback: bool = False) -> None:
        self._log(outage, _A.WORKAROUND_STARTED, outage.owner.code)
        duration = outage.plan.rollback if rollback and outage.plan.rollback is not None \
            else outage.plan.fix
        self.env.timeout(duration, outage).callbacks.append(self._applied)

    def _changed(self, outage: Outage, succeeded: bool) -> None:
        if outage.restored:
            return
        if not succeeded:
            self._workaround(outage)
            return
        self.env.timeout(outage.plan.recovery, outage).callbacks.append(
            lambda done: self.restore(done._value))

    def _applied(self, event: Any) -> None:
        outage: Outage = event._value
        if outage.restored:
            return
        self._log(outage, _A.WORKAROUND_APPLIED, outage.owner.code)
        self.env.timeout(outage.plan.recovery, outage).callbacks.append(
            lambda done: self.restore(done._value))

    def restore(self, outage: Outage) -> None:
        """Users have the service back: settle every ticket about it, release the team."""
        if outage.restored:
            return
        outage.restored = True
        self._log(outage, _A.RESTORED, outage.owner.code)
        if outage.declared and self.problems is not None:
            self.problems.major_incident_restored(outage.plan.service, outage.case)
        if outage.declared:
            self._resolve_children(outage)
        else:
            for ticket in outage.waiting:  # each one closed by a desk agent, one by one
                self._follow_up(outage, ticket)
        outage.waiting.clear()
        for team, agent in outage.members:
            self._log(outage, _A.LEFT, team.code, agent.code)
            team.give_back(agent)
        outage.members.clear()
        outage.updates_by = None

    def _resolve_children(self, outage: Outage) -> None:
        freed: list[tuple[Team, Agent]] = []
        children = [ticket for ticket in outage.symptoms if not ticket.resolved
                    and (outage.resolves_children or ticket is outage.primary)]
        for ticket in children:
            if not ticket.awaiting:
                agent = self.teams[ticket.team].detach(ticket)
                if agent is not None:
                    freed.append((self.teams[ticket.team], agent))
        for ticket in children:
            ticket.awaiting = False
            self.flow.resolve_with_parent(ticket)
        for team, agent in freed:
            team.resume(agent)

    def _follow_up(self, outage: Outage, ticket: Incident) -> None:
        ticket.awaiting = False
        number = int(self.recorder.case_names[ticket.id].rsplit("-", 1)[1])
        ticket.segments.append((self.desk.code, outage.plan.follow_up[number], 0.0))
        ticket.step = len(ticket.segments) - 1
        ticket.remaining = ticket.segments[-1][1]
        self.desk.enqueue(ticket)

    # -- hooks the flow calls ----------------------------------------------------------------
    def hold(self, ticket: Incident, agent: Agent) -> bool:
        """Whether a ticket about an outage must wait for the restoration after this segment."""
        outage: Outage = ticket.outage  # type: ignore[assignment]
        if outage.restored:
            return False
        if ticket is outage.primary and not outage.declared:
            return False  # without a major incident, the primary ticket *is* the restoration
        if not outage.resolves_children and ticket is not outage.primary:
            return False  # each one needs its own fix
        if ticket.step + 1 < len(ticket.segments) and not outage.declared:
            return False
        self._park(outage, ticket, agent)
        return True

    def _park(self, outage: Outage, ticket: Incident, agent: Agent | None) -> None:
        """The ticket waits, in no queue, until the service is restored."""
        ticket.awaiting = True
        outage.waiting.append(ticket)
        self.recorder.record((self.env.now, ticket.id, _A.AWAITING_RESTORATION, ticket.team,
                              -1 if agent is None else agent.code))

    def resolved(self, ticket: Incident) -> None:
        """A ticket about an outage was resolved: if it was the primary, the service is back."""
        outage: Outage = ticket.outage  # type: ignore[assignment]
        if ticket is outage.primary and not outage.restored:
            self.restore(outage)
