"""Reporting layer: the one-page Markdown summary of an ROI, for a consultant to hand over."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from simulator.experiment.roi import COMPONENTS, Interval, RoiResult, generated_by

__all__ = ["money", "roi_markdown"]

_PART_LABELS = {
    "downtime_cost_avoided": "Downtime cost avoided",
    "sla_penalties_avoided": "SLA penalties avoided",
    "staff_cost_difference": "Extra staff cost (rostered hours and overtime)",
    "annual_benefit": "**Net annual benefit**",
}
_LEVEL_LABELS = {
    "outages": "Outages per year",
    "major_incidents": "Major incidents declared per year",
    "mttr_restore_min": "Mean restore time (impact → restored), minutes",
    "downtime_cost": "Downtime cost per year",
    "sla_penalty": "SLA penalties per year",
    "staff_cost": "Staff cost per year",
    "mtta_min": "Mean time to first response, minutes",
    "sla_resolution_attainment": "Resolution SLA attainment",
}


def money(value: float) -> str:
    """A sum of money, rounded to whole units (n/a where undefined)."""
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"


def _number(kpi: str, value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    if kpi == "sla_resolution_attainment":
        return f"{100 * value:.1f} %"
    if kpi in ("downtime_cost", "sla_penalty", "staff_cost"):
        return money(value)
    return f"{value:,.1f}"


def _interval(interval: Interval, show: Callable[[float], str] = money) -> str:
    if not math.isfinite(interval.ci_low):
        return "no interval (one replication)"
    return f"{show(interval.ci_low)} to {show(interval.ci_high)}"


def _percent(value: float) -> str:
    return f"{100 * value:,.0f} %"


def _headline(result: RoiResult) -> list[str]:
    settings = result.settings
    net = result.parts["net_benefit"]
    years = f"{settings.years:g} year{'s' if settings.years != 1 else ''}"
    discount = f", discounted at {settings.discount_rate:.0%} a year" if settings.discount_rate else ""
    lines = [f"Over {years}, with a one-off cost of {money(result.costs.one_off)} and the "
             f"process's costs of {money(result.costs.per_year)} a year{discount}: **net benefit "
             f"{money(net.mean)}** (95 % CI {_interval(net)})."]
    if result.roi is None:
        lines.append(f"ROI: not defined — {result.roi_reason}.")
    else:
        roi = result.roi
        lines.append(f"ROI: **{_percent(roi.mean)}** (95 % CI {_interval(roi, _percent)}).")
    if result.payback_years is None:
        lines.append(f"Payback: not defined — {result.payback_reason}.")
    else:
        payback = result.payback_years
        high = "no upper bound" if not math.isfinite(payback.ci_high) else f"{payback.ci_high:.3g}"
        low = "n/a" if not math.isfinite(payback.ci_low) else f"{payback.ci_low:.3g}"
        days = f", {365 * payback.mean:.1f} days" if payback.mean < 1 else ""
        lines.append(f"Payback: **{payback.mean:.3g} years{days}** (from the annual benefit's 95 % CI: "
                     f"{low} years to {high}{'' if math.isinf(payback.ci_high) else ' years'}).")
    return lines


def _stopped(result: RoiResult) -> str:
    """Why that many, where ``-r until-clear`` chose them."""
    if result.stopping is None:
        return ""
    if result.stopping.decided:
        return " (-r until-clear: as many as it took to know the net benefit's sign)"
    return f" (-r until-clear: the cap of {result.stopping.cap}, the net benefit's sign still unclear)"


def roi_markdown(result: RoiResult) -> str:
    """A one-page summary: the result, its parts, the two designs, and how to read it."""
    base, better = result.baseline, result.improved
    days = {name: years * 365 for name, years in result.years_measured.items()}
    lines = [f"# Return on {better} over {base}", "", f"**{_verdict(result)}**", "",
             f"*{generated_by()}. {result.replications} paired replications{_stopped(result)} "
             f"with common random numbers (seed {result.seed}); each measures {days[base]:.0f} "
             f"days after its warm-up. Per-year figures scale that window to 365 days. Money is in the "
             f"scenario's currency.*", "", "## Result", "", *_headline(result), "",
             "| Per year | Mean | 95 % CI |", "|---|---:|---:|"]
    for part in COMPONENTS:
        interval = result.parts[part]
        lines.append(f"| {_PART_LABELS[part]} | {money(interval.mean)} | {_interval(interval)} |")
    annual = result.parts["annual_benefit"]
    lines += [f"| The process's own costs (scenario and given) | {money(result.costs.per_year)} | |",
              f"| {_PART_LABELS['annual_benefit']} | {money(annual.mean)} | {_interval(annual)} |"]
    lines += ["", "## The two designs", "",
              f"| | {base} | {better} | Difference (paired, 95 % CI) |", "|---|---:|---:|---:|"]
    for kpi, label in _LEVEL_LABELS.items():
        first, second = result.levels[base][kpi], result.levels[better][kpi]
        difference = result.differences[kpi]
        shown = "n/a"
        if math.isfinite(difference.mean):
            ends = _interval(difference, functools.partial(_number, kpi))
            shown = f"{_number(kpi, difference.mean)} ({ends})"
        lines.append(f"| {label} | {_number(kpi, first.mean)} | {_number(kpi, second.mean)} | {shown} |")
    lines += ["", "## How to read it", "",
              "- Both designs met the same incidents and outages (common random numbers), so each "
              "difference is measured replication by replication; the intervals say how sure the "
              "simulation is, not how sure the inputs are (see `mimsim sensitivity`).",
              "- Staff cost counts rostered hours and overtime at each team's hourly cost. Time on "
              "a bridge during a shift is already paid; it shows as ticket work displaced. A team "
              "present in both designs costs the same in both, even if only one uses it.",
              "- Outages are rare events: with few replications the downtime figures vary widely "
              "between runs. Add replications until the interval is as narrow as the decision "
              "needs.",
              "", _assumptions(result.assumptions["baseline"])]
    if result.evidence is not None and result.evidence.warnings:
        lines += ["", "## Before quoting it", "", *(f"- {line}" for line in result.evidence.warnings)]
    return "\n".join(lines) + "\n"


def _verdict(result: RoiResult) -> str:
    net = result.parts["net_benefit"]
    verb = "does not pay" if net.mean < 0 else "pays"
    return (f"The case {verb}: net benefit {money(net.mean)} over {result.settings.years:g} "
            f"years (95 % CI {_interval(net)}).")


def _assumptions(section: object) -> str:
    """The baseline's prices, as a list (a range or a source where the scenario gives one)."""
    values = section if isinstance(section, dict) else {}

    def shown(value: object) -> str:
        if isinstance(value, dict):
            if "value" in value:
                return f"{value['value']:,.4g} ({value.get('source') or 'no source'})"
            return (f"{value['dist']} {value['min']:,.4g}–{value['max']:,.4g}"
                    f" ({value.get('source') or 'no source'})")
        return f"{value:,.4g}" if isinstance(value, int | float) else str(value)

    lines = "\n".join(f"- `{path}`: {shown(value)}" for path, value in values.items())
    return f"Prices (baseline; a single answer uses each range's mode):\n\n{lines or '- none'}"
