"""Experiment layer: a whole run — replications, summary, and the run directory on disk.

:func:`run_experiment` is what ``mimsim run`` and notebooks call. With an
output directory it writes, as each replication finishes, that replication's
KPI rows (``kpis.csv``), backlog series, event log and incident table; at the
end, the summary (``summary.json``) and the manifest (``manifest.json``: what
was run, with which seed and software, how long it took). If the run is
interrupted, everything already finished stays, and the manifest says so.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from simulator.experiment.replications import ReplicationResult, available_workers, run_replications
from simulator.experiment.summary import summarise, summary_document
from simulator.scenario.loader import scenario_hash
from simulator.scenario.schema import Scenario

__all__ = ["RunResult", "run_experiment"]


@dataclass
class RunResult:
    """The outcome of a run, as DataFrames.

    Attributes
    ----------
    kpis
        One row per replication × KPI (columns ``replication``, ``scope``,
        ``key``, ``kpi``, ``value``, ``n``).
    summary
        One row per KPI: ``mean``, ``ci_low``, ``ci_high`` (95 %), ``n`` replications.
    backlog
        Open tickets per team every hour, per replication.
    manifest
        What was run, how, and how long it took.
    """

    scenario: Scenario
    name: str
    seed: int
    kpis: pd.DataFrame
    summary: pd.DataFrame
    backlog: pd.DataFrame
    manifest: dict[str, object] = field(default_factory=dict)

    def document(self) -> dict[str, object]:
        """The JSON summary (the shape of ``mimsim run --format json``)."""
        replications = int(self.kpis["replication"].nunique()) if len(self.kpis) else 0
        return summary_document(self.summary, self.name, replications, self.seed)


def _versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for package in ("mimsim", "simpy", "numpy", "scipy", "pandas", "pydantic"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _manifest(scenario: Scenario, name: str, source: str | None, overrides: Sequence[str],
              seed: int, replications: int, workers: int) -> dict[str, object]:
    return {
        "scenario": name,
        "scenario_file": source,
        "scenario_hash": scenario_hash(scenario),
        "overrides": list(overrides),
        "seed": seed,
        "replications_requested": replications,
        "start": scenario.run.start.isoformat(),
        "horizon_min": scenario.run.horizon,
        "warmup_min": scenario.run.warmup,
        "random_streams": (f"numpy PCG64 from SeedSequence({seed}, spawn_key=(replication, "
                           f"blake2b-64(stream name))); one stream per purpose"),
        "workers": workers,
        "versions": _versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cores": available_workers()},
        "command": " ".join(sys.argv),
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


class _RunDirectory:
    """Writes a run's files as results come in."""

    #: What a run writes; a new run into the same directory replaces all of it.
    FILES = ("kpis.csv", "summary.json", "manifest.json")
    FOLDERS = ("events", "incidents", "backlog")

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        for name in self.FILES:
            (path / name).unlink(missing_ok=True)
        for name in self.FOLDERS:
            shutil.rmtree(path / name, ignore_errors=True)
        (path / "backlog").mkdir()
        self.kpi_file = path / "kpis.csv"

    def add(self, result: ReplicationResult) -> None:
        header = not self.kpi_file.exists()
        with self.kpi_file.open("a", encoding="utf-8") as handle:
            result.kpis.to_csv(handle, header=header, index=False)
            handle.flush()
        partial = self.path / "backlog" / f"replication-{result.replication:03d}.parquet.partial"
        result.backlog.to_parquet(partial, index=False)
        partial.replace(partial.with_suffix(""))

    def finish(self, manifest: dict[str, object], document: dict[str, object] | None) -> None:
        for partial in self.path.glob("**/*.partial"):  # left by a replication cut short
            partial.unlink()
        if document is not None:
            (self.path / "summary.json").write_text(json.dumps(document, indent=2) + "\n")
        (self.path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def run_experiment(scenario: Scenario, name: str | None = None, replications: int | None = None,
                   seed: int | None = None, workers: int | None = None,
                   out_dir: str | Path | None = None, events_format: str = "parquet",
                   source: str | None = None, overrides: Sequence[str] = (),
                   on_result: Callable[[ReplicationResult], None] | None = None) -> RunResult:
    """Run replications of a scenario and summarise them.

    Parameters
    ----------
    scenario
        The scenario (already loaded and validated).
    name
        Its name in outputs (default: the scenario's ``name``).
    replications, seed
        Default to the scenario's ``run`` settings.
    workers
        Processes to use (default: every core); the numbers do not depend on it.
    out_dir
        Where to write the run directory (nothing is written without it).
    on_result
        Called after each replication finishes (e.g. to advance a progress bar).
    """
    name = name or scenario.name
    count = scenario.run.replications if replications is None else replications
    seed = scenario.run.seed if seed is None else seed
    workers = available_workers() if workers is None else max(1, workers)
    manifest = _manifest(scenario, name, source, overrides, seed, count, workers)
    directory = _RunDirectory(Path(out_dir)) if out_dir is not None else None
    results: list[ReplicationResult] = []
    began = time.perf_counter()
    try:
        for result in run_replications(scenario, range(count), seed, workers,
                                       None if directory is None else directory.path,
                                       events_format):
            results.append(result)
            if directory is not None:
                directory.add(result)
            if on_result is not None:
                on_result(result)
    except BaseException:
        manifest |= {"interrupted": True, "replications_finished": sorted(
            result.replication for result in results),
            "wall_s": round(time.perf_counter() - began, 3)}
        if directory is not None:
            directory.finish(manifest, None)
        raise
    results.sort(key=lambda result: result.replication)
    kpis = pd.concat([result.kpis for result in results], ignore_index=True)
    backlog = pd.concat([result.backlog for result in results], ignore_index=True)
    run = RunResult(scenario, name, seed, kpis, summarise(kpis), backlog)
    manifest |= {"interrupted": False, "replications_finished": [r.replication for r in results],
                 "wall_s": round(time.perf_counter() - began, 3),
                 "replication_wall_s": [round(r.wall_s, 3) for r in results],
                 "events": sum(r.n_events for r in results)}
    run.manifest = manifest
    if directory is not None:
        directory.finish(manifest, run.document())
    return run


