"""Major incidents: outages, their tickets, the Major Incident Team and restoration.

The switch-off case (no services, process off ⇒ exactly the core log) is pinned by
test_golden_logs.py; here, what the process does when it is on, and the with/without pair.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.eventlog.log import SimulationLog
from simulator.experiment import Execution
from simulator.experiment.compare import compare_designs
from simulator.metrics import KpiContext, encode, replication_kpis, work_sessions
from simulator.metrics.outages import outage_table, union_length
from simulator.model.simulation import Simulation
from simulator.scenario import Scenario, load_scenario
from tests.helpers import TINY, merge, scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SERVICES = ("customer_portal", "email", "network_core")
#: Many outages in a short run: each service fails every 4 days on average.
FREQUENT = ["run.horizon=10w", "run.warmup=1w",
            *(f"services.{name}.failures.every.mean=4d" for name in SERVICES)]


def _run(name: str, overrides: list[str], replication: int = 0) -> tuple[Scenario, SimulationLog]:
    chosen = load_scenario(SCENARIOS / name, overrides)
    simulation = Simulation(chosen, replication)
    simulation.run()
    return chosen, simulation.results()


@pytest.fixture(scope="module")
def with_mim() -> tuple[Scenario, SimulationLog]:
    return _run("with-mim.yaml", FREQUENT)


@pytest.fixture(scope="module")
def without_mim() -> tuple[Scenario, SimulationLog]:
    return _run("without-mim.yaml", FREQUENT)


def _first(events: pd.DataFrame, activity: str, by: str = "case_id") -> pd.Series:
    rows = events[events["activity"] == activity]
    return rows.groupby(rows[by].astype(str), observed=True)["timestamp"].min()


@pytest.mark.parametrize("pair", ["with_mim", "without_mim"])
@pytest.mark.slow
def test_no_ticket_about_an_outage_resolves_before_the_service_is_restored(
        pair: str, request: pytest.FixtureRequest) -> None:
    _, log = request.getfixturevalue(pair)
    events = log.events
    restored = _first(events, "restored")
    case = events["case_id"].astype(str)
    tickets = events[case.str.startswith("OUT") & case.str.contains("-")]  # OUT…-nnnn
    resolved = tickets[tickets["activity"] == "resolved"]
    parent = resolved["case_id"].astype(str).str.split("-").str[0]
    assert len(resolved) > 200
    assert (resolved["timestamp"].to_numpy() >= restored.reindex(parent).to_numpy()).all()


@pytest.mark.slow
def test_children_are_linked_and_resolved_with_their_major_incident(
        with_mim: tuple[Scenario, SimulationLog]) -> None:
    events = with_mim[1].events
    linked = events[events["activity"] == "linked"]
    assert (linked["parent"].astype(str) == linked["case_id"].astype(str).str.split("-").str[0]).all()
    restored = _first(events, "restored")
    resolved = events[(events["activity"] == "resolved") & events["parent"].notna()]
    # A child is resolved at the very moment of the restoration, by no agent.
    at_restore = resolved["timestamp"].to_numpy() == restored.reindex(
        resolved["parent"].astype(str)).to_numpy()
    assert at_restore.mean() > 0.95 and resolved.loc[at_restore, "agent"].isna().all()


@pytest.mark.slow
def test_without_the_process_users_tickets_are_closed_one_by_one_after_the_restore(
        without_mim: tuple[Scenario, SimulationLog]) -> None:
    events = without_mim[1].events
    assert not events["activity"].isin(["major incident declared", "joined bridge", "linked"]).any()
    # No ticket is a child of an outage (an emergency change raised for one is: its record's parent).
    tickets = events[~events["case_id"].astype(str).str.startswith("CHG")]
    assert not tickets["parent"].astype(str).str.startswith("OUT").any()
    # Users' tickets wait at the desk (the portal's primary waits in its owner group for the
    # emergency change, and is resolved by the restoration).
    waiting = events[(events["activity"] == "awaiting restoration") & (events["team"] == "service_desk")]
    waited = set(waiting["case_id"].astype(str))
    resolved = events[(events["activity"] == "resolved") & events["case_id"].astype(str).isin(waited)]
    assert len(resolved) > 100 and resolved["agent"].notna().all()  # a desk agent closes each


@pytest.mark.slow
def test_every_declared_major_incident_is_assembled_after_its_declaration(
        with_mim: tuple[Scenario, SimulationLog]) -> None:
    events = with_mim[1].events
    declared, assembled = _first(events, "major incident declared"), _first(events, "assembled")
    both = pd.concat({"declared": declared, "assembled": assembled}, axis=1).dropna()
    assert len(both) > 20
    assert (both["assembled"] >= both["declared"]).all()
    # and the milestones of each major incident come in their order
    for earlier, later in (("outage started", "detected"), ("detected", "major incident proposed"),
                           ("major incident proposed", "major incident declared"),
                           ("diagnosed", "workaround applied"), ("workaround applied", "restored")):
        pair = pd.concat({"a": _first(events, earlier), "b": _first(events, later)}, axis=1).dropna()
        assert len(pair) > 20 and (pair["a"] <= pair["b"]).all(), (earlier, later)


@pytest.mark.slow
def test_bridge_members_leave_their_tickets_and_never_work_two_things_at_once(
        with_mim: tuple[Scenario, SimulationLog]) -> None:
    _, log = with_mim
    coded = encode(log.events, log.start)
    sessions = work_sessions(coded, (log.end - log.start).total_seconds() / 60.0)
    sessions = sessions.sort_values(["agent", "start", "end"])
    same_agent = sessions["agent"].to_numpy()[1:] == sessions["agent"].to_numpy()[:-1]
    overlap = sessions["start"].to_numpy()[1:] < sessions["end"].to_numpy()[:-1] - 1e-9
    assert not (same_agent & overlap).any()
    joined = log.events[log.events["activity"] == "joined bridge"]
    left = log.events[log.events["activity"] == "left bridge"]
    assert len(joined) > 50 and len(left) == len(joined)


def test_downtime_is_the_measure_of_the_union_of_overlapping_outages() -> None:
    service = {"users": 1000, "criticality": "critical", "downtime_cost": 10, "owner": "desk",
               "detection_delay": "0m", "restoration": {"diagnosis": "30m", "fix": "1h", "recovery": "0m"}}
    chosen = scenario({"services": {"portal": service},
                       "outages": [{"service": "portal", "at": "1h"}, {"service": "portal", "at": "2h"},
                                   {"service": "portal", "at": "10h"}],
                       "major_incident": {"enabled": True, "recognition_delay": "0m",
                                          "acceptance": {"in_hours": "0m", "out_of_hours": "0m"},
                                          "resolvers": [{"team": "owner", "on_call": {
                                              "in_hours": "0m", "out_of_hours": "0m"}}]}},
                      base=merge(TINY, {"teams": {"desk": {"agents": 3}}}))
    simulation = Simulation(chosen, 0)
    simulation.run()
    log = simulation.results()
    table = outage_table(encode(log.events, log.start))
    # Alone, each outage lasts 90 minutes: 1:00–2:30, 2:00–3:30, 10:00–11:30. The first two
    # overlap by 30 minutes: downtime is 150 + 90 = 240 minutes, not 270.
    assert (table["restored"] - table["start"]).round(9).tolist() == [90.0, 90.0, 90.0]
    kpis = replication_kpis(log, KpiContext.from_scenario(chosen))
    by = kpis.set_index(["scope", "key", "kpi"])["value"]
    assert by[("service", "portal", "downtime_min")] == pytest.approx(240.0)
    assert by[("service", "portal", "downtime_cost")] == pytest.approx(2400.0)
    assert by[("service", "portal", "outages")] == 3


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)), max_size=12))
def test_union_length_counts_each_covered_minute_once(pieces: list[tuple[int, int]]) -> None:
    intervals = [(float(start), float(start + length)) for start, length in pieces]
    covered = set()
    for start, length in pieces:
        covered.update(range(start, start + length))
    assert union_length(intervals) == len(covered)


@pytest.mark.slow
def test_the_process_and_on_call_each_shorten_restores_against_no_process_at_all() -> None:
    """Against the "no process at all" counterfactual (a P1 at night waits for the morning), both
    the major-incident process and the resolver groups' on-call alone restore clearly faster."""
    designs = [(name, load_scenario(SCENARIOS / f"{name}.yaml", FREQUENT))
               for name in ("without-mim-or-on-call", "with-mim", "without-mim")]
    comparison = compare_designs(designs, Execution(8, seed=11, workers=1))
    paired = comparison.differences.set_index(["design", "scope", "key", "kpi"])
    for design in ("with-mim", "without-mim"):
        for kpi in ("mttr_restore_min", "mttr_restore_min_median", "downtime_cost"):
            row = paired.loc[(design, "overall", "", kpi)]
            assert row["ci_high"] < 0 and row["clear"], (design, kpi, row.to_dict())
        # The same outages in every design: common random numbers at work.
        for kpi in ("outages", "mttd_min"):
            assert paired.loc[(design, "overall", "", kpi)]["mean"] == 0.0


