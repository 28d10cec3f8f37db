"""Experiment layer: the simulation-based iterative staffing algorithm (ISA) for the desk.

Feldman, Mandelbaum, Massey & Whitt (Management Science 54(2), 2008) staff a queue whose demand
varies in time without a formula: start with (practically) unlimited agents; simulate; measure
the distribution of the number of contacts in the system, L(t), at each time t; set the next
staffing to s(t) = min{s : P(L(t) ≥ s) ≤ α} — the fewest agents for which an arrival at t would
wait with probability at most α; repeat with that staffing until it stops changing (here: until
no hour moves by more than one agent, the noise of a few replications, two iterations running). With
abandonment the staffing feeds back through who is still waiting, which is why it iterates.

Here the staffing interval is the hour of the week; L is sampled every five minutes, and an
hour's staffing comes from its samples pooled (over replications, weeks and the hour's points:
the original takes the largest over the time points of an interval, which with few samples per
point only adds noise). Each iteration simulates the scenario with the desk's roster replaced
by one agent group per hour of the week (agents at work: no shrinkage or breaks — the shift
scheduling adds those), with the same replications and seed every time. The result is the
desk's requirement of agents at work per hour, for the shift scheduling of
:func:`simulator.experiment.firstcut.first_cut`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.eventlog.log import Activity
from simulator.metrics.coded import encode
from simulator.model.simulation import Simulation
from simulator.scenario.calendars import HOURS_PER_WEEK, WEEKDAYS
from simulator.scenario.schema import Scenario, Shift

__all__ = ["IsaResult", "iterative_staffing"]

_STEP_MIN = 5.0
_POINTS = int(60 / _STEP_MIN)


@dataclass(frozen=True)
class IsaResult:
    """The desk's requirement per hour of the week, and each iteration's staffing."""

    required: np.ndarray  # (168,) agents at work
    iterations: list[np.ndarray]  # the staffing simulated at each iteration (the first: unlimited)
    converged: bool


def _hourly_roster(scenario: Scenario, staffing: np.ndarray) -> Scenario:
    """The scenario with the desk staffed ``staffing[h]`` agents in hour ``h`` of the week."""
    desk = scenario.flow.desk.team
    shifts = tuple(Shift.model_validate({
        "name": f"h{hour:03d}", "days": WEEKDAYS[hour // 24], "start": f"{hour % 24:02d}:00",
        "end": f"{hour % 24 + 1:02d}:00", "headcount": int(count)})
        for hour, count in enumerate(staffing) if count > 0)
    team = scenario.teams[desk].model_copy(update={
        "agents": None, "roster": shifts, "shrinkage": 0.0, "breaks": (), "planned_absence": (),
        # the work in hand passes to the next hour's agents: exactly s(t) agents at work
        "at_shift_end": "handover"})
    return scenario.model_copy(update={"teams": {**scenario.teams, desk: team}})


def _at_desk(scenario: Scenario, simulation: Simulation) -> tuple[np.ndarray, np.ndarray]:
    """Each desk contact's arrival and the moment it left the desk (served, sent on or gone)."""
    log = simulation.results()
    coded = encode(log.events, log.start)
    desk = coded.teams.index(scenario.flow.desk.team)
    case, t = coded.column("case"), coded.column("t")
    activity, team = coded.column("activity"), coded.column("team")
    codes = [list(Activity).index(name) for name in
             (Activity.RESOLVED, Activity.REASSIGNED, Activity.ABANDONED)]
    arrived = activity == list(Activity).index(Activity.ARRIVED)
    left = np.isin(activity, codes) & (team == desk)
    start = np.full(len(coded.cases), np.nan)
    end = np.full(len(coded.cases), np.inf)
    start[case[arrived][::-1]] = t[arrived][::-1]  # the first of each case
    end[case[left][::-1]] = t[left][::-1]
    keep = ~np.isnan(start) & (start >= 0)
    return np.sort(start[keep]), np.sort(end[keep])


def _point_of_week(minutes: np.ndarray, scenario: Scenario) -> np.ndarray:
    start = scenario.run.start
    offset = start.weekday() * 1440.0 + start.hour * 60.0 + start.minute
    return (np.floor((minutes + offset) / _STEP_MIN).astype(np.int64)) % (HOURS_PER_WEEK * _POINTS)


def _next_staffing(samples: list[list[np.ndarray]], alpha: float) -> np.ndarray:
    """Per hour: min{s : P(L ≥ s) ≤ α}, over the hour's samples pooled (every replication,
    week and five-minute point of it)."""
    need = np.zeros(HOURS_PER_WEEK, dtype=int)
    for hour in range(HOURS_PER_WEEK):
        chunks = [chunk for point in range(hour * _POINTS, (hour + 1) * _POINTS)
                  for chunk in samples[point]]
        if not chunks:
            continue
        counts = np.concatenate(chunks)
        tail = np.bincount(counts)[::-1].cumsum()[::-1] / len(counts)  # tail[s] = P(L ≥ s)
        need[hour] = int(np.flatnonzero(np.append(tail, 0.0) <= alpha)[0])
    return need


def iterative_staffing(scenario: Scenario, alpha: float, replications: int, seed: int | None = None,
                       max_iterations: int = 10) -> IsaResult:
    """The ISA's desk staffing per hour of the week for a delay probability of at most ``alpha``."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"expected a delay probability between 0 and 1; found {alpha}")
    from simulator.experiment.firstcut import team_demands

    load = team_demands(scenario)[scenario.flow.desk.team].load
    staffing = np.ceil(load * 3.0 + 10.0 * np.sqrt(load + 1.0)).astype(int) + 1  # practically unlimited
    iterations = [staffing]
    warmup = scenario.run.warmup
    times = np.arange(math.ceil(warmup / _STEP_MIN) * _STEP_MIN, scenario.run.horizon, _STEP_MIN)
    points = _point_of_week(times, scenario)
    order = np.argsort(points, kind="stable")
    unique, first = np.unique(points[order], return_index=True)
    cuts = first[1:]
    for _ in range(max_iterations):
        trial = _hourly_roster(scenario, staffing)
        samples: list[list[np.ndarray]] = [[] for _ in range(HOURS_PER_WEEK * _POINTS)]
        for replication in range(replications):
            simulation = Simulation(trial, replication, seed)
            simulation.run()
            starts, ends = _at_desk(scenario, simulation)
            present = (np.searchsorted(starts, times, side="right")
                       - np.searchsorted(ends, times, side="right"))
            for point, values in zip(unique, np.split(present[order], cuts), strict=True):
                samples[point].append(values)
        following = _next_staffing(samples, alpha)
        iterations.append(following)
        # Settled: no hour moved by more than the sampling noise's one agent, twice running.
        if len(iterations) > 3 and all(np.max(np.abs(a - b)) <= 1 for a, b in
                                       zip(iterations[-3:-1], iterations[-2:], strict=True)):
            return IsaResult(following, iterations, True)
        staffing = following
    return IsaResult(staffing, iterations, False)
