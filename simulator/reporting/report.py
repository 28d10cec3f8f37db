"""Reporting layer: the HTML report of a run, or of a comparison of designs.

``mimsim report RUN_DIR`` (and ``mimsim run --report``) write one
self-contained HTML file: the KPIs against the targets with their confidence
intervals, the backlog over time, SLA attainment per priority, resolution
times per priority, utilisation by team and hour of the week, queue waits by
hour of the day; where the run has them, outages and the major-incident
timeline, and changes and problems; the process diagram; and the STRESS-DES
appendix. A comparison directory (``mimsim compare -o``) adds the paired
differences with their confidence intervals and shows the designs side by side.

How a KPI's value is written (percent, count, minutes) is the command line's
convention; the caller passes it in as ``format_value`` so that the report and
the terminal tables agree.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from simulator.experiment.compare import THRESHOLDS, design_labels
from simulator.experiment.summary import check_targets
from simulator.metrics import SHARE_KPIS
from simulator.reporting.appendix import appendix_html, parameter_differences
from simulator.reporting.diagram import diagram_figure
from simulator.reporting.figures import (
    backlog_figure,
    differences_figure,
    queue_wait_figure,
    resolution_figure,
    sla_figure,
    timeline_figure,
    utilisation_figure,
)
from simulator.reporting.html import Section, figure_html, page, table_html
from simulator.reporting.rundata import Comparison, RunData
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import CHANGE_KPIS, INCIDENT_KPIS, OUTAGE_KPIS, SERVICE_KPIS, TEAM_KPIS

__all__ = ["Formatter", "comparison_report", "run_report", "write_report"]

#: How a KPI value is written: ``format_value("p_wait", 0.41)`` → ``"41.0%"``.
Formatter = Callable[[str, float], str]
_VERDICT = {"pass": "pass", "fail": "fail", "unclear": "unclear", "no data": "nodata"}
#: The KPIs the comparison chart shows, when they have values.
_COMPARED = ("mtta_min", "p_wait", "mttr_h", "mttr_h_median", "mttr_h_p90", "sla_response_attainment",
             "sla_resolution_attainment", "fcr_rate", "backlog_end", "mttr_restore_min", "downtime_cost")
#: How many more KPIs with a clear difference (per team, priority, service) the chart may show.
_MORE_CHARTED = 8


def _cell(format_value: Formatter, kpi: str, row: pd.Series | None) -> str:
    if row is None or not math.isfinite(row["mean"]):
        return "–"
    text = format_value(kpi, float(row["mean"]))
    if math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"]):
        text += (f" ({format_value(kpi, float(row['ci_low']))}\u00a0–\u00a0"
                 f"{format_value(kpi, float(row['ci_high']))})")  # breaks only before the interval
    return text


def _lookup(summary: pd.DataFrame, scope: str, key: str, kpi: str) -> pd.Series | None:
    rows = summary[(summary["scope"] == scope) & (summary["key"] == key) & (summary["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def _targets_table(run: RunData, format_value: Formatter) -> str:
    checks = check_targets(run.summary, run.targets)
    if not checks:
        return "<p>The scenario sets no targets.</p>"
    rows = []
    for check in checks:
        target = check.target
        name = target.name
        interval = (f"{format_value(target.kpi, check.ci_low)} – {format_value(target.kpi, check.ci_high)}"
                    if math.isfinite(check.ci_low) else "–")
        wanted = f"{target.operator} {format_value(target.kpi, target.value)}"
        rows.append((html.escape(name), html.escape(wanted),
                     html.escape(format_value(target.kpi, check.mean)), html.escape(interval),
                     f'<span class="{_VERDICT[check.verdict]}">{check.verdict}</span>'))
    return ("<p>A target passes when its whole 95 % confidence interval meets it, fails when none of "
            "it does, and is unclear otherwise.</p>"
            + table_html(("KPI", "target", "mean", "95 % CI", "result"), rows, "kpis", raw=True))


def _kpi_table(run: RunData, format_value: Formatter, kpis: Sequence[str], scope: str,
               keys: Sequence[str], first: str) -> str:
    """KPIs as rows, keys (overall, priorities, teams, services) as columns; mean (95 % CI)."""
    rows = []
    for kpi in kpis:
        cells = [_cell(format_value, kpi, _lookup(run.summary, "overall" if key == "" else scope, key, kpi))
                 for key in keys]
        if any(cell != "–" for cell in cells):
            rows.append((kpi, *cells))
    header = (first, *[key or "overall" for key in keys])
    return table_html(header, rows, "kpis")


def _keys(run: RunData, scope: str) -> list[str]:
    return list(dict.fromkeys(run.summary.loc[run.summary["scope"] == scope, "key"]))


def _warmup_end(run: RunData) -> pd.Timestamp:
    return run.start + pd.Timedelta(minutes=float(run.manifest.get("warmup_min", 0.0)))


def _kpi_sections(run: RunData, format_value: Formatter) -> list[Section]:
    priorities, teams = _keys(run, "priority"), _keys(run, "team")
    body = (_kpi_table(run, format_value, INCIDENT_KPIS, "priority", ["", *priorities], "incident KPI")
            + "<h3>Teams</h3>" + _kpi_table(run, format_value, TEAM_KPIS, "team", teams, "team KPI"))
    sections = [Section("targets", "KPIs against targets", _targets_table(run, format_value)),
                Section("kpis", "All KPIs", "<p>Mean over replications (95 % confidence interval). "
                                            "Definitions: docs/reference/kpis.md.</p>" + body)]
    return sections


def _figure_sections(run: RunData) -> list[Section]:
    warmup_min = float(run.manifest.get("warmup_min", 0.0))
    sections = [
        Section("backlog", "Backlog over time", figure_html(
            backlog_figure({run.name: run.backlog}, _warmup_end(run)), "open tickets over time",
            "Open tickets in all teams, daily mean: the line is the mean over replications, the band "
            "their range.")),
        Section("sla", "SLA attainment per priority", figure_html(
            sla_figure({run.name: run.summary}, run.targets), "SLA attainment per priority",
            "Share of the incidents that arrived after the warm-up answered (response) and resolved "
            "within their SLA, with 95 % confidence intervals; black lines are the targets.")),
        Section("resolution", "Resolution time per priority", figure_html(
            resolution_figure(run.incidents, warmup_min), "resolution time distributions",
            "Hours from arrival to the last resolution, incidents that arrived after the warm-up and "
            "were resolved, pooled over replications (calendar time, waits on the user included).")),
    ]
    if run.hourly.empty:  # a run directory from before the hourly measures were written
        sections.append(Section("utilisation", "Utilisation and queue wait by hour", (
            "<p>This run directory has no <code>hourly/</code> folder (it was written by an older "
            "mimsim): run it again with <code>--out</code> to see utilisation by team and hour of the "
            "week and queue waits by hour of the day.</p>")))
        return sections
    sections += [
        Section("utilisation", "Utilisation by team and hour of the week", figure_html(
            utilisation_figure(run.hourly), "utilisation heat map",
            "Busy agent-minutes ÷ on-duty agent-minutes in each hour of the week, after the warm-up, "
            "pooled over replications.")),
        Section("queues", "Queue wait by hour of the day", figure_html(
            queue_wait_figure(run.hourly), "queue wait by hour",
            "Mean minutes from joining a team's queue to the next work on the ticket, by the hour it "
            "joined, pooled over days and replications (log scale).")),
    ]
    return sections


def _outage_section(run: RunData, format_value: Formatter) -> Section | None:
    if not run.has_section("services."):
        return None
    services = _keys(run, "service")
    body = (_kpi_table(run, format_value, OUTAGE_KPIS, "overall", [""], "outage KPI")
            + "<h3>Services</h3>"
            + _kpi_table(run, format_value, SERVICE_KPIS, "service", services, "service KPI"))
    if run.milestones is None:
        body += "<p>The event logs are XES: the timeline reads Parquet or CSV event logs.</p>"
    else:
        figure = timeline_figure(run.milestones, run.start, float(run.manifest.get("warmup_min", 0.0)))
        body += ("<h3>Major-incident timeline</h3>" + figure_html(
            figure, "major-incident timeline",
            "Each outage after the warm-up (first replication that has one, up to 15): minutes from "
            "the impact to detection, declaration, the team assembled, an emergency change approved, "
            "and restoration.") if figure is not None else "<p>No outage started after the warm-up.</p>")
    return Section("outages", "Outages and major incidents", body)


def _change_section(run: RunData, format_value: Formatter) -> Section | None:
    if not (run.has_section("changes.") or run.has_section("problems.")):
        return None
    return Section("changes", "Changes and problems",
                   _kpi_table(run, format_value, CHANGE_KPIS, "overall", [""], "KPI"))


def _diagram_section(scenario: Scenario | None, design: str | None = None) -> Section:
    if scenario is None:
        body = ("<p>The scenario file could not be read as it was when the run was made, so the "
                "diagram is left out (`mimsim diagram SCENARIO` draws it).</p>")
    else:
        body = figure_html(diagram_figure(scenario), "process diagram",
                           "Where tickets go and with what probability (from the scenario); arcs "
                           "between resolver groups are transfers, coloured by the group they leave.")
    return Section("process", "Process" if design is None else f"Process: {design}", body)


def run_report(run: RunData, format_value: Formatter, scenario: Scenario | None = None,
               notes: Sequence[str] = ()) -> str:
    """The HTML report of one run directory (``scenario``: for the process diagram)."""
    sections = [*_kpi_sections(run, format_value), *_figure_sections(run)]
    sections += [s for s in (_outage_section(run, format_value), _change_section(run, format_value)) if s]
    sections += [_diagram_section(scenario), Section("appendix", "Appendix: STRESS-DES",
                                                     appendix_html(run.manifest))]
    replications = len(run.manifest.get("replications_finished", []))
    lead = html.escape(f"{run.parameters.get('name', run.name)} — {replications} replications, seed "
                       f"{run.manifest.get('seed')}, run directory {run.path}")
    lead += "".join(f'<br><span class="note">{html.escape(note)}</span>' for note in notes)
    return page(f"mimsim report: {run.name}", lead, sections)


def _charted(clear: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The KPIs of the differences chart: the main overall ones, then up to ``_MORE_CHARTED`` of
    the others with a clear difference (per priority, team or service), in the order of the table."""
    names = [("overall", "", kpi) for kpi in _COMPARED]
    for row in clear.itertuples(index=False):
        name = (str(row.scope), "" if pd.isna(row.key) else str(row.key), str(row.kpi))
        if name not in names and len(names) < len(_COMPARED) + _MORE_CHARTED:
            names.append(name)
    return names


