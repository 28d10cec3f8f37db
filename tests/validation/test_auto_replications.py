"""``--replications auto`` stops where the replications algorithm says, the same on any executor."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import Execution, PrecisionRule, run_experiment
from simulator.experiment.precision import look_ahead, relative_half_width
from simulator.scenario import load_scenario
from tests.helpers import run_cli
from tests.validation.scenarios import erlang_c

#: Long statistical runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

MMC = Path(__file__).parents[2] / "scenarios" / "mmc.yaml"
SHORT = ["run.horizon=8w", "run.warmup=1w"]
SET_SHORT = [part for item in SHORT for part in ("--set", item)]


def test_auto_reaches_the_asked_precision_on_erlang_c_and_stops_at_the_first_stable_point() -> None:
    scenario = load_scenario(MMC, SHORT)
    rule = PrecisionRule(("p_wait",), target=0.03, cap=60)
    runs = [run_experiment(scenario, Execution(rule, seed=21, workers=workers))
            for workers in (1, 2)]
    pd.testing.assert_frame_equal(runs[0].kpis, runs[1].kpis)  # whatever the batch size
    decision = runs[0].decision
    assert decision is not None and decision.converged
    kpis = runs[0].kpis.query("scope == 'overall'")
    series = {kpi: kpis[kpis["kpi"] == kpi]["value"].tolist() for kpi in rule.kpis}
    assert len(series["p_wait"]) == decision.used == decision.solution + look_ahead(decision.solution)

    def holds(n: int) -> bool:
        return all(relative_half_width(values[:m]) <= 0.03
                   for values in series.values() for m in range(n, n + look_ahead(n) + 1))

    assert decision.solution == min(n for n in range(3, decision.used) if holds(n))
    assert decision.solution > 3  # the question was hard enough to need more than the minimum
    for kpi in rule.kpis:
        assert relative_half_width(series[kpi]) <= 0.03
    mean = sum(series["p_wait"]) / len(series["p_wait"])
    assert abs(mean - erlang_c(10, 8.0)) <= 0.03 * mean  # and the answer is the known one


def test_the_command_says_how_many_it_took_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["run", str(MMC), "-r", "auto", "--precision", "0.05", "--precision-kpi", "p_wait",
                 "-j", "2", "--format", "json", *SET_SHORT]
    code, out, err = run_cli(arguments, capsys)
    assert code == 0 and out.lstrip().startswith("{")
    assert "replications: auto — every KPI was within ±5.0%" in err
    assert "the results use" in err and "p_wait ±" in err
    code, _, err = run_cli([*arguments[:6], "--precision-kpi", "p_wiat"], capsys)
    assert code == 2 and "did you mean 'p_wait'?" in err
