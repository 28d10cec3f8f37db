"""Experiment layer: reading an ROI study's input sets — distributions, noise share, risk, plausibility.

Pure functions of the per-input-set figures (no simulation here):

* **distributions**: for the net benefit, the annual benefit, the ROI and the payback,
  the median, the 5th and 95th percentiles (no interpolation across an unbounded
  payback) and the mean; and the probability that the net benefit is negative — the
  share of input sets in which it is;
* **the split of the spread** between input uncertainty and simulation noise, after the
  one-way random-effects view of Ankenman & Nelson ("A quick assessment of input
  uncertainty", Winter Simulation Conference 2012): an input set's figure is the mean of
  R replications, so it carries a simulation error of variance s²ᵢ / R (s²ᵢ: the
  variance between its replications). The *simulation share* is the mean of those
  error variances over the input sets divided by the variance of the figures across
  input sets; the rest is put down to the inputs. Below 10 %, the simulation blurs the
  distribution little. (With common random numbers the errors of the sets move
  together, so noise shifts the whole distribution more than it widens it; the share
  then says how large each set's error is beside the spread, which is the question.)
* **risk adjustment** as in Forrester's Total Economic Impact method: each benefit
  reduced by its stated haircut, each cost raised by the costs' haircut;
* **plausibility**: the median ROI beside published programme ROIs;
* **replications to decide**: when the simulation's confidence interval of the net benefit
  (at base prices) still straddles zero, how many replications would narrow it to exclude
  zero if the mean and the spread between replications stayed as measured (the interval's
  half-width falls as 1/√R, so R × (half-width ÷ |mean|)²).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PUBLISHED_ROIS", "RISK_KEYS", "Distribution", "PublishedRoi", "distribution",
           "noise_ratio", "plausibility", "replications_to_decide", "risk_adjusted",
           "simulation_share"]

#: What a haircut may apply to: a benefit, or every cost.
RISK_KEYS = ("downtime_cost_avoided", "sla_penalties_avoided", "costs")


@dataclass(frozen=True)
class PublishedRoi:
    """A programme ROI someone published, and what it measured."""

    source: str
    short: str  # a label for charts
    roi: float  # 7.95 is 795 %
    years: float
    what: str


#: Published programme ROIs to set a result beside (each study's own method and sponsor).
PUBLISHED_ROIS = (
    PublishedRoi("IDC study for PagerDuty (2021)", "IDC for PagerDuty 2021", 7.95, 3,
                 "an incident-response platform; vendor-commissioned; also reports 74 % less "
                 "unplanned downtime"),
    PublishedRoi("Forrester Total Economic Impact of ServiceNow Security Operations (January "
                 "2018)", "Forrester TEI ServiceNow SecOps 2018", 2.30, 3,
                 "security incident response; vendor-commissioned"),
)


@dataclass(frozen=True)
class Distribution:
    """A figure over the input sets."""

    median: float
    p5: float
    p95: float
    mean: float
    n: int

    def document(self) -> dict[str, float | int | None]:
        """JSON (``null`` for an unbounded or undefined value)."""
        return {name: (value if isinstance(value, int) or math.isfinite(value) else None)
                for name, value in (("median", self.median), ("p5", self.p5), ("p95", self.p95),
                                    ("mean", self.mean), ("n", self.n))}


def distribution(values: pd.Series | np.ndarray) -> Distribution:
    """Median, 5th and 95th percentiles (as observed values: an unbounded payback stays
    unbounded) and mean of the values that are not NaN."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if not len(data):
        return Distribution(math.nan, math.nan, math.nan, math.nan, 0)
    low, middle, high = np.quantile(data, [0.05, 0.5, 0.95], method="inverted_cdf")
    finite = data[np.isfinite(data)]
    mean = float(finite.mean()) if len(finite) == len(data) else math.inf
    return Distribution(float(middle), float(low), float(high), mean, len(data))


def noise_ratio(means: np.ndarray, standard_errors: np.ndarray) -> float:
    """Mean squared standard error ÷ variance of the means over input sets (may exceed 1); NaN
    when the means do not vary."""
    # Equal means do not vary, whatever rounding makes of their variance (it can come out as
    # 1e-18 rather than 0, which would make the noise look infinitely large).
    spread = float(np.var(means, ddof=1)) if len(means) > 1 and np.ptp(means) > 0 else 0.0
    noise = float(np.mean(np.square(standard_errors))) if len(standard_errors) else math.nan
    return noise / spread if spread > 0 else math.nan


