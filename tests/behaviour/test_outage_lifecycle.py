"""Exact traces of an outage's life: what stops when users get the service back.

The outage's life is one process waiting on its own steps *or* the restoration
(``timeout | restored``); these traces pin what each waiting part does when the
restoration comes first. Every expected row was worked out by hand from the scenario.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import merge, simulate, trace

OUT = "OUT0000001"

#: A critical service of the ``ops`` group, monitored, failing once at minute 60; the rest of
#: the organisation idle (its one call comes on the last day).
OUTAGE: dict[str, Any] = {
    "arrivals": {"calls": {"at": ["6d"]}},
    "teams": {"desk": {"agents": 2}, "ops": {"agents": 2}},
    "flow": {"groups": {"ops": {"handling": "1h"}}},
    "services": {"web": {"users": 100, "criticality": "critical", "owner": "ops",
                         "detection_delay": "5m",
                         "restoration": {"diagnosis": "20m", "fix": "30m", "recovery": "10m"}}},
    "outages": [{"service": "web", "at": "1h"}],
    "major_incident": {"enabled": True, "recognition_delay": "5m",
                       "acceptance": {"in_hours": "3h", "out_of_hours": "3h"}},
}


def _outage_rows(changes: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(minute, activity, team, agent) for minute, case, activity, team, agent
            in trace(simulate(merge(OUTAGE, changes))) if case == OUT]


def test_restored_through_the_tiers_while_the_declaration_waits_ends_the_story() -> None:
    # 65: the alert's ticket reaches the desk (10 min), then ops (20 + 30 + 10 min of work):
    # resolved at 135, before the manager would accept (70 + 3 h = 250).
    assert _outage_rows({}) == [
        (60.0, "outage started", "ops", None),
        (65.0, "alert fired", "desk", None),
        (65.0, "detected", "desk", None),
        (70.0, "major incident proposed", "desk", None),
        (135.0, "restored", "ops", None),
    ]


def test_updates_stop_and_a_late_member_never_joins_once_the_service_is_back() -> None:
    rows = _outage_rows({
        "services": {"web": {"detection_delay": "0m",
                             "restoration": {"diagnosis": "30m", "fix": "25m", "recovery": "0m"}}},
        "major_incident": {"recognition_delay": "0m", "updates_every": "20m",
                           "acceptance": {"in_hours": "0m", "out_of_hours": "0m"},
                           "manager": {"team": "ops", "on_call": {"in_hours": "2h", "out_of_hours": "2h"}},
                           "communications": {"team": "desk",
                                              "on_call": {"in_hours": "0m", "out_of_hours": "0m"}},
                           "resolvers": [{"team": "owner", "count": 1,
                                          "on_call": {"in_hours": "0m", "out_of_hours": "0m"}}]}})
    # desk-1 holds the alert's ticket, so desk-2 answers the page as communications lead;
    # the manager (paged for 2 h) is still on the way at the restoration (60 + 30 + 25).
    assert rows == [
        (60.0, "outage started", "ops", None),
        (60.0, "alert fired", "desk", None),
        (60.0, "detected", "desk", None),
        (60.0, "major incident proposed", "desk", None),
        (60.0, "major incident declared", "desk", None),
        (60.0, "joined bridge", "desk", "desk-2"),
        (60.0, "stakeholder update", "desk", "desk-2"),
        (60.0, "joined bridge", "ops", "ops-1"),
        (80.0, "stakeholder update", "desk", "desk-2"),
        (90.0, "diagnosed", "ops", None),
        (90.0, "workaround started", "ops", None),
        (100.0, "stakeholder update", "desk", "desk-2"),
        (115.0, "workaround applied", "ops", None),
        (115.0, "restored", "ops", None),
        (115.0, "left bridge", "desk", "desk-2"),
        (115.0, "left bridge", "ops", "ops-1"),
    ]


def test_an_alert_due_after_the_restoration_never_fires() -> None:
    rows = _outage_rows({"services": {"web": {"users": 1000, "detection_delay": "2h",
                                              "ticket_storm": {"share": 0.01, "delay": "1m"}}},
                         "major_incident": {"declare_when": {"p1_on_critical": False}}})
    # 61: the users' tickets meet no criterion (only an alert would); the first is the primary
    # ticket: desk 10 min, ops 60 min → restored at 131, before the alert (60 + 2 h).
    assert rows == [
        (60.0, "outage started", "ops", None),
        (61.0, "detected", "desk", None),
        (131.0, "restored", "ops", None),
    ]
