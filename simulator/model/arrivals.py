"""Model layer: arrival times of each stream, a non-homogeneous Poisson process.

The rate is constant within each hour of the week (168 values, from the
stream's volume and its day-of-week and hour-of-day profile, on the local
calendar of the scenario start). Times are sampled by thinning (Lewis and
Shedler, 1979): candidates from a Poisson process at the peak rate, each kept
with probability rate(t) / peak rate. Candidates are drawn in fixed-size
blocks, so a longer horizon extends the same arrivals rather than changing them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simulator.scenario.calendars import HOURS_PER_WEEK
from simulator.scenario.schema import ArrivalStream

__all__ = ["arrival_times", "hourly_rates"]

_BLOCK = 65_536


def hourly_rates(stream: ArrivalStream) -> np.ndarray:
    """Incidents per minute in each hour of the week (index ``weekday * 24 + hour``, Monday = 0)."""
    per_day = (stream.volume or 0.0) * 24 * 60
    if stream.weekly is not None:
        weekly_shares = np.asarray(stream.weekly, dtype=float).reshape(-1)
        per_hour = per_day * 7.0 * weekly_shares
    else:
        hours = np.asarray(stream.hour_of_day if stream.hour_of_day is not None
                           else [1.0 / 24.0] * 24)
        days = np.asarray(stream.day_of_week if stream.day_of_week is not None else [1.0] * 7)
        per_hour = per_day * np.outer(days, hours).reshape(-1)
    return per_hour / 60.0


def arrival_times(stream: ArrivalStream, start: dt.datetime, horizon: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Arrival times in minutes since ``start``, within ``[0, horizon)``, sorted."""
    if stream.at is not None:
        fixed = np.sort(np.asarray(stream.at, dtype=float))
        return fixed[fixed < horizon]
    rates = hourly_rates(stream)
    peak = float(rates.max())
    if peak <= 0.0:
        return np.empty(0)
    minute_of_week = start.weekday() * 1440 + start.hour * 60 + start.minute + start.second / 60.0
    accepted: list[np.ndarray] = []
    clock = 0.0
    while clock < horizon:
        gaps = -np.log1p(-rng.random(_BLOCK)) / peak
        keep = rng.random(_BLOCK)
        candidates = clock + np.cumsum(gaps)
        clock = float(candidates[-1])
        hour = ((minute_of_week + candidates) // 60).astype(np.int64) % HOURS_PER_WEEK
        chosen = candidates[(keep * peak < rates[hour]) & (candidates < horizon)]
        accepted.append(chosen)
    return np.concatenate(accepted)
