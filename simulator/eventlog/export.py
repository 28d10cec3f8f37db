"""Event-log layer: writing the event log for process-mining tools and spreadsheets.

Column names follow the XES standard extensions as pm4py expects them:
``case:concept:name`` (the case id), ``concept:name`` (the activity),
``time:timestamp``, ``org:resource`` (the agent) and ``org:group`` (the team).
The remaining columns keep their names.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["PROCESS_MINING_NAMES", "to_process_mining", "write_events"]

#: Plain column name → process-mining column name.
PROCESS_MINING_NAMES: dict[str, str] = {
    "case_id": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "agent": "org:resource",
    "team": "org:group",
}


def to_process_mining(events: pd.DataFrame) -> pd.DataFrame:
    """The event log with process-mining column names (a new frame)."""
    return events.rename(columns=PROCESS_MINING_NAMES)


def write_events(events: pd.DataFrame, path: str | Path, format: str | None = None) -> Path:
    """Write the event log as CSV or Parquet (``format``, or else the file's suffix).

    Returns the path written. Timestamps are written as ISO 8601 (to the
    microsecond) in CSV.
    """
    path = Path(path)
    kind = format or path.suffix.lstrip(".")
    table = to_process_mining(events)
    if kind == "parquet":
        table.to_parquet(path, index=False)
    elif kind == "csv":
        table.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f")
    else:
        raise ValueError(f"expected a file name ending in .csv or .parquet; found {path.name!r}")
    return path
