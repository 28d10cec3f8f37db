"""Shared run directories for the report tests: a small run of with-mim and a small comparison.

Each is made once per test process (session scope) through the command line, as a user would,
with run sizes small enough to take seconds: 6 weeks, 1 of them warm-up, 2 replications.
"""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def mim_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory of with-mim with its report (``mimsim run --out DIR --report``)."""
    out = tmp_path_factory.mktemp("with-mim") / "run"
    mimsim("run", str(SCENARIOS / "with-mim.yaml"), *SMALL, "--out", str(out), "--report")
    return out


@pytest.fixture(scope="session")
def comparison_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A comparison directory: baseline against a fourth network engineer, and its report."""
    out = tmp_path_factory.mktemp("compare") / "network4"
    mimsim("compare", str(SCENARIOS / "baseline.yaml"), "--vary", "teams.network.roster.0.headcount=4",
           *SMALL, "-o", str(out))
    mimsim("report", str(out))
    return out
