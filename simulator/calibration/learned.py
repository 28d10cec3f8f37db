"""Calibration layer: what calibration learned from a log, as typed records.

:func:`simulator.calibration.learn.learn` measures a log and returns a :class:`Learned`;
:func:`simulator.calibration.assemble.assemble` writes it as a scenario with comments
and a report (a :class:`Calibration`). Keeping the records here, below both, is what
lets the learning import the assembling and not the other way round. Durations are in
minutes unless a name says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from simulator.calibration.columns import ColumnUse
from simulator.calibration.fitting import DurationFit
from simulator.calibration.groups import GroupModel
from simulator.calibration.history import RoutingStats
from simulator.calibration.paths import PathTable

__all__ = ["DESK", "DESK_STEP_ENDS", "MIN_STREAM_INCIDENTS", "PROFILE_PRIOR", "STREAM_PRIOR", "ArrivalStats",
           "Calibration", "DeskModel", "Learned",
           "ReopenModel", "ResolutionSummary", "SlaTarget", "Stream", "written_closure_min"]

#: The desk's name in a learned scenario.
DESK = "service_desk"
#: The desk's step ends at the first of these moments the log has for enough incidents.
DESK_STEP_ENDS = {"first_response": "opened → first response", "logged": "opened → record saved"}
#: Pseudo-incidents of all priorities' weekly profile a priority's own profile is shrunk towards.
PROFILE_PRIOR = 168
#: A priority × category gets an arrival stream of its own from this many incidents; the priority's
#: rarer categories stay together in the priority's stream.
MIN_STREAM_INCIDENTS = 100
#: Pseudo-incidents of its priority that a category stream's first-contact resolution and first
#: groups are shrunk towards.
STREAM_PRIOR = 50.0


def written_closure_min(closure_min: float) -> float:
    """The closure delay as the scenario writes it: whole hours, at least one (0: none)."""
    return max(math.floor(closure_min / 60.0), 1) * 60.0 if closure_min > 0 else 0.0


@dataclass(frozen=True)
class ArrivalStats:
    """How the daily volume was measured."""

    incidents: int
    days: int
    per_day: float  # for the whole organisation (divided by the log's sample fraction)
    sample_fraction: float


@dataclass(frozen=True)
class Stream:
    """One arrival stream: a priority's incidents of one category, or the rest of the priority's.

    Its name is the scenario's stream and category: ``P3`` (the priority's incidents without a
    stream of their own) or ``P3 network`` (the priority's incidents of the log's category
    ``network``), so that the desk's first-contact resolution and escalation and the paths
    (``flow.paths``' ``category``) are learned per priority × category.
    """

    name: str
    priority: str
    category: str | None  # the log's category; None: the priority's other incidents
    incidents: int
    share: float  # of all incidents


@dataclass(frozen=True)
class DeskModel:
    """The desk: logging time, first-contact resolution and escalation per priority."""

    team: str
    handling: DurationFit | None  # opened → record saved; None: the log has no logging time
    fcr: dict[str, float]  # stream (priority, or priority × category) → share never assigned to a group
    escalation: dict[str, dict[str, float]]  # stream → first team → share
    agents: int
    load: float  # tickets being logged at once in the peak hour
    step_end: str | None = None  # the column the step ends at: "first_response", "logged"; None: assumed
    resolved_handling: DurationFit | None = None  # opened → resolved of its first-contact resolutions


@dataclass(frozen=True)
class ReopenModel:
    """The reopen probability the model needs, and the resolved → reopened delay."""

    probability: float  # the observed share over the share of delays within the closure delay
    delay: DurationFit | None  # None: too few reopenings seen to fit one (``assumed`` is used)
    observed: float = 0.0  # the share of resolved incidents reopened in the log
    within_closure: float = 1.0  # the share of delays shorter than the closure delay
    assumed: dict[str, object] | None = None  # the assumed delay (minutes) when none was fitted


@dataclass(frozen=True)
class SlaTarget:
    """The resolution target (24×7 minutes) that best reproduces a priority's ``made_sla`` flag."""

    resolution_min: float
    agreement: float  # share of incidents where "resolved within the target" equals the flag
    made_sla: float  # share flagged as met
    n: int


@dataclass(frozen=True)
class ResolutionSummary:
    """Opened → resolved by Kaplan–Meier (incidents open at the export censored there)."""

    n: int
    censored: int
    median_h: float
    p90_h: float


@dataclass(frozen=True)
class Learned:
    """Everything learned from a log, before it is written as a scenario."""

    name: str
    source: str
    start: pd.Timestamp  # the active period's first day
    end: pd.Timestamp  # and the day after its last
    exported: pd.Timestamp
    n_incidents: int
    volume: float  # incidents a day
    weekly: list[list[float]]  # 7 × 24 shares of the week's arrivals
    weekly_by_stream: dict[str, list[list[float]]]  # each stream's own (shrunk towards ``weekly``)
    arrivals: ArrivalStats
    priorities: list[str]  # highest first
    mix: dict[str, float]  # priority → share
    cells: dict[str, dict[int, dict[int, float]]]  # priority → impact → urgency → share
    matrix: list[list[str]]  # impact × urgency → priority
    desk: DeskModel
    groups: list[GroupModel]
    routing: RoutingStats
    reopen: ReopenModel
    closure_min: float  # median resolved → closed (0 when unknown)
    sla: dict[str, SlaTarget]
    resolution: dict[str, ResolutionSummary]  # "all" and each priority
    problems: dict[str, int]  # rows that needed care, by kind
    warmup_days: int
    columns: ColumnUse  # which mapped columns were used, and why not the others
    paths: tuple[PathTable, ...] = ()  # routing by whole paths (``--routing paths``), most specific first
    streams: tuple[Stream, ...] = ()  # the arrival streams, in the order written


@dataclass(frozen=True)
class Calibration:
    """A learned scenario as plain data, comments for its file, a JSON-ready report, and its source."""

    scenario: dict[str, object]
    comments: dict[tuple[str, ...], str]
    report: dict[str, object]
    learned: Learned
