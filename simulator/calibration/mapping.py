"""Calibration layer: the column mapping that tells mimsim how to read an ITSM export.

A mapping is a small YAML file naming, for each thing mimsim wants, the column
of the export that holds it. Only the case id is always required; an export with
one row per incident also needs the opened and resolved times, while an export
with one row per update (``updated`` given) can derive them from its rows. The
ServiceNow preset is such a mapping, written here once.

An event-form export with one row per status transition names the state before
each transition too (``from_state: From status``) and the state after it as
``state``; each incident then gets a row at its opening in the first transition's
``from_state``.

Example (one row per incident, e.g. a Jira export)::

    case_id: Issue key
    opened: Created
    resolved: Resolved
    priority: Priority
    first_group: Component
    reassignments: Reassignments
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pydantic

from simulator.scenario.errors import Problem, ScenarioError, describe
from simulator.scenario.files import read_capped_text
from simulator.scenario.typepath import unknown_key
from simulator.scenario.yamltext import read_yaml

__all__ = ["SERVICENOW", "XES_DEFAULTS", "ColumnMapping", "read_mapping"]

#: States that stop the work on a ticket unless a mapping says otherwise (matched at the start,
#: ignoring case): waiting on the user, a vendor, a problem, a change.
DEFAULT_PAUSE_PREFIXES = ("awaiting", "pending", "on hold", "waiting", "paused")


class ColumnMapping(pydantic.BaseModel):
    """Which column holds what; every key except ``case_id`` may be omitted."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    case_id: str
    opened: str | None = None  # when the incident was opened (its arrival)
    resolved: str | None = None  # its (last) resolution
    first_response: str | None = None  # first work on it
    closed: str | None = None
    logged: str | None = None  # when the desk saved the record (opened → logged: logging time)
    priority: str | None = None
    category: str | None = None  # the incident's category: streams, escalation, paths per priority × category
    impact: str | None = None
    urgency: str | None = None
    group: str | None = None  # one row per update: the assignment group on that row
    first_group: str | None = None  # one row per incident: the first and last assignment group
    last_group: str | None = None
    reassignments: str | None = None  # how often the group changed (ServiceNow's reassignment_count)
    reopens: str | None = None
    state: str | None = None  # one row per update: the incident's state on that row
    from_state: str | None = None  # one row per status transition: the state before it (then ``state``
    # is the state after it); the first transition's tells the state the incident was opened in
    updated: str | None = None  # one row per update: when the row was written (makes it an event log)
    sequence: str | None = None  # one row per update: orders rows written in the same minute
    resolver: str | None = None  # who the ticket is assigned to on that row
    made_sla: str | None = None  # a true/false flag: did the incident meet its SLA
    pause_states: tuple[str, ...] | None = None  # default: states starting Awaiting/Pending/On Hold…
    resolved_states: tuple[str, ...] = ("Resolved",)
    closed_states: tuple[str, ...] = ("Closed", "Canceled", "Cancelled")
    date_format: str | None = None  # e.g. "%d/%m/%Y %H:%M"; default: recognised from the values
    missing: tuple[str, ...] = ("", "?", "NULL", "null", "NA", "N/A", "None")

    @pydantic.field_validator("date_format")
    @classmethod
    def _a_time_format(cls, value: str | None) -> str | None:
        if value is not None:
            try:  # the parser the log is read with says which directives it knows
                pd.to_datetime(pd.Series(["2016-03-01"]), format=value, errors="coerce")
            except ValueError as error:
                raise ValueError(f"expected a time format such as '%d/%m/%Y %H:%M'; found "
                                 f"{value!r} ({error})") from None
        return value

    @pydantic.model_validator(mode="after")
    def _enough(self) -> ColumnMapping:
        if self.updated is None and (self.opened is None or self.resolved is None):
            raise ValueError("expected 'opened' and 'resolved' columns, or 'updated' (one row per "
                             "update, from which they are derived); found neither")
        return self

    def is_event_log(self) -> bool:
        """One row per update (rather than one per incident)."""
        return self.updated is not None

    def columns(self) -> dict[str, str]:
        """Mapping key → column name, for the keys that name a column."""
        names = ("case_id", "opened", "resolved", "first_response", "closed", "logged", "priority",
                 "category", "impact", "urgency", "group", "first_group", "last_group", "reassignments",
                 "reopens", "state", "from_state", "updated", "sequence", "resolver", "made_sla")
        return {name: value for name in names if (value := getattr(self, name)) is not None}


#: ServiceNow's incident export (incident table with its audit rows), as in the UCI 498 log:
#: ``?`` for missing, ``d/m/yyyy HH:MM`` dates, one row per update.
SERVICENOW = ColumnMapping(
    case_id="number", opened="opened_at", resolved="resolved_at", closed="closed_at",
    logged="sys_created_at", priority="priority", category="category", impact="impact", urgency="urgency",
    group="assignment_group", resolver="assigned_to", reassignments="reassignment_count",
    reopens="reopen_count", state="incident_state", updated="sys_updated_at",
    sequence="sys_mod_count", made_sla="made_sla",
)

#: An XES log read by pm4py: the standard attribute names.
XES_DEFAULTS = ColumnMapping(
    case_id="case:concept:name", updated="time:timestamp", state="concept:name",
    group="org:group", resolver="org:resource",
    resolved_states=("resolved", "Resolved"), closed_states=("closed", "Closed"),
)


def _message(item: Any, loc: tuple[str, ...]) -> str:
    """One validation error of a mapping as "expected ...; found ..."."""
    if item["type"] == "extra_forbidden":
        return unknown_key(loc[-1] if loc else "?", list(ColumnMapping.model_fields))
    if item["type"] == "missing":
        return "expected a column name; found nothing (this key is required)"
    message = str(item["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be"):
        message = message.replace("Input should be", "expected", 1)
    return message if "found" in message else f"{message}; found {describe(item['input'])}"


def read_mapping(path: Path) -> ColumnMapping:
    """Read a mapping file; every problem is reported as ``file:line: key: expected …; found …``."""
    source = str(path)
    data, lines = read_yaml(read_capped_text(path, "a column mapping file (YAML)"), source)
    if not isinstance(data, dict):
        raise ScenarioError([Problem((), f"expected a mapping of keys to column names; found "
                                         f"{type(data).__name__}", source)])
    try:
        return ColumnMapping.model_validate(data)
    except pydantic.ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(str(part) for part in item["loc"] if isinstance(part, str | int))
            problems.append(Problem(loc, _message(item, loc), source, lines.get(loc[:1])))
        raise ScenarioError(problems) from None
