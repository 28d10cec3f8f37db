"""Shared run directories for the report tests: a small run of with-mim and a small comparison.

Each is made once per test session through the command line, as a user would, with run sizes
small enough to take seconds: 6 weeks, 1 of them warm-up, 2 replications. Under pytest-xdist the
workers share them: the first to need one makes it while holding a lock, the others wait and
reuse it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.cli.main import main

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SMALL = ["-r", "2", "-j", "1", "--set", "run.horizon=6w", "--set", "run.warmup=1w"]


def mimsim(*arguments: str) -> None:
    """Run a ``mimsim`` command in this process; fail the test if it exits with an error."""
    try:
        main(list(arguments))
    except SystemExit as stopped:
        assert not stopped.code, f"mimsim {' '.join(arguments)} exited with {stopped.code}"


def shared(factory: pytest.TempPathFactory, worker_id: str, name: str, make: Callable[[Path], None]) -> Path:
    """The directory ``name``, made by ``make`` once for the whole session (all xdist workers)."""
    root = factory.getbasetemp() if worker_id == "master" else factory.getbasetemp().parent
    out = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f"{name}.done").exists():
            make(out)
            (root / f"{name}.done").touch()
    return out


@pytest.fixture(scope="session")
def mim_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A run directory of with-mim with its report (``mimsim run --out DIR --report``)."""
    return shared(tmp_path_factory, worker_id, "with-mim-run", lambda out: mimsim(
        "run", str(SCENARIOS / "with-mim.yaml"), *SMALL, "--out", str(out), "--report"))


def _compare(out: Path) -> None:
    mimsim("compare", str(SCENARIOS / "baseline.yaml"), "--vary", "teams.network.roster.0.headcount=4",
           *SMALL, "-o", str(out))
    mimsim("report", str(out))


@pytest.fixture(scope="session")
def comparison_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A comparison directory: baseline against a fourth network engineer, and its report."""
    return shared(tmp_path_factory, worker_id, "network4-comparison", _compare)


#: A tiny sweep of mmc.yaml: 2 × 2 designs, 2 replications of 3 weeks, a target on mtta_min.
SWEEP = ["--grid", "teams.agents.agents=10,11", "--grid", "flow.desk.handling.mean=55m,60m", "-r", "2",
         "-j", "1", "--set", "run.horizon=3w", "--set", "run.warmup=1w", "--set", "targets.mtta_min=<= 5"]


@pytest.fixture(scope="session")
def sweep_store(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A finished sweep store (``mimsim sweep … --store``), and its report next to it."""
    directory = shared(tmp_path_factory, worker_id, "mmc-sweep", lambda out: (
        mimsim("sweep", str(SCENARIOS / "mmc.yaml"), *SWEEP, "--store", str(out / "mmc.sqlite")),
        mimsim("report", str(out / "mmc.sqlite"))))
    return directory / "mmc.sqlite"
