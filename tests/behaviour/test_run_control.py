"""Run control (advance, inspect, inject, continue) and the initial backlog."""

from __future__ import annotations

import datetime as dt
import gc

import numpy as np
import pandas as pd
import pytest

from simulator.eventlog.log import ACTIVITIES
from simulator.experiment import replications
from simulator.experiment.replications import run_replication
from simulator.metrics import KpiContext, backlog_series, encode, replication_kpis
from simulator.model.incident import NO_AGENT
from simulator.model.memory import ordinary_pages
from simulator.model.simulation import Simulation
from tests.helpers import scenario, trace

THREE_CALLS = {"arrivals": {"calls": None,
                            "low": {"at": ["0m", "1m"], "impact": {2: 1.0}, "urgency": {2: 1.0}},
                            "high": {"at": ["2m"], "impact": {1: 1.0}, "urgency": {1: 1.0}}},
               "flow": {"desk": {"handling": "30m"}}}


def test_inspecting_the_state_shows_queues_in_service_order() -> None:
    simulation = Simulation(scenario(THREE_CALLS))
    simulation.run(5.0)
    state = simulation.state()
    assert state.time == dt.datetime(2026, 1, 5, 0, 5)
    assert [(t.case_id, t.priority, t.status) for t in state.open_tickets] == [
        ("INC0000001", "P3", "in work"), ("INC0000003", "P1", "queued"),
        ("INC0000002", "P3", "queued")]
    assert [t.case_id for t in state.queue("desk")] == ["INC0000003", "INC0000002"]
    assert [(a.name, a.on_duty, a.working_on) for a in state.agents] == [
        ("desk-1", True, "INC0000001")]
    with pytest.raises(ValueError, match="cannot go back in time"):
        simulation.run(1.0)


def test_an_injected_incident_joins_now_and_leaves_the_rest_unchanged() -> None:
    changes = THREE_CALLS | {"arrivals": {**THREE_CALLS["arrivals"], "late": {"at": ["3h"]}}}
    plain = Simulation(scenario(changes))
    plain.run()
    injected = Simulation(scenario(changes))
    injected.run(10.0)
    case = injected.inject_incident(priority="P1")
    injected.run()
    assert case == "INJ0000001"
    rows = trace(injected.results())
    assert (10.0, case, "arrived", "desk", None) in rows
    starts = [(minute, c) for minute, c, activity, *_ in rows if activity == "work started"]
    # The injected P1 is served before the waiting P3 but after the earlier P1.
    assert starts == [(0.0, "INC0000001"), (30.0, "INC0000003"), (60.0, case),
                      (90.0, "INC0000002"), (180.0, "INC0000004")]
    arrivals = [row for row in trace(plain.results()) if row[2] == "arrived"]
    assert arrivals == [row for row in rows if row[2] == "arrived" and row[1] != case]
    with pytest.raises(ValueError, match="no priority 'P9'"):
        injected.inject_incident(priority="P9")


def test_an_injected_priority_gets_that_priority_s_handling_time() -> None:
    simulation = Simulation(scenario({
        "arrivals": {"calls": {"at": ["5h"]}},
        "teams": {"L2": {"agents": 1}},
        "flow": {"desk": {"first_contact_resolution": 0.0, "escalation": {"L2": 1.0}},
                 "groups": {"L2": {"handling": "10h", "handling_by_priority": {"P1": "1m"}}}}}))
    simulation.run(60.0)
    case = simulation.inject_incident(priority="P1")
    simulation.run()
    rows = [row[:3] for row in trace(simulation.results()) if row[1] == case]
    # 10 minutes at the desk, then 1 minute in L2 (a P3 would take 10 hours there).
    assert rows[-2:] == [(71.0, case, "resolved"), (71.0, case, "closed")]


