"""Reporting layer: sweep surfaces — a KPI's mean over the swept parameters, against its target.

One swept parameter gives a line with its 95 % confidence band; two give a heat
map of the mean with every cell annotated (mean and CI half-width); a third
parameter splits the heat map into facets, one per value. Further parameters
are held at their first value (the caller is told, to say so on the page).
Where the scenario has a target for the KPI, the line figure draws it and the
heat map outlines the cells that meet it: solid where the whole 95 % CI meets it
(the report's "pass"), dashed where only the mean does ("unclear").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from simulator.scenario.targets import Target

__all__ = ["Surface", "surface_figure", "target_text", "target_verdict"]

#: The outline of cells that meet the target (magenta: no cell of viridis has that colour).
_MET = "#e8175d"
#: At most this many facets in a row.
_FACETS_PER_ROW = 3


@dataclass(frozen=True)
class Surface:
    """A sweep surface: the figure and what the page should say about it."""

    figure: Figure
    notes: tuple[str, ...]


def target_text(target: Target, format_value: Callable[[str, float], str]) -> str:
    """A target as the tables write its KPI: ``<= 85.0%``, ``<= 30.00``."""
    return f"{target.operator} {format_value(target.kpi, target.value)}"


def target_verdict(target: Target, mean: float, low: float, high: float) -> str:
    """``pass`` if the whole CI meets the target, ``unclear`` if only the mean does, else ``fail``."""
    if not math.isfinite(mean):
        return "no data"
    ends = [low, high] if math.isfinite(low) and math.isfinite(high) else [mean]
    if all(target.met_by(value) for value in ends):
        return "pass"
    return "unclear" if target.met_by(mean) else "fail"


def _levels(summary: pd.DataFrame, path: str) -> list[object]:
    """A parameter's values in the order the grid gave them."""
    return list(dict.fromkeys(summary[path].tolist()))


def _numeric(values: Sequence[object]) -> bool:
    return all(isinstance(value, int | float) and not isinstance(value, bool) for value in values)


def _line(summary: pd.DataFrame, path: str, kpi: str, target: Target | None,
          format_value: Callable[[str, float], str]) -> Figure:
    rows = summary.drop_duplicates("design")
    levels = _levels(rows, path)
    x = (np.array(levels, dtype=float) if _numeric(levels) else np.arange(len(levels), dtype=float))
    by_level = rows.set_index(path)
    mean, low, high = (np.array([float(by_level.loc[level, column]) for level in levels])
                       for column in ("mean", "ci_low", "ci_high"))
    figure, axes = plt.subplots(figsize=(8, 3.6))
    axes.fill_between(x, low, high, color="C0", alpha=0.2, linewidth=0, label="95 % CI")
    axes.plot(x, mean, "o-", color="C0", label="mean over replications")
    if target is not None:
        axes.axhline(target.value, color=_MET, linestyle="--",
                     label=f"target {target_text(target, format_value)}")
    if not _numeric(levels) or len(levels) <= 12:  # a tick at each swept value (no 10.5 agents)
        axes.set_xticks(x, [str(level) for level in levels])
    short = kpi.rpartition(".")[2]
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_value(short, value)))
    axes.set_xlabel(path)
    axes.set_ylabel(kpi)
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize="small", framealpha=0.85)
    figure.tight_layout()
    return figure


def _grid(rows: pd.DataFrame, x_path: str, y_path: str, x_levels: list[object],
          y_levels: list[object], column: str) -> np.ndarray:
    """``column`` of the designs as a (y, x) array; NaN where a design is missing."""
    values = np.full((len(y_levels), len(x_levels)), np.nan)
    for record in rows.to_dict("records"):  # (not itertuples: the paths are not identifiers)
        values[y_levels.index(record[y_path]), x_levels.index(record[x_path])] = float(record[column])
    return values


