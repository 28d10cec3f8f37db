"""Experiment layer: the return on an improvement as a distribution over uncertain inputs.

The study, step by step:

1. **Inputs**: every price the two scenarios give as a range, and the ``--uncertain``
   inputs; each is a *price* or a *model* input (:mod:`simulator.experiment.uncertainty`).
2. **Input sets**: ``input_sets`` sets of the price inputs by Latin hypercube (seeded).
3. **Configurations to simulate**: the *base* (every model input at its base value). With
   model inputs, also ``model_points`` configurations from a Latin hypercube of their own —
   input set *i* uses configuration *i* mod K, so each configuration carries n/K price
   draws — and, for the tornado, each model input at its 10th and 90th percentile with the
   others at base. Without model inputs the base is the only configuration: every input
   set re-prices the same replications, and 200 input sets cost no more simulation than one.
4. **Simulation** — the inner loop (:func:`~simulator.experiment.roi_plan.simulate`), one call
   of :func:`~simulator.experiment.compare.compare_designs` per batch: every configuration ×
   both designs, R replications, common random numbers (replication *r* of every design and
   configuration meets the same incidents and outages).
5. **Pricing**: per input set and replication, the measured drivers × the set's prices
   (:mod:`simulator.metrics.pricing`) give each design's money, and
   :func:`~simulator.experiment.roi.benefits` the ROI figures; the set's figure is their
   mean over replications, with its standard error.
6. **Enough replications**: while the simulation's share of the spread of the net
   benefit (:func:`~simulator.experiment.roi_summary.simulation_share`) is above the target
   (10 %), add replications — R × share ÷ target in all, as a further batch whose root seed
   is derived from the study's (``SeedSequence([seed, batch])``) — up to a cap.
7. **Summaries** (:mod:`simulator.experiment.roi_summary`): distributions, the split of the
   spread, the risk-adjusted figures, a tornado, what drives the benefit, the outages
   behind it, and how it compares with published programmes.

What is simulated and how a set is priced live in :mod:`simulator.experiment.roi_plan`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.experiment.compare import Comparison
from simulator.experiment.evidence import MIN_EVENTS
from simulator.experiment.execution import Execution
from simulator.experiment.roi import RoiResult, RoiSettings, measured_years, roi_analysis
from simulator.experiment.roi_controls import VARIANCE_REDUCTIONS
from simulator.experiment.roi_plan import (
    ROLES,
    TORNADO_PERCENTILES,
    Configuration,
    Plan,
    Simulated,
    StudyInput,
    batch_seed,
    make_plan,
    set_figures,
    simulate,
    values_by_role,
)
from simulator.experiment.roi_summary import (
    RISK_KEYS,
    Distribution,
    distribution,
    noise_ratio,
    payback,
    plausibility,
    replications_to_decide,
    risk_adjusted,
    simulation_share,
)
from simulator.experiment.uncertainty import UncertainInput, price_leaves
from simulator.metrics.pricing import Prices
from simulator.scenario.schema import Scenario

__all__ = ["FIGURES", "RoiStudy", "StudySettings", "run_roi_study"]

#: The figures reported as distributions.
FIGURES = ("net_benefit", "annual_benefit", "roi", "payback_years")


@dataclass(frozen=True)
class StudySettings:
    """How the study samples inputs and decides its replications."""

    input_sets: int = 200
    seed: int | None = None  # of the Latin hypercube (default: the execution's root seed)
    model_points: int = 10  # configurations of the model inputs, if there are any
    noise_target: float = 0.10  # the simulation's share of the spread to stay under
    max_replications: int = 200
    haircuts: Mapping[str, float] = field(default_factory=dict)  # TEI risk adjustment
    min_events: int = MIN_EVENTS
    variance_reduction: str = "controls"  # the estimator: control variates, or "none" (plain means)

    def __post_init__(self) -> None:
        if self.input_sets < 1 or self.model_points < 1 or self.max_replications < 2:
            raise ValueError(f"expected at least 1 input set, 1 model point and a cap of 2 "
                             f"replications; found {self.input_sets}, {self.model_points}, "
                             f"{self.max_replications}")
        if self.variance_reduction not in VARIANCE_REDUCTIONS:
            raise ValueError(f"expected a variance reduction of {' or '.join(VARIANCE_REDUCTIONS)}; "
                             f"found {self.variance_reduction!r}")
        if not 0 < self.noise_target < 1:
            raise ValueError(f"expected a noise target between 0 and 1; found {self.noise_target}")
        for key, value in self.haircuts.items():
            if key not in RISK_KEYS or not 0 <= value < 1:
                raise ValueError(f"expected haircuts of {', '.join(RISK_KEYS)} from 0 up to 1; "
                                 f"found {key}={value}")


@dataclass
class RoiStudy:
    """An ROI as distributions over input sets, with its base answer and what it rests on."""

    baseline: str
    improved: str
    settings: RoiSettings
    study: StudySettings
    seed: int
    inputs: list[StudyInput]
    configurations: list[Configuration]
    input_sets: pd.DataFrame  # one row per input set: each input's value
    per_set: pd.DataFrame  # one row per input set: its configuration and figures
    replications: int
    batches: list[tuple[int, int]]  # (root seed, replications) of each batch
    share: float  # the simulation's share of the spread of the net benefit
    base: RoiResult  # every input at its base value, with CIs over replications
    tornado: pd.DataFrame
    drivers: dict[str, float]
    fixed: dict[str, dict[str, object]]  # role → prices without a range, by key
    base_scenarios: dict[str, Scenario]  # role → the scenario at the base configuration
    reused: int = 0  # replications read back from the replication cache
    plain_share: float = math.nan  # the share the plain means would have, on the same replications

    def distributions(self, adjusted: bool = False) -> dict[str, Distribution]:
        """Each figure over the input sets (risk-adjusted if asked and haircuts were given)."""
        table = self.adjusted() if adjusted else self.per_set
        return {name: distribution(table[name]) for name in FIGURES}

    def adjusted(self) -> pd.DataFrame:
        """The per-set figures after the TEI risk adjustment (the same if no haircut)."""
        return risk_adjusted(self.per_set, self.study.haircuts, self.settings.pv_years)

    @property
    def p_loss(self) -> float:
        """The probability that the net benefit is negative: the share of input sets with one."""
        return float((self.per_set["net_benefit"] < 0).mean())

    @property
    def warnings(self) -> list[str]:
        """What the figures rest on that a reader should know before quoting them."""
        found = list(self.base.evidence.warnings) if self.base.evidence is not None else []
        if math.isfinite(self.share) and self.share > self.study.noise_target:
            needed = self.replications_for_target()
            found.append(f"simulation noise is {self.share:.0%} of the spread of the net benefit "
                         f"(target {self.study.noise_target:.0%}) after {self.replications} "
                         f"replications, the cap: the distribution is partly noise; about "
                         f"{needed:,} would bring it under the target "
                         f"(--max-study-replications {needed})")
        undecided = self.undecided()
        if undecided is not None:
            found.append(undecided)
        return found

    def estimator(self) -> str:
        """How each input set's figures were estimated from the replications, in a phrase."""
        used = int(self.per_set["controls"].max())
        if self.study.variance_reduction == "none":
            return "plain means over the replications (--variance-reduction none)"
        if not used:
            return "plain means: too few replications for control variates"
        plain = f"; plain means would leave {self.plain_share:.0%}" if math.isfinite(self.plain_share) \
            else ""
        return (f"control variates: {used} count{'s' if used > 1 else ''} of outages restored in "
                f"or out of business hours, with exactly known means{plain}")

    def replications_for_target(self) -> int:
        """Replications per configuration that would bring the simulation's share of the spread
        under the target: R × the uncapped noise ratio ÷ the target, the rule the study adds
        batches by (the error variance falls as 1/R; the input spread stays)."""
        ratio = noise_ratio(self.per_set["net_benefit"].to_numpy(),
                            self.per_set["net_benefit_se"].to_numpy())
        if not math.isfinite(ratio):  # the means do not vary: nothing to bring down
            return self.replications
        return max(self.replications, math.ceil(self.replications * ratio / self.study.noise_target))

    def undecided(self) -> str | None:
        """What it would take to settle the sign of the net benefit, when the simulation has not
        (its 95 % interval at base prices straddles zero); ``None`` when it has."""
        net = self.base.parts["net_benefit"]
        needed = replications_to_decide(net.mean, net.ci_low, net.ci_high, net.n)
        if needed is None:
            return None
        years = max(self.base.years_measured.values(), default=math.nan)
        return (f"undecided: at base prices the net benefit's 95 % interval over {net.n} "
                f"replications runs from {net.ci_low:,.0f} to {net.ci_high:,.0f} (mean "
                f"{net.mean:,.0f}), so the simulation cannot tell whether the case pays; about "
                f"{needed:,} replications ({years:.3g} measured years of outages each) would "
                f"settle it if the mean held (--max-study-replications {needed})")

    def plausibility(self) -> str:
        """The median ROI beside published programme ROIs."""
        return plausibility(self.distributions()["roi"].median)

    def document(self) -> dict[str, object]:
        """The JSON of ``mimsim roi --format json`` for a study."""
        risk = bool(self.study.haircuts)
        return {
            "baseline": self.baseline, "improved": self.improved, "seed": self.seed,
            "years": self.settings.years, "discount_rate": self.settings.discount_rate,
            "input_sets": len(self.per_set), "replications": self.replications,
            "batches": [{"seed": seed, "replications": count} for seed, count in self.batches],
            "configurations": [{"label": item.label, "set": list(item.assignments)}
                               for item in self.configurations],
            "inputs": [{"key": item.key, "kind": item.spec.kind, "roles": list(item.roles),
                        "paths": list(item.paths),
                        "shape": item.spec.shape, "min": item.spec.low, "mode": item.spec.mode,
                        "max": item.spec.high, "source": item.spec.source}
                       for item in self.inputs],
            "fixed_prices": self.fixed,
            "distributions": {name: value.document() for name, value in self.distributions().items()},
            "p_net_benefit_negative": self.p_loss,
            "variance_reduction": self.study.variance_reduction,
            "controls_used": int(self.per_set["controls"].max()),
            "simulation_share": None if not math.isfinite(self.share) else self.share,
            "simulation_share_plain_means": None if not math.isfinite(self.plain_share)
            else self.plain_share,
            "input_share": None if not math.isfinite(self.share) else 1 - self.share,
            "risk_adjustment": dict(self.study.haircuts) if risk else None,
            "risk_adjusted": {name: value.document() for name, value in
                              self.distributions(adjusted=True).items()} if risk else None,
            "tornado": self.tornado.to_dict(orient="records"),
            "drivers": self.drivers, "plausibility": self.plausibility(),
            "base": self.base.document(), "warnings": self.warnings,
        }


