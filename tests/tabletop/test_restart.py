"""Nothing acknowledged is lost: a real `mimsim tabletop` server, killed with SIGKILL, restarted.

The server runs as a subprocess on a free port; the test acts through HTTP as the
facilitator and the players would, kills the process without warning (``kill -9``: no
shutdown, no flush), starts it again on the same ``--db`` and compares what both
servers show.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.tabletop.conftest import CLOUDFLARE

#: Real server processes: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(database: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """``mimsim tabletop`` on ``port``; yields once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "tabletop", str(CLOUDFLARE), "--db", str(database),
         "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "300"})
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/rounds", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(f"the server stopped: {process.stderr.read()}") from None  # type: ignore[union-attr]
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        process.stderr.close()  # type: ignore[union-attr]


class _Client:
    def __init__(self, port: int, token: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             facilitator: bool = False, player: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if facilitator:
            headers["X-Facilitator-Token"] = self.token
        if player is not None:
            headers["X-Player-Token"] = player
        request = urllib.request.Request(self.base + path, method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())


def _token(database: Path) -> str:
    with sqlite3.connect(database) as connection:
        return str(connection.execute("SELECT value FROM settings WHERE key = 'token'").fetchone()[0])


def _join(client: _Client, round_id: int, link: str, role: str, name: str) -> str:
    key = link.split("key=")[1]
    return str(client.call("POST", f"/api/rounds/{round_id}/join",
                           {"role": role, "key": key, "name": name})["token"])


def _act(client: _Client) -> int:
    """Open a round, let three people join, and take every kind of action: answers, an
    inject, updates, a note."""
    made = client.call("POST", "/api/rounds", {"team": "Blue"}, facilitator=True)
    round_id = int(made["id"])
    people = {role: _join(client, round_id, made["links"][role], role, name) for role, name in (
        ("incident_manager", "Ann"), ("technical_lead", "Tim"), ("communications", "Cy"))}
    clock = f"/api/rounds/{round_id}/clock"
    answers = {"declare": "declare", "page": "sre", "restore": "emergency change"}
    for _ in range(60):
        state = client.call("GET", f"/api/rounds/{round_id}/state")
        for decision in state["decisions"]:
            if decision["kind"] == "approvers":
                return round_id  # stop with this question open
            client.call("POST", f"/api/rounds/{round_id}/decisions",
                        {"key": decision["key"], "answer": answers[decision["kind"]]},
                        player=people[decision["role"]])
        if state["clock"].endswith("13:56:00"):
            client.call("POST", f"/api/rounds/{round_id}/injects", {"name": "status page busy"},
                        facilitator=True)
            client.call("POST", f"/api/rounds/{round_id}/notes", {"text": "slow to update"},
                        facilitator=True)
            for audience in ("executives", "customers"):
                client.call("POST", f"/api/rounds/{round_id}/updates",
                            {"case": "OUT0000001", "audience": audience,
                             "text": f"Update for {audience}"}, player=people["communications"])
        client.call("POST", clock, {"action": "step", "minutes": 1}, facilitator=True)
    raise AssertionError("the approvers were never asked")


def test_a_server_killed_with_sigkill_restarts_with_everything_it_acknowledged(tmp_path: Path) -> None:
    database, port = tmp_path / "drill.db", _free_port()
    with _server(database, port) as first:
        client = _Client(port, _token(database))
        round_id = _act(client)
        before = client.call("GET", f"/api/rounds/{round_id}/state", facilitator=True)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert before["scoreboard"]["updates_sent"] == 2 and before["decisions"]
    with _server(database, port):
        after = client.call("GET", f"/api/rounds/{round_id}/state", facilitator=True)
        debrief = urllib.request.urlopen(
            f"{client.base}/api/rounds/{round_id}/debrief.md?token={client.token}").read().decode()
    assert after["scoreboard"] == before["scoreboard"]
    for key in ("clock", "minute", "messages", "decisions", "major_incidents", "updates",
                "outage_tickets", "queues", "timeline", "decision_log", "notes", "published",
                "people", "clock_holder"):
        assert after[key] == before[key], key
    assert "| Update for customers | Cy |" in debrief and "slow to update" in debrief


def test_a_database_of_an_earlier_layout_is_refused_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    with sqlite3.connect(database) as connection:  # the tables of the first tabletop store
        connection.executescript(
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE rounds (id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL);"
            "CREATE TABLE decisions (round_id INTEGER NOT NULL, seq INTEGER NOT NULL);"
            "CREATE TABLE injects (round_id INTEGER NOT NULL, seq INTEGER NOT NULL);")
    done = subprocess.run([sys.executable, "-m", "simulator", "tabletop", str(CLOUDFLARE),
                           "--db", str(database), "--port", str(_free_port())], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "300"})
    assert done.returncode == 2
    assert "written by an earlier version of mimsim tabletop" in done.stderr
    assert "--db" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


#: The layout of version 2 (before people and roles), as that version created it.
VERSION_2 = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE rounds (id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL,
    scenario TEXT NOT NULL, scenario_hash TEXT NOT NULL, seed INTEGER NOT NULL,
    minute REAL NOT NULL, rows INTEGER NOT NULL DEFAULT 0, running INTEGER NOT NULL DEFAULT 0,
    pace REAL NOT NULL, waited TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE actions (round_id INTEGER NOT NULL REFERENCES rounds(id), seq INTEGER NOT NULL,
    kind TEXT NOT NULL, who TEXT NOT NULL, minute REAL NOT NULL, real_time TEXT NOT NULL,
    row INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (round_id, seq));
INSERT INTO settings VALUES ('schema', '2'), ('token', 'kept-token');
"""


def test_a_database_of_version_2_is_read_and_its_actions_have_no_role(tmp_path: Path) -> None:
    from simulator.scenario.loader import load_scenario, scenario_hash
    from simulator.tabletop.live import Exercise

    database = tmp_path / "v2.db"
    with sqlite3.connect(database) as connection:
        connection.executescript(VERSION_2)
        connection.execute("INSERT INTO rounds (team, scenario, scenario_hash, seed, minute, pace) "
                           "VALUES ('Blue', ?, ?, 20190702, 815, 1)",
                           (str(CLOUDFLARE), scenario_hash(load_scenario(CLOUDFLARE))))
        connection.execute("INSERT INTO actions VALUES (1, 0, 'note', 'facilitator', 815, "
                           "'2024-01-01T00:00:00+00:00', 450, '{\"text\": \"an old note\"}')")
    exercise = Exercise(CLOUDFLARE, database)
    assert exercise.token == "kept-token" and exercise.holder[1] == ("", "")
    assert [(note.text, note.who, note.role) for note in exercise.rounds[1].notes] == [
        ("an old note", "facilitator", "")]
    exercise.new_round("Red")  # and it is written in the new layout from now on
    assert Exercise(CLOUDFLARE, database).rounds[2].team == "Red"
