"""Reporting layer: the figures of an ROI study — the ROI's distribution, and its tornado.

* **ROI over input sets**: a histogram of each input set's ROI, its median and its 5th
  and 95th percentiles marked, zero marked, and the published programme ROIs drawn as
  lines where they fall on its axis, or listed at its edge where they fall beyond it (the axis
  follows the input sets, so a loss is not squeezed into a sliver by a 795 % line) — so a
  result far from them shows at a glance.
* **Tornado**: one row per uncertain input, the largest swing at the top; each row's bars
  run from the net benefit with every input at its base value to the net benefit with
  that input at its 10th (blue) and 90th (orange) percentile, the others at base.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # files only: no display needed (servers, CI)

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from simulator.experiment.roi_study import RoiStudy
from simulator.experiment.roi_summary import PUBLISHED_ROIS

__all__ = ["compact", "roi_distribution_figure", "short_name", "study_tornado_figure"]

_LOW, _HIGH = "tab:blue", "tab:orange"


def compact(value: float) -> str:
    """A sum of money in few characters: ``1.23M``, ``45.6k``, ``-812``."""
    if not math.isfinite(value):
        return "n/a"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _value(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def short_name(key: str) -> str:
    """An input's key as a chart label: ``network_core: business_hours.share_blocked (+1 more)``."""
    for prefix, shown in (("major_incident.costs.", "process cost: "), ("services.", "")):
        if key.startswith(prefix):
            key = shown + key.removeprefix(prefix)
    return key.replace(".downtime_cost.", " downtime: ")


def roi_distribution_figure(study: RoiStudy) -> Figure:
    """The ROI of each input set as a histogram, with its median, 5–95 % and published ROIs."""
    values = study.per_set["roi"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    spread = study.distributions()["roi"]
    figure, axes = plt.subplots(figsize=(9, 4.2))
    if len(values):
        axes.hist(values, bins=min(40, max(10, len(values) // 5)), color="#7aa6d6",
                  edgecolor="white", label=f"ROI of each input set ({len(values)})")
        axes.axvspan(spread.p5, spread.p95, color="#7aa6d6", alpha=0.15,
                     label=f"5th–95th percentile: {spread.p5:.0%} to {spread.p95:.0%}")
        axes.axvline(spread.median, color="#1f3f6e", linewidth=2,
                     label=f"median: {spread.median:.0%}")
    axes.axvline(0, color="#b42318", linestyle=":", linewidth=1.4, label="0: break-even")
    low, high = _roi_axis(values)
    axes.set_xlim(low, high)
    _published(axes, low, high)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(f"ROI over {study.settings.years:g} years (net benefit ÷ the process's cost)")
    axes.set_ylabel("input sets")
    axes.set_title(f"ROI of {study.improved} over {study.baseline}: {len(study.per_set)} input "
                   f"sets × {study.replications} paired replications", fontsize="medium")
    axes.legend(loc="upper left", fontsize="x-small", framealpha=0.9)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def _roi_axis(values: np.ndarray) -> tuple[float, float]:
    """The ROI axis: the input sets' ROIs and break-even, with a margin — not the published
    ROIs, which would squeeze a distribution far from them into a sliver."""
    low = min(0.0, float(values.min())) if len(values) else -1.0
    high = max(0.0, float(values.max())) if len(values) else 1.0
    margin = 0.08 * (high - low) or 0.1
    return low - margin, high + margin


def _published(axes: Axes, low: float, high: float) -> None:
    """Published programme ROIs: a dashed line where they fall on the axis; listed at the edge
    (with an arrow towards them) where they fall beyond it."""
    beyond: dict[str, list[str]] = {"left": [], "right": []}
    for item in PUBLISHED_ROIS:
        label = f"{item.short}: {item.roi:.0%}"
        if low <= item.roi <= high:
            axes.axvline(item.roi, color="#555", linestyle="--", linewidth=1)
            axes.annotate(label, (item.roi, 0.98), xycoords=("data", "axes fraction"),
                          xytext=(-3, 0), textcoords="offset points", rotation=90, ha="right",
                          va="top", fontsize="x-small", color="#333")
        else:
            beyond["right" if item.roi > high else "left"].append(label)
    for side, labels in beyond.items():
        if labels:
            arrow = "→" if side == "right" else "←"
            axes.annotate("published, off this scale " + arrow + "\n" + "\n".join(labels),
                          (1.0 if side == "right" else 0.0, 0.5), xycoords="axes fraction",
                          xytext=(-6 if side == "right" else 6, 0), textcoords="offset points",
                          ha=side, va="center", fontsize="x-small", color="#333",
                          bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#999"})


def study_tornado_figure(study: RoiStudy, rows: int = 12) -> Figure:
    """The study's tornado: the net benefit with each input at its 10th and 90th percentile."""
    table = study.tornado.head(rows)
    count = len(table)
    figure, axes = plt.subplots(figsize=(10, 1.6 + 0.55 * max(count, 1)))
    base = float(table["base"].iloc[0]) if count else 0.0
    positions = [count - 1 - index for index in range(count)]
    for y, row in zip(positions, table.itertuples(index=False), strict=True):
        for value, shift, colour, label in ((row.at_low, 0.17, _LOW, "input at its 10th percentile"),
                                            (row.at_high, -0.17, _HIGH, "input at its 90th percentile")):
            axes.barh(y + shift, value - base, left=base, height=0.32, color=colour, alpha=0.85,
                      label=label if y == positions[0] else None)
    labels = [f"{short_name(row.input)}{' (model)' if row.kind == 'model' else ''}\n"
              f"p10 {_value(row.low)} · p90 {_value(row.high)}" for row in table.itertuples(index=False)]
    axes.set_yticks(positions, labels)
    axes.axvline(base, color="black", linestyle="--", linewidth=1, label=f"every input at base: "
                                                                         f"{compact(base)}")
    axes.axvline(0, color="#b42318", linestyle=":", linewidth=1.2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: compact(value)))
    axes.set_xlabel(f"net benefit over {study.settings.years:g} years")
    axes.set_title("What the net benefit is most sensitive to: one input at a time, the others "
                   "at base", fontsize="medium")
    axes.legend(loc="best", fontsize="x-small", framealpha=0.9)
    axes.grid(axis="x", alpha=0.3)
    axes.tick_params(axis="y", labelsize="x-small")
    figure.tight_layout()
    return figure
