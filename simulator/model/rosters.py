"""Model layer: who is on duty when, from a team's roster.

The rostered agents and their periods come from :mod:`simulator.scenario.shifts` (pure date
arithmetic, shared with the metrics, which count them as paid time).

A team with shrinkage, planned absence or breaks works less than its roster:
:func:`available_periods` takes those out of each agent's periods (drawn from the team's own
named random streams, so a team without them draws nothing and changes nothing).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simulator.scenario.schema import Team
from simulator.scenario.shifts import duty_periods, roster_agents

__all__ = ["available_periods", "duty_periods", "roster_agents"]

_DAY = 24 * 60.0


def _daily(periods: list[tuple[float, float]], start: dt.datetime) -> list[tuple[float, float]]:
    """Periods cut at each local midnight (a 24x7 agent's duty, day by day)."""
    first_midnight = -(start.hour * 60 + start.minute + start.second / 60.0)
    pieces: list[tuple[float, float]] = []
    for on, off in periods:
        cut = first_midnight + _DAY * max(0, int((on - first_midnight) // _DAY))
        while cut < off:
            begin, end = max(on, cut), min(off, cut + _DAY)
            if end > begin:
                pieces.append((begin, end))
            cut += _DAY
    return pieces


def _without(periods: list[tuple[float, float]], gap: tuple[float, float]
             ) -> list[tuple[float, float]]:
    """Periods with the stretch ``gap`` taken out."""
    result: list[tuple[float, float]] = []
    for on, off in periods:
        if gap[1] <= on or gap[0] >= off:
            result.append((on, off))
            continue
        if gap[0] > on:
            result.append((on, gap[0]))
        if gap[1] < off:
            result.append((gap[1], off))
    return result


def available_periods(team: Team, periods: list[tuple[float, float]], start: dt.datetime,
                      absent: bool, shrinkage: np.random.Generator, breaks: np.random.Generator
                      ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """One agent's periods at work, from the periods rostered: ``(on duty, on a break)``.

    Each shift (for a 24x7 agent, each day) is lost with probability ``team.shrinkage`` (one
    uniform per shift from ``shrinkage``, in order); an ``absent`` agent (the last ones of the
    roster, as many as a planned absence names) misses its stretches; each shift worked has the
    team's breaks taken out, each placed by one uniform from ``breaks``. Returns the stretches
    on duty and the breaks (to be logged as off duty, but not as the shift's end).
    """
    shifts = _daily(periods, start) if team.agents is not None else list(periods)
    worked = [shift for shift, u in zip(shifts, shrinkage.random(len(shifts)), strict=True)
              if u >= team.shrinkage] if team.shrinkage > 0 else shifts
    if absent:
        for absence in team.planned_absence:
            worked = _without(worked, (absence.start, absence.end))
    on_duty: list[tuple[float, float]] = []
    taken: list[tuple[float, float]] = []
    for shift in worked:
        pieces = [shift]
        for rule in team.breaks:
            latest = rule.after if rule.latest_start is None else rule.latest_start
            begin = shift[0] + rule.after + float(breaks.random()) * (latest - rule.after)
            gap = (begin, min(begin + rule.length, shift[1]))
            if gap[1] > gap[0] and begin >= shift[0]:
                pieces = _without(pieces, gap)
                taken.append(gap)
        on_duty.extend(pieces)
    return on_duty, taken
