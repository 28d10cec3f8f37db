"""Rosters: who is on duty when, including shifts that cross midnight."""

from __future__ import annotations

import datetime as dt

import pytest

from simulator.model.rosters import duty_periods, roster_agents
from simulator.scenario.schema import Shift, Team

MONDAY = dt.datetime(2026, 1, 5)
DAY = 1440.0


def shift(**fields: object) -> Shift:
    return Shift.model_validate({"days": "Mon-Fri", "start": "08:00", "end": "16:00",
                                 "headcount": 1} | fields)


def test_a_night_shift_runs_into_the_next_morning_and_the_sunday_night_carries_over() -> None:
    nights = shift(days="Sun-Thu", start="22:00", end="06:00")
    periods = duty_periods(nights, MONDAY, 0.0, 7 * DAY)
    # Sunday 4 January 22:00 → Monday 06:00 is already running at the start of the run.
    assert periods == [(0.0, 360.0)] + [(day * DAY + 1320.0, (day + 1) * DAY + 360.0)
                                        for day in range(4)] + [(6 * DAY + 1320.0, 7 * DAY)]


def test_back_to_back_days_make_one_unbroken_period() -> None:
    around_the_clock = shift(days="daily", start="00:00", end="24:00")
    assert duty_periods(around_the_clock, MONDAY, 0.0, 14 * DAY) == [(0.0, 14 * DAY)]


def test_office_hours_on_weekdays_only() -> None:
    periods = duty_periods(shift(), MONDAY, 0.0, 14 * DAY)
    assert len(periods) == 10
    assert periods[4] == (4 * DAY + 480.0, 4 * DAY + 960.0)  # Friday
    assert periods[5] == (7 * DAY + 480.0, 7 * DAY + 960.0)  # the next Monday


def test_agents_are_named_by_team_shift_and_number() -> None:
    team = Team.model_validate({"roster": [{"name": "early", "days": "Mon-Fri", "start": "07:00",
                                            "end": "15:00", "headcount": 2},
                                           {"days": "Sat,Sun", "start": "09:00", "end": "17:00",
                                            "headcount": 1}]})
    assert [name for name, _ in roster_agents("desk", team)] == [
        "desk-early-1", "desk-early-2", "desk-shift2-1"]
    assert [name for name, shift in roster_agents("L2", Team(agents=2))] == ["L2-1", "L2-2"]


@pytest.mark.parametrize(("start", "end", "minutes"), [("22:00", "06:00", 480), ("08:00", "24:00", 960),
                                                       ("00:00", "24:00", 1440)])
def test_shift_lengths(start: str, end: str, minutes: float) -> None:
    assert shift(start=start, end=end).length() == minutes
