"""Experiment layer: a factorial sweep over scenario keys, resumable from its results store.

Every combination of the grid's values is a *design* (the base scenario with those
``--set`` changes). Replication *r* of every design uses the same random numbers
(common random numbers), as in ``compare``. Each finished replication goes into the
store (:mod:`simulator.experiment.store`) in one transaction, so running the same
sweep again — after Ctrl-C, a killed process or a lost Dask worker — computes only
the design × replication pairs the store does not hold yet, and the numbers are the
same as an uninterrupted sweep's: a replication depends only on (scenario, seed, r).
The replications run as a :class:`~simulator.experiment.campaign.Campaign`, so with the
execution's replication cache a design that ``compare``, ``staff`` or another sweep
already ran is read from there into the store instead of run again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulator.experiment.cache import design_key
from simulator.experiment.campaign import Campaign, Design
from simulator.experiment.execution import Execution
from simulator.experiment.grid import GridError, Parameter, design_name, factorial
from simulator.experiment.replications import ReplicationResult
from simulator.experiment.store import SweepStore, load_sweep
from simulator.experiment.summary import kpi_interval
from simulator.scenario.loader import load_scenario, scenario_hash
from simulator.scenario.schema import Scenario

__all__ = ["SweepDesign", "SweepOutcome", "design_key", "plan_sweep", "run_sweep", "sweep_summary"]
# design_key lives with the replication cache (whose key it is too); it is re-exported here.


@dataclass(frozen=True)
class SweepDesign:
    """One design of a sweep: its name, scenario, the grid values that made it, and its seed."""

    name: str
    scenario: Scenario
    assignments: tuple[str, ...]
    seed: int

    @property
    def key(self) -> str:
        """The store's key for this design's results."""
        return design_key(self.scenario, self.seed)

    def parameters(self) -> dict[str, object]:
        """``{path: value text}`` of the grid values."""
        pairs = (item.split("=", 1) for item in self.assignments)
        return {path: value for path, value in pairs}


def plan_sweep(scenario_file: str | Path, parameters: Sequence[Parameter],
               overrides: Sequence[str] = (), seed: int | None = None) -> list[SweepDesign]:
    """Every design of the grid, loaded and validated (a bad value raises ``ScenarioError``)."""
    stem = Path(scenario_file).stem
    designs: dict[str, SweepDesign] = {}
    for assignments in factorial(parameters):
        scenario = load_scenario(scenario_file, (*overrides, *assignments))
        design = SweepDesign(design_name(stem, assignments), scenario, assignments,
                             scenario.run.seed if seed is None else seed)
        same = designs.setdefault(design.key, design)
        if same is not design:  # e.g. 60m and 1h: one design, which the store would keep once
            raise GridError(f"expected values that make different designs; found "
                            f"{', '.join(same.assignments)} and {', '.join(design.assignments)}, "
                            f"the same scenario")
    return list(designs.values())


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep did: how many replications it found stored, and how many it added to the
    store (``computed``: simulated, or read from the replication cache — ``reused`` of them)."""

    store: Path
    designs: list[SweepDesign]
    replications: int
    already_stored: int
    computed: int
    reused: int = 0

    def results(self) -> pd.DataFrame:
        """This sweep's designs' rows from the store (see :func:`load_sweep`)."""
        table = load_sweep(self.store)
        keys = {design.key for design in self.designs}
        chosen = table[table["design_key"].isin(keys) & (table["replication"] < self.replications)]
        return chosen.dropna(axis=1, how="all").reset_index(drop=True)


def run_sweep(designs: Sequence[SweepDesign], store_path: str | Path, execution: Execution | None = None,
              *, scenario_file: str | None = None, overrides: Sequence[str] = ()) -> SweepOutcome:
    """Run every design's replications 0 … N − 1 that the store lacks.

    N is ``execution``'s whole number of replications (default: the first design's
    ``run.replications``); each design runs with its own seed, which :func:`plan_sweep`
    chose. Each finished replication is committed at once; ``execution.progress`` is told
    first how many remain, then of each. ``scenario_file`` and ``overrides`` are recorded
    in the store.
    """
    execution = (execution or Execution()).writing_nothing("a sweep (its results go to the store)")
    replications = execution.fixed_replications(designs[0].scenario, "a sweep")
    for design in designs:
        if execution.seed is not None and design.seed != execution.seed:
            raise ValueError(f"expected the designs planned with seed {execution.seed}; found "
                             f"{design.name} with seed {design.seed}")
    pairs: list[tuple[int, int]] = []
    already = computed = reused = 0
    with SweepStore(store_path) as store:
        for index, design in enumerate(designs):
            store.add_design(design.key, design.name, scenario_hash(design.scenario), design.seed,
                             scenario_file, overrides, design.parameters())
            store.plan(design.key, replications)
            done = store.finished(design.key)
            already += sum(1 for replication in range(replications) if replication in done)
            pairs.extend((index, replication) for replication in range(replications)
                         if replication not in done)

        def keep(index: int, result: ReplicationResult) -> None:
            nonlocal computed
            if store.add_replication(designs[index].key, result.replication, result.kpis,
                                     result.wall_s):
                computed += 1

        if pairs:
            with execution.started(len(pairs)) as running:
                campaign = Campaign([Design(design.name, design.scenario, None, design.seed)
                                     for design in designs], running, sink=keep)
                campaign.run_pairs(pairs, len(pairs))
                reused = campaign.reused
    return SweepOutcome(Path(store_path), list(designs), replications, already, computed, reused)


def sweep_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per design and KPI name: ``mean``, ``ci_low``, ``ci_high`` (95 %), ``n`` replications.

    ``table`` is what :func:`load_sweep` returns; the parameter columns are kept. Each
    interval is clipped to the KPI's possible values, as in :func:`summarise`.
    """
    fixed = {"replication", "scope", "key", "kpi", "name", "value", "n"}
    keys = [column for column in table.columns if column not in fixed]
    rows = []
    for (design, name), group in table.groupby(["design", "name"], sort=False):
        first = group.iloc[0]
        mean, low, high, n = kpi_interval(str(first["kpi"]), group["value"])
        rows.append({**{column: first[column] for column in keys}, "design": design, "kpi": name,
                     "mean": mean, "ci_low": low, "ci_high": high, "n": n})
    return pd.DataFrame(rows)
