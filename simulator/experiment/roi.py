"""Experiment layer: the return on an improvement — paired replications, net benefit, ROI, payback.

The baseline and the improved design run with common random numbers, so replication
*r* of both meets the same incidents and outages. Per replication, scaled from the
measured window (end of warm-up to end of run) to a year of 365 days:

* downtime cost avoided = baseline ``downtime_cost`` − improved ``downtime_cost``;
* SLA penalties avoided = baseline ``sla_penalty`` − improved ``sla_penalty``;
* staff cost difference = improved ``staff_cost`` − baseline ``staff_cost`` (rostered
  hours and overtime, e.g. people paged onto a bridge out of hours);
* the process's own costs (:class:`CaseCosts`): per year, the improved design's
  ``major_incident.costs`` (tooling, training, the manager role, other) minus the
  baseline's, plus ``running_cost`` given; one-off, the implementation likewise, plus
  ``investment`` given (a process that is switched off costs nothing);
* annual benefit = the two avoided costs − the staff cost difference − the yearly costs;
* net benefit over N years = PV(N) × annual benefit − the one-off cost, where PV(N) = N
  without discounting, or Σ (1 + d)^−t over the years at a discount rate d (the one-off
  cost is paid at the start, as in Forrester's Total Economic Impact method).

Each has a 95 % Student-t interval over the paired replications. ROI = net benefit ÷ the
process's total cost (one-off + PV(N) × yearly), and as that cost is a fixed number the
ROI's interval is the net benefit's divided by it — no ratio of random quantities is
estimated. The payback period, one-off ÷ annual benefit, is read off the ends of the
annual benefit's interval (the map is monotone where the benefit is positive); where the
low end is not positive, the payback's upper end is unbounded. Without any cost the ROI,
and without a one-off cost the payback, are undefined (``None``), with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from importlib import metadata

import pandas as pd

from simulator.experiment.compare import Comparison, Question, compare_designs
from simulator.experiment.evidence import MIN_EVENTS, Evidence, outage_evidence
from simulator.experiment.execution import Execution
from simulator.experiment.sequential import PairedSeries, SequentialDecision, SequentialRule
from simulator.experiment.summary import confidence_interval, interval_document, kpi_interval
from simulator.experiment.uncertainty import price_leaves
from simulator.scenario.estimates import Estimate
from simulator.scenario.kpis import Unit
from simulator.scenario.schema import Scenario

__all__ = ["COMPONENTS", "YEAR_MIN", "CaseCosts", "Interval", "RoiResult", "RoiSettings", "benefits",
           "case_costs", "net_benefit_question", "payback_period", "process_costs", "pv_factor",
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
    """What the consultant supplies besides the scenarios: the horizon, a one-off investment and
    a yearly running cost not in the scenarios, and the discount rate (0: none)."""

    years: float = 1.0
    investment: float = 0.0
    running_cost: float = 0.0
    discount_rate: float = 0.0

    def __post_init__(self) -> None:
        if not (self.years > 0 and math.isfinite(self.years)):
            raise ValueError(f"expected a number of years above zero; found {self.years}")
        if self.investment < 0 or self.running_cost < 0:
            raise ValueError(f"expected an investment and a running cost of zero or more; found "
                             f"{self.investment} and {self.running_cost}")
        if not 0 <= self.discount_rate < 1:
            raise ValueError(f"expected a discount rate from 0 up to 1 (0.1 is 10 % a year); found "
                             f"{self.discount_rate}")

    @property
    def pv_years(self) -> float:
        """What one unit a year for ``years`` years is worth today (``years`` undiscounted)."""
        return pv_factor(self.years, self.discount_rate)


def pv_factor(years: float, rate: float) -> float:
    """Present value of one unit a year for ``years`` years, paid at each year's end and
    discounted at ``rate`` a year (``years`` itself when the rate is 0)."""
    return years if rate == 0 else (1 - (1 + rate) ** -years) / rate


def process_costs(scenario: Scenario) -> tuple[float, float]:
    """What a design's own process costs: (one-off, per year); nothing while it is switched off."""
    costs = scenario.major_incident.costs
    if costs is None or not scenario.major_incident.enabled:
        return 0.0, 0.0
    return float(costs.implementation), costs.per_year()


