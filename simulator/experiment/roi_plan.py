"""Experiment layer: what an ROI study simulates and how it prices each input set.

The study's plan (:func:`make_plan`): the uncertain inputs of the two designs — each range
written in the scenarios (one input per distinct range and source: a YAML anchor's range is
one fact, drawn once) and each ``--uncertain`` input — split into price and model inputs; the
configurations of the model inputs to simulate; and the Latin hypercube of the price inputs.
Its inner loop (:func:`simulate`) is one :func:`~simulator.experiment.compare.compare_designs`
call for every configuration's two designs; pricing (:func:`set_figures`) turns each design's
drivers into money at an input set's prices and those into the ROI figures. See
:mod:`simulator.experiment.roi_study` for the study as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.experiment.compare import compare_designs
from simulator.experiment.execution import Execution
from simulator.experiment.roi import RoiSettings, benefits, case_costs, measured_years
from simulator.experiment.roi_controls import OutageControls, controlled_means, outage_controls
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

__all__ = ["MEAN_FIGURES", "ROLES", "TORNADO_PERCENTILES", "Configuration", "Plan", "Simulated",
           "StudyInput",
           "batch_seed", "make_plan", "set_figures", "simulate", "values_by_role"]

#: The two designs of a study.
ROLES = ("baseline", "improved")
#: The percentiles a tornado puts each input at.
TORNADO_PERCENTILES = (0.1, 0.9)

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
        roles: tuple[str, ...] = ROLES
        if item.kind == "price":
            roles = tuple(role for role in ROLES if item.path in price_leaves(scenarios[role]))
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
        for probability in TORNADO_PERCENTILES:
            value = float(item.spec.draw(np.array([probability]))[0])
            others = tuple(text for text in base.assignments
                           if not text.startswith(f"{item.key}="))
            configurations.append(Configuration(
                f"{item.key} at p{probability * 100:.0f}",
                (*others, f"{item.key}={item.spec.written(value)}")))
    return configurations, 1 + np.arange(sets) % count


@dataclass
class Simulated:
    """One configuration's scenarios and, per role, its KPI table and drivers."""

    scenarios: dict[str, Scenario]
    names: dict[str, str]
    kpis: dict[str, pd.DataFrame] = field(default_factory=dict)
    drivers: dict[str, pd.DataFrame] = field(default_factory=dict)
    controls: OutageControls | None = None  # of the baseline's outage process
    control_values: pd.DataFrame = field(default_factory=pd.DataFrame)  # a row per replication

    def __post_init__(self) -> None:
        if self.controls is None:
            self.controls = outage_controls(self.scenarios["baseline"])


def batch_seed(seed: int, batch: int) -> int:
    if batch == 0:
        return seed
    return int(np.random.SeedSequence([seed, batch]).generate_state(1)[0])


def simulate(simulated: list[Simulated], replications: int, seed: int, offset: int,
             execution: Execution) -> int:
    """The inner loop: one comparison of every configuration's two designs; its replications
    are added to each configuration's tables, numbered from ``offset``. Returns how many
    replications were read back from the replication cache (where ``execution`` has one)."""
    designs = [(item.names[role], item.scenarios[role]) for item in simulated for role in ROLES]
    comparison = compare_designs(designs, replace(execution, replications=replications, seed=seed))
    kpis = comparison.kpis.assign(replication=comparison.kpis["replication"] + offset)
    for item in simulated:
        for role in ROLES:
            rows = kpis[kpis["design"] == item.names[role]]
            item.kpis[role] = pd.concat([item.kpis.get(role), rows], ignore_index=True)
            item.drivers[role] = driver_table(item.kpis[role])
        assert item.controls is not None
        values = item.controls.table(seed, range(replications), offset)
        item.control_values = values if item.control_values.empty else \
            pd.concat([item.control_values, values])
    return comparison.reused


def _price(item: Simulated, role: str, values: Mapping[str, float]) -> tuple[pd.DataFrame, Scenario]:
    """A design's money per replication at the given price values, and the priced scenario."""
    scenario = with_values(item.scenarios[role], values) if values else item.scenarios[role]
    drivers = item.drivers[role]
    money = drivers.to_numpy() @ price_weights(drivers.columns, Prices.of(scenario))
    return pd.DataFrame(money, index=drivers.index,
                        columns=["downtime_cost", "staff_cost", "sla_penalty"]), scenario


#: The figures an input set estimates from its replications (each linear in them).
MEAN_FIGURES = ("downtime_cost_avoided", "sla_penalties_avoided", "staff_cost_difference",
                "annual_benefit", "net_benefit")


