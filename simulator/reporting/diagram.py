"""Reporting layer: the process diagram — the scenario's process graph drawn with matplotlib.

Each lane of :func:`~simulator.scenario.process.process_graph` is a row read
left to right; the nodes of a column are stacked. Edges between stacked nodes
(transfers between resolver groups) are drawn as arcs, so that a transfer and
its way back lie on opposite sides. Edge labels are placed greedily: each goes
to the first spot along its edge where it overlaps no node and no label placed
before it, which :func:`overlapping_labels` checks afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from simulator.scenario.process import LANES, process_graph
from simulator.scenario.schema import Scenario

__all__ = ["diagram_figure", "overlapping_labels", "write_diagram"]

_COLUMN_WIDTH = 3.3
_ROW_HEIGHT = 1.6
_LANE_GAP = 0.9
_LINES = {"solid": "-", "dashed": "--", "dotted": ":"}
_COLOURS = {"entry": "#d9f2d9", "team": "#d6e6f5", "step": "#fdf1c7", "end": "#e6e6e6"}
_DPI = 110
_TRANSFER_COLOURS = ("#1f5fa8", "#b3541e", "#2e7d32", "#7b3fa0", "#8a6d00", "#00838f")
_INCHES = 0.62  # figure inches per unit of the layout
_EDGE_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85)


@dataclass
class _Layout:
    positions: dict[Any, tuple[float, float]]
    lane_tops: dict[int, float]
    height: float
    width: float


def _layout(graph: nx.DiGraph) -> _Layout:
    """Positions: lanes top to bottom, columns left to right, stacked nodes centred."""
    positions: dict[Any, tuple[float, float]] = {}
    lane_tops: dict[int, float] = {}
    top = 0.0
    for lane in sorted({data["lane"] for _, data in graph.nodes(data=True)}):
        cells: dict[int, list[Any]] = {}
        for node, data in graph.nodes(data=True):
            if data["lane"] == lane:
                cells.setdefault(data["column"], []).append(node)
        rows = max(len(nodes) for nodes in cells.values())
        lane_tops[lane] = top
        middle = top - (rows - 1) * _ROW_HEIGHT / 2
        for column, nodes in cells.items():
            for index, node in enumerate(nodes):
                offset = (index - (len(nodes) - 1) / 2) * _ROW_HEIGHT * (rows / len(nodes)) ** 0.5
                positions[node] = (column * _COLUMN_WIDTH, middle - offset)
        top -= (rows - 1) * _ROW_HEIGHT + _ROW_HEIGHT + _LANE_GAP
    columns = max(data["column"] for _, data in graph.nodes(data=True)) + 1
    return _Layout(positions, lane_tops, -top, columns * _COLUMN_WIDTH)


def _rad(graph: nx.DiGraph, layout: _Layout, source: Any, target: Any) -> float:
    """Curvature of an edge (matplotlib's ``arc3``): straight between neighbouring columns and
    between lanes; an arc within a column (clearing the nodes in between, and on the other side
    from the reverse edge); over the top of the columns an edge skips."""
    (x0, y0), (x1, y1) = layout.positions[source], layout.positions[target]
    lanes = graph.nodes[source]["lane"], graph.nodes[target]["lane"]
    if lanes[0] != lanes[1]:
        return 0.0
    if abs(x1 - x0) < 1e-9:
        span = abs(y1 - y0) / _ROW_HEIGHT
        return 0.3 if span < 1.5 else min(0.95, 2.2 / (0.5 * abs(y1 - y0)) / 2 + 0.1)
    between = [y for node, (x, y) in layout.positions.items()
               if graph.nodes[node]["lane"] == lanes[0] and min(x0, x1) < x - 1e-9 < max(x0, x1) - 1e-9]
    if between and abs(x1 - x0) > 1.5 * _COLUMN_WIDTH:
        rise = max(between) + 0.75 * _ROW_HEIGHT - (y0 + y1) / 2
        return -2 * rise / (x1 - x0)
    return 0.12 if graph.has_edge(target, source) else 0.0


def _control(p0: np.ndarray, p1: np.ndarray, rad: float) -> np.ndarray:
    """The middle control point of matplotlib's ``arc3`` curve from ``p0`` to ``p1``."""
    dx, dy = p1 - p0
    return np.asarray((p0 + p1) / 2 + rad * np.array([dy, -dx]))


def _bezier(p0: np.ndarray, control: np.ndarray, p1: np.ndarray, t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float)[..., None]
    return np.asarray((1 - t) ** 2 * p0 + 2 * t * (1 - t) * control + t**2 * p1)


def _inside(points: np.ndarray, box: Bbox) -> np.ndarray:
    return np.asarray((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
                      & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1))


def _clipped_curve(p0: np.ndarray, p1: np.ndarray, rad: float, boxes: tuple[Bbox, Bbox]) -> MplPath:
    """The edge's curve from where it leaves the source's box to where it enters the target's."""
    control = _control(p0, p1, rad)
    t = np.linspace(0.0, 1.0, 401)
    points = _bezier(p0, control, p1, t)
    outside = ~_inside(points, boxes[0]) & ~_inside(points, boxes[1])
    if not outside.any():
        return MplPath([p0, p1])
    t0, t1 = t[np.argmax(outside)], t[len(t) - 1 - np.argmax(outside[::-1])]
    blossom = (1 - t0) * (1 - t1) * p0 + (t0 * (1 - t1) + (1 - t0) * t1) * control + t0 * t1 * p1
    start, end = _bezier(p0, control, p1, np.array([t0, t1]))
    return MplPath([start, blossom, end], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])


