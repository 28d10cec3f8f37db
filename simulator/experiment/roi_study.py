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
4. **Simulation** — the inner loop, one call of
   :func:`~simulator.experiment.compare.compare_designs` per batch: every configuration ×
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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.experiment.compare import Comparison, compare_designs
from simulator.experiment.evidence import MIN_EVENTS
from simulator.experiment.execution import Execution
from simulator.experiment.roi import (
    RoiResult,
    RoiSettings,
    benefits,
    case_costs,
    measured_years,
    roi_analysis,
)
from simulator.experiment.roi_summary import (
    RISK_KEYS,
    Distribution,
    distribution,
    payback,
    plausibility,
    risk_adjusted,
    simulation_share,
)
from simulator.experiment.uncertainty import (
    UncertainInput,
    for_scenario,
    latin_hypercube,
    price_leaves,
    scenario_inputs,
    with_values,
)
from simulator.metrics.pricing import Prices, driver_table, price_weights
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

__all__ = ["FIGURES", "RoiStudy", "StudySettings", "run_roi_study"]

#: The figures reported as distributions.
FIGURES = ("net_benefit", "annual_benefit", "roi", "payback_years")
_ROLES = ("baseline", "improved")
_TORNADO = (0.1, 0.9)


@dataclass(frozen=True)
class StudySettings:
    """How the study samples inputs and decides its replications."""

    input_sets: int = 200
    seed: int | None = None  # of the Latin hypercube (default: the execution's root seed)
    model_points: int = 10  # configurations of the model inputs, if there are any
    noise_target: float = 0.10  # the simulation's share of the spread to stay under
    max_replications: int = 60
    haircuts: Mapping[str, float] = field(default_factory=dict)  # TEI risk adjustment
    min_events: int = MIN_EVENTS

    def __post_init__(self) -> None:
        if self.input_sets < 1 or self.model_points < 1 or self.max_replications < 2:
            raise ValueError(f"expected at least 1 input set, 1 model point and a cap of 2 "
                             f"replications; found {self.input_sets}, {self.model_points}, "
                             f"{self.max_replications}")
        if not 0 < self.noise_target < 1:
            raise ValueError(f"expected a noise target between 0 and 1; found {self.noise_target}")
        for key, value in self.haircuts.items():
            if key not in RISK_KEYS or not 0 <= value < 1:
                raise ValueError(f"expected haircuts of {', '.join(RISK_KEYS)} from 0 up to 1; "
                                 f"found {key}={value}")


@dataclass(frozen=True)
class StudyInput:
    """An uncertain input in the study: its name, its range, and the keys it prices in each design.

    One range written at several keys — the same bounds, shape and source, as a YAML anchor
    writes it — is one input, drawn once for all of them (one fact, such as the cost of an
    employee's hour, is not a new draw at every place it is used).
    """

    key: str
    spec: UncertainInput
    targets: tuple[tuple[str, str], ...]  # (role, key in that design's scenario)

    @property
    def roles(self) -> tuple[str, ...]:
        """The designs it prices."""
        return tuple(dict.fromkeys(role for role, _ in self.targets))

    @property
    def paths(self) -> tuple[str, ...]:
        """The scenario keys it sets."""
        return tuple(dict.fromkeys(path for _, path in self.targets))


def _identity(item: UncertainInput) -> tuple[object, ...]:
    return (item.low, item.mode, item.high, item.shape, item.source)


def _named(targets: list[tuple[str, str]], spec: UncertainInput) -> StudyInput:
    paths = list(dict.fromkeys(path for _, path in targets))
    key = paths[0] if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1} more)"
    return StudyInput(key, spec, tuple(targets))


@dataclass(frozen=True)
class Configuration:
    """A set of model-input values to simulate (as ``--set`` texts)."""

    label: str
    assignments: tuple[str, ...]


