"""Logs from the tools people have: the Jira Service Management preset (issues export and its
changelog) and an event-form CSV of status transitions, each read from a hand-written file whose
every expected value below was worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.calibration.learn import priority_names
from simulator.calibration.readers import read_log
from simulator.calibration.visits import cut_visits
from simulator.scenario.loader import load_scenario
from tests.helpers import run_cli

DATA = Path(__file__).parent / "data"
ISSUES, CHANGELOG = DATA / "jira_issues.csv", DATA / "jira_changelog.csv"
TRANSITIONS, TRANSITIONS_MAP = DATA / "transitions.csv", DATA / "transitions-map.yaml"


def test_the_jira_preset_joins_the_issues_and_their_changelog() -> None:
    log = read_log(ISSUES, "jira", changelog_path=CHANGELOG)
    incidents = log.incidents
    assert list(incidents.index) == ["ITSM-1", "ITSM-2", "ITSM-3", "ITSM-4"]
    first = incidents.loc["ITSM-1"]
    assert first["opened"] == pd.Timestamp("2024-03-04 09:00")  # 04/Mar/24 9:00 AM
    assert first["resolved"] == pd.Timestamp("2024-03-04 15:00")
    # Network → Desktop → Network: two team changes
    assert (first["first_group"], first["last_group"], first["n_reassigned"]) == ("Network", "Network", 2.0)
    assert incidents.loc["ITSM-2", "n_reassigned"] == 0.0
    assert incidents.loc["ITSM-2", "first_group"] == "Desktop"
    assert pd.isna(incidents.loc["ITSM-3", "resolved"])  # still waiting for the customer
    assert incidents.loc["ITSM-4", "n_reopened"] == 1.0  # Resolved → In Progress → Resolved
    assert incidents.loc["ITSM-4", "resolved"] == pd.Timestamp("2024-03-07 10:00")  # the last resolution
    # JSM: waiting for the customer stops the work; waiting for support does not
    assert "Waiting for customer" in log.pause_states and "Waiting for support" not in log.pause_states
    pauses = cut_visits(log).pauses
    waits = pauses[pauses["kind"] == "wait"].set_index("case_id")
    assert waits.loc["ITSM-2", "end"] - waits.loc["ITSM-2", "start"] == pd.Timedelta(hours=22)
    assert bool(waits.loc["ITSM-3", "censored"])  # still waiting when the export was taken
    assert priority_names(incidents) == ["Highest", "High", "Medium", "Low"]  # Jira's order, not the alphabet


def test_the_jira_issues_alone_are_one_row_per_incident() -> None:
    log = read_log(ISSUES, "jira")
    assert log.updates is None
    assert log.incidents.loc["ITSM-1", "first_group"] == "Network"
    assert log.incidents.loc["ITSM-2", "resolved"] == pd.Timestamp("2024-03-05 16:00")


def test_an_event_form_log_of_status_transitions() -> None:
    log = read_log(TRANSITIONS, "generic", TRANSITIONS_MAP)
    one, two = log.incidents.loc["T-1"], log.incidents.loc["T-2"]
    assert one["opened"] == pd.Timestamp("2024-03-04 09:10")
    assert one["resolved"] == pd.Timestamp("2024-03-04 16:00")
    assert (one["first_group"], one["last_group"], one["n_reassigned"]) == ("network", "desktop", 1.0)
    assert one["priority"] == "P2"
    assert (two["n_reopened"], two["resolved"]) == (1.0, pd.Timestamp("2024-03-05 09:30"))
    assert pd.isna(log.incidents.loc["T-3", "resolved"])
    states = log.updates[log.updates["case_id"] == "T-1"]["state"].tolist()
    assert states[:2] == ["New", "Assigned"]  # the opening row, in the first transition's from-state
    pauses = cut_visits(log).pauses
    spells = {kind: (chosen["end"] - chosen["start"]).tolist() for kind, chosen in pauses.groupby("kind")}
    assert spells == {"wait": [pd.Timedelta(hours=3)],  # T-1 On Hold 10:00 → 13:00
                      "reopen": [pd.Timedelta(hours=21, minutes=15)]}  # T-2 resolved 11:45 → 09:00


def test_both_presets_calibrate_to_valid_scenarios(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for name, arguments in (("jira", [str(ISSUES), "--log-format", "jira", "--changelog", str(CHANGELOG)]),
                            ("events", [str(TRANSITIONS), "--log-format", "generic",
                                        "--mapping", str(TRANSITIONS_MAP)])):
        out = tmp_path / f"{name}.yaml"
        code, _, err = run_cli(["calibrate", *arguments, "-o", str(out)], capsys)
        assert code == 0, err
        assert load_scenario(out).flow.groups


@pytest.mark.parametrize(("arguments", "fragments"), [
    (["--log-format", "jira", "--changelog", "{bad_changelog}"],
     ["bad_changelog.csv", "field", "expected a column 'Field' or 'field'", "found none"]),
    (["--log-format", "jira", "--changelog", "{missing}"],
     ["missing.csv", "expected a log file", "found no file"]),
    (["--changelog", str(CHANGELOG)],
     ["jira_changelog.csv", "expected --changelog only with --log-format jira"]),
    (["--log-format", "jira", "--mapping", str(TRANSITIONS_MAP)],
     ["transitions-map.yaml", "expected no --mapping with --log-format jira"]),
])
def test_a_bad_preset_input_is_one_clear_line_and_exit_code_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str],
        fragments: list[str]) -> None:
    (tmp_path / "bad_changelog.csv").write_text("Issue key,Date,To\nITSM-1,04/Mar/24 9:20 AM,Done\n")
    paths = {"bad_changelog": str(tmp_path / "bad_changelog.csv"), "missing": str(tmp_path / "missing.csv")}
    arguments = [argument.format(**paths) for argument in arguments]
    code, out, err = run_cli(["calibrate", str(ISSUES), *arguments, "-o", str(tmp_path / "s.yaml")], capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert all(fragment in err for fragment in fragments), err
    assert len(err.strip().splitlines()) == 1, err


def test_a_jira_issues_export_without_an_issue_key_is_one_clear_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "issues.csv").write_text("Key,Created,Resolved\nA-1,04/Mar/24 9:00 AM,\n")
    code, _, err = run_cli(["calibrate", str(tmp_path / "issues.csv"), "--log-format", "jira",
                            "-o", str(tmp_path / "s.yaml")], capsys)
    assert code == 2 and "issues.csv: case_id: expected a column 'Issue key'; found none" in err
    assert len(err.strip().splitlines()) == 1
