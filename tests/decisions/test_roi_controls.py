"""Control variates for the ROI study (issue 17, item 6): exact means, an unbiased estimator, honest errors.

Checked: the controls are the outages the model plays out (its own outage plans, per service,
split by whether their planned restore falls in business hours), and over many replications of
the outage process alone their averages match the means the module states (rate × business
minutes, with the edge term where the window is not whole weeks); on a synthetic generator
whose truth is known, the control-variate estimate is unbiased within its error, its 95 %
interval covers the truth about 95 % of the time, and its variance is what theory says, a
fraction of the plain mean's; a design against itself still gains exactly nothing with
controls in use; with too few replications the estimator is the plain mean.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator.experiment import Execution
from simulator.experiment.roi import RoiSettings
from simulator.experiment.roi_controls import controlled_means, outage_controls
from simulator.experiment.roi_study import StudySettings, run_roi_study
from simulator.model.outages import OutagePlan, plan_outages
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SERVICES = ("customer_portal", "email", "network_core")
FREQUENT = ["run.horizon=10w", "run.warmup=1w",
            *(f"services.{name}.failures.every.mean=4d" for name in SERVICES)]


def _planned_restore(plan: OutagePlan) -> float:
    return plan.start + (plan.detection_delay or 0.0) + plan.diagnosis + plan.fix + plan.recovery


def test_the_controls_are_the_outages_the_model_plays_out() -> None:
    """Per service: the outages of the model's own plans (the streams a replication has) that
    start after the warm-up, split by whether their planned restore falls in business hours."""
    scenario = load_scenario(SCENARIOS / "with-mim.yaml", FREQUENT)
    controls = outage_controls(scenario)
    # Every service fails as a Poisson process and has business hours: two controls each, in
    # the order of the downtime cost they put at risk at base prices (network first).
    assert sorted(controls.names) == sorted(f"{service}.restored {where}" for service in SERVICES
                                            for where in ("in business hours", "out of hours"))
    assert controls.names[0] == "network_core.restored in business hours"
    for replication in (0, 3):
        simulation = Simulation(scenario, replication, 17)  # its streams, as a replication has them
        plans = [plan for plan in plan_outages(scenario, simulation.streams)
                 if plan.start >= scenario.run.warmup]
        values = dict(zip(controls.names, controls.values(17, replication), strict=True))
        for index, service in enumerate(SERVICES):
            clock = controls.services[index].clock
            assert clock is not None
            mine = [plan for plan in plans if plan.service == service]
            business = [plan for plan in mine if clock.is_open(_planned_restore(plan))]
            assert 0 < len(business) < len(mine)
            assert values[f"{service}.restored in business hours"] == len(business)
            assert values[f"{service}.restored out of hours"] == len(mine) - len(business)


@pytest.mark.parametrize("horizon", ["10w", "68d"])
def test_the_controls_average_to_their_stated_means(horizon: str) -> None:
    """Over 300 replications of the outage process (no simulation), every control's average is
    within 4 standard errors of its stated mean. A 9-week window: λ × the business minutes of
    9 weeks (Mon–Fri 08–17), exactly; a 61-day window also needs the edge term."""
    scenario = load_scenario(SCENARIOS / "with-mim.yaml",
                             [*FREQUENT, f"run.horizon={horizon}"])
    controls = outage_controls(scenario)
    table = controls.table(99, range(300))
    rate = 1 / (4 * 24 * 60)
    business, window = 9 * 5 * 9 * 60, scenario.run.horizon - scenario.run.warmup
    if horizon == "10w":  # no holiday in the window; the edge term only sees one in the far tail
        assert controls.means[controls.names.index("email.restored in business hours")] == \
            pytest.approx(rate * business, rel=1e-4)
    means = dict(zip(controls.names, controls.means, strict=True))
    total = means["email.restored in business hours"] + means["email.restored out of hours"]
    assert total == pytest.approx(rate * window)
    errors = table.std(ddof=1) / math.sqrt(len(table))
    z = (table.mean() - controls.means) / errors
    assert (z.abs() < 4).all(), z.to_dict()


def _synthetic(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A replication's figure driven by two Poisson counts (means 6 and 14) and skewed
    per-event noise, the way outages drive a net benefit; its expectation is 100 + 40·6 + 10·14."""
    counts = rng.poisson([6.0, 14.0], size=(n, 2)).astype(float)
    per_event = np.array([rng.lognormal(0, 1, int(k)).sum() - int(k) * math.exp(0.5) for k in counts[:, 0]])
    figure = 100 + 40 * counts[:, 0] + 10 * counts[:, 1] + 15 * per_event + rng.normal(0, 20, n)
    return pd.DataFrame({"net": figure}), pd.DataFrame(counts, columns=["a", "b"])


