"""Reporting layer: the report's figures, each a function of tables read from run directories.

Every function returns a matplotlib figure (Agg backend) that the HTML page
embeds as a PNG. Bands and intervals are across replications; a figure never
shows a number the tables do not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from simulator.metrics.series import ALL_TEAMS
from simulator.scenario.calendars import HOURS_PER_WEEK, WEEKDAYS
from simulator.scenario.targets import Target

__all__ = ["backlog_figure", "differences_figure", "outage_milestones", "queue_wait_figure",
           "resolution_figure", "sla_figure", "timeline_figure", "utilisation_figure"]

#: Major-incident milestones in the order the timeline shows them, with their markers.
MILESTONES = {"detected": ("o", "tab:blue"), "major incident declared": ("s", "tab:orange"),
              "assembled": ("^", "tab:purple"), "change approved": ("D", "tab:green"),
              "restored": ("*", "tab:red")}
#: Ticks of the timeline's minute axis: every quarter hour to the hour, then doubling.
_TIMELINE_TICKS = (0, 15, 30, 45, 60, 120, 240, 480, 960, 1920, 3840, 7680)


def backlog_figure(backlogs: Mapping[str, pd.DataFrame], warmup_end: pd.Timestamp) -> Figure:
    """Open tickets (all teams) per day: the mean over replications and their range, per design."""
    figure, axes = plt.subplots(figsize=(9, 3.8))
    for index, (name, backlog) in enumerate(backlogs.items()):
        total = backlog[backlog["team"] == ALL_TEAMS]
        daily = (total.assign(day=total["time"].dt.floor("D"))
                 .groupby(["replication", "day"])["open"].mean().unstack("replication"))
        colour = f"C{index}"
        axes.fill_between(daily.index, daily.min(axis=1), daily.max(axis=1), color=colour, alpha=0.2,
                          linewidth=0, label=f"{name}: range over {daily.shape[1]} replications")
        axes.plot(daily.index, daily.mean(axis=1), color=colour, label=f"{name}: mean")
    axes.axvline(warmup_end, color="grey", linestyle=":", label="end of warm-up")
    axes.set_ylabel("open tickets (daily mean)")
    axes.set_ylim(bottom=0)
    axes.legend(loc="best", fontsize="small", framealpha=0.85)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def sla_figure(summaries: Mapping[str, pd.DataFrame], targets: Sequence[Target]) -> Figure:
    """SLA attainment per priority (response, resolution) with 95 % CIs, against the targets."""
    kinds = (("sla_response_attainment", "response"), ("sla_resolution_attainment", "resolution"))
    first = next(iter(summaries.values()))
    priorities = list(dict.fromkeys(first.loc[first["scope"] == "priority", "key"]))
    figure, panels = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    width = 0.8 / max(1, len(summaries))
    x = np.arange(len(priorities))
    for panel, (kpi, title) in zip(panels, kinds, strict=True):
        for index, (name, summary) in enumerate(summaries.items()):
            rows = summary[(summary["scope"] == "priority") & (summary["kpi"] == kpi)].set_index("key")
            rows = rows.reindex(priorities)
            mean = rows["mean"].to_numpy(dtype=float)
            errors = np.vstack([mean - rows["ci_low"].to_numpy(dtype=float),
                                rows["ci_high"].to_numpy(dtype=float) - mean])
            offset = (index - (len(summaries) - 1) / 2) * width
            panel.bar(x + offset, mean, width * 0.9, color=f"C{index}", alpha=0.8, label=name,
                      yerr=np.nan_to_num(errors), capsize=3, error_kw={"lw": 0.8})
        for position, priority in enumerate(priorities):
            goal = next((t for t in targets if t.scope == priority and t.kpi == kpi), None)
            if goal is not None:
                panel.hlines(goal.value, position - 0.45, position + 0.45, color="black", lw=1.6,
                             label="target" if position == 0 else None)
        panel.set_xticks(x, priorities)
        panel.set_title(f"{title} within the SLA")
        panel.set_ylim(0, 1.05)
        panel.yaxis.set_major_formatter(PercentFormatter(1.0))
        panel.grid(axis="y", alpha=0.3)
    panels[0].set_ylabel("share of incidents")
    handles, labels = panels[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    panels[1].legend(unique.values(), unique.keys(), loc="lower right", fontsize="small",
                     framealpha=0.9)
    figure.tight_layout()
    return figure


def resolution_figure(incidents: pd.DataFrame, warmup_min: float) -> Figure:
    """Arrival → resolution time per priority (cohort after the warm-up), on a log scale."""
    cohort = incidents[(incidents["arrived_min"] >= warmup_min) & incidents["is_resolved"].astype(bool)]
    hours = (cohort["resolved_min"] - cohort["arrived_min"]) / 60.0
    priorities = sorted(cohort["priority"].dropna().unique())
    figure, panels = plt.subplots(len(priorities), 1, figsize=(9, 1.3 + 1.15 * len(priorities)),
                                  sharex=True, squeeze=False)
    positive = hours[hours > 0]
    low = max(positive.min(), 1 / 60) if len(positive) else 1 / 60
    high = max(positive.max(), low * 10) if len(positive) else 1.0
    bins = np.geomspace(low, high, 60)
    for panel, priority in zip(panels[:, 0], priorities, strict=True):
        values = hours[cohort["priority"] == priority]
        values = values[values > 0]
        panel.hist(values, bins=bins, color="tab:blue", alpha=0.75)
        if len(values):
            for q, style in ((0.5, "-"), (0.9, "--")):
                panel.axvline(values.quantile(q), color="black", linestyle=style, lw=1)
            panel.text(0.99, 0.9, f"{priority}: {len(values):,} incidents, median "
                                  f"{values.median():.3g} h, p90 {values.quantile(0.9):.3g} h",
                       transform=panel.transAxes, ha="right", va="top", fontsize="small",
                       bbox={"fc": "white", "ec": "none", "alpha": 0.8})
        panel.set_ylabel("incidents")
    axis = panels[-1, 0]
    axis.set_xscale("log")
    axis.set_xlabel("hours from arrival to resolution (log scale; solid: median, dashed: p90)")
    figure.tight_layout()
    return figure


def _hour_of_week_ticks(axes: Axes) -> None:
    axes.set_xticks(np.arange(0, HOURS_PER_WEEK, 24) + 12, WEEKDAYS)
    axes.set_xticks(np.arange(0, HOURS_PER_WEEK + 1, 24) - 0.5, minor=True)
    axes.tick_params(axis="x", which="minor", length=12)
    axes.tick_params(axis="x", which="major", length=0)


def utilisation_figure(hourly: pd.DataFrame) -> Figure:
    """Utilisation per team and hour of the week (blank where nobody is on duty)."""
    sums = hourly.groupby(["team", "hour_of_week"])[["busy_min", "on_duty_min"]].sum()
    share = (sums["busy_min"] / sums["on_duty_min"].where(sums["on_duty_min"] > 0)).unstack("hour_of_week")
    teams = list(dict.fromkeys(hourly["team"]))
    share = share.reindex(teams)
    figure, axes = plt.subplots(figsize=(10, 0.9 + 0.42 * len(teams)))
    image = axes.imshow(share.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                        interpolation="nearest")
    axes.set_yticks(range(len(teams)), teams)
    _hour_of_week_ticks(axes)
    for day in range(1, 7):
        axes.axvline(day * 24 - 0.5, color="white", lw=1)
    colour_bar = figure.colorbar(image, ax=axes, pad=0.01)
    colour_bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    colour_bar.set_label("busy while on duty")
    axes.set_xlabel("hour of the week (blank: nobody on duty)")
    figure.tight_layout()
    return figure


def queue_wait_figure(hourly: pd.DataFrame) -> Figure:
    """Mean queue wait of tickets queued in each hour of the day, per team (log scale)."""
    frame = hourly.assign(hour=hourly["hour_of_week"] % 24)
    sums = frame.groupby(["team", "hour"])[["queue_wait_min", "queue_entries"]].sum()
    mean = (sums["queue_wait_min"] / sums["queue_entries"].where(sums["queue_entries"] > 0))
    figure, axes = plt.subplots(figsize=(9, 3.8))
    for index, team in enumerate(dict.fromkeys(hourly["team"])):
        if team not in mean.index.get_level_values(0):
            continue
        series = mean.loc[team].reindex(range(24))
        if series.notna().any():
            axes.plot(series.index, series.to_numpy(dtype=float), marker="o", ms=3, color=f"C{index}",
                      label=team)
    if (mean > 0).any():
        axes.set_yscale("log")
        axes.set_ylabel("mean wait for work (minutes, log)")
    else:  # nothing to put on a log scale: say so rather than draw an empty one
        axes.set_ylabel("mean wait for work (minutes)")
        axes.set_ylim(-0.05, 1)
        axes.text(0.5, 0.55, "no ticket waited for work in the measured window",
                  transform=axes.transAxes, ha="center", va="center", color="0.4")
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlabel("hour of the day the ticket joined the queue")
    axes.grid(alpha=0.3, which="both")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize="small", ncols=2, framealpha=0.85)
    figure.tight_layout()
    return figure


def outage_milestones(milestones: pd.DataFrame, start: pd.Timestamp, warmup_min: float,
                 most: int) -> list[tuple[str, dict[str, float]]]:
    """Per outage of the first replication that has any after the warm-up: minutes from its
    impact to each milestone."""
    warm = start + pd.Timedelta(minutes=warmup_min)
    outages = milestones[milestones["case"].str.match(r"^OUT\d+$")]
    begun = outages[(outages["activity"] == "outage started") & (outages["timestamp"] >= warm)]
    if begun.empty:
        return []
    replication = int(begun["replication"].min())
    rows = []
    mine = milestones[milestones["replication"] == replication]
    first = begun[begun["replication"] == replication][["case", "timestamp"]].head(most)
    for case, impact in first.itertuples(index=False):
        events = mine[(mine["case"] == case) | (mine["parent"] == case)]
        times = {activity: (events.loc[events["activity"] == activity, "timestamp"].min() - impact)
                 .total_seconds() / 60.0 for activity in MILESTONES
                 if (events["activity"] == activity).any()}
        rows.append((f"{case} (replication {replication}, {impact:%d %b %H:%M})", times))
    return rows


def timeline_figure(milestones: pd.DataFrame, start: pd.Timestamp, warmup_min: float,
                    most: int = 15) -> Figure | None:
    """Each outage's milestones in minutes from its impact (None when there are no outages)."""
    rows = outage_milestones(milestones, start, warmup_min, most)
    if not rows:
        return None
    height = 1.6 + 0.36 * len(rows)
    figure, axes = plt.subplots(figsize=(9, height))
    latest = 60.0
    for y, (_, times) in enumerate(rows):
        end = times.get("restored", max(times.values(), default=0.0))
        latest = max(latest, end)
        axes.plot([0, end], [y, y], color="grey", lw=3, alpha=0.4, solid_capstyle="butt")
        for activity, (marker, colour) in MILESTONES.items():
            if activity in times:
                axes.plot(times[activity], y, marker=marker, color=colour, ls="none", ms=7)
    axes.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize="small")
    axes.invert_yaxis()
    axes.set_xscale("symlog", linthresh=60)
    ticks = [tick for tick in _TIMELINE_TICKS if tick <= latest * 1.05]
    axes.set_xticks(ticks, [str(tick) for tick in ticks])
    axes.set_xlim(0, latest * 1.1)
    axes.set_xlabel("minutes after the impact (linear to 60, then log)")
    axes.grid(axis="x", alpha=0.3, which="major")
    handles = [Line2D([], [], marker=marker, color=colour, ls="none", ms=7, label=activity)
               for activity, (marker, colour) in MILESTONES.items()]
    figure.legend(handles=handles, loc="lower center", ncols=len(handles), fontsize="small", frameon=False)
    figure.tight_layout(rect=(0, 0.35 / height, 1, 1))
    return figure


