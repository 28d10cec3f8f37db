"""The simulator against queueing theory, where theory has exact answers.

* ``scenarios/mmc.yaml`` against Erlang C: the probability of waiting and the mean wait.
* Two priority classes on one M/M/c queue against Cobham's non-preemptive priority formula.
* Little's law between the model's own time-weighted queue-length monitor and
  arrival rate × mean wait measured from the event log.

A value passes when it lies within max(the 99 % confidence half-width, 2 %) of
the exact value; for Erlang C the half-width itself must be under 5 %, so a
test that is merely imprecise cannot pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.experiment import Execution, confidence_interval, run_experiment
from simulator.experiment.run import RunResult
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario
from tests.helpers import scenario
from tests.validation.scenarios import TWO_CLASS_WAITS_MIN, TWO_CLASSES, erlang_c

#: Long statistical runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

MMC = Path(__file__).parents[2] / "scenarios" / "mmc.yaml"
REPLICATIONS = 20


@pytest.fixture(scope="module")
def mmc_run() -> RunResult:
    return run_experiment(load_scenario(MMC), Execution(REPLICATIONS, workers=2))


def _values(run: RunResult, kpi: str, key: str = "") -> pd.Series:
    kpis = run.kpis
    return kpis[(kpis["kpi"] == kpi) & (kpis["key"] == key)]["value"]


def _close_to(values: pd.Series, exact: float, max_half_width: float) -> None:
    mean, low, high, n = confidence_interval(values, 0.99)
    half_width = (high - low) / 2.0
    assert n == len(values) > 1
    assert half_width / exact < max_half_width, f"too imprecise: ±{half_width:.4g}"
    assert abs(mean - exact) <= max(half_width, 0.02 * exact), (
        f"mean {mean:.5g} vs exact {exact:.5g} (99 % half-width {half_width:.4g})")


def test_mmc_probability_of_waiting_is_erlang_c(mmc_run: RunResult) -> None:
    _close_to(_values(mmc_run, "p_wait"), erlang_c(10, 8.0), 0.05)


def test_mmc_mean_wait_is_erlang_c(mmc_run: RunResult) -> None:
    exact_min = 60.0 * erlang_c(10, 8.0) / (10 * 1.0 - 8.0)  # C / (cμ − λ), hours → minutes
    assert np.isclose(exact_min, 12.2754, atol=1e-4)
    _close_to(_values(mmc_run, "mtta_min"), exact_min, 0.05)


def test_mmc_utilisation_is_the_offered_load_per_agent(mmc_run: RunResult) -> None:
    _close_to(_values(mmc_run, "utilisation", "agents"), 0.8, 0.05)


def test_two_priority_classes_follow_cobham() -> None:
    run = run_experiment(scenario(base=TWO_CLASSES), Execution(10, workers=2))
    for priority, exact in zip(("P1", "P3"), TWO_CLASS_WAITS_MIN, strict=True):
        _close_to(_values(run, "mtta_min", priority), exact, 0.15)
    # The premise of the test: the urgent class really waits far less than the routine one.
    assert TWO_CLASS_WAITS_MIN[1] > 4 * TWO_CLASS_WAITS_MIN[0]


@pytest.mark.parametrize("base", ["mmc", "two classes"])
def test_littles_law_holds_between_the_queue_monitor_and_the_log(base: str) -> None:
    chosen = load_scenario(MMC) if base == "mmc" else scenario(base=TWO_CLASSES)
    simulation = Simulation(chosen, replication=3)
    simulation.run()
    log = simulation.results()
    events = log.events
    window_min = (log.end - log.warmup_end).total_seconds() / 60.0
    queued = events[(events["activity"] == "queued") & (events["timestamp"] >= log.warmup_end)]
    started = events[events["activity"] == "work started"]
    waits = (started.groupby("case_id", observed=True)["timestamp"].min()
             - queued.groupby("case_id", observed=True)["timestamp"].min()).dropna()
    arrival_rate = len(queued) / window_min  # per minute; one queue entry per incident here
    mean_wait = waits.dt.total_seconds().mean() / 60.0
    team = next(iter(chosen.teams))
    monitored = log.monitors["queue_length_mean"][team]
    assert monitored > 1.0  # a real queue, not an empty one
    assert np.isclose(monitored, arrival_rate * mean_wait, rtol=0.01)
