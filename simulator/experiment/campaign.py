"""Experiment layer: replications of one or more designs, with common random numbers.

A *campaign* runs replication 0, 1, 2, ... of every design on the open executor of an
:class:`~simulator.experiment.execution.Execution`.
Replication *r* of every design uses the same random streams, so designs are
compared on the same incidents (common random numbers). The number of
replications is either fixed, or decided by the replications algorithm
(:mod:`simulator.experiment.precision`), in which case replications are added in
batches as large as the executor is wide until the rule decides. Each finished
replication is written to its design's run directory at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulator.experiment.execution import Execution
from simulator.experiment.precision import Decision, PrecisionRule
from simulator.experiment.replications import ReplicationResult, ReplicationTask, run_task
from simulator.experiment.rundir import RunDirectory
from simulator.scenario.schema import Scenario

__all__ = ["Campaign", "Design", "kpi_name", "named_values"]


def kpi_name(scope: str, key: str, kpi: str) -> str:
    """A KPI's name across scopes: ``mtta_min``, ``P2.mtta_min`` or ``service_desk.utilisation``."""
    return kpi if scope == "overall" else f"{key}.{kpi}"


def named_values(kpis: pd.DataFrame) -> dict[str, float]:
    """One replication's KPI values by their names across scopes."""
    return {kpi_name(scope, key, kpi): float(value) for scope, key, kpi, value in
            kpis[["scope", "key", "kpi", "value"]].itertuples(index=False)}


@dataclass(frozen=True)
class Design:
    """One scenario to run, under the name it has in the outputs."""

    name: str
    scenario: Scenario
    out_dir: Path | None = None


@dataclass
class Campaign:
    """Replications of several designs, run together on one executor.

    ``execution`` must be started (its executor open); the seed is the execution's, or the
    first design's scenario's.
    """

    designs: Sequence[Design]
    execution: Execution
    results: dict[tuple[int, int], ReplicationResult] = field(default_factory=dict)
    _named: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.seed = self.execution.seed_for(self.designs[0].scenario)
        self.directories = [RunDirectory(design.out_dir) if design.out_dir is not None else None
                            for design in self.designs]
        self.began = time.perf_counter()

    def run(self, replications: range) -> None:
        """Run every design's replications in ``replications`` that have not run yet."""
        # A generator, not a list: an executor takes tasks as workers free up, so a huge
        # request starts at once and holds only what is running in memory.
        tasks = (ReplicationTask(index, design.scenario, replication, self.seed,
                                 design.out_dir, self.execution.events_format)
                 for replication in replications for index, design in enumerate(self.designs)
                 if (index, replication) not in self.results)
        done = sum(1 for _, replication in self.results if replication in replications)
        self.execution.expect(len(replications) * len(self.designs) - done)
        for index, result in self.execution.running_on().map_unordered(run_task, tasks):
            self.results[(index, result.replication)] = result
            self._named[(index, result.replication)] = named_values(result.kpis)
            directory = self.directories[index]
            if directory is not None:
                directory.add(result)
            self.execution.finished(self.designs[index].name, result)

    def run_replications(self, wanted: int | PrecisionRule) -> Decision | None:
        """Run a fixed number of replications, or until the rule decides (its decision)."""
        if isinstance(wanted, PrecisionRule):
            return self.run_until(wanted)
        self.run(range(wanted))
        return None

    def run_until(self, rule: PrecisionRule) -> Decision:
        """Add replications until the rule decides; keep only those it used."""
        while True:
            available = self.finished()
            decision = rule.decide(self.values(rule.kpis, available))
            if decision is not None:
                self.keep_only(decision.used)
                return decision
            wanted = max(rule.needed(available), min(rule.cap, available + self.execution.width))
            self.run(range(available, wanted))

    def finished(self) -> int:
        """How many replications every design has finished, counting from 0 without gaps."""
        count = 0
        while all((index, count) in self.results for index in range(len(self.designs))):
            count += 1
        return count

    def values(self, kpis: Sequence[str], replications: int) -> dict[str, list[float]]:
        """Per design and KPI, the values of replications 0 … ``replications`` − 1, in order."""
        series: dict[str, list[float]] = {}
        for index, design in enumerate(self.designs):
            for kpi in kpis:
                label = kpi if len(self.designs) == 1 else f"{design.name}: {kpi}"
                series[label] = [self._named[(index, replication)].get(kpi, float("nan"))
                                 for replication in range(replications)]
        return series

    def keep_only(self, replications: int) -> None:
        """Forget (and delete from disk) replications numbered ``replications`` and above."""
        for key in [key for key in self.results if key[1] >= replications]:
            del self.results[key]
            del self._named[key]
        for directory in self.directories:
            if directory is not None:
                directory.keep_only(replications)

    def kpis(self, index: int) -> pd.DataFrame:
        """A design's per-replication KPI rows, in replication order."""
        results = sorted((result for (design, _), result in self.results.items()
                          if design == index), key=lambda result: result.replication)
        if not results:
            return pd.DataFrame(columns=["replication", "scope", "key", "kpi", "value", "n"])
        return pd.concat([result.kpis for result in results], ignore_index=True)

    def backlog(self, index: int) -> pd.DataFrame:
        """A design's hourly backlog series, all replications."""
        results = sorted((result for (design, _), result in self.results.items()
                          if design == index), key=lambda result: result.replication)
        if not results:
            return pd.DataFrame(columns=["replication", "time", "team", "open"])
        return pd.concat([result.backlog for result in results], ignore_index=True)

    def replications_of(self, index: int) -> list[int]:
        """The replications a design has finished."""
        return sorted(replication for design, replication in self.results if design == index)

    def elapsed(self) -> float:
        """Seconds since the campaign started."""
        return round(time.perf_counter() - self.began, 3)
