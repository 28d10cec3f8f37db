"""mimsim: a discrete-event simulator of how an IT organisation handles incidents.

The package is a pipeline; each layer imports only from the layers above it:

1. ``simulator.scenario``   — the scenario language: units, distributions, calendars,
   the typed and frozen schema, loading with precise error messages.
2. ``simulator.eventlog``   — the event log's vocabulary and columns: the contract
   between the model and everything after it; export for process mining.
3. ``simulator.model``      — the SimPy model: arrivals, queues, agents on shifts, SLA
   clocks; one replication at a time, with run control.
4. ``simulator.metrics``    — KPIs as pure functions of the event log (no SimPy).
5. ``simulator.experiment`` — replications on a process pool, confidence intervals,
   targets, run directories.
6. ``simulator.cli``        — the ``mimsim`` command.

For notebooks and scripts, the short way in::

    import simulator as mimsim
    scenario = mimsim.load_scenario("scenarios/baseline.yaml", ["teams.network.roster.0.headcount=4"])
    run = mimsim.run(scenario, replications=5)        # run.summary, run.kpis, run.backlog
    log = mimsim.simulate(scenario)                    # one replication's event log
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.eventlog import SimulationLog, write_events
    from simulator.experiment.execution import Execution
    from simulator.experiment.run import RunResult
    from simulator.model import Simulation
    from simulator.scenario import Scenario, ScenarioError, load_scenario

#: Where each name of the short way in lives. They are imported when first used, so that
#: ``import simulator.scenario`` (or ``mimsim validate``) does not load SimPy, pandas and SciPy.
_LAZY = {"SimulationLog": "simulator.eventlog", "write_events": "simulator.eventlog",
         "Execution": "simulator.experiment.execution",
         "RunResult": "simulator.experiment.run", "run_experiment": "simulator.experiment.run",
         "Simulation": "simulator.model", "Scenario": "simulator.scenario",
         "ScenarioError": "simulator.scenario", "load_scenario": "simulator.scenario"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")

__all__ = [
    "Execution",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "SimulationLog",
    "load_scenario",
    "run",
    "simulate",
    "write_events",
]


def run(scenario: Scenario, replications: int | None = None, seed: int | None = None,
        workers: int | None = None, out_dir: str | Path | None = None) -> RunResult:
    """Run replications of a scenario (default: its ``run.replications`` and ``run.seed``, on every
    core); see :func:`simulator.experiment.run_experiment` and :class:`Execution` for the rest."""
    from simulator.experiment.execution import Execution
    from simulator.experiment.run import run_experiment

    return run_experiment(scenario, Execution(replications, seed, workers,
                                              out_dir=None if out_dir is None else Path(out_dir)))


def simulate(scenario: Scenario, replication: int = 0, seed: int | None = None) -> SimulationLog:
    """Run one replication to its end and return its event log and duty log."""
    from simulator.model import Simulation

    simulation = Simulation(scenario, replication, seed)
    simulation.run()
    return simulation.results()