def _overlap(box: Bbox, others: list[Bbox]) -> float:
    total = 0.0
    for other in others:
        width = min(box.x1, other.x1) - max(box.x0, other.x0)
        height = min(box.y1, other.y1) - max(box.y0, other.y0)
        if width > 0 and height > 0:
            total += width * height
    return total


def _place_label(axes: Any, renderer: Any, text: str, curve: tuple[np.ndarray, np.ndarray, np.ndarray],
                 colour: str, occupied: list[Bbox]) -> Text:
    """Put an edge's label at the first spot along it that overlaps nothing placed before."""
    label = axes.text(0, 0, text, fontsize=8, ha="center", va="center", zorder=4, color=colour,
                      bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})
    spots = _bezier(*curve, np.array(_EDGE_SPOTS))
    best, best_overlap = spots[0], float("inf")
    for spot in spots:
        label.set_position(tuple(spot))
        overlap = _overlap(label.get_window_extent(renderer).expanded(1.05, 1.1), occupied)
        if overlap < best_overlap:
            best, best_overlap = spot, overlap
        if overlap == 0:
            break
    label.set_position(tuple(best))
    occupied.append(label.get_window_extent(renderer))
    return label


def _edge_colour(graph: nx.DiGraph, layout: _Layout, source: Any, target: Any) -> str:
    """Transfers between groups (edges within a column) take their source's colour."""
    kinds = graph.nodes[source]["kind"], graph.nodes[target]["kind"]
    if layout.positions[source][0] != layout.positions[target][0] or kinds != ("team", "team"):
        return "#444444"
    column = sorted(node for node in graph if layout.positions[node][0] == layout.positions[source][0]
                    and graph.nodes[node]["kind"] == "team")
    return _TRANSFER_COLOURS[column.index(source) % len(_TRANSFER_COLOURS)]


def diagram_figure(scenario: Scenario) -> Figure:
    """Draw the scenario's process (see the module docstring)."""
    graph = process_graph(scenario)
    layout = _layout(graph)
    xs = [x for x, _ in layout.positions.values()]
    left, right = min(xs) - 0.75 * _COLUMN_WIDTH, max(xs) + 0.6 * _COLUMN_WIDTH
    bottom, top = -layout.height + 0.3, 1.6 * _ROW_HEIGHT
    figure, axes = plt.subplots(figsize=(_INCHES * (right - left), _INCHES * (top - bottom)), dpi=_DPI)
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)
    axes.set_aspect("equal")
    axes.axis("off")
    figure.subplots_adjust(0, 0, 1, 1)
    texts: dict[Any, Text] = {}
    for node, data in graph.nodes(data=True):
        x, y = layout.positions[node]
        texts[node] = axes.text(x, y, data["label"], ha="center", va="center", fontsize=8.5, zorder=3,
                                bbox={"boxstyle": "round,pad=0.4", "fc": _COLOURS[data["kind"]],
                                      "ec": "#555555", "lw": 0.8})
    for lane, lane_top in layout.lane_tops.items():
        axes.text(left + 0.1, lane_top + _ROW_HEIGHT * 0.55, LANES[lane], fontsize=9.5,
                  fontweight="bold", color="#333333", ha="left", va="bottom")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    to_data = axes.transData.inverted()
    boxes = {node: Bbox(to_data.transform(text.get_bbox_patch().get_window_extent(renderer)))  # type: ignore[union-attr]
             for node, text in texts.items()}
    occupied = [text.get_window_extent(renderer) for text in texts.values()]
    for source, target, data in graph.edges(data=True):
        rad = _rad(graph, layout, source, target)
        p0, p1 = (np.asarray(layout.positions[node], dtype=float) for node in (source, target))
        colour = _edge_colour(graph, layout, source, target)
        axes.add_patch(FancyArrowPatch(path=_clipped_curve(p0, p1, rad, (boxes[source], boxes[target])),
                                       arrowstyle="-|>,head_length=0.5,head_width=0.25",
                                       mutation_scale=12, color=colour, lw=0.9, zorder=2,
                                       linestyle=_LINES[data["style"]]))
        if data["label"]:
            _place_label(axes, renderer, data["label"], (p0, _control(p0, p1, rad), p1), colour,
                         occupied)
    return figure


def overlapping_labels(figure: Figure) -> list[tuple[str, str]]:
    """Pairs of texts of a drawn figure whose boxes overlap (empty when every label is clear)."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    texts = [text for axes in figure.axes for text in axes.texts if text.get_text()]
    extents = [text.get_window_extent(renderer) for text in texts]
    pairs = []
    for i, first in enumerate(extents):
        for j in range(i + 1, len(extents)):
            if _overlap(first, [extents[j]]) > 0:
                pairs.append((texts[i].get_text(), texts[j].get_text()))
    return pairs


def write_diagram(scenario: Scenario, path: str | Path) -> Path:
    """Draw the scenario's process to a PNG or SVG file (by its suffix)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure = diagram_figure(scenario)
    figure.savefig(target, dpi=_DPI)
    plt.close(figure)
    return target
