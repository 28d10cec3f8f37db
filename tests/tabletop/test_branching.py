"""Branching injects fire exactly when their condition holds; the random draw follows the seed."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from simulator.scenario import load_scenario
from simulator.scenario.errors import ScenarioError
from simulator.scenario.exercise import Condition
from simulator.tabletop import Round
from simulator.tabletop.branching import Facts, due
from simulator.tabletop.digest import OutageMoments
from simulator.tabletop.draw import check_pieces, draw_pieces
from simulator.tabletop.live import Exercise
from simulator.tabletop.records import DecisionRecord
from simulator.tabletop.views import clock_text, facilitator_view, players_view
from tests.helpers import run_cli
from tests.tabletop.conftest import CLOUDFLARE, EXERCISES, exercise_variant

DATABASE = EXERCISES / "database-failed-change.yaml"
ROLLBACK = {"declare": "declare", "page": "sre", "restore": "rollback", "approvers": "1,2"}
KILL_SWITCH = {**ROLLBACK, "restore": "workaround"}


def _play(round_: Round, answers: dict[str, str], step: float, until: float = 16 * 60,
          update_at: float | None = None) -> Round:
    """Answer every question with ``answers``; send one update at the first minute from
    ``update_at``; move the clock ``step`` minutes at a time."""
    while not round_.finished and round_.minute < until:
        for decision in round_.pending():
            round_.decide(decision.key, answers[decision.kind], "Ann", "incident_manager")
        if update_at is not None and round_.minute >= update_at and not round_.updates:
            for case in round_.digest.open_major_incidents():
                round_.send_update(case, "customers", "on it", "Cy", "communications")
        round_.advance(step)
    return round_


def _trace(round_: Round) -> list[tuple[str, str]]:
    return [(clock_text(round_, minute, seconds=True), inject.name)
            for minute, _, inject in round_.messages]


# -- exact traces ---------------------------------------------------------------------------------
@pytest.mark.parametrize("step", [1.0, 0.37, 7.0])
def test_a_rollback_brings_its_failure_ten_minutes_later_and_silence_brings_the_cto(step: float) -> None:
    round_ = _play(Round(load_scenario(CLOUDFLARE), "Blue", seed=7), ROLLBACK, step)
    assert [(clock_text(round_, d.minute), d.kind, d.answer) for d in round_.decisions] == [
        ("13:47", "declare", "declare"), ("13:50", "page", "sre"), ("14:02", "restore", "rollback")]
    assert _trace(round_) == [  # however the clock was moved
        ("13:44:00", "customers report 502s"), ("13:46:00", "CPU alarms"),
        ("14:00:00", "CTO asks"),  # declared 13:50, no update for 10 minutes
        ("14:12:00", "rollback fails on 30 % of nodes")]  # the rollback chosen 14:02, + 10 minutes
    assert "access tooling slow" not in {name for _, name in _trace(round_)}  # not chosen
    reference = _play(Round(load_scenario(CLOUDFLARE), "Blue", seed=7), ROLLBACK, 1.0)
    pd.testing.assert_frame_equal(round_.events(), reference.events())


@pytest.mark.parametrize("sent", [13 * 60 + 55, 13 * 60 + 56, 13 * 60 + 58])
def test_an_update_moves_the_cto_call_to_ten_minutes_after_it(sent: int) -> None:
    round_ = _play(Round(load_scenario(CLOUDFLARE), "Blue", seed=7), KILL_SWITCH, 1.0,
                   update_at=sent)
    assert [update.minute for update in round_.updates] == [sent]
    assert _trace(round_) == [
        ("13:44:00", "customers report 502s"), ("13:46:00", "CPU alarms"),
        ("14:02:00", "access tooling slow"),  # the moment the kill switch is chosen
        (clock_text(round_, sent + 10, seconds=True), "CTO asks")]
    assert round_.end is not None and clock_text(round_, round_.end.minute) == "14:09"


def test_a_branching_inject_fires_right_after_the_decision_that_triggers_it() -> None:
    round_ = _play(Round(load_scenario(CLOUDFLARE), "Blue", seed=7), KILL_SWITCH, 1.0)
    timeline = [(row["kind"], row["what"].split(":")[0]) for row in round_.timeline()]
    chosen = timeline.index(("decision", "restore"))
    # the decision, what the model does at once, then the inject (all at 14:02)
    assert timeline[chosen + 1:chosen + 3] == [("event", "workaround started"),
                                               ("inject", "access tooling slow")]


def test_an_undeclared_outage_brings_its_inject_at_detection_plus_the_wait(tmp_path: Path) -> None:
    variant = exercise_variant(tmp_path, """