@dataclass(frozen=True)
class CaseCosts:
    """What the improvement costs on top of the baseline: one-off, and per year."""

    one_off: float
    per_year: float

    def total(self, settings: RoiSettings) -> float:
        """The cost over the horizon (present value): one-off + PV(years) × per year."""
        return self.one_off + settings.pv_years * self.per_year


def case_costs(baseline: Scenario, improved: Scenario, settings: RoiSettings) -> CaseCosts:
    """The improved design's process costs minus the baseline's, plus those given."""
    (base_once, base_yearly), (new_once, new_yearly) = process_costs(baseline), process_costs(improved)
    return CaseCosts(new_once - base_once + settings.investment,
                     new_yearly - base_yearly + settings.running_cost)


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


def benefits(baseline: pd.DataFrame, improved: pd.DataFrame, years_measured: tuple[float, float],
             costs: CaseCosts, settings: RoiSettings) -> pd.DataFrame:
    """Per paired replication (rows indexed by replication) from each design's money —
    ``downtime_cost``, ``sla_penalty``, ``staff_cost`` over its measured window: the
    components per year, ``annual_benefit``, ``net_benefit`` and ``roi`` (NaN without cost)."""
    first, second = (baseline.fillna(0.0) / years_measured[0], improved.fillna(0.0) / years_measured[1])
    table = pd.DataFrame({
        "downtime_cost_avoided": first["downtime_cost"] - second["downtime_cost"],
        "sla_penalties_avoided": first["sla_penalty"] - second["sla_penalty"],
        "staff_cost_difference": second["staff_cost"] - first["staff_cost"],
    }).dropna()
    table["annual_benefit"] = (table["downtime_cost_avoided"] + table["sla_penalties_avoided"]
                               - table["staff_cost_difference"] - costs.per_year)
    table["net_benefit"] = settings.pv_years * table["annual_benefit"] - costs.one_off
    total = costs.total(settings)
    table["roi"] = table["net_benefit"] / total if total > 0 else math.nan
    return table


def roi_per_replication(kpis: pd.DataFrame, baseline: str, improved: str,
                        years_measured: dict[str, float], settings: RoiSettings,
                        costs: CaseCosts | None = None) -> pd.DataFrame:
    """Per paired replication of a comparison's KPI table: :func:`benefits` (``costs``:
    the process's, default only what ``settings`` gives), with a ``replication`` column."""
    def money(design: str) -> pd.DataFrame:
        return pd.DataFrame({kpi: _overall(kpis, design, kpi)
                             for kpi in ("downtime_cost", "sla_penalty", "staff_cost")})

    chosen = costs or CaseCosts(settings.investment, settings.running_cost)
    table = benefits(money(baseline), money(improved),
                     (years_measured[baseline], years_measured[improved]), chosen, settings)
    return table.rename_axis("replication").reset_index()


def payback_period(annual: Interval, investment: float) -> tuple[Interval | None, str | None]:
    """Years to pay back the one-off ``investment`` from the annual benefit, with the interval
    read off the ends of the benefit's interval; None (with the reason) where it is undefined."""
    if investment <= 0:
        return None, "no one-off cost: there is nothing to pay back"
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
    costs: CaseCosts = CaseCosts(0.0, 0.0)
    assumptions: dict[str, object] = field(default_factory=dict)
    evidence: Evidence | None = None  # the outages behind the downtime figures, and warnings
    stopping: SequentialDecision | None = None  # under a sequential rule: why it stopped there
    reused: int = 0  # replications read back from the replication cache

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
            "discount_rate": self.settings.discount_rate,
            "one_off_cost": self.costs.one_off, "process_cost_per_year": self.costs.per_year,
            "total_cost": self.costs.total(self.settings),
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
            "evidence": None if self.evidence is None else self.evidence.document(),
            "warnings": [] if self.evidence is None else self.evidence.warnings,
        } | ({} if self.stopping is None else {"stopping": self.stopping.document()})


def _assumptions(scenario: Scenario) -> dict[str, object]:
    """Every price of a design (a range or a source where it has one)."""
    return {path: value.document() if isinstance(value, Estimate) else value
            for path, value in price_leaves(scenario).items()}