def _tornado(prices: Sequence[StudyInput], model: Sequence[StudyInput], simulated: list[Simulated],
             configurations: list[Configuration], settings: RoiSettings,
             base_values: dict[str, float], reduction: str) -> pd.DataFrame:
    """Each input at its 10th and 90th percentile, the others at base: the mean net benefit
    (prices re-priced on the base configuration; model inputs at their own configurations),
    by the study's estimator."""
    def net(item: Simulated, values: dict[str, float]) -> float:
        return set_figures(item, values_by_role(prices, values), settings, reduction)["net_benefit"]

    reference = net(simulated[0], base_values)
    rows = []
    for item in [*prices, *model]:
        low, high = (float(item.spec.draw(np.array([p]))[0]) for p in TORNADO_PERCENTILES)
        if item.spec.kind == "price":
            at_low = net(simulated[0], base_values | {item.key: low})
            at_high = net(simulated[0], base_values | {item.key: high})
        else:
            index = [config.label for config in configurations].index
            at_low = net(simulated[index(f"{item.key} at p10")], base_values)
            at_high = net(simulated[index(f"{item.key} at p90")], base_values)
        rows.append({"input": item.key, "kind": item.spec.kind, "low": low, "high": high,
                     "at_low": at_low, "at_high": at_high, "base": reference,
                     "swing": abs(at_high - at_low)})
    table = pd.DataFrame(rows, columns=["input", "kind", "low", "high", "at_low", "at_high", "base",
                                        "swing"])
    return table.sort_values("swing", ascending=False, ignore_index=True)


