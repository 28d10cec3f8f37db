"""Scenario layer: the typed, immutable description of an organisation to simulate.

This module is the one place where the scenario language and its defaults are
defined. Each class below is one section of a scenario file; field comments say
what a key means and in which unit it is written. Checks that involve several
sections at once (a routing target that is not a team, a ticket that can never
be resolved) live in :mod:`simulator.scenario.checks`, which reads this module;
the loader (:func:`~simulator.scenario.loader.parse_scenario`, the one way a
scenario is made from data) runs them after the sections validate, so a
scenario it returns is always a valid one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from simulator.scenario.calendars import (
    ALWAYS_OPEN,
    Calendar,
    parse_days,
    parse_time_of_day,
)
from simulator.scenario.changes import ChangeManagement, ProblemManagement
from simulator.scenario.distributions import Distribution
from simulator.scenario.estimates import Money
from simulator.scenario.exercise import Exercise
from simulator.scenario.routing import PathRule, TransferRule
from simulator.scenario.services import MajorIncidentProcess, Outage, Service
from simulator.scenario.types import (
    Duration,
    Names,
    PositiveCount,
    PositiveDuration,
    PositiveRate,
    Probability,
    Seed,
    Spec,
    integer_levels,
    problem,
)
from simulator.scenario.units import UnitError, format_duration, parse_duration

__all__ = [
    "CHANNELS",
    "SERVICENOW_PRIORITY_MATRIX",
    "UNNAMED_SHIFT",
    "ArrivalStream",
    "BacklogItem",
    "Break",
    "Callback",
    "Desk",
    "Flow",
    "HierarchicalEscalation",
    "OnCallRota",
    "PauseRule",
    "PlannedAbsence",
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


def _weekly(value: object) -> object:
    rows_ok = isinstance(value, list | tuple) and len(value) == 7 and all(
        isinstance(row, list | tuple) and len(row) == 24
        and all(isinstance(share, int | float) and not isinstance(share, bool) for share in row)
        for row in value)
    if value is not None and not rows_ok:
        if isinstance(value, list | tuple):
            lengths = [len(row) if isinstance(row, list | tuple) else row for row in value][:7]
            shape = f"{len(value)} rows of lengths {lengths}"
        else:
            shape = repr(value)
        raise problem("profile", f"expected 7 rows (Mon..Sun) of 24 hourly shares; found {shape}")
    return value


Shares = dict[int, Probability]
#: The longest run a scenario may ask for: 20 years.
MAX_HORIZON_MIN = 20 * 52 * 10080.0


def _horizon_or_measure(schema: dict[str, Any]) -> None:
    """In the JSON Schema (for editors): 'horizon' or 'measure', one of them required."""
    schema["required"] = [key for key in schema.get("required", []) if key != "horizon"]
    schema["oneOf"] = [{"required": ["horizon"]}, {"required": ["measure"]}]


class RunSettings(Spec):
    """When the simulated period starts, how long it lasts, and how often it is repeated.

    The run is ``horizon`` long, the warm-up included: incidents that arrive in the first
    ``warmup`` are simulated (they fill the queues) but left out of the KPIs, which measure the
    rest, ``horizon − warmup``. Give that measured time as ``measure`` instead of ``horizon``
    (``warmup: 15w, measure: 52w`` is ``horizon: 67w``); a ``--set`` or a file that extends
    another and gives one of the two replaces the other.
    """

    EXCLUSIVE_KEYS = (("horizon", "measure"),)
    model_config = ConfigDict(json_schema_extra=_horizon_or_measure)

    start: dt.datetime = dt.datetime(2026, 1, 5)  # a Monday, local time without DST
    horizon: PositiveDuration  # simulated time after the start, warm-up included, e.g. "67w"
    # or: the time measured after the warm-up, e.g. "52w" (then horizon = warmup + measure)
    measure: Annotated[PositiveDuration | None, Field(exclude=True)] = None
    warmup: Duration = 0.0  # incidents arriving before this are left out of the KPIs
    replications: PositiveCount = 10  # independent runs, each with its own random numbers
    seed: Seed = 1  # the root seed; the same seed gives the same results

    @model_validator(mode="before")
    @classmethod
    def _horizon_from_measure(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("measure") is None:
            return data
        if data.get("horizon") is not None:
            raise problem("run_length", "expected either 'horizon' (the whole run, warm-up "
                                        "included) or 'measure' (the time after the warm-up); "
                                        "found both")
        try:
            horizon = parse_duration(data.get("warmup", "0m")) + parse_duration(data["measure"])
        except UnitError:  # the fields' own checks say what is wrong with them
            horizon = 1.0  # (a stand-in, so that 'horizon' is not reported missing as well)
        return {**data, "horizon": f"{horizon}m"}

    @field_validator("start")
    @classmethod
    def _local_time(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            raise ValueError(f"expected a local date and time without a time zone (mimsim works "
                             f"in local time without DST); found {value.isoformat()}")
        return value

    @field_validator("horizon")
    @classmethod
    def _not_too_long(cls, value: float) -> float:
        if value > MAX_HORIZON_MIN:
            raise ValueError(f"expected a horizon (warm-up included) of at most "
                             f"{MAX_HORIZON_MIN / 10080:g} weeks; found {format_duration(value)}")
        return value

    @model_validator(mode="after")
    def _warmup_before_end(self) -> Self:
        if self.warmup >= self.horizon:
            raise ValueError(f"expected 'warmup' shorter than 'horizon', which is the whole run, "
                             f"warm-up included (give 'measure' for the time measured after the "
                             f"warm-up); found warmup {format_duration(self.warmup)}, horizon "
                             f"{format_duration(self.horizon)}")
        return self

    @property
    def measured(self) -> float:
        """Minutes measured after the warm-up (``horizon − warmup``)."""
        return self.horizon - self.warmup


#: The channels a contact can come by. Only phone and chat contacts wait on the line and may
#: abandon; a portal, e-mail or monitoring ticket waits in the queue until it is answered.
CHANNELS = ("phone", "chat", "portal", "email", "monitoring")
#: The channels whose contacts have a patience and may abandon the queue.
LIVE_CHANNELS = ("phone", "chat")
#: The service level's default answer time: the "80/20" convention's 20 seconds.
DEFAULT_ANSWER_WITHIN_MIN = 20 / 60


class Callback(Spec):
    """Of the contacts that abandon, the share that try again later, as a new contact."""

    share: Probability  # share of abandoned contacts that call back
    delay: Distribution  # abandoned → the new contact arrives


class ArrivalStream(Spec):
    """One stream of new incidents (a channel or a category) and its weekly shape.

    A stream may name its ``channel``. A phone or chat contact with a ``patience`` waits in the
    desk's queue at most that long: if no agent has answered it by then it is ``abandoned`` (a
    ``callback`` share of those try again after a delay, as a new contact). Portal, e-mail and
    monitoring tickets never abandon. ``desk_handling`` gives the channel its own handling time
    at the desk (instead of the desk's), and ``answer_within`` the time within which a contact
    counts as answered in time for the channel's ``service_level``.

    Either ``volume`` (random arrivals) or ``at`` (incidents at fixed times, for
    exercises and exact tests). The rate in hour ``h`` of weekday ``d`` is ``volume × day_of_week[d] ×
    hour_of_day[h]`` per hour (or ``volume × 7 × weekly[d][h]`` with a full
    profile): a non-homogeneous Poisson process, sampled by thinning.
    """

    volume: PositiveRate | None = None  # mean incidents per day, e.g. "350/day"
    at: tuple[Duration, ...] | None = None  # or: incidents at these times after the start
    category: str | None = None  # defaults to the stream's name
    # 24 shares of a day's arrivals, summing to 1
    hour_of_day: Annotated[tuple[float, ...] | None, _shares(24, "hourly shares")] = None
    # 7 weights, Monday first, averaging 1
    day_of_week: Annotated[tuple[float, ...] | None, _shares(7, "weekday weights (Mon..Sun)")] = None
    # or: 7 rows (Mon..Sun) of 24 shares, summing to 1
    weekly: Annotated[tuple[tuple[float, ...], ...] | None, BeforeValidator(_weekly)] = None
    impact: Annotated[Shares | None, BeforeValidator(integer_levels)] = None  # level → share; default {2: 1}
    urgency: Annotated[Shares | None, BeforeValidator(integer_levels)] = None  # level → share; default {2: 1}
    impact_urgency: Annotated[dict[int, Annotated[Shares, BeforeValidator(integer_levels)]] | None,
                              BeforeValidator(integer_levels)] = None  # joint: impact → urgency → share
    channel: Literal["phone", "chat", "portal", "email", "monitoring"] | None = None  # how contacts come
    patience: Distribution | None = None  # phone/chat: how long a caller waits before hanging up
    callback: Callback | None = None  # of those who abandon, who tries again (needs a patience)
    desk_handling: Distribution | None = None  # this channel's work at the desk, instead of the desk's
    answer_within: PositiveDuration | None = None  # service level's T; default 20 s ("80/20")

    @field_validator("hour_of_day", "day_of_week")
    @classmethod
    def _non_negative(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and not all(share >= 0.0 for share in value):
            raise ValueError(f"expected shares that are zero or more; found {min(value)}")
        return value

    @field_validator("weekly")
    @classmethod
    def _rows_non_negative(cls, value: tuple[tuple[float, ...], ...] | None
                           ) -> tuple[tuple[float, ...], ...] | None:
        if value is not None and not all(share >= 0.0 for row in value for share in row):
            raise ValueError(f"expected shares that are zero or more; found "
                             f"{min(min(row) for row in value)}")
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if (self.volume is None) == (self.at is None):
            found = "both" if self.volume is not None else "neither"
            raise ValueError(f"expected either 'volume' (a rate such as '120/day') or 'at' (a list "
                             f"of times after the start such as ['10m', '2h']); found {found}")
        if self.at is not None and (self.hour_of_day or self.day_of_week or self.weekly):
            raise ValueError("expected no hour or weekday profile with 'at' (fixed times); "
                             "found both")
        if self.weekly is not None and (self.hour_of_day or self.day_of_week):
            raise ValueError("expected either 'weekly' or 'hour_of_day'/'day_of_week'; found both")
        if self.impact_urgency is not None and (self.impact is not None or self.urgency is not None):
            raise ValueError("expected either 'impact_urgency' (joint shares) or 'impact' and "
                             "'urgency' (independent shares); found both")
        if self.patience is not None and self.channel not in LIVE_CHANNELS:
            raise ValueError(f"expected 'patience' only on a phone or chat stream (portal, e-mail "
                             f"and monitoring tickets never abandon); found channel {self.channel!r}")
        if self.callback is not None and self.patience is None:
            raise ValueError("expected 'callback' only with a 'patience' (only contacts that "
                             "abandon call back); found no patience")
        if self.answer_within is not None and self.channel is None:
            raise ValueError("expected 'answer_within' only on a stream with a 'channel'; found "
                             "no channel")
        return self

    @property
    def answer_target(self) -> float:
        """The service level's answer time T in minutes (default 20 s)."""
        return DEFAULT_ANSWER_WITHIN_MIN if self.answer_within is None else self.answer_within

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
    calendar: str = ALWAYS_OPEN  # the calendar both SLA clocks run on
    attainment_target: Probability | None = None  # e.g. 0.9: share of incidents within target
    breach_penalty: Money | None = None  # money per resolution-SLA breach (for ROI)
    response_breach_penalty: Money | None = None  # money per response-SLA breach


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


#: What a shift without a name is called: its place in the roster, counted from 1 ("shift1").
UNNAMED_SHIFT = "shift{number}"


class Shift(Spec):
    """A group of agents working the same hours on the same weekdays.

    A shift whose end is earlier than its start crosses midnight and belongs to
    the day it starts on (``days: Mon-Fri, start: "22:00", end: "06:00"`` works
    the nights that start Monday to Friday).
    """

    name: str | None = None  # default shift1, shift2, ...
    days: Weekdays  # the weekdays the shift starts on
    start: TimeOfDay  # local time the shift starts
    end: TimeOfDay  # earlier than the start: the shift crosses midnight
    headcount: PositiveCount  # agents on duty during the shift

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(f"expected a shift with a length; found start and end both at "
                             f"{int(self.start) // 60:02d}:{int(self.start) % 60:02d} "
                             f"(a zero-length shift)")
        return self

    def length(self) -> float:
        """Minutes from start to end (crossing midnight where the end is earlier)."""
        return (self.end - self.start) % (24 * 60.0) or 24 * 60.0


class OnCallRota(Spec):
    """Out of hours, an urgent ticket calls out one of the team's engineers.

    While nobody in the team is on duty, a ticket of one of ``priorities`` in its queue pages
    an engineer who is off duty; after ``call_out`` (reached, logged in) the engineer works it
    as overtime, then the next such ticket while nobody is on duty, and goes back off call.
    At shift end, a ticket of these priorities in hand is finished, not handed over.
    """

    priorities: tuple[str, ...] = ("P1",)  # the tickets that call someone out
    call_out: Distribution  # paged → working on the ticket


class Break(Spec):
    """A break every agent of the team takes in each shift (or each day, for 24x7 agents).

    It starts ``after`` the start of the shift, or, with ``latest_start``, at a time drawn
    uniformly between the two for each agent and shift (breaks placed within a window). An agent
    busy when the break is due finishes the ticket in hand first, as at the end of a shift.
    """

    after: Duration  # from the start of the shift (24x7 agents: from midnight) to the break
    latest_start: Duration | None = None  # or: the break starts between 'after' and this
    length: PositiveDuration  # how long the break lasts

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.latest_start is not None and self.latest_start < self.after:
            raise ValueError(f"expected 'latest_start' at or after 'after'; found "
                             f"{format_duration(self.latest_start)} before "
                             f"{format_duration(self.after)}")
        return self


class PlannedAbsence(Spec):
    """Agents of the team away for a stretch of time (training, an away-day): a calendar entry."""

    start: Duration  # from the start of the run
    end: Duration  # from the start of the run
    agents: PositiveCount  # how many of the team's agents are away (the last ones on its roster)


class Team(Spec):
    """The service desk or a resolver group: who works when, and what an hour costs.

    Rostered, scheduled and available agents differ as in a workforce-management report: the
    roster is what is paid; ``shrinkage`` (a share of rostered shifts lost to absence, meetings
    and training, drawn per agent and shift) and ``planned_absence`` take agents off whole
    stretches, and ``breaks`` take each working agent off for a while in every shift.
    """

    EXCLUSIVE_KEYS = (("agents", "roster"),)

    agents: PositiveCount | None = None  # the same headcount around the clock (24×7)
    roster: tuple[Shift, ...] | None = None  # or: shifts, each with its days, hours and headcount
    hourly_cost: Money = 0.0  # per rostered agent-hour and overtime hour (staff_cost)
    # finish the ticket in hand as overtime, or hand it back to the queue
    at_shift_end: Literal["finish", "handover"] = "finish"
    on_call: OnCallRota | None = None  # out-of-hours call-out for urgent tickets (none: they wait)
    shrinkage: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0  # share of rostered shifts not worked, e.g. 0.3
    planned_absence: tuple[PlannedAbsence, ...] = ()  # or as well: stretches of planned absence
    breaks: tuple[Break, ...] = ()  # breaks and lunch in every shift

    @model_validator(mode="after")
    def _staffed(self) -> Self:
        if (self.agents is None) == (self.roster is None or not self.roster):
            found = "both" if self.agents is not None else "neither"
            raise ValueError(f"expected either 'agents' (24x7 headcount) or a 'roster' of shifts; "
                             f"found {found}")
        names = [shift.name or UNNAMED_SHIFT.format(number=index + 1)
                 for index, shift in enumerate(self.roster or ())]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"expected a different name for each shift of the team; found "
                             f"{', '.join(repr(name) for name in repeated)} more than once")
        return self


