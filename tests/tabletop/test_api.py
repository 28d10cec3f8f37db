"""The tabletop API: each action, who may take it, and what it changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from simulator.tabletop.app import Exercise


def _open_round(client: TestClient, facilitator: dict[str, str], team: str = "Blue") -> int:
    response = client.post("/api/rounds", json={"team": team}, headers=facilitator)
    assert response.status_code == 200
    return int(response.json()["id"])


def _step_to_decision(client: TestClient, facilitator: dict[str, str], round_id: int,
                      kind: str) -> dict[str, object]:
    for _ in range(200):
        state = client.get(f"/api/rounds/{round_id}/state").json()
        pending = [d for d in state["decisions"] if d["kind"] == kind]
        if pending:
            return pending[0]  # type: ignore[no-any-return]
        assert not state["decisions"], state["decisions"]
        client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 1},
                    headers=facilitator)
    raise AssertionError(f"no {kind} decision")



def _declare_and_page(client: TestClient, facilitator: dict[str, str], round_id: int) -> str:
    """Ann declares the major incident and pages the SRE team when asked; the paging's key."""
    key = ""
    for kind, answer in (("declare", "declare"), ("page", "sre")):
        key = str(_step_to_decision(client, facilitator, round_id, kind)["key"])
        response = client.post(f"/api/rounds/{round_id}/decisions",
                               json={"key": key, "answer": answer, "who": "Ann"})
        assert response.status_code == 200, response.text
    return key

def test_pages_and_the_console_needs_the_token(client: TestClient, exercise: Exercise) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/console").status_code == 403
    assert client.get("/console?token=wrong").status_code == 403
    page = client.get(f"/console?token={exercise.token}")
    assert page.status_code == 200 and "Facilitator console" in page.text
    for text in (page.text, client.get("/").text, client.get(f"/play/{0}").text):
        # nothing from the network: no external scripts, styles, fonts or images
        assert not any(mark in text for mark in ('src="http', "href=\"http", "@import", "url("))


def test_players_cannot_take_facilitator_actions(client: TestClient, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    refused = [
        client.post("/api/rounds", json={"team": "Red"}),
        client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 5}),
        client.post(f"/api/rounds/{round_id}/clock", json={"action": "start"},
                    headers={"X-Facilitator-Token": "guess"}),
        client.post(f"/api/rounds/{round_id}/injects", json={"name": "CTO asks"}),
        client.get("/api/compare"),
    ]
    assert [response.status_code for response in refused] == [403] * 5
    state = client.get(f"/api/rounds/{round_id}/state").json()
    assert state["clock"].endswith("13:35:00") and "timeline" not in state  # nothing moved or leaked


def test_the_clock_steps_starts_pauses_and_changes_pace(client: TestClient,
                                                         facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    url = f"/api/rounds/{round_id}/clock"
    assert client.post(url, json={"action": "step", "minutes": 5}, headers=facilitator).json() == {
        "minute": 13 * 60 + 40.0, "running": False}
    assert client.post(url, json={"action": "start"}, headers=facilitator).json()["running"] is True
    assert client.post(url, json={"action": "pace", "pace": 5}, headers=facilitator).status_code == 200
    assert client.post(url, json={"action": "pause"}, headers=facilitator).json()["running"] is False
    assert client.get(f"/api/rounds/{round_id}/state").json()["pace"] == 5
    bad = client.post(url, json={"action": "pace", "pace": -1}, headers=facilitator)
    assert bad.status_code == 422
    assert client.post(url, json={"action": "explode"}, headers=facilitator).status_code == 422


def test_a_declaration_decision_changes_the_scoreboard(client: TestClient,
                                                       facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    decision = _step_to_decision(client, facilitator, round_id, "declare")
    assert decision["options"] == ["declare", "not yet"]
    state = client.get(f"/api/rounds/{round_id}/state").json()
    assert state["clock"].endswith("13:47:00")  # the clock waits for the answer
    assert state["scoreboard"]["time_to_declare_min"] is None
    url = f"/api/rounds/{round_id}/decisions"
    assert client.post(url, json={"key": decision["key"], "answer": "declare now!",
                                  "who": "Ann"}).status_code == 422
    assert client.post(url, json={"key": decision["key"], "answer": "declare",
                                  "who": "<script>alert(1)</script>"}).status_code == 422
    taken = client.post(url, json={"key": decision["key"], "answer": "declare", "who": "Ann"})
    assert taken.status_code == 200 and taken.json() == {"answer": "declare", "minute": 827.0}
    assert client.post(url, json={"key": decision["key"], "answer": "declare",
                                  "who": "Ann"}).status_code == 409  # already answered
    _step_to_decision(client, facilitator, round_id, "page")
    board = client.get(f"/api/rounds/{round_id}/state").json()["scoreboard"]
    assert board["time_to_detect_min"] == 3.0 and board["time_to_declare_min"] == 5.0


@pytest.mark.slow
def test_waiting_delays_the_declaration(client: TestClient, facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    decision = _step_to_decision(client, facilitator, round_id, "declare")
    client.post(f"/api/rounds/{round_id}/decisions",
                json={"key": decision["key"], "answer": "not yet", "who": "Ann"})
    again = _step_to_decision(client, facilitator, round_id, "declare")
    assert again["key"].endswith(":2")  # type: ignore[union-attr]
    assert client.get(f"/api/rounds/{round_id}/state").json()["clock"].endswith("14:02:00")
    client.post(f"/api/rounds/{round_id}/decisions",
                json={"key": again["key"], "answer": "declare", "who": "Ann"})
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


def test_stakeholder_updates_only_for_an_open_major_incident(client: TestClient,
                                                             facilitator: dict[str, str]) -> None:
    round_id = _open_round(client, facilitator)
    url = f"/api/rounds/{round_id}/updates"
    assert client.post(url, json={"case": "OUT0000001", "who": "Cy"}).status_code == 409
    assert client.post(url, json={"case": "'; DROP TABLE rounds;--", "who": "Cy"}).status_code == 422
    _declare_and_page(client, facilitator, round_id)
    client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 3},
                headers=facilitator)
    assert client.post(url, json={"case": "OUT0000001", "who": "Cy"}).json() == {"sent": True}
    assert client.get(f"/api/rounds/{round_id}/state").json()["scoreboard"]["updates_sent"] == 1


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


@pytest.mark.slow
def test_rounds_are_compared_and_debriefed(client: TestClient, facilitator: dict[str, str]) -> None:
    blue, red = _open_round(client, facilitator, "Blue"), _open_round(client, facilitator, "Red")
    for round_id, answer in ((blue, "declare"), (red, "not yet")):
        decision = _step_to_decision(client, facilitator, round_id, "declare")
        client.post(f"/api/rounds/{round_id}/decisions",
                    json={"key": decision["key"], "answer": answer, "who": "Ann"})
        client.post(f"/api/rounds/{round_id}/clock", json={"action": "step", "minutes": 10},
                    headers=facilitator)
    compared = client.get("/api/compare", headers=facilitator).json()
    assert [row["team"] for row in compared] == ["Blue", "Red"]
    assert compared[0]["time_to_declare_min"] == 5.0 and compared[1]["time_to_declare_min"] is None
    text = client.get(f"/api/rounds/{blue}/debrief").text
    assert text.startswith("# Post-incident review (draft): Cloudflare, 2 July 2019")
    assert "| 2019-07-02 13:47:00 | **declare: declare** | OUT0000001 | Ann |" in text
    assert "| first alert | 2019-07-02 13:45:00 | 2019-07-02 13:45:00 | +0 |" in text
