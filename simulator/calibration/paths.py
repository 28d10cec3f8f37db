"""Calibration layer: routing by whole paths (trajectory resampling), learned from the paths tickets took.

``calibrate --routing paths`` writes ``flow.paths`` (:mod:`simulator.scenario.routing`):
for each *stratum* — a first group and a category stream (a priority × the log's category,
where calibrate made one), else a first group and a priority, else a first group for all
priorities — the paths between groups its finished tickets took, each with its share,
so that the simulation replays whole observed trajectories instead of chaining one
hand-off to the next.

**Smoothing.** A stratum gets its own rule from :data:`MIN_PATH_TICKETS` finished
tickets on; the tickets of a category stream without a rule of their own for that first group
fall back to their priority's, and the rarer priorities share one rule for their first group
(learned from their tickets, or from all the group's tickets where they are fewer than that). A path
is listed once seen :data:`MIN_PATH_COUNT` times in its stratum; each listed path's share
is its count over the stratum's tickets plus :data:`PRIOR_TICKETS` pseudo-tickets. The
rest — the pseudo-tickets' mass and the paths seen once — is left to the groups' routing
with memory (learned from the same visits), which the model uses for tickets that draw
no listed path: a rare path is never replayed as if it were typical, and a stratum seen
a few times leans on the routing learned from every ticket.

Paths are the groups the updates show (consecutive visits to one pooled team are one
stay; a ticket still open at the export has no finished path and is left out), so
hand-offs a log counts but its updates do not show are not replayed: the reassignment
counts are not used (``calibrate`` says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MIN_PATH_COUNT", "MIN_PATH_TICKETS", "PRIOR_TICKETS", "PathTable", "learn_paths"]

#: A stratum (first group × priority, else first group) gets its own rule from this many tickets.
MIN_PATH_TICKETS = 30
#: A path is listed once seen this many times in its stratum (rarer ones go to the fallback).
MIN_PATH_COUNT = 2
#: Pseudo-tickets of each stratum left to the groups' routing with memory.
PRIOR_TICKETS = 10.0


@dataclass(frozen=True)
class PathTable:
    """The listed paths of one stratum, with their shares (the rest: routing with memory)."""

    first: str
    priority: str | None  # None: every priority without a table of its own
    paths: dict[tuple[str, ...], float]  # path (its groups in order) → share of the stratum's tickets
    tickets: int  # finished tickets seen in the stratum
    distinct: int  # distinct paths among them (listed or not)
    category: str | None = None  # a category stream's tickets only (its name: "P3 network")


def finished_paths(visits: pd.DataFrame, priority: pd.Series, category: pd.Series | None = None
                   ) -> pd.DataFrame:
    """Per finished ticket escalated to a group: ``first``, ``priority``, ``category`` (its category
    stream, or None) and ``path`` (teams in order).

    ``visits`` needs ``case_id``, ``step``, ``team`` and ``censored``.
    """
    ordered = visits.sort_values(["case_id", "step"])
    case = ordered["case_id"].to_numpy()
    team = ordered["team"].astype(str).to_numpy()
    new_case = np.r_[True, case[1:] != case[:-1]]
    new_team = new_case | np.r_[True, team[1:] != team[:-1]]
    open_cases = set(ordered.loc[ordered["censored"].to_numpy(dtype=bool), "case_id"])
    runs = pd.DataFrame({"case_id": case[new_team], "team": team[new_team]})
    runs = runs[~runs["case_id"].isin(open_cases)]
    paths = runs.groupby("case_id", sort=False)["team"].agg(tuple)
    streams = (paths.index.map(category).astype(object) if category is not None
               else np.full(len(paths), None, dtype=object))
    return pd.DataFrame({"first": [path[0] for path in paths], "path": paths.to_numpy(),
                         "priority": paths.index.map(priority).astype(str),
                         "category": pd.Series(streams, index=paths.index).where(
                             pd.notna(streams), None)}, index=paths.index)


def _table(chosen: pd.DataFrame, first: str, priority: str | None, category: str | None = None) -> PathTable:
    counts = chosen["path"].value_counts()
    listed = counts[counts >= MIN_PATH_COUNT]
    total = len(chosen) + PRIOR_TICKETS
    shares = {tuple(path): round(float(n) / total, 5) for path, n in listed.items()}
    return PathTable(first, priority, {path: share for path, share in shares.items() if share > 0},
                     len(chosen), len(counts), category)


def learn_paths(visits: pd.DataFrame, priority: pd.Series, category: pd.Series | None = None
                ) -> tuple[PathTable, ...]:
    """The path tables of every stratum seen often enough (see the module docstring); most specific
    first, in the order ``flow.paths`` takes them. ``category``: each incident's category stream
    (missing where it has none)."""
    tickets = finished_paths(visits, priority, category)
    by_category: list[PathTable] = []
    specific: list[PathTable] = []
    general: list[PathTable] = []
    for first, mine in tickets.groupby("first", sort=True):
        streams = mine["category"].dropna().value_counts()
        own_streams = sorted(str(name) for name, n in streams.items() if n >= MIN_PATH_TICKETS)
        for name in own_streams:
            chosen = mine[mine["category"] == name]
            by_category.append(_table(chosen, str(first), str(chosen["priority"].iloc[0]), name))
        mine = mine[~mine["category"].isin(own_streams)]  # noqa: PLW2901 (the rest of the first group's)
        counts = mine["priority"].value_counts()
        own = sorted(str(name) for name, n in counts.items() if n >= MIN_PATH_TICKETS)
        specific.extend(_table(mine[mine["priority"] == name], str(first), name) for name in own)
        rest = mine[~mine["priority"].isin(own)]
        if len(rest) >= MIN_PATH_TICKETS:
            general.append(_table(rest, str(first), None))
        elif len(rest) and len(mine) >= MIN_PATH_TICKETS:  # a few: the first group's paths, all priorities
            general.append(_table(mine, str(first), None))
    return tuple(table for table in (*by_category, *specific, *general) if table.paths)
