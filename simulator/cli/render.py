"""CLI layer: the terminal tables of ``mimsim run``.

Three tables: the overall KPIs (mean, 95 % CI, target, verdict), the incident
KPIs per priority, and the team KPIs; then, where the scenario has them, outages
and major incidents, services, changes and problems, and the problem trend by month.
Numbers are written in the unit their name carries (``_min``, ``_h``), shares as
percentages, counts as integers.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console
from rich.table import Table

from simulator.experiment.summary import TargetCheck
from simulator.metrics import SHARE_KPIS
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import (
    CHANGE_KPIS,
    CHANNEL_KPIS,
    COST_KPIS,
    INCIDENT_KPIS,
    MONTH_KPIS,
    OUTAGE_KPIS,
    SERVICE_KPIS,
    TEAM_KPIS,
)
from simulator.scenario.units import format_duration

__all__ = ["format_value", "measured_window", "render_run"]

_COUNTS = {"arrived", "resolved", "backlog_end", "outages", "major_incidents", "normal_changes",
           "emergency_changes", "changes_backed_out", "incidents_caused_by_changes",
           "problems_opened", "known_errors", "problems_fixed", "incidents_avoided",
           "outages_avoided", "problem_incidents", "sla_response_breaches",
           "sla_resolution_breaches"}
_MONEY = {"downtime_cost", "staff_cost", "sla_penalty"}
_VERDICT_STYLE = {"pass": "[green]pass[/]", "fail": "[red]fail[/]", "unclear": "[yellow]unclear[/]",
                  "no data": "[dim]no data[/]"}


def measured_window(scenario: Scenario) -> str:
    """The window a run's money KPIs cover, from the warm-up's end to the horizon (``1w``,
    ``52w``, ``1.5d``), written as the scenario's durations are."""
    return format_duration(scenario.run.horizon - scenario.run.warmup)


def format_value(kpi: str, value: float) -> str:
    """A KPI value as people read it (``null`` for a KPI with no observations)."""
    if value is None or not math.isfinite(value):
        return "null"
    if kpi in SHARE_KPIS:
        return f"{100 * value:.1f}%"
    if kpi in _MONEY:
        return f"{value:,.0f}"
    if kpi in _COUNTS:
        return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"
    return f"{value:,.2f}"


def _interval(kpi: str, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    return f"{format_value(kpi, low)} – {format_value(kpi, high)}"


def _lookup(summary: pd.DataFrame, scope: str, key: str, kpi: str) -> pd.Series | None:
    rows = summary[(summary["scope"] == scope) & (summary["key"] == key) & (summary["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def _labelled(kpi: str, window: str | None) -> str:
    """A money KPI's name with the measured window it covers, e.g. ``staff_cost (1 w)``."""
    return f"{kpi} ({window})" if window and kpi in _MONEY else kpi


def _column(name: str, width: int = 11) -> str:
    """A KPI's column header broken into lines at its underscores (a narrow terminal would
    otherwise cut ``utilisation`` and ``utilisation_paid`` to the same ``utilisati…``)."""
    lines: list[str] = []
    for part in name.split("_"):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "_" + part
        else:
            lines.append(part if not lines else "_" + part)
    return "\n".join(lines)


def _overall(summary: pd.DataFrame, checks: list[TargetCheck],
             kpis: tuple[str, ...] = INCIDENT_KPIS,
             title: str = "KPIs (mean over replications, 95 % confidence interval)",
             window: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("KPI", no_wrap=True)
    for column in ("mean", "95 % CI", "n", "target", "result"):
        table.add_column(column, justify="left" if column == "result" else "right")
    for kpi in kpis:
        row = _lookup(summary, "overall", "", kpi)
        if row is None:
            continue
        check = next((c for c in checks if c.target.scope is None and c.target.kpi == kpi), None)
        table.add_row(_labelled(kpi, window), format_value(kpi, row["mean"]),
                      _interval(kpi, row["ci_low"],
                                                                     row["ci_high"]),
                      str(int(row["n"])), "" if check is None else str(check.target),
                      "" if check is None else _VERDICT_STYLE[check.verdict])
    return table


def _cell(summary: pd.DataFrame, scope: str, key: str, kpi: str, checks: list[TargetCheck]) -> str:
    row = _lookup(summary, scope, key, kpi)
    text = "null" if row is None else format_value(kpi, row["mean"])
    check = next((c for c in checks if c.target.scope == key and c.target.kpi == kpi), None)
    if check is not None:
        text += f" {_VERDICT_STYLE[check.verdict]} ({check.target})"
    return text


def _by_priority(summary: pd.DataFrame, checks: list[TargetCheck]) -> Table:
    keys = list(dict.fromkeys(summary.loc[summary["scope"] == "priority", "key"]))
    table = Table(title="By priority (means)", title_justify="left")
    table.add_column("KPI", no_wrap=True)
    for key in keys:
        table.add_column(key, justify="right")
    for kpi in INCIDENT_KPIS:
        table.add_row(kpi, *(_cell(summary, "priority", key, kpi, checks) for key in keys))
    return table


def _by_key(summary: pd.DataFrame, checks: list[TargetCheck], scope: str,
            kpis: tuple[str, ...], title: str, window: str | None = None) -> Table:
    keys = list(dict.fromkeys(summary.loc[summary["scope"] == scope, "key"]))
    money = [kpi for kpi in kpis if kpi in _MONEY]
    if window and money:
        title += f" — {', '.join(money)} over the measured window ({window})"
    table = Table(title=title, title_justify="left")
    table.add_column(scope, no_wrap=True)
    for kpi in kpis:
        text = _column(kpi)
        table.add_column(text, justify="right", min_width=max(map(len, text.split("\n"))))
    for key in keys:
        table.add_row(key, *(_cell(summary, scope, key, kpi, checks) for kpi in kpis))
    return table


def render_run(console: Console, summary: pd.DataFrame, checks: list[TargetCheck],
               header: str, changes: bool = False, window: str | None = None) -> None:
    """Print the run's tables (``changes``: the scenario has change or problem management;
    ``window``: the measured window, e.g. ``1 w``, which labels the money KPIs)."""
    console.print(header)
    console.print(_overall(summary, checks, INCIDENT_KPIS + COST_KPIS, window=window))
    console.print(_by_priority(summary, checks))
    console.print(_by_key(summary, checks, "team", TEAM_KPIS, "By team (means)", window))
    if (summary["scope"] == "service").any():
        console.print(_overall(summary, checks, OUTAGE_KPIS,
                               "Outages and major incidents (mean over replications, 95 % CI)",
                               window))
        console.print(_by_key(summary, checks, "service", SERVICE_KPIS, "By service (means)",
                              window))
    if changes:
        console.print(_overall(summary, checks, CHANGE_KPIS,
                               "Changes and problems (mean over replications, 95 % CI)"))
    if (summary["scope"] == "channel").any():
        console.print(_by_key(summary, checks, "channel", CHANNEL_KPIS, "By channel (means)"))
    if (summary["scope"] == "month").any():
        console.print(_by_key(summary, checks, "month", MONTH_KPIS,
                              "Problem families' incidents by 30-day month after the warm-up "
                              "(means)"))
    unmatched = [c for c in checks if c.target.scope is not None
                 and not ((summary["key"] == c.target.scope) & (summary["kpi"] == c.target.kpi)).any()]
    for check in unmatched:
        console.print(f"target {check.target.name} {check.target}: no data")
