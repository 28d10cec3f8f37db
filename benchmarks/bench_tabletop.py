"""Benchmark: a room of players polling a live `mimsim tabletop` server (bounded load test).

Starts the real server (``python -m simulator tabletop``) on a free port with a fresh
database, opens ``--rounds`` rounds (teams) and starts their clocks at ``--pace``; then
``--players`` players (spread over the rounds) join their round through their role's
join link (the roles in turn) and each fetch their round's ``/state`` once a second, a
wall screen per round does the same, the facilitator's console polls its three documents
once a second, and bots answer every question with the policy's answer, each with the
token of the player whose role decides it, and the communications lead's bot sends a
stakeholder update whenever one is due — for ``--seconds`` seconds (default 600: ten
minutes). The exercise is played with ``end_when: facilitator`` so that the clocks run
for the whole test.

Prints the number of requests, errors, the players' latency percentiles (client side,
request sent to body read, on loopback), the server's resident memory (when the players
have joined, at the end and at its peak), the ratio of the p99 to the 200 ms target;
and, measured in the same run on a round played as far, what one players' ``/state``
document costs to build now (once per change of the round, from the incremental digest)
against rebuilding it from the whole event log as every poll did before. The load average
is printed beside the figures: on a shared machine they move with it.

Usage: ``python benchmarks/bench_tabletop.py [--players 30] [--rounds 3] [--seconds 600]
[--pace 1] [--exercise scenarios/exercises/cloudflare-2019-waf.yaml]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
CLOUDFLARE = ROOT / "scenarios" / "exercises" / "cloudflare-2019-waf.yaml"
TARGET_P99_MS = 200.0


class _Connection:
    """One keep-alive HTTP connection to the server, as a browser tab holds one."""

    def __init__(self, port: int, token: str | None = None, player: str | None = None) -> None:
        self.port = port
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["X-Facilitator-Token"] = token
        if player:
            self.headers["X-Player-Token"] = player
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        try:
            self.connection.request(method, path, None if body is None else json.dumps(body),
                                    self.headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(exercise: Path, database: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "simulator", "tabletop", str(exercise), "--db",
                                str(database), "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/rounds", timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not answer within a minute")


def _player(port: int, round_id: int, deadline: float, latencies: list[float],
            errors: list[str]) -> None:
    connection = _Connection(port)
    tick = time.monotonic() + random.random()  # players do not poll in step
    while tick < deadline:
        time.sleep(max(0.0, tick - time.monotonic()))
        began = time.perf_counter()
        try:
            status, _ = connection.call("GET", f"/api/rounds/{round_id}/state")
        except (OSError, http.client.HTTPException) as error:
            errors.append(type(error).__name__)
        else:
            latencies.append((time.perf_counter() - began) * 1000.0)
            if status != 200:
                errors.append(str(status))
        tick += 1.0


def _facilitator(port: int, token: str, rounds: list[int], deadline: float,
                 latencies: list[float], errors: list[str],
                 players: dict[tuple[int, str], _Connection]) -> None:
    """The console's polling, and the players' bots that answer questions and keep the
    update cadence (each with the token of the role that may)."""
    connection = _Connection(port, token)
    while time.monotonic() < deadline:
        began = time.monotonic()
        try:
            for path in ("/api/rounds", "/api/compare"):
                connection.call("GET", path)
            for round_id in rounds:
                start = time.perf_counter()
                status, body = connection.call("GET", f"/api/rounds/{round_id}/state")
                latencies.append((time.perf_counter() - start) * 1000.0)
                if status != 200:
                    errors.append(str(status))
                    continue
                _act(players, round_id, json.loads(body), errors)
        except (OSError, http.client.HTTPException) as error:
            errors.append(type(error).__name__)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))


def _act(players: dict[tuple[int, str], _Connection], round_id: int, state: dict[str, Any],
         errors: list[str]) -> None:
    for decision in state["decisions"]:
        status, _ = players[(round_id, decision["role"])].call(
            "POST", f"/api/rounds/{round_id}/decisions",
            {"key": decision["key"], "answer": decision["default"]})
        if status not in (200, 409):  # 409: the policy answered it first
            errors.append(f"decision {status}")
    for incident in state["major_incidents"]:
        if incident["update_due_now"]:
            status, _ = players[(round_id, "communications")].call(
                "POST", f"/api/rounds/{round_id}/updates",
                {"case": incident["case"], "audience": state["audiences"][0],
                 "text": "Still working on it; next update in 30 minutes."})
            if status not in (200, 409, 429):
                errors.append(f"update {status}")


def _join(port: int, facilitator: _Connection, round_id: int, role: str, name: str) -> str:
    """A player joins a round through the role's link: their token."""
    _, body = facilitator.call("GET", f"/api/rounds/{round_id}/links")
    key = json.loads(body)[role]["link"].split("key=")[1]
    _, body = _Connection(port).call("POST", f"/api/rounds/{round_id}/join",
                                     {"role": role, "key": key, "name": name})
    return str(json.loads(body)["token"])