def _scaled(kpis: pd.DataFrame, design: str, kpi: str, years: float) -> pd.Series:
    """A KPI per replication; costs and counts per year."""
    values = _overall(kpis, design, kpi)
    return values / years if kpi in _PER_YEAR else values


def _levels(kpis: pd.DataFrame, design: str, years: float) -> dict[str, Interval]:
    return {kpi: Interval.of(_scaled(kpis, design, kpi, years), kpi) for kpi in _LEVELS}


def roi_analysis(comparison: Comparison, baseline: Scenario, improved: Scenario,
                 settings: RoiSettings, min_events: int = MIN_EVENTS) -> RoiResult:
    """The ROI figures from a two-design comparison (first design: the baseline)."""
    first, second = comparison.designs[:2]
    years = {first: measured_years(baseline), second: measured_years(improved)}
    costs = case_costs(baseline, improved, settings)
    table = roi_per_replication(comparison.kpis, first, second, years, settings, costs)
    parts = {name: Interval.of(table[name]) for name in (*COMPONENTS, "annual_benefit", "net_benefit")}
    roi: Interval | None = None
    reason: str | None = ("the process costs nothing here (no one-off or yearly cost): ROI (net "
                          "benefit ÷ cost) is undefined")
    total = costs.total(settings)
    if total > 0:
        net = parts["net_benefit"]
        roi = Interval(net.mean / total, net.ci_low / total, net.ci_high / total, net.n)
        reason = None
    payback, payback_reason = payback_period(parts["annual_benefit"], costs.one_off)
    differences = {kpi: Interval.of((_scaled(comparison.kpis, second, kpi, years[second])
                                     - _scaled(comparison.kpis, first, kpi, years[first])).dropna())
                   for kpi in _LEVELS}
    return RoiResult(first, second, settings, comparison.seed, years, table, parts, roi, reason,
                     payback, payback_reason,
                     {name: _levels(comparison.kpis, name, years[name]) for name in (first, second)},
                     differences, costs,
                     {"baseline": _assumptions(baseline), "improved": _assumptions(improved)},
                     outage_evidence(comparison.kpis, first, second,
                                     table.set_index("replication")["downtime_cost_avoided"],
                                     min_events))


def net_benefit_question(baseline: Scenario, improved: Scenario, settings: RoiSettings,
                         rule: SequentialRule) -> Question:
    """Under a sequential rule, an ROI asks one question: is the net benefit above or below zero
    (or within the indifference amount stated for ``net_benefit`` of it)?"""
    def question(kpis: pd.DataFrame) -> list[PairedSeries]:
        first, second = list(dict.fromkeys(kpis["design"]))[:2]
        years = {first: measured_years(baseline), second: measured_years(improved)}
        table = roi_per_replication(kpis, first, second, years, settings,
                                    case_costs(baseline, improved, settings))
        return [PairedSeries(f"net benefit over {settings.years:g} years",
                             table.sort_values("replication")["net_benefit"].tolist(),
                             rule.indifference_for("net_benefit", Unit.MONEY))]
    return question


def run_roi(baseline: tuple[str, Scenario], improved: tuple[str, Scenario], settings: RoiSettings,
            execution: Execution | None = None, min_events: int = MIN_EVENTS) -> RoiResult:
    """Run both designs with common random numbers and measure the ROI of the second.

    ``execution`` says how (default: the baseline's ``run.replications`` and ``run.seed``); with
    ``execution.out_dir``, both run directories are written there. Under a
    :class:`SequentialRule`, replications are added until the net benefit is clearly above or
    below zero (:func:`net_benefit_question`).
    """
    execution = execution or Execution()
    wanted = execution.replications_for(baseline[1])
    question = (net_benefit_question(baseline[1], improved[1], settings, wanted)
                if isinstance(wanted, SequentialRule) else None)
    comparison = compare_designs([baseline, improved], execution, question=question)
    result = roi_analysis(comparison, baseline[1], improved[1], settings, min_events)
    result.stopping = comparison.decision if isinstance(comparison.decision, SequentialDecision) \
        else None
    result.reused = comparison.reused
    return result


def generated_by() -> str:
    """``mimsim VERSION, DATE`` for report footers."""
    try:
        version = metadata.version("mimsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        version = "(development)"
    return f"mimsim {version}, {dt.date.today().isoformat()}"
