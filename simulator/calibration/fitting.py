"""Calibration layer: fitting duration distributions to right-censored observations.

Durations taken from a real log are often *right-censored*: a ticket still open
when the log was exported has worked (or waited) at least this long, and we do not
know how much longer. Dropping such tickets biases every duration down (the long
ones are the ones still open); counting them as finished does too. Two tools
handle it:

* the Kaplan–Meier estimator of the distribution function, which uses each
  censored value as "survived at least this long";
* maximum likelihood with censoring (SciPy's ``CensoredData``): finished values
  contribute their density, censored ones their survival probability.

:func:`fit_durations` fits lognormal, gamma and Weibull by censored maximum
likelihood, measures each one's Kolmogorov–Smirnov distance to the Kaplan–Meier
curve, and keeps the closest; when even that one is more than
:data:`KS_GOOD_ENOUGH` away, the observed (Kaplan–Meier) quantiles are used
instead (``empirical``). The choice and its distances go into the scenario as a
comment.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

__all__ = ["KS_GOOD_ENOUGH", "DurationFit", "fit_durations", "kaplan_meier", "km_quantiles", "share_below"]

#: A fitted curve is used when it never strays further than this from the data's distribution.
KS_GOOD_ENOUGH = 0.05
#: Values below this (minutes) are raised to it before fitting a curve (logs have minute resolution).
FLOOR_MIN = 1.0
#: The quantile levels of an empirical distribution written into a scenario.
LEVELS = (0.0, 0.02, 0.05, *np.round(np.arange(0.1, 0.91, 0.05), 2).tolist(), 0.95, 0.98, 0.99, 1.0)
_CANDIDATES = {"lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min}


def kaplan_meier(values: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan–Meier distribution function: times of finished values and F at each.

    Ties: a value that finished and one censored at the same time count the finished one
    first (the censored one was still at risk).
    """
    values = np.asarray(values, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    order = np.lexsort((censored, values))
    values, censored = values[order], censored[order]
    at_risk = len(values) - np.arange(len(values))
    factors = np.where(censored, 1.0, 1.0 - 1.0 / np.maximum(at_risk, 1))
    survival = np.cumprod(factors)
    finished = ~censored
    times, last = np.unique(values[finished][::-1], return_index=True)
    survival_at = survival[finished][::-1][last]  # the survival after the last tie at each time
    return times, 1.0 - survival_at


def km_quantiles(values: np.ndarray, censored: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Quantiles of the Kaplan–Meier curve; NaN for levels it never reaches (too much censoring)."""
    times, cdf = kaplan_meier(values, censored)
    if len(times) == 0:
        return np.full(len(levels), np.nan)
    index = np.searchsorted(cdf, np.asarray(levels) - 1e-12, side="left")
    result = np.where(index < len(times), times[np.minimum(index, len(times) - 1)], np.nan)
    result[np.asarray(levels) <= 0.0] = float(np.min(values))
    return result


@dataclass(frozen=True)
class DurationFit:
    """The distribution chosen for some durations, and how well each candidate did."""

    name: str  # lognormal, gamma, weibull or empirical
    spec: dict[str, object]  # the scenario's distribution, durations in minutes
    ks: dict[str, float]  # candidate → KS distance to the Kaplan–Meier curve
    n: int
    n_censored: int
    scale: float = 1.0  # times the fitted durations (calibrate --refine); 1: as fitted

    def comment(self) -> str:
        """One line for the scenario file: the choice, its fit, and what it beat."""
        others = ", ".join(f"{name} {value:.3f}" for name, value in sorted(self.ks.items(),
                                                                           key=lambda item: item[1])
                           if name != self.name)
        censored = f", {self.n_censored} censored" if self.n_censored else ""
        scaled = "" if self.scale == 1.0 else f"; then × {self.scale:.3g} by simulation (--refine)"
        if self.name == "empirical":
            return (f"empirical (Kaplan–Meier quantiles): no curve within KS {KS_GOOD_ENOUGH} "
                    f"({others}); n={self.n}{censored}{scaled}")
        return f"{self.name}: KS {self.ks[self.name]:.3f} (vs {others}); n={self.n}{censored}{scaled}"

    def share_below(self, minutes: float) -> float:
        """The share of durations shorter than ``minutes`` (the distribution function there)."""
        return share_below(self.spec, minutes)

    def scaled(self, factor: float) -> DurationFit:
        """The same distribution with every duration × ``factor`` (the shape kept)."""
        spec = dict(self.spec)
        for key in ("median", "p90", "scale", "value"):
            if key in spec:
                spec[key] = float(spec[key]) * factor  # type: ignore[arg-type]
        if "quantiles" in spec:
            quantiles = spec["quantiles"]
            assert isinstance(quantiles, dict)
            spec["quantiles"] = {level: float(value) * factor for level, value in quantiles.items()}
        return replace(self, spec=spec, scale=self.scale * factor)


def _ks(frozen: stats.rv_continuous, times: np.ndarray, cdf: np.ndarray) -> float:
    if len(times) == 0:
        return math.inf
    model = frozen.cdf(times)
    before = np.concatenate([[0.0], cdf[:-1]])
    return float(max(np.max(np.abs(model - cdf)), np.max(np.abs(model - before))))


def _spec(name: str, frozen: stats.rv_continuous) -> dict[str, object]:
    if name == "lognormal":
        return {"dist": "lognormal", "median": float(frozen.median()), "p90": float(frozen.ppf(0.9))}
    shape, _, scale = frozen.args  # fitted with the location fixed at 0
    return {"dist": name, "shape": float(shape), "scale": float(scale)}


def _fit(name: str, finished: np.ndarray, censored_values: np.ndarray) -> stats.rv_continuous | None:
    family = _CANDIDATES[name]
    data = stats.CensoredData(uncensored=finished, right=censored_values) \
        if len(censored_values) else finished
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            params = family.fit(data, floc=0.0)
    except (ValueError, RuntimeError, FloatingPointError):
        return None
    frozen = family(*params)
    probe = frozen.ppf([0.5, 0.999])
    return frozen if np.all(np.isfinite(probe)) and probe[1] < 1e8 else None


def _empirical(values: np.ndarray, censored: np.ndarray,
               tail: stats.rv_continuous | None) -> dict[str, object]:
    levels = np.array(LEVELS)
    points = km_quantiles(values, censored, levels)
    unknown = np.isnan(points)
    if unknown.any():  # beyond what the censored data show: the best curve's tail, or the largest value
        fill = tail.ppf(np.minimum(levels[unknown], 0.999)) if tail is not None else np.max(values)
        points[unknown] = fill
    points = np.maximum.accumulate(np.maximum(points, 0.0))
    # The top level is not the largest value (one outlier would set the mean of the whole last
    # segment) but the end that gives that segment the mean of the values observed in it.
    top = values[(values >= points[-2]) & ~censored]
    if len(top):
        points[-1] = max(points[-2], 2.0 * float(np.mean(top)) - points[-2])
    return {"dist": "empirical", "quantiles": {float(level): float(point)
                                               for level, point in zip(levels, points, strict=True)}}


def fit_durations(values: np.ndarray, censored: np.ndarray | None = None) -> DurationFit:
    """Choose and fit a distribution for durations in minutes, some right-censored.

    At most 5,000 values are used (an evenly spaced subsample of the sorted values keeps
    the shape and makes the fit take milliseconds).
    """
    values = np.asarray(values, dtype=float)
    censored = np.zeros(len(values), bool) if censored is None else np.asarray(censored, bool)
    keep = np.isfinite(values) & (values >= 0)
    values, censored = values[keep], censored[keep]
    if len(values) > 5000:
        order = np.argsort(values, kind="stable")
        picked = order[np.linspace(0, len(values) - 1, 5000).astype(int)]
        values, censored = values[picked], censored[picked]
    if len(values) == 0 or (~censored).sum() == 0:
        value = float(np.max(values)) if len(values) else FLOOR_MIN
        return DurationFit("empirical", {"dist": "fixed", "value": max(value, FLOOR_MIN)}, {},
                           len(values), int(censored.sum()))
    floored = np.maximum(values, FLOOR_MIN)
    times, cdf = kaplan_meier(floored, censored)
    fitted = {name: _fit(name, floored[~censored], floored[censored]) for name in _CANDIDATES}
    ks = {name: _ks(frozen, times, cdf) for name, frozen in fitted.items() if frozen is not None}
    best = min(ks, key=lambda name: ks[name]) if ks else None
    if best is not None and ks[best] <= KS_GOOD_ENOUGH:
        frozen = fitted[best]
        assert frozen is not None
        return DurationFit(best, _spec(best, frozen), ks, len(values), int(censored.sum()))
    tail = fitted.get(best) if best is not None else None
    return DurationFit("empirical", _empirical(values, censored, tail), ks, len(values),
                       int(censored.sum()))


def share_below(spec: dict[str, object], minutes: float) -> float:
    """The distribution function of a fitted distribution (:attr:`DurationFit.spec`) at ``minutes``."""
    def number(key: str) -> float:
        value = spec[key]
        assert isinstance(value, int | float)
        return float(value)

    kind = spec["dist"]
    if kind == "lognormal":
        median, p90 = number("median"), number("p90")
        sigma = max(math.log(max(p90, median * 1.001) / median), 1e-9) / stats.norm.ppf(0.9)
        return float(stats.lognorm(sigma, scale=median).cdf(minutes))
    if kind in ("gamma", "weibull"):
        return float(_CANDIDATES[str(kind)](number("shape"), scale=number("scale")).cdf(minutes))
    if kind == "empirical":
        quantiles = spec["quantiles"]
        assert isinstance(quantiles, dict)
        levels, values = zip(*sorted((float(k), float(v)) for k, v in quantiles.items()), strict=True)
        return float(np.interp(minutes, values, levels, left=0.0, right=1.0))
    return 1.0 if number("value") < minutes else 0.0