def test_a_staffing_change_takes_effect_at_once() -> None:
    simulation = Simulation(scenario(THREE_CALLS))
    simulation.run(5.0)
    assert simulation.add_agents("desk", 2) == ["desk-extra-2", "desk-extra-3"]
    simulation.run(10.0)
    assert [t.status for t in simulation.state().open_tickets] == ["in work"] * 3
    simulation.run(40.0)
    assert simulation.remove_agents("desk", 2) == ["desk-extra-3", "desk-extra-2"]
    simulation.run()
    log = simulation.results()
    starts = [(minute, case, agent) for minute, case, activity, _, agent in trace(log)
              if activity == "work started"]
    assert starts == [(0.0, "INC0000001", "desk-1"), (5.0, "INC0000003", "desk-extra-2"),
                      (5.0, "INC0000002", "desk-extra-3")]
    duty = log.duty[log.duty["agent"].astype(str).str.startswith("desk-extra")]
    assert duty["on_duty"].tolist() == [True, True, False, False]


def test_the_initial_backlog_starts_the_run_with_open_tickets() -> None:
    changes = {
        "arrivals": {"calls": {"at": ["3h"]}},
        "priorities": {"P3": {"resolution": "2h"}},
        "teams": {"L2": {"agents": 1}},
        "flow": {"desk": {"first_contact_resolution": 0.0, "escalation": {"L2": 1.0}},
                 "groups": {"L2": {"handling": "1h"}}},
        "initial_backlog": [{"team": "L2", "priority": "P3", "count": 2,
                             "age": {"dist": "uniform", "min": "1h", "max": "3h"}}],
    }
    simulation = Simulation(scenario(changes))
    simulation.run()
    log = simulation.results()
    rows = trace(log, agents=False)
    backlog_rows = [row for row in rows if row[0] < 0]
    opened = sorted(row[0] for row in backlog_rows if row[2] == "arrived")
    assert len(opened) == 2 and all(-180.0 <= minute <= -60.0 for minute in opened)
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)  # still in time order
    # A ticket opened more than 2 hours ago breached its target before the run began.
    breached_before = [row for row in backlog_rows if row[2] == "resolution SLA breached"]
    assert len(breached_before) == sum(minute < -120.0 for minute in opened)
    starts = [row[:2] for row in rows if row[2] == "work started"]
    assert starts[:2] == [(0.0, "BKL0000001"), (60.0, "BKL0000002")]  # oldest first, from minute 0
    coded = encode(log.events, log.start)
    assert backlog_series(coded, 600.0).query("team == 'L2'")["open"].iloc[0] == 2
    kpis = replication_kpis(log, KpiContext.from_scenario(simulation.scenario))
    overall = kpis[kpis["scope"] == "overall"].set_index("kpi")["value"]
    assert overall["arrived"] == 1  # the backlog is not part of the cohort
    assert pd.isna(overall["backlog_age_h"]) and overall["backlog_end"] == 0


def test_returning_an_agent_who_was_not_withdrawn_is_refused_and_loses_nothing() -> None:
    simulation = Simulation(scenario({"arrivals": {"calls": {"at": ["0m", "1m"]}}}))
    simulation.run(5.0)
    with pytest.raises(ValueError, match="was not withdrawn"):
        simulation.return_agent("desk-1")
    name = simulation.withdraw_agent("desk")
    simulation.return_agent(name)
    with pytest.raises(ValueError, match="was not withdrawn"):
        simulation.return_agent(name)
    simulation.run()
    resolved = [row[1] for row in trace(simulation.results()) if row[2] == "resolved"]
    assert resolved == ["INC0000001", "INC0000002"]


def test_an_agent_taken_off_overtime_and_given_back_works_the_next_shift() -> None:
    simulation = Simulation(scenario({
        "arrivals": {"calls": {"at": ["8h30m", "8h45m"]}},
        "teams": {"desk": {"agents": None, "at_shift_end": "finish", "roster": [
            {"days": "Mon-Fri", "start": "08:00", "end": "09:00", "headcount": 1}]}},
        "flow": {"desk": {"handling": "1h"}}}))
    simulation.run(9 * 60 + 10)  # 09:10: finishing the first ticket as overtime
    team = simulation.teams[0]
    agent = team.agents[0]
    assert team.withdraw(agent) is agent
    simulation.run(9 * 60 + 20)
    team.give_back(agent)  # off duty now: stays off until the next shift
    simulation.run()
    starts = [(minute, case) for minute, case, activity, *_ in trace(simulation.results())
              if activity in ("work started", "resolved")]
    tuesday_8 = 1440 + 8 * 60
    assert starts == [(510.0, "INC0000001"), (tuesday_8, "INC0000001"),  # 20 minutes were left
                      (tuesday_8 + 20, "INC0000001"), (tuesday_8 + 20, "INC0000002"),
                      (tuesday_8 + 80, "INC0000002")]


