"""Scenario layer: the service catalogue, outages, and the major-incident process.

A *service* has users, a criticality, a cost per minute of downtime, the resolver
group that owns it, a failure process (time between failures, or outages at
given times), how its failures show (a monitoring alert after a detection
delay, and a storm of user tickets that fades) and how long restoring it takes
(diagnosis, the fix, and the service's recovery after the fix).

The *major-incident process* says when an outage is declared a major incident,
who is on the Major Incident Team and how fast they join, how often
stakeholders hear, and how the service is restored. Switched off
(``enabled: false``), every outage is worked as an ordinary P1 ticket through
the tiers; nothing else changes.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, field_validator, model_validator

from simulator.scenario.calendars import ALWAYS_OPEN
from simulator.scenario.costs import DowntimeCost, DowntimeCostField, ProcessCosts
from simulator.scenario.distributions import Distribution, Exponential, Fixed
from simulator.scenario.types import (
    Duration,
    PositiveCount,
    PositiveDuration,
    PositiveNumber,
    Probability,
    Spec,
    integer_levels,
)

__all__ = [
    "CRITICALITY",
    "Failures",
    "MajorIncidentProcess",
    "OnCall",
    "Outage",
    "Restoration",
    "RestorationPath",
    "Role",
    "Service",
    "TicketStorm",
]

#: Criticality → the (impact, urgency) of the first ticket about an outage (P1 … P4 by the
#: ServiceNow matrix).
CRITICALITY: dict[str, tuple[int, int]] = {
    "critical": (1, 1), "high": (1, 2), "medium": (2, 2), "low": (3, 3),
}



class Failures(Spec):
    """When a service fails: a renewal process (``every``) and/or outages at fixed times (``at``)."""

    every: Distribution | None = None  # time between the end of one outage and the next start
    at: tuple[Duration, ...] = ()  # outage starts, after the start of the run

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.every is None and not self.at:
            raise ValueError("expected 'every' (time between failures) or 'at' (times); found "
                             "neither")
        return self


class TicketStorm(Spec):
    """The user tickets an outage brings: a burst that fades as users learn of it.

    ``users × share`` users (a Poisson number) would report if the outage never ended, each
    after a ``delay`` from its start; those due after the restoration never call, unless
    each ticket needs its own fix (``resolved_with_restore: false``: the damage is done). The
    storm's rate follows the density of the delay: an exponential delay is a burst that
    fades at once, a lognormal one builds up over the first minutes and then fades.
    """

    share: Probability  # of the service's users who report, if the outage lasted forever
    delay: Distribution = Exponential.model_validate({"mean": "30m"})  # outage start → a report
    impact_urgency: Annotated[dict[int, dict[int, Probability]], BeforeValidator(integer_levels)] = {
        2: {2: 1.0}}  # the priority of the users' tickets (P3 by default)
    resolved_with_restore: bool = True  # False: each ticket needs its own fix (e.g. per laptop)
    follow_up: Distribution | None = None  # desk work to close each one after the restore
    category: str | None = None  # of the tickets (default: the service's name)


#: How a major incident restores its service.
RestorationPath = Literal["workaround", "emergency_change"]


class Restoration(Spec):
    """How long restoring the service takes, once people work on it."""

    diagnosis: Distribution  # time to find what to do
    fix: Distribution  # the workaround: failover, restart, rollback
    recovery: Distribution = Fixed.of("0m")  # after the fix, until users see it
    path: RestorationPath | None = None  # this service's policy (default: the process's)
    rollback: Distribution | None = None  # undoing the last release instead (a tabletop option)


class Service(Spec):
    """A service in the catalogue."""

    users: PositiveCount  # users of the service (the ticket storm's base)
    # the priority of its first outage ticket (critical: P1)
    criticality: Literal["critical", "high", "medium", "low"] = "high"
    downtime_cost: DowntimeCostField = DowntimeCost()  # per minute of outage (see costs.py)
    owner: str  # the resolver group that restores it (and receives its P1 without a MIM)
    failures: Failures | None = None
    detection_delay: Distribution | None = None  # monitoring: outage start → alert (None: none)
    ticket_storm: TicketStorm | None = None
    restoration: Restoration

    @model_validator(mode="after")
    def _noticed(self) -> Self:
        if self.detection_delay is None and self.ticket_storm is None:
            raise ValueError("expected 'detection_delay' (monitoring) or 'ticket_storm' (users' "
                             "reports), or both: nobody would ever notice an outage; found neither")
        return self


class Outage(Spec):
    """An outage at a given time (for exercises), in addition to a service's own failures."""

    service: str  # the service that fails
    at: Duration  # after the start of the run


class OnCall(Spec):
    """How fast a role joins the bridge: paging delays in and out of business hours."""

    calendar: str = ALWAYS_OPEN  # what "business hours" means for this role
    in_hours: Distribution = Fixed.of("5m")  # delay to join during the calendar's hours
    out_of_hours: Distribution = Fixed.of("20m")  # delay to join outside them


class Role(Spec):
    """A role on the Major Incident Team, filled from a team (``owner``: the service's owner)."""

    team: str  # a team of the scenario, or owner: the failed service's owner
    count: PositiveCount = 1  # how many people of the team
    on_call: OnCall = OnCall()


class DeclareWhen(Spec):
    """Criteria that make the desk propose a major incident (any one suffices)."""

    alert_on_critical: bool = True  # a monitoring alert on a critical service
    p1_on_critical: bool = True  # a P1 ticket about a critical service
    related_tickets: PositiveCount | None = None  # this many tickets about one service ...
    within: PositiveDuration = 30.0  # ... within this time (written "30m")


class MajorIncidentProcess(Spec):
    """The major-incident process: declaration, the Major Incident Team, updates, restoration."""

    enabled: bool = False  # the switch: off, outages are worked as ordinary tickets
    declare_when: DeclareWhen = DeclareWhen()
    recognition_delay: Distribution = Fixed.of("10m")  # criteria met → proposed
    acceptance: OnCall = OnCall()  # proposed → declared: the major incident manager accepts
    manager: Role | None = None
    communications: Role | None = None
    resolvers: tuple[Role, ...] = (Role(team="owner", count=2),)
    updates_every: PositiveDuration = 30.0  # stakeholder updates while the incident is open
    # The decision point's policy: restore by a workaround (failover, restart, rollback) or by an
    # emergency change (ECAB, implementation, risk of failure; see ``changes.emergency``).
    restoration: RestorationPath = "workaround"
    costs: ProcessCosts | None = None  # what the process costs besides simulated staff time
    # Switched off, one engineer of the owner group diagnoses alone: diagnosis takes this many
    # times the service's diagnosis time (which describes a team on a bridge); 1: no difference.
    solo_diagnosis_factor: PositiveNumber = 1.0

    @field_validator("resolvers")
    @classmethod
    def _someone_restores(cls, value: tuple[Role, ...]) -> tuple[Role, ...]:
        if not value:
            raise ValueError("expected at least one resolver role; found none")
        return value
