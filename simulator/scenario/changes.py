"""Scenario layer: change management (emergency and normal changes) and problem management.

An *emergency change* is one way to restore a service at a major incident's decision
point: an emergency CAB (ECAB) of ``members`` people is called out, decides once
``quorum`` of them are present, and approves or rejects; an approved change is
implemented, and may fail — then it is backed out, tried again (``retries``) or given
up for the workaround. A *normal change* waits for the next CAB meeting (the start of
an open period of the ``cab`` calendar), is implemented in the next change window (an
open period of the ``window`` calendar), and may fail too. Either kind, failing, can
bring new incidents. A background ``volume`` of normal changes keeps change-induced
incidents in the picture even when nothing else happens.

*Problem management* looks after latent problems: each *family* is the recurring
incidents of one arrival stream, or the recurring outages of one service. A problem
is opened by trend detection (``related_incidents`` of a family ``within`` a window)
or by the review after a major incident on the family's service. The problem team
analyses the root cause (work that takes its agents' time); the *known error* then
helps the desk (higher first-contact resolution, shorter handling) or shortens the
outage diagnosis; the permanent fix goes through a normal change and, once in,
removes ``fix_share`` of the family's later incidents (each logged as ``avoided``).
Switched off (``enabled: false``), the families still bring their incidents; nobody
opens a problem.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BeforeValidator, model_validator

from simulator.scenario.distributions import Distribution, Exponential, Fixed
from simulator.scenario.services import OnCall
from simulator.scenario.types import (
    Names,
    NonNegativeNumber,
    PositiveCount,
    PositiveDuration,
    PositiveNumber,
    PositiveRate,
    Probability,
    Spec,
    integer_levels,
)

__all__ = [
    "ChangeManagement",
    "ChangeRisk",
    "Ecab",
    "EmergencyChanges",
    "InducedIncidents",
    "KnownError",
    "NormalChanges",
    "ProblemFamily",
    "ProblemManagement",
    "TrendRule",
]



class Ecab(Spec):
    """The emergency CAB: who is called out, how many must be present, how they decide."""

    members: PositiveCount = 5  # change manager, service owner, implementer, affected owners
    quorum: PositiveCount = 3  # members present before a decision can be taken
    on_call: OnCall = OnCall(in_hours=Fixed.of("15m"), out_of_hours=Fixed.of("40m"))
    deliberation: Distribution = Fixed.of("10m")  # quorum present → decision
    approval_probability: Probability = 0.95  # chance the ECAB approves

    @model_validator(mode="after")
    def _quorum_possible(self) -> Self:
        if self.quorum > self.members:
            raise ValueError(f"expected a quorum of at most the {self.members} members; "
                             f"found quorum {self.quorum}")
        return self


class InducedIncidents(Spec):
    """The incidents a failed change brings: a Poisson number, each after a delay."""

    mean: NonNegativeNumber = 0.0  # incidents per failed change, on average
    delay: Distribution = Exponential.model_validate({"mean": "30m"})  # failure → the incident
    impact_urgency: Annotated[dict[int, dict[int, Probability]], BeforeValidator(integer_levels)] = {
        2: {1: 1.0}}  # P2 by default
    category: str = "change"  # of the incidents


class ChangeRisk(Spec):
    """Implementing a change, and what happens when it fails."""

    implementation: Distribution | None = None  # None (emergency only): the service's fix
    failure_probability: Probability = 0.15  # [domain: DORA tiers; 10–20 % as an assumption]
    back_out: Distribution = Fixed.of("30m")  # time to undo a failed change
    induced_incidents: InducedIncidents = InducedIncidents()


class EmergencyChanges(ChangeRisk):
    """Restoration through an emergency change, approved by an ECAB."""

    ecab: Ecab = Ecab()
    retries: int = 1  # attempts after a failed one; then the workaround

    @model_validator(mode="after")
    def _retries(self) -> Self:
        if self.retries < 0:
            raise ValueError(f"expected 'retries' of 0 or more; found {self.retries}")
        return self


class NormalChanges(ChangeRisk):
    """Changes assessed at a scheduled CAB and implemented in change windows."""

    implementation: Distribution | None = Fixed.of("1h")
    volume: PositiveRate | None = None  # background normal changes (e.g. "20/w"); None: only problem fixes
    cab: str  # a calendar: the CAB meets at the start of each of its open periods
    window: str  # a calendar: changes are implemented while it is open
    approval_probability: Probability = 0.9  # a rejected background change is dropped


class ChangeManagement(Spec):
    """Change management: emergency changes (for major incidents) and normal changes."""

    emergency: EmergencyChanges | None = None
    normal: NormalChanges | None = None


class KnownError(Spec):
    """What a known error (root cause or workaround known) changes for its family."""

    first_contact_resolution: Probability | None = None  # the desk's, for the family's tickets
    handling: PositiveNumber = 1.0  # × every handling time of the family's tickets
    diagnosis: PositiveNumber = 1.0  # × the diagnosis of the family's outages

    @model_validator(mode="after")
    def _factors(self) -> Self:
        for name in ("handling", "diagnosis"):
            value = getattr(self, name)
            if value > 1.0:
                raise ValueError(f"expected '{name}' as a factor above 0 and at most 1 (a known "
                                 f"error shortens work); found {value}")
        return self


class ProblemFamily(Spec):
    """A latent problem: the recurring incidents of one arrival stream, or outages of one service."""

    stream: str | None = None  # an arrival stream whose incidents share this cause
    service: str | None = None  # or a service whose outages do
    root_cause_analysis: Distribution  # the problem team's work to find the cause
    known_error: KnownError = KnownError()
    fix_share: Probability  # of the family's later incidents the permanent fix removes

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.stream is None) == (self.service is None):
            raise ValueError("expected exactly one of 'stream' (recurring incidents) or 'service' "
                             "(recurring outages); found "
                             + ("both" if self.stream is not None else "neither"))
        return self


class TrendRule(Spec):
    """Trend detection: this many incidents of a family within this window open a problem."""

    related_incidents: PositiveCount = 10  # this many incidents of a family within the window open a problem
    within: PositiveDuration = 7 * 24 * 60.0  # written "7d"


class ProblemManagement(Spec):
    """Problem management: families of recurring incidents, the problem team, reviews."""

    enabled: bool = False  # the switch: off, nobody opens a problem
    team: str  # the problem team (a team of the scenario); its agents do root-cause analysis
    trend: TrendRule | None = TrendRule()
    review_after_major_incident: bool = True  # a major incident's review opens a problem
    review_delay: Distribution = Fixed.of("2d")  # restored → the review opens the problem
    families: Annotated[dict[str, ProblemFamily], Names("problem family")]
