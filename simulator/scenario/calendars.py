"""Scenario layer: working calendars and the clock arithmetic SLA timers need.

A :class:`Calendar` is a week of working hours plus holiday dates, in local
time without daylight-saving changes (every day has 24 hours). ``24x7`` is
built in. A :class:`CalendarClock` compiles a calendar onto the simulation's
minute axis (minutes since the scenario start) and answers the two questions
an SLA clock asks:

* how many working minutes lie between two moments (:meth:`CalendarClock.working_minutes_at`);
* when a given number of working minutes will have elapsed (:meth:`CalendarClock.time_at`).

Both are a piecewise-linear function and its inverse: the cumulative working
minutes rise with slope one while the calendar is open and stay flat while it
is closed. The same compiled arrays serve the model (scalar look-ups with
:mod:`bisect`) and the metrics (vectorised with NumPy).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from typing import Annotated, Self

import numpy as np
from pydantic import BeforeValidator, model_validator

from simulator.scenario.types import Spec, problem

__all__ = [
    "ALWAYS_OPEN",
    "HOURS_PER_WEEK",
    "WEEKDAYS",
    "WEEKDAY_NAMES",
    "Calendar",
    "CalendarClock",
    "parse_days",
    "parse_time_of_day",
]

#: The days of the week in full, Monday first (weekday numbers index this; scenarios may write them).
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The days of the week as scenarios and reports usually write them: ``Mon`` … ``Sun``.
WEEKDAYS = tuple(name[:3] for name in WEEKDAY_NAMES)
#: Hourly profiles of the week have this many values, Monday 00–01 first.
HOURS_PER_WEEK = 24 * len(WEEKDAYS)
ALWAYS_OPEN = "24x7"
_DAY_ALIASES = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:],
                "weekend": WEEKDAYS[5:]}
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_time_of_day(text: str) -> float:
    """``"08:30"`` → minutes after midnight (``"24:00"`` is the end of the day)."""
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"expected a time of day such as '08:00'; found {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes > 0):
        raise ValueError(f"expected a time of day between 00:00 and 24:00; found {text!r}")
    return hours * 60.0 + minutes


def parse_days(text: str) -> tuple[int, ...]:
    """``"Mon-Fri"``, ``"Sat,Sun"``, ``"daily"`` → weekday numbers (Monday = 0)."""
    names = {name.lower(): index for index, name in enumerate(WEEKDAYS)}
    names |= {full.lower(): index for index, full in enumerate(WEEKDAY_NAMES)}
    days: list[int] = []
    for raw in str(text).split(","):
        part = raw.strip().lower()
        if part in _DAY_ALIASES:
            days.extend(WEEKDAYS.index(day) for day in _DAY_ALIASES[part])
            continue
        first, _, last = (piece.strip() for piece in part.partition("-"))
        if first not in names or (last and last not in names):
            raise ValueError(f"expected weekdays such as 'Mon-Fri', 'Sat,Sun' or 'daily'; "
                             f"found {text!r}")
        start, end = names[first], names[last or first]
        days.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return tuple(sorted(set(days)))


def _parse_hours(value: object) -> object:
    if not isinstance(value, dict):
        return value
    week: dict[int, list[tuple[float, float]]] = {}
    for days_text, ranges in value.items():
        try:
            days = parse_days(str(days_text))
        except ValueError as error:
            raise problem("calendar", str(error)) from None
        if not isinstance(ranges, str) and not (
                isinstance(ranges, list) and ranges and all(isinstance(item, str) for item in ranges)):
            found = "nothing" if ranges is None else repr(ranges)
            raise problem("calendar", f"expected working hours such as '08:00-18:00' (or a list of "
                                      f"them) for {days_text!r}; found {found}")
        for text in [ranges] if isinstance(ranges, str) else ranges:
            start_text, _, end_text = str(text).partition("-")
            try:
                start, end = parse_time_of_day(start_text), parse_time_of_day(end_text)
            except ValueError:
                raise problem("calendar", f"expected working hours such as '08:00-18:00' for "
                                          f"{days_text!r}; found {text!r}") from None
            if end <= start:
                raise problem("calendar", f"expected an end after the start (split a range that "
                                          f"crosses midnight in two); found {text!r}")
            for day in days:
                week.setdefault(day, []).append((start, end))
    return {WEEKDAYS[day]: tuple(sorted(ranges)) for day, ranges in sorted(week.items())}


class Calendar(Spec):
    """Working hours for each weekday (local time, no DST) and holiday dates.

    In the scenario file::

        business:
          hours: {Mon-Fri: "08:00-18:00"}
          holidays: [2026-12-25, 2026-12-26]
    """

    # weekdays → time ranges, e.g. {Mon-Fri: "08:00-18:00"}
    hours: Annotated[dict[str, tuple[tuple[float, float], ...]],
                     BeforeValidator(_parse_hours, json_schema_input_type=dict[str, str | list[str]])]
    holidays: tuple[dt.date, ...] = ()  # dates on which the calendar is closed

    @model_validator(mode="after")
    def _no_overlap(self) -> Self:
        for day, ranges in self.hours.items():
            for (_, end), (start, _) in itertools.pairwise(ranges):
                if start < end:
                    raise ValueError(f"expected working hours that do not overlap; found "
                                     f"overlapping periods on {day}")
        if not any(self.hours.values()):
            raise ValueError("expected at least one working period in the week; found none")
        return self

    def open_ranges(self, day: dt.date) -> tuple[tuple[float, float], ...]:
        """Working periods of one date, in minutes after its midnight."""
        if day in self.holidays:
            return ()
        return self.hours.get(WEEKDAYS[day.weekday()], ())

    def weekly_minutes(self) -> float:
        """Working minutes in a week without holidays."""
        return sum(end - start for ranges in self.hours.values() for start, end in ranges)


class CalendarClock:
    """A calendar laid onto the simulation clock (minutes since ``origin``).

    Parameters
    ----------
    calendar
        The working hours, or ``None`` for a clock that never stops (24×7).
    origin
        The datetime of simulation minute 0.
    first, last
        The range of simulation minutes to prepare for; the clock extends itself
        if asked about times outside it.

    Working minutes are counted from minute 0 (negative before it).
    """

    _MAX_SPAN_DAYS = 366 * 50  # a deadline further away than this is "never"

    def __init__(self, calendar: Calendar | None, origin: dt.datetime,
                 first: float = 0.0, last: float = 0.0) -> None:
        self.calendar = calendar
        self.origin = origin
        self.always_open = calendar is None
        self._edges: list[float] = []
        self._cumulative: list[float] = []
        self._span = (0.0, 0.0)
        if calendar is not None:
            self._build(self._date(first) - dt.timedelta(days=1),
                        self._date(last) + dt.timedelta(days=7))

    def _date(self, t: float) -> dt.date:
        return (self.origin + dt.timedelta(minutes=t)).date()

    def _minute(self, day: dt.date) -> float:
        return (dt.datetime.combine(day, dt.time()) - self.origin).total_seconds() / 60.0

    def _build(self, first_day: dt.date, last_day: dt.date) -> None:
        assert self.calendar is not None
        edges: list[float] = []
        day = first_day
        while day <= last_day:
            midnight = self._minute(day)
            for start, end in self.calendar.open_ranges(day):
                if edges and edges[-1] == midnight + start:
                    edges[-1] = midnight + end  # contiguous with the previous period
                else:
                    edges.extend((midnight + start, midnight + end))
            day += dt.timedelta(days=1)
        cumulative = [0.0] * len(edges)
        for index in range(1, len(edges)):
            opened = edges[index] - edges[index - 1] if index % 2 else 0.0
            cumulative[index] = cumulative[index - 1] + opened
        self._edges, self._cumulative = edges, cumulative
        self._span = (self._minute(first_day), self._minute(last_day + dt.timedelta(days=1)))
        at_zero = self._raw_working_minutes(0.0)
        self._cumulative = [value - at_zero for value in cumulative]
        self._edges_array = np.asarray(self._edges)
        self._cumulative_array = np.asarray(self._cumulative)
        self._first_day, self._last_day = first_day, last_day

    def _cover(self, first: float, last: float) -> bool:
        """Make sure the compiled range covers ``[first, last]``; False if that is absurdly far."""
        if self._span[0] <= first and last <= self._span[1]:
            return True
        first_day = min(self._first_day, self._date(first) - dt.timedelta(days=1))
        last_day = max(self._last_day, self._date(last) + dt.timedelta(days=7))
        if (last_day - first_day).days > self._MAX_SPAN_DAYS:
            return False
        width = last_day - first_day  # grow generously: extensions are rare
        self._build(first_day - (width if first < self._span[0] else dt.timedelta()),
                    last_day + (width if last > self._span[1] else dt.timedelta()))
        return True

    def _raw_working_minutes(self, t: float) -> float:
        edges = self._edges
        index = bisect.bisect_right(edges, t)
        if index == 0:
            return self._cumulative[0] if edges else 0.0
        if index >= len(edges):
            return self._cumulative[-1]
        if index % 2:  # inside an open period that started at edges[index - 1]
            return self._cumulative[index - 1] + (t - edges[index - 1])
        return self._cumulative[index - 1]

    def working_minutes_at(self, t: float) -> float:
        """Working minutes from minute 0 to minute ``t`` (negative for ``t`` before 0)."""
        if self.always_open:
            return t
        if not self._span[0] <= t <= self._span[1] and not self._cover(t, t):
            return self._cumulative[-1] if t > 0 else self._cumulative[0]
        return self._raw_working_minutes(t)

    def time_at(self, working_minutes: float) -> float:
        """The earliest simulation minute at which ``working_minutes`` (counted from minute 0) is reached."""
        if self.always_open:
            return working_minutes
        while not self._cumulative or working_minutes > self._cumulative[-1]:
            if not self._cover(self._span[0], self._span[1] + (self._span[1] - self._span[0])):
                return float("inf")
        while working_minutes < self._cumulative[0]:
            if not self._cover(self._span[0] - (self._span[1] - self._span[0]), self._span[1]):
                return float("-inf")
        cumulative = self._cumulative
        index = bisect.bisect_left(cumulative, working_minutes)
        if index == 0:
            return self._edges[0]
        return self._edges[index] - (cumulative[index] - working_minutes)

    def working_minutes_between(self, start: float, end: float) -> float:
        """Working minutes in the interval from ``start`` to ``end``."""
        return self.working_minutes_at(end) - self.working_minutes_at(start)

    def deadline(self, start: float, working_minutes: float) -> float:
        """When ``working_minutes`` of calendar time counted from ``start`` will have elapsed."""
        return max(start, self.time_at(self.working_minutes_at(start) + working_minutes))

    def is_open(self, t: float) -> bool:
        """Whether the calendar is open at simulation minute ``t``."""
        if self.always_open:
            return True
        self._cover(t, t)
        return bisect.bisect_right(self._edges, t) % 2 == 1

    def next_start(self, t: float) -> float:
        """The start of the first open period that begins after minute ``t`` (inf if none).

        A CAB that meets in the open periods of a calendar next meets then.
        """
        if self.always_open:
            return float("inf")
        span = self._span[1] - self._span[0]
        while True:
            index = bisect.bisect_right(self._edges, t)
            index += index % 2  # inside an open period: the next one's start
            if index < len(self._edges):
                return self._edges[index]
            if not self._cover(self._span[0], self._span[1] + span):
                return float("inf")

    def next_open(self, t: float) -> float:
        """Minute ``t`` if the calendar is open then, else the start of its next open period."""
        return t if self.is_open(t) else self.next_start(t)

    def working_minutes_array(self, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`working_minutes_at` (NaN stays NaN)."""
        t = np.asarray(t, dtype=float)
        if self.always_open:
            return t.copy()
        finite = t[np.isfinite(t)]
        if len(finite):
            self._cover(float(finite.min()), float(finite.max()))
        if len(self._edges_array) == 0:
            return np.where(np.isnan(t), np.nan, 0.0)
        return np.interp(t, self._edges_array, self._cumulative_array)
