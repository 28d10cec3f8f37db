"""The after-action report, read back from its HTML: objectives, decisions, the counterfactual, the plan."""

from __future__ import annotations

import html.parser
from typing import Any

from fastapi.testclient import TestClient

from simulator.tabletop.app import Exercise
from tests.tabletop.conftest import join

#: Downtime cost of the WAF outage, per minute (the scenario's `downtime_cost`).
COST_PER_MINUTE = 5600


class _Tables(html.parser.HTMLParser):
    """Each table of a page, under its heading: {heading: [row, ...]} (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.heading = ""
        self._in: str | None = None
        self._text: list[str] = []
        self._row: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "td", "th"):
            self._in, self._text = tag, []
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.heading = "".join(self._text)
            self.tables[self.heading] = []
        elif tag in ("td", "th"):
            self._row.append("".join(self._text).strip())
        elif tag == "tr" and self.heading:
            self.tables[self.heading].append(self._row)
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)


def _tables(text: str) -> dict[str, list[dict[str, str]]]:
    parser = _Tables()
    parser.feed(text)
    return {heading: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]
                      if len(row) == len(rows[0])]  # not the "nothing yet" row
            for heading, rows in parser.tables.items() if rows}


def _play_with_a_rollback(client: TestClient, facilitator: dict[str, str]) -> int:
    """Ann declares and pages, Tim chooses a rollback, Cy sends one update, Eve evaluates."""
    round_id = int(client.post("/api/rounds", json={"team": "Blue"}, headers=facilitator).json()["id"])
    people = {name: join(client, facilitator, round_id, role, name) for name, role in (
        ("Ann", "incident_manager"), ("Tim", "technical_lead"), ("Cy", "communications"),
        ("Eve", "evaluator"))}
    answers = {"declare": ("Ann", "declare"), "page": ("Ann", "sre"), "restore": ("Tim", "rollback"),
               "approvers": ("Ann", "1,2")}
    url = f"/api/rounds/{round_id}"
    for _ in range(120):
        state: dict[str, Any] = client.get(f"{url}/state").json()
        if state["finished"]:
            break
        for decision in state["decisions"]:
            who, answer = answers[decision["kind"]]
            assert client.post(f"{url}/decisions", json={"key": decision["key"], "answer": answer},
                               headers=people[who]).status_code == 200
        if state["clock"].endswith("13:55:00"):
            client.post(f"{url}/updates", headers=people["Cy"], json={
                "case": "OUT0000001", "audience": "status page", "text": "Investigating 502s."})
            for item in (0, 1):
                client.post(f"{url}/checklist", headers=people["Eve"],
                            json={"objective": "declare early", "item": item, "verdict": "met"})
            client.post(f"{url}/notes", headers=people["Eve"], json={
                "text": "Ann named the roles at once", "objective": "declare early",
                "assessment": "strength", "moment": 13 * 60 + 50})
            client.post(f"{url}/notes", headers=people["Eve"], json={
                "text": "One update, then silence", "objective": "keep stakeholders informed",
                "assessment": "improvement"})
        client.post(f"{url}/clock", json={"action": "step", "minutes": 1}, headers=facilitator)
    return round_id


def test_the_report_holds_every_objective_and_decision_and_the_policys_counterfactual(
        client: TestClient, exercise: Exercise, facilitator: dict[str, str]) -> None:
    round_id = _play_with_a_rollback(client, facilitator)
    round_ = exercise.rounds[round_id]
    assert round_.end is not None and round_.end.minute == 14 * 60 + 29  # a rollback: 47 minutes
    page = client.get(f"/rounds/{round_id}/debrief", headers=facilitator).text
    tables = _tables(page)
    objectives = {row["objective"].split(":")[0]: row for row in tables["Objectives"]}
    assert set(objectives) == {objective.name for objective in round_.exercise.objectives}
    assert {name: row["status"] for name, row in objectives.items()} == {
        "declare early": "met",  # 5 minutes, both checklist items marked met
        "keep stakeholders informed": "missed",  # 13:55 to 14:29 without an update: 34 > 30
        "restore within the RTO": "missed",  # 47 > 30
        "use the kill switch": "missed"}  # a rollback, and the round is over
    assert "declared within 10 min: met (OUT0000001: 5 min (target 10 min))" in \
        objectives["declare early"]["evidence"]
    assert "observed by Eve: Ann named the roles at once" in objectives["declare early"]["evidence"]
    assert [(row["participant"], row["role"], row["answer"])
            for row in tables["Decisions by participant"]] == [
        ("Ann", "Incident commander", "declare"), ("Ann", "Incident commander", "sre"),
        ("Tim", "SRE lead", "rollback")]
    assert len(tables["Decisions by participant"]) == len(round_.decisions)
    people = {row["participant"]: row for row in tables["Who did what"]}
    assert (people["Ann"]["decisions"], people["Cy"]["updates"], people["Eve"]["observations"]) == \
        ("2", "1", "2")
    policy = {row["measure"]: row for row in tables["With the policy's answers"]}
    # the policy restores by the kill switch: 14:09, 27 minutes, against the rollback's 47
    assert (policy["restore time (min)"]["this team"], policy["restore time (min)"]["the policy's answers"],
            policy["restore time (min)"]["difference"]) == ("47", "27", "+20")
    assert policy["downtime cost"]["difference"] == f"{20 * COST_PER_MINUTE:+,}"
    assert [row["observation"] for row in tables["Strengths"]] == ["Ann named the roles at once"]
    assert tables["Strengths"][0]["moment"] == "2019-07-02 13:50:00"
    assert [row["observation"] for row in tables["Areas for improvement"]] == [
        "One update, then silence"]
    plan = [(row["capability"], row["objective"], row["area for improvement"], row["responsible"])
            for row in tables["Improvement plan"]]
    assert plan == [("Public information and warning", "keep stakeholders informed",
                     "One update, then silence", ""),
                    ("Infrastructure systems", "restore within the RTO",
                     "objective missed: OUT0000001: 47 min (target 30 min)", ""),
                    ("Infrastructure systems", "use the kill switch",
                     "objective missed: answered rollback", "")]
    timeline = tables["Timeline"]
    assert {"the team", "the simulation"} <= set(timeline[0])
    assert any(row["the team"] == "restore: rollback" and row["who"] == "Tim (SRE lead)"
               for row in timeline)
    assert any(row["the simulation"] == "restored" for row in timeline)
    markdown = client.get(f"/api/rounds/{round_id}/debrief.md", headers=facilitator).text
    for objective in round_.exercise.objectives:
        assert f"| {objective.name}: " in markdown
    assert "| Tim | SRE lead | 2019-07-02 14:02:00 |" in markdown


def test_the_players_copy_leaves_the_evaluation_out(client: TestClient,
                                                    facilitator: dict[str, str]) -> None:
    round_id = _play_with_a_rollback(client, facilitator)
    tables = _tables(client.get(f"/api/rounds/{round_id}/debrief.html").text)
    assert not {"Strengths", "Areas for improvement", "Improvement plan",
                "Observations and facilitator's notes"} & set(tables)
    statuses = {row["objective"].split(":")[0]: row["status"] for row in tables["Objectives"]}
    assert statuses["declare early"] == "met"  # measured: the checklist is not shown
    assert "observed by" not in str(tables["Objectives"])


def test_the_policys_counterfactual_of_a_team_that_played_as_the_policy_is_the_same() -> None:
    from simulator.scenario import load_scenario
    from simulator.tabletop import Round
    from simulator.tabletop.aar import counterfactual, policy_comparison
    from tests.tabletop.conftest import ANSWERS, CLOUDFLARE

    round_ = Round(load_scenario(CLOUDFLARE), "Blue", seed=7)
    while not round_.finished:
        for decision in round_.pending():
            round_.decide(decision.key, ANSWERS[decision.kind], "Ann", "incident_manager")
        round_.advance(1)
    again = counterfactual(round_)
    assert again.finished and again.end == round_.end  # restored 14:09 in both
    assert again.scoreboard() == round_.scoreboard()
    assert all(row[3] in ("+0", "—") for row in policy_comparison(round_))
    assert [row[1] for row in policy_comparison(round_)][2] == "27"
