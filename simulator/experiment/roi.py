"""Experiment layer: the return on an improvement — paired replications, net benefit, ROI, payback.

The baseline and the improved design run with common random numbers, so replication
*r* of both meets the same incidents and outages. Per replication, scaled from the
measured window (end of warm-up to end of run) to a year of 365 days:

* downtime cost avoided = baseline ``downtime_cost`` − improved ``downtime_cost``;
* SLA penalties avoided = baseline ``sla_penalty`` − improved ``sla_penalty``;
* staff cost difference = improved ``staff_cost`` − baseline ``staff_cost`` (rostered
  hours and overtime, e.g. people paged onto a bridge out of hours);
* annual benefit = the two avoided costs − the staff cost difference − the process's
  running cost per year (given);
* net benefit over N years = N × annual benefit − the investment (given).

Each has a 95 % Student-t interval over the paired replications. Because the
investment is a fixed number, ROI = net benefit ÷ investment, and its interval is the
net benefit's interval divided by the investment — no ratio of random quantities is
estimated. The payback period, investment ÷ annual benefit, is read off the ends of the
annual benefit's interval (the map is monotone where the benefit is positive); where the
low end is not positive, the payback's upper end is unbounded. With no investment the
ROI and the payback are undefined (``None``), with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from importlib import metadata

import pandas as pd

from simulator.experiment.compare import Comparison, compare_designs
from simulator.experiment.execution import Execution
from simulator.experiment.summary import confidence_interval, interval_document, kpi_interval
from simulator.scenario.schema import Scenario

__all__ = ["COMPONENTS", "YEAR_MIN", "Interval", "RoiResult", "RoiSettings", "payback_period",
           "roi_analysis", "roi_per_replication", "run_roi"]

YEAR_MIN = 365 * 24 * 60.0
#: The parts of the annual benefit, as measured per replication.
COMPONENTS = ("downtime_cost_avoided", "sla_penalties_avoided", "staff_cost_difference")
#: Per-design KPIs the report shows; those in _PER_YEAR are scaled to a year.
_LEVELS = ("outages", "major_incidents", "mttr_restore_min", "downtime_cost", "sla_penalty",
           "staff_cost", "mtta_min", "sla_resolution_attainment")
_PER_YEAR = {"outages", "major_incidents", "downtime_cost", "sla_penalty", "staff_cost"}


@dataclass(frozen=True)
class RoiSettings:
    """What the consultant supplies: the horizon, the one-off investment, the yearly running cost."""

    years: float = 1.0
    investment: float = 0.0
    running_cost: float = 0.0

    def __post_init__(self) -> None:
        if not (self.years > 0 and math.isfinite(self.years)):
            raise ValueError(f"expected a number of years above zero; found {self.years}")
        if self.investment < 0 or self.running_cost < 0:
            raise ValueError(f"expected an investment and a running cost of zero or more; found "
                             f"{self.investment} and {self.running_cost}")


@dataclass(frozen=True)
class Interval:
    """A mean and its 95 % confidence interval (NaN ends where there is none)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    @classmethod
    def of(cls, values: pd.Series, kpi: str | None = None) -> Interval:
        """The mean and Student-t interval of the values (of a KPI: clipped to its possible values)."""
        return cls(*(confidence_interval(values) if kpi is None else kpi_interval(kpi, values)))

    def document(self) -> dict[str, float | int | None]:
        """JSON: ``mean``, ``ci_low``, ``ci_high``, ``n`` (``null`` where not finite)."""
        return interval_document(self.mean, self.ci_low, self.ci_high, self.n)


def measured_years(scenario: Scenario) -> float:
    """The measured window (horizon − warm-up) in years of 365 days."""
    return (scenario.run.horizon - scenario.run.warmup) / YEAR_MIN


def _overall(kpis: pd.DataFrame, design: str, kpi: str) -> pd.Series:
    rows = kpis[(kpis["design"] == design) & (kpis["scope"] == "overall") & (kpis["kpi"] == kpi)]
    return rows.set_index("replication")["value"].astype(float)


def roi_per_replication(kpis: pd.DataFrame, baseline: str, improved: str,
                        years_measured: dict[str, float], settings: RoiSettings) -> pd.DataFrame:
    """Per paired replication: the components (per year), ``annual_benefit``, ``net_benefit``
    (over ``settings.years``, after the investment) and ``roi`` (NaN without investment)."""
    def yearly(design: str, kpi: str) -> pd.Series:
        return _overall(kpis, design, kpi).fillna(0.0) / years_measured[design]

    table = pd.DataFrame({
        "downtime_cost_avoided": yearly(baseline, "downtime_cost") - yearly(improved, "downtime_cost"),
        "sla_penalties_avoided": yearly(baseline, "sla_penalty") - yearly(improved, "sla_penalty"),
        "staff_cost_difference": yearly(improved, "staff_cost") - yearly(baseline, "staff_cost"),
    }).dropna()
    table["annual_benefit"] = (table["downtime_cost_avoided"] + table["sla_penalties_avoided"]
                               - table["staff_cost_difference"] - settings.running_cost)
    table["net_benefit"] = settings.years * table["annual_benefit"] - settings.investment
    table["roi"] = (table["net_benefit"] / settings.investment if settings.investment > 0
                    else math.nan)
    return table.rename_axis("replication").reset_index()


