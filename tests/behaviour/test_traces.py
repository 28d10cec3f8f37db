"""Exact event traces of tiny scenarios with fixed durations (SimPy's style: run, then assert the trace).

Every expected row below was worked out by hand from the scenario, not copied from a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.metrics import KpiContext, replication_kpis
from simulator.model.simulation import Simulation
from tests.helpers import scenario, simulate, trace

INC1, INC2, INC3 = "INC0000001", "INC0000002", "INC0000003"


def test_a_ticket_resolved_at_first_contact() -> None:
    assert trace(simulate()) == [
        (10.0, INC1, "arrived", "desk", None),
        (10.0, INC1, "queued", "desk", None),
        (10.0, INC1, "assigned", "desk", "desk-1"),
        (10.0, INC1, "work started", "desk", "desk-1"),
        (20.0, INC1, "resolved", "desk", "desk-1"),
        (20.0, INC1, "closed", "desk", None),
    ]


ESCALATED = {
    "teams": {"L2": {"agents": 1}},
    "flow": {
        "desk": {"first_contact_resolution": 0.0, "escalation": {"L2": 1.0}},
        "groups": {"L2": {"handling": "60m", "waiting_on_user": {
            "probability": 1.0, "duration": "2h", "after_share": 0.5}}},
        "reopen": {"probability": 1.0, "delay": "1h"},
        "closure_delay": "1d",
    },
}


def test_escalation_wait_on_user_reopen_and_closure() -> None:
    assert trace(simulate(ESCALATED)) == [
        (10.0, INC1, "arrived", "desk", None),
        (10.0, INC1, "queued", "desk", None),
        (10.0, INC1, "assigned", "desk", "desk-1"),
        (10.0, INC1, "work started", "desk", "desk-1"),
        (20.0, INC1, "reassigned", "desk", "desk-1"),  # the desk passes it on
        (20.0, INC1, "queued", "L2", None),
        (20.0, INC1, "assigned", "L2", "L2-1"),
        (20.0, INC1, "work started", "L2", "L2-1"),
        (50.0, INC1, "paused", "L2", "L2-1"),  # half the 60 minutes done, then ask the user
        (170.0, INC1, "resumed", "L2", None),  # the user answers two hours later
        (170.0, INC1, "queued", "L2", None),
        (170.0, INC1, "work started", "L2", "L2-1"),  # same assignee: no new "assigned"
        (200.0, INC1, "resolved", "L2", "L2-1"),
        (260.0, INC1, "reopened", "L2", None),  # an hour later the user reopens it
        (260.0, INC1, "queued", "L2", None),
        (260.0, INC1, "work started", "L2", "L2-1"),
        (320.0, INC1, "resolved", "L2", "L2-1"),  # rework: the group's handling again
        (1800.0, INC1, "closed", "L2", None),  # the hourly job's first run a day after resolution
    ]


def test_priority_first_then_first_come_first_served_without_preemption() -> None:
    log = simulate({"arrivals": {
        "calls": None,
        "low": {"at": ["0m", "1m"], "impact": {2: 1.0}, "urgency": {2: 1.0}},  # P3
        "high": {"at": ["2m"], "impact": {1: 1.0}, "urgency": {1: 1.0}},  # P1
    }})
    starts = [(minute, case) for minute, case, activity, *_ in trace(log) if activity == "work started"]
    # The first P3 is not interrupted by the P1; the P1 then overtakes the second P3.
    assert starts == [(0.0, INC1), (10.0, INC3), (20.0, INC2)]
    priorities = log.events.drop_duplicates("case_id").set_index("case_id")["priority"]
    assert priorities.astype(str).to_dict() == {INC1: "P3", INC2: "P3", INC3: "P1"}


ONE_HOUR_SHIFT = {
    "arrivals": {"calls": {"at": ["8h30m"]}},
    "teams": {"desk": {"agents": None, "roster": [
        {"days": "Mon-Fri", "start": "08:00", "end": "09:00", "headcount": 1}]}},
    "flow": {"desk": {"handling": "1h"}},
}


def test_at_shift_end_finish_works_on_as_overtime() -> None:
    roster = ONE_HOUR_SHIFT["teams"]["desk"]["roster"]
    log = simulate(ONE_HOUR_SHIFT | {"teams": {"desk": {"agents": None, "at_shift_end": "finish",
                                                        "roster": roster}}})
    rows = [row for row in trace(log) if row[2] in ("work started", "resolved")]
    assert rows == [(510.0, INC1, "work started", "desk", "desk-shift1-1"),
                    (570.0, INC1, "resolved", "desk", "desk-shift1-1")]
    kpis = replication_kpis(log, KpiContext.from_scenario(scenario(ONE_HOUR_SHIFT)))
    team = kpis[kpis["scope"] == "team"].set_index("kpi")["value"]
    assert team["overtime_h"] == 0.5  # 09:00 to 09:30, after the shift
    # Rostered 08:00–09:00 on the five weekdays of the week; busy 08:30–09:00 of it.
    assert np.isclose(team["utilisation"], 0.5 / 5.0)


def test_at_shift_end_handover_puts_the_ticket_back_at_the_head_of_the_queue() -> None:
    changes = ONE_HOUR_SHIFT | {"teams": {"desk": {"agents": None, "at_shift_end": "handover",
                                                   "roster": ONE_HOUR_SHIFT["teams"]["desk"]["roster"]}}}
    rows = trace(simulate(changes))[2:]
    agent = "desk-shift1-1"
    assert rows == [
        (510.0, INC1, "assigned", "desk", agent),
        (510.0, INC1, "work started", "desk", agent),
        (540.0, INC1, "interrupted", "desk", agent),  # 09:00: the shift ends
        (540.0, INC1, "queued", "desk", None),
        (1920.0, INC1, "work started", "desk", agent),  # Tuesday 08:00
        (1950.0, INC1, "resolved", "desk", agent),  # the 30 minutes that were left
        (1950.0, INC1, "closed", "desk", None),
    ]


def test_a_withdrawn_agent_leaves_the_ticket_with_its_remaining_work() -> None:
    simulation = Simulation(scenario({"arrivals": {"calls": {"at": ["0m"]}},
                                      "flow": {"desk": {"handling": "1h"}}}))
    simulation.run(20.0)
    assert simulation.withdraw_agent("desk") == "desk-1"
    state = simulation.state()
    assert [(t.case_id, t.status) for t in state.open_tickets] == [(INC1, "queued")]
    simulation.run(50.0)
    simulation.return_agent("desk-1")
    simulation.run()
    rows = [row[:3] for row in trace(simulation.results())]
    assert rows[3:] == [(0.0, INC1, "work started"), (20.0, INC1, "interrupted"),
                        (20.0, INC1, "queued"), (50.0, INC1, "work started"),
                        (90.0, INC1, "resolved"), (90.0, INC1, "closed")]


def test_sla_breaches_and_hierarchical_escalation_at_their_minutes() -> None:
    log = simulate({
        "arrivals": {"calls": {"at": ["0m", "0m"]}},
        "priorities": {"P3": {"response": "30m", "resolution": "2h"}},
        "flow": {"desk": {"handling": "100m"}, "hierarchical_escalation": {"at_share": 0.5}},
    })
    second = [row[:3] for row in trace(log) if row[1] == INC2]
    assert second == [
        (0.0, INC2, "arrived"), (0.0, INC2, "queued"),
        (30.0, INC2, "response SLA breached"),  # nobody free to answer within 30 minutes
        (60.0, INC2, "escalated"),  # half of the 2-hour resolution target used
        (100.0, INC2, "assigned"), (100.0, INC2, "work started"),
        (120.0, INC2, "resolution SLA breached"),
        (200.0, INC2, "resolved"), (200.0, INC2, "closed"),
    ]


def test_resolution_clock_follows_the_calendar_and_stops_while_waiting_on_the_user() -> None:
    # Office hours 09:00-17:00 Mon-Fri; a 1-hour resolution target; the ticket arrives Friday 16:00.
    changes = {
        "arrivals": {"calls": {"at": ["4d16h"]}},
        "calendars": {"office": {"hours": {"Mon-Fri": "09:00-17:00"}}},
        "priorities": {"P3": {"resolution": "1h", "calendar": "office"}},
        "teams": {"L2": {"roster": [{"days": "Mon-Fri", "start": "09:00", "end": "17:00",
                                     "headcount": 1}], "at_shift_end": "handover"}},
        "flow": {"desk": {"first_contact_resolution": 0.0, "escalation": {"L2": 1.0}},
                 "groups": {"L2": {"handling": "80m", "waiting_on_user": {
                     "probability": 1.0, "duration": "1h", "after_share": 0.25}}}},
        "run": {"horizon": "2w"},
    }
    log = simulate(changes)
    friday_16, monday_9 = 4 * 1440 + 16 * 60, 7 * 1440 + 9 * 60
    agent = "L2-shift1-1"
    assert trace(log)[4:] == [
        (friday_16 + 10, INC1, "reassigned", "desk", "desk-1"),
        (friday_16 + 10, INC1, "queued", "L2", None),
        (friday_16 + 10, INC1, "assigned", "L2", agent),
        (friday_16 + 10, INC1, "work started", "L2", agent),
        (friday_16 + 30, INC1, "paused", "L2", agent),  # 20 of 80 minutes; clock used: 30 minutes
        (friday_16 + 90, INC1, "resumed", "L2", None),  # 17:30: the office and the group are closed
        (friday_16 + 90, INC1, "queued", "L2", None),
        (monday_9, INC1, "work started", "L2", agent),
        (monday_9 + 30, INC1, "resolution SLA breached", "L2", None),  # the clock's 60th minute
        (monday_9 + 60, INC1, "resolved", "L2", agent),
        (monday_9 + 60, INC1, "closed", "L2", None),
    ]
    kpis = replication_kpis(log, KpiContext.from_scenario(scenario(changes)))
    overall = kpis[kpis["scope"] == "overall"].set_index("kpi")
    assert overall.loc["sla_resolution_attainment", "value"] == 0.0
    assert overall.loc["sla_resolution_attainment", "n"] == 1


@pytest.mark.slow
def test_infinite_capacity_time_in_system_is_the_sum_of_the_stages() -> None:
    log = simulate({
        "run": {"horizon": "2w", "seed": 3},
        "arrivals": {"calls": {"at": None, "volume": "30/h"}},
        "teams": {"desk": {"agents": 300}, "L2": {"agents": 300}},
        "flow": {"desk": {"first_contact_resolution": 0.0, "escalation": {"L2": 1.0}},
                 "groups": {"L2": {"handling": "1h", "waiting_on_user": {
                     "probability": 1.0, "duration": "3h", "after_share": 0.25}}}},
    })
    events = log.events
    arrived = events[events["activity"] == "arrived"].set_index("case_id")["timestamp"]
    resolved = events[events["activity"] == "resolved"].set_index("case_id")["timestamp"]
    in_system = (resolved - arrived.reindex(resolved.index)).dt.total_seconds() / 60.0
    assert len(resolved) > 9000
    assert (in_system == 10.0 + 60.0 + 180.0).all()  # desk + L2 work + the wait on the user
    assert set(events["activity"].astype(str)) >= {"paused", "resumed", "reassigned"}
    assert pd.Series(events["activity"] == "interrupted").sum() == 0


def test_a_visit_takes_its_handling_time_by_where_the_ticket_came_from_and_goes() -> None:
    # L2 resolves its tickets in 10 minutes and hands them on to L3 after 40 (a P1 after 20);
    # L3 takes 5 minutes for a ticket from the desk and 15 for one from L2. Where each ticket
    # goes is drawn at random.
    log = simulate({
        "arrivals": {"calls": {"at": [f"{100 * k}m" for k in range(30)]},
                     "urgent": {"at": [f"{100 * k + 50}m" for k in range(30)],
                                "impact": {1: 1.0}, "urgency": {1: 1.0}}},
        "teams": {"L2": {"agents": 5}, "L3": {"agents": 5}},
        "flow": {"desk": {"handling": "1m", "first_contact_resolution": 0.0,
                          "escalation": {"L2": 0.7, "L3": 0.3}},
                 "groups": {"L2": {"handling": "10m", "handling_when_transferred": "40m",
                                   "handling_when_transferred_by_priority": {"P1": "20m"},
                                   "transfer": {"L3": 0.5}},
                            "L3": {"handling": "5m", "handling_after_transfer": "15m"}}}})
    rows = trace(log, agents=False)
    priority = log.events.drop_duplicates("case_id").set_index("case_id")["priority"].astype(str)
    seen = set()
    for minute, case, activity, team in rows:
        if team in ("L2", "L3") and activity in ("resolved", "reassigned"):
            started = max(m for m, c, a, t in rows if c == case and t == team and a == "work started")
            came_from_l2 = any(c == case and t == "L2" for _, c, _, t in rows)
            expected = {("L2", "resolved"): 10.0,
                        ("L2", "reassigned"): 20.0 if priority[case] == "P1" else 40.0,
                        ("L3", "resolved"): 15.0 if came_from_l2 else 5.0}[(team, activity)]
            assert minute - started == expected, (case, team, activity)
            seen.add((team, activity, priority[case], came_from_l2))
    assert {("L2", "resolved", "P1", True), ("L2", "reassigned", "P1", True),
            ("L2", "resolved", "P3", True), ("L2", "reassigned", "P3", True),
            ("L3", "resolved", "P3", True), ("L3", "resolved", "P3", False)} <= seen
