"""ROI: a design against itself gains nothing; the arithmetic of benefit, ROI and payback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import Execution
from simulator.experiment.evidence import outage_evidence
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
NO_PROCESS = ROOT / "scenarios" / "without-mim-or-on-call.yaml"
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
    assert result.roi is None and "costs nothing" in (result.roi_reason or "")
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
    assert table["roi"].tolist() == [640 / 1040] * 3  # ÷ the cost: 1000 + 2 × 20
    discounted = RoiSettings(years=2, investment=1000.0, running_cost=20.0, discount_rate=0.1)
    table = roi_per_replication(kpis, "old", "new", half_year, discounted)
    factor = 1 / 1.1 + 1 / 1.1 ** 2  # two years' flows, each discounted to today
    assert table["net_benefit"].iloc[0] == pytest.approx(factor * 820 - 1000)
    assert table["roi"].iloc[0] == pytest.approx((factor * 820 - 1000) / (1000 + factor * 20))
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
    arguments = ["roi", str(NO_PROCESS), str(WITH_MIM), "-r", "3", "--seed", "5", "-j", "2",
                 "--years", "3", "--investment", "50000", "--input-sets", "0", "--format", "json",
                 "--out", str(tmp_path / "out")]
    for item in SHORT:
        arguments += ["--set", item]
    code, out, _ = run_cli(arguments, capsys)
    assert code == 0
    document = json.loads(out)
    assert set(document["per_year"]) == {"downtime_cost_avoided", "sla_penalties_avoided",
                                         "staff_cost_difference", "annual_benefit"}
    net, roi = document["net_benefit"], document["roi"]
    # The scenario's one-off (implementation 100,000 at its mode) and the investment given; the
    # yearly costs: tooling 15,000 + training 40 × 8 × 60 + the manager role 10,000 + 52 × 8 × 70.
    one_off, yearly = 100_000 + 50_000, 15_000 + 40 * 8 * 60 + 10_000 + 52 * 8 * 70
    assert (document["one_off_cost"], document["process_cost_per_year"]) == (one_off, yearly)
    assert net["mean"] == pytest.approx(3 * document["per_year"]["annual_benefit"]["mean"] - one_off)
    assert roi["mean"] == pytest.approx(net["mean"] / (one_off + 3 * yearly))
    assert roi["ci_low"] == pytest.approx(net["ci_low"] / (one_off + 3 * yearly))
    assert document["measured_days"] == {"without-mim-or-on-call": 28.0, "with-mim": 28.0}
    assert document["designs"]["with-mim"]["major_incidents"]["mean"] > 0
    assert document["designs"]["without-mim-or-on-call"]["major_incidents"]["mean"] == 0
    # The process restores faster in every replication: the paired difference is clear.
    assert document["differences"]["mttr_restore_min"]["ci_high"] < 0
    markdown = (tmp_path / "out" / "roi.md").read_text()
    assert markdown.startswith("# Return on with-mim over without-mim-or-on-call")
    assert markdown.splitlines()[2].startswith("**The case pays: net benefit")
    assert "Net annual benefit" in markdown and "ROI:" in markdown and "Payback" in markdown
    assert json.loads((tmp_path / "out" / "roi.json").read_text()) == document


def test_evidence_counts_the_outages_and_flags_one_replication_carrying_the_result() -> None:
    rows = [(design, replication, "overall", "", "outages", float(count), 1)
            for design in ("old", "new") for replication, count in enumerate([3, 4, 2, 5])]
    kpis = pd.DataFrame(rows, columns=["design", "replication", "scope", "key", "kpi", "value", "n"])
    avoided = pd.Series([10.0, -20.0, 900.0, 70.0])
    evidence = outage_evidence(kpis, "old", "new", avoided, min_events=30)
    assert evidence.outages == {"old": [3, 4, 2, 5], "new": [3, 4, 2, 5]}
    assert evidence.dominant_replication == 2 and evidence.dominant_share == 0.9
    assert evidence.warnings == [
        "the downtime figures rest on 14 outages of old in 4 replications (3, 4, 2, 5); fewer "
        "than 30: run more replications before quoting them",
        "one replication (number 2, with 2 outages of old) supplied 90% of the downtime cost "
        "avoided: a single long outage is likely to carry the result"]
    calm = outage_evidence(kpis, "old", "new", pd.Series([100.0, 110.0, 90.0, 105.0]), min_events=14)
    assert calm.warnings == []
