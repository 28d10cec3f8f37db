"""A log cut at a date knows only what happened before it: counts, groups, finished tickets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.calibration.readers import read_log
from simulator.calibration.reallog import RealLog, select_window
from simulator.calibration.refine import _finished
from simulator.calibration.visits import cut_visits

# C1: net → db before the cut (1 May), then → app and → db after it; the export's counter on each
# row says how many hand-offs so far (4 on its last row: one of them never shown by an update).
# C2: resolved before the cut, with a hand-off the updates do not show (counter 2, one visible).
EVENTS = """\
case,when,status,queue,moves
C1,2016-04-28T08:00:00,Open,net,0
C1,2016-04-29T08:00:00,Open,db,1
C1,2016-05-02T08:00:00,Open,app,2
C1,2016-05-03T08:00:00,Open,db,4
C1,2016-05-04T08:00:00,Resolved,db,4
C2,2016-04-10T08:00:00,Open,net,0
C2,2016-04-10T09:00:00,Open,db,2
C2,2016-04-10T10:00:00,Resolved,db,2
"""
MAPPING = "case_id: case\nupdated: when\nstate: status\ngroup: queue\n"


def _log(tmp_path: Path, counters: bool) -> RealLog:
    (tmp_path / "events.csv").write_text(EVENTS)
    (tmp_path / "map.yaml").write_text(MAPPING + ("reassignments: moves\n" if counters else ""))
    return read_log(tmp_path / "events.csv", "generic", tmp_path / "map.yaml")


def test_a_cut_log_counts_hand_offs_as_of_the_cut_from_the_rows_counters(tmp_path: Path) -> None:
    log = _log(tmp_path, counters=True)
    assert log.incidents.loc["C1", "n_reassigned"] == 4.0  # the export's last row
    cut = select_window(log, dt.datetime(2016, 3, 1), dt.datetime(2016, 5, 1), cut=True)
    c1, c2 = cut.incidents.loc["C1"], cut.incidents.loc["C2"]
    assert (c1["n_reassigned"], c1["last_group"]) == (1.0, "db")  # as the last row before the cut said
    assert pd.isna(c1["resolved"])
    assert c2["n_reassigned"] == 2.0  # finished before the cut: as exported
    hidden = cut_visits(cut).hidden_reassignments
    assert hidden["C1"] == 0.0  # later hand-offs are not taken for hand-offs the updates missed
    assert hidden["C2"] == 1.0


def test_without_counters_a_cut_log_counts_the_group_changes_before_the_cut(tmp_path: Path) -> None:
    log = _log(tmp_path, counters=False)
    assert log.incidents.loc["C1", "n_reassigned"] == 3.0  # net → db → app → db
    cut = select_window(log, dt.datetime(2016, 3, 1), dt.datetime(2016, 5, 1), cut=True)
    assert cut.incidents.loc["C1", "n_reassigned"] == 1.0
    uncut = select_window(log, dt.datetime(2016, 3, 1), dt.datetime(2016, 5, 1), cut=False)
    assert uncut.incidents.loc["C1", "n_reassigned"] == 3.0  # a validation cohort keeps its history


def test_refinement_compares_hand_offs_of_the_tickets_finished_by_the_end_only() -> None:
    opened = pd.to_datetime(["2016-04-01", "2016-04-20", "2016-04-29", "2016-04-30"])
    cohort = pd.DataFrame({"opened": opened, "resolved": [True, True, True, False],
                           "resolution_h": [10.0, 24.0, 72.0, np.nan], "reassignments": [0, 1, 3, 2]})
    finished = _finished(cohort, dt.datetime(2016, 5, 1))
    assert finished["reassignments"].tolist() == [0, 1]  # resolved 2 May, and still open: left out