def test_work_that_ends_as_the_shift_ends_is_not_handed_over() -> None:
    simulation = Simulation(scenario({
        "arrivals": {"calls": {"at": ["8h30m"]}},
        "teams": {"desk": {"agents": None, "at_shift_end": "handover", "roster": [
            {"days": "Mon-Fri", "start": "08:00", "end": "09:00", "headcount": 1}]}},
        "flow": {"desk": {"handling": "30m"}}}))
    simulation.run()
    rows = [row[:3] for row in trace(simulation.results())]
    assert (540.0, "INC0000001", "resolved") in rows
    assert not [row for row in rows if row[2] == "interrupted"]


def test_a_ticket_answered_exactly_at_its_deadline_is_in_time_in_the_log_and_the_kpis() -> None:
    # 6-second calls, one agent, an 18-second response target: the fourth call is answered at
    # 0.1 + 0.1 + 0.1 minutes, which in floating point is a hair over 0.3.
    changes = {"arrivals": {"calls": {"at": ["0m", "0m", "0m", "0m", "0m"]}},
               "priorities": {"P3": {"response": "18s"}}, "flow": {"desk": {"handling": "6s"}}}
    simulation = Simulation(scenario(changes))
    simulation.run()
    log = simulation.results()
    breached = [row[1] for row in trace(log) if row[2] == "response SLA breached"]
    assert breached == ["INC0000005"]  # answered at 0.4 minutes: late
    kpis = replication_kpis(log, KpiContext.from_scenario(simulation.scenario))
    overall = kpis[kpis["scope"] == "overall"].set_index("kpi")
    assert tuple(overall.loc["sla_response_attainment", ["value", "n"]]) == (0.8, 5)


def test_the_recorder_s_rows_read_back_as_the_event_log_says() -> None:
    simulation = Simulation(scenario(THREE_CALLS))
    simulation.run()
    rows = simulation.recorder.rows
    events = simulation.results().events
    assert len(rows) == len(events) > 0
    recorder = simulation.recorder
    as_names = [(minute, recorder.case_names[case], ACTIVITIES[activity], recorder.team_names[team],
                 None if agent == NO_AGENT else recorder.agent_names[agent])
                for minute, case, activity, team, agent in rows]
    assert as_names == trace(simulation.results())
    assert rows[-1] == rows[len(rows) - 1] and rows[1:3] == [rows[1], rows[2]]
    assert list(rows) == [rows[index] for index in range(len(rows))]
    assert rows.activities() == [row[2] for row in rows]
    with pytest.raises(IndexError):
        rows[len(rows)]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        simulation = Simulation(scenario(THREE_CALLS))
        simulation.run(1.0)
        assert gc.isenabled() is enabled
        simulation.run()
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def _huge_page_advice() -> bool:
    """NumPy's current huge-page advice, read without changing it (the switch returns the old value)."""
    switch = np._core.multiarray._set_madvise_hugepage
    current = bool(switch(False))
    switch(current)
    return current


@pytest.mark.parametrize("advice", [True, False])
def test_large_arrays_use_ordinary_pages_while_measuring_and_the_advice_is_restored(
        advice: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    was = np._core.multiarray._set_madvise_hugepage(advice)
    seen: list[bool] = []
    # (without a run directory the replication measures the recorder's codes: measure_coded)
    real_measure = replications.measure_coded
    monkeypatch.setattr(replications, "measure_coded",
                        lambda *args: seen.append(_huge_page_advice()) or real_measure(*args))
    try:
        with ordinary_pages():
            assert _huge_page_advice() is False
        assert _huge_page_advice() is advice
        run_replication(scenario(THREE_CALLS), 0, 1)
        assert seen == [False]
        assert _huge_page_advice() is advice
    finally:
        np._core.multiarray._set_madvise_hugepage(was)


def test_a_users_own_huge_page_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    was = np._core.multiarray._set_madvise_hugepage(True)
    try:
        with ordinary_pages():
            assert _huge_page_advice() is True
    finally:
        np._core.multiarray._set_madvise_hugepage(was)