injects:
  - {name: why not declared, when: {undeclared_for: 10m}, text: "Why is this not a major incident?"}
  - {name: ask again, when: {not_decided: {declare: declare}, decided: {declare: not yet}},
     delay: 3m, text: "You said not yet."}""")
    waited = _play(Round(load_scenario(variant), "Blue", seed=7),
                   {**KILL_SWITCH, "declare": "not yet"}, 1.0, until=14 * 60)
    board = waited.scoreboard()
    assert board["time_to_detect_min"] == 3.0  # detected 13:45 (the outage began 13:42)
    assert _trace(waited)[:2] == [("13:50:00", "ask again"),  # 'not yet' at 13:47, + 3 minutes
                                  ("13:55:00", "why not declared")]  # 13:45 + 10 minutes
    declared = _play(Round(load_scenario(variant), "Blue", seed=7), KILL_SWITCH, 1.0, until=14 * 60)
    assert _trace(declared) == []  # declared at 13:50: neither holds


def test_the_rule_of_a_condition_on_hand_made_facts() -> None:
    outage = OutageMoments("OUT0000001", "waf", start=0.0, detected=5.0, declared=20.0,
                           updates=[30.0, 50.0])
    answered = [DecisionRecord("restore:OUT0000001:1", "restore", "?", "rollback", "Tim", 25.0,
                               "", 0, "technical_lead"),
                DecisionRecord("page:OUT0000001:1", "page", "?", "sre,network", "Ann", 21.0, "",
                               0, "incident_manager")]
    facts = Facts(60.0, answered, frozenset({"disk full"}), [outage], {"support": 12})
    assert due(Condition(no_update_for="45m"), facts) == 95.0  # the last update, 50, + 45
    assert due(Condition(no_update_for="5m"), facts) == 60.0  # overdue: holds now
    assert due(Condition(decided={"page": "network"}), facts) == 60.0  # among several picked
    assert due(Condition(decided={"page": "dba"}), facts) is None
    assert due(Condition(not_decided={"restore": "rollback"}), facts) is None
    assert due(Condition(drawn=("disk full",), no_update_for="45m"), facts, not_before=120.0) == 120.0
    assert due(Condition(drawn=("bad migration",)), facts) is None
    assert due(Condition(queue_at_least={"support": 12}), facts) == 60.0
    assert due(Condition(queue_at_least={"support": 13}), facts) is None
    assert due(Condition(undeclared_for="10m"), facts) is None  # declared
    restored = Facts(60.0, [], frozenset(), [OutageMoments("OUT0000001", "waf", 0.0, 5.0, 20.0,
                                                           restored=40.0)], {})
    assert due(Condition(no_update_for="1m"), restored) is None  # no open major incident
    assert math.isnan(restored.outages[0].assembled)


def test_a_replay_and_a_rewind_fire_the_branching_injects_again_at_the_same_moment() -> None:
    played = _play(Round(load_scenario(CLOUDFLARE), "Blue", seed=7), ROLLBACK, 1.0)
    again = played.replay()
    assert _trace(again) == _trace(played) and again.timeline() == played.timeline()
    pd.testing.assert_frame_equal(again.events(), played.events())
    rewound = played.replay(until=14 * 60 + 5)  # after the rollback was chosen, before its failure
    assert _trace(rewound)[-1] == ("14:00:00", "CTO asks") and rewound.armed == {
        "rollback fails on 30 % of nodes": 14 * 60 + 12.0}
    _play(rewound, ROLLBACK, 1.0)
    assert _trace(rewound) == _trace(played)


def test_a_condition_naming_an_unknown_piece_or_team_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="expected conditions to name pieces of the draw"):
        load_scenario(exercise_variant(tmp_path, """
injects: [{name: x, when: {drawn: [nothing]}}]"""))
    with pytest.raises(ScenarioError, match="expected an answer to 'restore' among workaround"):
        load_scenario(exercise_variant(tmp_path, """
injects: [{name: x, when: {decided: {restore: pray}}}]"""))
    with pytest.raises(ScenarioError, match="expected 'delay' only with 'when'"):
        load_scenario(exercise_variant(tmp_path, "injects: [{name: x, at: 14h, delay: 5m}]"))
    with pytest.raises(ScenarioError, match="expected at least one condition"):
        load_scenario(exercise_variant(tmp_path, "injects: [{name: x, when: {}}]"))
    with pytest.raises(ScenarioError, match=r"expected a team of the scenario .*found 'desk'"):
        Exercise(exercise_variant(tmp_path, """
