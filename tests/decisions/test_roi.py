"""ROI: a design against itself gains nothing; the arithmetic of benefit, ROI and payback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import Execution
from simulator.experiment.roi import (
    YEAR_MIN,
    Interval,
    RoiSettings,
    payback_period,
    roi_per_replication,
    run_roi,
)
from simulator.scenario import load_scenario
from tests.helpers import run_cli

#: Long runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
WITH_MIM = ROOT / "scenarios" / "with-mim.yaml"
WITHOUT_MIM = ROOT / "scenarios" / "without-mim.yaml"
# Short runs in which each service fails every few days, and P1 breaches cost something.
SHORT = ["run.horizon=5w", "run.warmup=1w", "services.customer_portal.failures.every.mean=4d",
         "services.email.failures.every.mean=4d", "services.network_core.failures.every.mean=4d",
         "priorities.P1.breach_penalty=1000"]


def test_a_design_against_itself_gains_exactly_nothing_and_has_no_roi() -> None:
    scenario = load_scenario(WITH_MIM, SHORT)
    result = run_roi(("with-mim", scenario), ("with-mim", scenario), RoiSettings(years=3),
                     Execution(3, seed=5, workers=2))
    assert result.replications == 3
    for name in ("downtime_cost_avoided", "sla_penalties_avoided", "staff_cost_difference",
                 "annual_benefit", "net_benefit"):
        part = result.parts[name]
        assert (part.mean, part.ci_low, part.ci_high) == (0.0, 0.0, 0.0), name
    assert result.roi is None and "no investment" in (result.roi_reason or "")
    assert result.payback_years is None and "nothing to pay back" in (result.payback_reason or "")
    # ... and something was measured: outages happened and cost money in both.
    assert result.levels["with-mim"]["downtime_cost"].mean > 0
    assert result.levels["with-mim"]["sla_penalty"].mean > 0
    document = result.document()
    assert document["roi"] is None and document["net_benefit"]["mean"] == 0.0


def _kpis(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    rows = [(design, replication, "overall", "", kpi, value, 1)
            for design, by_kpi in values.items() for kpi, series in by_kpi.items()
            for replication, value in enumerate(series)]
    return pd.DataFrame(rows, columns=["design", "replication", "scope", "key", "kpi", "value", "n"])


def test_benefit_roi_and_payback_arithmetic() -> None:
    kpis = _kpis({"old": {"downtime_cost": [500.0, 700.0, 600.0], "sla_penalty": [50.0, 50.0, 50.0],
                          "staff_cost": [1000.0, 1000.0, 1000.0]},
                  "new": {"downtime_cost": [100.0, 300.0, 200.0], "sla_penalty": [20.0, 20.0, 20.0],
                          "staff_cost": [1010.0, 1010.0, 1010.0]}})
    half_year = {"old": 0.5, "new": 0.5}  # each replication measured half a year
    settings = RoiSettings(years=2, investment=1000.0, running_cost=20.0)
    table = roi_per_replication(kpis, "old", "new", half_year, settings)
    assert table["downtime_cost_avoided"].tolist() == [800.0, 800.0, 800.0]
    assert table["sla_penalties_avoided"].tolist() == [60.0, 60.0, 60.0]
    assert table["staff_cost_difference"].tolist() == [20.0, 20.0, 20.0]
    assert table["annual_benefit"].tolist() == [820.0, 820.0, 820.0]  # 800 + 60 - 20 - 20
    assert table["net_benefit"].tolist() == [640.0, 640.0, 640.0]  # 2 × 820 - 1000
    assert table["roi"].tolist() == [0.64, 0.64, 0.64]
    assert YEAR_MIN == 365 * 1440


def test_payback_comes_from_the_ends_of_the_benefit_interval() -> None:
    payback, reason = payback_period(Interval(500.0, 250.0, 1000.0, 5), investment=1000.0)
    assert payback is not None and reason is None
    assert (payback.mean, payback.ci_low, payback.ci_high) == (2.0, 1.0, 4.0)
    payback, reason = payback_period(Interval(500.0, -100.0, 1100.0, 5), investment=1000.0)
    assert payback is not None and math.isinf(payback.ci_high) and "never paid back" in str(reason)
    payback, reason = payback_period(Interval(-5.0, -10.0, 1.0, 5), investment=1000.0)
    assert payback is None and "not positive" in str(reason)


def test_roi_command_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["roi", str(WITHOUT_MIM), str(WITH_MIM), "-r", "3", "--seed", "5", "-j", "2",
                 "--years", "3", "--investment", "50000", "--format", "json", "--out",
                 str(tmp_path / "out")]
    for item in SHORT:
        arguments += ["--set", item]
    code, out, _ = run_cli(arguments, capsys)
    assert code == 0
    document = json.loads(out)
    assert set(document["per_year"]) == {"downtime_cost_avoided", "sla_penalties_avoided",
                                         "staff_cost_difference", "annual_benefit"}
    net, roi = document["net_benefit"], document["roi"]
    assert net["mean"] == pytest.approx(3 * document["per_year"]["annual_benefit"]["mean"] - 50000)
    assert roi["mean"] == pytest.approx(net["mean"] / 50000)
    assert roi["ci_low"] == pytest.approx(net["ci_low"] / 50000)
    assert document["measured_days"] == {"without-mim": 28.0, "with-mim": 28.0}
    assert document["designs"]["with-mim"]["major_incidents"]["mean"] > 0
    assert document["designs"]["without-mim"]["major_incidents"]["mean"] == 0
    # The process restores faster in every replication: the paired difference is clear.
    assert document["differences"]["mttr_restore_min"]["ci_high"] < 0
    markdown = (tmp_path / "out" / "roi.md").read_text()
    assert markdown.startswith("# Return on with-mim over without-mim")
    assert "Net annual benefit" in markdown and "ROI:" in markdown and "Payback" in markdown
    assert json.loads((tmp_path / "out" / "roi.json").read_text()) == document