def _overall_mean(kpis: pd.DataFrame, kpi: str, scope: str = "overall") -> float:
    rows = kpis[(kpis["scope"] == scope) & (kpis["kpi"] == kpi)]
    return float(rows.groupby("replication")["value"].sum().mean()) if len(rows) else math.nan


def _drivers(base: Simulated, result: RoiResult) -> dict[str, float]:
    """What drives the benefit, per year at the base values (see the one-pager)."""
    years = {role: measured_years(base.scenarios[role]) for role in ROLES}
    per_year = {role: {kpi: _overall_mean(base.kpis[role], kpi, scope) / years[role]
                       for kpi, scope in (("outages", "overall"), ("downtime_min", "service"),
                                          ("downtime_min_business_hours", "service"),
                                          ("sla_response_breaches", "overall"),
                                          ("sla_resolution_breaches", "overall"),
                                          ("arrived", "overall"), ("incidents_avoided", "overall"),
                                          ("major_incidents", "overall"))}
                for role in ROLES}
    for role in ROLES:
        per_year[role]["downtime_min_out_of_hours"] = (per_year[role]["downtime_min"]
                                                       - per_year[role]["downtime_min_business_hours"])
    avoided = per_year["baseline"]["downtime_min"] - per_year["improved"]["downtime_min"]
    outages = per_year["baseline"]["outages"]
    money = result.parts["downtime_cost_avoided"].mean
    found = {f"{role}_{kpi}_per_year": value for role in ROLES for kpi, value in per_year[role].items()}
    found |= {f"{role}_mttr_restore_min": _overall_mean(base.kpis[role], "mttr_restore_min")
              for role in ROLES}
    found |= {"downtime_min_avoided_per_year": avoided,
              "restore_min_avoided_per_outage": avoided / outages if outages else math.nan,
              "downtime_cost_avoided_per_year": money,
              "sla_penalties_avoided_per_year": result.parts["sla_penalties_avoided"].mean,
              "staff_cost_difference_per_year": result.parts["staff_cost_difference"].mean,
              "process_cost_per_year": result.costs.per_year, "one_off_cost": result.costs.one_off}
    return found | _service_drivers(base)