def _merge_inputs(scenarios: Mapping[str, Scenario],
                  given: Sequence[UncertainInput]) -> list[StudyInput]:
    """The scenarios' price ranges (one input per distinct range and source), then the given
    inputs, which replace a scenario's range at the same key (in both designs)."""
    given_paths = {item.path for item in given}
    groups: dict[tuple[object, ...], tuple[UncertainInput, list[tuple[str, str]]]] = {}
    for role, scenario in scenarios.items():
        for item in scenario_inputs(scenario):
            if item.path not in given_paths:
                groups.setdefault(_identity(item), (item, []))[1].append((role, item.path))
    inputs = [_named(targets, spec) for spec, targets in groups.values()]
    for item in (for_scenario(item, scenarios["baseline"]) for item in given):
        roles: tuple[str, ...] = _ROLES
        if item.kind == "price":
            roles = tuple(role for role in _ROLES if item.path in price_leaves(scenarios[role]))
            if not roles:
                raise ValueError(f"{item.path}: expected a price the scenarios set (write a value "
                                 f"for it in the scenario first); found none")
        inputs.append(StudyInput(item.path, item, tuple((role, item.path) for role in roles)))
    return inputs


def _configurations(model: Sequence[StudyInput], points: int, sets: int,
                    seed: int) -> tuple[list[Configuration], np.ndarray]:
    """The configurations to simulate, and each input set's configuration (an index)."""
    base = Configuration("base", tuple(f"{item.key}={item.spec.written(item.spec.base)}"
                                       for item in model))
    if not model:
        return [base], np.zeros(sets, dtype=int)
    count = min(points, sets)
    values = latin_hypercube([item.spec for item in model], count, seed + 1)
    configurations = [base]
    for index, row in values.iterrows():
        configurations.append(Configuration(f"model point {index}", tuple(
            f"{item.key}={item.spec.written(row[item.spec.path])}" for item in model)))
    for item in model:
        for probability in _TORNADO:
            value = float(item.spec.draw(np.array([probability]))[0])
            others = tuple(text for text in base.assignments
                           if not text.startswith(f"{item.key}="))
            configurations.append(Configuration(
                f"{item.key} at p{probability * 100:.0f}",
                (*others, f"{item.key}={item.spec.written(value)}")))
    return configurations, 1 + np.arange(sets) % count


@dataclass
class _Simulated:
    """One configuration's scenarios and, per role, its KPI table and drivers."""

    scenarios: dict[str, Scenario]
    names: dict[str, str]
    kpis: dict[str, pd.DataFrame] = field(default_factory=dict)
    drivers: dict[str, pd.DataFrame] = field(default_factory=dict)


def _batch_seed(seed: int, batch: int) -> int:
    if batch == 0:
        return seed
    return int(np.random.SeedSequence([seed, batch]).generate_state(1)[0])


def _simulate(simulated: list[_Simulated], replications: int, seed: int, offset: int,
              execution: Execution) -> None:
    """The inner loop: one comparison of every configuration's two designs; its replications
    are added to each configuration's tables, numbered from ``offset``."""
    designs = [(item.names[role], item.scenarios[role]) for item in simulated for role in _ROLES]
    comparison = compare_designs(designs, replace(execution, replications=replications, seed=seed))
    kpis = comparison.kpis.assign(replication=comparison.kpis["replication"] + offset)
    for item in simulated:
        for role in _ROLES:
            rows = kpis[kpis["design"] == item.names[role]]
            item.kpis[role] = pd.concat([item.kpis.get(role), rows], ignore_index=True)
            item.drivers[role] = driver_table(item.kpis[role])


def _price(item: _Simulated, role: str, values: Mapping[str, float]) -> tuple[pd.DataFrame, Scenario]:
    """A design's money per replication at the given price values, and the priced scenario."""
    scenario = with_values(item.scenarios[role], values) if values else item.scenarios[role]
    drivers = item.drivers[role]
    money = drivers.to_numpy() @ price_weights(drivers.columns, Prices.of(scenario))
    return pd.DataFrame(money, index=drivers.index,
                        columns=["downtime_cost", "staff_cost", "sla_penalty"]), scenario


def _set_figures(item: _Simulated, values: Mapping[str, Mapping[str, float]],
                 settings: RoiSettings) -> dict[str, float]:
    """One input set's figures: means over replications, and the net benefit's standard error."""
    money_b, priced_b = _price(item, "baseline", values["baseline"])
    money_i, priced_i = _price(item, "improved", values["improved"])
    costs = case_costs(priced_b, priced_i, settings)
    years = (measured_years(priced_b), measured_years(priced_i))
    table = benefits(money_b, money_i, years, costs, settings)
    figures = {name: float(table[name].mean()) for name in
               ("downtime_cost_avoided", "sla_penalties_avoided", "staff_cost_difference",
                "annual_benefit", "net_benefit")}
    total = costs.total(settings)
    figures["net_benefit_se"] = float(table["net_benefit"].std(ddof=1) / math.sqrt(len(table))) \
        if len(table) > 1 else math.nan
    figures["roi"] = figures["net_benefit"] / total if total > 0 else math.nan
    figures |= {"one_off_cost": costs.one_off, "process_cost_per_year": costs.per_year,
                "total_cost": total}
    return figures


