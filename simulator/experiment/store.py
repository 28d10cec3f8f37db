"""Experiment layer: the results store of a sweep — an SQLite file, written one replication at a time.

SQLite because it is in Python's standard library (no new dependency), its
transactions are atomic and durable, and in WAL mode a notebook or a report can
read the file while a sweep writes it.

Tables:

* ``designs`` — one row per design: ``design_key`` (what the results depend on:
  the resolved scenario without its name, description and replication count, and
  the seed), ``name``, ``scenario_hash`` (SHA-256 of the resolved scenario, as in
  run manifests), ``seed``, ``scenario_file``, ``overrides`` and ``parameters``
  (JSON), ``created_at``.
* ``replications`` — one row per finished design × replication, unique on
  (``design_key``, ``replication``), with its wall time.
* ``kpis`` — one row per design × replication × KPI (``scope``, ``key``, ``kpi``,
  ``value``, ``n``), unique on all five keys.
* ``plans`` — per design, the most replications a sweep has asked of it, so that a
  report can tell an interrupted sweep from a finished one (stores written before
  this table existed lack it; :func:`sweep_designs` then reports the plan as unknown).

A replication's KPI rows and its ``replications`` row are written in one
transaction: after a crash, a kill or a lost worker, a replication is either
wholly in the store or not at all, and the next run of the sweep computes exactly
the missing ones. :func:`load_sweep` reads everything into one DataFrame.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import pandas as pd
import yaml

from simulator.experiment.campaign import kpi_name
from simulator.experiment.outputs import SWEEP_STORE_TABLES, check_database
from simulator.experiment.summary import finite_or_none

__all__ = ["SweepStore", "is_sweep_store", "load_sweep", "sweep_designs"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS designs (
    design_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scenario_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    scenario_file TEXT,
    overrides TEXT NOT NULL,
    parameters TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS replications (
    design_key TEXT NOT NULL REFERENCES designs(design_key),
    replication INTEGER NOT NULL,
    wall_s REAL,
    finished_at TEXT NOT NULL,
    UNIQUE (design_key, replication)
);
CREATE TABLE IF NOT EXISTS kpis (
    design_key TEXT NOT NULL,
    replication INTEGER NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    kpi TEXT NOT NULL,
    value REAL,
    n INTEGER NOT NULL,
    UNIQUE (design_key, replication, scope, key, kpi)
);
CREATE TABLE IF NOT EXISTS plans (
    design_key TEXT PRIMARY KEY,
    replications INTEGER NOT NULL
);
"""
#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class SweepStore:
    """An open results store; use it as a context manager."""

    def __init__(self, path: str | Path) -> None:
        # A file that is not a sweep store (a user's notes, another database) is refused, never
        # opened for writing.
        self.path = check_database(path, SWEEP_STORE_TABLES, "a mimsim sweep store")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun and committed explicitly below.
        self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed replication survives a crash
        self._db.executescript(_SCHEMA)

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (committed replications stay)."""
        self._db.close()

    def add_design(self, design_key: str, name: str, scenario_hash: str, seed: int,
                   scenario_file: str | None, overrides: Iterable[str],
                   parameters: dict[str, object]) -> None:
        """Record a design (once; a design already recorded keeps its first row)."""
        self._db.execute(
            "INSERT OR IGNORE INTO designs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (design_key, name, scenario_hash, seed, scenario_file, json.dumps(list(overrides)),
             json.dumps(parameters), _now()))

    def plan(self, design_key: str, replications: int) -> None:
        """Record that a sweep asks ``replications`` of a design (the most ever asked is kept)."""
        self._db.execute("INSERT INTO plans VALUES (?, ?) ON CONFLICT (design_key) DO UPDATE SET "
                         "replications = MAX(replications, excluded.replications)",
                         (design_key, replications))

    def finished(self, design_key: str) -> set[int]:
        """The replications of a design already in the store."""
        rows = self._db.execute("SELECT replication FROM replications WHERE design_key = ?",
                                (design_key,))
        return {int(replication) for (replication,) in rows}

    def add_replication(self, design_key: str, replication: int, kpis: pd.DataFrame,
                        wall_s: float) -> bool:
        """Write one replication's KPI rows in one transaction; False if it was already there."""
        rows = [(design_key, replication, scope, key, kpi,
                 finite_or_none(value), int(n))
                for scope, key, kpi, value, n in
                kpis[["scope", "key", "kpi", "value", "n"]].itertuples(index=False)]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT INTO replications VALUES (?, ?, ?, ?)",
                             (design_key, replication, wall_s, _now()))
            self._db.executemany("INSERT INTO kpis VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError:  # another process stored it first: keep theirs
            self._db.execute("ROLLBACK")
            return False
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return True


def _parameter_value(text: object) -> object:
    """A parameter as the grid gave it: a number where it reads as one, else its text."""
    try:
        value = yaml.safe_load(str(text))
    except yaml.YAMLError:
        return text
    return value if isinstance(value, int | float) and not isinstance(value, bool) else text


def load_sweep(path: str | Path) -> pd.DataFrame:
    """Everything in a sweep store, one row per design × replication × KPI.

    Columns: ``design`` (its name), one column per swept parameter (its path; a number
    where the value reads as one), ``replication``, ``scope``, ``key``, ``kpi``,
    ``name`` (``P2.mtta_min`` style), ``value`` (NaN where the KPI had no
    observations), ``n``, and ``design_key``, ``scenario_hash``, ``seed``.
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"expected a sweep store; found no file at {path}")
    with sqlite3.connect(Path(path)) as db:
        designs = pd.read_sql_query("SELECT rowid AS design_order, design_key, name, "
                                    "scenario_hash, seed, parameters FROM designs", db)
        kpis = pd.read_sql_query("SELECT k.design_key, k.replication, k.scope, k.key, k.kpi, "
                                 "k.value, k.n FROM kpis k JOIN replications r ON "
                                 "k.design_key = r.design_key AND k.replication = r.replication "
                                 "ORDER BY k.rowid", db)
    parameters = [json.loads(text) for text in designs.pop("parameters")]
    paths = list(dict.fromkeys(path for row in parameters for path in row))
    for path_name in paths:
        designs[path_name] = [_parameter_value(row[path_name]) if path_name in row else None
                              for row in parameters]
    table = designs.rename(columns={"name": "design"}).merge(kpis, on="design_key", how="inner")
    table["value"] = table["value"].astype(float)
    table["name"] = [kpi_name(scope, key, kpi) for scope, key, kpi in
                     table[["scope", "key", "kpi"]].itertuples(index=False)]
    columns = ["design", *paths, "replication", "scope", "key", "kpi", "name", "value", "n",
               "design_key", "scenario_hash", "seed"]
    ordered = table.sort_values(["design_order", "replication"], kind="stable", ignore_index=True)
    return ordered[columns]


def is_sweep_store(path: str | Path) -> bool:
    """Whether ``path`` is an SQLite file with a sweep store's ``designs`` and ``kpis`` tables."""
    file = Path(path)
    if not file.is_file():
        return False
    with open(file, "rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            return False
    try:
        with sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return False
    return {"designs", "replications", "kpis"} <= tables


def sweep_designs(path: str | Path) -> pd.DataFrame:
    """One row per design of a store, in the order they were added, with its provenance.

    Columns: ``design`` (its name), ``design_key``, ``scenario_hash``, ``seed``,
    ``scenario_file``, ``overrides`` and ``parameters`` (decoded from JSON), ``created_at``,
    ``planned`` (the most replications a sweep asked of it; ``<NA>`` in a store written
    before plans were recorded), ``finished`` (replications in the store), ``wall_s``
    (their total wall time) and ``last_finished_at``.
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"expected a sweep store; found no file at {path}")
    with sqlite3.connect(Path(path)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        planned = ("(SELECT p.replications FROM plans p WHERE p.design_key = d.design_key)"
                   if "plans" in tables else "NULL")
        designs = pd.read_sql_query(
            f"SELECT d.name AS design, d.design_key, d.scenario_hash, d.seed, d.scenario_file, "
            f"d.overrides, d.parameters, d.created_at, {planned} AS planned, "
            f"(SELECT COUNT(*) FROM replications r WHERE r.design_key = d.design_key) AS finished, "
            f"(SELECT SUM(r.wall_s) FROM replications r WHERE r.design_key = d.design_key) AS wall_s, "
            f"(SELECT MAX(r.finished_at) FROM replications r WHERE r.design_key = d.design_key) "
            f"AS last_finished_at FROM designs d ORDER BY d.rowid", db)
    designs["overrides"] = [json.loads(text) for text in designs["overrides"]]
    designs["parameters"] = [json.loads(text) for text in designs["parameters"]]
    designs["planned"] = designs["planned"].astype("Int64")
    return designs
