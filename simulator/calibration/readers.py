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

import codecs
import csv
import lzma
import warnings
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

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
from simulator.scenario.files import require_regular_file

__all__ = ["LOG_FORMATS", "parse_times", "read_log", "read_table"]

LOG_FORMATS = ("servicenow", "jira", "generic", "xes")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S",
                 "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M",
                 JIRA_DATE_FORMAT)
_STATE_ALIASES = ("incident_state", "ident_state", "state")


def _problem(source: str, message: str) -> ScenarioError:
    return ScenarioError([Problem((), message, source)])


#: What reading a CSV (or an archive holding one) can raise on a file that is not one.
_UNREADABLE = (ValueError, OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile,
               lzma.LZMAError, csv.Error, pd.errors.ParserError)


def _one_line(error: BaseException) -> str:
    """An error's message on one line (the CSV parser's span several)."""
    return " ".join(str(error).split())


def _zipped_csv(path: Path) -> str:
    """The one CSV member of a zip archive."""
    if not zipfile.is_zipfile(path):
        raise _problem(str(path), "expected a zip archive (the name ends in .zip); found a file "
                                  "that is not one")
    with zipfile.ZipFile(path) as archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()
                 and not info.filename.startswith("__MACOSX/")]
    tables = [name for name in names if name.lower().endswith(".csv")]
    if len(tables) != 1:
        found = (f"{len(tables)}: {', '.join(tables[:5])}" if tables else
                 f"none among its files ({', '.join(names[:5])})" if names else "an empty archive")
        raise _problem(str(path), f"expected a zip archive holding one CSV file; found {found}")
    return tables[0]


def _read_csv(path: Path, missing: tuple[str, ...], encoding: str) -> pd.DataFrame:
    options: dict[str, Any] = {"dtype": str, "na_values": list(missing), "keep_default_na": False,
                               "skipinitialspace": True, "encoding": encoding}
    if path.suffix.lower() != ".zip":
        return pd.read_csv(path, **options)
    member = _zipped_csv(path)
    with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
        return pd.read_csv(handle, **options)


def read_table(path: Path, missing: tuple[str, ...], encoding: str = "utf-8") -> pd.DataFrame:
    """A CSV file (or a zip holding one) as strings; ``missing`` tokens become NA.

    A repeated column name (ServiceNow's two ``category`` columns) gets a suffix.
    """
    require_regular_file(path, "a log file: a CSV, or a zip holding one")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _problem(f"--encoding {encoding}", "expected the name of a text encoding such as "
                                                 f"utf-8, cp1252 or latin-1; found {encoding!r}") from None
    try:
        return _read_csv(path, missing, encoding)
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        raise _problem(str(path), f"expected text in {encoding}; found byte 0x{byte:02x}, which is "
                                  f"not {encoding} (give the export's encoding with --encoding, "
                                  f"e.g. --encoding cp1252)") from None
    except pd.errors.EmptyDataError:
        raise _problem(str(path), "expected a CSV file with a header row; found an empty file") from None
    except _UNREADABLE as error:
        raise _problem(str(path), f"expected a CSV file (or a zip holding one); found a file that "
                                  f"cannot be read as one ({_one_line(error)})") from None


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
    """Every column the mapping names is in the log, or one line saying which are not."""
    wanted = mapping.columns()
    absent = {key: column for key, column in wanted.items() if column not in table.columns}
    if not absent:
        return
    first = ", ".join(str(column) for column in list(table.columns)[:8])
    if len(absent) == len(wanted):
        names = ", ".join(dict.fromkeys(wanted.values()))
        raise _problem(source, f"expected a header row naming the columns {names}; found a first "
                               f"row ({first}) that names none of them (a file without its header "
                               f"row, or another kind of export: see --log-format and --mapping)")
    lacking = ", ".join(f"{key} → {column!r}" for key, column in absent.items())
    raise _problem(source, f"expected every column the mapping names; found none for {lacking} "
                           f"(the log's columns: {', '.join(str(c) for c in table.columns[:40])})")


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
    require_regular_file(path, "an XES event log")
    with warnings.catch_warnings():  # pm4py suggests an optional faster reader on every import
        warnings.filterwarnings("ignore", message="Install the optional requirement")
        import pm4py  # heavy (seconds to import): only when an XES log is read

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Install the optional requirement")
            events = pm4py.read_xes(str(path))
    except Exception as error:  # pm4py raises many kinds for a bad file
        raise _problem(str(path), f"expected an XES event log; found a file pm4py cannot read "
                                  f"({type(error).__name__}: {_one_line(error)})") from None
    frame = pd.DataFrame(events)
    for column in frame.columns:
        if not pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].astype("string").astype(object).where(
                frame[column].notna(), None)
    return frame


def _read_jira(path: Path, changelog_path: Path | None, encoding: str = "utf-8") -> RealLog:
    """The Jira Service Management preset: the issues export, joined with its changelog if given."""
    issues = read_table(path, SERVICENOW.missing, encoding)
    if changelog_path is None:
        return _normalise(issues, jira_mapping(issues, str(path), with_changelog=False), str(path))
    changelog = read_table(changelog_path, SERVICENOW.missing, encoding)
    events = jira_events(issues, changelog, str(path), str(changelog_path))
    log = _normalise(events, jira_mapping(issues, str(path), with_changelog=True), str(path))
    return replace(log, source=f"{path} with {changelog_path}")


def read_log(path: str | Path, log_format: str = "servicenow",
             mapping_path: str | Path | None = None, changelog_path: str | Path | None = None,
             encoding: str = "utf-8") -> RealLog:
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
    encoding
        The text encoding of a CSV export (``utf-8``, ``cp1252``, ``latin-1``...).

    Raises
    ------
    ScenarioError
        One line per problem: not a regular file, not a CSV (or a zip holding one), the
        wrong encoding, no header row, columns the mapping names but the log lacks.
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
        return _read_jira(path, Path(changelog_path) if changelog_path is not None else None, encoding)
    mapping = read_mapping(Path(mapping_path)) if mapping_path is not None else None
    if log_format == "generic" and mapping is None:
        raise _problem(str(path), "expected --mapping FILE with --log-format generic (which "
                                  "column holds what); found none")
    if log_format == "xes":
        table = _read_xes(path)
        return _normalise(table, mapping or XES_DEFAULTS, str(path))
    missing = (mapping or SERVICENOW).missing
    table = read_table(path, missing, encoding)
    if mapping is None:
        mapping = _servicenow_mapping(list(table.columns))
    return _normalise(table, mapping, str(path))

