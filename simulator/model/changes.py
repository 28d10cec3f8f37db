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

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from simulator.model.decisions import DecisionPoints
from simulator.model.flow import IncidentFlow
from simulator.model.incident import ActivityCode, Incident, Recorder, case_id
from simulator.model.planning import plan_tickets
from simulator.model.streams import RandomStreams
from simulator.scenario.calendars import CalendarClock
from simulator.scenario.changes import ChangeRisk
from simulator.scenario.distributions import Distribution
from simulator.scenario.schema import Scenario

__all__ = ["ChangeHandling"]

_A = ActivityCode
_NO_TEAM = -1


def _one(distribution: Distribution, u: float) -> float:
    return float(distribution.quantile(np.array([u]))[0])


class ChangeHandling:
    """Raises, approves and implements every change of a run."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, recorder: Recorder,
                 flow: IncidentFlow, calendars: dict[str, CalendarClock],
                 streams: RandomStreams, decisions: DecisionPoints | None = None) -> None:
        self.env = env
        self.scenario = scenario
        self.recorder = recorder
        self.flow = flow
        self.calendars = calendars
        self.streams = streams
        self.decisions = decisions or DecisionPoints(env)
        self.number = 0
        self.induced: dict[int, int] = {}  # change case → incidents it has brought so far
        self.priorities = list(scenario.priorities)
        normal = scenario.changes.normal
        if normal is not None and normal.volume is not None:
            rng = streams.generator("changes/normal")
            clock, k = 0.0, 0
            while True:
                clock += float(rng.exponential(1.0 / normal.volume))
                if clock >= scenario.run.horizon:
                    break
                k += 1
                env.timeout(clock, k).callbacks.append(self._background)

    # -- requests ----------------------------------------------------------------------------
    def _new_case(self, priority: int, category: int, service: int, parent: int) -> int:
        self.number += 1
        case = self.recorder.add_case(case_id("CHG", self.number), priority, category, service)
        if parent >= 0:
            self.recorder.link(case, parent)
        return case

    def _log(self, case: int, activity: int, team: int = _NO_TEAM) -> None:
        self.recorder.record((self.env.now, case, activity, team, -1))

    def emergency(self, key: str, parent: int, team: int, service: int, fix: Distribution,
                  first_fix: float, done: Callable[[bool], None]) -> None:
        """Restore through an emergency change; ``done(True)`` once it is in, ``done(False)``
        when it is rejected or every attempt failed (the workaround then)."""
        priority = self.recorder.case_priority[parent]
        category = self.recorder.case_category[parent]
        case = self._new_case(priority, category, service, parent)
        self._log(case, _A.CHANGE_REQUESTED, team)
        self.env.process(self._emergency(key, case, team, fix, first_fix, done))

    def normal(self, key: str, parent: int, done: Callable[[], None] | None) -> None:
        """Raise a normal change (a problem's permanent fix when ``done`` is given: it is
        resubmitted until it is in, then ``done()``)."""
        lowest = len(self.priorities) - 1
        category = self.recorder.case_category[parent] if parent >= 0 else 0
        case = self._new_case(lowest, category, -1, parent)
        self._log(case, _A.CHANGE_REQUESTED)
        self.env.process(self._normal(key, case, done))

    def _background(self, event: Any) -> None:
        self.normal(f"normal/{event._value}", -1, None)

    # -- the two lifecycles ------------------------------------------------------------------
    def _emergency(self, key: str, case: int, team: int, fix: Distribution, first_fix: float,
                   done: Callable[[bool], None]) -> Generator[simpy.Event, None, None]:
        spec = self.scenario.changes.emergency
        assert spec is not None
        ecab = spec.ecab
        rng = self.streams.generator(f"change/{key}")
        u_in, u_out = rng.random(ecab.members), rng.random(ecab.members)
        u_deliberation, u_approval = rng.random(2)
        members = tuple(str(number) for number in range(1, ecab.members + 1))
        chosen: list[str] = []
        answered = self.env.event()

        def take(answer: str) -> None:
            chosen.extend(answer.split(","))
            answered.succeed()

        self.decisions.ask("approvers", self.recorder.case_names[case],
                           f"Which of the {ecab.members} ECAB members do you call? (quorum "
                           f"{ecab.quorum})", members, ",".join(members), take, several=True)
        if not chosen:  # an interactive run waits here for the answer
            yield answered
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
            done(False)
            return
        for delay in delays[:ecab.quorum]:
            yield self.env.timeout(max(0.0, called + float(delay) - self.env.now))
            self._log(case, _A.ECAB_MEMBER_JOINED, team)
        for delay in delays[ecab.quorum:]:  # later arrivals join while (or after) it deliberates
            self.env.timeout(max(0.0, called + float(delay) - self.env.now)).callbacks.append(
                lambda _event: self._log(case, _A.ECAB_MEMBER_JOINED, team))
        yield self.env.timeout(_one(ecab.deliberation, float(u_deliberation)))
        if u_approval >= ecab.approval_probability:
            self._log(case, _A.CHANGE_REJECTED, team)
            done(False)
            return
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
                done(True)
                return
            self._log(case, _A.CHANGE_FAILED, team)
            self._induce(spec, f"{key}/{attempt}", case, rng)
            yield self.env.timeout(_one(spec.back_out, float(u[2])))
            self._log(case, _A.BACKED_OUT, team)
        done(False)

    def _normal(self, key: str, case: int, done: Callable[[], None] | None
                ) -> Generator[simpy.Event, None, None]:
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
                if done is None:
                    return
                continue  # a problem's fix comes back to the next CAB
            self._log(case, _A.CHANGE_APPROVED)
            yield self.env.timeout(window.next_open(self.env.now) - self.env.now)
            self._log(case, _A.IMPLEMENTATION_STARTED)
            yield self.env.timeout(_one(spec.implementation, float(u[1])))
            if u[2] >= spec.failure_probability:
                self._log(case, _A.CHANGE_IMPLEMENTED)
                if done is not None:
                    done()
                return
            self._log(case, _A.CHANGE_FAILED)
            self._induce(spec, f"{key}/{attempt}", case, rng)
            yield self.env.timeout(_one(spec.back_out, float(u[3])))
            self._log(case, _A.BACKED_OUT)
            attempt += 1
            if done is None:
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
            self.env.timeout(float(delays[index]), (plans, index, change)).callbacks.append(
                self._induced_arrives)

    def _induced_arrives(self, event: Any) -> None:
        plans, index, change = event._value
        reopen = plans.reopen.get(index, (float("nan"), 0.0))
        category = int(plans.category[index])
        number = self.induced[change] = self.induced.get(change, 0) + 1  # in order of arrival
        name = f"{self.recorder.case_names[change]}-{number:04d}"
        case = self.recorder.add_case(name, int(plans.priority[index]), category)
        self.recorder.link(case, change)
        incident = Incident(case, int(plans.priority[index]), category, self.env.now,
                            plans.segments(index), *reopen)
        self.flow.arrive(incident)
