"""Metrics layer: a measure is a KPI's value with the number of observations behind it.

A measure of nothing is NaN with a count of zero — reported as ``null``, never a made-up zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Measure", "mean_measure", "quantile_measure"]

Measure = tuple[float, int]


def mean_measure(values: np.ndarray) -> Measure:
    """The mean of the values that are not NaN, and how many there are."""
    values = values[~np.isnan(values)]
    return (float(values.mean()) if len(values) else float("nan"), len(values))


def quantile_measure(values: np.ndarray, level: float) -> Measure:
    """A quantile of the values that are not NaN, and how many there are."""
    values = values[~np.isnan(values)]
    return (float(np.quantile(values, level)) if len(values) else float("nan"), len(values))
