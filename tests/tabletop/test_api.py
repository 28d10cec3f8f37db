"""The tabletop API: each action, who may take it, what it changes, and what each reader sees."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from simulator.tabletop.app import Exercise, create_app
from simulator.tabletop.live import UpdateLimit
from simulator.tabletop.records import HandoverRecord, UpdateRecord
from tests.tabletop.conftest import CLOUDFLARE, join

#: Who plays which role in these tests.
CAST = {"Ann": "incident_manager", "Tim": "technical_lead", "Cy": "communications",
        "Eve": "evaluator", "Sam": "service_desk"}


def _open_round(client: TestClient, facilitator: dict[str, str], team: str = "Blue") -> int:
    response = client.post("/api/rounds", json={"team": team}, headers=facilitator)
    assert response.status_code == 200
    return int(response.json()["id"])


def _step_to_decision(client: TestClient, facilitator: dict[str, str], round_id: int,
                      kind: str) -> dict[str, Any]:
    for _ in range(200):
        state = client.get(f"/api/rounds/{round_id}/state").json()
        pending = [d for d in state["decisions"] if d["kind"] == kind]
        if pending:
            return pending[0]  # type: ignore[no-any-return]
        assert not state["decisions"], state["decisions"]
        client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 1},
                    headers=facilitator)
    raise AssertionError(f"no {kind} decision")


def _cast(client: TestClient, facilitator: dict[str, str], round_id: int) -> dict[str, dict[str, str]]:
    """Everyone of :data:`CAST` joins the round: each one's headers."""
    return {name: join(client, facilitator, round_id, role, name) for name, role in CAST.items()}


def _answer(client: TestClient, round_id: int, key: str, answer: str,
            headers: dict[str, str]) -> None:
    response = client.post(f"/api/rounds/{round_id}/decisions", json={"key": key, "answer": answer},
                           headers=headers)
    assert response.status_code == 200, response.text


def _declare_and_page(client: TestClient, facilitator: dict[str, str], round_id: int) -> str:
    """Ann (the major incident manager) declares the major incident and pages the SRE team
    when asked; the paging's key."""
    ann = join(client, facilitator, round_id, "incident_manager", "Ann")
    key = ""
    for kind, answer in (("declare", "declare"), ("page", "sre")):
        key = str(_step_to_decision(client, facilitator, round_id, kind)["key"])
        _answer(client, round_id, key, answer, ann)
    return key


def _update(client: TestClient, round_id: int, headers: dict[str, str], text: str = "We are on it.",
            audience: str = "customers") -> Any:
    return client.post(f"/api/rounds/{round_id}/updates", headers=headers,
                       json={"case": "OUT0000001", "audience": audience, "text": text})


def _to_the_bridge(client: TestClient, facilitator: dict[str, str], round_id: int) -> dict[str, str]:
    """Declared, paged, and the communications lead on the bridge (13:54): Cy's headers (the
    communications lead's)."""
    _declare_and_page(client, facilitator, round_id)
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 4},
                headers=facilitator)
    return join(client, facilitator, round_id, "communications", "Cy")


# -- who may do what -----------------------------------------------------------------------------
#: Every route of the app that answers without a token (those marked * give the facilitator's
#: version with it).
PUBLIC = {("GET", "/"), ("GET", "/favicon.ico"), ("GET", "/assets/{name}"),
          ("GET", "/play/{round_id}"), ("GET", "/join/{round_id}/{role}"), ("GET", "/wall/{round_id}"),
          ("GET", "/api/exercise"),  # *
          ("GET", "/api/rounds"), ("GET", "/api/rounds/{round_id}/state"),  # *
          ("GET", "/rounds/{round_id}/debrief"), ("GET", "/api/rounds/{round_id}/debrief.md"),  # *
          ("GET", "/api/rounds/{round_id}/debrief.html")}  # *
#: Routes that answer only with a role's join key.
KEYED = {("GET", "/api/rounds/{round_id}/roles/{role}"), ("POST", "/api/rounds/{round_id}/join")}
#: Routes for the people who joined the round (their token), or the facilitator.
PLAYERS = {("GET", "/api/rounds/{round_id}/me"), ("POST", "/api/rounds/{round_id}/decisions"),
           ("POST", "/api/rounds/{round_id}/updates"), ("POST", "/api/rounds/{round_id}/notes"),
           ("POST", "/api/rounds/{round_id}/checklist"), ("GET", "/api/rounds/{round_id}/evaluation")}
