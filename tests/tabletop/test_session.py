"""Tabletop rounds: deterministic replay, the decision time limit, the end, pacing, resuming."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from simulator.metrics import encode
from simulator.metrics.outages import outage_table
from simulator.scenario import load_scenario
from simulator.scenario.errors import ScenarioError
from simulator.scenario.exercise import REAL_TIME, parse_pace
from simulator.tabletop import Round, check_exercise
from simulator.tabletop.digest import OutageMoments, update_windows
from simulator.tabletop.live import Exercise
from simulator.tabletop.records import DecisionRecord, NoteRecord, UpdateRecord
from simulator.tabletop.session import POLICY
from tests.tabletop.conftest import ANSWERS, CLOUDFLARE, EXERCISES, exercise_variant

PLAYED = {"declare": "declare", "page": "sre", "restore": "emergency change", "approvers": "1,2"}


def _play(round_: Round, until: float, answers: dict[str, str] = PLAYED) -> None:
    """Answer every question with ``answers``, fire an inject at 13:58, send an update and
    note something while a question waits, run to ``until``."""
    fired = False
    while round_.minute < until and not round_.finished:
        for decision in round_.pending():
            for case in round_.digest.open_major_incidents():
                round_.send_update(case, "executives", f"about {decision.kind}", "Cy")
            round_.add_note(f"asked {decision.kind}", "facilitator")
            round_.decide(decision.key, answers[decision.kind], "Ann")
        if not fired and round_.minute >= 13 * 60 + 58:
            round_.fire("access tooling slow", "facilitator")
            fired = True
        round_.advance(min(2.0, until - round_.minute))


def test_the_same_seed_and_record_replay_the_same_round_row_for_row() -> None:
    scenario = load_scenario(CLOUDFLARE)
    first = Round(scenario, "Blue", seed=7)
    _play(first, 15 * 60)
    assert [record.kind for record in first.decisions] == ["declare", "page", "restore", "approvers"]
    assert len(first.updates) >= 2 and len(first.notes) == 4  # sent while questions waited
    again = first.replay()
    pd.testing.assert_frame_equal(first.events(), again.events())
    assert first.timeline() == again.timeline()
    assert again.record == first.record and again.scoreboard() == first.scoreboard()
    other = Round(scenario, "Red", seed=7)  # a fresh round, played the same way, is the same too
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


def test_the_policy_answers_after_the_time_limit_of_running_clock() -> None:
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    while not round_.pending() and round_.minute < 14 * 60:
        round_.advance(1)
    decision = round_.pending()[0]
    assert round_.wait(119.5) == [] and round_.seconds_left(decision) == 0.5
    taken = round_.wait(0.5)  # the exercise's limit: 120 s of running clock
    assert [(record.kind, record.answer, record.who) for record in taken] == [
        ("declare", "declare", POLICY)]
    assert not round_.pending()


def test_a_paused_clock_stops_the_decision_timer(tmp_path: Path) -> None:
    exercise = Exercise(CLOUDFLARE, tmp_path / "exercise.db")
    round_id = exercise.new_round("Blue")
    round_ = exercise.rounds[round_id]
    while not round_.pending() and round_.minute < 14 * 60:
        round_.advance(1)
    decision = round_.pending()[0]
    exercise.running[round_id] = True
    for _ in range(100):
        exercise.tick(0.5)  # 50 s running
    exercise.running[round_id] = False
    for _ in range(1000):
        exercise.tick(0.5)  # 500 s paused: nothing waits
    assert round_.seconds_left(decision) == 70.0 and round_.pending() == [decision]
    exercise.running[round_id] = True
    for _ in range(140):
        exercise.tick(0.5)
    assert round_.decisions[0].who == POLICY
    assert exercise.store.actions(round_id) == round_.record  # stored as it was taken


@pytest.mark.parametrize(("pace", "seconds", "minutes"), [
    ("real time", 60, 1.0), ("0.5x", 120, 1.0), ("0.5x", 60, 0.5), ("60x", 1, 1.0), (2.0, 3, 6.0)])
def test_the_clock_moves_at_its_pace(tmp_path: Path, pace: object, seconds: int, minutes: float) -> None:
    exercise = Exercise(CLOUDFLARE, tmp_path / "exercise.db")
    round_id = exercise.new_round("Blue")
    exercise.pace[round_id] = parse_pace(pace)
    exercise.running[round_id] = True
    before = exercise.rounds[round_id].minute
    for _ in range(seconds * 4):
        exercise.tick(0.25)
    assert exercise.rounds[round_id].minute == pytest.approx(before + minutes, abs=1e-9)


def test_paces_are_read_in_simulated_minutes_per_second_or_times_real_time() -> None:
    assert parse_pace("real time") == REAL_TIME == parse_pace("1x")
    assert parse_pace("0.5x") == REAL_TIME / 2 and parse_pace("60x") == 1.0 and parse_pace(5) == 5.0
    for wrong in ("fast", "0x", -1, 601, True):
        with pytest.raises(ValueError, match=r"expected .*(real time|0\.1x)"):
            parse_pace(wrong)  # one clear message, whatever was wrong


def test_a_round_ends_when_the_service_is_restored() -> None:
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    _play(round_, 16 * 60, ANSWERS)
    assert round_.finished and round_.end is not None
    assert round_.end.reason == "restored" and round_.minute == round_.end.minute == 14 * 60 + 9
    assert round_.end.message.startswith("Service restored.")
    assert round_.timeline()[-1]["what"] == "restored"
    round_.advance(60)
    assert round_.minute == 14 * 60 + 9  # the clock stays at the end
    again = round_.replay()
    assert again.end == round_.end
    pd.testing.assert_frame_equal(again.events(), round_.events())


def test_a_round_that_ends_by_the_facilitator_plays_on_after_the_restoration(tmp_path: Path) -> None:
    scenario = load_scenario(exercise_variant(tmp_path, "end_when: facilitator"))
    round_ = Round(scenario, "Blue", seed=7)
    _play(round_, 14 * 60 + 30, ANSWERS)
    assert not round_.finished and round_.minute == 14 * 60 + 30
    round_.end_round("Time is up.", "facilitator")
    assert round_.end is not None
    assert (round_.end.reason, round_.end.message) == ("facilitator", "Time is up.")
    with pytest.raises(ValueError, match="already over"):
        round_.end_round("", "facilitator")
    assert round_.replay().end == round_.end
    assert not round_.replay(until=14 * 60).finished  # rewinding before the end plays on


def test_the_crowdstrike_surge_is_not_cut_short_by_the_vendor_revert() -> None:
    scenario = load_scenario(EXERCISES / "crowdstrike-2024-surge.yaml")
    assert scenario.exercise is not None and scenario.exercise.end_when == "facilitator"


def test_update_windows_begin_at_the_declaration_and_each_cadence() -> None:
    outage = OutageMoments("OUT0000001", "waf", start=0.0, declared=10.0, updates=[15.0, 50.0])
    assert update_windows(outage, 10.0, 30.0) == [(10.0, 40.0)]  # due at once
    assert update_windows(outage, 75.0, 30.0) == [(10.0, 40.0), (40.0, 70.0), (70.0, 100.0)]
    outage.restored = 70.0  # a window that would begin at the restoration is not due
    assert update_windows(outage, 500.0, 30.0) == [(10.0, 40.0), (40.0, 70.0)]
    assert update_windows(OutageMoments("OUT0000002", "waf", start=0.0), 99.0, 30.0) == []


def test_four_updates_in_a_short_major_incident_are_one_window_kept(tmp_path: Path) -> None:
    """The bug the trainers saw: 'updates due' read 0 with 4 sent."""
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    sent = 0
    while not round_.finished and round_.minute < 16 * 60:
        for decision in round_.pending():
            round_.decide(decision.key, ANSWERS[decision.kind], "Ann")
        for case in round_.digest.open_major_incidents():
            if sent < 4 and round_.send_update(case, "customers", "still on it", "Cy"):
                sent += 1
        round_.advance(1)
    board = round_.scoreboard()
    assert (board["updates_sent"], board["updates_due"], board["updates_on_cadence"]) == (4, 1, 1)


@pytest.mark.parametrize("name", sorted(path.name for path in EXERCISES.glob("*.yaml")))
def test_the_live_scoreboard_matches_the_event_log_kpis(name: str) -> None:
    scenario = load_scenario(EXERCISES / name)
    round_ = Round(scenario, "Blue", seed=3)
    for _ in range(12):
        for decision in round_.pending():
            round_.decide(decision.key, decision.default, "policy")
        round_.advance(20)
        board = round_.scoreboard()
        table = outage_table(encode(round_.events(), scenario.run.start))

        def mean(values: pd.Series) -> float | None:
            values = values.dropna()
            return round(float(values.mean()), 1) if len(values) else None

        assert board["outages"] == len(table)
        assert board["time_to_detect_min"] == mean(table["detected"] - table["start"])
        assert board["time_to_declare_min"] == mean(table["declared"] - table["detected"])
        assert board["time_to_assemble_min"] == mean(table["assembled"] - table["declared"])
        assert board["restore_time_min"] == mean(table["restored"] - table["start"])
        activity = round_.events()["activity"].astype(str)
        assert board["updates_sent"] == int((activity == "stakeholder update").sum())
        assert board["sla_breaches"] == int(activity.str.contains("SLA breached").sum())


def test_a_restarted_exercise_resumes_every_round_where_it_was(tmp_path: Path) -> None:
    database = tmp_path / "exercise.db"
    first = Exercise(CLOUDFLARE, database)
    round_id = first.new_round("Blue")
    round_ = first.rounds[round_id]
    _play(round_, 14 * 60)
    assert round_.send_update("OUT0000001", "all staff", "We know; we are on it.", "Cy") is not None
    for action in round_.record:
        first.store.add_action(round_id, action)
    for _ in range(10):  # stop at the next question (14:02), which has waited 30 s
        if round_.pending():
            break
        round_.advance(1)
    round_.wait(30.0)
    first.save(round_id)
    restarted = Exercise(CLOUDFLARE, database)
    again = restarted.rounds[round_id]
    assert restarted.token == first.token
    assert again.minute == round_.minute and again.team == "Blue"
    pd.testing.assert_frame_equal(again.events(), round_.events())
    assert again.record == round_.record and again.scoreboard() == round_.scoreboard()
    assert [d.key for d in again.pending()] == [d.key for d in round_.pending()]
    assert again.waited == round_.waited == {round_.pending()[0].key: 30.0}
    kinds = {type(action) for action in again.record}
    assert {DecisionRecord, UpdateRecord, NoteRecord} <= kinds


def test_a_scenario_without_an_exercise_is_refused_clearly() -> None:
    scenario = load_scenario(EXERCISES.parent / "with-mim.yaml")
    with pytest.raises(ScenarioError, match="expected an 'exercise' section"):
        check_exercise(scenario, "with-mim.yaml")


def test_an_exercise_file_with_a_bad_pace_or_end_rule_is_refused(tmp_path: Path) -> None:
    for changes, message in (("pace: fast", "real time"), ("end_when: never", "restored"),
                             ("audiences: [press, press]", "audiences that differ")):
        with pytest.raises(ScenarioError, match=message):
            load_scenario(exercise_variant(tmp_path, changes))


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
    assert not math.isnan(board["downtime_cost"])