class PauseRule(Spec):
    """Waiting on the user: the ticket leaves the agent and its SLA clocks pause."""

    probability: Probability  # share of a group's visits that wait on the user
    duration: Distribution  # how long the user takes
    after_share: Probability = 0.5  # share of the group's work done before the wait
    # The probability can depend on the kind of visit, as handling can (default: the probability above).
    probability_when_transferred: Probability | None = None  # of a visit that ends in a transfer
    probability_after_transfer: Probability | None = None  # of another visit that began with a transfer


class Desk(Spec):
    """The first line: every new incident is handled here first."""

    team: str  # the team that works as the desk
    handling: Distribution  # the desk's work on a new ticket
    # the desk's work on a ticket it resolves at first contact, instead of the above
    handling_when_resolved: Distribution | None = None
    first_contact_resolution: Probability = 0.0  # share resolved by the desk without escalation
    # category → share, instead of the above
    first_contact_resolution_by_category: dict[str, Probability] = {}
    escalation: dict[str, Probability] = {}  # resolver group → share of what is escalated
    # category → group → share, instead of the above
    escalation_by_category: dict[str, dict[str, Probability]] = {}

    def fcr_for(self, category: str) -> float:
        """The share of a category's tickets the desk resolves at first contact."""
        return self.first_contact_resolution_by_category.get(category, self.first_contact_resolution)

    def escalation_for(self, category: str) -> dict[str, float]:
        """Where the desk escalates a category's tickets: resolver group → share."""
        return self.escalation_by_category.get(category, self.escalation)


