"""Tabletop layer: the live exercise — its rounds, their clocks, the record, and the views' snapshots.

One exercise (a scenario with an ``exercise`` section) per server; any number of
rounds (one per team), each an independent :class:`~simulator.tabletop.session.Round`
with the same seed, so every team meets the same incidents. Every action is written
to the database (:class:`~simulator.tabletop.store.Store`) before it is acknowledged,
and the clocks are saved on every tick, so a restart resumes each round where it was.

The players poll ``/state`` every second. Its document is built once per change of
the round (a *version*: every tick, action or clock order bumps it) and served as the
same JSON bytes to every poll until the next change, so thirty players cost one build;
a poll that comes while the round is being changed gets the last document at once, so
no poll waits behind an action's sync to the disk.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.scenario.loader import load_scenario, scenario_hash
from simulator.scenario.schema import Scenario
from simulator.tabletop.draw import check_pieces, drawn_scenario
from simulator.tabletop.people import Actor, People
from simulator.tabletop.records import Action
from simulator.tabletop.session import Round, check_exercise
from simulator.tabletop.store import Store
from simulator.tabletop.views import facilitator_view, players_view

__all__ = ["ClockHeldError", "Exercise", "UpdateLimit"]


class ClockHeldError(RuntimeError):
    """Another facilitator's console holds the round's clock (the app answers 423)."""


class UpdateLimit:
    """At most ``per_minute`` stakeholder updates per sender in any 60 real seconds."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._sent: dict[tuple[int, str], collections.deque[float]] = {}

    def wait_s(self, sender: tuple[int, str]) -> float:
        """0 if ``sender`` (round, role) may send now, else the seconds until it may."""
        now = self.clock()
        sent = self._sent.setdefault(sender, collections.deque())
        while sent and now - sent[0] >= 60.0:
            sent.popleft()
        return 0.0 if len(sent) < self.per_minute else 60.0 - (now - sent[0])

    def count(self, sender: tuple[int, str]) -> None:
        self._sent.setdefault(sender, collections.deque()).append(self.clock())


