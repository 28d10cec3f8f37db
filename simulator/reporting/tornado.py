"""Reporting layer: the tornado chart of a one-at-a-time sensitivity study.

One horizontal bar per input, the largest swing at the top. Each bar runs from the
base value of the measure (the vertical line) to its value with the input at its low
end (blue) and at its high end (orange); the whiskers are the 95 % confidence
intervals of those effects, paired with the base by replication.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed (servers, CI)

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulator.experiment.sensitivity import SensitivityResult

__all__ = ["save_tornado", "tornado_chart"]

_LOW, _HIGH = "tab:blue", "tab:orange"


def _short(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def tornado_chart(result: SensitivityResult) -> Figure:
    """The tornado chart as a matplotlib Figure (inputs top to bottom by swing).

    Each input's row holds two half bars, the low end above and the high end below, so
    that ends pulling the same way stay readable.
    """
    table = result.table
    base = result.base.mean
    count = len(table)
    figure, axes = plt.subplots(figsize=(10, 1.8 + 0.9 * max(count, 1)))
    positions = [count - 1 - index for index in range(count)]  # largest swing at the top
    for y, row in zip(positions, table.itertuples(index=False), strict=True):
        for end, shift, colour, label in (("low", 0.19, _LOW, "input at its low end"),
                                          ("high", -0.19, _HIGH, "input at its high end")):
            effect = getattr(row, f"effect_{end}")
            if not math.isfinite(effect):
                continue
            axes.barh(y + shift, effect, left=base, height=0.36, color=colour, alpha=0.85,
                      label=label if y == positions[0] else None)
            low, high = getattr(row, f"effect_{end}_ci_low"), getattr(row, f"effect_{end}_ci_high")
            if math.isfinite(low):
                axes.plot([base + low, base + high], [y + shift] * 2, color="black", linewidth=1.1)
            axes.annotate(f"{getattr(row, end)} → {_short(base + effect)}", (base + effect, y + shift),
                          xytext=(5 if effect >= 0 else -5, 0), textcoords="offset points",
                          ha="left" if effect >= 0 else "right", va="center", fontsize="small",
                          bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8,
                                "edgecolor": "none"})
    axes.axvline(base, color="black", linestyle="--", linewidth=1, label=f"base: {_short(base)}")
    axes.set_yticks(positions, [str(path) for path in table["path"]] if count else [])
    axes.set_ylim(-0.7, max(count, 1) - 0.3)
    axes.margins(x=0.2)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _short(value)))
    axes.set_xlabel(result.measure)
    designs = " over ".join(reversed(result.designs))
    axes.set_title(f"Sensitivity of {result.measure} ({designs})\none input at a time, "
                   f"{result.replications} replications, common random numbers; whiskers: 95 % CI "
                   f"of the effect", fontsize="medium")
    axes.legend(loc="best", fontsize="small", framealpha=0.9)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def save_tornado(result: SensitivityResult, path: str | Path) -> Path:
    """Draw the tornado chart and save it (PNG, SVG or PDF by the file's suffix)."""
    figure = tornado_chart(result)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target