def _values_by_role(inputs: Sequence[StudyInput], row: Mapping[str, float]) -> dict[str, dict[str, float]]:
    chosen: dict[str, dict[str, float]] = {role: {} for role in _ROLES}
    for item in inputs:
        for role, path in item.targets:
            chosen[role][path] = float(row[item.key])
    return chosen


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
            found.append(f"simulation noise is {self.share:.0%} of the spread of the net benefit "
                         f"(target {self.study.noise_target:.0%}) after {self.replications} "
                         f"replications, the cap: the distribution is partly noise")
        return found

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
            "simulation_share": None if not math.isfinite(self.share) else self.share,
            "input_share": None if not math.isfinite(self.share) else 1 - self.share,
            "risk_adjustment": dict(self.study.haircuts) if risk else None,
            "risk_adjusted": {name: value.document() for name, value in
                              self.distributions(adjusted=True).items()} if risk else None,
            "tornado": self.tornado.to_dict(orient="records"),
            "drivers": self.drivers, "plausibility": self.plausibility(),
            "base": self.base.document(), "warnings": self.warnings,
        }


def _tornado(prices: Sequence[StudyInput], model: Sequence[StudyInput], simulated: list[_Simulated],
             configurations: list[Configuration], settings: RoiSettings,
             base_values: dict[str, float]) -> pd.DataFrame:
    """Each input at its 10th and 90th percentile, the others at base: the mean net benefit
    (prices re-priced on the base configuration; model inputs at their own configurations)."""
    def net(item: _Simulated, values: dict[str, float]) -> float:
        return _set_figures(item, _values_by_role(prices, values), settings)["net_benefit"]

    reference = net(simulated[0], base_values)
    rows = []
    for item in [*prices, *model]:
        low, high = (float(item.spec.draw(np.array([p]))[0]) for p in _TORNADO)
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


def _drivers(base: _Simulated, result: RoiResult) -> dict[str, float]:
    """What drives the benefit, per year at the base values (see the one-pager)."""
    years = {role: measured_years(base.scenarios[role]) for role in _ROLES}
    per_year = {role: {kpi: _overall_mean(base.kpis[role], kpi, scope) / years[role]
                       for kpi, scope in (("outages", "overall"), ("downtime_min", "service"),
                                          ("downtime_min_business_hours", "service"),
                                          ("sla_response_breaches", "overall"),
                                          ("sla_resolution_breaches", "overall"),
                                          ("arrived", "overall"), ("incidents_avoided", "overall"),
                                          ("major_incidents", "overall"))}
                for role in _ROLES}
    for role in _ROLES:
        per_year[role]["downtime_min_out_of_hours"] = (per_year[role]["downtime_min"]
                                                       - per_year[role]["downtime_min_business_hours"])
    avoided = per_year["baseline"]["downtime_min"] - per_year["improved"]["downtime_min"]
    outages = per_year["baseline"]["outages"]
    money = result.parts["downtime_cost_avoided"].mean
    found = {f"{role}_{kpi}_per_year": value for role in _ROLES for kpi, value in per_year[role].items()}
    found |= {f"{role}_mttr_restore_min": _overall_mean(base.kpis[role], "mttr_restore_min")
              for role in _ROLES}
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


def _service_drivers(base: _Simulated) -> dict[str, float]:
    """Per service and year at the base values: each design's downtime minutes in and out of
    business hours, and the downtime cost each design's minutes come to."""
    found: dict[str, float] = {}
    for role in _ROLES:
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


