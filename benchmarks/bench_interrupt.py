"""Benchmark: how soon ``mimsim`` ends after Ctrl-C (SIGINT) or ``kill`` (SIGTERM).

Starts real commands — ``run`` on 2 workers and serially, ``sweep`` on 2 workers, each on the
baseline or M/M/c scenario shortened to 6 weeks — waits until two replications are written,
sends the signal, and times the signal to the process's exit. Prints each time and the exit code
(130 for SIGINT, 143 for SIGTERM), with the load average.

Usage: ``python benchmarks/bench_interrupt.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parents[1]
RUN = ["run", "scenarios/baseline.yaml", "-r", "12", "--set", "run.horizon=6w", "--set",
       "run.warmup=1w", "--out", "{tmp}/run"]
SWEEP = ["sweep", "scenarios/mmc.yaml", "--grid", "teams.agents.agents=10,11,12", "-r", "6", "-j",
         "2", "--set", "run.horizon=6w", "--set", "run.warmup=1w", "--store", "{tmp}/s.sqlite"]


def _run_started(folder: Path) -> bool:
    kpis = folder / "run" / "kpis.csv"
    return kpis.exists() and kpis.read_text().count("\n") > 200


def _sweep_started(folder: Path) -> bool:
    store = folder / "s.sqlite"
    if not store.exists():
        return False
    try:
        with sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM replications").fetchone()[0]) >= 2
    except sqlite3.Error:
        return False


def _stop(arguments: list[str], started: Callable[[Path], bool], number: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        command = [argument.format(tmp=folder) for argument in arguments]
        process = subprocess.Popen([sys.executable, "-m", "simulator", *command], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not started(Path(folder)):
            time.sleep(0.05)
        os.kill(process.pid, number)
        sent = time.monotonic()
        process.wait()
        return time.monotonic() - sent, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    cases = [("run -j 2, SIGINT", [*RUN, "-j", "2"], _run_started, signal.SIGINT),
             ("run -j 1, SIGINT", [*RUN, "-j", "1"], _run_started, signal.SIGINT),
             ("sweep -j 2, SIGINT", SWEEP, _sweep_started, signal.SIGINT),
             ("run -j 2, SIGTERM", [*RUN, "-j", "2"], _run_started, signal.SIGTERM)]
    for label, arguments, started, number in cases:
        times = [_stop(arguments, started, number) for _ in range(options.repeats)]
        print(f"{label}: " + ", ".join(f"{seconds:.2f} s (exit {code})" for seconds, code in times)
              + f"; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
