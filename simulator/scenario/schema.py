"""Scenario layer: the typed, immutable description of an organisation to simulate.

This module is the one place where the scenario language and its defaults are
defined. Each class below is one section of a scenario file; field comments say
what a key means and in which unit it is written. Checks that involve several
sections at once (a routing target that is not a team, a ticket that can never
be resolved) live in :mod:`simulator.scenario.checks` and run whenever a
:class:`Scenario` is built, so a ``Scenario`` object is always a valid one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from simulator.scenario.calendars import (
    ALWAYS_OPEN,
    Calendar,
    parse_days,
    parse_time_of_day,
)
from simulator.scenario.distributions import Distribution
from simulator.scenario.types import (
    Duration,
    PositiveCount,
    PositiveDuration,
    PositiveRate,
    Probability,
    Spec,
    problem,
)

__all__ = [
    "SERVICENOW_PRIORITY_MATRIX",
    "ArrivalStream",
    "BacklogItem",
    "Desk",
    "Flow",
    "HierarchicalEscalation",
    "PauseRule",
    "Priority",
    "ReopenRule",
    "ResolverGroup",
    "RunSettings",
    "Scenario",
    "Shift",
    "Team",
]

#: ServiceNow's default impact × urgency matrix (rows: impact 1–3, columns: urgency 1–3).
SERVICENOW_PRIORITY_MATRIX: tuple[tuple[str, ...], ...] = (
    ("P1", "P2", "P3"),
    ("P2", "P3", "P4"),
    ("P3", "P4", "P4"),
)


def _shares(length: int, what: str) -> object:
    def check(value: object) -> object:
        if not isinstance(value, list | tuple) or len(value) != length:
            found = f"{len(value)} values" if isinstance(value, list | tuple) else repr(value)
            raise problem("profile", f"expected a list of {length} {what}; found {found}")
        return value

    return BeforeValidator(check)


def _levels(value: object) -> object:
    # YAML gives {1: 0.2, 2: 0.8}; keep the levels as integers.
    if isinstance(value, dict):
        return {int(key) if isinstance(key, str) and key.isdigit() else key: share
                for key, share in value.items()}
    return value


Shares = dict[int, Probability]


class RunSettings(Spec):
    """When the simulated period starts, how long it lasts, and how often it is repeated."""

    start: dt.datetime = dt.datetime(2026, 1, 5)  # a Monday, local time without DST
    horizon: PositiveDuration  # simulated time after the start, e.g. "52w"
    warmup: Duration = 0.0  # incidents arriving before this are left out of the KPIs
    replications: PositiveCount = 10
    seed: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _warmup_before_end(self) -> Self:
        if self.warmup >= self.horizon:
            raise ValueError("expected 'warmup' shorter than 'horizon'")
        return self


class ArrivalStream(Spec):
    """One stream of new incidents (a channel or a category) and its weekly shape.

    Either ``volume`` (random arrivals) or ``at`` (incidents at fixed times, for
    exercises and exact tests). The rate in hour ``h`` of weekday ``d`` is ``volume × day_of_week[d] ×
    hour_of_day[h]`` per hour (or ``volume × 7 × weekly[d][h]`` with a full
    profile): a non-homogeneous Poisson process, sampled by thinning.
    """

    volume: PositiveRate | None = None  # mean incidents per day, e.g. "350/day"
    at: tuple[Duration, ...] | None = None  # or: incidents at these times after the start
    category: str | None = None  # defaults to the stream's name
    channel: str | None = None
    hour_of_day: Annotated[tuple[float, ...] | None, _shares(24, "hourly shares")] = None
    day_of_week: Annotated[tuple[float, ...] | None, _shares(7, "weekday weights (Mon..Sun)")] = None
    weekly: Annotated[tuple[tuple[float, ...], ...] | None,
                      _shares(7, "rows (Mon..Sun) of 24 hourly shares of the week")] = None
    impact: Annotated[Shares | None, BeforeValidator(_levels)] = None  # level → share; default {2: 1}
    urgency: Annotated[Shares | None, BeforeValidator(_levels)] = None  # level → share; default {2: 1}
    impact_urgency: Annotated[dict[int, Annotated[Shares, BeforeValidator(_levels)]] | None,
                              BeforeValidator(_levels)] = None  # joint: impact → urgency → share

    @field_validator("hour_of_day", "day_of_week")
    @classmethod
    def _non_negative(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and not all(share >= 0.0 for share in value):
            raise ValueError("expected shares that are zero or more")
        return value

    @field_validator("weekly")
    @classmethod
    def _rows_of_24(cls, value: tuple[tuple[float, ...], ...] | None
                    ) -> tuple[tuple[float, ...], ...] | None:
        if value is not None and any(len(row) != 24 for row in value):
            raise ValueError("expected 7 rows of 24 hourly shares")
        if value is not None and not all(share >= 0.0 for row in value for share in row):
            raise ValueError("expected shares that are zero or more")
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if (self.volume is None) == (self.at is None):
            raise ValueError("expected either 'volume' (a rate such as '120/day') or 'at' (a list "
                             "of times after the start such as ['10m', '2h'])")
        if self.at is not None and (self.hour_of_day or self.day_of_week or self.weekly):
            raise ValueError("expected no hour or weekday profile with 'at' (fixed times)")
        if self.weekly is not None and (self.hour_of_day or self.day_of_week):
            raise ValueError("expected either 'weekly' or 'hour_of_day'/'day_of_week', not both")
        if self.impact_urgency is not None and (self.impact is not None or self.urgency is not None):
            raise ValueError("expected either 'impact_urgency' (joint shares) or 'impact' and "
                             "'urgency' (independent shares), not both")
        return self

    def impact_urgency_shares(self) -> dict[tuple[int, int], float]:
        """Share of incidents in each (impact, urgency) cell."""
        if self.impact_urgency is not None:
            return {(impact, urgency): share for impact, row in self.impact_urgency.items()
                    for urgency, share in row.items()}
        impacts, urgencies = self.impact or {2: 1.0}, self.urgency or {2: 1.0}
        return {(impact, urgency): p_impact * p_urgency for impact, p_impact in impacts.items()
                for urgency, p_urgency in urgencies.items()}


class Priority(Spec):
    """SLA targets of one priority; each clock runs on the named calendar."""

    response: PositiveDuration | None = None  # arrival → first work started
    resolution: PositiveDuration | None = None  # arrival → resolved, pauses excluded
    calendar: str = ALWAYS_OPEN
    attainment_target: Probability | None = None  # e.g. 0.9: share of incidents within target


def _time_of_day(value: object) -> float:
    try:
        return parse_time_of_day(value) if isinstance(value, str) else parse_time_of_day(repr(value))
    except ValueError as error:
        raise problem("time_of_day", str(error)) from None


def _weekdays(value: object) -> tuple[int, ...]:
    try:
        return parse_days(value if isinstance(value, str) else repr(value))
    except ValueError as error:
        raise problem("weekdays", str(error)) from None


#: A time of day written "08:30" ("24:00" ends the day), stored as minutes after midnight.
TimeOfDay = Annotated[float, BeforeValidator(_time_of_day),
                      WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$"})]
#: Weekdays written "Mon-Fri", "Sat,Sun" or "daily", stored as numbers (Monday = 0).
Weekdays = Annotated[tuple[int, ...], BeforeValidator(_weekdays),
                     WithJsonSchema({"type": "string", "examples": ["Mon-Fri", "Sat,Sun", "daily"]})]


class Shift(Spec):
    """A group of agents working the same hours on the same weekdays.

    A shift whose end is earlier than its start crosses midnight and belongs to
    the day it starts on (``days: Mon-Fri, start: "22:00", end: "06:00"`` works
    the nights that start Monday to Friday).
    """

    name: str | None = None
    days: Weekdays
    start: TimeOfDay
    end: TimeOfDay
    headcount: PositiveCount

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("expected a shift with a length; start and end are the same "
                             "(a zero-length shift)")
        return self

    def length(self) -> float:
        """Minutes from start to end (crossing midnight where the end is earlier)."""
        return (self.end - self.start) % (24 * 60.0) or 24 * 60.0


class Team(Spec):
    """The service desk or a resolver group: who works when, and what an hour costs."""

    agents: PositiveCount | None = None  # the same headcount around the clock (24×7)
    roster: tuple[Shift, ...] | None = None
    hourly_cost: float = Field(default=0.0, ge=0.0)  # per rostered agent-hour
    at_shift_end: Literal["finish", "handover"] = "finish"

    @model_validator(mode="after")
    def _staffed(self) -> Self:
        if (self.agents is None) == (self.roster is None or not self.roster):
            raise ValueError("expected either 'agents' (24x7 headcount) or a 'roster' of shifts")
        return self


class PauseRule(Spec):
    """Waiting on the user: the ticket leaves the agent and its SLA clocks pause."""

    probability: Probability
    duration: Distribution
    after_share: Probability = 0.5  # share of the group's work done before the wait


class Desk(Spec):
    """The first line: every new incident is handled here first."""

    team: str
    handling: Distribution
    first_contact_resolution: Probability = 0.0
    first_contact_resolution_by_category: dict[str, Probability] = {}
    escalation: dict[str, Probability] = {}  # resolver group → share of what is escalated
    escalation_by_category: dict[str, dict[str, Probability]] = {}


class ResolverGroup(Spec):
    """A resolver group's work on a ticket, and where it sends tickets it cannot resolve."""

    handling: Distribution
    handling_by_priority: dict[str, Distribution] = {}
    transfer: dict[str, Probability] = {}  # misroutes: other group → probability; the rest resolved
    waiting_on_user: PauseRule | None = None


