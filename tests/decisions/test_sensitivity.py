"""Sensitivity: inputs ranked by swing, the base value measured, and the tornado chart drawn so."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from simulator.experiment import Execution, campaign
from simulator.experiment.grid import parse_range_pair
from simulator.experiment.replications import ReplicationResult, ReplicationTask, run_task
from simulator.experiment.roi import RoiSettings
from simulator.experiment.run import run_experiment
from simulator.experiment.sensitivity import SensitivityResult, run_sensitivity
from simulator.model import Simulation
from simulator.reporting.tornado import tornado_chart
from simulator.scenario import load_scenario
from tests.helpers import run_cli

#: Long runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
MMC = ROOT / "scenarios" / "mmc.yaml"
SHORT = ["run.horizon=4w", "run.warmup=1w"]
RANGES = ["priorities.P1.response=10m:20m",  # no P1 ticket ever arrives in M/M/c: no effect
          "flow.desk.handling.mean=57m:63m",  # a small change of the load
          "teams.agents.agents=9:12"]  # a large one


@pytest.fixture(scope="module")
def mmc_sensitivity() -> SensitivityResult:
    return run_sensitivity([MMC], [parse_range_pair(item) for item in RANGES], "mtta_min",
                           Execution(3, seed=4, workers=2), overrides=SHORT)


def test_inputs_are_ordered_by_swing_largest_first(mmc_sensitivity: SensitivityResult) -> None:
    table = mmc_sensitivity.table
    assert list(table["path"]) == ["teams.agents.agents", "flow.desk.handling.mean",
                                   "priorities.P1.response"]
    assert list(table["swing"]) == sorted(table["swing"], reverse=True)
    assert table["swing"].iloc[-1] == 0.0  # the irrelevant input: exactly no effect, thanks to CRN
    agents = table.iloc[0]
    assert agents["at_low"] > mmc_sensitivity.base.mean > agents["at_high"]  # 9 agents wait longer
    assert agents["effect_low_ci_low"] > 0 and agents["effect_high_ci_high"] < 0


def test_the_base_value_is_the_scenario_as_it_is(mmc_sensitivity: SensitivityResult) -> None:
    run = run_experiment(load_scenario(MMC, SHORT), Execution(3, seed=4, workers=2))
    base = run.summary.query("scope == 'overall' and kpi == 'mtta_min'")["mean"].iloc[0]
    assert mmc_sensitivity.base.mean == pytest.approx(float(base), rel=1e-12)
    row = mmc_sensitivity.table.iloc[0]
    assert row["at_low"] == pytest.approx(mmc_sensitivity.base.mean + row["effect_low"], rel=1e-12)


def test_the_tornado_chart_draws_the_bars_in_order_around_the_base(
        mmc_sensitivity: SensitivityResult) -> None:
    figure = tornado_chart(mmc_sensitivity)
    axes = figure.axes[0]
    labels = sorted(axes.get_yticklabels(), key=lambda label: -label.get_position()[1])
    assert [label.get_text() for label in labels] == list(mmc_sensitivity.table["path"])
    base_lines = [line for line in axes.get_lines() if line.get_label().startswith("base:")]
    assert len(base_lines) == 1
    assert base_lines[0].get_xdata()[0] == pytest.approx(mmc_sensitivity.base.mean)
    bars = [patch for patch in axes.patches if patch.get_width() != 0]
    assert bars and all(bar.get_x() == pytest.approx(mmc_sensitivity.base.mean) for bar in bars)
    widest = max(bars, key=lambda bar: abs(bar.get_width()))
    assert widest.get_y() + widest.get_height() / 2 > len(mmc_sensitivity.table) - 1.5  # top row
    plt.close(figure)


def test_sensitivity_command_writes_the_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "tornado.png"
    arguments = ["sensitivity", str(MMC), "--range", "teams.agents.agents=10:11", "--kpi",
                 "p_wait", "-r", "2", "--seed", "4", "-j", "2", "--plot", str(plot),
                 "--format", "json", "--set", "run.horizon=2w", "--set", "run.warmup=1w"]
    code, out, _ = run_cli(arguments, capsys)
    assert code == 0 and plot.stat().st_size > 10_000
    document = json.loads(out)
    assert document["measure"] == "p_wait" and document["base"]["n"] == 2
    assert [entry["path"] for entry in document["inputs"]] == ["teams.agents.agents"]


def test_roi_needs_an_investment(capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = [str(ROOT / "scenarios" / "without-mim.yaml"), str(ROOT / "scenarios" / "with-mim.yaml")]
    code, _, err = run_cli(["sensitivity", *scenarios, "--range", "major_incident.updates_every=15m:60m",
                            "--kpi", "roi", "--set", "major_incident.costs=null"], capsys)
    assert code == 2 and "--investment" in err


def test_a_result_resting_on_few_outages_is_flagged_with_its_counts(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scenarios = [str(ROOT / "scenarios" / "without-mim-or-on-call.yaml"),
                 str(ROOT / "scenarios" / "with-mim.yaml")]
    code, out, err = run_cli(["sensitivity", *scenarios, "--range", "major_incident.updates_every=15m:60m",
                              "--set", "run.horizon=5w", "--set", "run.warmup=1w", "-r", "3", "-j", "2",
                              "--format", "json", "--plot", str(tmp_path / "t.png")], capsys)
    assert code == 0
    document = json.loads(out)
    base = document["evidence"]["base"]
    counts = base["outages_per_replication"]["baseline: base"]
    assert len(counts) == 3 and sum(counts) == base["outages_total"]["baseline: base"] < 30
    assert any(warning.startswith("base: the downtime figures rest on") for warning in document["warnings"])
    assert f"warning: base: the downtime figures rest on {sum(counts)} outages" in err


_OUTAGES = ["run.horizon=3w", "run.warmup=2d", "services.customer_portal.failures.every.mean=3d"]


def _events(file: str, factor: float) -> pd.DataFrame:
    scenario = load_scenario(ROOT / "scenarios" / file,
                             [*_OUTAGES, f"major_incident.solo_diagnosis_factor={factor:g}"])
    simulation = Simulation(scenario, 0)
    simulation.run()
    return simulation.results().events


def test_the_solo_diagnosis_factor_changes_nothing_while_the_process_is_on() -> None:
    # What lets a campaign run such designs' replications once (cache.simulated_part).
    pd.testing.assert_frame_equal(_events("with-mim.yaml", 1), _events("with-mim.yaml", 3),
                                  check_exact=True)
    assert not _events("without-mim.yaml", 1).equals(_events("without-mim.yaml", 3))


def test_a_replication_two_designs_would_simulate_alike_is_run_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = [ROOT / "scenarios" / "without-mim.yaml", ROOT / "scenarios" / "with-mim.yaml"]
    ranges = [parse_range_pair("major_incident.solo_diagnosis_factor=1:3")]
    settings = RoiSettings(investment=250_000.0, years=3.0)
    ran: list[str] = []

    def counted(task: ReplicationTask) -> tuple[int, ReplicationResult]:
        ran.append(task.scenario.name)
        return run_task(task)

    monkeypatch.setattr(campaign, "run_task", counted)
    study = run_sensitivity(files, ranges, "net_benefit", Execution(2, workers=1),
                            overrides=_OUTAGES, settings=settings)
    # 3 variants × 2 designs × 2 replications; the improved design's three variants are one.
    assert len(ran) == 2 * (3 + 1)
    ran.clear()
    monkeypatch.setattr(campaign, "simulated_part", lambda scenario: scenario.model_copy())
    every = run_sensitivity(files, ranges, "net_benefit", Execution(2, workers=1),
                            overrides=_OUTAGES, settings=settings)
    assert len(ran) == 2 * 3 * 2
    assert study.document() == every.document()
