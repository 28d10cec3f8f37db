"""Calibration layer: which of the columns a mapping names calibration used, and why not the others.

A user who maps a column expects it to count. :func:`column_use` says, for each mapped
key, what it was used for — or why it was not: the column holds no usable value, or
another column said the same thing better (``first_response`` ends the desk's step, so
``logged`` is not needed), or an option turned it off (``--routing visible`` ignores the
reassignment counts). ``calibrate`` prints the unused ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.calibration.reallog import RealLog

__all__ = ["ColumnUse", "column_use"]

#: What each mapped key is used for, when it is.
_PURPOSE = {
    "case_id": "the incidents",
    "opened": "arrivals (volume, weekly profile) and every duration's start",
    "resolved": "resolution: visits' ends, handling times, the open incidents' censoring",
    "updated": "the event log: visits, pauses and hand-offs in time",
    "sequence": "the order of updates written in the same minute",
    "state": "waits on the user (pause states), resolutions and reopenings",
    "group": "visits to groups: routing and handling times",
    "resolver": "each group's on-duty hours and the people behind its slots",
    "first_group": "escalation (the first group per priority) and routing",
    "last_group": "routing (the group that resolved the incident)",
    "reassignments": "the number of hand-offs routing reproduces",
    "reopens": "the reopen rate",
    "closed": "the closure delay (resolved → closed)",
    "made_sla": "each priority's resolution target (the one that best reproduces the flag)",
    "first_response": "the desk's step (opened → first response)",
    "logged": "the desk's step (opened → record saved)",
    "priority": "the priority mix and everything learned per priority",
    "category": "arrival streams, the desk's escalation and (--routing paths) paths per priority × category",
    "impact": "the impact × urgency matrix",
    "urgency": "the impact × urgency matrix",
}


@dataclass(frozen=True)
class ColumnUse:
    """Mapped keys used (key → what for) and not used (key → why not)."""

    used: dict[str, str]
    unused: dict[str, str]


def _empty(log: RealLog, key: str) -> bool:
    """Whether the column behind ``key`` gave no usable value at all."""
    incidents = {"reassignments": "n_reassigned", "reopens": "n_reopened"}.get(key, key)
    if incidents in log.incidents:
        return not log.incidents[incidents].notna().any()
    if log.updates is not None and key in log.updates:
        return not log.updates[key].notna().any()
    return False


def _reason(log: RealLog, key: str, routing: str, desk_step: str | None, sla_learned: bool) -> str | None:
    """Why ``key`` was not used (None: it was)."""
    has_updates = log.updates is not None and log.updates["group"].notna().any()
    reasons: dict[str, tuple[bool, str]] = {
        "reassignments": (routing in ("visible", "paths"),
                          f"--routing {routing} keeps only the hand-offs the updates show"),
        "first_group": (has_updates, "the updates' groups give the first group"),
        "last_group": (has_updates, "the updates' groups give the last group"),
        "logged": (desk_step == "first_response",
                   "the desk's step ends at the first response, which comes after the record is saved"),
        "first_response": (desk_step is not None and desk_step != "first_response",
                           "fewer than 20 incidents with a first response within 7 days of opening"),
        "made_sla": (not sla_learned,
                     "fewer than 20 incidents of any priority with the flag and a resolution"),
        "resolver": (log.updates is None,
                     "one row per incident: on-duty hours need who updated which ticket when"),
        "closed": (not (log.incidents["closed"].notna() & log.incidents["resolved"].notna()).any(),
                   "no incident has both a resolution and a closure"),
    }
    if _empty(log, key):
        return "the column has no usable value"
    if key in reasons and reasons[key][0]:
        return reasons[key][1]
    if key in ("logged", "first_response") and desk_step is None:
        return "fewer than 20 incidents with the time (the desk's step is assumed: 5 minutes)"
    return None


def column_use(log: RealLog, routing: str, desk_step: str | None, sla_learned: bool) -> ColumnUse:
    """What each of the log's mapped keys (:attr:`RealLog.fields`) was used for, or why not."""
    used, unused = {}, {}
    for key in sorted(log.fields, key=lambda name: list(_PURPOSE).index(name) if name in _PURPOSE else 99):
        reason = _reason(log, key, routing, desk_step, sla_learned)
        if reason is None:
            used[key] = _PURPOSE.get(key, "")
        else:
            unused[key] = reason
    return ColumnUse(used, unused)