FACILITATOR_ONLY = {("GET", "/console"), ("POST", "/api/rounds"), ("GET", "/api/compare"),
                    ("POST", "/api/rounds/{round_id}/clock"), ("POST", "/api/rounds/{round_id}/injects"),
                    ("POST", "/api/rounds/{round_id}/end"), ("GET", "/api/rounds/{round_id}/links"),
                    ("POST", "/api/rounds/{round_id}/clock-holder")}
#: Words that only the facilitator's material holds.
SECRET = ("facilitator_notes", "Published timeline", "published", "timeline", "decision_log",
          "kill executed", "injects", "access tooling slow", "Facilitator's notes", "a private note",
          "key=")


def _routes(app: Any) -> set[tuple[str, str]]:
    return {(method, route.path) for route in app.routes if isinstance(route, APIRoute)
            for method in route.methods}


def test_every_route_is_listed_and_only_the_listed_ones_are_public(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    client.post(f"/api/rounds/{round_id}/notes", json={"text": "a private note"}, headers=facilitator)
    routes = _routes(client.app)
    assert routes == PUBLIC | KEYED | PLAYERS | FACILITATOR_ONLY  # a new route must join one
    bodies = {"/api/rounds": {"team": "Red"}, "/api/rounds/{round_id}/clock": {"action": "pause"},
              "/api/rounds/{round_id}/injects": {"name": "CTO asks"},
              "/api/rounds/{round_id}/notes": {"text": "x"}, "/api/rounds/{round_id}/end": {},
              "/api/rounds/{round_id}/decisions": {"key": "declare:OUT0000001:1", "answer": "declare"},
              "/api/rounds/{round_id}/updates": {"case": "OUT0000001", "audience": "customers",
                                                 "text": "x"},
              "/api/rounds/{round_id}/join": {"role": "communications", "key": "guess", "name": "Al"},
              "/api/rounds/{round_id}/checklist": {"objective": "declare early", "item": 0,
                                                   "verdict": "met"}}
    refusals = {"join the round first: open the join link the facilitator gave your role",
                "this needs the facilitator's token",
                "this join link is not valid for this round and role: ask the facilitator for yours"}
    for method, path in sorted(routes):
        url = path.format(round_id=round_id, name="style.css", role="communications")
        for headers in ({}, {"X-Facilitator-Token": "guess", "X-Player-Token": "guess"}):
            response = client.request(method, url, json=bodies.get(path), headers=headers)
            if (method, path) in PUBLIC:
                assert response.status_code != 403, (method, path)
                assert not any(word in response.text for word in SECRET), (method, path)
            else:
                assert response.status_code == 403, (method, path)
                assert response.json()["detail"] in refusals, (method, path)
    state = client.get(f"/api/rounds/{round_id}/state").json()
    assert state["clock"].endswith("13:35:00") and not state["running"]  # nothing moved
    assert state["people"] == []  # nobody joined
    full = client.get(f"/api/rounds/{round_id}/state", headers=facilitator).json()
    assert {"timeline", "injects", "facilitator_notes", "decision_log", "published"} <= set(full)
    assert "a private note" in client.get(f"/api/rounds/{round_id}/debrief.md?token={exercise.token}").text
    assert [note.text for note in exercise.rounds[round_id].notes] == ["a private note"]  # no other


def test_a_player_cannot_act_outside_their_role(client: TestClient, exercise: Exercise,
                                                facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    cast = _cast(client, facilitator, round_id)
    declare = _step_to_decision(client, facilitator, round_id, "declare")
    assert declare["role"] == "incident_manager"
    url = f"/api/rounds/{round_id}/decisions"
    body = {"key": declare["key"], "answer": "declare"}
    for name in ("Tim", "Cy", "Eve", "Sam"):  # everyone but the major incident manager
        refused = client.post(url, json=body, headers=cast[name])
        assert refused.status_code == 403, name
        assert refused.json()["detail"].startswith("the 'declare' question is for Incident "
                                                   "commander; you are ")
    assert client.post(url, json=body).status_code == 403  # nobody
    other = _open_round(client, facilitator, "Red")  # Ann's token is for round 1 only
    assert client.post(f"/api/rounds/{other}/decisions", json=body,
                       headers=cast["Ann"]).status_code == 403
    assert exercise.rounds[round_id].decisions == []
    assert [action.kind_name for action in exercise.store.actions(round_id)] == ["clock holder"]
    taken = client.post(url, json=body, headers=cast["Ann"])
    assert taken.json() == {"answer": "declare", "minute": 827.0, "who": "Ann",
                            "role": "incident_manager"}
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 4},
                headers=facilitator)
    client.post(f"/api/rounds/{round_id}/decisions", headers=cast["Ann"],
                json={"key": "page:OUT0000001:1", "answer": "sre"})
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 4},
                headers=facilitator)
    update = {"case": "OUT0000001", "audience": "customers", "text": "We are on it."}
    for name in ("Ann", "Tim", "Eve", "Sam"):
        refused = client.post(f"/api/rounds/{round_id}/updates", json=update, headers=cast[name])
        assert refused.status_code == 403, name
        assert "stakeholder updates are written by Communications lead" in refused.json()["detail"]
    assert client.post(f"/api/rounds/{round_id}/updates", json=update,
                       headers=cast["Cy"]).status_code == 200
    for name in ("Ann", "Cy"):
        assert client.post(f"/api/rounds/{round_id}/notes", json={"text": "x"},
                           headers=cast[name]).status_code == 403
    noted = client.post(f"/api/rounds/{round_id}/notes", json={"text": "Ann states the impact"},
                        headers=cast["Eve"])
    assert noted.status_code == 200 and noted.json()["who"] == "Eve"
    for name in CAST:  # the facilitator's routes stay the facilitator's
        assert client.post(f"/api/rounds/{round_id}/clock", json={"action": "step"},
                           headers=cast[name]).status_code == 403
    assert [(action.kind_name, action.who, action.role) for action in exercise.store.actions(round_id)] == [
        ("clock holder", "facilitator", "facilitator"), ("decision", "Ann", "incident_manager"),
        ("decision", "Ann", "incident_manager"), ("update", "Cy", "communications"),
        ("note", "Eve", "evaluator")]


