"""Scenario layer: the KPI catalogue — every KPI's name, where it is measured, its unit and its
exact definition, in one machine-readable place.

Targets in a scenario file name KPIs from here (:mod:`simulator.scenario.targets`), the metrics
layer computes exactly these (a test runs a scenario with every part and compares the names), the
CLI and reports list them in this order, and the documentation's KPI reference is generated from
:data:`KPIS`. To add a KPI, add its :class:`KpiDefinition` here, then compute it in
:mod:`simulator.metrics` (the docs' "How to extend" page walks through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["KPIS", "Family", "KpiDefinition", "Unit", "kpi_names", "share_kpis"]


class Family(StrEnum):
    """Where a KPI is measured: the scopes of its rows in a KPI table."""

    INCIDENT = "incident"  # overall and per priority, over the cohort of incidents
    TEAM = "team"  # per team, over the measured window
    COST = "cost"  # overall, over the measured window
    OUTAGE = "outage"  # overall, over outages that started in the window
    SERVICE = "service"  # per service
    CHANGE = "change"  # overall, change and problem management
    MONTH = "month"  # per 30-day month after the warm-up
    CHANNEL = "channel"  # per channel (phone, chat, portal, ...), over the cohort of contacts

    @property
    def scopes(self) -> str:
        """How a KPI of this family is written in a target or ``--kpi``."""
        return {
            Family.INCIDENT: "`kpi` (all incidents) or `P2.kpi` (one priority)",
            Family.TEAM: "`team.kpi`, e.g. `service_desk.kpi`",
            Family.COST: "`kpi`",
            Family.OUTAGE: "`kpi`",
            Family.SERVICE: "`service.kpi`, e.g. `customer_portal.kpi`",
            Family.CHANGE: "`kpi`",
            Family.MONTH: "in the monthly series only (`by_month`): no target",
            Family.CHANNEL: "`channel.kpi`, e.g. `phone.service_level`",
        }[self]


class Unit(StrEnum):
    """What a KPI's number counts. Shares lie between 0 and 1; everything else is never negative."""

    COUNT = "count"
    SHARE = "share (0–1)"
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    MONEY = "money (the scenario's currency)"
    RATIO = "ratio"


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: its name, family, unit and exact definition (Markdown)."""

    name: str
    family: Family
    unit: Unit
    definition: str

    @property
    def lower_bound(self) -> float:
        """The smallest value the KPI can take (0 for every KPI)."""
        return 0.0

    @property
    def upper_bound(self) -> float:
        """The largest value the KPI can take: 1 for a share, otherwise unbounded."""
        return 1.0 if self.unit is Unit.SHARE else float("inf")


def _kpi(name: str, family: Family, unit: Unit, definition: str) -> KpiDefinition:
    return KpiDefinition(name, family, unit, " ".join(definition.split()))


_I, _T, _C, _O, _S, _X, _M, _H = (Family.INCIDENT, Family.TEAM, Family.COST, Family.OUTAGE,
                                  Family.SERVICE, Family.CHANGE, Family.MONTH, Family.CHANNEL)

#: Every KPI, in the order tables list them.
KPIS: tuple[KpiDefinition, ...] = (
    _kpi("arrived", _I, Unit.COUNT, "incidents in the cohort"),
    _kpi("resolved", _I, Unit.COUNT,
         "cohort incidents resolved at the end (resolved more often than reopened; one waiting to "
         "be reopened after the end counts as resolved)"),
    _kpi("backlog_end", _I, Unit.COUNT,
         "every ticket open at the end (cohort or not): the backlog you would inherit"),
    _kpi("backlog_age_h", _I, Unit.HOURS, "mean age of those open tickets at the end, hours"),
    _kpi("mtta_min", _I, Unit.MINUTES,
         "mean minutes from arrival to the first `work started`, over cohort incidents answered by "
         "the end"),
    _kpi("p_wait", _I, Unit.SHARE,
         "share of the cohort whose first `work started` is later than its arrival (unanswered ones "
         "count as waiting)"),
    _kpi("mttr_h", _I, Unit.HOURS,
         "mean hours from arrival to the last `resolved`, over resolved cohort incidents; the open "
         "ones are in `backlog_end`"),
    _kpi("mttr_h_median", _I, Unit.HOURS, "the median of the same resolution times"),
    _kpi("mttr_h_p90", _I, Unit.HOURS, "the 90th percentile of the same resolution times"),
    _kpi("sla_response_attainment", _I, Unit.SHARE,
         "share answered within the response target, in working minutes of the priority's "
         "calendar; tickets still unanswered count as breached once over target, and are left out "
         "while they still could make it"),
    _kpi("sla_resolution_attainment", _I, Unit.SHARE,
         "the same for resolution; the clock excludes waits on the user and the time between a "
         "resolution and a reopen"),
    _kpi("sla_response_breaches", _I, Unit.COUNT,
         "cohort incidents counted as not met by `sla_response_attainment` (a driver of "
         "`sla_penalty`)"),
    _kpi("sla_resolution_breaches", _I, Unit.COUNT,
         "cohort incidents counted as not met by `sla_resolution_attainment`"),
    _kpi("fcr_rate", _I, Unit.SHARE,
         "share of resolved cohort incidents resolved without any reassignment or reopen"),
    _kpi("reassignments_mean", _I, Unit.COUNT,
         "mean number of `reassigned` events per resolved cohort incident (a change of group after "
         "the first, as ServiceNow's `reassignment_count`)"),
    _kpi("escalation_rate", _I, Unit.SHARE,
         "share of the cohort incidents their first team (the desk) is done with — resolved or "
         "`reassigned` by the end — that it handed on to another team at least once (functional "
         "escalation); a ticket still with its first team, unresolved, is left out"),
    _kpi("reopen_rate", _I, Unit.SHARE,
         "share of cohort incidents resolved at least once that were reopened"),
    _kpi("utilisation", _T, Unit.SHARE,
         "busy agent-minutes while on duty ÷ on-duty agent-minutes, from the end of the warm-up to "
         "the end (an agent withdrawn from the team's work still counts as on duty, and not busy); "
         "a break, a shift lost to shrinkage and a planned absence are off duty, so this is the "
         "same figure as `occupancy` — kept under this name for existing targets and reports; "
         "for the share of *paid* time see `utilisation_paid`"),
    _kpi("occupancy", _T, Unit.SHARE,
         "time handling contacts ÷ time available to handle them, as contact centres define it "
         "(Call Centre Helper; COPC: handle time ÷ logged-in, ready time): busy agent-minutes "
         "while on duty ÷ on-duty agent-minutes over the window, where on duty excludes breaks, "
         "shifts lost to shrinkage and planned absence; equals `utilisation`"),
    _kpi("utilisation_paid", _T, Unit.SHARE,
         "time handling contacts ÷ paid time (the contact centre's utilisation, e.g. Call Centre "
         "Helper: productive time ÷ paid hours): busy agent-minutes within paid time ÷ paid "
         "agent-minutes over the window, where paid time is every rostered shift — worked, lost "
         "to shrinkage or planned absence, breaks included — and an agent added during the run "
         "while on duty; shrinkage and breaks are paid and idle, so they pull it below "
         "`occupancy` (a ticket finished into a paid break counts as paid work; with neither, "
         "the two are equal); null for a log without a scenario (its paid time is unknown)"),
    _kpi("rostered_h", _T, Unit.HOURS,
         "paid agent-hours in the window: every rostered shift, including shifts lost to "
         "shrinkage or planned absence and the breaks, as `mimsim staff` prices a roster (a log "
         "without a scenario: its on-duty agent-hours); a driver of `staff_cost`"),
    _kpi("overtime_h", _T, Unit.HOURS,
         "busy agent-hours outside paid time (finishing a ticket after the shift ended, a paged "
         "member's work off shift); a ticket finished into a paid break is not overtime"),
    _kpi("queue_wait_min", _T, Unit.MINUTES,
         "mean minutes from `queued` to the next `work started`, over queue entries after the "
         "warm-up taken up by the end"),
    _kpi("backlog_end", _T, Unit.COUNT, "open tickets whose last queue was this team's"),
    _kpi("staff_cost", _T, Unit.MONEY,
         "the cost of the measured window (from the end of the warm-up to the end of the run, "
         "not a year): (`rostered_h` + `overtime_h`) × the team's `hourly_cost` — paid hours, so "
         "shrinkage and breaks are paid, as `mimsim staff` prices a roster; null where the "
         "hourly cost is unknown"),
    _kpi("staff_cost", _C, Unit.MONEY,
         "the sum of the teams' `staff_cost`, over the same measured window"),
    _kpi("sla_penalty", _C, Unit.MONEY,
         "over the cohort, each priority's `response_breach_penalty` per response breach plus its "
         "`breach_penalty` per resolution breach (a breach is exactly what the attainment KPIs "
         "count as not met)"),
    _kpi("outages", _O, Unit.COUNT, "outages that started in the window"),
    _kpi("major_incidents", _O, Unit.COUNT, "those outages declared major incidents"),
    _kpi("mttd_min", _O, Unit.MINUTES, "mean minutes from impact (`outage started`) to `detected`"),
    _kpi("time_to_declare_min", _O, Unit.MINUTES,
         "mean minutes from `detected` to `major incident declared`"),
    _kpi("time_to_assemble_min", _O, Unit.MINUTES,
         "mean minutes from the declaration to `assembled`"),
    _kpi("mttr_restore_min", _O, Unit.MINUTES,
         "mean minutes from impact to `restored`, over restored outages"),
    _kpi("mttr_restore_min_median", _O, Unit.MINUTES, "the median of the same restore times"),
    _kpi("mttr_restore_min_p90", _O, Unit.MINUTES, "the 90th percentile of the same restore times"),
    _kpi("update_cadence_kept", _O, Unit.SHARE,
         "of the whole `updates_every` intervals from declaration to restoration, the share with at "
         "least one `stakeholder update`"),
    _kpi("downtime_cost", _O, Unit.MONEY, "the sum of the services' downtime costs"),
    _kpi("outages", _S, Unit.COUNT, "failures of the service that started in the window"),
    _kpi("downtime_min", _S, Unit.MINUTES,
         "the measure of the *union* of its outage intervals within the window (overlapping "
         "outages count once)"),
    _kpi("downtime_min_business_hours", _S, Unit.MINUTES,
         "the part of `downtime_min` in the business hours of the service's `downtime_cost.calendar` "
         "(all of it without one)"),
    _kpi("downtime_min_past_ramp", _S, Unit.MINUTES,
         "the part of `downtime_min` that came after `downtime_cost.ramp.after` of each (merged) "
         "outage (0 without a ramp)"),
    _kpi("downtime_cost", _S, Unit.MONEY,
         "business-hours minutes × the business-hours rate + the other minutes × the out-of-hours "
         "rate + minutes past the ramp × its extra rate (one rate at every hour for a plain cost "
         "per minute)"),
    _kpi("mtbf_h", _S, Unit.HOURS, "up-time hours in the window ÷ failures that started in it"),
    _kpi("normal_changes", _X, Unit.COUNT, "normal changes requested"),
    _kpi("emergency_changes", _X, Unit.COUNT, "emergency changes requested (an ECAB sat on it)"),
    _kpi("emergency_change_success_rate", _X, Unit.SHARE,
         "of the emergency changes' implementation attempts, the share `change implemented` (a "
         "failed, backed-out attempt never counts as a success)"),
    _kpi("changes_backed_out", _X, Unit.COUNT, "`backed out` events, any change"),
    _kpi("incidents_caused_by_changes", _X, Unit.COUNT, "incidents arriving whose parent is a change"),
    _kpi("problems_opened", _X, Unit.COUNT, "`problem opened` events"),
    _kpi("known_errors", _X, Unit.COUNT, "`known error` events"),
    _kpi("problems_fixed", _X, Unit.COUNT, "`problem fixed` events"),
    _kpi("incidents_avoided", _X, Unit.COUNT, "`avoided` events of incidents"),
    _kpi("outages_avoided", _X, Unit.COUNT, "`avoided` events of outages"),
    _kpi("problem_trend", _X, Unit.RATIO,
         "the last whole month's `problem_incidents_ratio`"),
    _kpi("contacts", _H, Unit.COUNT,
         "contacts of the channel in the cohort (arrived after the warm-up; a callback after an "
         "abandonment is a contact of its own)"),
    _kpi("abandon_rate", _H, Unit.SHARE,
         "of the channel's cohort contacts answered or abandoned by the end, the share `abandoned` "
         "(hung up in the desk's queue before an agent started work); contacts still waiting at "
         "the end are left out"),
    _kpi("service_level", _H, Unit.SHARE,
         "of the same contacts (answered or abandoned), the share answered within the stream's "
         "`answer_within` (default 20 s): abandonments count in the denominator as not answered "
         "in time, however soon they hung up (the convention that counts every offered contact); "
         "80/20 means 0.8 with a 20-second `answer_within`"),
    _kpi("asa_s", _H, Unit.SECONDS,
         "average speed of answer: mean seconds from arrival to the first `work started`, over the "
         "channel's answered cohort contacts (abandoned ones are not in it)"),
    _kpi("problem_incidents", _M, Unit.COUNT,
         "the problem families' incidents arriving in each 30-day month after the warm-up (whole "
         "months only)"),
    _kpi("problem_incidents_ratio", _M, Unit.RATIO, "that month's `problem_incidents` ÷ the first month's"),
)


def kpi_names(family: Family) -> tuple[str, ...]:
    """The names of a family's KPIs, in catalogue order."""
    return tuple(kpi.name for kpi in KPIS if kpi.family is family)


def share_kpis() -> frozenset[str]:
    """The KPIs that are shares of something, between 0 and 1."""
    return frozenset(kpi.name for kpi in KPIS if kpi.unit is Unit.SHARE)
