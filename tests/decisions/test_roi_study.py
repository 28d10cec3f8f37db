"""The ROI study: input uncertainty and simulation noise in one answer (issue 17).

Checked: a design against itself gains exactly nothing in every input set; with every input
fixed the distribution collapses to the single answer of ``run_roi`` (same seed); price inputs
re-price the same replications while a model input is simulated at its own values; the noise
target adds replications in seeded batches, each sized from the uncapped noise ratio, and a study
stopped by its cap says how many would reach the target; a losing
case says so on its first line; and bad ranges are one line and exit code 2.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.experiment import Execution, roi_study
from simulator.experiment.roi import RoiSettings, run_roi
from simulator.experiment.roi_study import StudySettings, run_roi_study
from simulator.experiment.uncertainty import parse_uncertain, price_leaves
from simulator.scenario import load_scenario
from tests.helpers import run_cli

ROOT = Path(__file__).parents[2]
WITH_MIM = ROOT / "scenarios" / "with-mim.yaml"
WITHOUT_MIM = ROOT / "scenarios" / "without-mim.yaml"
NO_PROCESS = ROOT / "scenarios" / "without-mim-or-on-call.yaml"
# Short runs in which each service fails every few days.
SHORT = ["run.horizon=6w", "run.warmup=1w", "services.customer_portal.failures.every.mean=4d",
         "services.email.failures.every.mean=4d", "services.network_core.failures.every.mean=4d"]


def _fixed(scenario_file: Path) -> list[str]:
    """Overrides that fix every price of the scenario at its base value."""
    scenario = load_scenario(scenario_file, SHORT)
    return [f"{path}={value if isinstance(value, int) else float(value)!r}"
            for path, value in price_leaves(scenario).items()]


@pytest.mark.slow
def test_a_design_against_itself_gains_exactly_nothing_in_every_input_set() -> None:
    study = run_roi_study((WITH_MIM, WITH_MIM), RoiSettings(years=3),
                          StudySettings(input_sets=20, max_replications=2), Execution(2, seed=5, workers=2),
                          overrides=SHORT)
    for figure in ("downtime_cost_avoided", "staff_cost_difference", "annual_benefit", "net_benefit"):
        assert (study.per_set[figure] == 0.0).all(), figure
    assert study.p_loss == 0.0
    assert study.distributions()["roi"].n == 0  # no cost: no ROI in any set
    assert study.drivers["improved_downtime_min_per_year"] > 0  # outages happened in both


@pytest.mark.slow
def test_with_every_input_fixed_the_distribution_collapses_to_the_single_answer() -> None:
    overrides = [*SHORT, *_fixed(WITH_MIM)]
    settings = RoiSettings(years=3, investment=40_000)
    study = run_roi_study((WITHOUT_MIM, WITH_MIM), settings, StudySettings(input_sets=7),
                          Execution(3, seed=11, workers=2), overrides=overrides)
    assert study.inputs == [] and study.batches == [(11, 3)] and math.isnan(study.share)
    single = run_roi(("without-mim", load_scenario(WITHOUT_MIM, overrides)),
                     ("with-mim", load_scenario(WITH_MIM, overrides)), settings,
                     Execution(3, seed=11, workers=2))
    net = study.distributions()["net_benefit"]
    assert net.median == pytest.approx(single.parts["net_benefit"].mean, rel=1e-9)
    assert net.p5 == net.median == net.p95
    assert study.base.parts["net_benefit"].mean == pytest.approx(single.parts["net_benefit"].mean)


@pytest.mark.slow
def test_price_inputs_reuse_replications_and_a_model_input_takes_its_own_values() -> None:
    factor = parse_uncertain("major_incident.solo_diagnosis_factor=1:2:3")
    study = run_roi_study((WITHOUT_MIM, WITH_MIM), RoiSettings(years=3),
                          StudySettings(input_sets=12, model_points=3, max_replications=2),
                          Execution(2, seed=3, workers=2), overrides=SHORT, uncertain=[factor])
    labels = [config.label for config in study.configurations]
    assert labels == ["base", "model point 0", "model point 1", "model point 2",
                      "major_incident.solo_diagnosis_factor at p10",
                      "major_incident.solo_diagnosis_factor at p90"]
    # Input set i uses model point i mod 3; the model values are a 3-point Latin hypercube.
    assert study.per_set["configuration"].tolist() == [1 + index % 3 for index in range(12)]
    drawn = sorted({float(value) for value in study.input_sets[factor.path]})
    assert len(drawn) == 3 and all(1 <= value <= 3 for value in drawn)
    cdf = [(value - 1) ** 2 / 2 if value < 2 else 1 - (3 - value) ** 2 / 2 for value in drawn]
    assert sorted(math.floor(3 * p) for p in cdf) == [0, 1, 2]  # one in each third
    tornado = study.tornado.set_index("input")
    assert tornado.loc[factor.path, "kind"] == "model"
    assert (tornado["kind"] == "price").sum() == len(study.inputs) - 1


@pytest.mark.slow
def test_the_noise_target_adds_seeded_batches_up_to_the_cap() -> None:
    study = run_roi_study((NO_PROCESS, WITH_MIM), RoiSettings(years=3),
                          StudySettings(input_sets=10, noise_target=0.01, max_replications=4),
                          Execution(2, seed=5, workers=2), overrides=SHORT)
    assert study.replications == 4 and [count for _, count in study.batches] == [2, 2]
    first, second = (seed for seed, _ in study.batches)
    assert first == 5 and second == int(np.random.SeedSequence([5, 1]).generate_state(1)[0])
    assert study.share > 0.01
    # The warning names the replications the study's own rule asks for: 4 × ratio ÷ 1 %.
    means, errors = study.per_set["net_benefit"], study.per_set["net_benefit_se"]
    needed = math.ceil(4 * float(np.mean(errors ** 2) / np.var(means, ddof=1)) / 0.01)
    assert needed > 4 and study.replications_for_target() == needed
    assert any(warning.startswith("simulation noise") and
               warning.endswith(f"about {needed:,} would bring it under the target "
                                f"(--max-study-replications {needed})")
               for warning in study.warnings), study.warnings


@pytest.mark.slow
def test_a_losing_case_says_so_on_its_first_line(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["roi", str(WITHOUT_MIM), str(WITH_MIM), "-r", "2", "--seed", "5", "-j", "2",
                 "--years", "1", "--investment", "1e9", "--input-sets", "20",
                 "--max-study-replications", "2"]
    for item in SHORT:
        arguments += ["--set", item]
    code, out, _ = run_cli(arguments, capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("The case does not pay:")
    code, out, _ = run_cli([*arguments, "--input-sets", "0"], capsys)
    assert code == 0 and out.splitlines()[0].startswith("The case does not pay:")


@pytest.mark.slow
def test_the_study_json_and_one_pager(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["roi", str(NO_PROCESS), str(WITH_MIM), "-r", "2", "--seed", "5", "-j", "2",
                 "--years", "3", "--input-sets", "30", "--max-study-replications", "2",
                 "--risk-adjust", "downtime_cost_avoided=20%", "--risk-adjust", "costs=0.1",
                 "--format", "json", "-o", str(tmp_path / "case")]
    for item in SHORT:
        arguments += ["--set", item]
    code, out, _ = run_cli(arguments, capsys)
    assert code == 0
    document = json.loads(out)
    net, adjusted = document["distributions"]["net_benefit"], document["risk_adjusted"]["net_benefit"]
    assert net["p5"] <= net["median"] <= net["p95"] and adjusted["median"] < net["median"]
    assert document["input_sets"] == 30 and {item["kind"] for item in document["inputs"]} == {"price"}
    assert 0 <= document["p_net_benefit_negative"] <= 1
    assert "Published:" in document["plausibility"]
    page = (tmp_path / "case" / "roi.html").read_text()
    markdown = (tmp_path / "case" / "roi.md").read_text()
    assert page.count("<img") == 2 and "IDC study for PagerDuty (2021)" in page
    assert "BLS ECEC Dec 2024" in markdown and "(roi-distribution.png)" in markdown
    assert markdown.splitlines()[2].startswith("**The case ")
    assert (tmp_path / "case" / "roi-tornado.png").stat().st_size > 10_000


@pytest.mark.parametrize(("option", "expected"), [
    ("services.customer_portal.failures.every.mean=120d:30d",
     "expected LOW below HIGH; found 120d and 30d"),
    ("services.customer_portal.failures.every.mean=30d:150d:120d", "expected the mode between LOW"),
    ("services.customer_portal.failures.every.mean=30d:60h:120d", "expected the same unit"),
    ("teams.network.roster.0.headcount=0:2", "teams.network.roster.0.headcount=0"),
])
def test_a_bad_uncertain_range_is_one_line_and_exit_2(option: str, expected: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["roi", str(WITHOUT_MIM), str(WITH_MIM), "--uncertain", option], capsys)
    assert code == 2 and out == ""
    message = err.strip().splitlines()[-1]  # after click's usage lines
    assert expected in message and "--uncertain" in message and "Traceback" not in err


class _NoisyPlan:
    """A stand-in plan whose error variance is 3.96 times the spread of its means at two
    replications and falls as 1/R, as a simulation's does."""

    seed = 7
    simulated: list[object] = []

    def __init__(self) -> None:
        self.replications = 0

    def price_sets(self, settings: RoiSettings, reduction: str = "none") -> pd.DataFrame:
        means = np.array([-1.0, 1.0])  # variance 2 (ddof=1)
        error = math.sqrt(2 * 3.96 * 2 / self.replications)  # mean squared error 7.92 × 2 / R
        return pd.DataFrame({"net_benefit": means, "net_benefit_se": [error, error]})


def test_the_next_batch_is_sized_from_the_uncapped_noise_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    """Noise 3.96× the spread at R=2: ⌈2 × 3.96 ÷ 0.1⌉ = 80 replications meet the target in one
    more batch. Sizing from the share (capped at 1) would ask for 20, then 80: three batches."""
    plan = _NoisyPlan()

    def simulate(simulated: object, count: int, seed: int, offset: int, running: object) -> int:
        assert offset == plan.replications
        plan.replications += count
        return 0  # none read back from a cache

    monkeypatch.setattr(roi_study, "simulate", simulate)
    per_set, share, batches, reused = roi_study._replicate(
        plan, RoiSettings(years=3), StudySettings(noise_target=0.1, max_replications=1000), 2,  # type: ignore[arg-type]
        Execution(2, seed=7, workers=1))
    assert [count for _, count in batches] == [2, 78] and reused == 0
    assert share == pytest.approx(0.099) and len(per_set) == 2
