"""Changes and problem management: emergency changes, the ECAB, normal changes, problems, fixes.

The switched-off case (no changes, no problems ⇒ exactly the major-incident model's log) is
pinned by test_golden_logs.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator.eventlog.log import SimulationLog
from simulator.experiment import Execution
from simulator.experiment.compare import compare_designs
from simulator.metrics import KpiContext, replication_kpis
from simulator.model.simulation import Simulation
from simulator.scenario import Scenario, load_scenario
from tests.helpers import merge, scenario, trace

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SERVICES = ("customer_portal", "email", "network_core")
#: Many outages, every one restored by an emergency change that often fails.
RISKY = ["run.horizon=12w", "run.warmup=1w", "changes.emergency.failure_probability=0.4",
         "major_incident.restoration=emergency_change",
         *(f"services.{name}.failures.every.mean=3d" for name in SERVICES)]


def _run(chosen: Scenario, replication: int = 0) -> SimulationLog:
    simulation = Simulation(chosen, replication)
    simulation.run()
    return simulation.results()


@pytest.fixture(scope="module")
def risky() -> tuple[Scenario, SimulationLog]:
    chosen = load_scenario(SCENARIOS / "with-mim.yaml", RISKY)
    return chosen, _run(chosen)


def _changes(events: pd.DataFrame) -> dict[str, list[tuple[pd.Timestamp, str]]]:
    rows = events[events["case_id"].astype(str).str.fullmatch(r"CHG\d+")]
    return {str(case): list(zip(group["timestamp"], group["activity"].astype(str), strict=True))
            for case, group in rows.sort_values("seq").groupby("case_id", observed=True)}


@pytest.mark.slow
def test_a_backed_out_change_never_counts_as_a_success(risky: tuple[Scenario, SimulationLog]) -> None:
    chosen, log = risky
    changes = _changes(log.events)
    emergency = {case: story for case, story in changes.items()
                 if any(activity == "ECAB member joined" for _, activity in story)}
    attempts = successes = 0
    for story in emergency.values():
        # (members who arrive after the quorum may join at any point: leave them out)
        activities = [activity for _, activity in story if activity != "ECAB member joined"]
        for index, activity in enumerate(activities):
            if activity == "implementation started":
                attempts += 1
                outcome = activities[index + 1]
                assert outcome in ("change implemented", "change failed")
                successes += outcome == "change implemented"
            if activity == "change failed":  # every failure is backed out
                assert activities[index + 1] == "backed out"
        if "change implemented" in activities:  # a success is the end of the story
            assert activities[-1] == "change implemented"
    assert attempts > 30 and 0 < successes < attempts
    kpis = replication_kpis(log, KpiContext.from_scenario(chosen)).set_index(
        ["scope", "key", "kpi"])["value"]
    warm = [story for story in emergency.values()
            if story[0][0] >= log.warmup_end]
    started = sum(activity == "implementation started" for story in warm for _, activity in story)
    implemented = sum(activity == "change implemented" for story in warm for _, activity in story)
    assert kpis[("overall", "", "emergency_change_success_rate")] == pytest.approx(implemented / started)
    assert kpis[("overall", "", "changes_backed_out")] >= started - implemented


@pytest.mark.slow
def test_an_ecab_never_decides_before_its_quorum_is_present(risky: tuple[Scenario, SimulationLog]) -> None:
    chosen, log = risky
    quorum = chosen.changes.emergency.ecab.quorum  # type: ignore[union-attr]
    decided = 0
    for story in _changes(log.events).values():
        if not any(activity == "ECAB member joined" for _, activity in story):
            continue  # a normal change: decided at the CAB
        for time, activity in story:
            if activity in ("change approved", "change rejected"):
                present = sum(1 for joined, what in story if what == "ECAB member joined" and joined <= time)
                assert present >= quorum
                decided += 1
    assert decided > 30


@pytest.mark.slow
def test_failed_changes_bring_incidents_linked_to_them(risky: tuple[Scenario, SimulationLog]) -> None:
    _, log = risky
    events = log.events
    caused = events[(events["activity"] == "arrived") & events["parent"].astype(str).str.startswith("CHG")]
    failures = events[events["activity"] == "change failed"]
    failed = failures.groupby("case_id", observed=True)["timestamp"].min()
    assert len(caused) > 20
    first_failure = failed.reindex(caused["parent"].astype(str)).to_numpy()
    assert (caused["timestamp"].to_numpy() >= first_failure).all()


EMERGENCY: dict[str, Any] = {
    "teams": {"desk": {"agents": 2}, "ops": {"agents": 2}},
    "flow": {"desk": {"first_contact_resolution": 0.5, "escalation": {"ops": 1.0}},
             "groups": {"ops": {"handling": "1h"}}},
    "arrivals": {"calls": {"at": ["5h"]}},
    "services": {"web": {"users": 100, "criticality": "critical", "owner": "ops",
                         "detection_delay": "0m",
                         "restoration": {"diagnosis": "10m", "fix": "30m", "recovery": "0m"}}},
    "outages": [{"service": "web", "at": "1h"}],
    "major_incident": {"enabled": True, "recognition_delay": "0m", "restoration": "emergency_change",
                       "acceptance": {"in_hours": "0m", "out_of_hours": "0m"},
                       "resolvers": [{"team": "owner", "count": 1,
                                      "on_call": {"in_hours": "0m", "out_of_hours": "0m"}}]},
    "changes": {"emergency": {"ecab": {"members": 3, "quorum": 2,
                                       "on_call": {"in_hours": "5m", "out_of_hours": "5m"},
                                       "deliberation": "5m", "approval_probability": 1.0},
                              "implementation": "20m", "failure_probability": 1.0,
                              "back_out": "10m", "retries": 1}},
}


def test_the_exact_trace_of_an_emergency_change_that_fails_twice() -> None:
    log = _run(scenario(EMERGENCY))
    rows = [(minute, activity) for minute, case, activity, _, _ in trace(log)
            if case in ("OUT0000001", "CHG0000001")]
    assert rows == [
        (60.0, "outage started"), (60.0, "alert fired"), (60.0, "detected"),
        (60.0, "major incident proposed"), (60.0, "major incident declared"),
        (60.0, "joined bridge"), (60.0, "assembled"), (70.0, "diagnosed"),
        (70.0, "change requested"),
        (75.0, "ECAB member joined"), (75.0, "ECAB member joined"), (75.0, "ECAB member joined"),
        (80.0, "change approved"), (80.0, "implementation started"), (100.0, "change failed"),
        (110.0, "backed out"), (110.0, "implementation started"), (130.0, "change failed"),
        (140.0, "backed out"),
        (140.0, "workaround started"), (170.0, "workaround applied"), (170.0, "restored"),
        (170.0, "left bridge"),
    ]


def test_an_approved_change_that_works_restores_without_the_workaround() -> None:
    log = _run(scenario(merge(EMERGENCY, {"changes": {"emergency": {"failure_probability": 0.0}}})))
    rows = [(minute, activity) for minute, case, activity, _, _ in trace(log)
            if case in ("OUT0000001", "CHG0000001") and minute >= 80.0]
    assert rows == [(80.0, "change approved"), (80.0, "implementation started"),
                    (100.0, "change implemented"), (100.0, "restored"), (100.0, "left bridge")]


def test_without_the_process_the_same_emergency_change_restores_the_service() -> None:
    # Change control does not depend on the major-incident process: without it, the owner
    # group's engineer diagnoses alone (twice as long here), raises the same emergency change
    # (same ECAB, same failures, same random numbers) and goes back to the queue; the ticket
    # waits and is resolved with the restoration.
    alone = merge(EMERGENCY, {"major_incident": {"enabled": False, "solo_diagnosis_factor": 2}})
    log = _run(scenario(alone))
    rows = [(minute, case, activity) for minute, case, activity, _, _ in trace(log)
            if case.startswith(("OUT0000001", "CHG0000001")) and minute >= 70.0]
    assert rows == [
        (70.0, "OUT0000001-0000", "reassigned"), (70.0, "OUT0000001-0000", "queued"),
        (70.0, "OUT0000001-0000", "assigned"),
        (70.0, "OUT0000001-0000", "work started"), (90.0, "OUT0000001-0000", "awaiting restoration"),
        (90.0, "CHG0000001", "change requested"),
        (95.0, "CHG0000001", "ECAB member joined"), (95.0, "CHG0000001", "ECAB member joined"),
        (95.0, "CHG0000001", "ECAB member joined"),
        (100.0, "CHG0000001", "change approved"), (100.0, "CHG0000001", "implementation started"),
        (120.0, "CHG0000001", "change failed"), (130.0, "CHG0000001", "backed out"),
        (130.0, "CHG0000001", "implementation started"), (150.0, "CHG0000001", "change failed"),
        (160.0, "CHG0000001", "backed out"),
        (160.0, "OUT0000001", "workaround started"), (190.0, "OUT0000001", "workaround applied"),
        (190.0, "OUT0000001", "restored"), (190.0, "OUT0000001-0000", "resolved"),
        (190.0, "OUT0000001-0000", "closed"),
    ]
    logged = {(case, activity) for _, case, activity, _, _ in trace(log)}
    assert ("OUT0000001", "left bridge") not in logged


def test_the_engineer_already_on_the_outage_stays_on_it_when_it_is_declared() -> None:
    # The owner group's engineer takes the primary ticket at 70 and has diagnosed for 15 of
    # its 30 minutes when the major incident is declared (85): the engineer joins the bridge at
    # once, keeping that progress (diagnosed at 100, not 30 minutes after a page), and the
    # second resolver is paged (7 minutes). Restored at 130, as the tiers alone would (70+30+30).
    declared_late = merge(EMERGENCY, {
        "major_incident": {"recognition_delay": "15m", "restoration": "workaround",
                           "acceptance": {"in_hours": "10m", "out_of_hours": "10m"},
                           "resolvers": [{"team": "owner", "count": 2,
                                          "on_call": {"in_hours": "7m", "out_of_hours": "7m"}}]},
        "services": {"web": {"restoration": {"diagnosis": "30m"}}}})
    log = _run(scenario(declared_late))
    rows = [(minute, case, activity, agent) for minute, case, activity, _, agent in trace(log)
            if case.startswith("OUT0000001") and minute >= 85.0]
    assert rows == [
        (85.0, "OUT0000001", "major incident declared", None),
        (85.0, "OUT0000001-0000", "linked", None),
        (85.0, "OUT0000001-0000", "awaiting restoration", "ops-1"),
        (85.0, "OUT0000001", "joined bridge", "ops-1"),
        (92.0, "OUT0000001", "joined bridge", "ops-2"), (92.0, "OUT0000001", "assembled", None),
        (100.0, "OUT0000001", "diagnosed", None), (100.0, "OUT0000001", "workaround started", None),
        (130.0, "OUT0000001", "workaround applied", None), (130.0, "OUT0000001", "restored", None),
        (130.0, "OUT0000001-0000", "resolved", None), (130.0, "OUT0000001-0000", "closed", None),
        (130.0, "OUT0000001", "left bridge", "ops-1"), (130.0, "OUT0000001", "left bridge", "ops-2"),
    ]


FAMILY: dict[str, Any] = {
    "run": {"horizon": "20w", "seed": 3},
    "calendars": {"daily": {"hours": {"Mon-Sun": "09:00-10:00"}}},
    "arrivals": {"calls": {"at": None, "volume": "10/day"},
                 "repeats": {"volume": "20/day"}},
    "teams": {"desk": {"agents": 30}, "analysts": {"agents": 1}},
    "changes": {"normal": {"cab": "daily", "window": "24x7", "implementation": "1h",
                           "failure_probability": 0.0, "approval_probability": 1.0}},
    "problems": {"enabled": True, "team": "analysts", "trend": {"related_incidents": 30, "within": "2d"},
                 "families": {"repeats": {"stream": "repeats", "root_cause_analysis": "1d",
                                          "known_error": {"first_contact_resolution": 1.0,
                                                          "handling": 0.5},
                                          "fix_share": 0.7}}},
}


def test_after_the_fix_the_family_arrives_at_its_residual_rate() -> None:
    """Pooled over replications, arrivals after the fix ~ Poisson(rate × (1 − share) × time).

    Two-sided exact Poisson test at a false-alarm rate of 0.1 %.
    """
    chosen = scenario(FAMILY)
    observed = expected = 0.0
    for replication in range(6):
        events = _run(chosen, replication).events
        fixed = events.loc[events["activity"] == "problem fixed", "timestamp"]
        assert len(fixed) == 1
        after = events[(events["timestamp"] > fixed.iloc[0]) & (events["category"] == "repeats")]
        observed += int((after["activity"] == "arrived").sum())
        minutes = (pd.Timestamp(chosen.run.start) + pd.Timedelta(minutes=chosen.run.horizon)
                   - fixed.iloc[0]).total_seconds() / 60.0
        expected += 20 / (24 * 60) * (1 - 0.7) * minutes
        avoided = int((after["activity"] == "avoided").sum())
        assert avoided > 2 * observed / 6  # most of the family is now avoided
    low, high = stats.poisson.ppf([0.0005, 0.9995], expected)
    assert low <= observed <= high, (observed, expected)


def test_a_known_error_helps_the_desk_from_the_moment_it_is_known() -> None:
    events = _run(scenario(FAMILY)).events
    known = events.loc[events["activity"] == "known error", "timestamp"].iloc[0]
    family = events[events["category"] == "repeats"]
    arrived = family[family["activity"] == "arrived"].set_index("case_id")["timestamp"]
    resolved = family[family["activity"] == "resolved"].groupby("case_id", observed=True)["timestamp"].min()
    handled = (resolved - arrived.reindex(resolved.index)).dt.total_seconds() / 60
    after = handled[arrived.reindex(resolved.index) > known]
    before = handled[arrived.reindex(resolved.index) < known]
    # 30 desk agents: no queue. Before: the desk's 10 minutes; after: half of it.
    assert np.allclose(before, 10.0) and np.allclose(after, 5.0)
    assert len(before) > 20 and len(after) > 100


def test_a_major_incident_review_opens_the_problem_that_ends_the_outages() -> None:
    chosen = scenario(merge(EMERGENCY, {
        "run": {"horizon": "10w"},
        "outages": [{"service": "web", "at": f"{day}d"} for day in range(1, 60, 3)],
        "major_incident": {"restoration": "workaround"},
        "calendars": {"daily": {"hours": {"Mon-Sun": "09:00-10:00"}}},
        "changes": {"emergency": None, "normal": {"cab": "daily", "window": "24x7",
                                                   "failure_probability": 0.0,
                                                   "approval_probability": 1.0}},
        "problems": {"enabled": True, "team": "ops", "review_delay": "1d", "trend": None,
                     "families": {"web_crashes": {"service": "web", "root_cause_analysis": "2h",
                                                  "known_error": {"diagnosis": 0.5},
                                                  "fix_share": 1.0}}}}))
    events = _run(chosen).events
    outage_rows = events[events["case_id"].astype(str).str.fullmatch(r"OUT\d+")]
    opened = events.loc[events["activity"] == "problem opened", "timestamp"]
    fixed = events.loc[events["activity"] == "problem fixed", "timestamp"].iloc[0]
    first_restored = outage_rows.loc[outage_rows["activity"] == "restored", "timestamp"].min()
    assert len(opened) == 1 and opened.iloc[0] == first_restored + pd.Timedelta(days=1)
    starts = outage_rows[outage_rows["activity"] == "outage started"]["timestamp"]
    avoided = outage_rows[outage_rows["activity"] == "avoided"]["timestamp"]
    assert (starts < fixed).all() and (avoided > fixed).all() and len(avoided) > 10
    kpis = replication_kpis(_run(chosen), KpiContext.from_scenario(chosen)).set_index(
        ["scope", "key", "kpi"])["value"]
    assert kpis[("overall", "", "outages_avoided")] == len(avoided)
    assert kpis[("overall", "", "problems_fixed")] == 1


@pytest.mark.slow
def test_problem_management_means_fewer_incidents_and_less_work_in_the_paired_pair() -> None:
    short = ["run.horizon=16w"]
    designs = [(name, load_scenario(SCENARIOS / f"{name}.yaml", short))
               for name in ("no-problem-management", "problem-management")]
    comparison = compare_designs(designs, Execution(4, seed=5, workers=1))
    paired = comparison.differences.set_index(["design", "scope", "key", "kpi"])
    for scope, key, kpi in (("overall", "", "arrived"), ("team", "infrastructure", "utilisation"),
                            ("team", "network", "utilisation"), ("overall", "", "problem_trend")):
        row = paired.loc[("problem-management", scope, key, kpi)]
        assert row["ci_high"] < 0 and row["clear"], (kpi, row.to_dict())
    assert paired.loc[("problem-management", "overall", "", "incidents_avoided"), "ci_low"] > 0


def _story_problem(activities: list[str], allowed: dict[str | None, set[str]],
                   anywhere: set[str]) -> str | None:
    step: str | None = None
    for activity in activities:
        if activity in anywhere:
            continue
        if activity not in allowed.get(step, set()):
            return f"{activity} after {step}"
        step = activity
    return None


@pytest.mark.slow
def test_changes_problems_and_the_incidents_they_bring_tell_possible_stories(
        risky: tuple[Scenario, SimulationLog]) -> None:
    from tests.validation.test_invariants import CLOCK_ROWS, NEXT

    events = risky[1].events.sort_values("seq")
    case = events["case_id"].astype(str)
    stories = events.groupby(case, observed=True)["activity"].agg(lambda s: list(s.astype(str)))
    caused = [name for name in stories.index if name.startswith("CHG") and "-" in name]
    assert len(caused) > 20
    assert {name: problem for name in caused
            if (problem := _story_problem(stories[name], NEXT, CLOCK_ROWS))} == {}
    change: dict[str | None, set[str]] = {
        None: {"change requested"},
        "change requested": {"change approved", "change rejected"},
        "change approved": {"implementation started"},
        "implementation started": {"change implemented", "change failed"},
        "change failed": {"backed out"},
        "backed out": {"implementation started", "change approved", "change rejected"},
    }
    changes = [name for name in stories.index if name.startswith("CHG") and "-" not in name]
    assert len(changes) > 100
    assert {name: problem for name in changes
            if (problem := _story_problem(stories[name], change, {"ECAB member joined"}))} == {}
    problem_events = _run(scenario(FAMILY)).events.sort_values("seq")
    problem_story = list(problem_events.loc[problem_events["case_id"] == "PRB0000001", "activity"]
                         .astype(str))
    assert problem_story == ["problem opened", "queued", "assigned", "work started", "known error",
                             "problem fixed"]
