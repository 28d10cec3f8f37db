"""--set, --vary and --grid paths: checked against the scenario, list items by name, the last word wins.

A path that names no team, priority, shift or key is one line with the closest name ("did you
mean"), exit 2 — never a silent new entry that changes nothing; ``extends`` cannot be
overridden; shifts (and other named list items) are addressed by name; of keys that exclude
each other (``agents``/``roster``, ``horizon``/``measure``) the one given last replaces the other.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.experiment.grid import parse_grid
from simulator.experiment.sweep import plan_sweep
from simulator.scenario import ScenarioError, load_scenario, scenario_hash
from tests.helpers import TINY, merge, run_cli

SCENARIOS = Path(__file__).parents[2] / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
CLOUDFLARE = SCENARIOS / "exercises" / "cloudflare-2019-waf.yaml"


@pytest.mark.parametrize(("override", "message"), [
    ("teams.netwrok.agents=4",
     "--set teams.netwrok.agents=4: teams.netwrok: expected the name of a team of the scenario "
     "(service_desk, applications, infrastructure, network, end_user_support); found 'netwrok' "
     "(did you mean 'network'?) (--set changes what is there; to add a team, write a scenario "
     "file that extends this one)"),
    ("priorities.P5.response=5m",
     "--set priorities.P5.response=5m: priorities.P5: expected the name of a priority of the "
     "scenario (P1, P2, P3, P4); found 'P5' (did you mean 'P4'?) (--set changes what is there; "
     "to add a priority, write a scenario file that extends this one)"),
    ("extends=mmc.yaml",
     "--set extends=mmc.yaml: extends: expected a key --set can change; found 'extends', which is "
     "read before overrides apply (write a scenario file that extends another instead)"),
    ("teams.service_desk.roster.lat.headcount=5",
     "--set teams.service_desk.roster.lat.headcount=5: teams.service_desk.roster.lat: expected the "
     "name of a shift (early, late, night, weekend) or an index below 4; found 'lat' (did you mean "
     "'late'?)"),
    ("teams.service_desk.roster.7.headcount=5",
     "--set teams.service_desk.roster.7.headcount=5: teams.service_desk.roster.7: expected a list "
     "index below 4; found '7'"),
    ("run.horizn=8w",
     "--set run.horizn=8w: run.horizn: unknown key 'horizn': did you mean 'horizon'? expected one "
     "of start, horizon, measure, warmup, replications, seed"),
    ("flow.groups.netwrk.handling=1h",
     "--set flow.groups.netwrk.handling=1h: flow.groups.netwrk: expected the name of a resolver "
     "group of the scenario (applications, infrastructure, network, end_user_support); found "
     "'netwrk' (did you mean 'network'?)"),
    ("calendars.busness.holidays=[]", "did you mean 'business'?"),
    ("arrivals.al.volume=200/day", "did you mean 'all'?"),
    ("run.horizon=8w",
     "--set run.horizon=8w: run: expected 'warmup' shorter than 'horizon', which is the whole run, "
     "warm-up included (give 'measure' for the time measured after the warm-up); found warmup "
     "15w, horizon 8w"),
])
def test_an_override_that_names_nothing_is_one_line_with_a_suggestion(
        capsys: pytest.CaptureFixture[str], override: str, message: str) -> None:
    code, out, err = run_cli(["validate", str(BASELINE), "--set", override], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err.strip(), err


def test_a_shift_is_addressed_by_its_name() -> None:
    by_name = load_scenario(BASELINE, ["teams.service_desk.roster.late.headcount=5"])
    by_index = load_scenario(BASELINE, ["teams.service_desk.roster.1.headcount=5"])
    original = load_scenario(BASELINE)
    roster = by_name.teams["service_desk"].roster
    assert roster is not None and original.teams["service_desk"].roster is not None
    assert [shift.headcount for shift in roster] == [6, 5, 1, 2]
    assert [shift.headcount for shift in original.teams["service_desk"].roster] == [6, 4, 1, 2]
    assert scenario_hash(by_name) == scenario_hash(by_index)


def test_a_shift_without_a_name_is_shift_and_its_place(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(merge(TINY, {"teams": {"desk": {"agents": None, "roster": [
        {"days": "Mon-Fri", "start": "08:00", "end": "16:00", "headcount": 1},
        {"days": "Mon-Fri", "start": "16:00", "end": "24:00", "headcount": 1}]}}})))
    loaded = load_scenario(path, ["teams.desk.roster.shift2.headcount=3"])
    assert loaded.teams["desk"].roster is not None
    assert [shift.headcount for shift in loaded.teams["desk"].roster] == [1, 3]


def test_a_named_inject_is_addressed_by_its_name() -> None:
    loaded = load_scenario(CLOUDFLARE, ["exercise.injects.CTO asks.at=14h10m"])
    assert loaded.exercise is not None
    moved = [inject.at for inject in loaded.exercise.injects if inject.name == "CTO asks"]
    assert moved == [14 * 60 + 10]


def test_the_last_of_two_exclusive_keys_wins() -> None:
    agents = load_scenario(BASELINE, ["teams.service_desk.agents=20"])
    assert agents.teams["service_desk"].agents == 20 and agents.teams["service_desk"].roster is None
    measured = load_scenario(BASELINE, ["run.measure=8w"])
    assert (measured.run.warmup, measured.run.horizon) == (15 * 10080, 23 * 10080)
    assert measured.run.measured == 8 * 10080
    back = load_scenario(BASELINE, ["run.measure=8w", "run.horizon=67w"])
    assert scenario_hash(back) == scenario_hash(load_scenario(BASELINE))


def test_overriding_a_defaulted_section_keeps_its_other_entries(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(merge(TINY, {"priorities": None})))
    loaded = load_scenario(path, ["priorities.P1.response=15m"])
    assert list(loaded.priorities) == ["P1", "P2", "P3", "P4"]
    assert loaded.priorities["P1"].response == 15.0


def test_a_grid_uses_names_and_refuses_a_misspelt_one() -> None:
    designs = plan_sweep(BASELINE, [parse_grid("teams.service_desk.roster.late.headcount=4,5")])
    late = [design.scenario.teams["service_desk"].roster[1].headcount  # type: ignore[index]
            for design in designs]
    assert late == [4, 5]
    with pytest.raises(ScenarioError, match="did you mean 'late'"):
        plan_sweep(BASELINE, [parse_grid("teams.service_desk.roster.lte.headcount=4,5")])


def test_the_measured_time_may_be_written_instead_of_the_horizon(tmp_path: Path) -> None:
    measured = tmp_path / "measured.yaml"
    measured.write_text(BASELINE.read_text().replace("  horizon: 67w\n", "  measure: 52w\n"))
    assert scenario_hash(load_scenario(measured)) == scenario_hash(load_scenario(BASELINE))
    both = tmp_path / "both.yaml"
    both.write_text(BASELINE.read_text().replace("  horizon: 67w\n", "  horizon: 67w\n  measure: 52w\n"))
    with pytest.raises(ScenarioError, match=r"expected either 'horizon' .* or 'measure' .*; found both"):
        load_scenario(both)


def test_a_file_that_extends_another_replaces_the_horizon_with_its_measure(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {BASELINE}\nrun:\n  measure: 4w\n")
    loaded = load_scenario(child)
    assert (loaded.run.warmup, loaded.run.horizon) == (15 * 10080, 19 * 10080)


def test_validate_says_how_the_run_divides(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["validate", str(BASELINE), "--set", "run.measure=8w"], capsys)
    assert code == 0
    assert out.strip().endswith("horizon 23w (warm-up 15w, then 8w measured)")
