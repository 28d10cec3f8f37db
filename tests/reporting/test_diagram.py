"""The process graph and its diagram: nodes, edges and probabilities from the scenario; PNG and SVG."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from simulator.reporting.diagram import _DPI, diagram_figure, overlapping_labels
from simulator.scenario.checks import NEW_INCIDENTS, RESOLVED
from simulator.scenario.loader import load_scenario
from simulator.scenario.process import CLOSED, process_graph
from tests.helpers import TINY, merge, run_cli, scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
ROUTED = merge(TINY, {
    "teams": {"L2": {"agents": 2}, "L3": {"agents": 1}},
    "flow": {"desk": {"first_contact_resolution": 0.6, "escalation": {"L2": 0.75, "L3": 0.25}},
             "groups": {"L2": {"handling": "1h", "transfer": {"L3": 0.2}},
                        "L3": {"handling": "2h"}}}})


def test_the_graph_carries_the_scenarios_routing_probabilities() -> None:
    graph = process_graph(scenario(base=ROUTED))
    labels = {(source, target): data["label"] for source, target, data in graph.edges(data=True)}
    assert labels == {
        (NEW_INCIDENTS, "desk"): "",
        ("desk", RESOLVED): "60%",          # first-contact resolution
        ("desk", "L2"): "30%",              # 40 % escalated × 75 %
        ("desk", "L3"): "10%",              # 40 % escalated × 25 %
        ("L2", "L3"): "20%",
        ("L2", RESOLVED): "80%",
        ("L3", RESOLVED): "100%",
        (RESOLVED, CLOSED): "",
    }
    assert {data["lane"] for _, data in graph.nodes(data=True)} == {0}  # no outages, changes, problems
    assert graph.nodes["L2"]["label"] == "L2\n2 agents 24×7"


@pytest.mark.parametrize("name", ["baseline", "with-mim"])
def test_what_leaves_each_team_adds_up_to_one(name: str) -> None:
    loaded = load_scenario(SCENARIOS / f"{name}.yaml")
    graph = process_graph(loaded)
    for team in [loaded.flow.desk.team, *loaded.flow.groups]:
        shares = [float(graph.edges[team, target]["label"].rstrip("%")) / 100
                  for target in graph.successors(team) if graph.edges[team, target]["label"]]
        assert math.isclose(sum(shares), 1.0, abs_tol=0.01), (team, shares)


def test_the_major_incident_and_change_lanes_appear_when_enabled() -> None:
    baseline = process_graph(load_scenario(SCENARIOS / "baseline.yaml"))
    with_mim = process_graph(load_scenario(SCENARIOS / "with-mim.yaml"))
    assert {data["lane"] for _, data in baseline.nodes(data=True)} == {0}
    assert {data["lane"] for _, data in with_mim.nodes(data=True)} == {0, 1, 2}
    path = ["(outage)", "(detected)", "(declared)", "(assembled)", "(decision)", "(emergency change)",
            "(restored)"]
    assert all(with_mim.has_edge(a, b) for a, b in itertools.pairwise(path))
    assert with_mim.edges["(decision)", "(emergency change)"]["label"] == "customer_portal"
    assert with_mim.edges["(detected)", "service_desk"]["label"] == "tickets"
    assert with_mim.edges["(changes)", "(cab)"]["label"] == "approved 90%"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.stem)
@pytest.mark.slow
def test_no_labels_overlap_in_any_shipped_scenario(path: Path) -> None:
    figure = diagram_figure(load_scenario(path))
    try:
        assert overlapping_labels(figure) == []
    finally:
        plt.close(figure)


@pytest.mark.slow
def test_diagram_writes_a_png_of_the_figures_size_that_is_not_blank(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "with-mim.png"
    code, _, err = run_cli(["diagram", str(SCENARIOS / "with-mim.yaml"), "-o", str(out)], capsys)
    assert code == 0, err
    figure = diagram_figure(load_scenario(SCENARIOS / "with-mim.yaml"))
    width, height = figure.get_size_inches() * _DPI
    plt.close(figure)
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert abs(image.width - width) <= 1 and abs(image.height - height) <= 1
        assert image.width > 1000  # three lanes, seven columns: big enough to read at 100 %
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20
    inked = (pixels < 200).mean()
    assert 0.02 < inked < 0.5, inked  # boxes, arrows and text on a white page


def test_diagram_writes_an_svg_with_the_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "baseline.svg"
    code, _, err = run_cli(["diagram", str(SCENARIOS / "baseline.yaml"), "-o", str(out)], capsys)
    assert code == 0, err
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = out.read_text()
    for label in ("service_desk", "applications", "network", "resolved", "60%"):
        assert f"<!-- {label}" in text, label


def test_diagram_refuses_other_file_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["diagram", str(SCENARIOS / "baseline.yaml"), "-o", str(tmp_path / "x.pdf")],
                           capsys)
    assert code == 2
    assert ".png or .svg" in err and "x.pdf" in err
