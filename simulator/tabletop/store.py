"""Tabletop layer: the exercise's database — rounds and the record of every action, in SQLite.

Everything a round needs to be rebuilt is here: the scenario file and the SHA-256 of its
content, the seed, the team, the clock (minute, running or not, pace, how long the open
questions have waited, which facilitator's console holds it), the people who joined it
(name, role, the SHA-256 of their token) and, in order, every action (answers, injects
fired by hand, stakeholder updates, observations, the end) with who took it, in which
role, and when. A database of the previous layout (version 2) gains the new columns and
tables when it is opened; one of an earlier layout is refused. Each action is one
committed transaction, synced to the disk, before the app acknowledges it, so a browser
refresh, a killed server or a restart loses nothing that was acknowledged. The file holds
the facilitator's token: it is created readable and writable by its owner only (0600).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path

from simulator.tabletop.records import Action, action_fields, action_from_row

__all__ = ["Participant", "RoundRow", "Store"]

SCHEMA_VERSION = "3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    minute REAL NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    pace REAL NOT NULL,
    waited TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL DEFAULT (datetime('now')),
    holder_console TEXT NOT NULL DEFAULT '',
    holder_name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS participants (
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT PRIMARY KEY,
    joined TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS actions (
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    who TEXT NOT NULL,
    minute REAL NOT NULL,
    real_time TEXT NOT NULL,
    row INTEGER NOT NULL,
    data TEXT NOT NULL,
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
    rows: int  # event-log rows at that minute (the place among the events at that very minute)
    running: bool
    pace: float
    waited: dict[str, float] = field(default_factory=dict)  # open question's key → seconds waited
    holder: tuple[str, str] = ("", "")  # the console that holds the clock, and its facilitator


@dataclass(frozen=True)
class Participant:
    """A person who joined a round in a role (``token_hash``: SHA-256 of their token)."""

    round_id: int
    name: str
    role: str
    token_hash: str
    joined: str  # real time, ISO 8601 UTC


_SQLITE_HEADER = b"SQLite format 3\x00"


def _owner_only(path: Path) -> None:
    """Create ``path`` readable by its owner only, or take an existing database's group and
    other permissions away (it holds the facilitator's token); a file that is not an SQLite
    database is left untouched (``sqlite3.DatabaseError``)."""
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        header = os.read(descriptor, len(_SQLITE_HEADER))
        if header and header != _SQLITE_HEADER:
            raise sqlite3.DatabaseError("file is not a database")
        if stat.S_IMODE(os.fstat(descriptor).st_mode) & 0o077:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


class Store:
    """The exercise database (one file; created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            _owner_only(path)
            self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.connection.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.DatabaseError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise ValueError(f"{path}: cannot open it as the exercise's database ({reason})") from None
        # A commit survives the process being killed; an action's commit also survives the
        # machine failing (FULL syncs the log to the disk; the clock's saves need not).
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA busy_timeout=5000")
        self._refuse_an_earlier_layout()
        self.connection.executescript(_SCHEMA)
        self._add_the_columns_of_version_3()
        self.connection.execute("INSERT OR REPLACE INTO settings VALUES ('schema', ?)",
                                (SCHEMA_VERSION,))

    def _refuse_an_earlier_layout(self) -> None:
        tables = {row[0] for row in self.connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "decisions" in tables and "actions" not in tables:
            raise ValueError(f"{self.path}: written by an earlier version of mimsim tabletop, whose "
                             f"rounds this version cannot resume; start with a new --db (the old "
                             f"file is left as it is)")

    def _add_the_columns_of_version_3(self) -> None:
        """A database of version 2 gains the clock's holder (its actions read as they are:
        an action without a role has the role '')."""
        columns = {row[1] for row in self.connection.execute("PRAGMA table_info(rounds)")}
        for column in ("holder_console", "holder_name"):
            if column not in columns:
                self.connection.execute(
                    f"ALTER TABLE rounds ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        self.connection.close()

    def token(self) -> str:
        """The facilitator's token: made once, kept, so a restart keeps the console's link."""
        row = self.connection.execute("SELECT value FROM settings WHERE key = 'token'").fetchone()
        if row is not None:
            return str(row[0])
        token = secrets.token_urlsafe(24)
        self.connection.execute("INSERT INTO settings VALUES ('token', ?)", (token,))
        return token

    # -- rounds --------------------------------------------------------------------------------
    def add_round(self, team: str, scenario: str, scenario_hash: str, seed: int, minute: float,
                  pace: float) -> int:
        cursor = self.connection.execute(
            "INSERT INTO rounds (team, scenario, scenario_hash, seed, minute, pace) "
            "VALUES (?, ?, ?, ?, ?, ?)", (team, scenario, scenario_hash, seed, minute, pace))
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    def rounds(self) -> list[RoundRow]:
        rows = self.connection.execute(
            "SELECT id, team, scenario, scenario_hash, seed, minute, rows, running, pace, waited, "
            "holder_console, holder_name FROM rounds ORDER BY id").fetchall()
        return [RoundRow(int(r[0]), r[1], r[2], r[3], int(r[4]), float(r[5]), int(r[6]),
                         bool(r[7]), float(r[8]), json.loads(r[9]), (r[10], r[11])) for r in rows]

    def set_clock(self, round_id: int, minute: float, rows: int, running: bool, pace: float,
                  waited: dict[str, float]) -> None:
        """Save a round's clock: its minute and event-log rows, running or not, its pace, and
        the seconds each open question has waited."""
        self.connection.execute(
            "UPDATE rounds SET minute = ?, rows = ?, running = ?, pace = ?, waited = ? WHERE id = ?",
            (minute, rows, int(running), pace, json.dumps(waited, sort_keys=True), round_id))

    def set_holder(self, round_id: int, console: str, name: str) -> None:
        """Which console holds a round's clock (committed when this returns)."""
        self._durably("UPDATE rounds SET holder_console = ?, holder_name = ? WHERE id = ?",
                      (console, name, round_id))

    # -- people --------------------------------------------------------------------------------
    def add_participant(self, participant: Participant) -> None:
        """Someone joined a round (committed, and synced to the disk, when this returns)."""
        self._durably("INSERT INTO participants VALUES (?, ?, ?, ?, ?)",
                      (participant.round_id, participant.name, participant.role,
                       participant.token_hash, participant.joined))

    def participants(self) -> list[Participant]:
        """Everyone who joined any round, in the order they joined."""
        rows = self.connection.execute(
            "SELECT round_id, name, role, token_hash, joined FROM participants "
            "ORDER BY rowid").fetchall()
        return [Participant(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def _durably(self, statement: str, parameters: tuple[object, ...]) -> None:
        self.connection.execute("PRAGMA synchronous=FULL")
        with self.connection:
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute(statement, parameters)
        self.connection.execute("PRAGMA synchronous=NORMAL")

    # -- the record ----------------------------------------------------------------------------
    def add_action(self, round_id: int, action: Action) -> None:
        """Append an action to a round's record (committed when this returns)."""
        kind, particular = action_fields(action)
        self.connection.execute("PRAGMA synchronous=FULL")
        with self.connection:
            self.connection.execute("BEGIN IMMEDIATE")
            seq = self.connection.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM actions WHERE round_id = ?",
                (round_id,)).fetchone()[0]
            self.connection.execute(
                "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (round_id, seq, kind, action.who, action.minute, action.real_time, action.row,
                 json.dumps(particular, sort_keys=True)))
        self.connection.execute("PRAGMA synchronous=NORMAL")

    def actions(self, round_id: int) -> list[Action]:
        """A round's record, in the order the actions were taken."""
        rows = self.connection.execute(
            "SELECT kind, who, minute, real_time, row, data FROM actions WHERE round_id = ? "
            "ORDER BY seq", (round_id,)).fetchall()
        return [action_from_row(r[0], r[1], float(r[2]), r[3], int(r[4]), json.loads(r[5]))
                for r in rows]

    def truncate(self, round_id: int, minute: float) -> None:
        """Forget what was done after ``minute`` (a rewind)."""
        with self.connection:
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute("DELETE FROM actions WHERE round_id = ? AND minute > ?",
                                    (round_id, minute))
