"""Experiment layer: how many replications are enough — the replications algorithm.

Hoad, Robinson & Davies (2010), "Automated selection of the number of
replications for a discrete-event simulation", JORS 61(11). After each
replication n (from 3 on), the relative precision of a KPI is the half-width of
its 95 % confidence interval divided by its mean. The answer N is the first n at
which every chosen KPI is within the asked precision *and stays within it* for
the next f(n) replications — the look-ahead that guards against a confidence
interval that narrows by chance — where f(n) = kLimit for n ≤ 100 and
⌊kLimit · n / 100⌋ above (kLimit = 5). A cap stops the search if it does not
converge.

Replications are judged in index order, so the answer is the same however many
run at once; results use replications 0 … N + f(N) − 1 (those the rule looked at).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.experiment.student import t_quantile

__all__ = ["Decision", "PrecisionRule", "look_ahead", "relative_half_width"]


def look_ahead(n: int, k_limit: int = 5) -> int:
    """f(kLimit, n): replications that must keep the precision after it is first reached."""
    return math.floor(k_limit * max(n, 100) / 100)


def relative_half_width(values: Sequence[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval ÷ |mean| (inf where undefined)."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if len(data) < 2 or data.mean() == 0.0:
        return math.inf
    half = t_quantile((1 + confidence) / 2, len(data) - 1) * data.std(ddof=1) / math.sqrt(len(data))
    return float(half / abs(data.mean()))


@dataclass(frozen=True)
class Decision:
    """Where the search stopped and why."""

    converged: bool
    solution: int  # N: the replications the precision needs (the cap if it never converged)
    used: int  # replications the results use: N + f(N), or the cap
    precision: dict[str, float]  # each KPI's relative half-width with `used` replications
    reason: str


@dataclass(frozen=True)
class PrecisionRule:
    """Which KPIs must reach which relative precision, and the limits of the search."""

    kpis: tuple[str, ...]
    target: float = 0.05
    cap: int = 100
    initial: int = 3
    k_limit: int = 5

    def decide(self, values: Mapping[str, Sequence[float]]) -> Decision | None:
        """The decision from the values so far (replication order), or None if more are needed."""
        available = min((len(series) for series in values.values()), default=0)
        for n in range(self.initial, available + 1):
            horizon = n + look_ahead(n, self.k_limit)
            if horizon > available:
                break
            if all(self._within(values, m) for m in range(n, horizon + 1)):
                return self._decision(values, n, horizon, True)
        if available >= self.cap:
            return self._decision(values, self.cap, self.cap, False)
        return None

    def needed(self, available: int) -> int:
        """How many replications to have before deciding again (at least one more, within the cap)."""
        return min(self.cap, max(self.initial + look_ahead(self.initial, self.k_limit),
                                 available + 1))

    def _within(self, values: Mapping[str, Sequence[float]], n: int) -> bool:
        return all(relative_half_width(series[:n]) <= self.target for series in values.values())

    def _decision(self, values: Mapping[str, Sequence[float]], solution: int, used: int,
                  converged: bool) -> Decision:
        precision = {kpi: relative_half_width(series[:used]) for kpi, series in values.items()}
        if converged:
            reason = (f"every KPI was within ±{self.target:.1%} from {solution} replications on, "
                      f"and stayed there for the next {used - solution}")
        else:
            worst = max(precision, key=lambda kpi: precision[kpi])
            reason = (f"stopped at the cap of {self.cap} replications: {worst} reached "
                      f"±{precision[worst]:.1%}, not ±{self.target:.1%}")
        return Decision(converged, solution, used, precision, reason)
