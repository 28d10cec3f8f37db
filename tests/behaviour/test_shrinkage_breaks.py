"""Shrinkage, planned absence and breaks: rostered, scheduled and available agents differ."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from simulator.scenario.errors import ScenarioError
from tests.helpers import scenario, simulate, trace


def _duty(log: Any) -> list[tuple[float, str, bool]]:
    minutes = (log.duty["timestamp"] - pd.Timestamp(log.start)).dt.total_seconds() / 60.0
    return [(round(float(m), 6), str(a), bool(o))
            for m, a, o in zip(minutes, log.duty["agent"], log.duty["on_duty"], strict=True)]


def test_a_break_comes_after_the_call_in_hand() -> None:
    # One agent from midnight; a 30-minute break due at 01:00; calls at 00:50 and 01:15 of 20 min.
    log = simulate({"run": {"horizon": "3h"},
                    "arrivals": {"calls": {"at": ["50m", "75m"]}},
                    "teams": {"desk": {"at_shift_end": "handover",
                                       "breaks": [{"after": "1h", "length": "30m"}]}},
                    "flow": {"desk": {"handling": "20m"}}})
    assert _duty(log) == [(0.0, "desk-1", True), (60.0, "desk-1", False), (90.0, "desk-1", True)]
    rows = trace(log)
    assert (70.0, "INC0000001", "resolved", "desk", "desk-1") in rows  # finished, not handed over
    assert (90.0, "INC0000002", "work started", "desk", "desk-1") in rows  # waited for the break
    assert not any(row[2] == "interrupted" for row in rows)


def test_breaks_within_a_window_fall_inside_it_for_each_agent_and_shift() -> None:
    log = simulate({"run": {"horizon": "2w"}, "arrivals": {"calls": {"at": ["1m"]}},
                    "teams": {"desk": {"agents": None, "roster": [
                        {"days": "Mon-Fri", "start": "08:00", "end": "17:00", "headcount": 4}],
                        "breaks": [{"after": "3h", "latest_start": "5h", "length": "45m"}]}}})
    duty = pd.DataFrame(_duty(log), columns=["t", "agent", "on"])
    offs = duty[~duty["on"]].groupby("agent")["t"].apply(list)
    starts = [t % 1440 for times in offs for t in times if t % 1440 < 17 * 60 - 1]
    assert len(starts) == 4 * 10  # one break per agent and shift
    assert all(11 * 60 <= t <= 13 * 60 for t in starts)
    assert len({round(t) for t in starts}) > 20  # placed apart, not all at once


def test_shrinkage_loses_its_share_of_shifts_and_is_the_same_every_run() -> None:
    changes = {"run": {"horizon": "20w"}, "arrivals": {"calls": {"at": ["1m"]}},
               "teams": {"desk": {"agents": None, "shrinkage": 0.3, "roster": [
                   {"days": "daily", "start": "08:00", "end": "16:00", "headcount": 10}]}}}
    duty = _duty(simulate(changes))
    worked = sum(on for _, _, on in duty)
    assert worked / (10 * 140) == pytest.approx(0.7, abs=0.04)  # 1,400 shifts rostered
    assert duty == _duty(simulate(changes))


def test_planned_absence_takes_the_last_agents_off_for_its_stretch() -> None:
    log = simulate({"run": {"horizon": "6h"},
                    "teams": {"desk": {"agents": 2, "planned_absence": [
                        {"start": "1h", "end": "3h", "agents": 1}]}}})
    assert _duty(log) == [(0.0, "desk-1", True), (0.0, "desk-2", True), (60.0, "desk-2", False),
                          (180.0, "desk-2", True)]


def test_a_break_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"teams\.desk\.breaks\[0\].*latest_start"):
        scenario({"teams": {"desk": {"breaks": [{"after": "3h", "latest_start": "2h",
                                                  "length": "30m"}]}}})
