"""Tabletop layer: what a round shows, read from the event log as it grows.

The console and the players' view poll every second; rebuilding the whole event log
(a pandas table) for each poll cost hundreds of milliseconds on a busy day. The
:class:`LogDigest` reads only the rows the model appended since it last looked and
keeps what the views need: the timeline events of outage and change cases, each
outage's moments (start, detection, declaration, assembly, restoration), the SLA
breaches and the stakeholder updates. Its measures follow the event-log KPIs
(:func:`simulator.metrics.outages.outage_table`); a test holds them to it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.metrics.pricing import DowntimeTerms, downtime_minutes
from simulator.model import Simulation
from simulator.model.incident import NO_AGENT, NO_SERVICE

__all__ = ["TIMELINE_ACTIVITIES", "LogDigest", "OutageMoments", "TimelineEvent", "ms"]

#: Events of the outage and change cases that make the timeline (and the players' feed).
TIMELINE_ACTIVITIES = frozenset({
    Activity.OUTAGE_STARTED, Activity.ALERT_FIRED, Activity.DETECTED, Activity.PROPOSED,
    Activity.DECLARED, Activity.JOINED, Activity.ASSEMBLED, Activity.DIAGNOSED,
    Activity.WORKAROUND_STARTED, Activity.WORKAROUND_APPLIED, Activity.RESTORED,
    Activity.CHANGE_REQUESTED, Activity.ECAB_MEMBER_JOINED, Activity.CHANGE_APPROVED,
    Activity.CHANGE_REJECTED, Activity.IMPLEMENTATION_STARTED, Activity.CHANGE_IMPLEMENTED,
    Activity.CHANGE_FAILED, Activity.BACKED_OUT,
})
_TIMELINE_CODES = frozenset(ACTIVITIES.index(name) for name in TIMELINE_ACTIVITIES)
_MOMENTS = {ACTIVITIES.index(Activity.OUTAGE_STARTED): "start",
            ACTIVITIES.index(Activity.DETECTED): "detected",
            ACTIVITIES.index(Activity.DECLARED): "declared",
            ACTIVITIES.index(Activity.ASSEMBLED): "assembled",
            ACTIVITIES.index(Activity.RESTORED): "restored"}
_BREACHES = frozenset({ACTIVITIES.index(Activity.RESPONSE_SLA_BREACHED),
                       ACTIVITIES.index(Activity.RESOLUTION_SLA_BREACHED)})
_UPDATE = ACTIVITIES.index(Activity.UPDATE)
_OUTAGE_OR_CHANGE = re.compile(r"(OUT|CHG)\d+")


def ms(minute: float) -> float:
    """A simulated minute to the millisecond, as the event log's timestamps hold it."""
    return round(minute * 60_000.0) / 60_000.0


@dataclass(frozen=True)
class TimelineEvent:
    """An event of an outage or a change case, as the timeline shows it."""

    minute: float
    row: int  # its place in the event log
    case: str
    what: str
    who: str


@dataclass
class OutageMoments:
    """An outage case's moments (simulated minutes; NaN: not yet)."""

    case: str
    service: str
    start: float = math.nan
    detected: float = math.nan
    declared: float = math.nan
    assembled: float = math.nan
    restored: float = math.nan
    updates: list[float] = field(default_factory=list)  # when stakeholder updates went out


