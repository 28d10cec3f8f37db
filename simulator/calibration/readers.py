"""Calibration layer: reading real ITSM exports into a :class:`RealLog`.

Three ways in, one result:

* ``servicenow`` — ServiceNow's incident export as the UCI 498 log has it (a zip
  or CSV, ``?`` for missing, ``d/m/yyyy HH:MM`` dates, one row per update, the
  state column named ``incident_state`` or ``ident_state``);
* ``jira`` — Jira Service Management's issues export, with its changelog CSV for
  the status and team changes (:mod:`simulator.calibration.jira`);
* ``generic`` — any CSV, one row per incident or one row per update (or per status
  transition, ``from_state`` → ``state``), read through a small YAML column mapping
  (:mod:`simulator.calibration.mapping`);
* ``xes`` — an XES event log, read with pm4py (imported only here, and only then:
  it takes seconds to import).

Messy rows are counted by kind and reported — missing case ids, duplicate rows,
unreadable or missing times, resolutions before openings, closures before
resolutions — never silently dropped, and never a crash.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.calibration.jira import JIRA_DATE_FORMAT, jira_events, jira_mapping
from simulator.calibration.mapping import (
    DEFAULT_PAUSE_PREFIXES,
    SERVICENOW,
    XES_DEFAULTS,
    ColumnMapping,
    read_mapping,
)
from simulator.calibration.reallog import RealLog
from simulator.calibration.tables import incidents_from_rows, incidents_from_updates
from simulator.scenario.errors import Problem, ScenarioError

__all__ = ["LOG_FORMATS", "parse_times", "read_log", "read_table"]

LOG_FORMATS = ("servicenow", "jira", "generic", "xes")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S",
                 "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M",
                 JIRA_DATE_FORMAT)
_STATE_ALIASES = ("incident_state", "ident_state", "state")


def _problem(source: str, message: str) -> ScenarioError:
    return ScenarioError([Problem((), message, source)])


def read_table(path: Path, missing: tuple[str, ...]) -> pd.DataFrame:
    """A CSV file (or a zip holding one) as strings; ``missing`` tokens become NA.

    A repeated column name (ServiceNow's two ``category`` columns) gets a suffix.
    """
    if not path.is_file():
        raise _problem(str(path), "expected an existing log file; found no such file")
    try:
        return pd.read_csv(path, dtype=str, na_values=list(missing), keep_default_na=False,
                           skipinitialspace=True)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise _problem(str(path), f"expected a CSV file (or a zip holding one); found a file "
                                  f"that cannot be read as one ({error})") from None


def parse_times(values: pd.Series, date_format: str | None) -> tuple[pd.Series, int]:
    """Datetimes from strings, and how many non-missing values could not be read.

    Without ``date_format``, the first of the usual formats that reads every value is
    used (day-first before month-first, as most exports outside the US write them).
    """
    present = values.notna()
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz is not None else values, 0
    candidates: tuple[str | None, ...] = (date_format,) if date_format else _TIME_FORMATS
    if not date_format:  # try each format on a sample first: parsing a whole column is slow
        sample = values[present].drop_duplicates().head(500)
        scores = [pd.to_datetime(sample, format=candidate, errors="coerce").notna().sum()
                  for candidate in candidates]
        candidates = tuple(candidates[i] for i in np.argsort(-np.asarray(scores), kind="stable"))
    best: pd.Series | None = None
    for candidate in candidates:
        parsed = pd.to_datetime(values, format=candidate, errors="coerce")
        if best is None or parsed.notna().sum() > best.notna().sum():
            best = parsed
        if parsed.notna().sum() == present.sum():
            break
    if not date_format and best is not None and best.notna().sum() < present.sum():
        mixed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        if mixed.notna().sum() > best.notna().sum():
            best = mixed.dt.tz_localize(None)
    assert best is not None
    return best, int((present & best.isna()).sum())


def _servicenow_mapping(columns: list[str]) -> ColumnMapping:
    """The preset, without the optional columns this export lacks (the required ones stay)."""
    state = next((name for name in _STATE_ALIASES if name in columns), None)
    absent = {key: None for key, column in SERVICENOW.columns().items()
              if column not in columns and key not in ("case_id", "opened", "resolved", "updated")}
    return SERVICENOW.model_copy(update={**absent, "state": state})


def _check_columns(mapping: ColumnMapping, table: pd.DataFrame, source: str) -> None:
    available = list(table.columns)
    problems = [Problem((key,), f"expected a column of the log; found {column!r}, which it does "
                                f"not have (columns: {', '.join(available[:40])})", source)
                for key, column in mapping.columns().items() if column not in table.columns]
    if problems:
        raise ScenarioError(problems)


def _normalise(table: pd.DataFrame, mapping: ColumnMapping, source: str) -> RealLog:
    _check_columns(mapping, table, source)
    problems: Counter[str] = Counter()
    columns = mapping.columns()
    frame = table[list(dict.fromkeys(columns.values()))].rename(
        columns={column: key for key, column in reversed(list(columns.items()))})
    for key, column in columns.items():  # one column may serve two keys
        if key not in frame:
            frame[key] = table[column]
    no_case = frame["case_id"].isna()
    problems["missing case id"] += int(no_case.sum())
    frame = frame[~no_case.to_numpy()]
    duplicated = frame.duplicated()
    problems["duplicate row"] += int(duplicated.sum())
    frame = frame[~duplicated.to_numpy()].copy()
    frame["case_id"] = frame["case_id"].astype(str)
    for key in ("opened", "resolved", "first_response", "closed", "logged", "updated"):
        if key in frame:
            frame[key], unreadable = parse_times(frame[key], mapping.date_format)
            problems[f"unreadable {key} time"] += unreadable
    pause = mapping.pause_states
    states = frame["state"].dropna().unique().tolist() if "state" in frame else []
    pause_states = frozenset(pause if pause is not None else
                             [s for s in states if str(s).lower().startswith(DEFAULT_PAUSE_PREFIXES)])
    if mapping.is_event_log():
        incidents, updates, more = incidents_from_updates(frame, mapping)
    else:
        incidents, more = incidents_from_rows(frame)
        updates = None
    problems.update(more)
    known = [incidents[key].max() for key in ("opened", "resolved", "closed")]
    if updates is not None and len(updates):
        known.append(updates["time"].max())
    finite = [moment for moment in known if pd.notna(moment)]
    exported = max(finite) if finite else pd.Timestamp("1970-01-01")
    if incidents.empty:
        raise _problem(source, f"expected at least one usable incident; found none "
                               f"({', '.join(f'{k}: {n}' for k, n in problems.items() if n) or 'empty'})")
    return RealLog(incidents, updates, pd.Timestamp(exported),
                   {kind: n for kind, n in problems.items() if n}, pause_states,
                   frozenset(mapping.resolved_states), source, fields=frozenset(columns))


def _read_xes(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise _problem(str(path), "expected an existing log file; found no such file")
    import pm4py  # heavy (seconds to import): only when an XES log is read

    try:
        events = pm4py.read_xes(str(path))
    except Exception as error:  # pm4py raises many kinds for a bad file
        raise _problem(str(path), f"expected an XES event log; found a file pm4py cannot read "
                                  f"({type(error).__name__}: {error})") from None
    frame = pd.DataFrame(events)
    for column in frame.columns:
        if not pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("string").astype(object).where(
                frame[column].notna(), None)
    return frame


def _read_jira(path: Path, changelog_path: Path | None) -> RealLog:
    """The Jira Service Management preset: the issues export, joined with its changelog if given."""
    issues = read_table(path, SERVICENOW.missing)
    if changelog_path is None:
        return _normalise(issues, jira_mapping(issues, str(path), with_changelog=False), str(path))
    changelog = read_table(changelog_path, SERVICENOW.missing)
    events = jira_events(issues, changelog, str(path), str(changelog_path))
    log = _normalise(events, jira_mapping(issues, str(path), with_changelog=True), str(path))
    return replace(log, source=f"{path} with {changelog_path}")


def read_log(path: str | Path, log_format: str = "servicenow",
             mapping_path: str | Path | None = None, changelog_path: str | Path | None = None) -> RealLog:
    """Read a real incident log.

    Parameters
    ----------
    path
        The export: CSV (or a zip holding one) for ``servicenow``, ``jira`` (the issues) and
        ``generic``, XES for ``xes``.
    log_format
        ``servicenow`` (the preset), ``jira`` (Jira Service Management), ``generic`` (needs
        ``mapping_path``) or ``xes``.
    mapping_path
        A YAML column mapping; with ``servicenow`` or ``xes`` it replaces the preset.
    changelog_path
        With ``jira``: the changelog CSV (one row per change of an issue's fields).
    """
    path = Path(path)
    if log_format not in LOG_FORMATS:
        raise _problem(str(path), f"expected a log format among {', '.join(LOG_FORMATS)}; "
                                  f"found {log_format!r}")
    if changelog_path is not None and log_format != "jira":
        raise _problem(str(changelog_path), f"expected --changelog only with --log-format jira; found it "
                                            f"with --log-format {log_format}")
    if log_format == "jira":
        if mapping_path is not None:
            raise _problem(str(mapping_path), "expected no --mapping with --log-format jira (the preset "
                                              "names the columns; use --log-format generic to name them "
                                              "yourself); found one")
        return _read_jira(path, Path(changelog_path) if changelog_path is not None else None)
    mapping = read_mapping(Path(mapping_path)) if mapping_path is not None else None
    if log_format == "generic" and mapping is None:
        raise _problem(str(path), "expected --mapping FILE with --log-format generic (which "
                                  "column holds what); found none")
    if log_format == "xes":
        table = _read_xes(path)
        return _normalise(table, mapping or XES_DEFAULTS, str(path))
    missing = (mapping or SERVICENOW).missing
    table = read_table(path, missing)
    if mapping is None:
        mapping = _servicenow_mapping(list(table.columns))
    return _normalise(table, mapping, str(path))