@dataclass
class _Plan:
    """What a study simulates and prices: its inputs, configurations and input sets."""

    stems: dict[str, str]
    loaded: dict[str, Scenario]
    seed: int
    inputs: list[StudyInput]
    prices: list[StudyInput]
    model: list[StudyInput]
    configurations: list[Configuration]
    configuration_of: np.ndarray
    simulated: list[_Simulated]
    sets: pd.DataFrame

    def price_sets(self, settings: RoiSettings) -> pd.DataFrame:
        """Every input set's figures from the replications simulated so far."""
        return pd.DataFrame([
            {"configuration": int(self.configuration_of[index]),
             **_set_figures(self.simulated[self.configuration_of[index]],
                            _values_by_role(self.prices, row.to_dict()), settings)}
            for index, row in self.sets.iterrows()])

    def model_values(self) -> pd.DataFrame:
        """Each input set's model-input values (as written)."""
        return pd.DataFrame({item.key: [self.configurations[k].assignments[position].split("=", 1)[1]
                                        for k in self.configuration_of]
                             for position, item in enumerate(self.model)})


def _plan(files: tuple[str | Path, str | Path], overrides: Sequence[str], study: StudySettings,
          execution: Execution, uncertain: Sequence[UncertainInput]) -> _Plan:
    stems = {role: Path(file).stem for role, file in zip(_ROLES, files, strict=True)}
    if stems["baseline"] == stems["improved"]:
        stems = {role: f"{role}: {stem}" for role, stem in stems.items()}
    loaded = {role: load_scenario(file, overrides) for role, file in zip(_ROLES, files, strict=True)}
    seed = execution.seed_for(loaded["baseline"])
    inputs = _merge_inputs(loaded, uncertain)
    model = [item for item in inputs if item.spec.kind == "model"]
    prices = [item for item in inputs if item.spec.kind == "price"]
    sampling_seed = seed if study.seed is None else study.seed
    configurations, configuration_of = _configurations(model, study.model_points,
                                                       study.input_sets, sampling_seed)
    simulated = [_Simulated({role: load_scenario(file, (*overrides, *config.assignments))
                             for role, file in zip(_ROLES, files, strict=True)},
                            {role: stems[role] if config.label == "base"
                             else f"{stems[role]} @ {config.label}" for role in _ROLES})
                 for config in configurations]
    sets = latin_hypercube([item.spec for item in prices], study.input_sets, sampling_seed)
    sets.columns = [item.key for item in prices]
    return _Plan(stems, loaded, seed, inputs, prices, model, configurations, configuration_of,
                 simulated, sets)


def _replicate(plan: _Plan, settings: RoiSettings, study: StudySettings, replications: int,
               execution: Execution) -> tuple[pd.DataFrame, float, list[tuple[int, int]]]:
    """Simulate in batches until the simulation's share of the spread is within the target (or
    the cap): the priced input sets, the share, and each batch's (seed, replications)."""
    batches: list[tuple[int, int]] = []
    total = 0
    with execution.started() as running:
        while True:
            count = replications - total
            batch_seed = _batch_seed(plan.seed, len(batches))
            _simulate(plan.simulated, count, batch_seed, total, running)
            batches.append((batch_seed, count))
            total += count
            per_set = plan.price_sets(settings)
            share = simulation_share(per_set["net_benefit"].to_numpy(),
                                     per_set["net_benefit_se"].to_numpy())
            if not share > study.noise_target or total >= study.max_replications:
                return per_set, share, batches
            replications = min(study.max_replications, math.ceil(total * share / study.noise_target))


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
    plan = _plan(files, overrides, study, execution, uncertain)
    replications = execution.fixed_replications(plan.loaded["baseline"], "an ROI study")
    per_set, share, batches = _replicate(plan, settings, study, replications, execution)
    per_set["payback_years"] = payback(per_set["one_off_cost"], per_set["annual_benefit"])
    per_set.index.name = "input_set"
    base = plan.simulated[0]
    comparison = Comparison([base.names["baseline"], base.names["improved"]], plan.seed,
                            pd.concat([base.kpis[role] for role in _ROLES], ignore_index=True),
                            pd.DataFrame(), pd.DataFrame())
    result = roi_analysis(comparison, base.scenarios["baseline"], base.scenarios["improved"],
                          settings, study.min_events)
    base_values = {item.key: item.spec.base for item in plan.prices}
    return RoiStudy(plan.stems["baseline"], plan.stems["improved"], settings, study, plan.seed,
                    plan.inputs, plan.configurations,
                    pd.concat([plan.sets, plan.model_values()], axis=1), per_set,
                    sum(count for _, count in batches), batches, share, result,
                    _tornado(plan.prices, plan.model, plan.simulated, plan.configurations, settings,
                             base_values),
                    _drivers(base, result), _fixed_prices(plan.loaded, plan.inputs),
                    dict(base.scenarios))
