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
from typing import Final

import pandas as pd

__all__ = [
    "ACTIVITIES",
    "DUTY_COLUMNS",
    "EVENT_COLUMNS",
    "SAME_MOMENT_MIN",
    "Activity",
    "SimulationLog",
]


class Activity:
    """The activities of the event log, in the order an incident usually meets them."""

    ARRIVED: Final = "arrived"  # the incident is logged (team: the desk, or its backlog team)
    QUEUED: Final = "queued"  # joins a team's queue (again after a pause or an interruption)
    ASSIGNED: Final = "assigned"  # an agent becomes the ticket's assignee
    WORK_STARTED: Final = "work started"  # an agent starts (or resumes) working on it
    INTERRUPTED: Final = "interrupted"  # the agent is taken off it; it goes back to the queue
    PAUSED: Final = "paused"  # waiting on the user; SLA clocks stop
    RESUMED: Final = "resumed"  # the user answered; SLA clocks run again
    ESCALATED: Final = "escalated"  # hierarchical escalation: it has used a share of its target
    REASSIGNED: Final = "reassigned"  # sent to another group (team: the group it leaves)
    RESOLVED: Final = "resolved"
    REOPENED: Final = "reopened"
    CLOSED: Final = "closed"
    RESPONSE_SLA_BREACHED: Final = "response SLA breached"
    RESOLUTION_SLA_BREACHED: Final = "resolution SLA breached"
    # A ticket about an outage:
    LINKED: Final = "linked"  # linked to its major incident as a child (parent: the outage)
    AWAITING_RESTORATION: Final = "awaiting restoration"  # logged; waits for the service to return
    # The outage itself (a case of its own, OUT…; once declared, it is the major incident):
    OUTAGE_STARTED: Final = "outage started"  # users lose the service (impact start)
    ALERT_FIRED: Final = "alert fired"  # monitoring notices
    DETECTED: Final = "detected"  # the first symptom reaches the organisation (alert or ticket)
    PROPOSED: Final = "major incident proposed"  # the desk recognises the pattern
    DECLARED: Final = "major incident declared"  # the major incident manager accepts
    JOINED: Final = "joined bridge"  # a member of the Major Incident Team (agent) joins
    ASSEMBLED: Final = "assembled"  # every role is on the bridge
    DIAGNOSED: Final = "diagnosed"  # the cause is understood: the restoration decision is due
    WORKAROUND_STARTED: Final = "workaround started"  # restoration by failover, restart, rollback
    WORKAROUND_APPLIED: Final = "workaround applied"  # the fix is in; the service recovers
    RESTORED: Final = "restored"  # users have the service back
    UPDATE: Final = "stakeholder update"  # the communications lead informs stakeholders
    LEFT: Final = "left bridge"  # a member returns to their team
    # A change (a case of its own, CHG…; for an emergency change, its parent is the outage):
    CHANGE_REQUESTED: Final = "change requested"  # raised (for a normal change: waits for the CAB)
    ECAB_MEMBER_JOINED: Final = "ECAB member joined"  # one of the emergency CAB is present
    CHANGE_APPROVED: Final = "change approved"  # by the ECAB once quorate, or at a CAB meeting
    CHANGE_REJECTED: Final = "change rejected"
    IMPLEMENTATION_STARTED: Final = "implementation started"
    CHANGE_IMPLEMENTED: Final = "change implemented"  # it worked
    CHANGE_FAILED: Final = "change failed"  # it did not: it must be backed out
    BACKED_OUT: Final = "backed out"  # the change is undone
    # A problem (a case of its own, PRB…) and what it changes for its family of incidents:
    PROBLEM_OPENED: Final = "problem opened"  # by trend detection or a major-incident review
    KNOWN_ERROR: Final = "known error"  # root-cause analysis done: a workaround is known
    PROBLEM_FIXED: Final = "problem fixed"  # the permanent fix (a normal change) is in
    AVOIDED: Final = "avoided"  # an incident (or outage) of a fixed family that did not happen


#: Two times closer than this (minutes; 0.06 ms) are the same moment: the event log keeps
#: millisecond timestamps, and the model's SLA clocks and the KPIs both use this tolerance.
SAME_MOMENT_MIN = 1e-6

#: Every activity, in a fixed order (the model stores the index of an activity in this tuple).
ACTIVITIES: tuple[str, ...] = (
    Activity.ARRIVED, Activity.QUEUED, Activity.ASSIGNED, Activity.WORK_STARTED,
    Activity.INTERRUPTED, Activity.PAUSED, Activity.RESUMED, Activity.ESCALATED,
    Activity.REASSIGNED, Activity.RESOLVED, Activity.REOPENED, Activity.CLOSED,
    Activity.RESPONSE_SLA_BREACHED, Activity.RESOLUTION_SLA_BREACHED,
    Activity.LINKED, Activity.AWAITING_RESTORATION, Activity.OUTAGE_STARTED, Activity.ALERT_FIRED,
    Activity.DETECTED, Activity.PROPOSED, Activity.DECLARED, Activity.JOINED, Activity.ASSEMBLED,
    Activity.DIAGNOSED, Activity.WORKAROUND_STARTED, Activity.WORKAROUND_APPLIED, Activity.RESTORED,
    Activity.UPDATE, Activity.LEFT,
    Activity.CHANGE_REQUESTED, Activity.ECAB_MEMBER_JOINED, Activity.CHANGE_APPROVED,
    Activity.CHANGE_REJECTED, Activity.IMPLEMENTATION_STARTED, Activity.CHANGE_IMPLEMENTED,
    Activity.CHANGE_FAILED, Activity.BACKED_OUT, Activity.PROBLEM_OPENED, Activity.KNOWN_ERROR,
    Activity.PROBLEM_FIXED, Activity.AVOIDED,
)

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
