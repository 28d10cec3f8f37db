"""Event-log layer: writing the event log for process-mining tools and spreadsheets.

Column names follow the XES standard extensions as pm4py expects them:
``case:concept:name`` (the case id), ``concept:name`` (the activity),
``time:timestamp``, ``org:resource`` (the agent), ``org:group`` (the team) and
``lifecycle:transition`` (``complete`` on every row: each row is a state change
that has happened, not the start or end of a longer activity). The remaining
columns keep their names.

Three formats: Parquet, CSV (ISO 8601 timestamps to the microsecond) and XES
(IEEE 1849-2016, the process-mining interchange format: one ``<trace>`` per
case, one ``<event>`` per row, written here with the standard library).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

__all__ = ["EXPORT_FORMATS", "PROCESS_MINING_NAMES", "to_process_mining", "write_events", "write_xes"]

#: Plain column name → process-mining column name.
PROCESS_MINING_NAMES: dict[str, str] = {
    "case_id": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "agent": "org:resource",
    "team": "org:group",
}
#: The event-log file formats `mimsim run --events` offers.
EXPORT_FORMATS = ("parquet", "csv", "xes")
_LIFECYCLE = "lifecycle:transition"
_CASE = "case:concept:name"
_EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"),
               ("Lifecycle", "lifecycle"))


def to_process_mining(events: pd.DataFrame) -> pd.DataFrame:
    """The event log with process-mining column names and a lifecycle column (a new frame)."""
    table = events.rename(columns=PROCESS_MINING_NAMES)
    position = table.columns.get_loc("concept:name") + 1 if "concept:name" in table else len(table.columns)
    table.insert(int(position), _LIFECYCLE, "complete")
    return table


def _xes_attribute(key: str, value: object) -> str:
    """One typed XES attribute element, or "" for a missing value."""
    if value is None or value is pd.NaT or (isinstance(value, float | np.floating) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return f'<date key="{key}" value="{value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]}"/>'
    if isinstance(value, bool | np.bool_):
        return f'<boolean key="{key}" value="{str(bool(value)).lower()}"/>'
    if isinstance(value, int | np.integer):
        return f'<int key="{key}" value="{int(value)}"/>'
    if isinstance(value, float | np.floating):
        return f'<float key="{key}" value="{float(value)!r}"/>'
    return f"<string key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _xes_lines(table: pd.DataFrame) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield ('<log xes.version="1849-2016" xes.features="nested-attributes" '
           'xmlns="http://www.xes-standard.org/">')
    for name, prefix in _EXTENSIONS:
        yield (f'  <extension name="{name}" prefix="{prefix}" '
               f'uri="http://www.xes-standard.org/{prefix}.xesext"/>')
    yield '  <classifier name="Activity" keys="concept:name"/>'
    keys = [column for column in table.columns if column != _CASE]
    order = table.assign(_first=table.groupby(_CASE, sort=False).ngroup()).sort_values(
        ["_first", "seq"] if "seq" in table else ["_first"], kind="stable")
    current = None
    for row in order[[_CASE, *keys]].itertuples(index=False, name=None):
        case, values = row[0], row[1:]
        if case != current:
            if current is not None:
                yield "  </trace>"
            yield f"  <trace>{_xes_attribute('concept:name', case)}"
            current = case
        attributes = "".join(_xes_attribute(key, value) for key, value in zip(keys, values, strict=True))
        yield f"    <event>{attributes}</event>"
    if current is not None:
        yield "  </trace>"
    yield "</log>"


def write_xes(events: pd.DataFrame, path: str | Path) -> Path:
    """Write the event log as an XES file: one trace per case, its events in ``seq`` order."""
    path = Path(path)
    table = to_process_mining(events)
    for column in table.columns:  # categoricals and pyarrow strings become plain objects
        if isinstance(table[column].dtype, pd.CategoricalDtype) or table[column].dtype == "string":
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    with path.open("w", encoding="utf-8") as handle:
        for line in _xes_lines(table):
            handle.write(line + "\n")
    return path


def write_events(events: pd.DataFrame, path: str | Path, format: str | None = None) -> Path:
    """Write the event log as Parquet, CSV or XES (``format``, or else the file's suffix).

    Returns the path written. Timestamps are written as ISO 8601 (to the
    microsecond in CSV, the millisecond in XES).
    """
    path = Path(path)
    kind = format or path.suffix.lstrip(".")
    if kind == "xes":
        return write_xes(events, path)
    table = to_process_mining(events)
    if kind == "parquet":
        table.to_parquet(path, index=False)
    elif kind == "csv":
        table.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f")
    else:
        raise ValueError(f"expected a file name ending in .csv, .parquet or .xes; found {path.name!r}")
    return path
