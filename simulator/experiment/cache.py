"""Experiment layer: the replication cache — finished replications read back instead of run again.

A replication's numbers depend only on the resolved scenario, the root seed, its
index and the code that simulates and measures it. The cache keeps each finished
replication (its KPI rows, its hourly backlog, its wall time and event count) under
a key made of exactly those:

* the design key of the sweep store (:func:`design_key`: the resolved scenario
  without its name, description and replication count, and the seed);
* the replication index;
* the *code fingerprint* (:func:`code_fingerprint`): mimsim's version, a SHA-256 of
  the source of every module a replication runs (scenario, model, event log,
  metrics and the replication itself — so an edited checkout never reads numbers
  an older version made), the versions of Python, NumPy, SciPy, SimPy and pandas,
  and the machine's architecture.

Where: ``$MIMSIM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/mimsim``, else
``~/.cache/mimsim`` — a user's cache, shared by every scenario and checkout (the key
tells them apart); one SQLite file, ``replications.sqlite``. Size: at most
``$MIMSIM_CACHE_MAX_MB`` megabytes (default 1024, about 5,000 one-year replications
of the baseline); past it, the least recently used replications are deleted.

Safe under Ctrl-C, a kill and two processes at once: each replication is written in
one SQLite transaction (WAL journal), so it is in the cache whole or not at all, and
a second process waits for the first's write (or both compute the same replication,
and the first one written is kept; the numbers are the same). A cache that cannot be
read or written — a damaged file, a full disk, a read-only home — is reported once
and the study goes on without it: the cache never changes a result, only how fast it
comes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import platform
import sqlite3
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.experiment.interrupts import deferred_interrupts
from simulator.experiment.replications import ReplicationResult
from simulator.scenario.schema import Scenario

__all__ = ["CACHE_DIR_ENV", "CACHE_FILE", "CACHE_SIZE_ENV", "DEFAULT_MAX_MB", "CacheWarning",
           "ReplicationCache", "code_fingerprint", "default_cache_dir", "design_key",
           "fingerprint", "replication_key"]

CACHE_DIR_ENV = "MIMSIM_CACHE_DIR"
CACHE_SIZE_ENV = "MIMSIM_CACHE_MAX_MB"
CACHE_FILE = "replications.sqlite"
#: The default bound on the cache's size, in megabytes (a one-year replication of the
#: baseline takes about 0.2 MB: its KPI rows and its hourly backlog, as Parquet).
DEFAULT_MAX_MB = 1024
#: The table that makes an SQLite file a replication cache.
_TABLE = "cached_replications"
#: The packages of mimsim whose source decides a replication's numbers.
_NUMBER_SOURCES = ("scenario", "model", "eventlog", "metrics", "experiment/replications.py")
_LIBRARIES = ("numpy", "scipy", "simpy", "pandas")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {_TABLE} (
    key TEXT PRIMARY KEY,
    design_key TEXT NOT NULL,
    replication INTEGER NOT NULL,
    code TEXT NOT NULL,
    kpis BLOB NOT NULL,
    backlog BLOB NOT NULL,
    wall_s REAL NOT NULL,
    n_events INTEGER NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    used_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS {_TABLE}_by_use ON {_TABLE} (used_at);
"""


class CacheWarning(UserWarning):
    """The cache could not be used; the study went on without it."""


