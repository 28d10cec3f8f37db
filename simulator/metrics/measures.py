"""Metrics layer: a measure is a KPI's value with the number of observations behind it.

A measure of nothing is NaN with a count of zero — reported as ``null``, never a made-up zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Measure", "mean_measure", "quantile_measure"]

Measure = tuple[float, int]


def _numbers(values: np.ndarray) -> np.ndarray:
    """The values that are not NaN, as one contiguous array (most measures have no NaN: then the
    values themselves, not a copy; a sum over a strided view could add in another order)."""
    number = ~np.isnan(values)
    if number.all() and values.flags.c_contiguous:
        return values
    return values[np.flatnonzero(number)]


def mean_measure(values: np.ndarray) -> Measure:
    """The mean of the values that are not NaN, and how many there are."""
    values = _numbers(values)
    return (float(values.mean()) if len(values) else float("nan"), len(values))


def quantile_measure(values: np.ndarray, level: float) -> Measure:
    """A quantile of the values that are not NaN, and how many there are."""
    values = _numbers(values)
    return (float(np.quantile(values, level)) if len(values) else float("nan"), len(values))