class ResolverGroup(Spec):
    """A resolver group's work on a ticket, and where it sends tickets it cannot resolve."""

    handling: Distribution  # the group's work on a ticket (a visit)
    handling_by_priority: dict[str, Distribution] = {}  # priority → work, instead of the above
    # A visit can take its own time when it ends in a transfer (the ticket goes on to another
    # group), or else when it began with one (the ticket came from another group): per priority,
    # else for all priorities, else the handling above.
    handling_when_transferred: Distribution | None = None
    # priority → work, instead of the above
    handling_when_transferred_by_priority: dict[str, Distribution] = {}
    handling_after_transfer: Distribution | None = None  # a visit that began with a transfer
    handling_after_transfer_by_priority: dict[str, Distribution] = {}  # priority → work, instead of the above
    transfer: dict[str, Probability] = {}  # misroutes: other group → probability; the rest resolved
    # Routing with memory: the first rule matching a ticket's history replaces `transfer` for it
    # (see simulator/scenario/routing.py).
    transfer_by_history: tuple[TransferRule, ...] = ()
    waiting_on_user: PauseRule | None = None

    def handling_for(self, priority: str, transferred: bool = False,
                     came_by_transfer: bool = False) -> Distribution:
        """The handling time of one visit of a ticket of ``priority`` to the group.

        ``transferred``: the visit ends in a transfer to another group; ``came_by_transfer``: it
        began with one (the ticket came from another group, not from the desk). A visit that
        ends in a transfer takes the ``handling_when_transferred`` times, else one that came by
        a transfer the ``handling_after_transfer`` times: each per priority, else for all
        priorities, else the group's usual handling time (per priority, else for all).
        """
        usual = self.handling_by_priority.get(priority, self.handling)
        if transferred:
            pooled, by_priority = self.handling_when_transferred, self.handling_when_transferred_by_priority
        elif came_by_transfer:
            pooled, by_priority = self.handling_after_transfer, self.handling_after_transfer_by_priority
        else:
            return usual
        return by_priority.get(priority, usual if pooled is None else pooled)


