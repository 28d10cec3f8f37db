"""Model layer: outages and major incidents, from the first symptom to the restored service.

The narrative of an outage, as the processes below play it out:

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
   hours), leaving the ticket in hand to its queue (the owner group's engineer already on the
   primary ticket stays on it, on the bridge at once, with the diagnosis done so far); the
   team is **assembled** when
   the last one has joined. From the moment the first technical resolver is on
   the bridge, the team **diagnoses**, takes the restoration decision (a
   **workaround**, a rollback, or an emergency change through the ECAB, see
   :mod:`simulator.model.changes`), applies it, and the service recovers
   (**restored**).
   Children are resolved with it; the members **leave the bridge**. The
   communications lead sends a **stakeholder update** on joining and at every
   interval until the restoration.

Each outage is one SimPy process (:meth:`OutageHandling._planned`: the start, then
:meth:`OutageHandling._major_incident`); its alert, the users' reports and each member
of the Major Incident Team are small processes of their own. The restoration is an
event (:attr:`Outage.restored`) that they wait on alongside their own (``timeout |
restored``): whoever is waiting when users get the service back simply stops.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from simulator.model.changes import ChangeHandling
from simulator.model.flow import IncidentFlow
from simulator.model.incident import NO_AGENT, NO_CASE, ActivityCode, Assignee, Incident, case_id
from simulator.model.outages import OutagePlan, RoleDraws, plan_outage
from simulator.model.planning import PlannedIncidents, plan_tickets
from simulator.model.problems import ProblemHandling
from simulator.model.teams import Agent, Team
from simulator.model.wiring import Wiring

__all__ = ["Outage", "OutageHandling"]

_A = ActivityCode
#: After "not yet", the declaration is asked again this many minutes later.
ASK_AGAIN_MIN = 15.0
#: A process's generator: it yields events and is sent their values.
Lifecycle = Generator[simpy.Event, Any, None]


class Outage:
    """One outage while it lasts (and its major incident, once declared).

    The tickets about it point to it: the flow asks it whether a ticket waits for the
    restoration, and tells it when one is resolved (:class:`~simulator.model.incident.OutageHooks`).
    """

    def __init__(self, handling: OutageHandling, plan: OutagePlan, case: int, owner: Team,
                 tickets: PlannedIncidents | None, resolves_children: bool) -> None:
        env = handling.env
        self.handling = handling
        self.plan = plan
        self.case = case
        self.owner = owner
        self.tickets = tickets  # planned like ordinary incidents, when each needs its own fix
        self.resolves_children = resolves_children
        self.primary: Incident | None = None  # the first ticket about it
        self.symptoms: list[Incident] = []
        self.recent: deque[float] = deque()  # times of recent tickets (related-ticket criterion)
        self.waiting: list[Incident] = []  # tickets awaiting restoration
        #: The desk has a reason to propose a major incident (a criterion of the scenario is met).
        self.criteria_met = env.event()
        self.declared = False
        #: Users have the service back.
        self.restored = env.event()
        self.members: list[tuple[Team, Agent]] = []
        self.joined = 0
        self.needed = 0
        #: A technical resolver is on the bridge (or the team is assembled without one).
        self.ready_to_diagnose = env.event()
        self.diagnosis = plan.diagnosis  # shorter once its problem is a known error
        #: Diagnosis the owner group's engineer did on the primary ticket before the declaration.
        self.head_start = 0.0
        #: That engineer, who stays on it as the first resolver on the bridge (not paged again).
        self.on_it: tuple[Team, Agent] | None = None
        self.updates_by: tuple[Team, Agent] | None = None
        #: Without the process, the owner group's engineer diagnoses and then raises the
        #: emergency change the service's restoration path needs (see ``restore_by_change``).
        self.by_change = False

    def hold(self, ticket: Incident, agent: Assignee) -> bool:
        """Whether a ticket about the outage must wait for the restoration after this segment."""
        if self.restored.triggered:
            return False
        if ticket is self.primary and not self.declared:
            if self.by_change and ticket.step + 1 == len(ticket.segments):
                self.handling.restore_by_change(self, ticket, agent)  # diagnosed: the change
                return True
            return False  # without a major incident, the primary ticket *is* the restoration
        if not self.resolves_children and ticket is not self.primary:
            return False  # each one needs its own fix
        if ticket.step + 1 < len(ticket.segments) and not self.declared:
            return False
        self.handling.park(self, ticket, agent)
        return True

    def resolved(self, ticket: Incident) -> None:
        """A ticket about the outage was resolved: if it was the primary, the service is back."""
        if ticket is self.primary and not self.restored.triggered:
            self.handling.restore(self)


class OutageHandling:
    """Plays out every outage of a run, with or without the major-incident process.

    Each planned outage is one process (:meth:`_planned`) from its start to its restoration.
    """

    def __init__(self, wiring: Wiring, flow: IncidentFlow, plans: list[OutagePlan],
                 changes: ChangeHandling | None, problems: ProblemHandling | None) -> None:
        scenario = wiring.scenario
        self.env = wiring.env
        self.scenario = scenario
        self.process = scenario.major_incident
        self.recorder = wiring.recorder
        self.calendars = wiring.calendars
        self.streams = wiring.streams
        self.decisions = wiring.decisions
        self.flow = flow
        self.teams = flow.teams
        self.changes = changes
        self.problems = problems
        self.team_code = {team.name: team.code for team in self.teams}
        self.desk = self.teams[self.team_code[scenario.flow.desk.team]]
        self.outages: list[Outage] = []
        priorities = list(scenario.priorities)
        self.p1 = priorities.index("P1") if "P1" in priorities else 0
        self.planned, self.injected = len(plans), 0
        for plan in plans:
            self.env.process(self._planned(plan))

    def start_outage(self, service: str) -> str:
        """A new outage of ``service`` starts now (an inject); returns its case id.

        Its random numbers come from a stream of its own, so the planned outages are
        unchanged."""
        self.injected += 1
        number = self.planned + self.injected
        plan = plan_outage(self.scenario, self.streams, service, float(self.env.now), number,
                           f"outage/{service}/injected/{self.injected}")
        outage = self._begin(plan)
        if outage is not None:
            self.env.process(self._major_incident(outage))
        return case_id("OUT", number)

    # -- the outage and its symptoms ---------------------------------------------------------
    def _planned(self, plan: OutagePlan) -> Lifecycle:
        """A planned outage, from its start to the restored service."""
        yield self.env.timeout(plan.start)
        outage = self._begin(plan)
        if outage is not None:
            yield from self._major_incident(outage)

    def _begin(self, plan: OutagePlan) -> Outage | None:
        """The service fails: the outage starts and its symptoms begin (``None``: a fixed
        problem spared it)."""
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
        outage = Outage(self, plan, case, self.teams[self.team_code[service.owner]], tickets, resolves)
        if self._spared(outage):
            return None
        self.outages.append(outage)
        self._log(outage, _A.OUTAGE_STARTED, outage.owner.code)
        if plan.detection_delay is not None:
            self.env.process(self._alert(outage, plan.detection_delay))
        if plan.storm_offsets:
            self.env.process(self._reports(outage))
        return outage

    def _spared(self, outage: Outage) -> bool:
        """Whether the outage's problem, fixed, spares it (else a known error shortens its diagnosis)."""
        plan = outage.plan
        family = self.problems.by_service.get(plan.service) if self.problems is not None else None
        if family is None:
            return False
        assert self.problems is not None
        u = self.streams.generator(f"avoid/outage/{plan.service}/{plan.number}").random()
        if self.problems.avoids(family, u):
            if family.case != NO_CASE:
                self.recorder.link(outage.case, family.case)
            self.problems.avoided(outage.case, outage.owner.code)  # the fix spared it
            return True
        if family.known_error:
            outage.diagnosis *= family.spec.known_error.diagnosis
        return False

    def _log(self, outage: Outage, activity: int, team: int, agent: int = NO_AGENT) -> None:
        self.recorder.record((self.env.now, outage.case, activity, team, agent))

    def _alert(self, outage: Outage, delay: float) -> Lifecycle:
        """Monitoring raises an alert after the detection delay, unless the service is back."""
        yield self.env.timeout(delay) | outage.restored
        if outage.restored.triggered:
            return
        self._log(outage, _A.ALERT_FIRED, self.desk.code)
        self._symptom(outage, self._ticket(outage, 0), alert=True)

    def _reports(self, outage: Outage) -> Lifecycle:
        """Users report, each at their moment, while the service is down (or, when each ticket
        needs its own fix, while the damage lasts)."""
        plan = outage.plan
        delay = plan.storm_offsets[0]
        for number in range(1, len(plan.storm_offsets) + 1):
            yield self.env.timeout(delay)
            if outage.restored.triggered and outage.resolves_children:
                return  # the storm ends with the outage
            self._symptom(outage, self._ticket(outage, number), alert=False)
            if number < len(plan.storm_offsets):
                delay = max(0.0, plan.start + plan.storm_offsets[number] - self.env.now)

    def _ticket(self, outage: Outage, number: int) -> Incident:
        """The ticket of symptom ``number`` (0: the alert; 1 …: users' reports)."""
        plan = outage.plan
        primary = outage.primary is None
        priority = plan.primary_priority if primary or number == 0 else plan.storm_priorities[number - 1]
        desk = self.desk.code
        if primary:
            alone = 1.0 if self.process.enabled else self.process.solo_diagnosis_factor
            outage.by_change = self._by_change_alone(plan.service)
            work = outage.diagnosis * alone + (0.0 if outage.by_change else plan.fix + plan.recovery)
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
        incident.symptom = number
        if primary:
            outage.primary = incident
        self.flow.arrive(incident)
        if outage.declared:
            self._link(outage, incident)
        return incident

    def _by_change_alone(self, service: str) -> bool:
        """Whether, without the process, the owner group restores ``service`` by an emergency
        change (its restoration path, as with the process: change control does not depend on it)."""
        return (not self.process.enabled and self.changes is not None
                and self.scenario.changes.emergency is not None
                and self.scenario.restoration_path(service) == "emergency_change")

    def _symptom(self, outage: Outage, ticket: Incident, alert: bool) -> None:
        outage.symptoms.append(ticket)
        if ticket is outage.primary:
            self._log(outage, _A.DETECTED, self.desk.code)
        if self.process.enabled and not outage.criteria_met.triggered \
                and self._criterion_met(outage, ticket, alert):
            outage.criteria_met.succeed()

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

    # -- the major incident ------------------------------------------------------------------
    def _major_incident(self, outage: Outage) -> Lifecycle:
        """Proposed, declared, paged, assembled, diagnosed, restored — the module's narrative.

        Until it is declared, the tiers may restore the service first (the primary ticket
        resolved by its owner group), which ends the story. Once it is declared, every ticket
        about it waits for the Major Incident Team: only this process restores it.
        """
        if not self.process.enabled:
            return
        plan, restored = outage.plan, outage.restored
        yield outage.criteria_met | restored
        if restored.triggered:
            return
        yield self.env.timeout(plan.recognition) | restored
        if restored.triggered:
            return
        self._log(outage, _A.PROPOSED, self.desk.code)
        while (yield from self._choose_to_declare(outage)) != "declare":
            yield self.env.timeout(ASK_AGAIN_MIN) | restored
            if restored.triggered:
                return
        in_hours = self._in_hours(self.process.acceptance.calendar)
        yield self.env.timeout(plan.acceptance(in_hours)) | restored
        if restored.triggered:
            return  # restored through the tiers before anyone declared it
        self._declare(outage)
        groups = yield from self._choose_groups(outage)
        self._page(outage, groups)
        yield outage.ready_to_diagnose
        yield self.env.timeout(max(0.0, outage.diagnosis - outage.head_start))
        self._log(outage, _A.DIAGNOSED, outage.owner.code)
        choice = yield from self._choose_restoration(outage)
        yield from self._restore_by(outage, choice)
        self.restore(outage)

    def _in_hours(self, calendar: str) -> bool:
        return self.calendars[calendar].is_open(self.env.now)

    def _case_name(self, outage: Outage) -> str:
        return self.recorder.case_names[outage.case]

    def _choose_to_declare(self, outage: Outage) -> Generator[simpy.Event, str, str]:
        """Decision point: declare a major incident, or not yet (asked again a little later)."""
        return (yield from self.decisions.choose(
            "declare", self._case_name(outage), f"Declare a major incident for the "
            f"{outage.plan.service} outage?", ("declare", "not yet"), "declare"))

    def _declare(self, outage: Outage) -> None:
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
            self.park(outage, primary, agent)
            if agent is not None and team is outage.owner:
                self._stay_on_it(outage, team, agent, primary)
            elif agent is not None:
                team.resume(agent)

    def _stay_on_it(self, outage: Outage, team: Team, agent: Agent, primary: Incident) -> None:
        """The owner group's engineer already working on the outage joins the bridge at once,
        keeping the diagnosis done so far (the rest of the ticket's work was the fix)."""
        done = primary.segments[primary.step][1] - primary.remaining
        outage.head_start = min(done, outage.diagnosis)
        outage.on_it = (team, agent)
        team.withdraw(agent)
        outage.members.append((team, agent))
        outage.needed += 1
        outage.joined += 1
        self._log(outage, _A.JOINED, team.code, agent.code)
        self._ready_to_diagnose(outage)

    def _link(self, outage: Outage, ticket: Incident) -> None:
        self.recorder.link(ticket.id, outage.case)
        self.recorder.record((self.env.now, ticket.id, _A.LINKED, ticket.team, NO_AGENT))

    def _role_team(self, outage: Outage, draws: RoleDraws) -> Team:
        name = draws.role.team
        return outage.owner if name == "owner" else self.teams[self.team_code[name]]

    def _choose_groups(self, outage: Outage) -> Generator[simpy.Event, str, list[str]]:
        """Decision point: which resolver groups to page (the manager and the communications
        lead are always paged). The policy pages the scenario's resolver roles."""
        resolvers = [draws for kind, draws in outage.plan.roles if kind == "resolvers"]
        usual = list(dict.fromkeys(self._role_team(outage, draws).name for draws in resolvers))
        groups = list(dict.fromkeys([*usual, *self.scenario.flow.groups]))
        answer = yield from self.decisions.choose(
            "page", self._case_name(outage), f"Which resolver groups do you page for the "
            f"{outage.plan.service} major incident?", tuple(groups), ",".join(usual), several=True)
        return answer.split(",")

    def _page(self, outage: Outage, groups: list[str]) -> None:
        """Page the Major Incident Team: each member joins after their own paging delay."""
        now = self.env.now
        resolvers = [draws for kind, draws in outage.plan.roles if kind == "resolvers"]
        for kind, draws in outage.plan.roles:
            team = self._role_team(outage, draws)
            if kind == "resolvers" and team.name not in groups:
                continue
            in_hours = self.calendars[draws.role.on_call.calendar].is_open(now)
            for member in range(draws.role.count):
                if kind == "resolvers" and member == 0 and outage.on_it is not None \
                        and outage.on_it[0] is team:
                    continue  # already on it since the declaration
                outage.needed += 1
                self.env.process(self._member(outage, team, kind, draws.delay(member, in_hours)))
        # A group the scenario does not page sends one person, as fast as the first resolver.
        configured = {self._role_team(outage, draws).name for draws in resolvers}
        for name in groups:
            if name in configured or not resolvers:
                continue
            draws = resolvers[0]
            outage.needed += 1
            delay = draws.delay(0, self.calendars[draws.role.on_call.calendar].is_open(now))
            self.env.process(self._member(outage, self.teams[self.team_code[name]], "resolvers", delay))
        if outage.joined == outage.needed:  # nobody else to wait for
            self._log(outage, _A.ASSEMBLED, outage.owner.code)

    def _member(self, outage: Outage, team: Team, kind: str, delay: float) -> Lifecycle:
        """A member of the Major Incident Team: joins the bridge after the paging delay (unless
        the service is back by then); the communications lead then keeps stakeholders informed."""
        yield self.env.timeout(delay) | outage.restored
        if outage.restored.triggered:
            return
        agent = self._join(outage, team, kind)
        if agent is None or outage.updates_by != (team, agent) or self.decisions.interactive:
            return  # interactive: the players send updates when they choose (send_update)
        while True:
            # A plain timeout, not ``| restored``: updates are the MIM's most frequent event, and
            # a condition per update cost ~1 % more per incident with weekly outages (callgrind).
            yield self.env.timeout(self.process.updates_every)
            if outage.restored.triggered:
                return
            self._log(outage, _A.UPDATE, team.code, agent.code)

    def _join(self, outage: Outage, team: Team, kind: str) -> Agent | None:
        """Someone of ``team`` answers the page and joins the bridge (``None``: nobody could)."""
        agent = team.pick_for_bridge()
        if agent is not None:
            team.withdraw(agent)
            outage.members.append((team, agent))
            self._log(outage, _A.JOINED, team.code, agent.code)
            if kind == "communications" and outage.updates_by is None:
                outage.updates_by = (team, agent)
                if not self.decisions.interactive:
                    self._log(outage, _A.UPDATE, team.code, agent.code)
            if kind == "resolvers":
                self._ready_to_diagnose(outage)
        outage.joined += 1
        if outage.joined == outage.needed:
            self._log(outage, _A.ASSEMBLED, outage.owner.code)
            self._ready_to_diagnose(outage)  # if no resolver could be found, the team as it stands
        return agent

    @staticmethod
    def _ready_to_diagnose(outage: Outage) -> None:
        if not outage.ready_to_diagnose.triggered:
            outage.ready_to_diagnose.succeed()

    def send_update(self, case: str) -> bool:
        """A stakeholder update about the major incident ``case``, now (False if not possible:
        not declared, already restored, or nobody on the bridge to send it)."""
        outage = next((o for o in self.outages if self._case_name(o) == case), None)
        if outage is None or not outage.declared or outage.restored.triggered:
            return False
        sender = outage.updates_by or (outage.members[0] if outage.members else None)
        if sender is None:
            return False
        self._log(outage, _A.UPDATE, sender[0].code, sender[1].code)
        return True

    # -- restoration -------------------------------------------------------------------------
    def _choose_restoration(self, outage: Outage) -> Generator[simpy.Event, str, str]:
        """Decision point: how to restore — the scenario's policy for the service.

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
        return (yield from self.decisions.choose(
            "restore", self._case_name(outage), f"The {outage.plan.service} outage is diagnosed: "
            f"how do you restore it?", tuple(options), policy))

    def _restore_by(self, outage: Outage, choice: str) -> Lifecycle:
        """Apply the chosen restoration; the service then recovers."""
        plan = outage.plan
        if choice == "emergency change":
            assert self.changes is not None
            service = self.scenario.services[plan.service]
            implemented = yield self.changes.emergency(
                f"emergency/{plan.service}/{plan.number}", outage.case, outage.owner.code,
                self.recorder.case_service[outage.case], service.restoration.fix, plan.fix)
            if implemented:
                yield self.env.timeout(plan.recovery)
                return
            choice = "workaround"  # rejected, or every attempt failed
        self._log(outage, _A.WORKAROUND_STARTED, outage.owner.code)
        yield self.env.timeout(plan.rollback if choice == "rollback" and plan.rollback is not None
                               else plan.fix)
        self._log(outage, _A.WORKAROUND_APPLIED, outage.owner.code)
        yield self.env.timeout(plan.recovery)

    def restore_by_change(self, outage: Outage, primary: Incident, agent: Assignee) -> None:
        """Without the process: the engineer has diagnosed the outage and raises the emergency
        change its restoration path needs; the ticket waits for it (the engineer goes back to
        the queue), and is resolved when the service is back."""
        self.park(outage, primary, agent)
        self.env.process(self._change_alone(outage, primary))

    def _change_alone(self, outage: Outage, primary: Incident) -> Lifecycle:
        """The emergency change of an outage without the process: the same change (and random
        numbers) as a major incident's, then the workaround if it is rejected or fails."""
        yield from self._restore_by(outage, "emergency change")
        outage.waiting.remove(primary)
        primary.awaiting = False
        self.restore(outage)
        self.flow.resolve_with_parent(primary)

    def restore(self, outage: Outage) -> None:
        """Users have the service back: settle every ticket about it, release the team."""
        outage.restored.succeed()
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
        ticket.segments.append((self.desk.code, outage.plan.follow_up[ticket.symptom], 0.0))
        ticket.step = len(ticket.segments) - 1
        ticket.remaining = ticket.segments[-1][1]
        self.desk.enqueue(ticket)

    def park(self, outage: Outage, ticket: Incident, agent: Assignee | None) -> None:
        """The ticket waits, in no queue, until the service is restored."""
        ticket.awaiting = True
        outage.waiting.append(ticket)
        self.recorder.record((self.env.now, ticket.id, _A.AWAITING_RESTORATION, ticket.team,
                              NO_AGENT if agent is None else agent.code))
