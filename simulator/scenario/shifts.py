"""Scenario layer: who is rostered when — the agents of a team and the periods of their shifts.

Pure date arithmetic on the scenario's roster (no SimPy): the model puts these agents on duty
(:mod:`simulator.model.rosters` takes shrinkage, planned absence and breaks out), and the
metrics count the same periods as *paid* time (what the roster pays for, whether or not the
agent was available).

Each shift line of a roster is worked by ``headcount`` named agents (the same people every
week). An agent's periods are the shift's hours on each of its weekdays, merged where one
period runs into the next (a 00:00–24:00 shift worked daily is one unbroken period). A shift
that ends before it starts runs past midnight into the next day.
"""

from __future__ import annotations

import datetime as dt

from simulator.scenario.schema import Scenario, Shift, Team

__all__ = ["duty_periods", "roster_agents", "rostered_periods"]


def _shift_periods(shift: Shift, start: dt.datetime, first: float,
                   last: float) -> list[tuple[float, float]]:
    first_day = (start + dt.timedelta(minutes=first)).date() - dt.timedelta(days=1)
    last_day = (start + dt.timedelta(minutes=last)).date()
    periods: list[tuple[float, float]] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in shift.days:
            midnight = (dt.datetime.combine(day, dt.time()) - start).total_seconds() / 60.0
            begin = midnight + shift.start
            end = begin + shift.length()
            if periods and periods[-1][1] >= begin:
                periods[-1] = (periods[-1][0], max(periods[-1][1], end))
            else:
                periods.append((begin, end))
        day += dt.timedelta(days=1)
    return [(max(begin, first), min(end, last)) for begin, end in periods
            if end > first and begin < last]


def roster_agents(team_name: str, team: Team) -> list[tuple[str, Shift | None]]:
    """The agents of a team, by name, with the shift each one works (``None``: always on duty)."""
    if team.agents is not None:
        return [(f"{team_name}-{number}", None) for number in range(1, team.agents + 1)]
    agents: list[tuple[str, Shift | None]] = []
    for index, shift in enumerate(team.roster or ()):
        label = shift.name or f"shift{index + 1}"
        agents.extend((f"{team_name}-{label}-{number}", shift)
                      for number in range(1, shift.headcount + 1))
    return agents


def duty_periods(shift: Shift | None, start: dt.datetime, first: float,
                 last: float) -> list[tuple[float, float]]:
    """Periods ``(on, off)`` in minutes since ``start`` within ``[first, last]`` when the agent works."""
    if shift is None:
        return [(first, last)]
    return _shift_periods(shift, start, first, last)


def rostered_periods(scenario: Scenario) -> dict[str, tuple[str, tuple[tuple[float, float], ...]]]:
    """Per agent name: its team and the periods it is rostered (paid) over the run, in minutes
    since ``run.start`` — before shrinkage, planned absence and breaks take anything out."""
    start, horizon = scenario.run.start, scenario.run.horizon
    result: dict[str, tuple[str, tuple[tuple[float, float], ...]]] = {}
    for name, team in scenario.teams.items():
        shared: dict[int, tuple[tuple[float, float], ...]] = {}  # agents of a shift share them
        for agent, shift in roster_agents(name, team):
            if id(shift) not in shared:
                shared[id(shift)] = tuple(duty_periods(shift, start, 0.0, horizon))
            result[agent] = (name, shared[id(shift)])
    return result