def test_the_cloudflare_replay_carries_the_published_timestamps() -> None:
    _, log = _run("cloudflare-2019-waf.yaml", [])
    events = log.events[log.events["case_id"].astype(str) == "OUT0000001"]
    first = events.groupby("activity", observed=True)["timestamp"].min()
    expected = {"outage started": "13:42", "alert fired": "13:45", "major incident declared": "13:50",
                "diagnosed": "14:02", "workaround applied": "14:07", "restored": "14:09"}
    assert {activity: first[activity].strftime("%H:%M:%S") for activity in expected} == {
        activity: f"{time}:00" for activity, time in expected.items()}
    assert (first["restored"] - first["outage started"]) == pd.Timedelta(minutes=27)
    assert first["outage started"].date().isoformat() == "2019-07-02"


@pytest.mark.slow
def test_the_crowdstrike_surge_swamps_the_desk_and_field_support() -> None:
    _, log = _run("crowdstrike-2024-surge.yaml", [])
    events = log.events
    arrived = events[events["activity"] == "arrived"]
    day = arrived["timestamp"].dt.date.astype(str)
    per_day = day.value_counts()
    assert per_day["2024-07-19"] > 10 * per_day["2024-07-16"]  # Friday vs an ordinary Tuesday
    # The revert at 05:27 ends the outage, not the tickets: users keep calling after it,
    # and each ticket is fixed by the desk or end-user support, never by the restoration.
    restored = _first(events, "restored")["OUT0000001"]
    assert restored.strftime("%Y-%m-%d %H:%M") == "2024-07-19 05:27"
    case = events["case_id"].astype(str)
    storm = events[case.str.startswith("OUT0000001-") & (case != "OUT0000001-0000")]  # not the alert
    resolved = storm[storm["activity"] == "resolved"]
    assert (storm.loc[storm["activity"] == "arrived", "timestamp"] > restored).mean() > 0.9
    assert resolved["agent"].notna().all()
    # (bar the few end-user support passes on as misroutes, as with any of its tickets)
    assert resolved["team"].astype(str).isin(["service_desk", "end_user_support"]).mean() > 0.85


