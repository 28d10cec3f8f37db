"""Warm-up: MSER-5 on known series, the choice of period, the plot, and run's note."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from simulator.experiment.warmup import analyse_warmup, choose_period, mser
from simulator.scenario import load_scenario
from tests.helpers import run_cli, scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def test_mser5_cuts_a_transient_and_keeps_a_stationary_series_whole() -> None:
    t = np.arange(200)
    rising = 100 * (1 - np.exp(-t / 10)) + np.random.default_rng(3).normal(0, 2, 200)
    truncation, statistic = mser(rising)
    assert 40 <= truncation * 5 <= 100  # past the bulk of the transient, within the first half
    assert len(statistic) == 21 and np.argmin(statistic) == truncation
    for seed in range(5):
        assert mser(np.random.default_rng(seed).normal(0, 1, 200))[0] == 0


def test_mser5_on_batches_of_five_by_hand() -> None:
    # Batches of 5 (means 0, 10, 10, 10): cutting the first batch leaves a constant tail.
    series = np.array([0.0] * 5 + [10.0] * 15)
    truncation, statistic = mser(series)
    assert truncation == 1
    assert statistic[0] == pytest.approx(75.0 / 16)  # Σ(b - 7.5)² = 56.25 + 3×6.25 = 75, / 4²
    assert statistic[1] == 0.0


def _backlog(values: list[list[float]]) -> pd.DataFrame:
    frames = []
    for replication, series in enumerate(values):
        frames.append(pd.DataFrame({
            "replication": replication,
            "time": pd.date_range("2026-01-05", periods=len(series), freq="h"),
            "team": "(all)", "open": series}))
    return pd.concat(frames, ignore_index=True)


def test_the_series_is_averaged_per_period_and_across_replications() -> None:
    hours = 24 * 12 + 1  # twelve whole days and the final instant
    one = [float(hour // 24) for hour in range(hours)]
    two = [value + 2.0 for value in one]
    analysis = analyse_warmup(_backlog([one, two]), "day")
    assert len(analysis.series) == 12
    assert analysis.series["mean"].tolist() == [day + 1.0 for day in range(12)]
    assert analysis.series["low"].tolist() == [float(day) for day in range(12)]
    assert analysis.series["high"].tolist() == [day + 2.0 for day in range(12)]


def test_the_period_follows_resolution_times_and_the_arrival_shape() -> None:
    assert choose_period(load_scenario(SCENARIOS / "mmc.yaml"), 2.6) == "hour"
    assert choose_period(load_scenario(SCENARIOS / "mmc.yaml"), 30.0) == "week"
    assert choose_period(load_scenario(SCENARIOS / "baseline.yaml"), 2.0) == "week"
    daily = scenario({"arrivals": {"calls": {"at": None, "volume": "10/h",
                                             "hour_of_day": [1 / 24] * 24}}})
    assert choose_period(daily, 3.0) == "day"


@pytest.mark.slow
def test_the_warmup_command_suggests_and_plots(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "warmup.png"
    code, out, _ = run_cli(["warmup", str(SCENARIOS / "baseline.yaml"), "-r", "3", "-j", "2",
                            "--set", "run.horizon=30w", "--set", "run.warmup=1w",
                            "--plot", str(plot)], capsys)
    assert code == 0
    assert "MSER-5 on the backlog (weekly means, batches of 5) suggests a warm-up of" in out
    assert "The configured 1w is too short." in out
    image = matplotlib.image.imread(plot)
    assert image.shape[:2] == (715, 990)
    assert image[..., :3].std() > 0.05  # not a blank canvas


@pytest.mark.slow
def test_run_notes_a_warmup_that_looks_too_short(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["run", str(SCENARIOS / "baseline.yaml"), "-r", "3", "-j", "2",
                            "--set", "run.horizon=30w", "--set", "run.warmup=0m"], capsys)
    assert code == 0
    assert "note: the warm-up (0m) looks too short: MSER-5 on the backlog (weekly means)" in err
