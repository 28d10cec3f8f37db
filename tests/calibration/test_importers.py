"""Importers on small hand-written exports: every messy-row kind is counted, nothing crashes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.calibration.readers import read_log
from simulator.calibration.visits import cut_visits
from simulator.scenario.loader import load_scenario
from tests.helpers import run_cli

PER_INCIDENT_MAPPING = """\
case_id: key
opened: created
resolved: resolved
priority: prio
first_group: team
last_group: final_team
reassignments: moves
"""
HEADER = "key,created,resolved,prio,team,final_team,moves\n"
GOOD = "A1,2016-03-01 08:00:00,2016-03-01 10:00:00,3,net,net,0\n"


def _read(tmp_path: Path, rows: str, mapping: str = PER_INCIDENT_MAPPING) -> pd.DataFrame:
    (tmp_path / "log.csv").write_text(HEADER + GOOD + rows)
    (tmp_path / "map.yaml").write_text(mapping)
    return read_log(tmp_path / "log.csv", "generic", tmp_path / "map.yaml")


@pytest.mark.parametrize(("rows", "kind", "incidents"), [
    (",2016-03-01 09:00:00,2016-03-01 10:00:00,3,net,net,0\n", "missing case id", 1),
    (GOOD, "duplicate row", 1),
    ("B2,yesterday,2016-03-01 10:00:00,3,net,net,0\n", "unreadable opened time", 1),
    ("B2,2016-03-02 09:00:00,2016-03-01 10:00:00,3,net,net,0\n",
     "resolved before opened (incident left out)", 1),
    ("B2,,2016-03-01 10:00:00,3,net,net,0\n", "no opened time (incident left out)", 1),
    ("B2,2016-03-01 09:00:00,2016-03-01 10:00:00,?,net,net,0\n",
     "priority missing (counted as 'unknown')", 2),
    ("B2,2016-03-01 09:00:00,2016-03-01 10:00:00,3,net,net,lots\n", "unreadable reassignments count", 2),
    ("A1,2016-03-01 08:00:00,2016-03-01 11:00:00,3,net,net,0\n", "case id repeated (last row kept)", 1),
])
def test_each_messy_row_kind_is_counted_and_reported(tmp_path: Path, rows: str, kind: str,
                                                     incidents: int) -> None:
    log = _read(tmp_path, rows)
    assert log.problems.get(kind) == 1, log.problems
    assert len(log.incidents) == incidents


def test_an_incident_without_resolution_is_open_at_the_export_not_a_problem(tmp_path: Path) -> None:
    log = _read(tmp_path, "B2,2016-03-02 09:00:00,,2,app,app,0\n")
    assert log.problems == {}
    assert pd.isna(log.incidents.loc["B2", "resolved"])
    assert log.exported == pd.Timestamp("2016-03-02 09:00")  # the latest moment the log knows
    assert log.incidents.loc["B2", "priority"] == "P2"


def test_servicenow_preset_reads_the_uci_quirks(tmp_path: Path) -> None:
    header = ("number,ident_state,reassignment_count,reopen_count,sys_mod_count,made_sla,opened_at,"
              "sys_created_at,sys_updated_at,category,category,impact,urgency,priority,"
              "assignment_group,assigned_to,resolved_at,closed_at\n")
    # incident 1: (state, reassignment_count, sys_mod_count, made_sla, sys_updated_at, group, assignee)
    first = [("New", 0, 0, "true", "1/3/2016 08:10", "70", "?"),
             ("Awaiting User Info", 1, 1, "true", "1/3/2016 08:30", "24", "5"),
             ("Active", 1, 2, "true", "1/3/2016 09:30", "24", "5"),
             ("Resolved", 1, 3, "false", "1/3/2016 10:07", "24", "5"),
             ("Closed", 1, 4, "false", "6/3/2016 11:07", "?", "5")]  # the group blanked on closing
    rows = [
        *(f"0000001,{state},{moves},0,{seq},{sla},1/3/2016 08:07,1/3/2016 08:10,{when},53,9,2,2,3,"
          f"{group},{person},1/3/2016 10:07,6/3/2016 11:07"
          for state, moves, seq, sla, when, group, person in first),
        "0000002,New,0,0,0,true,2/3/2016 23:50,?,2/3/2016 23:55,?,?,1,1,1,70,?,?,3/3/2016 09:00",
        "0000002,Resolved,0,0,1,true,2/3/2016 23:50,?,3/3/2016 01:00,?,?,1,1,1,70,7,?,3/3/2016 09:00",
    ]
    (tmp_path / "uci.csv").write_text(header + "\n".join(rows) + "\n")
    log = read_log(tmp_path / "uci.csv", "servicenow")
    first = log.incidents.loc["0000001"]
    assert first["opened"] == pd.Timestamp("2016-03-01 08:07")  # d/m/yyyy
    assert (first["first_group"], first["last_group"]) == ("70", "24")  # blank group on the closing row
    assert first["made_sla"] == 0.0 and first["n_reassigned"] == 1.0 and first["priority"] == "P3"
    assert log.pause_states == frozenset({"Awaiting User Info"})
    second = log.incidents.loc["0000002"]
    assert second["resolved"] == pd.Timestamp("2016-03-03 01:00")  # from its Resolved row
    assert log.problems == {"resolved time missing (taken from the last row in a resolved state)": 1}
    assert len(log.updates) == 7
    assert log.updates.groupby("case_id")["time"].apply(lambda t: t.is_monotonic_increasing).all()


def test_one_row_per_event_derives_opening_resolution_and_counts(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text(
        "case,when,status,queue\n"
        "C1,2016-03-01T08:00:00,Open,desk\n"
        "C1,2016-03-01T08:30:00,Open,network\n"
        "C1,2016-03-01T09:00:00,Resolved,network\n"
        "C1,2016-03-01T10:00:00,Open,network\n"
        "C1,2016-03-01T11:00:00,Resolved,network\n"
        "C2,2016-03-01T12:00:00,Open,desk\n")
    (tmp_path / "map.yaml").write_text("case_id: case\nupdated: when\nstate: status\ngroup: queue\n")
    log = read_log(tmp_path / "events.csv", "generic", tmp_path / "map.yaml")
    c1, c2 = log.incidents.loc["C1"], log.incidents.loc["C2"]
    assert c1["opened"] == pd.Timestamp("2016-03-01 08:00")
    assert c1["resolved"] == pd.Timestamp("2016-03-01 11:00")
    assert (c1["n_reassigned"], c1["n_reopened"]) == (1.0, 1.0)
    assert pd.isna(c2["resolved"])  # still open when the log was taken


@pytest.mark.parametrize(("mapping", "expected"), [
    ("case_id: key\nopened: created\nresolved: resolved\nprioritty: prio\n",
     "map.yaml:4: prioritty: unknown key 'prioritty': did you mean 'priority'? expected one of case_id"),
    ("case_id: key\nopened: created\n",
     "map.yaml: expected 'opened' and 'resolved' columns, or 'updated'"),
    ("case_id: key\nopened: made_up\nresolved: resolved\n",
     "log.csv: expected every column the mapping names; found none for opened → 'made_up'"),
])
def test_a_bad_mapping_is_one_clear_line_and_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         mapping: str, expected: str) -> None:
    (tmp_path / "log.csv").write_text(HEADER + GOOD)
    (tmp_path / "map.yaml").write_text(mapping)
    code, out, err = run_cli(["calibrate", str(tmp_path / "log.csv"), "--log-format", "generic",
                              "--mapping", str(tmp_path / "map.yaml"), "-o", str(tmp_path / "s.yaml")],
                             capsys)
    assert code == 2 and out == ""
    assert err.strip().startswith(str(tmp_path / "map.yaml").removesuffix("map.yaml"))
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_log_file_is_reported_not_a_crash(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["calibrate", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "s.yaml")],
                           capsys)
    assert code == 2
    assert err.strip() == (f"{tmp_path / 'nope.csv'}: expected a log file: a CSV, or a zip holding one; "
                           f"found no file at this path")


@pytest.mark.slow
def test_an_xes_log_is_read_through_pm4py(tmp_path: Path) -> None:
    import pm4py

    events = pd.DataFrame({
        "case:concept:name": ["X1", "X1", "X1", "X2"],
        "concept:name": ["arrived", "paused", "resolved", "arrived"],
        "time:timestamp": pd.to_datetime(["2016-03-01 08:00", "2016-03-01 08:10", "2016-03-01 09:00",
                                          "2016-03-01 10:00"]).tz_localize("UTC"),
        "org:group": ["desk", "network", "network", "desk"],
        "org:resource": ["a", "b", "b", "a"]})
    pm4py.write_xes(pm4py.format_dataframe(events), str(tmp_path / "log.xes"))
    log = read_log(tmp_path / "log.xes", "xes")
    assert log.incidents.loc["X1", "resolved"] == pd.Timestamp("2016-03-01 09:00")
    assert pd.isna(log.incidents.loc["X2", "resolved"])
    assert log.pause_states == frozenset({"paused"})
    assert log.incidents.loc["X1", "n_reassigned"] == 1.0


@pytest.mark.slow
def test_a_per_incident_export_without_impact_urgency_calibrates_to_a_valid_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Own priority names, no impact or urgency, an incident still open: the scenario loads."""
    rows = [f"K{i},2016-03-{1 + i % 20:02d} {8 + i % 9:02d}:00:00,2016-03-{1 + i % 20:02d} "
            f"{9 + i % 9:02d}:30:00,{'High' if i % 4 == 0 else 'Low'},{('net', 'app')[i % 2]},"
            f"{('net', 'app')[i % 2]},{i % 3}\n" for i in range(40)]
    rows.append("OPEN,2016-03-21 08:00:00,,Low,app,app,1\n")  # still open at the export
    (tmp_path / "log.csv").write_text(HEADER + "".join(rows))
    (tmp_path / "map.yaml").write_text(PER_INCIDENT_MAPPING)
    code, _, err = run_cli(["calibrate", str(tmp_path / "log.csv"), "--log-format", "generic",
                            "--mapping", str(tmp_path / "map.yaml"), "-o", str(tmp_path / "s.yaml")], capsys)
    assert code == 0, err
    scenario = load_scenario(tmp_path / "s.yaml")
    assert set(scenario.priorities) == {"High", "Low"}
    for name, stream in scenario.arrivals.items():  # each stream brings its own priority
        assert {scenario.priority_matrix[i - 1][u - 1] for i, u in stream.impact_urgency_shares()} == {name}
    visits = cut_visits(read_log(tmp_path / "log.csv", "generic", tmp_path / "map.yaml")).visits
    still_open = visits[visits["case_id"] == "OPEN"].sort_values("step")
    assert still_open["censored"].tolist() == [False, True]  # only its last visit is cut at the export
    assert not still_open["resolved_here"].any()
    assert still_open["exit"].iloc[-1] == pd.Timestamp("2016-03-21 08:00")  # the export: the latest time


def test_a_log_where_no_ticket_changes_group_calibrates(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """No hand-offs at all: no transfers learned, and no crash."""
    rows = [f"K{i},2016-03-{1 + i % 20:02d} 08:00:00,2016-03-{1 + i % 20:02d} 10:00:00,Low,"
            f"{('net', 'app')[i % 2]},{('net', 'app')[i % 2]},0\n" for i in range(40)]
    (tmp_path / "log.csv").write_text(HEADER + "".join(rows))
    (tmp_path / "map.yaml").write_text(PER_INCIDENT_MAPPING)
    code, _, err = run_cli(["calibrate", str(tmp_path / "log.csv"), "--log-format", "generic",
                            "--mapping", str(tmp_path / "map.yaml"), "-o", str(tmp_path / "s.yaml")], capsys)
    assert code == 0, err
    scenario = load_scenario(tmp_path / "s.yaml")
    assert all(not group.transfer for group in scenario.flow.groups.values())