class ReopenRule(Spec):
    """A resolved ticket the user reopens; it returns to the group that resolved it."""

    probability: Probability  # share of resolved tickets reopened (at most once)
    delay: Distribution  # resolved → reopened


class HierarchicalEscalation(Spec):
    """Alert management when a ticket has used a share of its resolution target."""

    at_share: Probability = 0.75  # share of the resolution target used before escalating

    @field_validator("at_share")
    @classmethod
    def _after_arrival(cls, value: float) -> float:
        if value <= 0.0:
            raise ValueError(f"expected a share above 0 (0 would escalate every ticket on "
                             f"arrival); found {value}")
        return value


class Flow(Spec):
    """How an incident travels: desk, escalation, resolver groups, pauses, reopen, closure."""

    desk: Desk
    groups: Annotated[dict[str, ResolverGroup], Names("resolver group")] = {}
    reopen: ReopenRule | None = None
    closure_delay: Duration = 0.0  # resolved → closed, if not reopened in between
    hierarchical_escalation: HierarchicalEscalation | None = None
    # Routing by whole paths (trajectory resampling): the first rule matching a ticket's first
    # group, priority and category draws its path; the rest follow the groups' transfers
    # (see simulator/scenario/routing.py).
    paths: tuple[PathRule, ...] = ()