def _service_mean(kpis: pd.DataFrame, service: str, kpi: str) -> float:
    rows = kpis[(kpis["scope"] == "service") & (kpis["key"] == service) & (kpis["kpi"] == kpi)]
    return float(rows["value"].fillna(0.0).mean()) if len(rows) else 0.0


def _service_drivers(base: Simulated) -> dict[str, float]:
    """Per service and year at the base values: each design's downtime minutes in and out of
    business hours, and the downtime cost each design's minutes come to."""
    found: dict[str, float] = {}
    for role in ROLES:
        scenario = base.scenarios[role]
        years, prices = measured_years(scenario), Prices.of(scenario)
        for service, terms in prices.downtime.items():
            minutes, business, past = (_service_mean(base.kpis[role], service, kpi) for kpi in
                                       ("downtime_min", "downtime_min_business_hours",
                                        "downtime_min_past_ramp"))
            found[f"{role}.{service}.business_min_per_year"] = business / years
            found[f"{role}.{service}.other_min_per_year"] = (minutes - business) / years
            found[f"{role}.{service}.cost_per_year"] = terms.cost(minutes, business, past) / years
    return found


def _fixed_prices(scenarios: Mapping[str, Scenario],
                  inputs: Sequence[StudyInput]) -> dict[str, dict[str, object]]:
    ranged = {path for item in inputs for path in item.paths}
    fixed: dict[str, dict[str, object]] = {}
    for role, scenario in scenarios.items():
        fixed[role] = {path: (value.document() if hasattr(value, "document") else value)
                       for path, value in price_leaves(scenario).items() if path not in ranged}
    return fixed


