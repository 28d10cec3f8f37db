"""Comparing designs: common random numbers make paired differences exact where they should be."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import Execution
from simulator.experiment.compare import Comparison, compare_designs, design_labels, paired_differences
from simulator.scenario import load_scenario
from simulator.scenario.targets import CHANGE_KPIS, COST_KPIS, INCIDENT_KPIS, OUTAGE_KPIS, TEAM_KPIS
from tests.helpers import run_cli

#: Long statistical runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SHORT = ["run.horizon=6w", "run.warmup=1w"]
SET_SHORT = [part for item in SHORT for part in ("--set", item)]


@pytest.fixture(scope="module")
def mmc_against_one_more_agent() -> Comparison:
    ten = load_scenario(SCENARIOS / "mmc.yaml", SHORT)
    eleven = load_scenario(SCENARIOS / "mmc.yaml", [*SHORT, "teams.agents.agents=11"])
    return compare_designs([("ten", ten), ("eleven", eleven)], Execution(5, seed=11, workers=2))


def _overall(differences: pd.DataFrame) -> pd.DataFrame:
    return differences[differences["scope"] == "overall"].set_index("kpi")


def test_identical_designs_differ_by_exactly_nothing() -> None:
    baseline = load_scenario(SCENARIOS / "baseline.yaml", SHORT)
    comparison = compare_designs([("a", baseline), ("b", baseline)], Execution(3, seed=4, workers=2))
    differences = comparison.differences
    measured = differences[differences["n"] > 0]
    assert len(measured) > 40
    assert (measured[["mean", "ci_low", "ci_high"]] == 0.0).all().all()
    assert not differences["clear"].any()


def test_one_more_agent_leaves_arrivals_exactly_equal_and_clearly_cuts_the_wait(
        mmc_against_one_more_agent: Comparison) -> None:
    overall = _overall(mmc_against_one_more_agent.differences)
    assert tuple(overall.loc["arrived", ["mean", "ci_low", "ci_high"]]) == (0.0, 0.0, 0.0)
    assert not overall.loc["arrived", "clear"]
    wait = overall.loc["mtta_min"]
    assert wait["mean"] < 0 and wait["ci_high"] < 0 and wait["clear"]
    utilisation = mmc_against_one_more_agent.differences.set_index(["scope", "key", "kpi"]).loc[
        ("team", "agents", "utilisation")]
    assert utilisation["mean"] == pytest.approx(0.8 * 10 / 11 - 0.8, abs=0.01)


def test_json_has_every_kpi_of_every_design(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "mmc11.yaml"
    extra.write_text((SCENARIOS / "mmc.yaml").read_text().replace("agents: 10 ", "agents: 11 "))
    code, out, _ = run_cli(["compare", str(SCENARIOS / "mmc.yaml"), str(extra), "-r", "3",
                            "--seed", "2", "-j", "2", "--format", "json", "--out",
                            str(tmp_path / "out"), *SET_SHORT],
                           capsys)
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"designs", "differences"}
    assert [design["scenario"] for design in document["designs"]] == ["mmc", "mmc11"]
    expected = (set(INCIDENT_KPIS) | set(OUTAGE_KPIS) | set(COST_KPIS) | set(CHANGE_KPIS)
                | {f"{p}.{kpi}" for p in ("P1", "P2", "P3", "P4") for kpi in INCIDENT_KPIS}
                | {f"agents.{kpi}" for kpi in TEAM_KPIS})
    for design in document["designs"]:
        assert set(design["kpis"]) == expected
        assert set(design["kpis"]["mtta_min"]) == {"mean", "ci_low", "ci_high", "n"}
    assert {entry["kpi"] for entry in document["differences"]} == expected
    assert all(set(entry) == {"design", "kpi", "mean", "ci_low", "ci_high", "threshold", "clear"}
               for entry in document["differences"])
    by_kpi = {entry["kpi"]: entry for entry in document["differences"]}
    assert by_kpi["mtta_min"]["clear"] and by_kpi["mtta_min"]["mean"] < 0
    assert by_kpi["sla_response_attainment"]["mean"] is None  # no target: null, not zero
    assert json.loads((tmp_path / "out" / "comparison.json").read_text()) == document
    for design in ("mmc", "mmc11"):
        manifest = json.loads((tmp_path / "out" / design / "manifest.json").read_text())
        assert manifest["replications_finished"] == [0, 1, 2]


def test_the_table_marks_clear_differences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = tmp_path / "mmc11.yaml"
    extra.write_text((SCENARIOS / "mmc.yaml").read_text().replace("agents: 10 ", "agents: 11 "))
    code, out, _ = run_cli(["compare", str(SCENARIOS / "mmc.yaml"), str(extra), "-r", "3", "-j",
                            "1", *SET_SHORT], capsys)
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("│ mtta_min"))
    assert "✓" in line
    line = next(line for line in out.splitlines() if line.startswith("│ arrived"))
    assert "✓" not in line


def test_compare_needs_two_designs(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["compare", str(SCENARIOS / "mmc.yaml")], capsys)
    assert code == 2 and "at least two designs" in err


def test_vary_adds_a_design_with_one_change(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["compare", str(SCENARIOS / "mmc.yaml"), "--vary",
                            "teams.agents.agents=11", "-r", "2", "-j", "2", "--format", "json",
                            *SET_SHORT], capsys)
    assert code == 0
    document = json.loads(out)
    assert [design["scenario"] for design in document["designs"]] == [
        "mmc", "mmc[teams.agents.agents=11]"]
    utilisation = next(entry for entry in document["differences"]
                       if entry["kpi"] == "agents.utilisation")
    assert utilisation["mean"] < -0.05


def test_a_certain_but_tiny_difference_is_not_clear() -> None:
    """Under common random numbers 0.001 minutes can be certain; it is still not worth a ✓."""
    rows = [(design, replication, "overall", "", kpi, value + shift, 1)
            for replication, value in enumerate([10.0, 12.0, 11.0])
            for design, shift in (("a", 0.0), ("b", 0.001), ("c", -2.0))
            for kpi in ("mtta_min", "p_wait")]
    kpis = pd.DataFrame(rows, columns=["design", "replication", "scope", "key", "kpi", "value", "n"])
    table = paired_differences(kpis, ["a", "b", "c"]).set_index(["design", "kpi"])
    tiny = table.loc[("b", "mtta_min")]
    assert tiny["ci_low"] > 0 and tiny["threshold"] == 1.0 and not tiny["clear"]
    assert table.loc[("c", "mtta_min"), "clear"]  # two minutes: clear
    assert table.loc[("c", "p_wait"), "threshold"] == 0.005  # half a percentage point for a share
    own = paired_differences(kpis, ["a", "b", "c"], {"mtta_min": 0.0005}).set_index(["design", "kpi"])
    assert own.loc[("b", "mtta_min"), "clear"]


def test_designs_are_labelled_by_the_shortest_part_of_the_key_that_tells_them_apart() -> None:
    assert design_labels(["baseline", "baseline[teams.network.roster.0.headcount=4]",
                          "baseline[teams.service_desk.roster.0.headcount=7]"]) == \
        ["baseline", "headcount=4", "headcount=7"]
    assert design_labels(["baseline[teams.network.roster.0.headcount=4]",
                          "baseline[teams.service_desk.roster.0.headcount=4]"]) == \
        ["network.roster.0.headcount=4", "service_desk.roster.0.headcount=4"]
    assert design_labels(["a", "b[x=1,y=2]"]) == ["a", "b[x=1,y=2]"]