def test_join_links_are_per_round_and_role_and_names_are_unique(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    blue, red = _open_round(client, facilitator, "Blue"), _open_round(client, facilitator, "Red")
    links = client.get(f"/api/rounds/{blue}/links", headers=facilitator).json()
    assert list(links) == ["incident_manager", "technical_lead", "communications", "service_desk",
                           "evaluator"]  # as the exercise lists its roles
    assert links["communications"]["title"] == "Communications lead"
    key = links["communications"]["link"].split("key=")[1]
    about = client.get(f"/api/rounds/{blue}/roles/communications?key={key}").json()
    assert about["team"] == "Blue" and about["title"] == "Communications lead"
    for round_id, role in ((red, "communications"), (blue, "incident_manager")):  # another's key
        refused = client.post(f"/api/rounds/{round_id}/join",
                              json={"role": role, "key": key, "name": "Mallory"})
        assert refused.status_code == 403
    assert client.post(f"/api/rounds/{blue}/join", json={"role": "ceo", "key": key,
                                                         "name": "Al"}).status_code == 404
    join(client, facilitator, blue, "communications", "Cy")
    taken = client.post(f"/api/rounds/{blue}/join",
                        json={"role": "incident_manager", "name": "cy",
                              "key": links["incident_manager"]["link"].split("key=")[1]})
    assert taken.status_code == 409 and "Cy has already joined this round as Communications lead" \
        in taken.json()["detail"]
    again = join(client, facilitator, blue, "communications", "Cy")  # a second device: same person
    me = client.get(f"/api/rounds/{blue}/me", headers=again).json()
    assert me == {"name": "Cy", "role": "communications", "title": "Communications lead"}
    assert client.get(f"/api/rounds/{blue}/state").json()["people"] == [
        {"name": "Cy", "role": "communications"}]
    restarted = Exercise(CLOUDFLARE, exercise.store.path)  # the people are in the database
    assert restarted.people.player(blue, again["X-Player-Token"]) is not None
    assert [person.name for person in restarted.people.in_round(blue)] == ["Cy"]


def test_one_console_holds_the_clock_until_another_takes_it_over(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    ann = {**facilitator, "X-Console": "console-ann", "X-Facilitator-Name": "Ann%20Lee"}
    bob = {**facilitator, "X-Console": "console-bob", "X-Facilitator-Name": "Bob"}
    url = f"/api/rounds/{round_id}/clock"
    assert client.post(url, json={"action": "step", "minutes": 1}, headers=ann).status_code == 200
    for path, body in ((url, {"action": "start"}), (f"/api/rounds/{round_id}/injects",
                                                    {"name": "CTO asks"}),
                       (f"/api/rounds/{round_id}/end", {})):
        refused = client.post(path, json=body, headers=bob)
        assert refused.status_code == 423, path
        assert refused.json()["detail"].startswith("Ann Lee's console holds the clock of this round")
    held = client.get(f"/api/rounds/{round_id}/state", headers=bob).json()["clock_holder"]
    assert held == {"name": "Ann Lee", "console": "console-ann"}
    assert client.post(f"/api/rounds/{round_id}/clock-holder", json={}, headers=bob).json() == {
        "holder": "Bob"}
    assert client.post(url, json={"action": "step", "minutes": 1}, headers=bob).status_code == 200
    assert client.post(url, json={"action": "step", "minutes": 1}, headers=ann).status_code == 423
    assert client.post(url, json={"action": "step"}, headers={
        **facilitator, "X-Facilitator-Name": "<b>"}).status_code == 422
    handovers = [(a.who, a.took_from) for a in exercise.store.actions(round_id)
                 if isinstance(a, HandoverRecord)]
    assert handovers == [("Ann Lee", ""), ("Bob", "Ann Lee")]
    assert Exercise(CLOUDFLARE, exercise.store.path).holder[round_id] == ("console-bob", "Bob")


def test_the_players_debrief_holds_only_what_players_may_see(
        client: TestClient, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    _step_to_decision(client, facilitator, round_id, "declare")  # 13:47
    client.post(f"/api/rounds/{round_id}/notes", json={"text": "Ann hesitates"}, headers=facilitator)
    players = client.get(f"/api/rounds/{round_id}/debrief.md").text
    full = client.get(f"/api/rounds/{round_id}/debrief.md", headers=facilitator).text
    published = ("WAF rule deployed globally", "first alert", "incident declared (about)",
                 "decision to disable the WAF managed rules globally", "global kill executed",
                 "traffic and CPU back to normal")
    assert [event in players for event in published] == [True, True, False, False, False, False]
    assert all(event in full for event in published)
    assert "Ann hesitates" in full and "Ann hesitates" not in players
    assert "Facilitator's notes" not in players and "the players’ copy" in players


# -- the clock, decisions, injects -----------------------------------------------------------------
def test_the_clock_steps_starts_pauses_and_changes_pace(client: TestClient,
                                                         facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    url = f"/api/rounds/{round_id}/clock"
    assert client.post(url, json={"action": "step", "minutes": 5}, headers=facilitator).json() == {
        "minute": 13 * 60 + 40.0, "running": False}
    assert client.post(url, json={"action": "start"}, headers=facilitator).json()["running"] is True
    real_time = 1 / 60
    assert client.post(url, json={"action": "pace", "pace": real_time},
                       headers=facilitator).status_code == 200
    assert client.post(url, json={"action": "pause"}, headers=facilitator).json()["running"] is False
    assert client.get(f"/api/rounds/{round_id}/state").json()["pace"] == real_time
    for bad in (-1, 0, 601, 0.001):
        assert client.post(url, json={"action": "pace", "pace": bad},
                           headers=facilitator).status_code == 422
    assert client.post(url, json={"action": "explode"}, headers=facilitator).status_code == 422


def test_a_declaration_decision_changes_the_scoreboard(client: TestClient,
                                                       facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    decision = _step_to_decision(client, facilitator, round_id, "declare")
    assert decision["options"] == ["declare", "not yet"]
    assert decision["seconds_left"] == 120 and decision["timer_running"] is False
    state = client.get(f"/api/rounds/{round_id}/state").json()
    assert state["clock"].endswith("13:47:00")  # the clock waits for the answer
    assert state["scoreboard"]["time_to_declare_min"] is None
    url = f"/api/rounds/{round_id}/decisions"
    ann = join(client, facilitator, round_id, "incident_manager", "Ann")
    assert client.post(url, json={"key": decision["key"], "answer": "declare now!"},
                       headers=ann).status_code == 422
    link = client.get(f"/api/rounds/{round_id}/links", headers=facilitator).json()
    assert client.post(f"/api/rounds/{round_id}/join", json={
        "role": "communications", "name": "<script>alert(1)</script>",
        "key": link["communications"]["link"].split("key=")[1]}).status_code == 422
    taken = client.post(url, json={"key": decision["key"], "answer": "declare"}, headers=ann)
    assert taken.status_code == 200 and taken.json() == {
        "answer": "declare", "minute": 827.0, "who": "Ann", "role": "incident_manager"}
    assert client.post(url, json={"key": decision["key"], "answer": "declare"},
                       headers=ann).status_code == 409  # already answered
    _step_to_decision(client, facilitator, round_id, "page")
    board = client.get(f"/api/rounds/{round_id}/state").json()["scoreboard"]
    assert board["time_to_detect_min"] == 3.0 and board["time_to_declare_min"] == 5.0


@pytest.mark.slow
def test_waiting_delays_the_declaration(client: TestClient, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    ann = join(client, facilitator, round_id, "incident_manager", "Ann")
    decision = _step_to_decision(client, facilitator, round_id, "declare")
    _answer(client, round_id, decision["key"], "not yet", ann)
    again = _step_to_decision(client, facilitator, round_id, "declare")
    assert again["key"].endswith(":2")
    assert client.get(f"/api/rounds/{round_id}/state").json()["clock"].endswith("14:02:00")
    _answer(client, round_id, again["key"], "declare", ann)
    _step_to_decision(client, facilitator, round_id, "page")
    board = client.get(f"/api/rounds/{round_id}/state").json()["scoreboard"]
    assert board["time_to_declare_min"] == 20.0  # 15 minutes of "not yet" on top of 5


def test_injects_reach_the_players_and_unknown_ones_are_refused(client: TestClient,
                                                                  facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    fired = client.post(f"/api/rounds/{round_id}/injects", json={"name": "status page busy"},
                        headers=facilitator)
    assert fired.status_code == 200
    messages = client.get(f"/api/rounds/{round_id}/state").json()["messages"]
    assert [m["name"] for m in messages] == ["status page busy"]
    assert client.post(f"/api/rounds/{round_id}/injects", json={"name": "rm -rf /"},
                       headers=facilitator).status_code == 404
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 10},
                headers=facilitator)
    names = [m["name"] for m in client.get(f"/api/rounds/{round_id}/state").json()["messages"]]
    assert names == ["status page busy", "customers report 502s"]  # the timed one, at 13:44


@pytest.mark.slow
def test_rewind_replays_the_round_to_an_earlier_minute(client: TestClient,
                                                       facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    paging = _declare_and_page(client, facilitator, round_id)
    url = f"/api/rounds/{round_id}/clock"
    assert client.post(url, json={"action": "rewind", "to_minute": 99999},
                       headers=facilitator).status_code == 422
    back = client.post(url, json={"action": "rewind", "to_minute": 13 * 60 + 48},
                       headers=facilitator).json()
    assert back == {"minute": 13 * 60 + 48.0, "running": False}
    state = client.get(f"/api/rounds/{round_id}/state", headers=facilitator).json()
    # the declaration (13:47) is kept, the paging (13:50) is forgotten and will be asked again
    assert [record["kind"] for record in state["decision_log"]] == ["declare"]
    assert _step_to_decision(client, facilitator, round_id, "page")["key"] == paging


# -- stakeholder updates ---------------------------------------------------------------------------
def test_updates_are_free_text_to_an_audience_and_recorded_with_who_sent_them(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    early = join(client, facilitator, round_id, "communications", "Cy")
    assert _update(client, round_id, early).status_code == 409  # nothing declared yet
    assert client.post(f"/api/rounds/{round_id}/updates", headers=early, json={
        "case": "'; DROP TABLE rounds;--", "audience": "customers", "text": "x"}).status_code == 422
    cy = _to_the_bridge(client, facilitator, round_id)
    assert _update(client, round_id, cy, audience="the press").status_code == 422  # not an audience
    assert _update(client, round_id, cy, text="   ").status_code == 422
    assert _update(client, round_id, cy, text="x" * 2001).status_code == 422
    text = "Sites return 502s worldwide. <b>Next</b> update by 14:30 | *team*"
    sent = _update(client, round_id, cy, text=text, audience="executives")
    assert sent.status_code == 200 and sent.json() == {"sent": True, "minute": 834.0, "who": "Cy",
                                                       "role": "communications"}
    state = client.get(f"/api/rounds/{round_id}/state").json()
    assert state["updates"] == [{"clock": "13:54", "case": "OUT0000001", "audience": "executives",
                                 "text": text, "who": "Cy", "role": "communications"}]
    assert state["scoreboard"]["updates_sent"] == 1
    assert state["major_incidents"][0]["update_due_now"] is False
    assert state["major_incidents"][0]["next_update_due"] == "14:20"  # declared 13:50, every 30 min
    assert exercise.store.actions(round_id)[-1] == UpdateRecord(
        "OUT0000001", "executives", text, "Cy", 834.0,
        exercise.rounds[round_id].updates[0].real_time, exercise.rounds[round_id].updates[0].row,
        "communications")


def test_updates_are_limited_per_round_role_and_minute(client: TestClient, exercise: Exercise,
                                                       facilitator: dict[str, str]) -> None:
    now = [0.0]
    exercise.update_limit = UpdateLimit(3, clock=lambda: now[0])
    blue, red = _open_round(client, facilitator, "Blue"), _open_round(client, facilitator, "Red")
    cy, ed = (_to_the_bridge(client, facilitator, round_id) for round_id in (blue, red))
    also = join(client, facilitator, blue, "communications", "Di")  # the same role: its limit
    assert [_update(client, blue, cy).status_code for _ in range(3)] == [200] * 3
    refused = _update(client, blue, also)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "at most 3 stakeholder updates a minute per role" in refused.json()["detail"]
    assert _update(client, red, ed).status_code == 200  # another team's limit
    assert _update(client, blue, facilitator).status_code == 200  # the facilitator's own
    now[0] = 59.0
    assert _update(client, blue, cy).status_code == 429
    now[0] = 60.0
    assert _update(client, blue, cy).status_code == 200
    board = client.get(f"/api/rounds/{blue}/state").json()["scoreboard"]
    # the clock taken, two answers, five updates
    assert board["updates_sent"] == 5 and len(exercise.store.actions(blue)) == 1 + 2 + 5


# -- notes, the end, the debrief ---------------------------------------------------------------------
def test_the_facilitator_notes_a_moment_and_ends_the_round(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    _declare_and_page(client, facilitator, round_id)
    noted = client.post(f"/api/rounds/{round_id}/notes", json={"text": "good, fast declaration"},
                        headers=facilitator)
    assert noted.json() == {"minute": 830.0, "about": 830.0, "who": "facilitator", "role": "facilitator"}
    ended = client.post(f"/api/rounds/{round_id}/end", json={"message": "Stop here: debrief."},
                        headers=facilitator)
    assert ended.json() == {"minute": 830.0, "message": "Stop here: debrief."}
    state = client.get(f"/api/rounds/{round_id}/state").json()
    assert state["finished"] and state["end"] == {"clock": "13:50", "reason": "facilitator",
                                                  "message": "Stop here: debrief."}
    assert state["decisions"] == [] and state["running"] is False
    clock = f"/api/rounds/{round_id}/clock"
    for order in ({"action": "start"}, {"action": "step", "minutes": 5}):
        assert client.post(clock, json=order, headers=facilitator).status_code == 409
    assert client.post(f"/api/rounds/{round_id}/end", json={}, headers=facilitator).status_code == 409
    timeline = client.get(f"/api/rounds/{round_id}/state", headers=facilitator).json()["timeline"]
    assert [(row["kind"], row["what"]) for row in timeline[-2:]] == [
        ("note", "good, fast declaration"), ("end", "Stop here: debrief.")]
    client.post(clock, json={"action": "rewind", "to_minute": 13 * 60 + 48}, headers=facilitator)
    assert not client.get(f"/api/rounds/{round_id}/state").json()["finished"]  # plays on


class _Page(html.parser.HTMLParser):
    """The tags and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_debrief_downloads_as_markdown_and_html(client: TestClient,
                                                    facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator, "Blue team")
    cy = _to_the_bridge(client, facilitator, round_id)
    _update(client, round_id, cy, text="<script>alert(1)</script> | **not bold**")
    markdown = client.get(f"/api/rounds/{round_id}/debrief.md", headers=facilitator)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.headers["content-disposition"] == \
        'attachment; filename="debrief-round1-Blue-team.md"'
    text = markdown.text
    assert text.startswith("# After-action report (draft): Cloudflare, 2 July 2019")
    assert ("| 2019-07-02 13:47:00 | **declare: declare** |  | OUT0000001 | Ann (Incident commander) |"
            in text)
    assert "| first alert | 2019-07-02 13:45:00 | 2019-07-02 13:45:00 | +0 |" in text
    assert ("| 2019-07-02 13:54:00 | OUT0000001 | customers | \\<script\\>alert(1)\\</script\\> "
            "\\| \\*\\*not bold\\*\\* | Cy |") in text  # shown as typed, not as markup
    players = client.get(f"/api/rounds/{round_id}/debrief.html")
    assert players.headers["content-disposition"] == \
        'attachment; filename="debrief-round1-Blue-team-players.html"'
    page = client.get(f"/rounds/{round_id}/debrief", headers=facilitator)
    assert page.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in page.headers
    parsed = _Page()
    parsed.feed(page.text)
    # summary aside: objectives, timeline, decisions, people, updates, the policy's answers, the
    # published timeline, strengths, areas for improvement, observations, improvement plan
    assert parsed.tags.count("h1") == 1 and parsed.tags.count("table") == 11
    assert "script" not in parsed.tags  # the update's text is text
    words = "".join(parsed.text)
    assert "<script>alert(1)</script> | **not bold**" in words
    assert "|---|" not in page.text and "**" not in page.text.replace("**not bold**", "")
    assert re.search(r"<td>declare: declare</td>", page.text)


# -- the web app's guard -----------------------------------------------------------------------------
def test_request_bodies_are_capped(client: TestClient, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    url = f"/api/rounds/{round_id}/updates"
    big = b'{"text": "' + b"x" * (64 * 1024) + b'"}'
    refused = client.post(url, content=big, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and "65,536 bytes" in refused.json()["detail"]

    def chunks() -> Any:  # no Content-Length: the cap holds while reading
        for _ in range(100):
            yield b"x" * 1024

    assert client.post(url, content=chunks()).status_code == 413
    assert client.post(url, content=b"{}", headers={"Content-Length": "abc"}).status_code in (400, 413)


@pytest.mark.parametrize(("host", "status"), [
    ("127.0.0.1:8765", 200), ("localhost:8765", 200), ("[::1]:8765", 200),
    ("evil.example:8765", 400), ("127.0.0.1:9999", 400), ("127.0.0.1", 400), ("", 400),
    ("127.0.0.1:8765:1", 400)])
def test_the_host_header_must_name_the_bound_address(client: TestClient, host: str,
                                                     status: int) -> None:
    assert client.get("/api/rounds", headers={"Host": host}).status_code == status


def test_a_server_on_every_interface_answers_to_addresses_and_its_names(exercise: Exercise) -> None:
    import socket

    app = create_app(exercise, host="0.0.0.0", port=80, tick_s=None)
    with TestClient(app, base_url="http://192.168.1.20") as client:
        for host, status in (("192.168.1.20", 200), ("10.0.0.5:80", 200), (socket.gethostname(), 200),
                             ("attacker.example", 400), ("192.168.1.20:8080", 400)):
            assert client.get("/api/rounds", headers={"Host": host}).status_code == status, host


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ("/", "/api/rounds", "/assets/common.js", "/console", "/nowhere"):
        headers = client.get(url).headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]  # no inline script
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert client.get("/api/rounds").headers["cache-control"] == "no-store"


def test_pages_load_nothing_from_the_network_and_no_inline_script(client: TestClient,
                                                                  exercise: Exercise) -> None:
    page = client.get(f"/console?token={exercise.token}")
    assert page.status_code == 200 and "Facilitator console" in page.text
    for text in (page.text, client.get("/").text, client.get("/play/0").text):
        assert not any(mark in text for mark in ('src="http', 'href="http', "@import", "url("))
        assert "<script>" not in text and " on" + "click=" not in text


# -- the database and the snapshots -------------------------------------------------------------------
def test_the_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    kept = Exercise(CLOUDFLARE, database)
    kept.new_round("Blue")  # a write: the write-ahead log exists now
    files = sorted(path.name for path in tmp_path.glob("fresh.db*"))
    assert files == ["fresh.db", "fresh.db-shm", "fresh.db-wal"]
    for name in files:
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    shared = tmp_path / "shared.db"
    shared.touch(mode=0o644)
    shared.chmod(0o644)
    Exercise(CLOUDFLARE, shared)
    assert shared.stat().st_mode & 0o777 == 0o600
    notes = tmp_path / "notes.txt"  # not a database: refused, and left as it was
    notes.write_text("my notes")
    notes.chmod(0o644)
    with pytest.raises(ValueError, match="cannot open it as the exercise's database"):
        Exercise(CLOUDFLARE, notes)
    assert notes.read_text() == "my notes" and notes.stat().st_mode & 0o777 == 0o644


def test_state_is_built_once_per_change_of_the_round(
        client: TestClient, facilitator: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.tabletop import live

    round_id = _open_round(client, facilitator)
    built = []
    original = live.players_view
    monkeypatch.setattr(live, "players_view", lambda *args: built.append(1) or original(*args))
    bodies = {client.get(f"/api/rounds/{round_id}/state").content for _ in range(30)}
    assert len(bodies) == 1 and len(built) == 1
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 1},
                headers=facilitator)
    moved = client.get(f"/api/rounds/{round_id}/state").json()
    assert moved["clock"].endswith("13:36:00") and len(built) == 2


def test_a_poll_while_the_round_changes_gets_the_last_document_without_waiting(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    import threading

    round_id = _open_round(client, facilitator)
    before = client.get(f"/api/rounds/{round_id}/state").content
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 1},
                headers=facilitator)
    holding, done = threading.Event(), threading.Event()

    def change() -> None:  # an action being synced to the disk holds the lock meanwhile
        with exercise.lock:
            holding.set()
            done.wait(timeout=5)  # had the poll waited for the lock, it would see the new minute

    thread = threading.Thread(target=change)
    thread.start()
    holding.wait()
    during = exercise.snapshot(round_id, facilitator=False)
    done.set()
    thread.join()
    assert during == before  # the last document, at once
    after = client.get(f"/api/rounds/{round_id}/state").json()
    assert after["clock"].endswith("13:36:00")  # and the new one as soon as the change is over


def test_the_wall_screen_shows_the_desk_queue_by_priority_services_and_the_update_timer(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    from collections import Counter

    round_id = _open_round(client, facilitator)
    assert "wall.js" in client.get(f"/wall/{round_id}").text
    wall = client.get(f"/api/rounds/{round_id}/state").json()["wall"]
    assert wall["services"] == [{"name": "waf", "up": True, "since": None}]
    assert wall["next_update_in_min"] is None and wall["desk_team"] == "support"
    _declare_and_page(client, facilitator, round_id)  # 13:50: declared, no update yet
    wall = client.get(f"/api/rounds/{round_id}/state").json()["wall"]
    assert wall["services"] == [{"name": "waf", "up": False, "since": "13:42"}]
    assert wall["next_update_in_min"] == 0.0  # due at the declaration
    round_ = exercise.rounds[round_id]
    desk = next(team for team in round_.simulation.teams if team.name == "support")
    names = round_.simulation.recorder.priority_names
    assert wall["desk_queue"] == {**dict.fromkeys(names, 0),
                                  **Counter(names[i.priority] for i in desk.waiting())}
    cy = join(client, facilitator, round_id, "communications", "Cy")
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 5},
                headers=facilitator)
    assert _update(client, round_id, cy).status_code == 200  # 13:55: the next is due at 14:20
    wall = client.get(f"/api/rounds/{round_id}/state").json()["wall"]
    assert wall["next_update_in_min"] == 25.0
    # the desk's queue as the wall's views saw it, in simulated minutes since the start (13:35):
    # a wall opened now still draws the storm as it built
    minutes = [minute for minute, _ in wall["desk_history"]]
    assert minutes[0] == 0.0 and minutes[-1] == 20.0 and minutes == sorted(set(minutes))
    assert wall["desk_history"][-1][1] == sum(wall["desk_queue"].values())
