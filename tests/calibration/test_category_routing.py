"""Calibration by category: where the log has a category, arrival streams, the desk's escalation
and whole paths are learned per priority × category, so an organisation whose categories route
differently after the same first group calibrates back to those routes.

The organisation: every ticket goes from the desk to a triage group; triage sends network tickets
on to ``net`` eight times in ten and software tickets to ``app`` eight times in ten (resolving the
rest itself). By priority and previous group alone the two look the same (to ``net`` or ``app``
four times in ten each); only the category tells them apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from simulator.calibration.learn import calibrate
from simulator.calibration.readers import read_log
from simulator.calibration.writer import scenario_yaml
from simulator.model.simulation import Simulation
from simulator.scenario.loader import load_scenario
from tests.calibration.uci_like import simulated_events, write_uci_like

pytestmark = pytest.mark.slow  # two calibrations and three simulations of four weeks

HOUR = {"dist": "lognormal", "median": "40m", "p90": "2h"}
BY_CATEGORY: dict[str, Any] = {
    "name": "by-category",
    "run": {"start": "2026-01-05T00:00", "horizon": "4w", "warmup": "0m", "replications": 1, "seed": 3},
    "arrivals": {"network": {"volume": "80/day"}, "software": {"volume": "80/day"}},
    "teams": {"desk": {"agents": 10}, "triage": {"agents": 20}, "net": {"agents": 20}, "app": {"agents": 20}},
    "flow": {
        "desk": {"team": "desk", "handling": {"dist": "lognormal", "median": "5m", "p90": "10m"},
                 "first_contact_resolution": 0.0, "escalation": {"triage": 1.0}},
        "groups": {"triage": {"handling": HOUR}, "net": {"handling": HOUR}, "app": {"handling": HOUR}},
        "paths": [
            {"first": "triage", "category": "network", "paths": {"triage > net": 0.8, "triage": 0.2}},
            {"first": "triage", "category": "software", "paths": {"triage > app": 0.8, "triage": 0.2}}]},
}


@pytest.fixture(scope="module")
def category_logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    events = simulated_events(BY_CATEGORY, "by-category", 3)
    folder = tmp_path_factory.mktemp("category")
    return (write_uci_like(events, "desk", folder / "with-category.csv", category=True),
            write_uci_like(events, "desk", folder / "without-category.csv"))


def _second_group(path: Path) -> tuple[dict[str, Any], pd.Series]:
    """The learned scenario (``--routing paths``), and per category of its simulation the share of
    tickets that go from the triage group on to ``net``."""
    calibration = calibrate(read_log(path, "servicenow"), n_groups=4, routing="paths")
    learned = path.with_suffix(".yaml")
    learned.write_text(scenario_yaml(calibration.scenario, calibration.comments, "learned"))
    simulation = Simulation(load_scenario(learned), 0, 11)
    simulation.run()
    events = simulation.results().events
    queued = events[events["activity"] == "queued"].groupby("case_id")["team"].apply(list)
    category = events.drop_duplicates("case_id").set_index("case_id")["category"].astype(str)
    to_net = queued.map(lambda teams: len(teams) > 2 and teams[2] == "group_net")
    return yaml.safe_load(learned.read_text()), to_net.groupby(category.reindex(queued.index)).mean()


def test_categories_that_route_differently_come_back_by_category(category_logs: tuple[Path, Path]) -> None:
    scenario, to_net = _second_group(category_logs[0])
    assert set(scenario["arrivals"]) == {"P3 network", "P3 software"}
    rules = {rule.get("category"): rule["paths"] for rule in scenario["flow"]["paths"]}
    # each share is its count over the stratum's ~2,200 tickets + 10 pseudo-tickets
    assert rules["P3 network"]["group_triage > group_net"] == pytest.approx(0.8, abs=0.03)
    assert rules["P3 software"]["group_triage > group_app"] == pytest.approx(0.8, abs=0.03)
    assert "group_triage > group_app" not in rules["P3 network"]
    assert to_net["P3 network"] == pytest.approx(0.8, abs=0.04)
    assert to_net["P3 software"] < 0.02


def test_without_the_category_the_two_routes_blur_into_one(category_logs: tuple[Path, Path]) -> None:
    scenario, to_net = _second_group(category_logs[1])
    assert set(scenario["arrivals"]) == {"P3"}
    # neither 0.8 nor 0: routing by first group and priority cannot tell them apart
    assert to_net["P3"] == pytest.approx(0.4, abs=0.04)