injects: [{name: x, when: {queue_at_least: {desk: 5}}}]"""), tmp_path / "x.db")


# -- the random draw ------------------------------------------------------------------------------
def test_the_same_seed_draws_the_same_pieces_and_seeds_draw_each_piece_as_often() -> None:
    exercise = load_scenario(DATABASE).exercise
    assert exercise is not None
    assert draw_pieces(exercise, 11) == draw_pieces(exercise, 11)
    counts = Counter(item.piece.name for seed in range(1200) for item in draw_pieces(exercise, seed))
    assert set(counts) == {piece.name for draw in exercise.draw for piece in draw.pieces}
    for draw in exercise.draw:  # equal weights: each piece 1/n of the time, within 4 sd
        share = 1 / len(draw.pieces)
        sd = math.sqrt(1200 * share * (1 - share))
        for piece in draw.pieces:
            assert abs(counts[piece.name] - 1200 * share) < 4 * sd, (piece.name, counts)


def test_a_drawn_piece_changes_the_scenario_the_briefing_and_the_injects(tmp_path: Path) -> None:
    live = Exercise(DATABASE, tmp_path / "x.db")
    exercise = live.exercise
    by_piece = {}
    for seed in range(40):
        names = {item.piece.name for item in draw_pieces(exercise, seed)}
        for name in names:
            by_piece.setdefault(name, seed)
    disk, leave, press = by_piece["disk full"], by_piece["a DBA on leave"], by_piece["the press calls"]
    round_ = live.rounds[live.new_round("Blue", disk)]
    assert round_.scenario.changes.emergency is not None
    assert round_.scenario.changes.emergency.failure_probability == 0.1
    assert round_.scenario.services["primary_database"].restoration.fix.value == 120.0  # type: ignore[union-attr]
    base = live.scenario.changes.emergency
    assert base is not None and base.failure_probability == 0.8  # the exercise's own is unchanged
    on_leave = live.rounds[live.new_round("Red", leave)]
    assert "on leave this week" in on_leave.briefing
    shift = on_leave.scenario.teams["dba"].roster[0]  # type: ignore[index]
    assert shift.headcount == 1
    seen = players_view(on_leave, 2, False, 1.0)
    full = facilitator_view(on_leave, 2, False, 1.0)
    assert "on leave this week" in seen["briefing"] and "drawn" not in seen
    assert {"draw": "complication", "piece": "a DBA on leave"} in full["drawn"]
    assert "Drawn complication: one DBA on leave" in full["facilitator_notes"]
    assert "Drawn complication" not in str(seen)
    for seed in (press, leave):  # the press calls only where it was drawn
        played = live.rounds[live.new_round(f"T{seed}", seed)]
        for _ in range(20):
            for decision in played.pending():
                played.decide(decision.key, decision.default, "policy", "policy")
            played.advance(20)
        fired = {inject.name for _, _, inject in played.messages}
        assert ("the press calls" in fired) == (seed == press), seed


def test_a_drawn_round_replays_row_for_row_and_resumes_after_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "x.db"
    live = Exercise(DATABASE, database)
    round_id = live.new_round("Blue", 5)
    round_ = live.rounds[round_id]
    for _ in range(30):
        for decision in round_.pending():
            live.record(round_id, round_.decide(decision.key, decision.default, "Ann",
                                                "incident_manager"))
        round_.advance(15)
    live.save(round_id)
    again = round_.replay()
    pd.testing.assert_frame_equal(again.events(), round_.events())
    assert _trace(again) == _trace(round_)
    restarted = Exercise(DATABASE, database).rounds[round_id]
    assert restarted.drawn == round_.drawn and _trace(restarted) == _trace(round_)
    pd.testing.assert_frame_equal(restarted.events(), round_.events())


def test_a_piece_whose_changes_do_not_apply_is_refused_naming_it(tmp_path: Path) -> None:
    variant = tmp_path / "bad.yaml"
    variant.write_text(f"""extends: {CLOUDFLARE}
exercise:
  draw:
    - name: cause
      pieces:
        - {{name: fine}}
        - {{name: typo, set: {{services.waf.restoration.fxi: 2h}}}}
""")
    scenario = load_scenario(variant)
    assert scenario.exercise is not None
    with pytest.raises(ScenarioError, match="piece 'typo': ") as raised:
        check_pieces(variant, scenario.exercise)
    assert raised.value.problems[0].path == ("exercise", "draw", 0, "pieces", 1, "set")
    with pytest.raises(ScenarioError, match="expected changes outside the exercise section"):
        load_scenario(exercise_variant(tmp_path, """
draw: [{name: x, pieces: [{name: y, set: {exercise.pace: 5}}]}]"""))


def test_validate_makes_the_checks_the_tabletop_makes_when_it_starts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trainer checks an exercise file with ``mimsim validate`` before the drill: a piece of
    the draw or a condition's team that ``mimsim tabletop`` would refuse is refused there too."""
    variant = tmp_path / "bad.yaml"
    variant.write_text(f"""extends: {CLOUDFLARE}
exercise:
  draw: [{{name: cause, pieces: [{{name: typo, set: {{services.waf.restoration.fxi: 2h}}}}]}}]
""")
    code, _, err = run_cli(["validate", str(variant)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"{variant}: exercise.draw[0].pieces[0].set: piece 'typo': ")
    team = exercise_variant(tmp_path, "injects: [{name: x, when: {queue_at_least: {desk: 5}}}]")
    code, _, err = run_cli(["validate", str(team)], capsys)
    assert code == 2 and "queue_at_least.desk: expected a team of the scenario" in err
    code, out, _ = run_cli(["validate", str(CLOUDFLARE)], capsys)
    assert code == 0 and out.rstrip().endswith(
        "a tabletop exercise: 5 roles, 6 injects (3 branching), 4 objectives, 0 draws")