def default_cache_dir() -> Path:
    """``$MIMSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mimsim``, else ``~/.cache/mimsim``."""
    chosen = os.environ.get(CACHE_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    # The XDG specification: a relative path in the variable is invalid and is ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "mimsim"


def _max_bytes_from_environment() -> int:
    text = os.environ.get(CACHE_SIZE_ENV, "")
    try:
        megabytes = float(text) if text.strip() else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(max(megabytes, 0.0) * 1024 * 1024)


def design_key(scenario: Scenario, seed: int) -> str:
    """What a design's results depend on: its resolved content (not its name, description or
    replication count) and the seed, as a SHA-256 (the sweep store's key too)."""
    content = scenario.model_dump(mode="json", by_alias=True)
    for label in ("name", "description"):
        content.pop(label, None)
    content["run"].pop("replications", None)
    canonical = json.dumps({"scenario": content, "seed": seed}, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def simulated_part(scenario: Scenario) -> Scenario:
    """The scenario less what the model does not read (``scenario`` itself if nothing is left
    out): with the major-incident process switched on, the solo diagnosis factor, which only
    slows outages worked without the process, is set to 1. Designs whose simulated parts are
    equal simulate the same replications, number for number (a test checks it)."""
    major = scenario.major_incident
    if not major.enabled or major.solo_diagnosis_factor == 1.0:
        return scenario
    unread = major.model_copy(update={"solo_diagnosis_factor": 1.0})
    return scenario.model_copy(update={"major_incident": unread})


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def code_fingerprint() -> str:
    """A SHA-256 of everything besides the scenario, seed and index that decides a
    replication's numbers: mimsim's version and the source of the modules a replication
    runs, the versions of Python and the numerical libraries, and the architecture."""
    versions = {"mimsim": _version("mimsim"), "python": list(sys.version_info[:3]),
                "machine": platform.machine(),
                **{library: _version(library) for library in _LIBRARIES}}
    return fingerprint(Path(__file__).resolve().parents[1], versions)


def fingerprint(package: Path, versions: Mapping[str, object]) -> str:
    """The SHA-256 of ``versions`` and of the number-deciding sources under ``package``."""
    digest = hashlib.sha256(json.dumps(versions, sort_keys=True).encode())
    for source in _NUMBER_SOURCES:
        path = package / source
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(package)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def replication_key(design: str, replication: int) -> str:
    """The cache's key of replication ``replication`` of the design with key ``design``."""
    canonical = json.dumps({"design": design, "replication": replication,
                            "code": code_fingerprint()}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _to_parquet(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with deferred_interrupts():  # pandas would lose a Ctrl-C here now and then
        table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _from_parquet(blob: bytes) -> pd.DataFrame:
    with deferred_interrupts():
        return pd.read_parquet(io.BytesIO(blob))


class ReplicationCache:
    """The replication cache in ``directory`` (default: :func:`default_cache_dir`).

    ``max_bytes`` bounds its size (default: ``$MIMSIM_CACHE_MAX_MB``, else 1024 MB);
    ``notify`` hears, once, why the cache could not be used (default: a
    :class:`CacheWarning`). Each call opens the file, does its work in one transaction
    and closes it, so a cache may be shared by processes (and survives forks).
    """

    def __init__(self, directory: str | Path | None = None, max_bytes: int | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        self.directory = default_cache_dir() if directory is None else Path(directory)
        self.path = self.directory / CACHE_FILE
        self.max_bytes = _max_bytes_from_environment() if max_bytes is None else max_bytes
        self._notify = notify
        self.problem: str | None = None  # why the cache was given up, if it was
        self._ready = False

    @property
    def usable(self) -> bool:
        """False once a problem made the study give the cache up."""
        return self.problem is None

    def get_many(self, keys: Sequence[str]) -> dict[str, ReplicationResult]:
        """The cached replications among ``keys`` (a damaged entry counts as absent)."""
        if not keys or not self._open():
            return {}
        found: dict[str, ReplicationResult] = {}
        try:
            with self._connection() as db:
                for start in range(0, len(keys), 500):
                    chunk = list(keys[start:start + 500])
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(f"SELECT key, replication, kpis, backlog, wall_s, n_events "
                                      f"FROM {_TABLE} WHERE key IN ({marks})", chunk).fetchall()
                    found.update(self._decoded(rows))
                if found:
                    self._write(db, f"UPDATE {_TABLE} SET used_at = ? WHERE key = ?",
                                [(time.time(), key) for key in found])
        except sqlite3.Error as error:
            self._give_up(f"it could not be read ({error})")
            return {}
        return found

    def get(self, key: str) -> ReplicationResult | None:
        """One cached replication, or None."""
        return self.get_many([key]).get(key)

    def put(self, key: str, design: str, result: ReplicationResult) -> None:
        """Keep a finished replication (one transaction), then keep the cache within its bound."""
        if not self._open():
            return
        kpis, backlog = _to_parquet(result.kpis), _to_parquet(result.backlog)
        now = time.time()
        row = (key, design, result.replication, code_fingerprint(), kpis, backlog,
               float(result.wall_s), int(result.n_events), len(kpis) + len(backlog), now, now)
        try:
            with self._connection() as db:
                self._write(db, f"INSERT OR IGNORE INTO {_TABLE} VALUES "
                                f"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [row])
                self._trim(db)
        except sqlite3.Error as error:
            self._give_up(f"a replication could not be written to it ({error})")

    def size(self) -> tuple[int, int]:
        """(replications, bytes of their data) in the cache."""
        if not self._open():
            return 0, 0
        with self._connection() as db:
            count, total = db.execute(f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM {_TABLE}").fetchone()
        return int(count), int(total)

    def clear(self) -> int:
        """Delete every cached replication; how many there were."""
        if not self._open():
            return 0
        with self._connection() as db:
            count = int(db.execute(f"SELECT COUNT(*) FROM {_TABLE}").fetchone()[0])
            self._write(db, f"DELETE FROM {_TABLE}", [()])
            db.execute("PRAGMA incremental_vacuum")
        return count

    # -- inside ---------------------------------------------------------------------------

    def _connection(self) -> _Closing:
        return _Closing(sqlite3.connect(self.path, timeout=30.0, isolation_level=None))

    @staticmethod
    def _write(db: sqlite3.Connection, statement: str, rows: Iterable[tuple[object, ...]]) -> None:
        """``statement`` over ``rows`` in one transaction (rolled back on any error, Ctrl-C too)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(statement, rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _trim(self, db: sqlite3.Connection) -> None:
        """Delete the least recently used replications until the cache is within 90 % of its
        bound (a little room, so that every write does not evict)."""
        total = int(db.execute(f"SELECT COALESCE(SUM(size), 0) FROM {_TABLE}").fetchone()[0])
        if total <= self.max_bytes:
            return
        doomed, freed = [], 0
        for key, size in db.execute(f"SELECT key, size FROM {_TABLE} ORDER BY used_at"):
            if total - freed <= 0.9 * self.max_bytes:
                break
            doomed.append((key,))
            freed += int(size)
        self._write(db, f"DELETE FROM {_TABLE} WHERE key = ?", doomed)
        db.execute("PRAGMA incremental_vacuum")

    @staticmethod
    def _decoded(rows: Iterable[tuple[Any, ...]]) -> dict[str, ReplicationResult]:
        found = {}
        for key, replication, kpis, backlog, wall_s, n_events in rows:
            try:
                found[str(key)] = ReplicationResult(int(replication), _from_parquet(kpis),
                                                    _from_parquet(backlog), float(wall_s),
                                                    int(n_events))
            except Exception:  # a damaged entry: computed again (and rewritten) as if absent
                continue
        return found

    def _open(self) -> bool:
        """Make the file and its table on first use; False if the cache cannot be used."""
        if self.problem is not None:
            return False
        if self._ready:
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size > 0 and not _is_cache(self.path):
                self._give_up("the file is not a mimsim replication cache (it is left as it is)")
                return False
            # An empty database (a first open stopped before its table was made) is made a cache.
            with self._connection() as db:
                db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table: shrinkable
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            self._give_up(f"it could not be opened ({error})")
            return False
        self._ready = True
        return True

    def _give_up(self, why: str) -> None:
        self.problem = (f"replication cache {self.path}: {why}; going on without it (delete the "
                        f"file, or use --no-cache)")
        if self._notify is not None:
            self._notify(self.problem)
        else:
            warnings.warn(self.problem, CacheWarning, stacklevel=3)


class _Closing:
    """A connection closed on leaving its ``with`` block (sqlite3's own only commits)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("PRAGMA synchronous = NORMAL")  # with WAL: atomic, and fast enough
        return self.db

    def __exit__(self, *_: object) -> None:
        self.db.close()


def _is_cache(path: Path) -> bool:
    """Whether ``path`` is an SQLite file holding the cache's table, or none at all (a first open
    that was stopped before it made the table).

    Read through SQLite alone, read-only: a plain ``open``/``close`` of the file would drop every
    SQLite lock this process holds on it (POSIX locks belong to the process, not the descriptor),
    and another process could then checkpoint under a reader of this one.
    """
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except (OSError, sqlite3.Error):  # not an SQLite file ("file is not a database"), or unreadable
        return False
    return not tables or _TABLE in tables
