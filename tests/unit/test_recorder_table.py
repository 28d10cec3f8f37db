"""The recorder's event-log table from hand-written rows: every cell worked out independently.

The table is built from the recorder's flat list by packing the numbers with ``struct`` and doing
the timestamp arithmetic in integer nanoseconds (issue 16); these tests check it against
pandas' own datetime arithmetic and plain Python, cell by cell.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from simulator.eventlog.log import ACTIVITIES
from simulator.model.incident import NO_AGENT, NO_CASE, NO_SERVICE, ActivityCode, Recorder

START = dt.datetime(2026, 1, 5, 8, 30)


def _recorder() -> Recorder:
    recorder = Recorder(["desk", "network"], ["P1", "P2"], ["software", "hardware"], ["portal"])
    recorder.add_agent("desk-1")
    recorder.add_agent("network-1")
    outage = recorder.add_case("OUT0000001", 0, 1, 0)
    ticket = recorder.add_case("INC0000001", 1, 0)
    recorder.link(ticket, outage)
    return recorder


# (minutes, case, activity, team, agent): minutes as float, int and NumPy float; codes as NumPy ints;
# times that round to the millisecond either way, and one before the start.
ROWS: list[tuple[Any, ...]] = [
    (0, 1, ActivityCode.ARRIVED, 0, NO_AGENT),
    (0.25, 0, ActivityCode.OUTAGE_STARTED, 1, NO_AGENT),
    (np.float64(1.5 + 0.4 / 60_000), np.int64(1), ActivityCode.ASSIGNED, np.int64(0), 0),
    (1.5 + 0.6 / 60_000, 1, ActivityCode.WORK_STARTED, 0, 0),
    (-2.0, 0, ActivityCode.RESTORED, 1, 1),
    (60.0 * 24 * 400 + 1 / 3, 1, ActivityCode.RESOLVED, 0, 0),
]


def _expected(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    names, priorities, categories = ["OUT0000001", "INC0000001"], ["P1", "P2"], ["hardware", "software"]
    return pd.DataFrame({
        "seq": np.arange(len(rows), dtype=np.int64),
        "case_id": pd.Categorical([names[int(r[1])] for r in rows], categories=names),
        "timestamp": [pd.Timestamp(START) + pd.Timedelta(milliseconds=round(float(r[0]) * 60_000))
                      for r in rows],
        "activity": pd.Categorical([ACTIVITIES[int(r[2])] for r in rows], categories=list(ACTIVITIES)),
        "team": pd.Categorical([["desk", "network"][int(r[3])] for r in rows],
                               categories=["desk", "network"]),
        "agent": pd.Categorical([None if r[4] == NO_AGENT else ["desk-1", "network-1"][int(r[4])]
                                 for r in rows], categories=["desk-1", "network-1"]),
        "priority": pd.Categorical([priorities[0 if int(r[1]) == 0 else 1] for r in rows],
                                   categories=priorities),
        "category": pd.Categorical([categories[0 if int(r[1]) == 0 else 1] for r in rows],
                                   categories=["software", "hardware"]),
        "service": pd.Categorical(["portal" if int(r[1]) == 0 else None for r in rows],
                                  categories=["portal"]),
        "parent": pd.Categorical([None if int(r[1]) == 0 else "OUT0000001" for r in rows], categories=names),
    }).astype({"timestamp": "datetime64[ns]"})


def test_table_cells_match_pandas_datetime_arithmetic() -> None:
    recorder = _recorder()
    for row in ROWS:
        recorder.record(row)
    log = recorder.build(START, 60.0 * 24 * 401, 0.0, {})
    pd.testing.assert_frame_equal(log.events, _expected(ROWS), check_exact=True)
    assert NO_SERVICE == NO_CASE == -1  # the sentinels read as missing above


def test_a_float_among_the_codes_is_truncated_as_before() -> None:
    # struct refuses a float where an int64 goes; the table then falls back to NumPy's conversion,
    # which truncates it (a model bug would write such a row; the table must not change meaning).
    recorder = _recorder()
    recorder.record((3.0, 1.0, float(ActivityCode.CLOSED), 0, NO_AGENT))
    recorder.record((4.0, 1, ActivityCode.REOPENED, 0.9, NO_AGENT))
    log = recorder.build(START, 10.0, 0.0, {})
    assert list(log.events["activity"]) == [ACTIVITIES[ActivityCode.CLOSED],
                                            ACTIVITIES[ActivityCode.REOPENED]]
    assert list(log.events["case_id"]) == ["INC0000001", "INC0000001"]
    assert list(log.events["team"]) == ["desk", "desk"]


def test_a_non_number_is_refused() -> None:
    recorder = _recorder()
    recorder.record((3.0, "INC0000001", ActivityCode.CLOSED, 0, NO_AGENT))  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError)):
        recorder.build(START, 10.0, 0.0, {})
