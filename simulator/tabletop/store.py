"""Tabletop layer: the exercise's database — rounds, decisions and injects, in SQLite.

Everything a round needs to be rebuilt is here: the scenario file and the SHA-256 of its
content, the seed, the team, the clock (minute, running or not, pace) and, in order, every
decision and ad-hoc inject with who made it and when. Each change is one transaction, so a
browser refresh, a crash or a restart loses nothing that was acknowledged.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from simulator.tabletop.session import DecisionRecord, InjectRecord

__all__ = ["RoundRow", "Store"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    minute REAL NOT NULL,
    running INTEGER NOT NULL DEFAULT 0,
    pace REAL NOT NULL,
    created TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS decisions (
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    seq INTEGER NOT NULL,
    key TEXT NOT NULL, kind TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
    who TEXT NOT NULL, minute REAL NOT NULL, real_time TEXT NOT NULL, row INTEGER NOT NULL,
    PRIMARY KEY (round_id, seq)
);
CREATE TABLE IF NOT EXISTS injects (
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    seq INTEGER NOT NULL,
    name TEXT NOT NULL, who TEXT NOT NULL, minute REAL NOT NULL, real_time TEXT NOT NULL,
    PRIMARY KEY (round_id, seq)
);
"""


@dataclass(frozen=True)
class RoundRow:
    """A round as stored."""

    id: int
    team: str
    scenario: str
    scenario_hash: str
    seed: int
    minute: float
    running: bool
    pace: float


class Store:
    """The exercise database (one file; created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.executescript(_SCHEMA)

    def token(self) -> str:
        """The facilitator's token: made once, kept, so a restart keeps the console's link."""
        row = self.connection.execute("SELECT value FROM settings WHERE key = 'token'").fetchone()
        if row is not None:
            return str(row[0])
        token = secrets.token_urlsafe(24)
        self.connection.execute("INSERT INTO settings VALUES ('token', ?)", (token,))
        return token

    def add_round(self, team: str, scenario: str, scenario_hash: str, seed: int, minute: float,
                  pace: float) -> int:
        cursor = self.connection.execute(
            "INSERT INTO rounds (team, scenario, scenario_hash, seed, minute, pace) "
            "VALUES (?, ?, ?, ?, ?, ?)", (team, scenario, scenario_hash, seed, minute, pace))
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def rounds(self) -> list[RoundRow]:
        rows = self.connection.execute(
            "SELECT id, team, scenario, scenario_hash, seed, minute, running, pace FROM rounds "
            "ORDER BY id").fetchall()
        return [RoundRow(int(r[0]), r[1], r[2], r[3], int(r[4]), float(r[5]), bool(r[6]),
                         float(r[7])) for r in rows]

    def set_clock(self, round_id: int, minute: float, running: bool, pace: float) -> None:
        self.connection.execute("UPDATE rounds SET minute = ?, running = ?, pace = ? WHERE id = ?",
                                (minute, int(running), pace, round_id))

    def add_decision(self, round_id: int, record: DecisionRecord) -> None:
        with self.connection:
            self.connection.execute("BEGIN")
            seq = self.connection.execute("SELECT COUNT(*) FROM decisions WHERE round_id = ?",
                                          (round_id,)).fetchone()[0]
            self.connection.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (round_id, seq, record.key, record.kind, record.question, record.answer,
                 record.who, record.minute, record.real_time, record.row))

    def add_inject(self, round_id: int, record: InjectRecord) -> None:
        with self.connection:
            self.connection.execute("BEGIN")
            seq = self.connection.execute("SELECT COUNT(*) FROM injects WHERE round_id = ?",
                                          (round_id,)).fetchone()[0]
            self.connection.execute("INSERT INTO injects VALUES (?, ?, ?, ?, ?, ?)",
                                    (round_id, seq, record.name, record.who, record.minute,
                                     record.real_time))

    def decisions(self, round_id: int) -> list[DecisionRecord]:
        rows = self.connection.execute(
            "SELECT key, kind, question, answer, who, minute, real_time, row FROM decisions "
            "WHERE round_id = ? ORDER BY seq", (round_id,)).fetchall()
        return [DecisionRecord(r[0], r[1], r[2], r[3], r[4], float(r[5]), r[6], int(r[7]))
                for r in rows]

    def injects(self, round_id: int) -> list[InjectRecord]:
        rows = self.connection.execute(
            "SELECT name, who, minute, real_time FROM injects WHERE round_id = ? ORDER BY seq",
            (round_id,)).fetchall()
        return [InjectRecord(r[0], r[1], float(r[2]), r[3]) for r in rows]

    def truncate(self, round_id: int, minute: float) -> None:
        """Forget what was decided and fired after ``minute`` (a rewind)."""
        with self.connection:
            self.connection.execute("BEGIN")
            self.connection.execute("DELETE FROM decisions WHERE round_id = ? AND minute > ?",
                                    (round_id, minute))
            self.connection.execute("DELETE FROM injects WHERE round_id = ? AND minute > ?",
                                    (round_id, minute))
