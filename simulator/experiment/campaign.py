"""Experiment layer: replications of one or more designs, with common random numbers.

A *campaign* runs replication 0, 1, 2, ... of every design on the open executor of an
:class:`~simulator.experiment.execution.Execution`.
Replication *r* of every design uses the same random streams, so designs are
compared on the same incidents (common random numbers). The number of
replications is either fixed, or decided by the replications algorithm
(:mod:`simulator.experiment.precision`), in which case replications are added in
batches as large as the executor is wide until the rule decides, or by a sequential
comparison (:mod:`simulator.experiment.sequential`), which looks at fixed counts until
the study's questions are decided. Each finished replication is written to its
design's run directory at once.

With the execution's replication cache (:mod:`simulator.experiment.cache`), a
replication already run — the same resolved scenario, seed and index, by the same
code — is read back instead of run again, and each one computed is kept there. A
design that writes a run directory needs its event logs, so it is always run (and
kept); the cache holds KPIs, not logs.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulator.experiment.cache import design_key, replication_key, simulated_part
from simulator.experiment.execution import Execution
from simulator.experiment.precision import Decision, PrecisionRule
from simulator.experiment.replications import ReplicationResult, ReplicationTask, run_task
from simulator.experiment.rundir import RunDirectory
from simulator.experiment.sequential import PairedSeries, SequentialDecision, SequentialRule
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
    seed: int | None = None  # None: the campaign's


#: Told of each finished replication of a campaign that keeps none: (design index, result).
ResultSink = Callable[[int, ReplicationResult], None]
#: Replications looked up in the cache at once (and then run) — a bounded batch, so that a huge
#: request starts at once and holds only a batch's tasks in memory.
_BATCH = 4096


@dataclass
class Campaign:
    """Replications of several designs, run together on one executor.

    ``execution`` must be started (its executor open); the seed is the execution's, or the
    first design's scenario's, unless a design has its own. With ``sink``, finished
    replications are handed to it and not kept (a sweep's store keeps them).
    """

    designs: Sequence[Design]
    execution: Execution
    sink: ResultSink | None = None
    results: dict[tuple[int, int], ReplicationResult] = field(default_factory=dict)
    _named: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.seed = self.execution.seed_for(self.designs[0].scenario)
        self.directories = [RunDirectory(design.out_dir) if design.out_dir is not None else None
                            for design in self.designs]
        self._keys: dict[int, str] = {}
        self._simulation_keys: dict[int, str] = {}
        self.began = time.perf_counter()
        self.reused = 0  # replications read back from the cache
        self.computed = 0  # replications simulated (a twin design's counted too: see _twins)

    def seed_of(self, index: int) -> int:
        """The root seed of a design: its own, or the campaign's."""
        own = self.designs[index].seed
        return self.seed if own is None else own

    def key_of(self, index: int) -> str:
        """A design's key in the cache (computed when first needed: a sweep may have thousands)."""
        if index not in self._keys:
            self._keys[index] = design_key(self.designs[index].scenario, self.seed_of(index))
        return self._keys[index]

    def run(self, replications: range, designs: Sequence[int] | None = None) -> None:
        """Run the designs' (default: every design's) replications in ``replications`` that have
        not run yet."""
        chosen = range(len(self.designs)) if designs is None else designs
        pairs = ((index, replication) for replication in replications for index in chosen
                 if (index, replication) not in self.results)
        done = sum(1 for index, replication in self.results
                   if replication in replications and index in chosen)
        self.run_pairs(pairs, len(replications) * len(chosen) - done)

    def run_pairs(self, pairs: Iterable[tuple[int, int]], count: int) -> None:
        """Run each (design index, replication) of ``pairs`` — ``count`` of them — reading those
        the cache holds."""
        self.execution.expect(count)
        executor = self.execution.running_on()
        for batch in _batches(pairs):
            twins = self._twins(self._reuse(batch))
            tasks = [ReplicationTask(index, self.designs[index].scenario, replication,
                                     self.seed_of(index), self.designs[index].out_dir,
                                     self.execution.events_format)
                     for index, replication in twins]
            for first, result in executor.map_unordered(run_task, tasks):
                for index in twins[(first, result.replication)]:
                    self.computed += 1
                    if self.execution.cache is not None:
                        key = self.key_of(index)
                        self.execution.cache.put(replication_key(key, result.replication), key, result)
                    self._record(index, result)

    def _twins(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
        """The pairs to run, each with the designs that take its result: itself, and the designs
        whose replication is the same simulation (the same :func:`simulated_part` and seed: a
        sensitivity study ranging an input that one of its designs does not read)."""
        twins: dict[tuple[int, int], list[int]] = {}
        first_of: dict[tuple[str, int], tuple[int, int]] = {}
        for index, replication in pairs:
            if self.designs[index].out_dir is not None:  # its own event logs to write: run it
                twins[(index, replication)] = [index]
                continue
            same = (self._simulation_key_of(index), replication)
            first = first_of.setdefault(same, (index, replication))
            twins.setdefault(first, []).append(index)
        return twins

    def _simulation_key_of(self, index: int) -> str:
        if index not in self._simulation_keys:
            scenario = self.designs[index].scenario
            simulated = simulated_part(scenario)
            self._simulation_keys[index] = (self.key_of(index) if simulated is scenario
                                            else design_key(simulated, self.seed_of(index)))
        return self._simulation_keys[index]

    def _reuse(self, batch: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Record the replications of ``batch`` that the cache holds; the others, to run."""
        cache = self.execution.cache
        if cache is None:
            return batch
        # A design that writes a run directory needs its replications' event logs: run it.
        wanted = {replication_key(self.key_of(index), replication): (index, replication)
                  for index, replication in batch if self.designs[index].out_dir is None}
        found = cache.get_many(list(wanted))
        for key, result in found.items():
            self.reused += 1
            self._record(wanted[key][0], result)
        held = {wanted[key] for key in found}
        return [pair for pair in batch if pair not in held]

    def _record(self, index: int, result: ReplicationResult) -> None:
        if self.sink is not None:
            self.sink(index, result)
        else:
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

    def run_until_clear(self, rule: SequentialRule,
                        questions: Callable[[int], Sequence[PairedSeries]]) -> SequentialDecision:
        """Run every design to each of the rule's looks until ``questions(n)`` — the study's
        paired differences over replications 0 … n − 1 — are decided (or the cap is reached)."""
        looked: list[int] = []
        for look in rule.looks():
            self.run(range(look))
            decision = rule.decide(questions(look), look, looked)
            if decision is not None:
                return decision
            looked.append(look)
        raise AssertionError("the last look is at the cap, where the rule always decides")

    def value(self, index: int, replication: int, kpi: str) -> float:
        """A KPI's value (by its name across scopes) in one finished replication (NaN if absent)."""
        return self._named[(index, replication)].get(kpi, float("nan"))

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


def _batches(pairs: Iterable[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    iterator = iter(pairs)
    while batch := list(itertools.islice(iterator, _BATCH)):
        yield batch
