"""Reporting layer: reading a run directory (``mimsim run -o``) or a comparison (``mimsim compare -o``).

Everything a report shows comes from these files, so a report can be made
long after the run, on another machine: ``manifest.json`` (what was run, the
scenario's parameters and targets), ``kpis.csv``, and per replication
``backlog/``, ``incidents/``, ``hourly/`` and ``events/`` (only the rows of
outages and changes are read from the event logs, for the major-incident
timeline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.experiment.summary import summarise
from simulator.scenario.targets import Target

__all__ = ["Comparison", "RunData", "is_comparison", "read_comparison", "read_run"]

_INCIDENT_COLUMNS = ["priority", "arrived_min", "resolved_min", "is_resolved"]
_MILESTONE_CASES = [[("case:concept:name", ">=", "OUT"), ("case:concept:name", "<", "OUU")],
                    [("case:concept:name", ">=", "CHG"), ("case:concept:name", "<", "CHH")]]
_MILESTONE_COLUMNS = ["case:concept:name", "concept:name", "time:timestamp", "parent"]


@dataclass
class RunData:
    """One run directory, read: the manifest and the tables of every replication."""

    path: Path
    manifest: dict[str, Any]
    kpis: pd.DataFrame
    summary: pd.DataFrame
    backlog: pd.DataFrame
    incidents: pd.DataFrame
    hourly: pd.DataFrame
    milestones: pd.DataFrame | None  # outage and change rows of the event logs (None: unreadable)

    @property
    def name(self) -> str:
        """The run's scenario name as the manifest gives it."""
        return str(self.manifest.get("scenario", self.path.name))

    @property
    def start(self) -> pd.Timestamp:
        """The datetime of simulation minute 0."""
        return pd.Timestamp(self.manifest["start"])

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter of the scenario with its value (empty for an older run directory)."""
        return {key: value for key, value in self.manifest.get("parameters", [])}

    @property
    def targets(self) -> list[Target]:
        """The scenario's targets as the manifest records them."""
        return [Target(item["scope"], item["kpi"], item["operator"], float(item["value"]))
                for item in self.manifest.get("targets", [])]

    def has_section(self, prefix: str) -> bool:
        """Whether the scenario sets any parameter under ``prefix`` (e.g. ``"changes.normal"``)."""
        return any(key.startswith(prefix) for key in self.parameters)


def _per_replication(folder: Path, columns: list[str] | None = None) -> pd.DataFrame:
    frames = []
    for file in sorted(folder.glob("replication-*.parquet")):
        frame = pd.read_parquet(file, columns=columns)
        if "replication" not in frame:
            frame.insert(0, "replication", int(file.name.split("-")[1].split(".")[0]))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _milestones(folder: Path) -> pd.DataFrame | None:
    """The outage and change rows of every replication's event log (Parquet or CSV)."""
    frames = []
    for file in sorted(folder.glob("replication-*.*")):
        replication = int(file.name.split("-")[1].split(".")[0])
        if file.suffix == ".parquet":
            frame = pd.read_parquet(file, columns=_MILESTONE_COLUMNS, filters=_MILESTONE_CASES)
        elif file.suffix == ".csv":
            frame = pd.read_csv(file, usecols=_MILESTONE_COLUMNS, parse_dates=["time:timestamp"])
            frame = frame[frame["case:concept:name"].str.startswith(("OUT", "CHG"))]
        else:
            return None  # XES: read it with a process-mining tool
        frame = frame.rename(columns={"case:concept:name": "case", "concept:name": "activity",
                                      "time:timestamp": "timestamp"})
        frame.insert(0, "replication", replication)
        frames.append(frame)
    columns = ["replication", "case", "activity", "timestamp", "parent"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def read_run(path: str | Path) -> RunData:
    """Read a run directory.

    Raises
    ------
    FileNotFoundError
        If it has no ``manifest.json`` or no ``kpis.csv`` (not a finished run directory).
    """
    path = Path(path)
    for name in ("manifest.json", "kpis.csv"):
        if not (path / name).is_file():
            raise FileNotFoundError(f"{path}: expected a run directory (written by `mimsim run -o` "
                                    f"or `mimsim compare -o`); found no {name}")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    kpis = pd.read_csv(path / "kpis.csv", keep_default_na=False, na_values=[""])
    kpis["key"] = kpis["key"].fillna("").astype(str)
    return RunData(path, manifest, kpis, summarise(kpis), _per_replication(path / "backlog"),
                   _per_replication(path / "incidents", _INCIDENT_COLUMNS),
                   _per_replication(path / "hourly"), _milestones(path / "events"))


@dataclass
class Comparison:
    """A comparison directory, read: the designs' runs and the paired differences."""

    path: Path
    designs: list[str]
    runs: dict[str, RunData]
    differences: pd.DataFrame
    document: dict[str, Any]


def is_comparison(path: str | Path) -> bool:
    """Whether ``path`` is a comparison directory (``mimsim compare -o``)."""
    return (Path(path) / "comparison.json").is_file()


def read_comparison(path: str | Path) -> Comparison:
    """Read a comparison directory: ``comparison.json``, ``differences.csv`` and each design's run."""
    path = Path(path)
    document = json.loads((path / "comparison.json").read_text(encoding="utf-8"))
    designs = [design["scenario"] for design in document["designs"]]
    differences = pd.read_csv(path / "differences.csv", keep_default_na=False, na_values=[""])
    differences["key"] = differences["key"].fillna("").astype(str)
    return Comparison(path, designs, {name: read_run(path / name) for name in designs}, differences,
                      document)
