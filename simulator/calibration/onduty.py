"""Calibration layer: when each group works, learned from who updates tickets in which hour.

A group is taken to be *on duty* in an hour of the week when, on average over the
weeks of the log, at least :data:`ON_DUTY_SHARE` of its busiest weekday hour's
people updated one of its tickets in that hour; the run of such hours around the
busiest one forms one shift (a one-hour lunch dip does not split it).
Weekdays share one profile, and so do Saturday and Sunday, so that a group has at
most two shifts: ``Mon-Fri`` and ``Sat-Sun``. Without resolver names in the log,
every group is assumed to work Mon–Fri 08:00–18:00 (a stated assumption).

:class:`OnDuty` turns a datetime into *on-duty minutes* of a group since a fixed
Monday: the difference between two such values is the time the group was at
work between two moments, which is how work is told apart from nights and
weekends (see :mod:`simulator.calibration.learn`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.scenario.calendars import HOURS_PER_WEEK

__all__ = ["ON_DUTY_SHARE", "OnDuty", "activity_profile", "learn_on_duty"]

ON_DUTY_SHARE = 0.1
_WEEK_MIN = 7 * 24 * 60
_ORIGIN = pd.Timestamp("2000-01-03")  # a Monday
#: The assumption when the log names no resolvers: Mon–Fri 08:00–18:00.
DEFAULT_HOURS = ((8, 18), None)


def activity_profile(updates: pd.DataFrame, groups: pd.Series, start: pd.Timestamp,
                     end: pd.Timestamp) -> pd.DataFrame:
    """Mean distinct resolvers active per hour of the week, per group (rows: groups, 168 columns).

    ``groups`` gives each update's group (already pooled); an update counts for the
    resolver named on it, in the clock hour of its time.
    """
    chosen = (updates["time"] >= start) & (updates["time"] < end) & updates["resolver"].notna()
    frame = pd.DataFrame({"group": groups[chosen.to_numpy()].to_numpy(),
                          "hour": updates.loc[chosen, "time"].dt.floor("h").to_numpy(),
                          "resolver": updates.loc[chosen, "resolver"].to_numpy()})
    people = frame.drop_duplicates().groupby(["group", "hour"]).size().rename("people").reset_index()
    hours = pd.DatetimeIndex(people["hour"])
    people["slot"] = hours.day_of_week * 24 + hours.hour
    weeks = pd.Series(pd.date_range(start.floor("h"), end, freq="h", inclusive="left"))
    per_slot = (weeks.dt.day_of_week * 24 + weeks.dt.hour).value_counts().reindex(range(HOURS_PER_WEEK),
                                                                                  fill_value=1)
    table = people.pivot_table(index="group", columns="slot", values="people", aggfunc="sum",
                               fill_value=0).reindex(columns=range(HOURS_PER_WEEK), fill_value=0)
    return table / per_slot.clip(lower=1).to_numpy()


def _span(profile: np.ndarray, threshold: float) -> tuple[int, int] | None:
    """The run of hours around the busiest one that stay at or above ``threshold``.

    A single hour below it (a lunch dip) does not end the run.
    """
    peak = int(np.argmax(profile))
    if profile[peak] < threshold:
        return None
    busy = profile >= threshold
    first = last = peak
    while first > 0 and (busy[first - 1] or (first > 1 and busy[first - 2])):
        first -= 1
    while last < 23 and (busy[last + 1] or (last < 22 and busy[last + 2])):
        last += 1
    return first, last + 1


def learn_on_duty(profile: np.ndarray | None) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """(weekday hours, weekend hours) as (start hour, end hour), or None where off duty."""
    if profile is None or profile.max() <= 0:
        return DEFAULT_HOURS
    weekday = profile[:120].reshape(5, 24).mean(axis=0)
    weekend = profile[120:].reshape(2, 24).mean(axis=0)
    threshold = ON_DUTY_SHARE * max(weekday.max(), weekend.max())
    return _span(weekday, threshold), _span(weekend, threshold)


@dataclass(frozen=True)
class OnDuty:
    """On-duty hours of several groups as a 168-hour mask each, and clocks over them."""

    mask: np.ndarray  # groups × 168 booleans, Monday 00–01 first

    @classmethod
    def from_hours(cls, hours: list[tuple[tuple[int, int] | None, tuple[int, int] | None]]) -> OnDuty:
        """Masks from each group's (weekday, weekend) hours."""
        mask = np.zeros((len(hours), HOURS_PER_WEEK), dtype=bool)
        for row, (weekday, weekend) in enumerate(hours):
            for days, span in ((range(5), weekday), (range(5, 7), weekend)):
                if span is not None:
                    for day in days:
                        mask[row, day * 24 + span[0]:day * 24 + span[1]] = True
        return cls(mask)

    def minutes(self, group: np.ndarray, times: pd.Series | np.ndarray, days: range | None = None
                ) -> np.ndarray:
        """On-duty minutes of ``group[i]`` from a fixed Monday up to ``times[i]``.

        ``days`` (0 = Monday) restricts the count to those weekdays.
        """
        mask = self.mask.astype(float)
        if days is not None:
            keep = np.zeros(HOURS_PER_WEEK, dtype=bool)
            for day in days:
                keep[day * 24:(day + 1) * 24] = True
            mask = mask * keep
        per_week = mask.sum(axis=1) * 60.0
        before = np.concatenate([np.zeros((len(mask), 1)), np.cumsum(mask, axis=1)[:, :-1]], axis=1) * 60.0
        elapsed = (pd.to_datetime(pd.Series(times)) - _ORIGIN).dt.total_seconds().to_numpy() / 60.0
        week, within = np.divmod(elapsed, _WEEK_MIN)
        hour = (within // 60).astype(int)
        into = within - hour * 60.0
        return week * per_week[group] + before[group, hour] + mask[group, hour] * into

    def weekly_minutes(self, days: range | None = None) -> np.ndarray:
        """On-duty minutes per week of each group (on ``days`` only, if given)."""
        mask = self.mask.copy()
        if days is not None:
            outside = np.ones(HOURS_PER_WEEK, dtype=bool)
            for day in days:
                outside[day * 24:(day + 1) * 24] = False
            mask[:, outside] = False
        return mask.sum(axis=1) * 60.0
