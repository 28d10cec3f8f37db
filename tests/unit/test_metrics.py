"""Metrics on small hand-made logs: every KPI value below is worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from simulator.eventlog.log import ACTIVITIES, SimulationLog
from simulator.metrics import KpiContext, PriorityTargets, backlog_series, encode, replication_kpis
from simulator.metrics.incidents import first_per_case
from simulator.scenario.calendars import Calendar
from simulator.scenario.targets import CHANGE_KPIS, COST_KPIS, INCIDENT_KPIS, OUTAGE_KPIS, TEAM_KPIS

START = dt.datetime(2026, 1, 5)  # a Monday


def make_log(rows: list[tuple[float, str, str, str, str | None]], priorities: dict[str, str],
             duty: list[tuple[float, str, str, bool]] = (), end: float = 1440.0,
             warmup: float = 0.0) -> SimulationLog:
    """Build a log from (minute, case, activity, team, agent) rows."""
    for row in rows:
        assert row[2] in ACTIVITIES, row
    events = pd.DataFrame({
        "seq": range(len(rows)),
        "case_id": [row[1] for row in rows],
        "timestamp": [START + dt.timedelta(minutes=row[0]) for row in rows],
        "activity": [row[2] for row in rows],
        "team": [row[3] for row in rows],
        "agent": [row[4] for row in rows],
        "priority": [priorities[row[1]] for row in rows],
        "category": "any",
    })
    duty_frame = pd.DataFrame({
        "timestamp": [START + dt.timedelta(minutes=row[0]) for row in duty],
        "team": [row[1] for row in duty], "agent": [row[2] for row in duty],
        "on_duty": [row[3] for row in duty]})
    return SimulationLog(events, duty_frame, START, START + dt.timedelta(minutes=end),
                         START + dt.timedelta(minutes=warmup))


def flow(case: str, arrive: float, start: float, resolve: float, team: str = "desk",
         agent: str = "a") -> list[tuple[float, str, str, str, str | None]]:
    return [(arrive, case, "arrived", team, None), (arrive, case, "queued", team, None),
            (start, case, "assigned", team, agent), (start, case, "work started", team, agent),
            (resolve, case, "resolved", team, agent)]


POLICY = KpiContext({"P1": PriorityTargets(15.0, 60.0, None), "P3": PriorityTargets(None, None, None)})


def kpi_table(log: SimulationLog, policy: KpiContext = POLICY) -> pd.DataFrame:
    return replication_kpis(log, policy).set_index(["scope", "key", "kpi"]).sort_index()


def test_response_and_resolution_kpis() -> None:
    rows = (flow("A", 0, 0, 30) + flow("B", 10, 40, 100) + flow("C", 20, 120, 380)
            + [(50, "D", "arrived", "desk", None), (50, "D", "queued", "desk", None)])
    rows.sort(key=lambda row: row[0])
    log = make_log(rows, {"A": "P1", "B": "P1", "C": "P1", "D": "P1"}, end=400)
    kpis = kpi_table(log)
    overall = kpis.loc["overall", ""]
    assert overall.loc["arrived", "value"] == 4
    assert tuple(overall.loc["resolved"]) == (3, 4)
    assert overall.loc["backlog_end", "value"] == 1
    assert overall.loc["backlog_age_h", "value"] == pytest.approx(350 / 60)
    assert tuple(overall.loc["mtta_min"]) == (pytest.approx((0 + 30 + 100) / 3), 3)
    assert tuple(overall.loc["p_wait"]) == (0.75, 4)  # D has not been answered: it waits
    assert overall.loc["mttr_h", "value"] == pytest.approx((30 + 90 + 360) / 3 / 60)
    assert overall.loc["mttr_h_median", "value"] == pytest.approx(1.5)
    assert overall.loc["mttr_h_p90", "value"] == pytest.approx((90 + 0.8 * 270) / 60)
    # Response within 15 min: A yes, B no (30), C no (100), D no (350 min and counting).
    assert tuple(overall.loc["sla_response_attainment"]) == (0.25, 4)
    # Resolution within 60 min: A yes, B no (90), C no; D over 60 already: breached.
    assert tuple(overall.loc["sla_resolution_attainment"]) == (0.25, 4)
    assert overall.loc["fcr_rate", "value"] == 1.0
    assert kpis.loc[("priority", "P1", "arrived"), "value"] == 4
    p3 = kpis.loc["priority", "P3"]
    assert p3.loc["arrived", "value"] == 0 and math.isnan(p3.loc["mtta_min", "value"])
    assert p3.loc["mtta_min", "n"] == 0  # no observations: null, not zero


def test_a_ticket_resolved_with_its_parent_before_anyone_took_it_was_answered_then() -> None:
    # Users' tickets about an outage, still in the desk's queue when the major incident
    # resolves them with it (no agent, no work): the response clock stops at the resolution.
    # A within 15 minutes (10), B not (40); neither runs on to the end of the run.
    rows = [(0, "A", "arrived", "desk", None), (0, "A", "queued", "desk", None),
            (0, "B", "arrived", "desk", None), (0, "B", "queued", "desk", None),
            (5, "A", "linked", "desk", None), (5, "B", "linked", "desk", None),
            (10, "A", "resolved", "desk", None), (40, "B", "resolved", "desk", None)]
    overall = kpi_table(make_log(rows, {"A": "P1", "B": "P1"}, end=400)).loc["overall", ""]
    assert tuple(overall.loc["sla_response_attainment"]) == (0.5, 2)
    assert overall.loc["sla_response_breaches", "value"] == 1


def test_undecided_slas_are_left_out() -> None:
    # Arrived 10 minutes before the end: not answered yet, but not late either.
    log = make_log([(390, "A", "arrived", "desk", None), (390, "A", "queued", "desk", None)],
                   {"A": "P1"}, end=400)
    overall = kpi_table(log).loc["overall", ""]
    assert tuple(overall.loc["sla_response_attainment"]) == (pytest.approx(math.nan, nan_ok=True), 0)


def test_the_resolution_clock_stops_while_waiting_and_while_resolved() -> None:
    rows = [(0, "A", "arrived", "L2", None), (0, "A", "queued", "L2", None),
            (0, "A", "work started", "L2", "x"), (20, "A", "paused", "L2", "x"),
            (500, "A", "resumed", "L2", None), (500, "A", "queued", "L2", None),
            (500, "A", "work started", "L2", "x"), (520, "A", "resolved", "L2", "x"),
            (900, "A", "reopened", "L2", None), (900, "A", "queued", "L2", None),
            (910, "A", "work started", "L2", "x"), (930, "A", "resolved", "L2", "x")]
    log = make_log(rows, {"A": "P1"}, end=1000)
    encoded = encode(log.events, log.start)
    from simulator.metrics import incident_table

    table = incident_table(encoded, POLICY, 1000.0)
    assert table.loc["A", "resolution_working_min"] == 20 + 20 + 30  # the clock ran 70 minutes
    assert bool(table.loc["A", "sla_resolution_met"]) is False  # over the 60-minute target
    overall = kpi_table(log).loc["overall", ""]
    assert overall.loc["mttr_h", "value"] == pytest.approx(930 / 60)  # to the last resolution
    assert overall.loc["reopen_rate", "value"] == 1.0
    assert overall.loc["fcr_rate", "value"] == 0.0  # reopened: not a first-contact resolution


def test_business_calendar_sla_and_warmup_exclusion() -> None:
    office = Calendar.model_validate({"hours": {"Mon-Fri": "09:00-17:00"}})
    policy = KpiContext({"P3": PriorityTargets(60.0, 120.0, office)})
    friday_16 = 4 * 1440 + 16 * 60
    rows = (flow("early", 10, 20, 30)  # during the warm-up: left out of incident KPIs
            + flow("A", friday_16, friday_16 + 50, 7 * 1440 + 9 * 60 + 30))  # Monday 09:30
    log = make_log(rows, {"early": "P3", "A": "P3"}, end=8 * 1440, warmup=60)
    overall = kpi_table(log, policy).loc["overall", ""]
    assert overall.loc["arrived", "value"] == 1
    # Response: 50 working minutes; resolution: 60 on Friday + 30 on Monday = 90 ≤ 120.
    assert tuple(overall.loc["sla_response_attainment"]) == (1.0, 1)
    assert tuple(overall.loc["sla_resolution_attainment"]) == (1.0, 1)
    assert overall.loc["mttr_h", "value"] == pytest.approx((3 * 1440 - 16 * 60 + 9 * 60 + 30) / 60)


def test_reassignments_and_first_contact_resolution() -> None:
    rows = [*flow("A", 0, 0, 10)[:-1],
        (10, "A", "reassigned", "desk", "a"), (10, "A", "queued", "L2", None),
        (15, "A", "assigned", "L2", "b"), (15, "A", "work started", "L2", "b"),
        (25, "A", "reassigned", "L2", "b"), (25, "A", "queued", "L3", None),
        (30, "A", "assigned", "L3", "c"), (30, "A", "work started", "L3", "c"),
        (40, "A", "resolved", "L3", "c"), *flow("B", 50, 50, 55)]
    log = make_log(rows, {"A": "P3", "B": "P3"}, end=100)
    overall = kpi_table(log).loc["overall", ""]
    assert overall.loc["reassignments_mean", "value"] == 1.0  # (2 + 0) / 2
    assert overall.loc["fcr_rate", "value"] == 0.5
    teams = kpi_table(log).loc["team"]
    assert teams.loc[("L2", "queue_wait_min"), "value"] == 5
    assert teams.loc[("desk", "queue_wait_min"), "value"] == 0
    assert teams.loc[("L3", "backlog_end"), "value"] == 0


def test_utilisation_and_overtime_from_the_duty_log() -> None:
    # Agent a on duty 0-60; works 30-90 (30 min on duty, 30 min overtime); b on duty 0-120, idle.
    rows = flow("A", 30, 30, 90)
    duty = [(0, "desk", "a", True), (0, "desk", "b", True), (60, "desk", "a", False),
            (120, "desk", "b", False)]
    log = make_log(rows, {"A": "P3"}, duty=duty, end=180)
    desk = kpi_table(log).loc[("team", "desk")]
    assert desk.loc["utilisation", "value"] == pytest.approx(30 / (60 + 120))
    assert desk.loc["overtime_h", "value"] == pytest.approx(0.5)


def test_backlog_series_follows_the_holding_team() -> None:
    rows = [(0, "A", "arrived", "desk", None), (0, "A", "queued", "desk", None),
            (0, "A", "work started", "desk", "a"), (90, "A", "reassigned", "desk", "a"),
            (90, "A", "queued", "L2", None), (100, "A", "work started", "L2", "b"),
            (130, "A", "paused", "L2", "b"), (200, "A", "resumed", "L2", None),
            (200, "A", "queued", "L2", None), (200, "A", "work started", "L2", "b"),
            (230, "A", "resolved", "L2", "b")]
    log = make_log(rows, {"A": "P3"}, end=300)
    series = backlog_series(encode(log.events, log.start), 300.0)
    by_team = series.pivot(index="time", columns="team", values="open")
    assert by_team["desk"].tolist() == [1, 1, 0, 0, 0, 0]  # samples at 0, 60, ..., 300 minutes
    assert by_team["L2"].tolist() == [0, 0, 1, 1, 0, 0]
    assert by_team["(all)"].tolist() == [1, 1, 1, 1, 0, 0]


def test_escalation_rate_counts_the_tickets_the_desk_handed_on_among_those_it_is_done_with() -> None:
    handed_on = [(10, "A", "reassigned", "desk", "a"), (10, "A", "queued", "L2", None)]
    rows = [*flow("A", 0, 0, 10)[:-1], *handed_on,  # escalated, still open at L2: decided
            *flow("B", 0, 20, 30),  # resolved at the desk
            *flow("C", 0, 0, 40)[:-1],
            (40, "C", "reassigned", "desk", "a"), (40, "C", "queued", "L2", None),
            (50, "C", "assigned", "L2", "b"), (50, "C", "work started", "L2", "b"),
            (60, "C", "resolved", "L2", "b"),  # escalated and resolved
            (70, "D", "arrived", "desk", None), (70, "D", "queued", "desk", None),  # not yet decided
            (80, "E", "arrived", "desk", None), (80, "E", "queued", "desk", None)]
    rows.sort(key=lambda row: row[0])
    log = make_log(rows, {"A": "P3", "B": "P3", "C": "P3", "D": "P3", "E": "P1"}, end=100)
    kpis = kpi_table(log)
    assert tuple(kpis.loc[("overall", "", "escalation_rate")]) == (pytest.approx(2 / 3), 3)
    assert tuple(kpis.loc[("priority", "P3", "escalation_rate")]) == (pytest.approx(2 / 3), 3)
    value, n = kpis.loc[("priority", "P1", "escalation_rate")]  # E is still with the desk
    assert math.isnan(value) and n == 0


def test_every_kpi_of_the_vocabulary_is_computed() -> None:
    kpis = replication_kpis(make_log(flow("A", 0, 0, 5), {"A": "P3"}), POLICY)
    overall = set(kpis.loc[kpis["scope"] == "overall", "kpi"])
    assert overall == set(INCIDENT_KPIS) | set(OUTAGE_KPIS) | set(COST_KPIS) | set(CHANGE_KPIS)
    assert set(kpis.loc[kpis["scope"] == "team", "kpi"]) == set(TEAM_KPIS)
    assert np.isfinite(kpis.loc[kpis["kpi"] == "mttr_h", "value"].iloc[0])


def test_first_per_case_takes_each_cases_first_or_last_chosen_row() -> None:
    # Rows sorted by case, then in time order; case 1 has no chosen row, case 3 has no row at all.
    case = np.array([0, 0, 0, 1, 2, 2, 4])
    values = np.array([10.0, 11.0, 12.0, 20.0, 30.0, 31.0, 40.0])
    chosen = np.array([False, True, True, False, True, True, True])
    first = first_per_case(case, values, chosen, 5)
    last = first_per_case(case, values, chosen, 5, last=True)
    np.testing.assert_array_equal(first, [11.0, np.nan, 30.0, np.nan, 40.0])
    np.testing.assert_array_equal(last, [12.0, np.nan, 31.0, np.nan, 40.0])
    nothing = np.zeros(len(case), dtype=bool)
    assert np.isnan(first_per_case(case, values, nothing, 5)).all()
