"""Model layer: when services fail, and what each outage will bring, drawn in advance.

Outage starts come from each service's failure process — a renewal process of
failure *starts* (``every``: the time between consecutive starts, so that how
fast one outage is restored never moves the next) — and from fixed times.
Everything random about one outage (how long until the monitoring alert, when
each user would report, each ticket's priority and desk work, how long the
diagnosis, fix and recovery take, the delays of recognition, acceptance and
paging) is drawn when the run is built, from a stream of its own
(``outage/<service>/<n>``). So an outage is the same outage with or without
the major-incident process: only how it is handled differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.model.streams import RandomStreams
from simulator.scenario.distributions import Distribution
from simulator.scenario.schema import Scenario
from simulator.scenario.services import CRITICALITY, OnCall, Role

__all__ = ["OutagePlan", "RoleDraws", "outage_roles", "plan_outage", "plan_outages"]


def _one(distribution: Distribution, u: float) -> float:
    return float(distribution.quantile(np.array([u]))[0])


@dataclass(frozen=True)
class RoleDraws:
    """A role's paging delays, in and out of business hours, one per member."""

    role: Role
    in_hours: tuple[float, ...]
    out_of_hours: tuple[float, ...]

    def delay(self, member: int, in_hours: bool) -> float:
        """The paging delay of the member-th person of the role."""
        return (self.in_hours if in_hours else self.out_of_hours)[member]


@dataclass(frozen=True)
class OutagePlan:
    """One outage of one service, with all its random draws."""

    number: int  # 1, 2, ... in order of start across all services
    service: str
    start: float  # minutes since the start of the run
    detection_delay: float | None  # None: the service is not monitored
    storm_offsets: tuple[float, ...]  # when each user would report, after the start (sorted)
    storm_priorities: tuple[int, ...]  # priority rank of each user's ticket
    desk_work: tuple[float, ...]  # desk work of the alert ticket, then of each user's ticket
    follow_up: tuple[float, ...]  # desk work to close each ticket after the restore (no MIM)
    primary_priority: int  # the first ticket about the outage: P1 for a critical service
    diagnosis: float
    fix: float
    recovery: float
    rollback: float | None  # the same draw on the rollback's distribution, if the service has one
    recognition: float  # criteria met → major incident proposed
    acceptance_in_hours: float
    acceptance_out_of_hours: float
    roles: tuple[tuple[str, RoleDraws], ...]  # ("manager" | "communications" | "resolvers", draws)

    def acceptance(self, in_hours: bool) -> float:
        """How long the major incident manager takes to accept."""
        return self.acceptance_in_hours if in_hours else self.acceptance_out_of_hours


def _starts(scenario: Scenario, name: str, streams: RandomStreams) -> list[float]:
    service = scenario.services[name]
    starts = [outage.at for outage in scenario.outages if outage.service == name]
    failures = service.failures
    if failures is not None:
        starts += list(failures.at)
        if failures.every is not None:
            rng = streams.generator(f"failures/{name}")
            clock = 0.0
            while True:
                clock += _one(failures.every, float(rng.random()))
                if clock >= scenario.run.horizon:
                    break
                starts.append(clock)
    return sorted(starts)


def _role_draws(roles: list[tuple[str, Role]], rng: np.random.Generator) -> tuple[tuple[str, RoleDraws], ...]:
    drawn = []
    for kind, role in roles:
        u_in, u_out = rng.random(role.count), rng.random(role.count)
        on_call: OnCall = role.on_call
        drawn.append((kind, RoleDraws(role, tuple(on_call.in_hours.quantile(u_in).tolist()),
                                      tuple(on_call.out_of_hours.quantile(u_out).tolist()))))
    return tuple(drawn)


def _storm(scenario: Scenario, name: str, rng: np.random.Generator
           ) -> tuple[tuple[float, ...], tuple[int, ...]]:
    service = scenario.services[name]
    storm = service.ticket_storm
    count = int(rng.poisson(service.users * storm.share)) if storm is not None else 0
    u_times, u_priority = rng.random(count), rng.random(count)
    if storm is None:
        return (), ()
    offsets = np.sort(storm.delay.quantile(u_times))
    cells = [(impact, urgency, share) for impact, row in storm.impact_urgency.items()
             for urgency, share in row.items()]
    edges = np.cumsum([share for *_, share in cells])
    picked = np.minimum(np.searchsorted(edges, u_priority * edges[-1], side="right"), len(cells) - 1)
    names = list(scenario.priorities)
    ranks = [names.index(scenario.priority_matrix[impact - 1][urgency - 1])
             for impact, urgency, _ in cells]
    return tuple(offsets.tolist()), tuple(ranks[index] for index in picked)


def plan_outages(scenario: Scenario, streams: RandomStreams) -> list[OutagePlan]:
    """Every outage of the run, in order of start, with its draws."""
    starts = sorted((start, name) for name in scenario.services
                    for start in _starts(scenario, name, streams))
    roles = outage_roles(scenario)
    per_service: dict[str, int] = {}
    plans = []
    for number, (start, name) in enumerate(starts, start=1):
        per_service[name] = per_service.get(name, 0) + 1
        plans.append(plan_outage(scenario, streams, name, start, number,
                                 f"outage/{name}/{per_service[name]}", roles))
    return plans


def outage_roles(scenario: Scenario) -> list[tuple[str, Role]]:
    """The Major Incident Team's roles, in paging order."""
    process = scenario.major_incident
    roles: list[tuple[str, Role]] = [(kind, role) for kind, role in
                                     (("manager", process.manager),
                                      ("communications", process.communications))
                                     if role is not None]
    return roles + [("resolvers", role) for role in process.resolvers]


def plan_outage(scenario: Scenario, streams: RandomStreams, name: str, start: float, number: int,
                stream: str, roles: list[tuple[str, Role]] | None = None) -> OutagePlan:
    """One outage of service ``name`` at minute ``start``, its draws from ``stream``."""
    process = scenario.major_incident
    roles = outage_roles(scenario) if roles is None else roles
    names = list(scenario.priorities)
    rng = streams.generator(stream)
    service = scenario.services[name]
    restoration = service.restoration
    detection = _one(service.detection_delay, float(rng.random())) \
        if service.detection_delay is not None else None
    u = rng.random(6)
    offsets, priorities = _storm(scenario, name, rng)
    desk = scenario.flow.desk.handling.quantile(rng.random(len(offsets) + 1))
    storm = service.ticket_storm
    follow = storm.follow_up if storm is not None and storm.follow_up is not None \
        else scenario.flow.desk.handling
    follow_up = follow.quantile(rng.random(len(offsets) + 1))
    impact, urgency = CRITICALITY[service.criticality]
    primary = names.index(scenario.priority_matrix[min(impact, len(scenario.priority_matrix)) - 1]
                          [min(urgency, len(scenario.priority_matrix[0])) - 1])
    return OutagePlan(
        number, name, start, detection, offsets, priorities, tuple(desk.tolist()),
        tuple(follow_up.tolist()), primary,
        _one(restoration.diagnosis, u[0]), _one(restoration.fix, u[1]),
        _one(restoration.recovery, u[2]),
        None if restoration.rollback is None else _one(restoration.rollback, u[1]),
        _one(process.recognition_delay, u[3]),
        _one(process.acceptance.in_hours, u[4]), _one(process.acceptance.out_of_hours, u[5]),
        _role_draws(roles, rng))
