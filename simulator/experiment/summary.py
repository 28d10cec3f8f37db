"""Experiment layer: summarising replications with confidence intervals, and checking targets.

Each KPI's replication values are treated as independent observations (the
replications use independent random streams): the summary is their mean and a
95 % confidence interval from Student's t with n − 1 degrees of freedom, where
n counts the replications in which the KPI had observations. With one
replication there is no interval (``null``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.experiment.student import t_quantile
from simulator.metrics import kpi_range
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import Target, parse_target

__all__ = ["TargetCheck", "check_targets", "confidence_interval", "finite_or_none", "interval_document",
           "kpi_interval", "scenario_targets", "summarise", "summary_document"]

CONFIDENCE = 0.95


def confidence_interval(values: Iterable[float], confidence: float = CONFIDENCE
                        ) -> tuple[float, float, float, int]:
    """Mean, CI low, CI high and n of the finite values (NaN where undefined)."""
    data = np.asarray([value for value in values if value is not None and math.isfinite(value)],
                      dtype=float)
    n = len(data)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(data.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(t_quantile((1 + confidence) / 2, n - 1) * data.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def kpi_interval(kpi: str, values: Iterable[float]) -> tuple[float, float, float, int]:
    """Mean, CI low, CI high and n of a KPI's values, the interval clipped to the values the KPI
    can take (no share above 100 %, no negative count or duration)."""
    mean, low, high, n = confidence_interval(values)
    floor, ceiling = kpi_range(kpi)
    return mean, max(low, floor), min(high, ceiling), n


def summarise(kpis: pd.DataFrame) -> pd.DataFrame:
    """Per (scope, key, kpi): ``mean``, ``ci_low``, ``ci_high``, ``n`` over replications.

    Each interval is clipped to the KPI's possible values (no share above 100 %, no negative
    count or duration).
    """
    rows = []
    for (scope, key, kpi), group in kpis.groupby(["scope", "key", "kpi"], sort=False):
        mean, low, high, n = kpi_interval(kpi, group["value"])
        rows.append((scope, key, kpi, mean, low, high, n))
    return pd.DataFrame(rows, columns=["scope", "key", "kpi", "mean", "ci_low", "ci_high", "n"])


def finite_or_none(value: float | None) -> float | None:
    """A number as JSON (and SQLite) hold it: a finite float, else ``None`` (``null``) — never
    NaN or infinity, which JSON cannot express."""
    return None if value is None or not math.isfinite(value) else float(value)


def interval_document(mean: float, ci_low: float, ci_high: float,
                      n: int | None = None) -> dict[str, float | int | None]:
    """JSON of a mean and its confidence interval (``null`` where not finite), with ``n`` if given."""
    document: dict[str, float | int | None] = {"mean": finite_or_none(mean),
                                               "ci_low": finite_or_none(ci_low),
                                               "ci_high": finite_or_none(ci_high)}
    if n is not None:
        document["n"] = int(n)
    return document


def summary_document(summary: pd.DataFrame, scenario_name: str, replications: int,
                     seed: int) -> dict[str, object]:
    """The JSON summary of a run (the shape of ``mimsim run --format json``)."""
    document: dict[str, object] = {"scenario": scenario_name, "replications": replications,
                                   "seed": seed, "kpis": {}, "by_priority": {}, "by_team": {},
                                   "by_service": {}, "by_month": {}, "by_channel": {}}
    sections = {"overall": "kpis", "priority": "by_priority", "team": "by_team",
                "service": "by_service", "month": "by_month", "channel": "by_channel"}
    for row in summary.itertuples(index=False):
        entry = interval_document(row.mean, row.ci_low, row.ci_high, row.n)
        section = document[sections[row.scope]]
        assert isinstance(section, dict)
        if row.scope == "overall":
            section[row.kpi] = entry
        else:
            section.setdefault(row.key, {})[row.kpi] = entry
    return document


def scenario_targets(scenario: Scenario) -> list[Target]:
    """The scenario's targets: its ``targets`` section and each priority's attainment target."""
    targets = [parse_target(key, condition, tuple(scenario.priorities), tuple(scenario.teams),
                         tuple(scenario.services))
               for key, condition in scenario.targets.items()]
    for name, priority in scenario.priorities.items():
        if priority.attainment_target is None:
            continue
        for kpi, target in (("sla_response_attainment", priority.response),
                            ("sla_resolution_attainment", priority.resolution)):
            if target is not None and not any(t.scope == name and t.kpi == kpi for t in targets):
                targets.append(Target(name, kpi, ">=", priority.attainment_target))
    return targets


@dataclass(frozen=True)
class TargetCheck:
    """A target and how the summary stands against it."""

    target: Target
    mean: float
    ci_low: float
    ci_high: float
    verdict: str  # "pass", "fail", "unclear" (the CI straddles the target) or "no data"


def check_targets(summary: pd.DataFrame, targets: list[Target]) -> list[TargetCheck]:
    """Judge each target: pass if the whole CI meets it, fail if none of it does."""
    checks = []
    for target in targets:
        scope = "overall" if target.scope is None else None
        rows = summary[(summary["kpi"] == target.kpi)
                       & ((summary["scope"] == scope) if scope else (summary["key"] == target.scope))]
        if rows.empty or not math.isfinite(rows["mean"].iloc[0]):
            checks.append(TargetCheck(target, math.nan, math.nan, math.nan, "no data"))
            continue
        mean, low, high = (float(rows[column].iloc[0]) for column in ("mean", "ci_low", "ci_high"))
        ends = [mean] if not math.isfinite(low) else [low, high]
        met = [target.met_by(value) for value in ends]
        verdict = "pass" if all(met) else "fail" if not any(met) else "unclear"
        checks.append(TargetCheck(target, mean, low, high, verdict))
    return checks
