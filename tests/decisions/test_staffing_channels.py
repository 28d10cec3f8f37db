"""Staffing a desk whose callers abandon: Erlang A in the first cut, shrinkage and breaks in the
shift scheduling, and the per-interval table of required, scheduled and available agents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.experiment.firstcut import first_cut, formula_predictions
from simulator.experiment.intervals import interval_report
from simulator.experiment.roster import posts
from simulator.metrics.analytic import erlang_a, servers_needed, service_level
from simulator.scenario import load_scenario
from simulator.scenario.targets import parse_target_expression
from tests.helpers import run_cli

ROOT = Path(__file__).parents[2]
MMC = ROOT / "scenarios" / "mmc.yaml"
#: mmc.yaml as a phone queue: 9 calls an hour, 60-minute calls, 30-minute patience, 80/5 min.
PHONE = ["arrivals.tickets.volume=9/h", "arrivals.tickets.channel=phone",
         "arrivals.tickets.answer_within=5m", "arrivals.tickets.patience={dist: exponential, mean: 30m}",
         "run.horizon=2w", "run.warmup=2d"]


def _first_cut(overrides: list[str], text: str = "phone.service_level>=0.8") -> tuple[int, ...]:
    scenario = load_scenario(MMC, [*PHONE, *overrides])
    target = parse_target_expression(text, tuple(scenario.priorities), tuple(scenario.teams))
    return first_cut(scenario, posts(scenario), [target], max_occupancy=1.0).roster


def test_a_phone_queue_is_sized_with_erlang_a_not_erlang_c() -> None:
    erlang_a_agents = servers_needed(9.0, lambda c: erlang_a(c, 9 / 60, 60.0, 30.0, 5.0)
                                     .service_level >= 0.8)
    erlang_c_agents = servers_needed(9.0, lambda c: service_level(c, 9.0, 60.0, 5.0) >= 0.8)
    assert erlang_a_agents < erlang_c_agents  # the premise: abandonment changes the answer
    assert _first_cut([]) == (erlang_a_agents,)


def test_abandonment_targets_are_sized_with_erlang_a() -> None:
    needed = servers_needed(9.0, lambda c: erlang_a(c, 9 / 60, 60.0, 30.0).p_abandon <= 0.02)
    assert _first_cut([], "phone.abandon_rate<=0.02") == (needed,)


@pytest.mark.parametrize("shrinkage", [0.1, 0.3])
def test_shrinkage_raises_the_roster_to_cover_the_agents_at_work(shrinkage: float) -> None:
    at_work = _first_cut([])[0]
    assert _first_cut([f"teams.agents.shrinkage={shrinkage}"]) == (int(np.ceil(at_work / (1 - shrinkage))),)


def test_the_formulas_predict_the_service_level_of_the_roster_at_work() -> None:
    scenario = load_scenario(MMC, PHONE)
    target = parse_target_expression("phone.service_level>=0.8", tuple(scenario.priorities),
                                     tuple(scenario.teams))
    predicted = formula_predictions(scenario, [target])["phone.service_level"]
    assert predicted == pytest.approx(erlang_a(10, 9 / 60, 60.0, 30.0, 5.0).service_level, rel=1e-9)


def test_the_interval_table_shows_required_scheduled_and_available_agents() -> None:
    scenario = load_scenario(MMC, [*PHONE, "teams.agents.shrinkage=0.2"])
    chosen = posts(scenario)
    required = np.full(168, 8)
    table = interval_report(scenario, chosen, (12,), required, replications=2)
    assert len(table) == 168 and list(table["weekday"].iloc[[0, 167]]) == ["Mon", "Sun"]
    assert (table["required"] == 8).all() and (table["scheduled"] == 12).all()
    assert np.allclose(table["available_expected"], 12 * 0.8)
    # 24x7 agents lose whole days to shrinkage: on average 9.6 at work, day by day.
    assert table["available_simulated"].mean() == pytest.approx(9.6, abs=0.6)
    assert table["phone.contacts"].mean() == pytest.approx(9.0, rel=0.1)
    assert table["phone.service_level"].between(0, 1).all()


def test_staff_writes_the_interval_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "intervals.csv"
    code, _, err = run_cli(["staff", str(MMC), *(f"--set={item}" for item in PHONE), "-r", "2",
                            "-j", "1", "--max-designs", "1", "--target", "phone.service_level>=0.8",
                            "--intervals", str(out), "--format", "json"], capsys)
    assert code == 0, err
    table = pd.read_csv(out)
    assert len(table) == 168
    assert {"required", "scheduled", "available_expected", "available_simulated",
            "phone.service_level", "phone.abandon_rate", "phone.asa_s"} <= set(table.columns)
    assert (table["required"] == _first_cut([], "phone.service_level>=0.8")[0]).all()
