"""Event-log layer: the contract between the model and everything after it.

The event log has one row per state change of an incident, in the order the
changes happened (``seq`` orders rows with equal timestamps). Its columns use
plain names in memory; :func:`simulator.eventlog.export.to_process_mining`
renames them to the process-mining conventions (``case:concept:name``,
``concept:name``, ``time:timestamp``, ``org:resource``) that pm4py reads.

A second, smaller table, the *duty log*, says when each agent came on and went
off duty, so that utilisation and overtime can be measured from data alone.
Nothing here knows about SimPy; a real ITSM export mapped to the same columns
is measured by the same metrics code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

__all__ = [
    "ACTIVITIES",
    "DUTY_COLUMNS",
    "EVENT_COLUMNS",
    "SAME_MOMENT_MIN",
    "Activity",
    "SimulationLog",
]


class Activity(StrEnum):
    """The activities of the event log, in the order an incident usually meets them.

    This order is the one :data:`ACTIVITIES` keeps and the model's activity codes
    (:class:`simulator.model.incident.ActivityCode`) index: both are derived from it.
    """

    ARRIVED = "arrived"  # the incident is logged (team: the desk, or its backlog team)
    QUEUED = "queued"  # joins a team's queue (again after a pause or an interruption)
    ASSIGNED = "assigned"  # an agent becomes the ticket's assignee
    WORK_STARTED = "work started"  # an agent starts (or resumes) working on it
    INTERRUPTED = "interrupted"  # the agent is taken off it; it goes back to the queue
    PAUSED = "paused"  # waiting on the user; SLA clocks stop
    RESUMED = "resumed"  # the user answered; SLA clocks run again
    ESCALATED = "escalated"  # hierarchical escalation: it has used a share of its target
    REASSIGNED = "reassigned"  # sent to another group (team: the group it leaves)
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    RESPONSE_SLA_BREACHED = "response SLA breached"
    RESOLUTION_SLA_BREACHED = "resolution SLA breached"
    # A ticket about an outage:
    LINKED = "linked"  # linked to its major incident as a child (parent: the outage)
    AWAITING_RESTORATION = "awaiting restoration"  # logged; waits for the service to return
    # The outage itself (a case of its own, OUT…; once declared, it is the major incident):
    OUTAGE_STARTED = "outage started"  # users lose the service (impact start)
    ALERT_FIRED = "alert fired"  # monitoring notices
    DETECTED = "detected"  # the first symptom reaches the organisation (alert or ticket)
    PROPOSED = "major incident proposed"  # the desk recognises the pattern
    DECLARED = "major incident declared"  # the major incident manager accepts
    JOINED = "joined bridge"  # a member of the Major Incident Team (agent) joins
    ASSEMBLED = "assembled"  # every role is on the bridge
    DIAGNOSED = "diagnosed"  # the cause is understood: the restoration decision is due
    WORKAROUND_STARTED = "workaround started"  # restoration by failover, restart, rollback
    WORKAROUND_APPLIED = "workaround applied"  # the fix is in; the service recovers
    RESTORED = "restored"  # users have the service back
    UPDATE = "stakeholder update"  # the communications lead informs stakeholders
    LEFT = "left bridge"  # a member returns to their team
    # A change (a case of its own, CHG…; for an emergency change, its parent is the outage):
    CHANGE_REQUESTED = "change requested"  # raised (for a normal change: waits for the CAB)
    ECAB_MEMBER_JOINED = "ECAB member joined"  # one of the emergency CAB is present
    CHANGE_APPROVED = "change approved"  # by the ECAB once quorate, or at a CAB meeting
    CHANGE_REJECTED = "change rejected"
    IMPLEMENTATION_STARTED = "implementation started"
    CHANGE_IMPLEMENTED = "change implemented"  # it worked
    CHANGE_FAILED = "change failed"  # it did not: it must be backed out
    BACKED_OUT = "backed out"  # the change is undone
    # A problem (a case of its own, PRB…) and what it changes for its family of incidents:
    PROBLEM_OPENED = "problem opened"  # by trend detection or a major-incident review
    KNOWN_ERROR = "known error"  # root-cause analysis done: a workaround is known
    PROBLEM_FIXED = "problem fixed"  # the permanent fix (a normal change) is in
    AVOIDED = "avoided"  # an incident (or outage) of a fixed family that did not happen
    # A phone or chat contact that was never answered:
    ABANDONED = "abandoned"  # the caller hung up while waiting in the desk's queue (patience ran out)


#: Two times closer than this (minutes; 0.06 ms) are the same moment: the event log keeps
#: millisecond timestamps, and the model's SLA clocks and the KPIs both use this tolerance.
SAME_MOMENT_MIN = 1e-6

#: Every activity's name, in the order of :class:`Activity` (the model stores the index of an
#: activity in this tuple; the event log's ``activity`` column has these as its categories).
ACTIVITIES: tuple[str, ...] = tuple(activity.value for activity in Activity)

#: Columns of the event log: ``seq`` (int), ``case_id`` (str), ``timestamp``
#: (datetime64), ``activity``, ``team``, ``agent`` (empty where no agent acts),
#: ``priority`` and ``category`` (categoricals); ``service`` (the service an outage case or a
#: ticket about an outage concerns) and ``parent`` (for a ticket linked to a major incident,
#: the outage's case id) are empty for everything else.
EVENT_COLUMNS: tuple[str, ...] = (
    "seq", "case_id", "timestamp", "activity", "team", "agent", "priority", "category",
    "service", "parent",
)
#: Columns of the duty log: ``timestamp``, ``team``, ``agent``, ``on_duty`` (bool).
DUTY_COLUMNS: tuple[str, ...] = ("timestamp", "team", "agent", "on_duty")


@dataclass(frozen=True)
class SimulationLog:
    """What one replication produced: the event log, the duty log and the run's time window.

    Attributes
    ----------
    events
        The event log (columns :data:`EVENT_COLUMNS`), ordered by ``seq``.
    duty
        When each agent came on or went off duty (columns :data:`DUTY_COLUMNS`).
    start, end
        The simulated period.
    warmup_end
        Incidents that arrived before this are left out of incident KPIs.
    monitors
        Model-side measurements used to cross-check the log, e.g.
        ``{"queue_length_mean": {team: value}}`` (time-weighted over the window).
    """

    events: pd.DataFrame
    duty: pd.DataFrame
    start: dt.datetime
    end: dt.datetime
    warmup_end: dt.datetime
    monitors: dict[str, dict[str, float]] = field(default_factory=dict)