def _difference_cell(format_value: Formatter, kpi: str, row: pd.Series) -> str:
    """A paired difference and its interval; a share's in percentage points."""
    if kpi not in SHARE_KPIS:
        return _cell(format_value, kpi, row)
    mean, low, high = (100 * float(row[name]) for name in ("mean", "ci_low", "ci_high"))
    return f"{mean:+.1f} pt ({low:+.1f}\u00a0–\u00a0{high:+.1f})"


def comparison_report(comparison: Comparison, format_value: Formatter, scenario: Scenario | None = None,
                      notes: Sequence[str] = ()) -> str:
    """The HTML report of a comparison directory: differences first, then the designs side by side
    (``scenario``: the first design's, for the process diagram)."""
    runs = comparison.runs
    first = runs[comparison.designs[0]]
    baseline = first.summary.copy()
    baseline.attrs["design"] = comparison.designs[0]
    clear = comparison.differences[comparison.differences["clear"].astype(str) == "True"]
    names = _charted(clear)
    labels = dict(zip(comparison.designs, design_labels(comparison.designs), strict=True))
    difference_rows = [(labels.get(row.design, row.design),
                        row.kpi if row.scope == "overall" else f"{row.key}.{row.kpi}",
                        _difference_cell(format_value, row.kpi, pd.Series(row._asdict())))
                       for row in clear.itertuples(index=False)]
    changes = parameter_differences({name: run.manifest for name, run in runs.items()})
    sections = [
        Section("designs", "Designs", "<p>Every design ran with the same random numbers (replication "
                "<i>r</i> of each meets the same incidents); differences are paired by replication."
                "</p>" + (table_html(("parameter", *comparison.designs), changes) if changes else
                          "<p>The designs' parameters are the same.</p>")),
        Section("differences", "Differences from the first design", figure_html(
            differences_figure(comparison.differences, baseline, names), "paired differences",
            "Each later design minus the first, paired by replication, as % of the first design's "
            "mean, with 95 % confidence intervals: the main KPIs, then those per priority, team or "
            "service whose difference is clear.")
            + "<h3>Every clear difference</h3><p>Clear: the 95 % interval excludes 0 and the "
              "difference is at least the KPI's practical threshold (" + html.escape(
                  ", ".join(f"{unit.value.split(' (')[0]} {value:g}" for unit, value in
                            THRESHOLDS.items())) + "). Differences of shares are in percentage "
              "points (pt); money covers the measured window.</p>"
            + table_html(("design", "KPI", "difference (95 % CI)"), difference_rows)),
        Section("backlog", "Backlog over time", figure_html(
            backlog_figure({name: run.backlog for name, run in runs.items()}, _warmup_end(first)),
            "backlog per design", "Open tickets in all teams, daily mean and range over replications.")),
        Section("sla", "SLA attainment per priority", figure_html(
            sla_figure({name: run.summary for name, run in runs.items()}, first.targets),
            "SLA attainment per design", "With 95 % confidence intervals; black lines: the first "
                                         "design's targets.")),
    ]
    for name, run in runs.items():
        sections.append(Section(f"design-{len(sections)}", f"Targets: {name}",
                                _targets_table(run, format_value)))
    sections.append(_diagram_section(scenario, comparison.designs[0]))
    sections.append(Section("appendix", "Appendix: STRESS-DES (first design)", appendix_html(first.manifest)))
    lead = html.escape(f"{len(runs)} designs: {', '.join(comparison.designs)} — comparison "
                       f"directory {comparison.path}")
    lead += "".join(f'<br><span class="note">{html.escape(note)}</span>' for note in notes)
    return page(f"mimsim comparison: {' vs '.join(comparison.designs)}", lead, sections)


def write_report(text: str, path: str | Path) -> Path:
    """Write a report's HTML to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