def _heatmap(axes: Axes, rows: pd.DataFrame, x_path: str, y_path: str, x_levels: list[object],
             y_levels: list[object], kpi: str, target: Target | None, norm: Normalize,
             format_value: Callable[[str, float], str]) -> None:
    mean, low, high = (_grid(rows, x_path, y_path, x_levels, y_levels, column)
                       for column in ("mean", "ci_low", "ci_high"))
    axes.imshow(np.ma.masked_invalid(mean), cmap="viridis", norm=norm, origin="lower", aspect="auto")
    axes.set_facecolor("#e2e8f0")  # a missing design or a KPI with no data: grey
    short = kpi.rpartition(".")[2]
    for j, i in np.ndindex(mean.shape):
        value, low_end, high_end = float(mean[j, i]), float(low[j, i]), float(high[j, i])
        if not math.isfinite(value):
            axes.text(i, j, "–", ha="center", va="center", color="#4a5568")
            continue
        text = format_value(short, value)
        if math.isfinite(low_end) and math.isfinite(high_end):
            text += f"\n({format_value(short, low_end)}–{format_value(short, high_end)})"
        light = norm(value) > 0.55
        axes.text(i, j, text, ha="center", va="center", fontsize=10 if len(x_levels) <= 6 else 8,
                  color="#1d2330" if light else "white")
        if target is not None:
            verdict = target_verdict(target, value, low_end, high_end)
            if verdict in ("pass", "unclear"):
                axes.add_patch(Rectangle((i - 0.46, j - 0.46), 0.92, 0.92, fill=False, edgecolor=_MET,
                                         linewidth=3 if verdict == "pass" else 2,
                                         linestyle="-" if verdict == "pass" else "--"))
    axes.set_xticks(range(len(x_levels)), [str(level) for level in x_levels])
    axes.set_yticks(range(len(y_levels)), [str(level) for level in y_levels])
    axes.set_xlabel(x_path)
    axes.set_ylabel(y_path)


def _heatmaps(summary: pd.DataFrame, paths: Sequence[str], kpi: str, target: Target | None,
              format_value: Callable[[str, float], str]) -> Figure:
    x_path, y_path = paths[0], paths[1]
    facet = paths[2] if len(paths) > 2 else None
    x_levels, y_levels = _levels(summary, x_path), _levels(summary, y_path)
    facets = _levels(summary, facet) if facet else [None]
    finite = summary["mean"][np.isfinite(summary["mean"].astype(float))]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    spread = high - low or max(abs(low) * 1e-6, 1e-9)  # the same everywhere: one colour, one tick
    norm = Normalize(low if high > low else low - spread, high if high > low else high + spread)
    columns = min(len(facets), _FACETS_PER_ROW)
    lines = math.ceil(len(facets) / columns)
    panel_w = max(4.5, 1.25 * len(x_levels) + 1.8)
    panel_h = max(3.0, 0.7 * len(y_levels) + 1.5)
    width = min(11.0, panel_w * columns + 1.4)
    figure, grid = plt.subplots(lines, columns, figsize=(width, panel_h * lines + 0.7), squeeze=False,
                                layout="constrained")
    for index, axes in enumerate(grid.flat):
        if index >= len(facets):
            axes.set_visible(False)
            continue
        rows = summary if facet is None else summary[summary[facet] == facets[index]]
        _heatmap(axes, rows, x_path, y_path, x_levels, y_levels, kpi, target, norm, format_value)
        if facet is not None:
            axes.set_title(f"{facet} = {facets[index]}", fontsize="medium")
    short = kpi.rpartition(".")[2]
    bar = figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=grid.ravel().tolist(),
                          shrink=0.9)
    bar.set_label(f"{kpi} (mean)")
    if high == low:
        bar.set_ticks([low])
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_value(short, value)))
    if target is not None:
        wanted = target_text(target, format_value)
        handles = [Line2D([], [], color=_MET, linewidth=3, label=f"95 % CI meets the target {wanted}"),
                   Line2D([], [], color=_MET, linewidth=2, linestyle="--", label="only the mean meets it")]
        figure.legend(handles=handles, loc="outside lower left", ncols=2, fontsize="small", frameon=False)
    return figure


def surface_figure(summary: pd.DataFrame, paths: Sequence[str], kpi: str, target: Target | None,
                   format_value: Callable[[str, float], str]) -> Surface:
    """The surface of one KPI (``summary``: :func:`sweep_summary` rows; ``paths``: the swept keys).

    A parameter beyond the third is held at its first value; the notes say so.
    """
    rows = summary[summary["kpi"] == kpi]
    notes: list[str] = []
    for path in paths[3:]:
        first = _levels(rows, path)[0]
        rows = rows[rows[path] == first]
        notes.append(f"{path} is held at {first} (the surface shows three swept parameters at most)")
    shown = list(paths[:3])
    if len(shown) == 1:
        return Surface(_line(rows, shown[0], kpi, target, format_value), tuple(notes))
    return Surface(_heatmaps(rows, shown, kpi, target, format_value), tuple(notes))
