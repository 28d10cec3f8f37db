"""The staffing search's descent: cheapest first, stopping at the first roster that meets every
target, keeps exactly the roster that simulating every smaller roster would keep.

Rosters are judged here by a made-up rule instead of a simulation (a weighted headcount must
reach a threshold), so the search can be compared, step by step, with the exhaustive version
it replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from simulator.experiment import Execution
from simulator.experiment.roster import Post, Roster, roster_cost
from simulator.experiment.staffing import Evaluation, _descend, _Evaluator, _move
from simulator.scenario.calendars import HOURS_PER_WEEK
from tests.helpers import scenario


@dataclass(frozen=True)
class _Judged(Evaluation):
    passes: bool = False

    @property
    def meets(self) -> bool:
        return self.passes


@dataclass
class _RuleEvaluator(_Evaluator):
    """Judges a roster by ``weights · roster >= threshold`` and counts the rosters "simulated"."""

    weights: tuple[float, ...] = ()
    threshold: float = 0.0
    simulated: list[Roster] = field(default_factory=list)

    def evaluate(self, rosters: Sequence[Roster]) -> list[Evaluation]:
        for roster in rosters:
            if roster not in self.cache:
                self.simulated.append(roster)
                money, hours = roster_cost(self.posts, roster)
                passes = float(np.dot(self.weights, roster)) >= self.threshold
                self.cache[roster] = _Judged(roster, pd.DataFrame(), [], money, hours, passes=passes)
        return [self.cache[roster] for roster in rosters]


def _posts(hours: Sequence[int], rates: Sequence[float]) -> list[Post]:
    result = []
    for index, (length, rate) in enumerate(zip(hours, rates, strict=True)):
        coverage = np.zeros(HOURS_PER_WEEK)
        coverage[:length] = 1.0
        result.append(Post("desk", index, f"desk/shift{index + 1}", f"teams.desk.roster.{index}.headcount",
                           rate, coverage))
    return result


def _exhaustive(evaluator: _RuleEvaluator, start: Roster) -> Roster:
    """The descent as it was: simulate every roster one agent smaller, keep the cheapest that
    meets the targets (ties: fewer agent-hours, then the first post)."""
    current = start
    while True:
        options = [_move(current, i, -1) for i in range(len(current)) if current[i] > 1]
        passing = [e for e in evaluator.evaluate(options) if e.meets]
        if not passing:
            return current
        current = min(passing, key=lambda e: (e.weekly_cost, e.agent_hours)).roster


@pytest.mark.parametrize(("hours", "rates", "weights", "threshold", "start"), [
    ((56, 56, 56, 56), (35, 35, 35, 35), (1.0, 2.0, 1.5, 1.0), 40.0, (10, 12, 9, 8)),  # equal costs
    ((40, 56, 20, 56), (30, 35, 50, 20), (1.0, 2.5, 0.7, 1.2), 31.0, (9, 8, 12, 10)),
    ((8, 168), (100, 10), (3.0, 1.0), 25.0, (6, 20)),
])
def test_the_descent_keeps_the_roster_the_exhaustive_descent_keeps(
        hours: tuple[int, ...], rates: tuple[float, ...], weights: tuple[float, ...],
        threshold: float, start: Roster) -> None:
    def evaluator() -> _RuleEvaluator:
        return _RuleEvaluator(scenario(), _posts(hours, rates), [], 5, Execution(5, workers=2),
                              weights=weights, threshold=threshold)

    lazy, full = evaluator(), evaluator()
    first = lazy.evaluate([start])[0]
    assert first.meets
    found = _descend(lazy, first, 10_000, [])
    assert found.roster == _exhaustive(full, start)
    assert len(lazy.simulated) < len(full.simulated) + 1  # never more rosters simulated
    assert len(lazy.simulated) < 0.8 * (len(full.simulated) + 1)  # and here, clearly fewer
