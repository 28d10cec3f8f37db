"""Metrics layer: the contact-centre KPIs of each channel — abandon rate, service level, speed of
answer — from the per-incident table.

A channel's contacts are the incidents of the categories its arrival streams bring (a category
comes by one channel at most: the scenario checks say so). The cohort is the contacts that
arrived after the warm-up; every definition is in the KPI catalogue
(:mod:`simulator.scenario.kpis`). Pure NumPy and pandas, like the rest of the layer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.eventlog.log import SAME_MOMENT_MIN
from simulator.metrics.coded import is_any
from simulator.metrics.measures import Measure, mean_measure

__all__ = ["ChannelSpec", "channel_measures"]

#: A channel's categories and its service level's answer time T (minutes).
ChannelSpec = tuple[tuple[str, ...], float]


def _share(hits: np.ndarray, decided: np.ndarray) -> Measure:
    chosen = np.flatnonzero(decided)
    return (float(hits[chosen].mean()) if len(chosen) else float("nan"), len(chosen))


def channel_measures(table: pd.DataFrame, categories: list[str], channels: dict[str, ChannelSpec],
                     warmup_end: float) -> dict[str, dict[str, Measure]]:
    """Channel → its KPIs. ``table`` is :func:`~simulator.metrics.incidents.incident_table`'s,
    whose ``category`` codes index ``categories``."""
    # (the cohort's columns as arrays: selecting the table's rows copied all of its columns)
    cohort = np.flatnonzero(table["arrived_min"].to_numpy() >= warmup_end)
    category = table["category"].to_numpy()[cohort]
    arrived = table["arrived_min"].to_numpy()[cohort]
    wait = table["first_work_min"].to_numpy()[cohort] - arrived
    answered = ~np.isnan(wait)
    abandoned = ~np.isnan(table["abandoned_min"].to_numpy()[cohort])
    measures: dict[str, dict[str, Measure]] = {}
    for channel, (names, within) in channels.items():
        codes = [categories.index(name) for name in names if name in categories]
        mine = is_any(category, codes)
        decided = mine & (answered | abandoned)
        in_time = answered & (np.nan_to_num(wait, nan=np.inf) <= within + SAME_MOMENT_MIN)
        measures[channel] = {
            "contacts": (float(mine.sum()), int(mine.sum())),
            "abandon_rate": _share(abandoned, decided),
            "service_level": _share(in_time, decided),
            "asa_s": mean_measure(wait[np.flatnonzero(mine & answered)] * 60.0),
        }
    return measures
