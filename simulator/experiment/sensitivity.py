"""Experiment layer: one-at-a-time sensitivity of a KPI, or of the ROI, to uncertain inputs.

Each ``--range PATH=LOW:HIGH`` gives two designs: the base scenario with PATH set to
LOW, and with it set to HIGH; every other input stays at its base value. All designs
run with common random numbers, so each end's effect on the measure — its value there
minus its value at the base, paired by replication — has a sharp 95 % interval. The
*swing* of an input is the distance between the measure at its two ends; a tornado
chart shows the inputs largest swing first.

The measure is a KPI of one scenario (``mtta_min``, ``P2.sla_response_attainment``,
``downtime_cost``, ...) or, for a baseline and an improved scenario, a figure of the
ROI (:data:`ROI_MEASURES`), the range then applied to both designs alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulator.experiment.campaign import kpi_name
from simulator.experiment.compare import Question, compare_designs
from simulator.experiment.evidence import MIN_EVENTS, Evidence, outage_evidence
from simulator.experiment.execution import Execution
from simulator.experiment.grid import Parameter
from simulator.experiment.roi import (
    COMPONENTS,
    Interval,
    RoiSettings,
    case_costs,
    measured_years,
    roi_per_replication,
)
from simulator.experiment.sequential import PairedSeries, SequentialDecision, SequentialRule
from simulator.experiment.summary import finite_or_none, interval_document
from simulator.scenario.kpis import Unit
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

__all__ = ["ROI_MEASURES", "SensitivityResult", "run_sensitivity"]

#: What a sensitivity of an improvement can show (per year unless named otherwise).
ROI_MEASURES = ("net_benefit", "annual_benefit", "roi", *COMPONENTS)
_BASE = "base"


@dataclass(frozen=True)
class Variant:
    """The base, or one end of one input's range."""

    label: str  # "base", or "PATH=VALUE"
    assignments: tuple[str, ...]


@dataclass
class SensitivityResult:
    """The measure at the base and at each end of each input, ordered by swing."""

    measure: str
    base: Interval
    table: pd.DataFrame  # one row per input: see :meth:`document`
    replications: int
    seed: int
    designs: tuple[str, ...]  # the scenario stems (one, or baseline and improved)
    evidence: dict[str, Evidence] = field(default_factory=dict)  # variant → outages behind it
    stopping: SequentialDecision | None = None  # under a sequential rule: why it stopped there
    reused: int = 0  # replications read back from the replication cache

    @property
    def warnings(self) -> list[str]:
        """Every variant's warnings about the events its figures rest on."""
        return [warning for item in self.evidence.values() for warning in item.warnings]

    def document(self) -> dict[str, object]:
        """JSON: the base and, per input (largest swing first), both ends and their effects."""
        inputs = []
        for row in self.table.itertuples(index=False):
            inputs.append({
                "path": row.path, "low": row.low, "high": row.high,
                "swing": finite_or_none(row.swing),
                "at_low": finite_or_none(row.at_low), "at_high": finite_or_none(row.at_high),
                "effect_low": interval_document(row.effect_low, row.effect_low_ci_low,
                                                row.effect_low_ci_high),
                "effect_high": interval_document(row.effect_high, row.effect_high_ci_low,
                                                 row.effect_high_ci_high)})
        document = {"designs": list(self.designs), "measure": self.measure,
                    "replications": self.replications, "seed": self.seed,
                    "base": self.base.document(), "inputs": inputs,
                    "evidence": {label: item.document() for label, item in self.evidence.items()},
                    "warnings": self.warnings}
        if self.stopping is not None:
            document["stopping"] = self.stopping.document()
        return document


def _variants(ranges: Sequence[Parameter]) -> list[Variant]:
    variants = [Variant(_BASE, ())]
    for parameter in ranges:
        variants += [Variant(assignment, (assignment,)) for assignment in parameter.assignments()]
    return variants


def _kpi_values(kpis: pd.DataFrame, design: str, measure: str) -> pd.Series:
    rows = kpis[kpis["design"] == design]
    names = [kpi_name(scope, key, kpi) for scope, key, kpi in
             rows[["scope", "key", "kpi"]].itertuples(index=False)]
    chosen = rows[[name == measure for name in names]]
    return chosen.set_index("replication")["value"].astype(float)


def _row(parameter: Parameter, low: pd.Series, high: pd.Series, base: pd.Series) -> dict[str, object]:
    effect_low = Interval.of((low - base).dropna())
    effect_high = Interval.of((high - base).dropna())
    at_low, at_high = Interval.of(low.dropna()).mean, Interval.of(high.dropna()).mean
    return {"path": parameter.path, "low": parameter.values[0], "high": parameter.values[1],
            "at_low": at_low, "at_high": at_high,
            "effect_low": effect_low.mean, "effect_low_ci_low": effect_low.ci_low,
            "effect_low_ci_high": effect_low.ci_high,
            "effect_high": effect_high.mean, "effect_high_ci_low": effect_high.ci_low,
            "effect_high_ci_high": effect_high.ci_high,
            "swing": abs(at_high - at_low) if math.isfinite(at_high - at_low) else math.nan}


