"""Experiment layer: the run directory on disk, and the manifest that describes a run.

A run directory holds, written as each replication finishes: ``kpis.csv`` (one
row per replication × KPI), ``backlog/``, ``events/``, ``incidents/`` and
``hourly/`` (one file per replication); and ``manifest.json`` — at the start, with
``"state": "running"``, and again at the end with ``"finished"`` or ``"interrupted"`` —
and, for a finished run, ``summary.json``. A file being written ends in ``.partial`` until
it is complete. A run writes only into a new directory or one mimsim made
(:mod:`simulator.experiment.outputs`), and empties it first: nothing of an earlier or a
killed run mixes with the new one.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pandas as pd

from simulator.experiment.executors import available_workers
from simulator.experiment.interrupts import deferred_interrupts
from simulator.experiment.outputs import prepare_run_directory, write_manifest
from simulator.experiment.replications import ReplicationResult
from simulator.experiment.summary import scenario_targets
from simulator.scenario.loader import scenario_hash
from simulator.scenario.parameters import scenario_parameters
from simulator.scenario.schema import Scenario

__all__ = ["RunDirectory", "describe_run"]


def _versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for package in ("mimsim", "simpy", "numpy", "scipy", "pandas", "pydantic", "distributed"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def describe_run(scenario: Scenario, name: str, source: str | None, overrides: Iterable[str],
                 seed: int, executor: str) -> dict[str, object]:
    """The manifest's opening: what is run, with which seed, software and machine.

    It also lists every parameter of the resolved scenario with its value, and its targets,
    so that a run directory describes its run on its own (the report's appendix reads them).
    """
    return {
        "scenario": name,
        "scenario_file": source,
        "scenario_hash": scenario_hash(scenario),
        "overrides": list(overrides),
        "seed": seed,
        "start": scenario.run.start.isoformat(),
        "horizon_min": scenario.run.horizon,
        "warmup_min": scenario.run.warmup,
        "random_streams": (f"numpy PCG64 from SeedSequence({seed}, spawn_key=(replication, "
                           f"blake2b-64(stream name))); one stream per purpose"),
        "executor": executor,
        "versions": _versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cores": available_workers()},
        "command": " ".join(sys.argv),
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "description": scenario.description,
        "targets": [{"scope": target.scope, "kpi": target.kpi, "operator": target.operator,
                     "value": target.value} for target in scenario_targets(scenario)],
        "parameters": [list(row) for row in scenario_parameters(scenario)],
    }


class RunDirectory:
    """Writes a run's files as its replications finish."""

    FOLDERS = ("events", "incidents", "backlog", "hourly")

    def __init__(self, path: Path) -> None:
        self.path = prepare_run_directory(path)
        (self.path / "backlog").mkdir()
        self.kpi_file = self.path / "kpis.csv"

    def begin(self, manifest: dict[str, object]) -> None:
        """Describe the run in its manifest before any replication is written."""
        write_manifest(self.path, {**manifest, "state": "running"})

    def add(self, result: ReplicationResult) -> None:
        """Keep one finished replication: its KPI rows and its backlog series."""
        with deferred_interrupts():  # pandas would lose a Ctrl-C here now and then
            rows = result.kpis.to_csv(header=not self.kpi_file.exists(), index=False)
            with self.kpi_file.open("a", encoding="utf-8") as handle:
                handle.write(rows)  # one write: a killed run leaves whole replications, not half rows
            partial = self.path / "backlog" / f"replication-{result.replication:03d}.parquet.partial"
            result.backlog.to_parquet(partial, index=False)
            partial.replace(partial.with_suffix(""))

    def keep_only(self, replications: int) -> None:
        """Drop replications numbered ``replications`` and above (run past a stopping rule)."""
        if self.kpi_file.exists():
            rows = pd.read_csv(self.kpi_file, keep_default_na=False, na_values=[""])
            rows[rows["replication"] < replications].to_csv(self.kpi_file, index=False)
        for folder in self.FOLDERS:
            for file in (self.path / folder).glob("replication-*"):
                if int(file.name.split("-")[1].split(".")[0]) >= replications:
                    file.unlink()

    def finish(self, manifest: dict[str, object], document: dict[str, object] | None) -> None:
        """Write the manifest (and the summary, for a run that finished)."""
        for partial in self.path.glob("**/*.partial"):  # left by a replication cut short
            partial.unlink()
        if document is not None:
            partial = self.path / "summary.json.partial"
            partial.write_text(json.dumps(document, indent=2) + "\n")
            partial.replace(self.path / "summary.json")
        state = "interrupted" if document is None else "finished"
        write_manifest(self.path, {**manifest, "state": state})
