"""The iterative staffing algorithm (Feldman, Mandelbaum, Massey & Whitt, 2008) on a stationary
M/M/c queue, where its answer is known: the fewest agents whose Erlang C probability of waiting
is at most α — here 11 for 8 Erlangs and α = 0.3 (10 agents wait 40.9 %, 11 wait 22.3 %)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.experiment import Execution
from simulator.experiment.isa import iterative_staffing
from simulator.experiment.staffing import find_staffing
from simulator.metrics.analytic import erlang_c, servers_needed
from simulator.scenario import load_scenario
from simulator.scenario.targets import parse_target_expression

pytestmark = pytest.mark.slow

MMC = Path(__file__).parents[2] / "scenarios" / "mmc.yaml"


def test_isa_staffs_a_stationary_queue_as_erlang_c_says() -> None:
    exact = servers_needed(8.0, lambda c: erlang_c(c, 8.0) <= 0.3)
    assert exact == 11 and erlang_c(10, 8.0) > 0.4
    result = iterative_staffing(load_scenario(MMC, ["run.horizon=9w", "run.warmup=1w"]), 0.3,
                                replications=3, max_iterations=6)
    assert result.iterations[0].min() > 30  # it starts from (practically) unlimited agents
    assert int(np.median(result.required)) == exact
    assert np.mean(np.abs(result.required - exact) <= 1) >= 0.9  # sampling noise: one agent


def test_staff_with_isa_schedules_the_requirement_and_simulates_it_once() -> None:
    scenario = load_scenario(MMC, ["run.horizon=5w", "run.warmup=1w",
                                   "priorities.P3.response=30m"])
    target = parse_target_expression("sla_response_attainment>=0.5", tuple(scenario.priorities),
                                     tuple(scenario.teams))
    result = find_staffing(scenario, [target], Execution(2, seed=3, workers=1), method="isa",
                           delay_probability=0.3)
    assert result.evaluated == 1 and [step for step, _ in result.history] == [
        "iterative staffing + shifts"]
    assert result.first_cut.roster[0] >= 11  # 24x7 agents cover the busiest hour's need
    assert result.notes[0].startswith("iterative staffing algorithm:")
    assert result.first_cut_need["agents"].max() == result.first_cut.roster[0]
