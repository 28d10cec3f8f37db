"""scripts/uci_figures.py on a tiny synthetic log with the quirks of the UCI 498 copy (no real data)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "uci_figures.py"
HEADER = ("number,ident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,caller_id,"
          "opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,contact_type,"
          "location,category,category,u_symptom,cmdb_ci,impact,urgency,priority,assignment_group,"
          "assigned_to,knowledge,u_priority_confirmation,notify,problem_id,rfc,vendor,caused_by,closed_code,"
          "resolved_by,resolved_at,closed_at")
# number: (opened_at, resolved_at, closed_at); resolved → closed 120, 120.5, 144, -, 121, - hours
INCIDENTS = {
    "0000001": ("1/3/2016 08:07", "1/3/2016 10:07", "6/3/2016 10:07"),  # Tue 08h, resolved in 2 h
    "0000002": ("7/3/2016 09:37", "10/3/2016 14:37", "15/3/2016 15:07"),  # Mon 09h, 77 h
    "0000003": ("5/3/2016 22:07", "9/3/2016 11:07", "15/3/2016 11:07"),  # Sat 22h, 85 h
    "0000004": ("6/3/2016 14:05", "?", "7/3/2016 09:00"),  # Sun 14h, never resolved
    "0000005": ("29/2/2016 23:50", "1/3/2016 00:50", "6/3/2016 01:50"),  # before the main period, 1 h
    "0000006": ("2/3/2016 09:05", "?", "2/3/2016 09:30"),  # Wed 09h, never resolved
}
# (number, ident_state, sys_mod_count, sys_updated_at, reassignment_count, reopen_count,
#  "impact,urgency,priority")
EVENTS = [
    ("0000001", "New", 0, "1/3/2016 08:07", 0, 0, "2,2,3"),
    ("0000001", "Resolved", 1, "1/3/2016 10:07", 0, 0, "2,2,3"),
    ("0000001", "Closed", 2, "6/3/2016 10:07", 0, 0, "2,2,3"),
    # raised from P3 to P1, reassigned twice, one 72 h wait logged on two rows
    ("0000002", "New", 0, "7/3/2016 09:37", 0, 0, "2,2,3"),
    ("0000002", "Active", 1, "7/3/2016 10:00", 1, 0, "1,1,1"),
    ("0000002", "Awaiting User Info", 2, "7/3/2016 12:00", 1, 0, "1,1,1"),
    ("0000002", "Awaiting User Info", 3, "8/3/2016 12:00", 1, 0, "1,1,1"),
    ("0000002", "Active", 4, "10/3/2016 12:00", 2, 0, "1,1,1"),
    ("0000002", "Resolved", 5, "10/3/2016 14:37", 2, 0, "1,1,1"),
    ("0000002", "Closed", 6, "15/3/2016 15:07", 2, 0, "1,1,1"),
    # reopened once; waits of 10 h and 48 h; rows written newest first
    ("0000003", "Closed", 7, "15/3/2016 11:07", 0, 1, "3,3,4"),
    ("0000003", "Resolved", 6, "9/3/2016 11:07", 0, 1, "3,3,4"),
    ("0000003", "Awaiting User Info", 5, "7/3/2016 11:07", 0, 1, "3,3,4"),
    ("0000003", "Active", 4, "7/3/2016 10:15", 0, 1, "3,3,4"),
    ("0000003", "Resolved", 3, "6/3/2016 10:15", 0, 0, "3,3,4"),
    ("0000003", "Active", 2, "6/3/2016 09:15", 0, 0, "3,3,4"),
    ("0000003", "Awaiting User Info", 1, "5/3/2016 23:15", 0, 0, "3,3,4"),
    ("0000003", "New", 0, "5/3/2016 22:07", 0, 0, "3,3,4"),
    # the last two rows share a minute, so sys_mod_count decides which is final (reassigned once)
    ("0000004", "New", 0, "6/3/2016 14:05", 0, 0, "2,1,2"),
    ("0000004", "Closed", 2, "7/3/2016 09:00", 1, 0, "2,1,2"),
    ("0000004", "Active", 1, "7/3/2016 09:00", 0, 0, "2,1,2"),
    ("0000005", "New", 0, "29/2/2016 23:50", 0, 0, "2,2,3"),
    ("0000005", "Resolved", 1, "1/3/2016 00:50", 0, 0, "2,2,3"),
    ("0000005", "Closed", 2, "6/3/2016 01:50", 0, 0, "2,2,3"),
    ("0000006", "New", 0, "2/3/2016 09:05", 0, 0, "2,2,3"),
    ("0000006", "Closed", 1, "2/3/2016 09:30", 0, 0, "2,2,3"),
]


def _row(number: str, state: str, mod: int, updated: str, moved: int, reopened: int, iup: str) -> str:
    opened, resolved, closed = INCIDENTS[number]
    row = (f"{number},{state},true,{moved},{reopened},{mod},true,2403,8,{opened},6,?,21,{updated},Phone,143,"
           f"55,170,72,?,{iup},56,?,true,false,Do Not Notify,?,?,?,?,5,149,{resolved},{closed}")
    assert len(row.split(",")) == len(HEADER.split(","))
    return row


@pytest.fixture(scope="module")
def uci() -> ModuleType:
    spec = importlib.util.spec_from_file_location("uci_figures", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def log_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("uci") / "uci498_incident_event_log.zip"
    text = "\n".join([HEADER, *(_row(*event) for event in EVENTS)]) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("incident_event_log/incident_event_log.csv", text)
    return path


@pytest.fixture(scope="module")
def figures(uci: ModuleType, log_zip: Path) -> dict[str, Any]:
    return uci.measure(log_zip)


def test_arrivals_count_each_incident_once_and_only_in_the_main_period(figures: dict[str, Any]) -> None:
    a = figures["arrivals"]
    assert (figures["n_rows"], figures["n_incidents"], a["n_days"], a["n_incidents"]) == (26, 6, 92, 5)
    assert a["mean_per_day"] == pytest.approx(5 / 92)
    assert a["mean_per_weekday"] == pytest.approx(3 / 66)
    assert a["mean_per_weekend_day"] == pytest.approx(2 / 26)
    # Mon, Wed, Sat, Sun: 1 in 13 days = 98/69; Tue: 1 in 14 days = 91/69; the rounding rest goes to Mon
    assert a["day_of_week"] == [1.421, 1.319, 1.420, 0.0, 0.0, 1.420, 1.420]
    assert a["hour_of_day"] == [0.4 if h == 9 else 0.2 if h in {8, 14, 22} else 0.0 for h in range(24)]
    assert (a["busiest_hour"], a["busiest_hour_share"]) == (9, pytest.approx(0.4))


def test_the_main_period_runs_from_1_march_to_31_may_inclusive(uci: ModuleType) -> None:
    opened = pd.to_datetime(["2016-02-29 23:59", "2016-03-01 00:00", "2016-05-31 23:59", "2016-06-01 00:00"])
    a = uci.arrival_figures(pd.DataFrame({"opened_at": opened}))
    assert a["n_incidents"] == 2
    assert a["day_of_week"] == [0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # both inside are Tuesdays


def test_impact_urgency_and_priority_come_from_the_final_row(figures: dict[str, Any]) -> None:
    # 1/6 rounds to 0.1667; the largest cell gives up the extra 0.0001 so the shares sum to 1
    assert figures["impact_urgency"] == {1: {1: 0.1667}, 2: {1: 0.1667, 2: 0.4999}, 3: {3: 0.1667}}
    assert figures["priority_mix"] == {"P1": 0.1667, "P2": 0.1667, "P3": 0.4999, "P4": 0.1667}


def test_durations_skip_incidents_without_resolved_at(figures: dict[str, Any]) -> None:
    assert figures["open_to_resolve_h"] == pytest.approx({"n": 4, "median": 39.5, "mean": 41.25, "p90": 82.6})
    assert figures["auto_close_h"] == pytest.approx({"n": 4, "median": 120.75})  # of 120, 120.5, 121, 144
    assert figures["closed_at_minute"] == pytest.approx({"minute": 7, "share": 0.5})


def test_awaiting_episodes_run_from_their_first_row_to_the_next_state(figures: dict[str, Any]) -> None:
    # episodes of 72 h (two rows), 10 h and 48 h; p90 = 48 + 0.8 × (72 − 48)
    assert figures["awaiting_user_info"] == pytest.approx(
        {"share_of_incidents": 2 / 6, "n_episodes": 3, "episode_median_h": 48.0, "episode_p90_h": 67.2})


def test_reassignments_and_reopens_use_the_final_row_in_event_order(figures: dict[str, Any]) -> None:
    assert figures["reassignment"] == pytest.approx(
        {"share_0": 4 / 6, "share_1": 1 / 6, "share_2plus": 1 / 6, "mean": 0.5})
    assert figures["reopen_share"] == pytest.approx(1 / 6)


def test_main_prints_text_or_json(uci: ModuleType, log_zip: Path, figures: dict[str, Any],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert uci.main([str(log_zip)]) == 0
    text = capsys.readouterr().out
    assert "busiest hour 09-10: 40.0%" in text
    assert "Awaiting User Info: 33.3% of incidents; per episode median 48.0 h, p90 67.2 h" in text
    assert uci.main([str(log_zip), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(figures))


def test_a_missing_file_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "absent.zip")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"uci_figures: data file not found: {tmp_path / 'absent.zip'}"]
