"""Calibration layer: the Jira Service Management preset — the issues export and its changelog.

Jira exports issues as a CSV with one row per issue (``Issue key``, ``Created``,
``Resolved``, ``Priority``, ``Status`` …, dates like ``12/Mar/24 3:45 PM``); the history of
each issue — who moved it to which status, or to which team, when — comes as a
*changelog* CSV with one row per change (``Issue key``, ``Date``, ``Author``, ``Field``,
``From``, ``To``; the names used by Jira's REST changelog and the usual history-export
apps are recognised). :func:`jira_events` joins the two into one row per event, which
the generic reader then reads like any event log: a row at each issue's creation (its
first status and team: the first change's ``From``), then one row per status or team
change. Without a changelog the issues are read one row per incident.

JSM's statuses: ``Waiting for customer`` and ``Pending`` stop the work (waiting on the
user); ``Waiting for support`` does not (it waits on the agents). ``Resolved`` and
``Done`` mean resolved; ``Closed``, ``Canceled`` and ``Declined`` closed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.calibration.mapping import ColumnMapping
from simulator.scenario.errors import Problem, ScenarioError

__all__ = ["CHANGELOG_COLUMNS", "GROUP_FIELDS", "JIRA_DATE_FORMAT", "JIRA_ISSUES", "jira_events",
           "jira_mapping"]

#: Jira's default date format in CSV exports: ``12/Mar/24 3:45 PM``.
JIRA_DATE_FORMAT = "%d/%b/%y %I:%M %p"
#: The issues export's columns the preset reads (the first name found is used).
JIRA_ISSUES = {"case_id": ("Issue key",), "opened": ("Created",), "resolved": ("Resolved",),
               "priority": ("Priority",), "group": ("Team", "Assignment group", "Component/s", "Component"),
               "reopens": ("Reopen count", "Reopens"), "first_response": ("First response",
                                                                          "Date of first response")}
#: The changelog's columns, by what they hold (the first name found is used).
CHANGELOG_COLUMNS = {"case_id": ("Issue key", "Issue Key", "key"),
                     "time": ("Date", "Created", "Changed", "created"), "field": ("Field", "field"),
                     "old": ("From", "Old value", "fromString"), "new": ("To", "New value", "toString"),
                     "author": ("Author", "author")}
#: Changelog fields that move an issue to another team.
GROUP_FIELDS = ("Team", "Assignment group", "Component", "Component/s", "Group")
_STATES = {"pause_states": ("Waiting for customer", "Pending"), "resolved_states": ("Resolved", "Done"),
           "closed_states": ("Closed", "Canceled", "Cancelled", "Declined")}


def _find(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((name for name in names if name in table.columns), None)


def _required(table: pd.DataFrame, names: dict[str, tuple[str, ...]], keys: tuple[str, ...],
              source: str) -> dict[str, str]:
    found = {key: column for key, options in names.items() if (column := _find(table, options)) is not None}
    missing = [key for key in keys if key not in found]
    if missing:
        key = missing[0]
        raise ScenarioError([Problem((key,), f"expected a column {' or '.join(repr(n) for n in names[key])}; "
                                             f"found none (columns: {', '.join(list(table.columns)[:40])})",
                                     source)])
    return found


def jira_mapping(issues: pd.DataFrame, source: str, with_changelog: bool) -> ColumnMapping:
    """The preset for an issues export: one row per incident, or per event once joined with a changelog."""
    found = _required(issues, JIRA_ISSUES, ("case_id", "opened"), source)
    if with_changelog:
        optional = {key: key for key in ("priority", "resolved", "reopens", "first_response") if key in found}
        return ColumnMapping(case_id="case_id", updated="updated", sequence="order", state="state",
                             group="group", resolver="resolver", opened="opened", **optional, **_STATES)
    if "resolved" not in found:
        _required(issues, JIRA_ISSUES, ("resolved",), source)
    group = found.get("group")
    return ColumnMapping(case_id=found["case_id"], opened=found["opened"], resolved=found["resolved"],
                         priority=found.get("priority"), first_group=group, last_group=group,
                         reopens=found.get("reopens"), first_response=found.get("first_response"),
                         **_STATES)


def jira_events(issues: pd.DataFrame, changelog: pd.DataFrame, source: str, changelog_source: str
                ) -> pd.DataFrame:
    """One row per event: each issue's creation, then its status and team changes (see the module)."""
    own = _required(issues, JIRA_ISSUES, ("case_id", "opened"), source)
    columns = _required(changelog, CHANGELOG_COLUMNS, ("case_id", "time", "field", "new"), changelog_source)
    changes = pd.DataFrame({key: changelog[column] for key, column in columns.items()})
    changes["field"] = changes["field"].astype(str).str.strip()
    status = changes["field"].str.lower() == "status"
    group = changes["field"].isin(GROUP_FIELDS)
    rows = pd.DataFrame({"case_id": changes["case_id"], "updated": changes["time"],
                         "state": changes["new"].where(status), "group": changes["new"].where(group),
                         "resolver": changes.get("author")})[(status | group).to_numpy()]
    first_status = changes[status].groupby("case_id", sort=False)["old"].first() if "old" in changes \
        else pd.Series(dtype=object)
    first_group = changes[group].groupby("case_id", sort=False)["old"].first() if "old" in changes \
        else pd.Series(dtype=object)
    case = issues[own["case_id"]]
    opening = pd.DataFrame({"case_id": case, "updated": issues[own["opened"]],
                            "state": case.map(first_status).fillna("Open"),
                            "group": case.map(first_group), "resolver": None})
    if "group" in own:  # an issue never moved between teams is in its export's team all along
        opening["group"] = opening["group"].fillna(issues[own["group"]])
    events = pd.concat([opening, rows], ignore_index=True)
    events["order"] = np.r_[np.zeros(len(opening)), np.ones(len(rows))]
    per_issue = issues.set_index(own["case_id"])
    for key in ("opened", "resolved", "priority", "reopens", "first_response"):
        if key in own:
            events[key] = events["case_id"].map(per_issue[own[key]])
    return events