class LogDigest:
    """The views' reading of a simulation's event log, brought up to date by :meth:`catch_up`."""

    def __init__(self, simulation: Simulation) -> None:
        self.recorder = simulation.recorder
        self.read = 0  # rows read so far
        self.events: list[TimelineEvent] = []
        self.outages: dict[int, OutageMoments] = {}  # case number → moments, in order of start
        self.sla_breaches = 0
        self.updates_sent = 0
        #: (simulated minute, tickets waiting at the desk) each time the wall's view was built:
        #: the storm as it built, for a wall screen opened (or reloaded) late.
        self.desk_history: list[tuple[float, int]] = []

    def catch_up(self) -> bool:
        """Read the rows appended since the last call; True if there were any."""
        rows = self.recorder.rows
        if self.read == len(rows):
            return False
        names = self.recorder.case_names
        for index in range(self.read, len(rows)):
            minute, case, activity, _team, agent = rows[index]
            if activity in _BREACHES:
                self.sla_breaches += 1
            elif activity == _UPDATE:
                self.updates_sent += 1
            if activity in _MOMENTS or activity == _UPDATE:
                self._moment(case, activity, ms(minute))
            if activity in _TIMELINE_CODES and _OUTAGE_OR_CHANGE.fullmatch(names[case]):
                who = "" if agent == NO_AGENT else self.recorder.agent_names[agent]
                self.events.append(TimelineEvent(ms(minute), index, names[case],
                                                 ACTIVITIES[activity], who))
        self.read = len(rows)
        return True

    def _moment(self, case: int, activity: int, minute: float) -> None:
        moments = self.outages.get(case)
        if moments is None:
            if _MOMENTS.get(activity) != "start":
                return  # only outage cases have these moments, and each starts first
            service = self.recorder.case_service[case]
            moments = self.outages[case] = OutageMoments(
                self.recorder.case_names[case],
                "" if service == NO_SERVICE else self.recorder.service_names[service])
        if activity == _UPDATE:
            moments.updates.append(minute)
            return
        name = _MOMENTS[activity]
        if math.isnan(getattr(moments, name)):
            setattr(moments, name, minute)

    # -- what it tells ---------------------------------------------------------------------------
    def all_restored(self) -> bool:
        """At least one outage, and every one restored."""
        return bool(self.outages) and all(not math.isnan(o.restored) for o in self.outages.values())

    def open_major_incidents(self) -> list[str]:
        """Declared outages not yet restored."""
        return [o.case for o in self.outages.values()
                if not math.isnan(o.declared) and math.isnan(o.restored)]

    def scoreboard(self, now: float, cadence: float, downtime: Mapping[str, DowntimeTerms],
                   origin: dt.datetime) -> dict[str, Any]:
        """Live measures at minute ``now``: detection, declaration, assembly, restoration,
        breaches, stakeholder updates against the cadence, and the downtime cost so far (an
        open outage counts until now; each minute priced by its service, the hour of the week
        — ``origin`` is minute 0 — and the outage's length, as in a run's KPIs)."""
        outages = list(self.outages.values())

        def mean(values: list[float]) -> float | None:
            known = [value for value in values if not math.isnan(value)]
            return round(sum(known) / len(known), 1) if known else None

        cost = 0.0
        for outage in outages:
            terms = downtime.get(outage.service)
            end = outage.restored if not math.isnan(outage.restored) else now
            if terms is not None and end > outage.start:
                span = (outage.start, end)
                cost += terms.cost(*downtime_minutes([span], terms, origin, span))
        due = covered = 0
        for outage in outages:
            windows = update_windows(outage, now, cadence)
            due += len(windows)
            covered += sum(any(begin <= t < end for t in outage.updates) for begin, end in windows)
        return {
            "outages": len(outages),
            "time_to_detect_min": mean([o.detected - o.start for o in outages]),
            "time_to_declare_min": mean([o.declared - o.detected for o in outages]),
            "time_to_assemble_min": mean([o.assembled - o.declared for o in outages]),
            "restore_time_min": mean([o.restored - o.start for o in outages]),
            "sla_breaches": self.sla_breaches,
            "updates_sent": self.updates_sent,
            "updates_due": due,
            "updates_on_cadence": covered,
            "downtime_cost": round(cost, 2),
        }


def update_windows(outage: OutageMoments, now: float, cadence: float) -> list[tuple[float, float]]:
    """The stakeholder-update windows of a major incident that have begun by ``now``: the first
    at its declaration, then one every ``cadence`` minutes while it is open. One update in a
    window keeps the cadence for that window."""
    if math.isnan(outage.declared):
        return []
    end = outage.restored if not math.isnan(outage.restored) else now
    windows: list[tuple[float, float]] = []
    begin = outage.declared
    while begin <= end and (begin < end or not windows):
        windows.append((begin, begin + cadence))
        begin += cadence
    return windows
