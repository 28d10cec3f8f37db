"""Experiment layer: how long the warm-up should be — MSER-5 on the backlog.

A run that starts with an empty desk spends its first days or weeks filling up;
KPIs measured then describe the start-up, not the organisation. MSER-5
(White, Cobb & Spratt 2000; White 1997) picks the truncation point that
minimises the marginal standard error of what is left:

    MSER(d) = Σ_{i > d} (B_i − B̄_d)² / (k − d)²,  d = 0 … k/2,

where B_1 … B_k are means of 5 consecutive observations of the series. The
series here is the open backlog, averaged over the replications and over each
*period*: weekly means when resolution times are long (90th percentile over a
day) or arrivals have a weekly shape (a week is the cycle to average out),
daily means when there is only a daily shape, hourly otherwise. The suggested
warm-up is d* batches of 5 periods.

Once the backlog has settled the statistic is nearly flat, and where exactly its
minimum falls is down to noise (it moves with the seed). So a configured warm-up
counts as *too short* only when its statistic is more than 25 % above the
minimum: the earliest truncation within 25 % is reported as "adequate from".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.metrics.series import ALL_TEAMS
from simulator.scenario.schema import Scenario

__all__ = ["ADEQUATE_WITHIN", "PERIOD_MIN", "WarmupAnalysis", "analyse_warmup", "choose_period",
           "mser"]

#: Minutes in each period a backlog series can be averaged over.
PERIOD_MIN = {"hour": 60.0, "day": 1440.0, "week": 10080.0}
BATCH = 5
#: A warm-up is adequate when its MSER statistic is within this share of the minimum.
ADEQUATE_WITHIN = 0.25


def mser(observations: np.ndarray, batch: int = BATCH) -> tuple[int, np.ndarray]:
    """MSER-``batch``: the truncation point (in batches) and the statistic for each candidate."""
    count = len(observations) // batch
    batches = np.asarray(observations[: count * batch], dtype=float).reshape(count, batch).mean(axis=1)
    candidates = range(max(count // 2, 0) + 1) if count >= 2 else range(1)
    statistic = np.array([np.sum((batches[d:] - batches[d:].mean()) ** 2) / (count - d) ** 2
                          if count - d > 0 else math.inf for d in candidates])
    return int(np.argmin(statistic)) if len(statistic) else 0, statistic


def choose_period(scenario: Scenario, resolution_p90_h: float | None) -> str:
    """The averaging period for the backlog series (see the module's notes)."""
    weekly_shape = any(stream.day_of_week is not None or stream.weekly is not None
                       for stream in scenario.arrivals.values())
    if weekly_shape or (resolution_p90_h is not None and resolution_p90_h > 24.0):
        return "week"
    if any(stream.hour_of_day is not None for stream in scenario.arrivals.values()):
        return "day"
    return "hour"


@dataclass(frozen=True)
class WarmupAnalysis:
    """The backlog per period across replications, MSER-5's statistic, and the suggestion."""

    period: str
    series: pd.DataFrame  # per period: start (minutes), mean, low, high across replications
    statistic: np.ndarray  # MSER(d) for d = 0 … k/2 batches
    truncation_batches: int
    warmup_min: float

    def adequate_from_min(self, tolerance: float = ADEQUATE_WITHIN) -> float:
        """The shortest warm-up whose MSER statistic is within ``tolerance`` of the minimum.

        Where the backlog has settled, the statistic is nearly flat and its minimum falls
        wherever the noise puts it; any truncation this close to the minimum is as good.
        """
        best = float(np.min(self.statistic))
        first = int(np.flatnonzero(self.statistic <= best * (1.0 + tolerance))[0])
        return first * BATCH * PERIOD_MIN[self.period]

    def too_short(self, configured_min: float) -> bool:
        """Whether a configured warm-up is shorter than every adequate one."""
        return configured_min + 1e-9 < self.adequate_from_min()


def analyse_warmup(backlog: pd.DataFrame, period: str, team: str = ALL_TEAMS) -> WarmupAnalysis:
    """MSER-5 on the backlog series of ``team`` (columns ``replication``, ``time``, ``team``, ``open``)."""
    rows = backlog[backlog["team"] == team]
    start = rows["time"].min()
    minutes = (rows["time"] - start).dt.total_seconds().to_numpy() / 60.0
    length = PERIOD_MIN[period]
    index = np.floor(minutes / length).astype(int)
    frame = pd.DataFrame({"replication": rows["replication"].to_numpy(), "period": index,
                          "open": rows["open"].to_numpy(dtype=float)})
    complete = int(np.floor(minutes.max() / length)) if len(minutes) else 0
    per_period = (frame[frame["period"] < complete]
                  .groupby(["period", "replication"])["open"].mean().unstack("replication"))
    series = pd.DataFrame({"start_min": per_period.index.to_numpy() * length,
                           "mean": per_period.mean(axis=1).to_numpy(),
                           "low": per_period.min(axis=1).to_numpy(),
                           "high": per_period.max(axis=1).to_numpy()})
    truncation, statistic = mser(series["mean"].to_numpy())
    return WarmupAnalysis(period, series, statistic, truncation, truncation * BATCH * length)