def replications_to_decide(mean: float, ci_low: float, ci_high: float, replications: int
                           ) -> int | None:
    """Replications after which a 95 % interval like ``[ci_low, ci_high]`` around ``mean``,
    measured over ``replications``, would exclude zero — if the mean and the spread between
    replications stayed as they are. ``None``: it already excludes zero (the sign is settled),
    or there is nothing to go on (no interval, or a mean of exactly zero)."""
    half = (ci_high - ci_low) / 2
    if not (math.isfinite(half) and math.isfinite(mean)) or replications < 2 or abs(mean) > half:
        return None
    if mean == 0.0:
        return None  # no effect to extrapolate from
    return math.ceil(replications * (half / abs(mean)) ** 2)


def simulation_share(means: np.ndarray, standard_errors: np.ndarray) -> float:
    """The simulation's share of the spread of a figure over input sets (see the module's notes):
    :func:`noise_ratio`, at most 1; NaN when the means do not vary."""
    ratio = noise_ratio(means, standard_errors)
    return ratio if math.isnan(ratio) else min(1.0, ratio)


def risk_adjusted(parts: pd.DataFrame, haircuts: Mapping[str, float], pv_years: float) -> pd.DataFrame:
    """TEI-style risk adjustment of per-set figures.

    ``parts`` has ``downtime_cost_avoided``, ``sla_penalties_avoided``,
    ``staff_cost_difference``, ``process_cost_per_year`` and ``one_off_cost``. Each benefit
    is multiplied by (1 − its haircut); each cost by (1 + the costs' haircut) — a negative
    cost (a saving) by (1 − it), so every adjustment is pessimistic. Returns
    ``annual_benefit``, ``net_benefit``, ``roi`` and ``payback_years``, adjusted.
    """
    cost = haircuts.get("costs", 0.0)

    def pessimistic(values: pd.Series) -> pd.Series:
        return values.where(values <= 0, values * (1 + cost)).where(values > 0, values * (1 - cost))

    yearly = parts["process_cost_per_year"] * (1 + cost)
    one_off = parts["one_off_cost"] * (1 + cost)
    annual = (parts["downtime_cost_avoided"] * (1 - haircuts.get("downtime_cost_avoided", 0.0))
              + parts["sla_penalties_avoided"] * (1 - haircuts.get("sla_penalties_avoided", 0.0))
              - pessimistic(parts["staff_cost_difference"]) - yearly)
    net = pv_years * annual - one_off
    total = one_off + pv_years * yearly
    return pd.DataFrame({"annual_benefit": annual, "net_benefit": net,
                         "roi": (net / total).where(total > 0),
                         "payback_years": payback(one_off, annual)})


def payback(one_off: pd.Series, annual: pd.Series) -> pd.Series:
    """Years to pay back the one-off cost (∞ where the annual benefit is not positive; NaN
    where there is no one-off cost)."""
    years = (one_off / annual).where(annual > 0, math.inf)
    return years.where(one_off > 0)


def plausibility(median_roi: float) -> str:
    """The median ROI beside the published ones, in one sentence."""
    if not math.isfinite(median_roi):
        return "No ROI to compare with published programmes (the process has no cost here)."
    highest = max(PUBLISHED_ROIS, key=lambda item: item.roi)
    listed = "; ".join(f"{item.source}: {item.roi:.0%} over {item.years:g} years ({item.what})"
                       for item in PUBLISHED_ROIS)
    lowest = min(PUBLISHED_ROIS, key=lambda item: item.roi)
    shown = f"the median ROI ({median_roi:.0%})"
    if median_roi > 2 * highest.roi:
        verdict = (f"IMPLAUSIBLE: {shown} is {median_roi / highest.roi:.0f}× the highest published "
                   f"programme ROI — check the downtime costs and how often services fail before "
                   f"quoting it")
    elif median_roi > highest.roi:
        verdict = f"{shown} is above every published programme ROI: check the largest assumptions"
    elif median_roi < 0:
        verdict = f"{shown} is negative: the case loses money where published programmes report gains"
    elif median_roi < lowest.roi:
        verdict = (f"{shown} is below the published programme ROIs (which their vendors "
                   f"commissioned)")
    else:
        verdict = f"{shown} is within the range published programmes report"
    return f"Plausibility: {verdict}. Published: {listed}."
