"""Benchmark: a room of players polling a live `mimsim tabletop` server (bounded load test).

Starts the real server (``python -m simulator tabletop``) on a free port with a fresh
database, opens ``--rounds`` rounds (teams) and starts their clocks at ``--pace``; then
``--players`` players (spread over the rounds) each fetch their round's ``/state`` once a
second, the facilitator's console polls its three documents once a second, and a
facilitator bot answers every question with the policy's answer and sends a stakeholder
update whenever one is due — for ``--seconds`` seconds. The exercise is played with
``end_when: facilitator`` so that the clocks run for the whole test.

Prints the number of requests, errors, and the players' latency percentiles (client side,
request sent to body read, on loopback), with the ratio of the p99 to the 200 ms target;
and, measured in the same run on a round played as far, what one players' ``/state``
document costs to build now (once per change of the round, from the incremental digest)
against rebuilding it from the whole event log as every poll did before. The load average
is printed beside the figures: on a shared machine they move with it.

Usage: ``python benchmarks/bench_tabletop.py [--players 30] [--rounds 3] [--seconds 60]
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

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["X-Facilitator-Token"] = token
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
                 latencies: list[float], errors: list[str]) -> None:
    """The console's polling, and a bot that answers questions and keeps the update cadence."""
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
                _act(connection, round_id, json.loads(body))
        except (OSError, http.client.HTTPException) as error:
            errors.append(type(error).__name__)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))


def _act(connection: _Connection, round_id: int, state: dict[str, Any]) -> None:
    for decision in state["decisions"]:
        connection.call("POST", f"/api/rounds/{round_id}/decisions",
                        {"key": decision["key"], "answer": decision["default"], "who": "bot"})
    for incident in state["major_incidents"]:
        if incident["update_due_now"]:
            connection.call("POST", f"/api/rounds/{round_id}/updates",
                            {"case": incident["case"], "who": "bot", "audience": state["audiences"][0],
                             "text": "Still working on it; next update in 30 minutes."})


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


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
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
                facilitator.call("POST", f"/api/rounds/{rounds[-1]}/clock",
                                 {"action": "pace", "pace": options.pace})
                facilitator.call("POST", f"/api/rounds/{rounds[-1]}/clock", {"action": "start"})
            load_before = os.getloadavg()
            deadline = time.monotonic() + options.seconds
            latencies: list[float] = []
            console: list[float] = []
            errors: list[str] = []
            threads = [threading.Thread(target=_player, args=(port, rounds[i % len(rounds)], deadline,
                                                                latencies, errors))
                       for i in range(options.players)]
            threads.append(threading.Thread(target=_facilitator, args=(
                port, token, rounds, deadline, console, errors)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            load_after = os.getloadavg()
            _, body = _Connection(port).call("GET", f"/api/rounds/{rounds[0]}/state")
            played = json.loads(body)["minute"]
        finally:
            server.kill()
            server.wait()
        build_ms, log_ms = _build_ms(variant, played - _start_minute(variant))
    print(f"tabletop load: {options.players} players on {options.rounds} rounds + the facilitator's "
          f"console, each polling once a second for {options.seconds:g} s; clocks at "
          f"{options.pace:g} simulated min/s (round 1 reached minute {played:.1f})")
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
          f"{os.cpu_count()} cores")
    print(f"players' requests: {len(latencies)}, errors: {len(errors)} {sorted(set(errors))}")
    p50, p95, p99 = (_percentile(latencies, share) for share in (0.5, 0.95, 0.99))
    print(f"players' /state latency ms: p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, "
          f"max {max(latencies):.1f}")
    print(f"facilitator's /state latency ms: p50 {_percentile(console, 0.5):.1f}, "
          f"p99 {_percentile(console, 0.99):.1f}")
    print(f"p99 / {TARGET_P99_MS:g} ms target: {p99 / TARGET_P99_MS:.2f} "
          f"({'met' if p99 < TARGET_P99_MS and not errors else 'NOT met'})")
    print(f"building one players' /state document: {build_ms:.2f} ms (once per change of the round); "
          f"from the whole event log, as every poll did before: {log_ms:.1f} ms "
          f"(before / now: {log_ms / build_ms:.0f}x)")


if __name__ == "__main__":
    main()
