"""Objectives judged live from the round, the evaluators' checklists and observations."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from simulator.scenario import load_scenario
from simulator.scenario.errors import ScenarioError
from simulator.tabletop import Round
from simulator.tabletop.app import Exercise
from simulator.tabletop.objectives import evaluate
from tests.tabletop.conftest import CLOUDFLARE, exercise_variant, join

ROLLBACK = {"declare": "declare", "page": "sre", "restore": "rollback", "approvers": "1,2"}
KILL_SWITCH = {**ROLLBACK, "restore": "workaround"}


def _to(round_: Round, minute: float, answers: dict[str, str], update_every: float | None = None) -> None:
    while not round_.finished and round_.minute < minute:
        for decision in round_.pending():
            round_.decide(decision.key, answers[decision.kind], "Ann", "incident_manager")
        cases = round_.digest.open_major_incidents()
        if update_every and cases and (not round_.updates
                                       or round_.minute - round_.updates[-1].minute >= update_every):
            round_.send_update(cases[0], "customers", "on it", "Cy", "communications")
        round_.advance(min(1.0, minute - round_.minute))


def _statuses(round_: Round) -> dict[str, tuple[str, list[str]]]:
    return {judged.objective.name: (judged.status, [part.status for part in judged.parts])
            for judged in evaluate(round_)}


def test_the_measures_turn_met_or_missed_at_the_minute_they_can_no_longer_change() -> None:
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    _to(round_, 13 * 60 + 44, ROLLBACK)
    assert _statuses(round_)["declare early"] == ("pending", ["pending"])  # nothing detected yet
    _to(round_, 13 * 60 + 51, ROLLBACK)  # detected 13:45, declared 13:50: 5 min of 10
    assert _statuses(round_)["declare early"][1] == ["met"]
    declared = evaluate(round_)[0].parts[0]
    assert declared.evidence == "OUT0000001: 5 min (target 10 min)"
    _to(round_, 14 * 60 + 12, ROLLBACK)  # the outage began 13:42: 30 minutes, not more
    assert _statuses(round_)["restore within the RTO"][1] == ["pending"]
    assert _statuses(round_)["keep stakeholders informed"][1] == ["pending"]  # 22 min, no update
    assert not round_.finished and _statuses(round_)["use the kill switch"] == (
        "missed", ["missed"])  # the rollback was chosen at 14:02: missed then, not at the end
    _to(round_, 14 * 60 + 13, ROLLBACK)
    assert _statuses(round_)["restore within the RTO"][1] == ["missed"]  # 31 min: too late now
    _to(round_, 14 * 60 + 21, ROLLBACK)  # declared 13:50: 31 minutes without an update
    assert _statuses(round_)["keep stakeholders informed"] == ("missed", ["missed"])


def test_a_decided_measure_is_judged_per_case_and_waits_on_a_question_asked_again() -> None:
    from simulator.tabletop.objectives import _decided
    from simulator.tabletop.records import DecisionRecord

    def answered(kind: str, case: str, count: int, answer: str) -> DecisionRecord:
        return DecisionRecord(f"{kind}:{case}:{count}", kind, "?", answer, "Ann", 0.0, "")

    not_yet = [answered("declare", "OUT1", 1, "not yet")]
    assert _decided("declare", "declare", not_yet, False).status == "pending"  # asked again
    assert _decided("declare", "declare", not_yet, True).status == "missed"
    assert _decided("declare", "declare", [*not_yet, answered("declare", "OUT1", 2, "declare")],
                    False).status == "met"
    two = [answered("restore", "OUT1", 1, "workaround"), answered("restore", "OUT2", 1, "rollback")]
    assert _decided("restore", "workaround", two[:1], False).status == "met"
    assert _decided("restore", "workaround", two, False).status == "missed"
    assert _decided("restore", "workaround", two, False).evidence == "answered workaround, rollback"
    assert _decided("page", "sre", [answered("page", "OUT1", 1, "sre,support")], False).status == "met"
    tim = DecisionRecord("restore:OUT1:1", "restore", "?", "workaround", "Tim", 0.0, "",
                         role="technical_lead")
    assert _decided("restore", "workaround", [tim], False, {"technical_lead": "SRE lead"}).evidence == (
        "answered by Tim (SRE lead)")


def test_a_team_that_restores_in_time_and_updates_meets_the_measures() -> None:
    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    _to(round_, 15 * 60, KILL_SWITCH, update_every=15)
    assert round_.finished  # restored 14:09
    statuses = _statuses(round_)
    assert [statuses[name][1] for name in ("declare early", "keep stakeholders informed",
                                           "restore within the RTO")] == [["met"], ["met"], ["met"]]
    assert statuses["use the kill switch"] == ("met", ["met"])  # no checklist: settled
    assert all(status == "pending" for name, (status, _) in statuses.items()
               if name != "use the kill switch")  # the checklists wait
    updates = evaluate(round_)[1].parts[0].evidence
    assert updates.startswith("OUT0000001: ") and "longest stretch without one" in updates


def test_the_evaluators_marks_and_observations_complete_the_objectives(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    round_id = int(client.post("/api/rounds", json={"team": "Blue"}, headers=facilitator).json()["id"])
    eve = join(client, facilitator, round_id, "evaluator", "Eve")
    cy = join(client, facilitator, round_id, "communications", "Cy")
    mark = f"/api/rounds/{round_id}/checklist"
    body = {"objective": "restore within the RTO", "item": 0, "verdict": "met"}
    assert client.post(mark, json=body, headers=cy).status_code == 403
    assert client.post(mark, json=body).status_code == 403
    assert client.post(mark, json={**body, "item": 1}, headers=eve).status_code == 422  # one item
    assert client.post(mark, json={**body, "objective": "x"}, headers=eve).status_code == 422
    assert client.post(mark, json={**body, "verdict": "great"}, headers=eve).status_code == 422
    assert client.post(mark, json=body, headers=eve).json()["who"] == "Eve"
    for item in (0, 1):
        client.post(mark, json={"objective": "declare early", "item": item, "verdict": "met"},
                    headers=eve)
    client.post(mark, json={"objective": "declare early", "item": 1, "verdict": "missed"},
                headers=facilitator)  # the last mark counts
    for _ in range(6):
        client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 1},
                    headers=facilitator)
    noted = client.post(f"/api/rounds/{round_id}/notes", headers=eve, json={
        "text": "Support saw the 502s first", "objective": "declare early",
        "assessment": "strength", "moment": 13 * 60 + 37})
    assert noted.json() == {"minute": 13 * 60 + 41, "about": 13 * 60 + 37, "who": "Eve",
                            "role": "evaluator"}
    for wrong in ({"moment": 13 * 60 + 50}, {"moment": 60}, {"assessment": "weakness"},
                  {"objective": "nope"}):
        assert client.post(f"/api/rounds/{round_id}/notes", headers=eve,
                           json={"text": "x", **wrong}).status_code == 422, wrong
    evaluation = client.get(f"/api/rounds/{round_id}/evaluation", headers=eve).json()
    assert client.get(f"/api/rounds/{round_id}/evaluation", headers=cy).status_code == 403
    declare = next(o for o in evaluation["objectives"] if o["name"] == "declare early")
    assert [(i["status"], i["who"]) for i in declare["checklist"]] == [("met", "Eve"),
                                                                       ("missed", "facilitator")]
    assert declare["status"] == "missed"  # a missed item
    assert evaluation["observations"] == [{
        "clock": "13:41", "about": "13:37", "text": "Support saw the 502s first", "who": "Eve",
        "role": "evaluator", "objective": "declare early", "assessment": "strength"}]
    players: dict[str, Any] = client.get(f"/api/rounds/{round_id}/state").json()
    seen = next(o for o in players["objectives"] if o["name"] == "declare early")
    assert seen["status"] == "pending" and "checklist" not in seen  # measured only: not declared yet
    assert "Support saw the 502s first" not in str(players)
    timeline = client.get(f"/api/rounds/{round_id}/state", headers=facilitator).json()["timeline"]
    placed = [row["clock"] for row in timeline if row["kind"] == "note"]
    assert placed == ["13:37"]  # at the moment it is about


def test_an_objective_without_a_measure_or_a_checklist_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ScenarioError, match=r"to have a measure .* or a checklist; found neither"):
        load_scenario(exercise_variant(tmp_path, "objectives: [{name: x, text: Be good.}]"))
    with pytest.raises(ScenarioError, match="objective names that differ"):
        load_scenario(exercise_variant(tmp_path, """
objectives: [{name: x, text: a, checklist: [b]}, {name: x, text: c, checklist: [d]}]"""))