def test_on_a_synthetic_generator_the_estimator_is_unbiased_covers_and_has_less_variance() -> None:
    truth, n, repetitions = 100 + 40 * 6 + 10 * 14, 30, 2000
    rng = np.random.default_rng(2024)
    means = np.array([6.0, 14.0])
    estimates, plain, covered = [], [], 0
    for _ in range(repetitions):
        figures, controls = _synthetic(rng, n)
        estimate, error, used = controlled_means(figures, controls, means)
        assert used == 2
        estimates.append(float(estimate["net"]))
        plain.append(float(figures["net"].mean()))
        half = stats.t.ppf(0.975, n - 3) * float(error["net"])
        covered += abs(estimates[-1] - truth) <= half
    estimates_array = np.array(estimates)
    # Unbiased: the average of 2,000 estimates is within 4 of its standard errors of the truth.
    assert abs(estimates_array.mean() - truth) < 4 * estimates_array.std(ddof=1) / math.sqrt(repetitions)
    # The interval covers about 95 % (binomial 99.9 % band of 2,000 trials: ±1.6 points).
    assert 0.93 <= covered / repetitions <= 0.97, covered / repetitions
    # Its variance is the plain mean's × (1 − R²) × (n − 2) ÷ (n − q − 2) [Lavenberg & Welch]: the
    # per-event noise (15² × 6 × Var of a lognormal(0, 1)) and the normal noise are what the
    # counts cannot explain.
    unexplained = 15 ** 2 * 6 * (math.e - 1) * math.e + 20 ** 2
    total = 40 ** 2 * 6 + 10 ** 2 * 14 + unexplained
    expected_ratio = unexplained / total * (n - 2) / (n - 2 - 2)
    assert estimates_array.var() / np.var(plain) == pytest.approx(expected_ratio, rel=0.15)
    assert expected_ratio < 0.45


def test_too_few_replications_for_a_control_give_the_plain_mean() -> None:
    figures, controls = _synthetic(np.random.default_rng(1), 5)
    estimate, error, used = controlled_means(figures, controls, np.array([6.0, 14.0]))
    assert used == 0
    assert float(estimate["net"]) == pytest.approx(float(figures["net"].mean()))
    assert float(error["net"]) == pytest.approx(float(figures["net"].std(ddof=1)) / math.sqrt(5))


@pytest.mark.slow
def test_a_design_against_itself_gains_exactly_nothing_with_controls_in_use() -> None:
    with_mim = SCENARIOS / "with-mim.yaml"
    study = run_roi_study((with_mim, with_mim), RoiSettings(years=3),
                          StudySettings(input_sets=10, max_replications=11),
                          Execution(11, seed=5, workers=2), overrides=FREQUENT)
    assert (study.per_set["controls"] == 2).all()  # ⌊(11 − 1) ÷ 5⌋ of the six
    for figure in ("downtime_cost_avoided", "staff_cost_difference", "annual_benefit", "net_benefit"):
        assert (study.per_set[figure] == 0.0).all(), figure
    assert study.document()["variance_reduction"] == "controls"