def _replicate(plan: Plan, settings: RoiSettings, study: StudySettings, replications: int,
               execution: Execution) -> tuple[pd.DataFrame, float, list[tuple[int, int]], int]:
    """Simulate in batches until the simulation's share of the spread is within the target (or
    the cap): the priced input sets, the share, each batch's (seed, replications), and how
    many replications the replication cache gave back (a batch run before is read, not run)."""
    batches: list[tuple[int, int]] = []
    total = reused = 0
    with execution.started() as running:
        while True:
            count = replications - total
            seed = batch_seed(plan.seed, len(batches))
            reused += simulate(plan.simulated, count, seed, total, running)
            batches.append((seed, count))
            total += count
            per_set = plan.price_sets(settings, study.variance_reduction)
            means, errors = per_set["net_benefit"].to_numpy(), per_set["net_benefit_se"].to_numpy()
            share = simulation_share(means, errors)
            if not share > study.noise_target or total >= study.max_replications:
                return per_set, share, batches, reused
            # The error variance falls as 1/R: R × ratio ÷ target replications bring it to target.
            wanted = math.ceil(total * noise_ratio(means, errors) / study.noise_target)
            replications = min(study.max_replications, wanted)


def run_roi_study(files: tuple[str | Path, str | Path], settings: RoiSettings,
                  study: StudySettings | None = None, execution: Execution | None = None, *,
                  overrides: Sequence[str] = (), uncertain: Sequence[UncertainInput] = ()) -> RoiStudy:
    """The ROI of the second scenario over the first as distributions (see the module's notes).

    ``files`` are the baseline and improved scenario files, each loaded with ``overrides``;
    ``uncertain`` adds inputs (or replaces a scenario's range of the same key), applied to
    both designs alike. ``execution`` gives the first batch's replications and the root seed
    (default: the baseline's ``run.replications`` and ``run.seed``); it writes nothing.
    """
    study = study or StudySettings()
    execution = (execution or Execution()).writing_nothing("an ROI study")
    plan = make_plan(files, overrides, study.input_sets, study.model_points, study.seed, execution,
                     uncertain)
    replications = execution.fixed_replications(plan.loaded["baseline"], "an ROI study")
    per_set, share, batches, reused = _replicate(plan, settings, study, replications, execution)
    plain = per_set if study.variance_reduction == "none" else plan.price_sets(settings, "none")
    plain_share = simulation_share(plain["net_benefit"].to_numpy(), plain["net_benefit_se"].to_numpy())
    per_set["payback_years"] = payback(per_set["one_off_cost"], per_set["annual_benefit"])
    per_set.index.name = "input_set"
    base = plan.simulated[0]
    comparison = Comparison([base.names["baseline"], base.names["improved"]], plan.seed,
                            pd.concat([base.kpis[role] for role in ROLES], ignore_index=True),
                            pd.DataFrame(), pd.DataFrame())
    result = roi_analysis(comparison, base.scenarios["baseline"], base.scenarios["improved"],
                          settings, study.min_events)
    base_values = {item.key: item.spec.base for item in plan.prices}
    return RoiStudy(plan.stems["baseline"], plan.stems["improved"], settings, study, plan.seed,
                    plan.inputs, plan.configurations,
                    pd.concat([plan.sets, plan.model_values()], axis=1), per_set,
                    sum(count for _, count in batches), batches, share, result,
                    _tornado(plan.prices, plan.model, plan.simulated, plan.configurations, settings,
                             base_values, study.variance_reduction),
                    _drivers(base, result), _fixed_prices(plan.loaded, plan.inputs),
                    dict(base.scenarios), reused, plain_share)
