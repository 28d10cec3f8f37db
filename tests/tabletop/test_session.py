"""Tabletop rounds: deterministic replay, the decision time limit, and resuming after a restart."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.scenario import load_scenario
from simulator.scenario.errors import ScenarioError
from simulator.tabletop import Round, check_exercise
from simulator.tabletop.app import Exercise
from tests.tabletop.conftest import CLOUDFLARE, EXERCISES

ANSWERS = {"declare": "declare", "page": "sre", "restore": "emergency change", "approvers": "1,2"}


def _play(round_: Round, until: float) -> None:
    """Answer every question with ANSWERS, fire an inject at 13:58, run to ``until``."""
    fired = False
    while round_.minute < until:
        for decision in round_.pending():
            round_.decide(decision.key, ANSWERS[decision.kind], "Ann")
        if not fired and round_.minute >= 13 * 60 + 58:
            round_.fire("access tooling slow", "facilitator")
            fired = True
        round_.advance(min(2.0, until - round_.minute))


def test_the_same_seed_and_decisions_replay_the_same_timeline() -> None:
    scenario = load_scenario(CLOUDFLARE)
    first = Round(scenario, "Blue", seed=7)
    _play(first, 15 * 60)
    assert [record.kind for record in first.decisions] == ["declare", "page", "restore", "approvers"]
    again = first.replay()
    pd.testing.assert_frame_equal(first.events(), again.events())
    assert first.timeline() == again.timeline()
    assert again.decisions == first.decisions and again.injects == first.injects
    # and a fresh round, played the same way, is the same too
    other = Round(scenario, "Red", seed=7)
    _play(other, 15 * 60)
    pd.testing.assert_frame_equal(first.events(), other.events())


def test_rewinding_forgets_what_came_later_and_asks_again() -> None:
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    _play(round_, 14 * 60 + 30)
    earlier = round_.replay(until=13 * 60 + 55)
    assert earlier.minute == 13 * 60 + 55
    assert [record.kind for record in earlier.decisions] == ["declare", "page"]
    earlier.advance(30)
    assert [decision.kind for decision in earlier.pending()] == ["restore"]  # asked again at 14:02


def test_an_unanswered_question_is_answered_by_the_policy_after_the_time_limit() -> None:
    now = [0.0]
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7, clock=lambda: now[0])
    while not round_.pending():
        round_.advance(1)
    assert round_.overdue() == []  # not yet
    now[0] += 119
    assert round_.overdue() == []
    now[0] += 1  # the exercise's limit: 120 s
    taken = round_.overdue()
    assert [(record.kind, record.answer, record.who) for record in taken] == [
        ("declare", "declare", "policy (time limit)")]
    assert not round_.pending()


def test_a_restarted_server_resumes_every_round_from_its_database(tmp_path: Path) -> None:
    database = tmp_path / "exercise.db"
    first = Exercise(CLOUDFLARE, database)
    round_id = first.new_round("Blue")
    round_ = first.rounds[round_id]
    _play(round_, 14 * 60 + 5)
    for record in round_.decisions:
        first.store.add_decision(round_id, record)
    for inject in round_.injects:
        first.store.add_inject(round_id, inject)
    first.save(round_id)
    restarted = Exercise(CLOUDFLARE, database)
    again = restarted.rounds[round_id]
    assert restarted.token == first.token
    assert again.minute == round_.minute and again.team == "Blue"
    pd.testing.assert_frame_equal(again.events(), round_.events())
    assert again.decisions == round_.decisions


def test_a_scenario_without_an_exercise_is_refused_clearly() -> None:
    scenario = load_scenario(EXERCISES.parent / "with-mim.yaml")
    with pytest.raises(ScenarioError, match="expected an 'exercise' section"):
        check_exercise(scenario, "with-mim.yaml")


@pytest.mark.parametrize("name", sorted(path.name for path in EXERCISES.glob("*.yaml")))
@pytest.mark.slow
def test_every_exercise_plays_through_on_its_policies(name: str) -> None:
    scenario = load_scenario(EXERCISES / name)
    round_ = Round(scenario, "Blue", seed=1)
    asked = 0
    for _ in range(400):
        for decision in round_.pending():
            round_.decide(decision.key, decision.default, "policy")
            asked += 1
        round_.advance(30)
        if round_.finished or round_.minute > scenario.exercise.start_at + 2 * 24 * 60:  # type: ignore[union-attr]
            break
    board = round_.scoreboard()
    assert asked >= 3 and board["outages"] >= 1 and board["time_to_declare_min"] is not None
    assert round_.messages, "the timed injects reached the players"