@pytest.mark.parametrize("pair", ["with_mim", "without_mim"])
@pytest.mark.slow
def test_every_ticket_about_an_outage_tells_a_possible_story(
        pair: str, request: pytest.FixtureRequest) -> None:
    from tests.validation.test_invariants import CLOCK_ROWS, NEXT

    # A ticket about an outage may also wait for the restoration, and be resolved with it.
    allowed = {step: set(following) for step, following in NEXT.items()}
    allowed["work started"] |= {"awaiting restoration"}  # logged; nothing more to do yet
    allowed["queued"] |= {"awaiting restoration", "resolved"}  # taken out of the queue
    allowed["awaiting restoration"] = {"resolved", "queued"}  # with the MI, or closed at the desk
    _, log = request.getfixturevalue(pair)
    events = log.events.sort_values("seq")
    tickets = events[events["case_id"].astype(str).str.startswith("OUT")
                     & events["case_id"].astype(str).str.contains("-")]
    problems = {}
    for case, rows in tickets.groupby(tickets["case_id"].astype(str)):
        step: str | None = None
        for activity in rows["activity"].astype(str):
            if activity in CLOCK_ROWS or activity == "linked":
                if step in (None, "resolved", "closed"):
                    problems[case] = f"{activity} while {step}"
                continue
            if activity not in allowed[step]:
                problems[case] = f"{activity} after {step}"
                break
            step = activity
    assert problems == {}
    assert tickets["case_id"].nunique() > 200