def _seat(port: int, facilitator: _Connection, rounds: list[int], players: int
          ) -> tuple[list[tuple[int, str, str]], dict[tuple[int, str], _Connection]]:
    """The players join the rounds in turn, taking the roles in turn (round, role, name); the
    roles nobody took are joined by bots. Each role's connection, with its token."""
    roles = list(json.loads(facilitator.call("GET", f"/api/rounds/{rounds[0]}/links")[1]))
    seats = [(rounds[i % len(rounds)], roles[(i // len(rounds)) % len(roles)], f"Player {i + 1}")
             for i in range(players)]
    tokens = {(round_id, role): _join(port, facilitator, round_id, role, name)
              for round_id, role, name in seats}
    for round_id in rounds:
        for role in roles:
            if (round_id, role) not in tokens:
                tokens[(round_id, role)] = _join(port, facilitator, round_id, role,
                                                 f"Bot {round_id} {role}")
    return seats, {seat: _Connection(port, player=token) for seat, token in tokens.items()}


def _build_ms(exercise: Path, minutes: float) -> tuple[float, float]:
    """What building one players' ``/state`` document costs (median of 20 builds, ms), in a
    round played ``minutes`` simulated minutes on its policy (as far as the benchmark's rounds
    went): from the incremental digest as now, and from the whole event log as every poll did
    before (three event-log tables, the outage table and a full model snapshot)."""
    from simulator.metrics import encode
    from simulator.metrics.outages import outage_table
    from simulator.tabletop.live import Exercise
    from simulator.tabletop.views import players_view

    def median_ms(build: Any) -> float:
        times = []
        for _ in range(20):
            began = time.perf_counter()
            build()
            times.append((time.perf_counter() - began) * 1000.0)
        return statistics.median(times)

    def from_the_log() -> None:
        tables = [round_.events() for _ in range(3)]
        outage_table(encode(tables[0], round_.scenario.run.start))
        round_.simulation.state()

    with tempfile.TemporaryDirectory() as folder:
        live = Exercise(exercise, Path(folder) / "bench.db")
        round_id = live.new_round("bench")
        round_ = live.rounds[round_id]
        start = round_.minute
        while round_.minute < start + max(1.0, minutes) and not round_.finished:
            for decision in round_.pending():
                round_.decide(decision.key, decision.default, "bench")
            round_.advance(1.0)
        now = median_ms(lambda: json.dumps(players_view(round_, round_id, True, 1.0)).encode())
        before = median_ms(from_the_log)
        live.store.close()
    return now, before


def _start_minute(exercise: Path) -> float:
    from simulator.scenario import load_scenario

    loaded = load_scenario(exercise).exercise
    assert loaded is not None
    return loaded.start_at


def _memory_mb(pid: int) -> dict[str, float]:
    """The server's resident memory now and at its peak (``VmRSS``, ``VmHWM``), MB (Linux)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return {key: int(fields[key].split()[0]) / 1024.0 for key in ("VmRSS", "VmHWM") if key in fields}


def _memory_line(before: dict[str, float], after: dict[str, float]) -> str:
    if not (before and after):
        return "server memory: not measured (no /proc here)"
    return (f"server memory MB: resident {before['VmRSS']:.0f} when the players had joined, "
            f"{after['VmRSS']:.0f} at the end, peak {after['VmHWM']:.0f}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--pace", type=float, default=1.0, help="simulated minutes per real second")
    parser.add_argument("--exercise", type=Path, default=CLOUDFLARE)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        variant = Path(folder) / "exercise.yaml"
        variant.write_text(f"extends: {options.exercise.resolve()}\nexercise:\n  end_when: facilitator\n")
        database, port = Path(folder) / "bench.db", _free_port()
        server = _start_server(variant, database, port)
        try:
            with sqlite3.connect(database) as connection:
                token = str(connection.execute(
                    "SELECT value FROM settings WHERE key = 'token'").fetchone()[0])
            facilitator = _Connection(port, token)
            rounds = []
            for index in range(options.rounds):
                _, body = facilitator.call("POST", "/api/rounds", {"team": f"Team {index + 1}"})
                rounds.append(int(json.loads(body)["id"]))
            seats, bots = _seat(port, facilitator, rounds, options.players)
            for round_id in rounds:
                facilitator.call("POST", f"/api/rounds/{round_id}/clock",
                                 {"action": "pace", "pace": options.pace})
                facilitator.call("POST", f"/api/rounds/{round_id}/clock", {"action": "start"})
            load_before, memory_before = os.getloadavg(), _memory_mb(server.pid)
            deadline = time.monotonic() + options.seconds
            latencies: list[float] = []
            console: list[float] = []
            errors: list[str] = []
            walls: list[float] = []
            threads = [threading.Thread(target=_player, args=(port, round_id, deadline, latencies,
                                                                errors)) for round_id, _, _ in seats]
            threads += [threading.Thread(target=_player, args=(port, round_id, deadline, walls, errors))
                        for round_id in rounds]  # a wall screen per round
            threads.append(threading.Thread(target=_facilitator, args=(
                port, token, rounds, deadline, console, errors, bots)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            load_after, memory_after = os.getloadavg(), _memory_mb(server.pid)
            _, body = _Connection(port).call("GET", f"/api/rounds/{rounds[0]}/state")
            played = json.loads(body)["minute"]
        finally:
            server.kill()
            server.wait()
        build_ms, log_ms = _build_ms(variant, played - _start_minute(variant))
    print(f"tabletop load: {options.players} players (joined in their roles) on {options.rounds} "
          f"rounds + a wall screen per round + the facilitator's console, each polling once a "
          f"second for {options.seconds:g} s; clocks at "
          f"{options.pace:g} simulated min/s (round 1 reached minute {played:.1f})")
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
          f"{os.cpu_count()} cores")
    print(f"players' requests: {len(latencies)}, errors: {len(errors)} {sorted(set(errors))}")
    p50, p95, p99 = (_percentile(latencies, share) for share in (0.5, 0.95, 0.99))
    print(f"players' /state latency ms: p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, "
          f"max {max(latencies):.1f}")
    print(f"facilitator's /state latency ms: p50 {_percentile(console, 0.5):.1f}, "
          f"p99 {_percentile(console, 0.99):.1f}; wall screens' p99 {_percentile(walls, 0.99):.1f}")
    print(_memory_line(memory_before, memory_after))
    print(f"p99 / {TARGET_P99_MS:g} ms target: {p99 / TARGET_P99_MS:.2f} "
          f"({'met' if p99 < TARGET_P99_MS and not errors else 'NOT met'})")
    print(f"building one players' /state document: {build_ms:.2f} ms (once per change of the round); "
          f"from the whole event log, as every poll did before: {log_ms:.1f} ms "
          f"(before / now: {log_ms / build_ms:.0f}x)")


if __name__ == "__main__":
    main()
