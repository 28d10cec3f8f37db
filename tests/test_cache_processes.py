"""The replication cache under real processes (issue 16 item 3): Ctrl-C while it is being
written, and two commands filling it at once.

Each test starts real ``mimsim compare`` processes on a cache of its own and checks, afterwards,
that the SQLite file is sound, that every replication in it reads back whole, and that a run
from the cache prints exactly what a run without it prints.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import IO

import pytest

from simulator.experiment.cache import CACHE_DIR_ENV, CACHE_FILE
from tests.helpers import interruptible

#: Real processes, signalled mid-run: subprocess tests, out of the fast subset.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
MMC = ROOT / "scenarios" / "mmc.yaml"
#: 3 designs × 8 replications of 20 weeks: about 7 s on an idle 2-core machine, long enough for
#: three interruptions to land mid-study.
STUDY = 24
COMPARE = ["compare", str(MMC), "--vary", "teams.agents.agents=11", "--vary", "teams.agents.agents=12",
           "-r", "8", "-j", "2", "--seed", "5", "--set", "run.horizon=20w", "--set", "run.warmup=2d",
           "--format", "json"]


def start(arguments: list[str], cache: Path) -> subprocess.Popen[str]:
    """A ``mimsim`` process on ``cache``; its stdout (about 100 KB of JSON) goes to a file, not a
    pipe, so that a process that finished while the test was polling the cache is not left
    blocked on a full pipe. ``finish`` collects it."""
    output = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by finish()
    process = interruptible([sys.executable, "-m", "simulator", *arguments], cwd=ROOT, text=True,
                               stdout=output, stderr=subprocess.PIPE,
                               env={**os.environ, CACHE_DIR_ENV: str(cache)})
    _OUTPUTS[process.pid] = output
    return process


_OUTPUTS: dict[int, IO[str]] = {}


def finish(process: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Wait for ``process``: (its stdout, its stderr)."""
    _, err = process.communicate(timeout=timeout)
    output = _OUTPUTS.pop(process.pid)
    output.seek(0)
    out = output.read()
    output.close()
    return out, err


def cached(cache: Path) -> int:
    """How many replications the cache holds (0 before its table exists).

    Every connection here is closed explicitly: ``with sqlite3.connect(...)`` only commits, and a
    connection left for the garbage collector keeps this process's view of the WAL index alive
    after the commands under test have checkpointed and removed it — the test itself then reads
    a sound file as "malformed".
    """
    try:
        with closing(sqlite3.connect(f"{(cache / CACHE_FILE).resolve().as_uri()}?mode=ro",
                                     uri=True)) as db:
            return int(db.execute("SELECT COUNT(*) FROM cached_replications").fetchone()[0])
    except sqlite3.Error:
        return 0