@dataclass(frozen=True)
class _Measured:
    """The measure per replication of each variant, from a comparison's KPI table."""

    measure: str
    pair: bool
    scenarios: dict[str, Scenario]
    settings: RoiSettings

    def roi_table(self, kpis: pd.DataFrame, variant: Variant) -> pd.DataFrame:
        """The ROI figures by replication (the index) at ``variant`` of a pair."""
        baseline, improved = f"baseline: {variant.label}", f"improved: {variant.label}"
        years = {name: measured_years(self.scenarios[name]) for name in (baseline, improved)}
        table = roi_per_replication(kpis, baseline, improved, years, self.settings,
                                    case_costs(self.scenarios[baseline], self.scenarios[improved],
                                               self.settings))
        return table.set_index("replication")

    def values(self, kpis: pd.DataFrame, variant: Variant) -> pd.Series:
        """The measure by replication at ``variant``."""
        if not self.pair:
            return _kpi_values(kpis, f"scenario: {variant.label}", self.measure)
        return self.roi_table(kpis, variant)[self.measure]

    def question(self, variants: Sequence[Variant], rule: SequentialRule) -> Question:
        """Under a sequential rule: each end's effect (its measure − the base's, paired)."""
        unit = None if not self.pair else Unit.RATIO if self.measure == "roi" else Unit.MONEY
        indifference = rule.indifference_for(self.measure, unit)

        def question(kpis: pd.DataFrame) -> list[PairedSeries]:
            base = self.values(kpis, variants[0])
            return [PairedSeries(f"{self.measure} at {variant.label} − at the base",
                                 (self.values(kpis, variant) - base).sort_index().tolist(),
                                 indifference)
                    for variant in variants[1:]]
        return question


def run_sensitivity(scenario_files: Sequence[str | Path], ranges: Sequence[Parameter], measure: str,
                    execution: Execution | None = None, *, overrides: Sequence[str] = (),
                    settings: RoiSettings | None = None,
                    min_events: int = MIN_EVENTS) -> SensitivityResult:
    """One-at-a-time sensitivity of ``measure`` to each range (see the module's notes).

    ``scenario_files`` is one scenario (``measure`` is a KPI name) or a baseline and an
    improved scenario (``measure`` is one of :data:`ROI_MEASURES`, with ``settings``), each
    loaded with ``overrides``. Every design runs as ``execution`` says (default: the first
    scenario's ``run.replications`` and ``run.seed``); it writes no run directory.
    """
    if len(scenario_files) not in (1, 2):
        raise ValueError(f"expected one scenario, or a baseline and an improved one; found "
                         f"{len(scenario_files)}")
    pair = len(scenario_files) == 2
    if pair and measure not in ROI_MEASURES:
        raise ValueError(f"expected one of {', '.join(ROI_MEASURES)} for a baseline and an "
                         f"improved scenario; found {measure!r}")
    paths = [parameter.path for parameter in ranges]
    repeated = sorted({path for path in paths if paths.count(path) > 1})
    if repeated:
        raise ValueError(f"expected each key once; found {', '.join(repeated)} more than once")
    execution = (execution or Execution()).writing_nothing("a sensitivity study")
    variants = _variants(ranges)
    roles = ("baseline", "improved") if pair else ("scenario",)
    designs, scenarios = [], {}
    for variant in variants:
        for role, file in zip(roles, scenario_files, strict=True):
            name = f"{role}: {variant.label}"
            scenarios[name] = load_scenario(file, (*overrides, *variant.assignments))
            designs.append((name, scenarios[name]))
    measured = _Measured(measure, pair, scenarios, settings or RoiSettings())
    wanted = execution.replications_for(designs[0][1])
    question = (measured.question(variants, wanted) if isinstance(wanted, SequentialRule) else None)
    comparison = compare_designs(designs, execution, question=question)
    evidence: dict[str, Evidence] = {}

    def values(variant: Variant) -> pd.Series:
        if not pair:
            return measured.values(comparison.kpis, variant)
        table = measured.roi_table(comparison.kpis, variant)
        evidence[variant.label] = outage_evidence(comparison.kpis, f"baseline: {variant.label}",
                                                  f"improved: {variant.label}",
                                                  table["downtime_cost_avoided"], min_events,
                                                  variant.label)
        return table[measure]

    base = values(variants[0])
    rows = [_row(parameter, values(Variant(low, (low,))), values(Variant(high, (high,))), base)
            for parameter in ranges for low, high in [parameter.assignments()]]
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values("swing", ascending=False, kind="stable", na_position="last",
                                  ignore_index=True)
    used = int(comparison.kpis["replication"].nunique())
    stopping = comparison.decision if isinstance(comparison.decision, SequentialDecision) else None
    return SensitivityResult(measure, Interval.of(base.dropna()), table, used, comparison.seed,
                             tuple(Path(file).stem for file in scenario_files), evidence, stopping,
                             comparison.reused)