def differences_figure(differences: pd.DataFrame, baseline: pd.DataFrame,
                       names: Sequence[tuple[str, str, str]]) -> Figure:
    """Paired differences against the first design, relative to its mean, with 95 % CIs."""
    designs = list(dict.fromkeys(differences["design"]))
    base = baseline.set_index(["scope", "key", "kpi"])["mean"]
    figure, axes = plt.subplots(figsize=(9, 1.0 + 0.34 * len(names) * max(1, len(designs))))
    labels, y, labelled = [], 0, set()
    for scope, key, kpi in names:
        reference = base.get((scope, key, kpi), np.nan)
        for index, design in enumerate(designs):
            row = differences[(differences["design"] == design) & (differences["scope"] == scope)
                              & (differences["key"] == key) & (differences["kpi"] == kpi)]
            if row.empty or not np.isfinite(reference) or reference == 0:
                continue
            mean, low, high = (100 * float(row[c].iloc[0]) / abs(reference)
                               for c in ("mean", "ci_low", "ci_high"))
            clear = bool(row["clear"].iloc[0])
            axes.errorbar(mean, y, xerr=[[mean - low], [high - mean]] if np.isfinite(low) else None,
                          fmt="o", color=f"C{index + 1}", mfc=f"C{index + 1}" if clear else "white",
                          capsize=3, label=None if design in labelled else design)
            labelled.add(design)
            labels.append(kpi if scope == "overall" else f"{key}.{kpi}")
            y += 1
    axes.axvline(0, color="black", lw=0.8)
    axes.set_yticks(range(len(labels)), labels, fontsize="small")
    axes.invert_yaxis()
    axes.set_xlabel(f"difference from {baseline.attrs.get('design', 'the first design')}, % of its "
                    f"mean (filled: the 95 % CI excludes 0)")
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    return figure