def sound(cache: Path) -> list[tuple[str, int]]:
    """Check the file and return (design key, replication) of every entry, each read back whole."""
    from simulator.experiment.cache import ReplicationCache

    with closing(sqlite3.connect(cache / CACHE_FILE)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT key, design_key, replication FROM cached_replications").fetchall()
    reader = ReplicationCache(cache, notify=pytest.fail)
    found = reader.get_many([key for key, _, _ in rows])
    assert len(found) == len(rows)  # every entry decodes: none was written in part
    for key, _, replication in rows:
        assert found[key].replication == replication and len(found[key].kpis) > 50
    return sorted((design, replication) for _, design, replication in rows)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What the comparison prints when every replication is simulated (no cache)."""
    done = subprocess.run([sys.executable, "-m", "simulator", *COMPARE, "--no-cache"], cwd=ROOT,
                          text=True, capture_output=True, check=True,
                          env={**os.environ, CACHE_DIR_ENV: str(tmp_path_factory.mktemp("unused"))})
    return done.stdout


def test_ctrl_c_while_the_cache_is_written_leaves_it_sound_and_the_numbers_exact(
        tmp_path: Path, reference: str) -> None:
    cache = tmp_path / "cache"
    for wanted in (2, 7, 13):
        # At least one entry this process wrote itself: an earlier one may have cached more than
        # `wanted` already, and Ctrl-C before this one's start-up is over is Python's, not ours.
        enough = max(wanted, cached(cache) + 1)
        assert enough < STUDY, f"the study finished before interruption {wanted} (cache: {enough - 1})"
        process = start(COMPARE, cache)
        deadline = time.monotonic() + 1200  # generous: the shared machine may be loaded 10-fold
        while cached(cache) < enough:
            if process.poll() is not None:
                pytest.fail(f"the comparison ended before {wanted} replications were cached: "
                            f"{finish(process, 60)[1]}")
            assert time.monotonic() < deadline, f"fewer than {wanted} cached after 1,200 s"
            assert cached(cache) < STUDY, "the study finished before the Ctrl-C: nothing to interrupt"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = finish(process, 60)
        assert process.returncode == 130, err
        assert "Traceback" not in err
        entries = sound(cache)
        assert len(entries) == len(set(entries)) >= wanted
    finished = start(COMPARE, cache)
    out, err = finish(finished, 600)
    assert finished.returncode == 0, err
    assert out == reference  # read back or computed, the same numbers
    assert "read back from the cache" in err
    assert len(sound(cache)) == STUDY


#: A process that does nothing but write replications into the cache, as fast as it can.
_WRITER = """
import sys
import pandas as pd
from simulator.experiment.cache import ReplicationCache
from simulator.experiment.replications import ReplicationResult
kpis = pd.DataFrame({"replication": 0, "scope": "overall", "key": "", "kpi": [f"k{i}" for i in range(120)],
                     "value": [i / 7 for i in range(120)], "n": 1})
backlog = pd.DataFrame({"replication": 0, "time": pd.date_range("2026-01-05", periods=5000, freq="h"),
                        "team": "desk", "open": range(5000)})
cache = ReplicationCache(sys.argv[1], notify=lambda problem: sys.exit(problem))
start = int(sys.argv[2])
print("writing", flush=True)
for replication in range(start, start + 100_000):
    cache.put(f"key-{replication}", "design", ReplicationResult(replication, kpis, backlog, 0.5, 9))
"""


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL], ids=["Ctrl-C", "kill -9"])
def test_a_writer_stopped_at_any_moment_leaves_every_entry_whole(tmp_path: Path,
                                                                  signal_number: int) -> None:
    cache = tmp_path / "cache"
    for round_number in range(6):
        writer = interruptible([sys.executable, "-c", _WRITER, str(cache), str(1000 * round_number)],
                                  cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        before = cached(cache)
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        deadline = time.monotonic() + 60  # on a loaded machine, a first entry can take a while
        while cached(cache) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.04 + 0.11 * round_number)  # a different moment of a later write each time
        writer.send_signal(signal_number)
        try:
            _, err = writer.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # the signal was lost: say what the writer printed
            writer.kill()
            _, err = writer.communicate()
            pytest.fail(f"round {round_number}: the writer went on writing 60 s after signal "
                        f"{signal_number}; its stderr ends: {err[-2000:]}")
        assert writer.returncode in (-signal_number, 1), err  # Ctrl-C: KeyboardInterrupt, exit 1
        assert "database" not in err.lower()  # no SQLite error on the way out
    entries = sound(cache)
    assert len(entries) >= 6 and len(set(entries)) == len(entries)  # at least one a round


def test_two_commands_at_once_share_the_cache_and_print_the_same(tmp_path: Path,
                                                                  reference: str) -> None:
    cache = tmp_path / "cache"
    first, second = start(COMPARE, cache), start(COMPARE, cache)
    outputs = [finish(process, 900) for process in (first, second)]
    for process, (out, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err
        assert out == reference
        assert "Traceback" not in err and "going on without it" not in err
    entries = sound(cache)
    assert len(entries) == STUDY and len(set(entries)) == STUDY  # each replication once
    again = start(COMPARE, cache)
    out, err = finish(again, 300)
    assert out == reference and f"{STUDY} replications read back from the cache" in err