class BacklogItem(Spec):
    """Open tickets at the start of the run (today's state of the desk)."""

    team: str  # the team whose queue holds them
    priority: str  # their priority
    count: PositiveCount  # how many tickets
    age: Distribution  # how long before the start each ticket was opened
    category: str | None = None  # default: the first arrival stream's category


class Scenario(Spec):
    """A whole organisation: demand, teams and shifts, SLA targets, flow, run settings."""

    name: str = "scenario"  # shown in reports and in a comparison's design names
    description: str = ""  # what the scenario is for; shown in reports
    extends: str | None = None  # another scenario file this one starts from (resolved on loading)
    run: RunSettings
    calendars: Annotated[dict[str, Calendar], Names("calendar")] = {}
    arrivals: Annotated[dict[str, ArrivalStream], Names("arrival stream")]
    priorities: Annotated[dict[str, Priority], Names("priority")] = {
        "P1": Priority(), "P2": Priority(), "P3": Priority(), "P4": Priority()}
    # impact (rows, 1 first) × urgency (columns) → priority
    priority_matrix: tuple[tuple[str, ...], ...] = SERVICENOW_PRIORITY_MATRIX
    teams: Annotated[dict[str, Team], Names("team")]
    flow: Flow
    initial_backlog: tuple[BacklogItem, ...] = ()
    # the service catalogue: what can fail, and what it costs
    services: Annotated[dict[str, Service], Names("service")] = {}
    outages: tuple[Outage, ...] = ()  # outages at given times (exercises), besides random failures
    major_incident: MajorIncidentProcess = MajorIncidentProcess()
    changes: ChangeManagement = ChangeManagement()  # emergency and normal changes
    problems: ProblemManagement | None = None  # latent problems and problem management
    exercise: Exercise | None = None  # how to play it as a tabletop exercise
    targets: dict[str, str] = {}  # KPI → condition, e.g. {"P2.sla_response_attainment": ">= 0.9"}

    @field_validator("arrivals")
    @classmethod
    def _some_arrivals(cls, value: dict[str, ArrivalStream]) -> dict[str, ArrivalStream]:
        if not value:
            raise ValueError("expected at least one arrival stream; found none")
        return value

    @field_validator("priority_matrix")
    @classmethod
    def _a_matrix(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        if not value or not all(value):
            raise ValueError("expected a priority matrix with at least one row (impact) and one "
                             "column (urgency); found an empty one")
        return value

    def channels(self) -> dict[str, tuple[str, ...]]:
        """Each channel the arrival streams name → the streams that come by it (in file order)."""
        found: dict[str, list[str]] = {}
        for name, stream in self.arrivals.items():
            if stream.channel is not None:
                found.setdefault(stream.channel, []).append(name)
        return {channel: tuple(names) for channel, names in found.items()}

    def category_of(self, stream: str) -> str:
        """The category of the incidents a stream brings."""
        return self.arrivals[stream].category or stream

    def categories(self) -> tuple[str, ...]:
        """Every category an arrival stream, an outage or a failed change can bring, in order of
        first appearance."""
        storms = (self.storm_category(name) for name in self.services)
        induced = (kind.induced_incidents.category for kind in (self.changes.emergency,
                                                                 self.changes.normal)
                   if kind is not None and kind.induced_incidents.mean > 0)
        return tuple(dict.fromkeys([*(self.category_of(name) for name in self.arrivals), *storms,
                                    *induced]))

    def restoration_path(self, service: str) -> str:
        """How a major incident on ``service`` is restored: its own policy, or the process's."""
        return self.services[service].restoration.path or self.major_incident.restoration

    def storm_category(self, service: str) -> str:
        """The category of the tickets users raise about a service's outage."""
        storm = self.services[service].ticket_storm
        return (storm.category if storm is not None and storm.category else None) or service
