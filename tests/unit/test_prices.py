"""Prices with ranges and sources, downtime priced by hour and length, and re-pricing (issue 17).

The invariant the ROI study rests on: a price never changes what the simulation does, and the
money KPIs are the drivers (minutes, hours, breaches) times the prices — so input sets that
differ only in prices can re-price the same replications.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

from simulator.experiment.replications import run_replication
from simulator.experiment.uncertainty import (
    UncertainInput,
    for_scenario,
    is_price_path,
    latin_hypercube,
    parse_uncertain,
    price_leaves,
    with_values,
)
from simulator.metrics.pricing import DowntimeTerms, Prices, downtime_minutes, driver_table, price_drivers
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario
from simulator.scenario.calendars import Calendar
from simulator.scenario.errors import ScenarioError
from simulator.scenario.estimates import Estimate
from tests.helpers import run_cli, scenario

ROOT = Path(__file__).parents[2]
WITH_MIM = ROOT / "scenarios" / "with-mim.yaml"
SHORT = ["run.horizon=4w", "run.warmup=1w", "priorities.P1.breach_penalty=700",
         "priorities.P2.response_breach_penalty={min: 10, mode: 20, max: 90, source: contract}",
         *(f"services.{name}.failures.every.mean=3d" for name in ("customer_portal", "email",
                                                                   "network_core"))]


@pytest.mark.parametrize(("written", "base", "shape"), [
    (45, 45.0, None),
    ({"value": 45, "source": "BLS"}, 45.0, "fixed"),
    ({"min": 35, "mode": 45, "max": 65}, 45.0, "triangular"),
    ({"min": 35, "mode": 40, "max": 65, "dist": "pert"}, 40.0, "pert"),
    ({"min": 30, "max": 60}, 45.0, "uniform"),
])
def test_a_price_is_a_number_or_a_range_and_a_run_uses_its_base(written: object, base: float,
                                                               shape: str | None) -> None:
    cost = scenario({"teams": {"desk": {"hourly_cost": written}}}).teams["desk"].hourly_cost
    assert cost == base and isinstance(cost, float)
    assert (cost.shape if isinstance(cost, Estimate) else None) == shape


@pytest.mark.parametrize(("written", "expected"), [
    ({"min": 2000, "mode": 10000, "max": 9000}, "expected the mode between min and max; found mode "
                                                "10000 above max 9000"),
    ({"min": 9000, "max": 2000}, "expected min below max; found min 9000, max 2000"),
    ({"min": 1, "mod": 2, "max": 3}, "unknown key 'mod': did you mean 'mode'?"),
    ({"min": 1, "mode": 2, "max": 3, "dist": "uniform"}, "expected no mode for a uniform range"),
    ({"min": 1, "max": 3, "dist": "pert"}, "expected a mode for a pert range"),
    ({"min": -1, "max": 3}, "expected min of 0 or more; found -1"),
])
def test_a_bad_range_is_one_problem_naming_the_key(written: object, expected: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        scenario({"teams": {"desk": {"hourly_cost": written}}})
    (problem,) = raised.value.problems
    assert problem.path == ("teams", "desk", "hourly_cost") and expected in problem.message


def test_a_bad_range_in_a_file_is_one_line_and_exit_2(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(f"extends: {WITH_MIM}\nteams:\n  network:\n"
                    f"    hourly_cost: {{min: 20, mode: 100, max: 90}}\n")
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and out == ""
    assert err.strip() == (f"{path}:4: teams.network.hourly_cost: expected the mode between min "
                           f"and max; found mode 100 above max 90")
    # A range written over a detailed downtime cost (extends merges mappings) names both forms.
    path.write_text(f"extends: {WITH_MIM}\nservices:\n  customer_portal:\n"
                    f"    downtime_cost: {{min: 2000, mode: 5000, max: 9000}}\n")
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "expected either a cost per minute" in err and "write the whole downtime_cost" in err


def test_pert_and_triangular_quantiles_have_their_textbook_means() -> None:
    def mean(item: UncertainInput) -> float:
        return integrate.quad(lambda u: float(item.quantile(np.array([u]))[0]), 0, 1, limit=200)[0]

    pert = UncertainInput("x", 2000.0, 5600.0, 9000.0, "pert")
    triangle = UncertainInput("x", 2000.0, 5600.0, 9000.0, "triangular")
    assert mean(pert) == pytest.approx((2000 + 4 * 5600 + 9000) / 6, rel=1e-6)
    assert mean(triangle) == pytest.approx((2000 + 5600 + 9000) / 3, rel=1e-6)


def test_a_latin_hypercube_uses_each_stratum_of_each_input_once() -> None:
    inputs = [UncertainInput("a", 0.0, None, 1.0, "uniform"),
              UncertainInput("b", 10.0, None, 20.0, "uniform")]
    sets = latin_hypercube(inputs, 50, seed=4)
    assert sorted(np.floor(sets["a"] * 50).astype(int)) == list(range(50))
    assert sorted(np.floor((sets["b"] - 10) / 10 * 50).astype(int)) == list(range(50))
    assert sets.equals(latin_hypercube(inputs, 50, seed=4))


def test_downtime_is_priced_by_business_hours_and_past_the_ramp() -> None:
    office = Calendar.model_validate({"hours": {"Mon-Fri": "08:00-17:00"}})
    terms = DowntimeTerms(100.0, 10.0, office, ramp_after_min=90.0, ramp_per_min=5.0)
    monday = dt.datetime(2026, 1, 5)
    # Monday 16:00-18:00, and an overlapping outage 17:30-18:30 (counted once).
    minutes = downtime_minutes([(16 * 60.0, 18 * 60.0), (17.5 * 60, 18.5 * 60)], terms, monday,
                               (0.0, 7 * 24 * 60.0))
    assert minutes == (150.0, 60.0, 60.0)  # 16:00-18:30; 16:00-17:00 in hours; after 17:30
    assert terms.cost(*minutes) == 60 * 100 + 90 * 10 + 60 * 5
    # The measured window cuts the outage, not the ramp's start.
    assert downtime_minutes([(16 * 60.0, 18 * 60.0)], terms, monday, (17 * 60.0, 24 * 60.0)) \
        == (60.0, 0.0, 30.0)


def test_prices_never_change_the_run_and_re_pricing_gives_the_money_kpis() -> None:
    base = load_scenario(WITH_MIM, SHORT)
    leaves = price_leaves(base)
    assert all(is_price_path(path) for path in leaves)
    doubled = with_values(base, {path: 2 * float(value) + 1 for path, value in leaves.items()})
    logs = []
    for chosen in (base, doubled):
        simulation = Simulation(chosen, replication=0, seed=9)
        simulation.run()
        logs.append(simulation.results().events)
    assert logs[0].equals(logs[1])
    for chosen in (base, doubled):
        result = run_replication(chosen, 0, 9)
        kpis = result.kpis
        money = price_drivers(driver_table(kpis), Prices.of(chosen)).iloc[0]
        overall = kpis[kpis["scope"] == "overall"].set_index("kpi")["value"]
        for kpi in ("downtime_cost", "staff_cost", "sla_penalty"):
            assert money[kpi] == pytest.approx(overall[kpi], rel=1e-9), kpi
        assert overall["downtime_cost"] > 0 and overall["sla_penalty"] > 0


def test_a_model_input_is_drawn_whole_where_the_scenario_holds_a_whole_number() -> None:
    with_mim = load_scenario(WITH_MIM)
    headcount = for_scenario(parse_uncertain("teams.network.roster.0.headcount=2:5"), with_mim)
    assert headcount.whole and headcount.kind == "model"
    assert set(latin_hypercube([headcount], 40, seed=1)[headcount.path]) == {2.0, 3.0, 4.0, 5.0}
    factor = for_scenario(parse_uncertain("major_incident.solo_diagnosis_factor=1:2:3"), with_mim)
    assert not factor.whole and len(set(latin_hypercube([factor], 40, seed=1)[factor.path])) == 40


@pytest.mark.parametrize("name", ["with-mim.yaml", "without-mim.yaml", "without-mim-or-on-call.yaml",
                                  "baseline.yaml"])
def test_every_shipped_price_of_the_roi_scenarios_is_a_range_with_its_source(name: str) -> None:
    """The worked example's prices are never one bare figure: each is a range with a source
    (the counts of users affected excepted: their basis is in the file's comments)."""
    leaves = price_leaves(load_scenario(ROOT / "scenarios" / name))
    bare = [path for path, value in leaves.items()
            if value and not path.endswith(".users")
            and not (isinstance(value, Estimate) and value.uncertain and value.source)]
    assert len(leaves) >= 5 and bare == []