def set_figures(item: Simulated, values: Mapping[str, Mapping[str, float]],
                settings: RoiSettings, reduction: str = "none") -> dict[str, float]:
    """One input set's figures and the net benefit's standard error: plain means over
    replications (``reduction`` "none") or their control-variate estimates ("controls", see
    :mod:`simulator.experiment.roi_controls`; ``controls`` says how many were used)."""
    money_b, priced_b = _price(item, "baseline", values["baseline"])
    money_i, priced_i = _price(item, "improved", values["improved"])
    costs = case_costs(priced_b, priced_i, settings)
    years = (measured_years(priced_b), measured_years(priced_i))
    table = benefits(money_b, money_i, years, costs, settings)
    figures: dict[str, float]
    if reduction == "controls" and item.controls is not None and len(table) > 1:
        means, errors, used = controlled_means(table[list(MEAN_FIGURES)], item.control_values,
                                               item.controls.means)
        figures = {name: float(means[name]) for name in MEAN_FIGURES}
        figures["net_benefit_se"] = float(errors["net_benefit"])
        figures["controls"] = used
    else:
        figures = {name: float(table[name].mean()) for name in MEAN_FIGURES}
        figures["net_benefit_se"] = float(table["net_benefit"].std(ddof=1) / math.sqrt(len(table))) \
            if len(table) > 1 else math.nan
        figures["controls"] = 0
    total = costs.total(settings)
    figures["roi"] = figures["net_benefit"] / total if total > 0 else math.nan
    figures |= {"one_off_cost": costs.one_off, "process_cost_per_year": costs.per_year,
                "total_cost": total}
    return figures


def values_by_role(inputs: Sequence[StudyInput], row: Mapping[str, float]) -> dict[str, dict[str, float]]:
    chosen: dict[str, dict[str, float]] = {role: {} for role in ROLES}
    for item in inputs:
        for role, path in item.targets:
            chosen[role][path] = float(row[item.key])
    return chosen


@dataclass
class Plan:
    """What a study simulates and prices: its inputs, configurations and input sets."""

    stems: dict[str, str]
    loaded: dict[str, Scenario]
    seed: int
    inputs: list[StudyInput]
    prices: list[StudyInput]
    model: list[StudyInput]
    configurations: list[Configuration]
    configuration_of: np.ndarray
    simulated: list[Simulated]
    sets: pd.DataFrame

    def price_sets(self, settings: RoiSettings, reduction: str = "none") -> pd.DataFrame:
        """Every input set's figures from the replications simulated so far (``reduction``: the
        estimator, see :func:`set_figures`)."""
        return pd.DataFrame([
            {"configuration": int(self.configuration_of[index]),
             **set_figures(self.simulated[self.configuration_of[index]],
                           values_by_role(self.prices, row.to_dict()), settings, reduction)}
            for index, row in self.sets.iterrows()])

    def model_values(self) -> pd.DataFrame:
        """Each input set's model-input values (as written)."""
        return pd.DataFrame({item.key: [self.configurations[k].assignments[position].split("=", 1)[1]
                                        for k in self.configuration_of]
                             for position, item in enumerate(self.model)})


def make_plan(files: tuple[str | Path, str | Path], overrides: Sequence[str], input_sets: int,
              model_points: int, sampling_seed: int | None, execution: Execution,
              uncertain: Sequence[UncertainInput]) -> Plan:
    """Load the designs, gather the inputs, choose the configurations and draw the input sets
    (``sampling_seed``: of the Latin hypercubes; default the execution's root seed)."""
    stems = {role: Path(file).stem for role, file in zip(ROLES, files, strict=True)}
    if stems["baseline"] == stems["improved"]:
        stems = {role: f"{role}: {stem}" for role, stem in stems.items()}
    loaded = {role: load_scenario(file, overrides) for role, file in zip(ROLES, files, strict=True)}
    seed = execution.seed_for(loaded["baseline"])
    inputs = _merge_inputs(loaded, uncertain)
    model = [item for item in inputs if item.spec.kind == "model"]
    prices = [item for item in inputs if item.spec.kind == "price"]
    sampling_seed = seed if sampling_seed is None else sampling_seed
    configurations, configuration_of = _configurations(model, model_points, input_sets,
                                                       sampling_seed)
    simulated = [Simulated({role: load_scenario(file, (*overrides, *config.assignments))
                             for role, file in zip(ROLES, files, strict=True)},
                            {role: stems[role] if config.label == "base"
                             else f"{stems[role]} @ {config.label}" for role in ROLES})
                 for config in configurations]
    sets = latin_hypercube([item.spec for item in prices], input_sets, sampling_seed)
    sets.columns = [item.key for item in prices]
    return Plan(stems, loaded, seed, inputs, prices, model, configurations, configuration_of,
                 simulated, sets)
