"""Calendar clock arithmetic: weekends, holidays, overnight periods, closed starts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.scenario.calendars import Calendar, CalendarClock, parse_days

MONDAY = dt.datetime(2026, 1, 5)  # 00:00
DAY, HOUR = 1440.0, 60.0
OFFICE = Calendar.model_validate({"hours": {"Mon-Fri": "08:00-17:00"},
                                  "holidays": ["2026-01-09"]})  # the first Friday is a holiday


def at(day: int, hour: float) -> float:
    """Minutes since Monday 5 January 2026 00:00."""
    return day * DAY + hour * HOUR


@pytest.fixture(scope="module")
def office() -> CalendarClock:
    return CalendarClock(OFFICE, MONDAY, -7 * DAY, 60 * DAY)


def test_working_minutes_accrue_only_in_office_hours(office: CalendarClock) -> None:
    assert office.working_minutes_at(at(0, 8)) == 0
    assert office.working_minutes_at(at(0, 9)) == 60
    assert office.working_minutes_at(at(0, 20)) == 540
    assert office.working_minutes_at(at(3, 17)) == 4 * 540  # Thursday evening
    assert office.working_minutes_at(at(4, 12)) == 4 * 540  # Friday is a holiday
    assert office.working_minutes_at(at(7, 8.5)) == 4 * 540 + 30  # next Monday 08:30


def test_deadlines_skip_nights_weekends_and_holidays(office: CalendarClock) -> None:
    assert office.deadline(at(0, 16), 2 * HOUR) == at(1, 9)  # Monday 16:00 + 2h → Tuesday 09:00
    assert office.deadline(at(3, 16), 2 * HOUR) == at(7, 9)  # over the holiday and the weekend
    assert office.deadline(at(5, 10), HOUR) == at(7, 9)  # starting on a Saturday
    assert office.deadline(at(0, 10), 0.0) == at(0, 10)
    assert office.deadline(at(5, 10), 0.0) == at(5, 10)  # never before the start
    assert office.is_open(at(0, 8)) and not office.is_open(at(0, 17)) and not office.is_open(at(4, 9))


def test_periods_that_touch_across_midnight_run_on() -> None:
    nights = Calendar.model_validate({"hours": {"daily": ["00:00-06:00", "22:00-24:00"]}})
    clock = CalendarClock(nights, MONDAY, 0.0, 14 * DAY)
    assert clock.deadline(at(0, 23), 3 * HOUR) == at(1, 2)
    assert clock.working_minutes_between(at(0, 12), at(1, 12)) == 8 * HOUR


def test_always_open_is_the_identity() -> None:
    clock = CalendarClock(None, MONDAY)
    assert clock.working_minutes_at(1234.5) == 1234.5
    assert clock.deadline(100.0, 50.0) == 150.0


@given(start=st.floats(min_value=-5 * DAY, max_value=40 * DAY),
       working=st.floats(min_value=0.0, max_value=10 * DAY))
def test_a_deadline_is_exactly_that_many_working_minutes_later(start: float, working: float) -> None:
    clock = CalendarClock(OFFICE, MONDAY, -7 * DAY, 60 * DAY)
    deadline = clock.deadline(start, working)
    assert deadline >= start
    assert clock.working_minutes_between(start, deadline) == pytest.approx(working, abs=1e-6)
    if working > 0:  # and not a minute later than needed
        assert clock.working_minutes_between(start, deadline - 1e-3) < working


@given(st.lists(st.floats(min_value=-5 * DAY, max_value=50 * DAY), min_size=1, max_size=20))
def test_vectorised_and_scalar_clocks_agree(times: list[float]) -> None:
    clock = CalendarClock(OFFICE, MONDAY, -7 * DAY, 60 * DAY)
    vector = clock.working_minutes_array(np.array(times))
    assert list(vector) == pytest.approx([clock.working_minutes_at(t) for t in times])


@pytest.mark.parametrize(("text", "days"), [
    ("Mon-Fri", (0, 1, 2, 3, 4)), ("Sat,Sun", (5, 6)), ("daily", tuple(range(7))),
    ("Fri-Mon", (0, 4, 5, 6)), ("tue", (1,)), ("weekdays", (0, 1, 2, 3, 4)),
])
def test_weekday_ranges(text: str, days: tuple[int, ...]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize(("hours", "fragment"), [
    ({"Mon-Fri": "18:00-08:00"}, "end after the start"),
    ({"Mon-Fri": ["08:00-12:00", "11:00-13:00"]}, "do not overlap"),
    ({"Mon-Fry": "08:00-17:00"}, "expected weekdays"),
    ({"Mon": "8am-5pm"}, "working hours such as"),
    ({"Mon": "08:00-25:00"}, "working hours such as"),
])
def test_impossible_calendars_are_refused(hours: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Calendar.model_validate({"hours": hours})
