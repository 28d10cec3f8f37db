"""Every column a mapping names is used, or calibrate says why not: one test per field, on a
per-incident CSV whose values are set by hand (40 incidents, one a day at 08:00 from 1 March)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator.calibration.learn import calibrate
from simulator.calibration.readers import read_log
from simulator.scenario.loader import load_scenario
from tests.helpers import run_cli

MAPPING = """\
case_id: key
opened: created
resolved: resolved
closed: closed
first_response: responded
logged: saved
priority: prio
first_group: team
last_group: team
reassignments: moves
reopens: reopened
made_sla: met
urgency: urg
"""


def _rows() -> str:
    """Incident i: first response after 10 + i minutes, saved after 2 minutes; the first 20
    resolved after 1 h + i min (SLA met), the others after 5 h + i min (not met); closed 48 h after
    resolution; every tenth reopened once; urgency never given."""
    lines = ["key,created,resolved,closed,responded,saved,prio,team,moves,reopened,met,urg"]
    start = np.datetime64("2016-03-01T08:00")
    for i in range(40):
        opened = start + np.timedelta64(i, "D")
        resolved = opened + np.timedelta64((60 if i < 20 else 300) + i, "m")
        closed = resolved + np.timedelta64(48, "h")
        responded, saved = opened + np.timedelta64(10 + i, "m"), opened + np.timedelta64(2, "m")
        lines.append(f"K{i},{opened},{resolved},{closed},{responded},{saved},3,net,0,"
                     f"{1 if i % 10 == 0 else 0},{'true' if i < 20 else 'false'},?")
    return "\n".join(lines).replace("T", " ") + "\n"


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "log.csv").write_text(_rows())
    (tmp_path / "map.yaml").write_text(MAPPING)
    return tmp_path / "log.csv", tmp_path / "map.yaml"


def _learned(export: tuple[Path, Path], mapping: str | None = None) -> tuple[Any, Any]:
    log_path, map_path = export
    if mapping is not None:
        map_path.write_text(mapping)
    calibration = calibrate(read_log(log_path, "generic", map_path), n_groups=2)
    written = log_path.with_name("s.yaml")
    from simulator.calibration.writer import scenario_yaml

    written.write_text(scenario_yaml(calibration.scenario, calibration.comments, "columns"))
    return calibration, load_scenario(written)


def test_a_reopens_count_gives_the_reopen_rate(export: tuple[Path, Path]) -> None:
    calibration, scenario = _learned(export)
    reopen = calibration.learned.reopen
    assert reopen.observed == pytest.approx(0.1)  # 4 of 40
    # no reopen times in a per-incident export: the assumed delay (median 12 h, a quarter of the
    # 48 h closure delay) is mostly shorter than the closure, and the probability makes up the rest
    assert reopen.within_closure == pytest.approx(0.947, abs=0.002)
    assert scenario.flow.reopen.probability == pytest.approx(0.1 / reopen.within_closure, abs=1e-4)


def test_closed_gives_the_closure_delay(export: tuple[Path, Path]) -> None:
    _, scenario = _learned(export)
    assert scenario.flow.closure_delay == 48 * 60.0


def test_made_sla_gives_the_resolution_target(export: tuple[Path, Path]) -> None:
    calibration, scenario = _learned(export)
    assert scenario.priorities["P3"].resolution == 120.0  # 2 h: met below, missed above
    assert calibration.learned.sla["P3"].agreement == 1.0


def test_first_response_ends_the_desks_step(export: tuple[Path, Path]) -> None:
    calibration, scenario = _learned(export)
    handling = scenario.flow.desk.handling
    assert float(handling.quantile(np.array([0.5]))[0]) == pytest.approx(29.5, abs=1.5)  # 10..49 min
    assert calibration.comments[("flow", "desk", "handling")].startswith("opened → first response")


def test_logged_ends_the_desks_step_without_a_first_response(export: tuple[Path, Path]) -> None:
    calibration, scenario = _learned(export, MAPPING.replace("first_response: responded\n", ""))
    assert float(scenario.flow.desk.handling.quantile(np.array([0.5]))[0]) == pytest.approx(2.0, abs=0.2)
    assert "logged" in calibration.learned.columns.used


def test_calibrate_lists_the_mapped_columns_it_did_not_use(export: tuple[Path, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    log_path, map_path = export
    code, _, err = run_cli(["calibrate", str(log_path), "--log-format", "generic", "--mapping", str(map_path),
                            "--routing", "visible", "-o", str(tmp_path / "s.yaml")], capsys)
    assert code == 0, err
    unused = sorted(line for line in err.splitlines() if line.startswith("mapped column not used"))
    assert unused == [
        "mapped column not used: logged — the desk's step ends at the first response, which comes after "
        "the record is saved",
        "mapped column not used: reassignments — --routing visible keeps only the hand-offs the updates show",
        "mapped column not used: urgency — the column has no usable value",
    ]