def payback_period(annual: Interval, investment: float) -> tuple[Interval | None, str | None]:
    """Years to pay back ``investment`` from the annual benefit, with the interval read off the
    ends of the benefit's interval; None (with the reason) where it is undefined."""
    if investment <= 0:
        return None, "no investment: there is nothing to pay back"
    if not annual.mean > 0:
        return None, "the mean annual benefit is not positive: the investment is not paid back"
    high = investment / annual.ci_low if annual.ci_low > 0 else math.inf
    low = investment / annual.ci_high if annual.ci_high > 0 else math.nan
    reason = None
    if not annual.ci_low > 0:
        reason = ("the annual benefit's interval reaches zero or below: at its low end the "
                  "investment is never paid back (no upper bound)")
    return Interval(investment / annual.mean, low, high, annual.n), reason


@dataclass
class RoiResult:
    """The ROI of one design over another, with its parts and the designs' own figures."""

    baseline: str
    improved: str
    settings: RoiSettings
    seed: int
    years_measured: dict[str, float]
    per_replication: pd.DataFrame
    parts: dict[str, Interval]  # COMPONENTS, annual_benefit, net_benefit
    roi: Interval | None
    roi_reason: str | None
    payback_years: Interval | None
    payback_reason: str | None
    levels: dict[str, dict[str, Interval]]  # design → KPI → interval (cost and counts per year)
    differences: dict[str, Interval]  # KPI → improved − baseline, paired
    assumptions: dict[str, object] = field(default_factory=dict)

    @property
    def replications(self) -> int:
        """Paired replications behind the figures."""
        return len(self.per_replication)

    def document(self) -> dict[str, object]:
        """The JSON of ``mimsim roi --format json``."""
        return {
            "baseline": self.baseline, "improved": self.improved,
            "replications": self.replications, "seed": self.seed, "years": self.settings.years,
            "investment": self.settings.investment,
            "running_cost_per_year": self.settings.running_cost,
            "measured_days": {name: round(years * 365, 3) for name, years in
                              self.years_measured.items()},
            "per_year": {name: self.parts[name].document()
                         for name in (*COMPONENTS, "annual_benefit")},
            "net_benefit": self.parts["net_benefit"].document(),
            "roi": None if self.roi is None else self.roi.document(),
            "roi_reason": self.roi_reason,
            "payback_years": None if self.payback_years is None else self.payback_years.document(),
            "payback_reason": self.payback_reason,
            "designs": {name: {kpi: interval.document() for kpi, interval in levels.items()}
                        for name, levels in self.levels.items()},
            "differences": {kpi: interval.document() for kpi, interval in self.differences.items()},
            "assumptions": self.assumptions,
        }


def _assumptions(scenario: Scenario) -> dict[str, object]:
    return {
        "downtime_cost_per_minute": {name: service.downtime_cost
                                     for name, service in scenario.services.items()},
        "breach_penalties": {name: {"response": priority.response_breach_penalty,
                                    "resolution": priority.breach_penalty}
                             for name, priority in scenario.priorities.items()
                             if priority.breach_penalty or priority.response_breach_penalty},
        "hourly_cost": {name: team.hourly_cost for name, team in scenario.teams.items()},
    }


def _scaled(kpis: pd.DataFrame, design: str, kpi: str, years: float) -> pd.Series:
    """A KPI per replication; costs and counts per year."""
    values = _overall(kpis, design, kpi)
    return values / years if kpi in _PER_YEAR else values


def _levels(kpis: pd.DataFrame, design: str, years: float) -> dict[str, Interval]:
    return {kpi: Interval.of(_scaled(kpis, design, kpi, years), kpi) for kpi in _LEVELS}


def roi_analysis(comparison: Comparison, baseline: Scenario, improved: Scenario,
                 settings: RoiSettings) -> RoiResult:
    """The ROI figures from a two-design comparison (first design: the baseline)."""
    first, second = comparison.designs[:2]
    years = {first: measured_years(baseline), second: measured_years(improved)}
    table = roi_per_replication(comparison.kpis, first, second, years, settings)
    parts = {name: Interval.of(table[name]) for name in (*COMPONENTS, "annual_benefit", "net_benefit")}
    roi: Interval | None = None
    reason: str | None = "no investment: ROI (net benefit ÷ investment) is undefined"
    if settings.investment > 0:
        net = parts["net_benefit"]
        roi = Interval(net.mean / settings.investment, net.ci_low / settings.investment,
                       net.ci_high / settings.investment, net.n)
        reason = None
    payback, payback_reason = payback_period(parts["annual_benefit"], settings.investment)
    differences = {kpi: Interval.of((_scaled(comparison.kpis, second, kpi, years[second])
                                     - _scaled(comparison.kpis, first, kpi, years[first])).dropna())
                   for kpi in _LEVELS}
    return RoiResult(first, second, settings, comparison.seed, years, table, parts, roi, reason,
                     payback, payback_reason,
                     {name: _levels(comparison.kpis, name, years[name]) for name in (first, second)},
                     differences,
                     {"baseline": _assumptions(baseline), "improved": _assumptions(improved)})


def run_roi(baseline: tuple[str, Scenario], improved: tuple[str, Scenario], settings: RoiSettings,
            execution: Execution | None = None) -> RoiResult:
    """Run both designs with common random numbers and measure the ROI of the second.

    ``execution`` says how (default: the baseline's ``run.replications`` and ``run.seed``); with
    ``execution.out_dir``, both run directories are written there.
    """
    comparison = compare_designs([baseline, improved], execution)
    return roi_analysis(comparison, baseline[1], improved[1], settings)


def generated_by() -> str:
    """``mimsim VERSION, DATE`` for report footers."""
    try:
        version = metadata.version("mimsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        version = "(development)"
    return f"mimsim {version}, {dt.date.today().isoformat()}"