class Exercise:
    """The server's state: the scenario, the database, the live rounds and their snapshots."""

    def __init__(self, scenario_path: Path, database: Path, seed: int | None = None) -> None:
        self.scenario_path = scenario_path
        self.scenario = load_scenario(scenario_path)
        self.exercise = check_exercise(self.scenario, str(scenario_path))
        check_pieces(scenario_path, self.exercise)
        self._drawn: dict[int, Scenario] = {}  # seed → the scenario its rounds play
        self.hash = scenario_hash(self.scenario)
        self.seed = self.scenario.run.seed if seed is None else seed
        self.store = Store(database)
        self.token = self.store.token()
        self.people = People(self.store, self.exercise, self.token)
        self.lock = threading.RLock()
        self.rounds: dict[int, Round] = {}
        self.running: dict[int, bool] = {}
        self.pace: dict[int, float] = {}
        self.version: dict[int, int] = {}
        self.holder: dict[int, tuple[str, str]] = {}  # round → (console, facilitator's name)
        self._snapshots: dict[tuple[int, bool], tuple[int, bytes]] = {}
        self.update_limit = UpdateLimit(self.exercise.max_updates_per_minute)
        for row in self.store.rounds():  # resume every round from the database
            if row.scenario_hash != self.hash:
                raise ValueError(f"{database}: round {row.id} was played on another version of "
                                 f"{row.scenario} (the file or mimsim changed); use a new --db for "
                                 f"it")
            round_ = Round(self.scenario_for(row.seed), row.team, row.seed)
            round_.resume(self.store.actions(row.id), row.minute, row.rows, row.waited)
            self.rounds[row.id] = round_
            self.running[row.id] = row.running and not round_.finished
            self.pace[row.id] = row.pace
            self.holder[row.id] = row.holder
            self.version[row.id] = 0

    # -- rounds and their clocks ---------------------------------------------------------------
    def new_round(self, team: str, seed: int | None = None) -> int:
        """Open a round for ``team`` (with the exercise's seed unless ``seed`` is given)."""
        with self.lock:
            seed = self.seed if seed is None else seed
            round_ = Round(self.scenario_for(seed), team, seed)
            pace = self.exercise.pace
            round_id = self.store.add_round(team, str(self.scenario_path), self.hash, seed,
                                            round_.minute, pace)
            self.rounds[round_id], self.running[round_id], self.pace[round_id] = round_, False, pace
            self.holder[round_id] = ("", "")
            self.version[round_id] = 0
            self.save(round_id)
            return round_id

    def scenario_for(self, seed: int) -> Scenario:
        """The scenario a round with ``seed`` plays (the exercise's, changed by its draw)."""
        if seed not in self._drawn:
            self._drawn[seed] = drawn_scenario(self.scenario_path, self.scenario, seed)
        return self._drawn[seed]

    def get(self, round_id: int) -> Round:
        """A round (``KeyError`` if there is none by that number)."""
        if round_id not in self.rounds:
            raise KeyError(f"no round {round_id}")
        return self.rounds[round_id]

    def save(self, round_id: int) -> None:
        """Write a round's clock to the database, and mark its views out of date."""
        round_ = self.rounds[round_id]
        if round_.finished:
            self.running[round_id] = False
        waiting = {decision.key: round_.waited.get(decision.key, 0.0) for decision in round_.pending()}
        self.store.set_clock(round_id, round_.minute, len(round_.simulation.recorder.rows),
                             self.running[round_id], self.pace[round_id], waiting)
        self.version[round_id] += 1

    def record(self, round_id: int, action: Action) -> None:
        """Write an action a round has just taken, then its clock (before it is acknowledged)."""
        self.store.add_action(round_id, action)
        self.save(round_id)

    def hold_clock(self, round_id: int, actor: Actor, take_over: bool = False) -> None:
        """Let ``actor``'s console act on a round's clock: it takes a clock nobody holds (or,
        with ``take_over``, one another console holds: recorded); :class:`ClockHeldError` if
        another console holds it."""
        console, name = self.holder[round_id]
        if console == actor.console and name:
            return
        if name and not take_over:
            raise ClockHeldError(f"{name}'s console holds the clock of this round: take it over "
                            "('Take the clock') to act on it")
        self.store.set_holder(round_id, actor.console, actor.name)
        self.holder[round_id] = (actor.console, actor.name)
        self.record(round_id, self.rounds[round_id].hand_over(actor.name, name))

    def join(self, round_id: int, role: str, key: str, name: str) -> str:
        """Someone joins a round in a role (stored before this returns): their token."""
        self.get(round_id)
        token, _ = self.people.join(round_id, role, key, name)
        self.version[round_id] += 1
        return token

    def tick(self, seconds: float) -> None:
        """``seconds`` of real time pass: each running round's open questions wait (the policy
        answers those at the time limit) and its clock moves by its pace × ``seconds``."""
        with self.lock:
            for round_id, round_ in self.rounds.items():
                if not self.running[round_id]:
                    continue
                for record in round_.wait(seconds):
                    self.store.add_action(round_id, record)
                round_.advance(self.pace[round_id] * seconds)
                self.save(round_id)

    def rewind(self, round_id: int, minute: float) -> None:
        """Replay a round to an earlier ``minute``, forgetting what was done after it."""
        round_ = self.get(round_id)
        target = max(minute, self.exercise.start_at)
        self.rounds[round_id] = round_.replay(target)
        self.running[round_id] = False
        self.store.truncate(round_id, target)
        self.save(round_id)

    # -- views ---------------------------------------------------------------------------------
    def snapshot(self, round_id: int, facilitator: bool) -> bytes:
        """The ``/state`` document of a round as JSON, rebuilt only when the round changed. While
        the round is being changed (an action synced to the disk, a tick), a poll gets the last
        document at once rather than waiting for the change: the next poll gets the new one."""
        version = self.version.get(round_id)
        cached = self._snapshots.get((round_id, facilitator))
        if version is not None and cached is not None and cached[0] == version:
            return cached[1]
        if cached is not None and not self.lock.acquire(blocking=False):
            return cached[1]
        if cached is None:
            self.lock.acquire()
        try:
            return self._build_snapshot(round_id, facilitator)
        finally:
            self.lock.release()

    def _build_snapshot(self, round_id: int, facilitator: bool) -> bytes:
        round_ = self.get(round_id)
        version = self.version[round_id]
        view = facilitator_view if facilitator else players_view
        people = [{"name": person.name, "role": person.role}
                  for person in self.people.in_round(round_id)]
        document = view(round_, round_id, self.running[round_id], self.pace[round_id], people)
        if facilitator:
            console, holder = self.holder[round_id]
            document["clock_holder"] = {"name": holder, "console": console}
            document["seed"] = round_.seed
        body = json.dumps(document, separators=(",", ":"), default=_plain).encode()
        self._snapshots[(round_id, facilitator)] = (version, body)
        return body

    def rounds_list(self) -> list[dict[str, Any]]:
        return [{"id": round_id, "team": round_.team, "minute": round_.minute,
                 "clock": round_.simulation.clock.isoformat(sep=" ", timespec="seconds"),
                 "running": self.running[round_id], "finished": round_.finished}
                for round_id, round_ in self.rounds.items()]


def _plain(value: object) -> object:
    """NaN-free JSON: a value json cannot write becomes its text."""
    return str(value)
