"""Shared helpers for the tests: tiny scenarios built from dicts, and event traces."""

from __future__ import annotations

import copy
import signal
import subprocess
from typing import Any

import pandas as pd
import pytest

from simulator.cli.main import main
from simulator.eventlog.log import SimulationLog
from simulator.model.simulation import Simulation
from simulator.scenario.loader import parse_scenario
from simulator.scenario.schema import Scenario

#: A one-desk organisation in its simplest form: every ticket P3, handled in 10 minutes and
#: resolved at first contact; one agent around the clock. Tests override parts of it.
TINY: dict[str, Any] = {
    "name": "tiny",
    "run": {"start": "2026-01-05T00:00", "horizon": "1w", "warmup": "0m", "replications": 1,
            "seed": 7},
    "arrivals": {"calls": {"at": ["10m"]}},
    "priorities": {"P1": {}, "P2": {}, "P3": {}, "P4": {}},
    "teams": {"desk": {"agents": 1}},
    "flow": {"desk": {"team": "desk", "handling": "10m", "first_contact_resolution": 1.0}},
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` merged in (None deletes a key)."""
    result = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def scenario(changes: dict[str, Any] | None = None, base: dict[str, Any] | None = None) -> Scenario:
    """A validated scenario: ``TINY`` (or ``base``) with ``changes``."""
    return parse_scenario(merge(base or TINY, changes or {}), "test")


def simulate(changes: dict[str, Any] | None = None, replication: int = 0,
             base: dict[str, Any] | None = None) -> SimulationLog:
    """Run one replication of a tiny scenario to its end."""
    simulation = Simulation(scenario(changes, base), replication)
    simulation.run()
    return simulation.results()


def trace(log: SimulationLog, agents: bool = True) -> list[tuple[Any, ...]]:
    """The event log as (minute, case, activity, team[, agent]) tuples, in order."""
    events = log.events.sort_values("seq")
    minutes = (events["timestamp"] - pd.Timestamp(log.start)).dt.total_seconds() / 60.0
    rows = []
    for minute, row in zip(minutes, events.itertuples(index=False), strict=True):
        item: tuple[Any, ...] = (round(float(minute), 6), row.case_id, row.activity, row.team)
        if agents:
            item += (None if pd.isna(row.agent) else row.agent,)
        rows.append(item)
    return rows


def run_cli(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the ``mimsim`` command in this process: exit code, stdout and stderr."""
    try:
        main(arguments)
        code = 0
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err



def interruptible(*arguments: Any, **options: Any) -> subprocess.Popen[str]:
    """``subprocess.Popen`` for a process a test will interrupt with Ctrl-C. A suite started in the
    background by a non-interactive shell ignores SIGINT, and a child inherits an ignored signal
    (it would never see the test's Ctrl-C); a handled one is reset to the default in the child,
    so the handler is put back for the moment of the start."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(*arguments, **options)
    finally:
        signal.signal(signal.SIGINT, previous)
