"""Model layer: changes — emergency changes for major incidents, normal changes on a CAB cycle.

Each change is a case of its own (``CHG0000001``, … in order of request). Its story:

* **Emergency** (a major incident's restoration, see :mod:`simulator.model.major`):
  ``change requested`` → the ECAB's members are called out and each
  ``ECAB member joined`` after their call-out delay (in or out of business hours) →
  once ``quorum`` are present they deliberate → ``change approved`` or ``change
  rejected`` (then the workaround) → ``implementation started`` → ``change
  implemented`` (the outage's recovery follows), or ``change failed`` → ``backed
  out`` → another attempt while ``retries`` last, then the workaround.
* **Normal** (background volume, or a problem's permanent fix): ``change requested``
  → the next CAB meeting (the next start of an open period of the ``cab`` calendar):
  ``change approved`` or ``change rejected`` → the next change window (``window``
  calendar open) → ``implementation started`` → ``change implemented``, or ``change
  failed`` → ``backed out``. A background change that is rejected or fails is done
  with; a problem's fix goes back to the next CAB until it is in.

A failed change brings a Poisson number of new incidents (``CHG…-0001``, … whose
parent is the change), each after a delay, planned like any incident from streams of
their own. Every random number of a change comes from a stream named after what the
change is for (``change/emergency/<service>/<n>``, ``change/normal/<k>``,
``change/fix/<family>``), so a change draws the same numbers in every design.
Implementation takes time but no agent: the implementer is on the bridge already, or
works in a window outside the incident queues.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import simpy

from simulator.model.flow import IncidentFlow
from simulator.model.incident import NO_AGENT, NO_CASE, NO_SERVICE, NO_TEAM, ActivityCode, Incident, case_id
from simulator.model.planning import PlannedIncidents, plan_tickets
from simulator.model.wiring import Wiring
from simulator.scenario.changes import ChangeRisk
from simulator.scenario.distributions import Distribution

__all__ = ["ChangeHandling"]

_A = ActivityCode


def _one(distribution: Distribution, u: float) -> float:
    return float(distribution.quantile(np.array([u]))[0])


class ChangeHandling:
    """Raises, approves and implements every change of a run."""

    def __init__(self, wiring: Wiring, flow: IncidentFlow) -> None:
        self.env = wiring.env
        self.scenario = scenario = wiring.scenario
        self.recorder = wiring.recorder
        self.calendars = wiring.calendars
        self.streams = wiring.streams
        self.decisions = wiring.decisions
        self.flow = flow
        self.number = 0
        self.induced: dict[int, int] = {}  # change case → incidents it has brought so far
        self.priorities = list(scenario.priorities)
        normal = scenario.changes.normal
        if normal is not None and normal.volume is not None:
            rng = self.streams.generator("changes/normal")
            clock, k = 0.0, 0
            while True:
                clock += float(rng.exponential(1.0 / normal.volume))
                if clock >= scenario.run.horizon:
                    break
                k += 1
                self.env.process(self._background(k, clock))

    # -- requests ----------------------------------------------------------------------------
    def _new_case(self, priority: int, category: int, service: int, parent: int) -> int:
        self.number += 1
        case = self.recorder.add_case(case_id("CHG", self.number), priority, category, service)
        if parent != NO_CASE:
            self.recorder.link(case, parent)
        return case

    def _log(self, case: int, activity: int, team: int = NO_TEAM) -> None:
        self.recorder.record((self.env.now, case, activity, team, NO_AGENT))

    def emergency(self, key: str, parent: int, team: int, service: int, fix: Distribution,
                  first_fix: float) -> simpy.Process:
        """Request an emergency change to restore a service; the returned process ends with
        ``True`` once it is in, ``False`` when it is rejected or every attempt failed (the
        workaround then)."""
        priority = self.recorder.case_priority[parent]
        category = self.recorder.case_category[parent]
        case = self._new_case(priority, category, service, parent)
        self._log(case, _A.CHANGE_REQUESTED, team)
        return self.env.process(self._emergency(key, case, team, fix, first_fix))

    def normal(self, key: str, parent: int, until_in: bool = False) -> simpy.Process:
        """Request a normal change; the returned process ends when the change is done with.

        ``until_in``: it comes back to the next CAB until it is in (a problem's permanent fix);
        otherwise a rejection or a failure ends it (background changes)."""
        lowest = len(self.priorities) - 1
        category = self.recorder.case_category[parent] if parent != NO_CASE else 0
        case = self._new_case(lowest, category, NO_SERVICE, parent)
        self._log(case, _A.CHANGE_REQUESTED)
        return self.env.process(self._normal(key, case, until_in))

    def _background(self, number: int, at: float) -> Generator[simpy.Event, None, None]:
        """A background change, requested at minute ``at``."""
        yield self.env.timeout(at)
        self.normal(f"normal/{number}", NO_CASE)

    # -- the two lifecycles ------------------------------------------------------------------
    def _emergency(self, key: str, case: int, team: int, fix: Distribution, first_fix: float
                   ) -> Generator[simpy.Event, str, bool]:
        spec = self.scenario.changes.emergency
        assert spec is not None
        ecab = spec.ecab
        rng = self.streams.generator(f"change/{key}")
        u_in, u_out = rng.random(ecab.members), rng.random(ecab.members)
        u_deliberation, u_approval = rng.random(2)
        members = tuple(str(number) for number in range(1, ecab.members + 1))
        answer = yield from self.decisions.choose(
            "approvers", self.recorder.case_names[case], f"Which of the {ecab.members} ECAB members "
            f"do you call? (quorum {ecab.quorum})", members, ",".join(members), several=True)
        chosen = answer.split(",")
        in_hours = self.calendars[ecab.on_call.calendar].is_open(self.env.now)
        every = (ecab.on_call.in_hours if in_hours else ecab.on_call.out_of_hours).quantile(
            u_in if in_hours else u_out)
        delays = np.sort(every[[int(member) - 1 for member in chosen]])
        called = self.env.now
        if len(delays) < ecab.quorum:  # the board can never sit: no decision, the workaround
            if len(delays):
                yield self.env.timeout(max(0.0, called + float(delays[-1]) - self.env.now))
            for _ in delays:
                self._log(case, _A.ECAB_MEMBER_JOINED, team)
            self._log(case, _A.CHANGE_REJECTED, team)
            return False
        for delay in delays[:ecab.quorum]:
            yield self.env.timeout(max(0.0, called + float(delay) - self.env.now))
            self._log(case, _A.ECAB_MEMBER_JOINED, team)
        for delay in delays[ecab.quorum:]:  # later arrivals join while (or after) it deliberates
            self.env.process(self._late_member(case, team, max(0.0, called + float(delay) - self.env.now)))
        yield self.env.timeout(_one(ecab.deliberation, float(u_deliberation)))
        if u_approval >= ecab.approval_probability:
            self._log(case, _A.CHANGE_REJECTED, team)
            return False
        self._log(case, _A.CHANGE_APPROVED, team)
        for attempt in range(1 + spec.retries):
            u = rng.random(3)
            duration = first_fix if attempt == 0 else _one(fix, float(u[0]))
            if spec.implementation is not None:
                duration = _one(spec.implementation, float(u[0]))
            self._log(case, _A.IMPLEMENTATION_STARTED, team)
            yield self.env.timeout(duration)
            if u[1] >= spec.failure_probability:
                self._log(case, _A.CHANGE_IMPLEMENTED, team)
                return True
            self._log(case, _A.CHANGE_FAILED, team)
            self._induce(spec, f"{key}/{attempt}", case, rng)
            yield self.env.timeout(_one(spec.back_out, float(u[2])))
            self._log(case, _A.BACKED_OUT, team)
        return False

    def _late_member(self, case: int, team: int, delay: float) -> Generator[simpy.Event, None, None]:
        """An ECAB member who arrives once the board is quorate."""
        yield self.env.timeout(delay)
        self._log(case, _A.ECAB_MEMBER_JOINED, team)

    def _normal(self, key: str, case: int, until_in: bool) -> Generator[simpy.Event, None, None]:
        spec = self.scenario.changes.normal
        assert spec is not None and spec.implementation is not None
        rng = self.streams.generator(f"change/{key}")
        cab, window = self.calendars[spec.cab], self.calendars[spec.window]
        attempt = 0
        while True:
            yield self.env.timeout(cab.next_start(self.env.now) - self.env.now)
            u = rng.random(4)
            if u[0] >= spec.approval_probability:
                self._log(case, _A.CHANGE_REJECTED)
                if not until_in:
                    return
                continue  # a problem's fix comes back to the next CAB
            self._log(case, _A.CHANGE_APPROVED)
            yield self.env.timeout(window.next_open(self.env.now) - self.env.now)
            self._log(case, _A.IMPLEMENTATION_STARTED)
            yield self.env.timeout(_one(spec.implementation, float(u[1])))
            if u[2] >= spec.failure_probability:
                self._log(case, _A.CHANGE_IMPLEMENTED)
                return
            self._log(case, _A.CHANGE_FAILED)
            self._induce(spec, f"{key}/{attempt}", case, rng)
            yield self.env.timeout(_one(spec.back_out, float(u[3])))
            self._log(case, _A.BACKED_OUT)
            attempt += 1
            if not until_in:
                return

    # -- what a failed change brings ----------------------------------------------------------
    def _induce(self, spec: ChangeRisk, key: str, change: int, rng: np.random.Generator) -> None:
        induced = spec.induced_incidents
        count = int(rng.poisson(induced.mean)) if induced.mean > 0 else 0
        if count == 0:
            return
        delays = np.sort(induced.delay.quantile(rng.random(count)))
        cells = [(impact, urgency, share) for impact, row in induced.impact_urgency.items()
                 for urgency, share in row.items()]
        edges = np.cumsum([share for *_, share in cells])
        picked = np.minimum(np.searchsorted(edges, rng.random(count) * edges[-1], side="right"),
                            len(cells) - 1)
        matrix = self.scenario.priority_matrix
        ranks = np.array([self.priorities.index(matrix[impact - 1][urgency - 1])
                          for impact, urgency, _ in cells])[picked]
        arrivals = self.env.now + delays
        plans = plan_tickets(self.scenario, self.streams, f"change/{key}/induced", arrivals,
                             induced.category, ranks)
        for index in range(count):
            self.env.process(self._induced_arrives(plans, index, change, float(delays[index])))

    def _induced_arrives(self, plans: PlannedIncidents, index: int, change: int, delay: float
                         ) -> Generator[simpy.Event, None, None]:
        """An incident the failed change brings arrives ``delay`` minutes after the failure."""
        yield self.env.timeout(delay)
        reopen = plans.reopen.get(index, (float("nan"), 0.0))
        category = int(plans.category[index])
        number = self.induced[change] = self.induced.get(change, 0) + 1  # in order of arrival
        name = f"{self.recorder.case_names[change]}-{number:04d}"
        case = self.recorder.add_case(name, int(plans.priority[index]), category)
        self.recorder.link(case, change)
        incident = Incident(case, int(plans.priority[index]), category, self.env.now,
                            plans.segments(index), *reopen)
        self.flow.arrive(incident)
