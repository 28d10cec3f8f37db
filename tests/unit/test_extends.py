"""``extends:``: a scenario written as changes to another, and the with/without-MIM pair."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.scenario import load_scenario
from tests.helpers import TINY, run_cli

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def _dump(scenario_file: Path) -> dict[str, object]:
    return load_scenario(scenario_file).model_dump(mode="json", by_alias=True)


def test_the_pair_differs_only_in_the_switch() -> None:
    with_mim, without_mim = _dump(SCENARIOS / "with-mim.yaml"), _dump(SCENARIOS / "without-mim.yaml")
    assert with_mim["major_incident"]["enabled"] is True  # type: ignore[index]
    assert without_mim["major_incident"]["enabled"] is False  # type: ignore[index]
    for document in (with_mim, without_mim):
        for key in ("name", "description", "extends"):
            document.pop(key)
        document["major_incident"]["enabled"] = None  # type: ignore[index]
    assert with_mim == without_mim


def test_the_problem_management_pair_differs_only_in_the_switch() -> None:
    on = _dump(SCENARIOS / "problem-management.yaml")
    off = _dump(SCENARIOS / "no-problem-management.yaml")
    assert on["problems"]["enabled"] is True and off["problems"]["enabled"] is False  # type: ignore[index]
    for document in (on, off):
        for key in ("name", "description", "extends"):
            document.pop(key)
        document["problems"]["enabled"] = None  # type: ignore[index]
    assert on == off


def test_with_mim_is_the_baseline_plus_services_the_process_and_changes() -> None:
    baseline, with_mim = _dump(SCENARIOS / "baseline.yaml"), _dump(SCENARIOS / "with-mim.yaml")
    assert set(with_mim["teams"]) - set(baseline["teams"]) == {"incident_managers"}  # type: ignore[arg-type]
    for section in ("run", "arrivals", "priorities", "flow", "initial_backlog", "targets"):
        assert with_mim[section] == baseline[section], section
    calendars = with_mim["calendars"]
    assert isinstance(calendars, dict) and set(calendars) == {"business", "cab", "change_window"}
    assert calendars["business"] == baseline["calendars"]["business"]  # type: ignore[index]
    assert baseline["services"] == {} and len(with_mim["services"]) == 3  # type: ignore[arg-type]


def _write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_child_changes_keys_and_inherits_the_rest(tmp_path: Path) -> None:
    _write(tmp_path / "base.yaml", TINY)
    child = _write(tmp_path / "child.yaml", {"extends": "base.yaml", "name": "child",
                                             "teams": {"desk": {"agents": 3}}})
    loaded = load_scenario(child)
    assert loaded.name == "child" and loaded.teams["desk"].agents == 3
    assert loaded.flow.desk.handling.mean() == 10.0 and loaded.run.seed == 7


def test_problems_point_at_the_file_and_line_that_wrote_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "base.yaml", {**TINY, "run": {**TINY["run"], "horizn": "2w"}})
    child = _write(tmp_path / "child.yaml", "extends: base.yaml\nflow:\n  desk:\n    handling: 10\n")
    code, _, err = run_cli(["validate", str(child)], capsys)
    assert code == 2 and "Traceback" not in err
    lines = sorted(err.strip().splitlines())
    assert len(lines) == 2
    assert lines[0].startswith(f"{tmp_path / 'base.yaml'}:") and "run.horizn" in lines[0]
    assert lines[1].startswith(f"{child}:4: flow.desk.handling") and "found 10" in lines[1]


@pytest.mark.parametrize(("files", "fragment"), [
    ({"child.yaml": "extends: nowhere.yaml\n"}, "child.yaml:1: extends: expected a scenario file "
                                                "to extend at "),
    ({"child.yaml": "extends: nowhere.yaml\n"}, "nowhere.yaml; found no file at this path"),
    ({"child.yaml": "extends: other.yaml\n", "other.yaml": "extends: child.yaml\n"},
     "extends: expected a chain of files that ends; found 'child.yaml' extending itself"),
    ({"child.yaml": "extends: [a.yaml]\n"}, "child.yaml:1: extends: expected the path of a scenario "
                                            "file; found [\"a.yaml\"]"),
])
def test_a_broken_extends_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            files: dict[str, str], fragment: str) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    code, out, err = run_cli(["validate", str(tmp_path / "child.yaml")], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