class ReopenRule(Spec):
    """A resolved ticket the user reopens; it returns to the group that resolved it."""

    probability: Probability
    delay: Distribution  # resolved → reopened


class HierarchicalEscalation(Spec):
    """Alert management when a ticket has used a share of its resolution target."""

    at_share: Probability = 0.75


class Flow(Spec):
    """How an incident travels: desk, escalation, resolver groups, pauses, reopen, closure."""

    desk: Desk
    groups: dict[str, ResolverGroup] = {}
    reopen: ReopenRule | None = None
    closure_delay: Duration = 0.0  # resolved → closed, if not reopened in between
    hierarchical_escalation: HierarchicalEscalation | None = None


class BacklogItem(Spec):
    """Open tickets at the start of the run (today's state of the desk)."""

    team: str
    priority: str
    count: PositiveCount
    age: Distribution  # how long before the start each ticket was opened
    category: str | None = None


class Scenario(Spec):
    """A whole organisation: demand, teams and shifts, SLA targets, flow, run settings."""

    name: str = "scenario"
    description: str = ""
    run: RunSettings
    calendars: dict[str, Calendar] = {}
    arrivals: dict[str, ArrivalStream]
    priorities: dict[str, Priority] = {"P1": Priority(), "P2": Priority(), "P3": Priority(),
                                       "P4": Priority()}
    priority_matrix: tuple[tuple[str, ...], ...] = SERVICENOW_PRIORITY_MATRIX
    teams: dict[str, Team]
    flow: Flow
    initial_backlog: tuple[BacklogItem, ...] = ()
    targets: dict[str, str] = {}  # KPI → condition, e.g. {"P2.sla_response_attainment": ">= 0.9"}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        from simulator.scenario.checks import raise_problems

        raise_problems(self)
        return self

    def category_of(self, stream: str) -> str:
        """The category of the incidents a stream brings."""
        return self.arrivals[stream].category or stream

    def categories(self) -> tuple[str, ...]:
        """Every category an arrival stream can bring, in order of first appearance."""
        return tuple(dict.fromkeys(self.category_of(name) for name in self.arrivals))
