"""Calibration keeps apart a small group that works while the pooled groups are off duty.

The organisation: a large operations group on weekdays 08–18 takes half the escalated tickets;
two small groups (applications, databases) work the same hours; a small night group works
00–08 every day and is fast (10 minutes at the median). Calibrated with one group kept apart
by volume, the three small groups would be pooled: the pool's hours are learned from all its
members' people, so the night group's tickets would take the day groups' shift and wait for the
morning. A small group whose own people are active while the pool is off duty is kept apart, so
the tickets that arrive at night and reach it are resolved at night, as in the log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from simulator.calibration.learn import calibrate
from simulator.calibration.readers import read_log
from simulator.calibration.writer import scenario_yaml
from simulator.model.simulation import Simulation
from simulator.scenario.loader import load_scenario
from tests.calibration.uci_like import simulated_events, write_uci_like

pytestmark = pytest.mark.slow  # one calibration and two simulations of four weeks

SLOW = {"dist": "lognormal", "median": "2h", "p90": "6h"}
DAYS = [{"days": "Mon-Fri", "start": "08:00", "end": "18:00", "headcount": 6}]
NIGHT_GROUP: dict[str, Any] = {
    "name": "night-group",
    "run": {"start": "2026-01-05T00:00", "horizon": "4w", "warmup": "0m", "replications": 1, "seed": 5},
    "arrivals": {"P3": {"volume": "150/day"}},
    "teams": {"desk": {"agents": 10},
              "ops": {"roster": [{"days": "Mon-Fri", "start": "08:00", "end": "18:00", "headcount": 30}]},
              "app": {"roster": DAYS}, "db": {"roster": DAYS},
              "owl": {"roster": [{"days": "Mon-Sun", "start": "00:00", "end": "08:00", "headcount": 4}]}},
    "flow": {
        "desk": {"team": "desk", "handling": {"dist": "lognormal", "median": "5m", "p90": "10m"},
                 "first_contact_resolution": 0.0,
                 "escalation": {"ops": 0.5, "app": 0.15, "db": 0.15, "owl": 0.2}},
        "groups": {"ops": {"handling": SLOW}, "app": {"handling": SLOW}, "db": {"handling": SLOW},
                   "owl": {"handling": {"dist": "lognormal", "median": "10m", "p90": "20m"}}}},
}


def _resolved_within_hour_at_night(events: pd.DataFrame) -> float:
    """Of the tickets opened between 00:00 and 06:00, the share resolved within an hour."""
    times = events.assign(timestamp=pd.to_datetime(events["timestamp"]))
    opened = times[times["activity"] == "arrived"].groupby("case_id")["timestamp"].min()
    resolved = times[times["activity"] == "resolved"].groupby("case_id")["timestamp"].min()
    night = opened[opened.dt.hour < 6]
    hours = (resolved.reindex(night.index) - night).dt.total_seconds() / 3600.0
    return float((hours <= 1.0).mean())


@pytest.fixture(scope="module")
def night_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    events = simulated_events(NIGHT_GROUP, "night-group", 5)
    path = write_uci_like(events, "desk", tmp_path_factory.mktemp("night") / "night.csv")
    return path, _resolved_within_hour_at_night(events)


def test_a_small_night_group_is_kept_apart_and_resolves_at_night(night_log: tuple[Path, float]) -> None:
    path, real_share = night_log
    assert real_share == pytest.approx(0.2, abs=0.05)  # the night group's tickets, at once
    calibration = calibrate(read_log(path, "servicenow"), n_groups=1)
    teams = set(calibration.scenario["teams"])
    assert {"group_ops", "group_owl", "other"} <= teams  # the day groups stay pooled
    assert not teams & {"group_app", "group_db"}
    learned = path.with_suffix(".yaml")
    learned.write_text(scenario_yaml(calibration.scenario, calibration.comments, "learned"))
    simulation = Simulation(load_scenario(learned), 0, 11)
    simulation.run()
    assert _resolved_within_hour_at_night(simulation.results().events) == pytest.approx(real_share, abs=0.05)
