"""Experiment layer: a scenario's roster as numbers a staffing search can change.

A *post* is one headcount in the scenario: a team's ``agents`` (on duty around the
clock) or the ``headcount`` of one shift of its ``roster``. A *roster* is the
headcount of every post, in order. Each post knows the hours of the week one of its
agents works (``coverage``, 168 hourly shares, Monday 00–01 first, on the calendar
the model uses) and what an agent-hour costs, so a roster's weekly cost is exact:
shifts repeat every week and do not stop for holidays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.scenario.calendars import HOURS_PER_WEEK
from simulator.scenario.schema import Scenario, Shift, Team

__all__ = ["Post", "Roster", "apply_roster", "current_roster", "posts", "roster_cost"]

Roster = tuple[int, ...]
_DAY_MIN = 24 * 60.0
_WEEK_MIN = 7 * _DAY_MIN


def _coverage(shift: Shift | None) -> np.ndarray:
    """Share of each hour of the week one agent of the shift (None: 24x7) is on duty."""
    if shift is None:
        return np.ones(HOURS_PER_WEEK)
    minutes = np.zeros(int(_WEEK_MIN))
    for day in shift.days:
        begin = round(day * _DAY_MIN + shift.start)
        span = np.arange(begin, begin + round(shift.length())) % int(_WEEK_MIN)
        minutes[span] = 1.0
    return minutes.reshape(HOURS_PER_WEEK, 60).mean(axis=1)


def _availability(team: Team, shift: Shift | None, coverage: np.ndarray) -> np.ndarray:
    """Expected share of each hour of the week a rostered agent of the post is available to
    work: not lost to shrinkage, not on a break (each break spread evenly over its window)."""
    if team.shrinkage == 0 and not team.breaks:
        return np.ones(HOURS_PER_WEEK)
    on_break = np.zeros(int(_WEEK_MIN))
    starts = ([day * _DAY_MIN for day in range(7)] if shift is None  # 24x7: a break a day
              else [day * _DAY_MIN + shift.start for day in shift.days])
    for begin in starts:
        for rule in team.breaks:
            spread = (0.0 if rule.latest_start is None else rule.latest_start - rule.after)
            window = np.arange(round(begin + rule.after), round(begin + rule.after + spread + rule.length))
            on_break[window % int(_WEEK_MIN)] += rule.length / max(len(window), 1)
    hourly_break = on_break.reshape(HOURS_PER_WEEK, 60).mean(axis=1)
    present = np.where(coverage > 0, np.clip(1.0 - hourly_break / np.maximum(coverage, 1e-9), 0, 1), 1.0)
    return present * (1.0 - team.shrinkage)


@dataclass(frozen=True)
class Post:
    """One headcount a staffing search may change."""

    team: str
    shift: int | None  # index in the team's roster; None for ``agents`` (24x7)
    label: str  # "service_desk/early", or the team's name for 24x7 agents
    path: str  # the ``--set`` path of the headcount
    hourly_cost: float
    coverage: np.ndarray  # (168,) share of each hour of the week one agent works
    # (168,) of that, the expected share available: after shrinkage and breaks (1: neither)
    availability: np.ndarray = field(default_factory=lambda: np.ones(HOURS_PER_WEEK))

    @property
    def hours_per_week(self) -> float:
        """Hours one agent of this post works in a week."""
        return float(self.coverage.sum())


def _team_posts(name: str, team: Team) -> list[Post]:
    if team.agents is not None:
        coverage = _coverage(None)
        return [Post(name, None, name, f"teams.{name}.agents", team.hourly_cost, coverage,
                     _availability(team, None, coverage))]
    return [Post(name, index, f"{name}/{shift.name or f'shift{index + 1}'}",
                 f"teams.{name}.roster.{index}.headcount", team.hourly_cost, _coverage(shift),
                 _availability(team, shift, _coverage(shift)))
            for index, shift in enumerate(team.roster or ())]


def posts(scenario: Scenario, teams: Sequence[str] | None = None) -> list[Post]:
    """The posts of the chosen teams (default: every team), in the scenario's order."""
    unknown = sorted(set(teams or ()) - set(scenario.teams))
    if unknown:
        raise ValueError(f"expected team names ({', '.join(scenario.teams)}); found "
                         f"{', '.join(repr(name) for name in unknown)}")
    return [post for name, team in scenario.teams.items() if teams is None or name in teams
            for post in _team_posts(name, team)]


def current_roster(scenario: Scenario, chosen: Sequence[Post]) -> Roster:
    """The scenario's own headcount of each post."""
    counts = []
    for post in chosen:
        team = scenario.teams[post.team]
        counts.append(team.agents if post.shift is None else (team.roster or ())[post.shift].headcount)
    return tuple(int(count or 0) for count in counts)


def apply_roster(scenario: Scenario, chosen: Sequence[Post], roster: Roster) -> Scenario:
    """The scenario with these headcounts (each at least 1; nothing else changes)."""
    teams = dict(scenario.teams)
    for post, count in zip(chosen, roster, strict=True):
        if count < 1:
            raise ValueError(f"expected a headcount of at least 1 for {post.label}; found {count}")
        team = teams[post.team]
        if post.shift is None:
            teams[post.team] = team.model_copy(update={"agents": count})
        else:
            shifts = list(team.roster or ())
            shifts[post.shift] = shifts[post.shift].model_copy(update={"headcount": count})
            teams[post.team] = team.model_copy(update={"roster": tuple(shifts)})
    return scenario.model_copy(update={"teams": teams})


def roster_cost(chosen: Sequence[Post], roster: Roster) -> tuple[float, float]:
    """Weekly cost (agent-hours × hourly cost) and weekly agent-hours of the posts."""
    money = sum(post.hours_per_week * post.hourly_cost * count
                for post, count in zip(chosen, roster, strict=True))
    hours = sum(post.hours_per_week * count for post, count in zip(chosen, roster, strict=True))
    return float(money), float(hours)
