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
import re
from typing import Annotated, Self

import numpy as np
from pydantic import BeforeValidator, model_validator

from simulator.scenario.types import Spec, problem

__all__ = [
    "ALWAYS_OPEN",
    "WEEKDAYS",
    "Calendar",
    "CalendarClock",
    "parse_days",
    "parse_time_of_day",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
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
    days: list[int] = []
    for part in str(text).split(","):
        part = part.strip().lower()
        if part in _DAY_ALIASES:
            days.extend(WEEKDAYS.index(day) for day in _DAY_ALIASES[part])
            continue
        first, _, last = part.partition("-")
        if first[:3] not in names or (last and last[:3] not in names):
            raise ValueError(f"expected weekdays such as 'Mon-Fri', 'Sat,Sun' or 'daily'; "
                             f"found {text!r}")
        start, end = names[first[:3]], names[(last or first)[:3]]
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
        for text in [ranges] if isinstance(ranges, str) else list(ranges):
            start_text, _, end_text = str(text).partition("-")
            try:
                start, end = parse_time_of_day(start_text), parse_time_of_day(end_text)
            except ValueError:
                raise problem("calendar", f"expected working hours such as '08:00-18:00' for "
                                          f"{days_text!r}; found {text!r}") from None
            if end <= start:
                raise problem("calendar", f"expected an end after the start in {text!r} "
                                          f"(split a range that crosses midnight in two)")
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

    hours: Annotated[dict[str, tuple[tuple[float, float], ...]], BeforeValidator(_parse_hours)]
    holidays: tuple[dt.date, ...] = ()

    @model_validator(mode="after")
    def _no_overlap(self) -> Self:
        for day, ranges in self.hours.items():
            for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
                if start < end:
                    raise ValueError(f"expected working hours that do not overlap on {day}")
        if not any(self.hours.values()):
            raise ValueError("expected at least one working period in the week")
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
        The range of simulation minutes the clock must cover; outside it the
        calendar is treated as closed (look-ups beyond ``last`` answer ``inf``).
    """

    def __init__(self, calendar: Calendar | None, origin: dt.datetime,
                 first: float = 0.0, last: float = 0.0) -> None:
        self.always_open = calendar is None
        edges: list[float] = []
        if calendar is not None:
            first_day = (origin + dt.timedelta(minutes=first)).date() - dt.timedelta(days=1)
            last_day = (origin + dt.timedelta(minutes=last)).date() + dt.timedelta(days=1)
            day = first_day
            while day <= last_day:
                midnight = (dt.datetime.combine(day, dt.time()) - origin).total_seconds() / 60.0
                for start, end in calendar.open_ranges(day):
                    if edges and edges[-1] == midnight + start:
                        edges[-1] = midnight + end  # contiguous with the previous period
                    else:
                        edges.extend((midnight + start, midnight + end))
                day += dt.timedelta(days=1)
        self._edges = edges
        self._cumulative = [0.0] * len(edges)
        for index in range(1, len(edges)):
            opened = edges[index] - edges[index - 1] if index % 2 else 0.0
            self._cumulative[index] = self._cumulative[index - 1] + opened
        self._edges_array = np.asarray(edges)
        self._cumulative_array = np.asarray(self._cumulative)

    def working_minutes_at(self, t: float) -> float:
        """Working minutes elapsed between the clock's start and simulation minute ``t``."""
        if self.always_open:
            return t
        edges = self._edges
        index = bisect.bisect_right(edges, t)
        if index == 0:
            return 0.0
        if index >= len(edges):
            return self._cumulative[-1] if edges else 0.0
        if index % 2:  # inside an open period that started at edges[index - 1]
            return self._cumulative[index - 1] + (t - edges[index - 1])
        return self._cumulative[index - 1]

    def time_at(self, working_minutes: float) -> float:
        """The earliest simulation minute by which ``working_minutes`` will have elapsed."""
        if self.always_open:
            return working_minutes
        cumulative = self._cumulative
        index = bisect.bisect_left(cumulative, working_minutes)
        if index >= len(cumulative):
            return float("inf")
        if index == 0:
            return self._edges[0] if cumulative else float("inf")
        return self._edges[index] - (cumulative[index] - working_minutes)

    def working_minutes_between(self, start: float, end: float) -> float:
        """Working minutes in the interval from ``start`` to ``end``."""
        return self.working_minutes_at(end) - self.working_minutes_at(start)

    def deadline(self, start: float, working_minutes: float) -> float:
        """When ``working_minutes`` of calendar time counted from ``start`` will have elapsed."""
        return max(start, self.time_at(self.working_minutes_at(start) + working_minutes))

    def is_open(self, t: float) -> bool:
        """Whether the calendar is open at simulation minute ``t``."""
        return self.always_open or bisect.bisect_right(self._edges, t) % 2 == 1

    def working_minutes_array(self, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`working_minutes_at` (NaN stays NaN)."""
        t = np.asarray(t, dtype=float)
        if self.always_open:
            return t.copy()
        if len(self._edges_array) == 0:
            return np.where(np.isnan(t), np.nan, 0.0)
        return np.interp(t, self._edges_array, self._cumulative_array)
