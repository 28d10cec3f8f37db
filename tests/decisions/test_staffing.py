"""Staffing: the formulas' first cut and the search by simulation on M/M/c, where Erlang C is exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.experiment import Execution
from simulator.experiment.firstcut import first_cut, formula_predictions, team_demands
from simulator.experiment.roster import apply_roster, posts, roster_cost
from simulator.experiment.staffing import StaffingResult, find_staffing
from simulator.scenario import load_scenario
from simulator.scenario.targets import parse_target_expression
from tests.helpers import run_cli, scenario

ROOT = Path(__file__).parents[2]
MMC = ROOT / "scenarios" / "mmc.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
# mmc.yaml with its response target set to 30 minutes, short enough for a test.
THIRTY_MINUTES = ["priorities.P3.response=30m", "run.horizon=5w", "run.warmup=1w"]


def _target(text: str, scenario_file: Path = MMC, overrides: list[str] = THIRTY_MINUTES):
    scenario = load_scenario(scenario_file, overrides)
    return scenario, parse_target_expression(text, tuple(scenario.priorities), tuple(scenario.teams))


@pytest.fixture(scope="module")
def mmc_search() -> StaffingResult:
    scenario, target = _target("sla_response_attainment>=0.9")
    return find_staffing(scenario, [target], Execution(4, seed=3, workers=2))


def test_the_formula_first_cut_is_eleven_agents_as_erlang_c_says() -> None:
    scenario, target = _target("sla_response_attainment>=0.9")
    chosen = posts(scenario)
    assert first_cut(scenario, chosen, [target]).roster == (11,)
    for agents, attainment in ((10, 0.849), (11, 0.945)):
        predicted = formula_predictions(apply_roster(scenario, chosen, (agents,)), [target])
        assert predicted["sla_response_attainment"] == pytest.approx(attainment, abs=5e-4)


@pytest.mark.slow
def test_the_search_settles_on_eleven_agents_after_rejecting_ten(mmc_search: StaffingResult) -> None:
    assert mmc_search.first_cut.roster == (11,)
    assert mmc_search.chosen is not None and mmc_search.chosen.roster == (11,)
    assert mmc_search.chosen.meets
    tried = {evaluation.roster: evaluation for _, evaluation in mmc_search.history}
    assert not tried[(10,)].meets
    ten, eleven = tried[(10,)].checks[0], tried[(11,)].checks[0]
    assert ten.mean < 0.9 < eleven.ci_low  # the simulation agrees with Erlang C's 0.849 and 0.945
    assert ten.mean == pytest.approx(0.849, abs=0.04) and eleven.mean == pytest.approx(0.945, abs=0.03)


@pytest.mark.slow
def test_heavy_tailed_work_needs_more_agents_than_erlang_c_says() -> None:
    # Erlang C assumes exponential work; with the same mean and a heavier tail, waits are longer.
    overrides = [*THIRTY_MINUTES, "flow.desk.handling={dist: lognormal, mean: 60m, sd: 150m}"]
    scenario, target = _target("sla_response_attainment>=0.9", overrides=overrides)
    result = find_staffing(scenario, [target], Execution(4, seed=3, workers=2))
    assert result.first_cut.roster == (11,) and not result.first_cut.meets
    assert result.chosen is not None and result.chosen.roster[0] > 11 and result.chosen.meets


@pytest.mark.slow
def test_the_lagged_load_of_resolver_groups_follows_the_routing() -> None:
    scenario = load_scenario(BASELINE)
    demands = team_demands(scenario)
    desk = demands["service_desk"]
    assert desk.arrivals.sum() == pytest.approx(160 * 7, rel=1e-9)  # 160 a day on average
    assert desk.work_mean == pytest.approx(scenario.flow.desk.handling.mean())  # the desk's own work
    # 40 % of incidents leave the desk; transfers add visits but none are lost on the way.
    escalated = 0.4 * desk.arrivals.sum()
    groups = sum(demands[group].arrivals.sum() for group in scenario.flow.groups)
    assert escalated < groups < 1.2 * escalated
    for demand in demands.values():  # the lag moves load in time but loses none of it
        assert demand.load.sum() == pytest.approx(demand.arrivals.sum() * demand.work_mean / 60,
                                                  rel=1e-6)


def test_the_load_counts_each_kind_of_visit_with_its_own_handling_time() -> None:
    demands = team_demands(scenario({
        "arrivals": {"calls": {"at": None, "volume": "100/day"}},
        "teams": {"L2": {"agents": 5}, "L3": {"agents": 5}},
        "flow": {"desk": {"first_contact_resolution": 0.0, "escalation": {"L2": 0.8, "L3": 0.2}},
                 "groups": {"L2": {"handling": "10m", "handling_when_transferred": "40m",
                                   "transfer": {"L3": 0.5}},
                            "L3": {"handling": "5m", "handling_after_transfer": "15m"}}}}))
    # L2: half its visits resolve (10 m), half hand on (40 m). L3: 0.2 per incident from the
    # desk (5 m) and 0.8 × 0.5 = 0.4 from L2 (15 m).
    assert demands["L2"].work_mean == pytest.approx(25.0, rel=1e-6)
    assert demands["L3"].work_mean == pytest.approx((0.2 * 5 + 0.4 * 15) / 0.6, rel=1e-6)
    assert demands["L3"].arrivals.sum() == pytest.approx(0.6 * 100 * 7, rel=1e-9)


def test_roster_cost_is_hours_times_hourly_cost() -> None:
    scenario = load_scenario(BASELINE)
    chosen = posts(scenario, ["network"])  # Mon-Fri 08:00-17:00, 3 people at 60 an hour
    assert roster_cost(chosen, (3,)) == (3 * 45 * 60.0, 3 * 45.0)


@pytest.mark.slow
def test_staff_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["staff", str(MMC), "--target", "sla_response_attainment>=0.9", "-r", "3",
                 "--seed", "3", "-j", "2", "--format", "json"]
    for item in THIRTY_MINUTES:
        arguments += ["--set", item]
    code, out, _ = run_cli(arguments, capsys)
    assert code == 0
    document = json.loads(out)
    assert document["posts"] == [{"post": "agents", "path": "teams.agents.agents", "now": 10,
                                  "first_cut": 11, "chosen": 11}]
    chosen = document["chosen"]["targets"]["sla_response_attainment >= 0.9"]
    assert chosen["verdict"] == "pass" and chosen["formula"] == pytest.approx(0.945, abs=5e-4)
    assert document["chosen"]["agent_hours_per_week"] == 11 * 168


def test_staff_json_says_what_the_measured_staff_cost_covers(capsys: pytest.CaptureFixture[str]) -> None:
    # One measured week (8 days less a day's warm-up) of the phone desk, searching the desk alone:
    # the desk's simulated cost is its roster's weekly cost plus any overtime; the other teams'
    # cost is on top of it in "all_teams".
    code, out, err = run_cli(["staff", str(ROOT / "scenarios" / "phone-desk.yaml"), "--team",
                              "service_desk", "--set", "run.horizon=8d", "--set", "run.warmup=1d",
                              "-r", "2", "-j", "1", "--target", "chat.service_level>=0.8",
                              "--max-designs", "1", "--format", "json"], capsys)
    assert code == 0, err
    first_cut = json.loads(out)["first_cut"]
    measured = first_cut["measured_staff_cost"]
    assert measured["window"] == "per replication: the run's horizon less its warm-up"
    assert first_cut["weekly_cost"] <= measured["searched_teams"] <= 1.02 * first_cut["weekly_cost"]
    assert measured["all_teams"] > measured["searched_teams"] + 10_000


def test_staff_rejects_an_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["staff", str(MMC), "--target", "P9.mtta_min<=5"], capsys)
    assert code == 2 and "--target" in err and "P9" in err


def test_a_search_stopped_at_its_limit_says_a_cheaper_roster_may_exist() -> None:
    scenario, target = _target("sla_response_attainment>=0.9")
    result = find_staffing(scenario, [target], Execution(2, seed=3, workers=1), max_designs=1)
    assert result.evaluated == 1 and result.chosen is not None and result.chosen.roster == (11,)
    assert any("stopped at its limit of 1 simulated rosters" in note for note in result.notes)
