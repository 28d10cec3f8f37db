"""Experiment layer: practical significance — the smallest difference of a KPI that matters.

One notion serves every comparison. A paired difference is

* **clear** when its confidence interval excludes zero *and* its mean is at least the KPI's
  threshold: the sign is known and the size matters (a difference of 0.001 minutes can be
  statistically certain under common random numbers and still mean nothing);
* **within the threshold** (equivalent) when its whole interval lies within ± the threshold:
  whatever the difference is, it is too small to matter;
* otherwise not (yet) decided.

``compare``'s tables mark a difference ✓ when it is clear in this sense at the 95 % level;
``-r until-clear`` (:mod:`simulator.experiment.sequential`) adds replications until every
question it asks is clear or within its threshold, at its corrected confidence, so that where
it stops, the table's ✓ and the rule's "clear" agree. The thresholds default by the KPI's unit
(:data:`THRESHOLDS`); ``--threshold KPI=AMOUNT`` sets one per KPI.
"""

from __future__ import annotations

from collections.abc import Mapping

from simulator.scenario.kpis import KPIS, Unit

__all__ = ["THRESHOLDS", "threshold"]

#: The smallest difference worth calling clear, by the KPI's unit.
THRESHOLDS: dict[Unit, float] = {
    Unit.SHARE: 0.005,  # half a percentage point
    Unit.MINUTES: 1.0,
    Unit.HOURS: 0.1,  # six minutes
    Unit.COUNT: 1.0,
    Unit.MONEY: 1.0,  # one unit of the scenario's currency
    Unit.RATIO: 0.01,
}
_UNITS = {kpi.name: kpi.unit for kpi in KPIS}


def threshold(kpi: str, chosen: Mapping[str, float] | None = None, unit: Unit | None = None) -> float:
    """The practical-significance threshold of a KPI.

    ``kpi`` is a KPI name (``mtta_min``), scoped or not (``P2.mtta_min`` uses ``mtta_min``'s), or
    a figure that is no KPI (``net_benefit``) with its ``unit``; ``chosen`` maps names to the
    thresholds a user set (a scoped name first, then the bare one).
    """
    bare = kpi.rpartition(".")[2]
    for name in (kpi, bare):
        if chosen and name in chosen:
            return chosen[name]
    return THRESHOLDS.get(unit or _UNITS.get(bare, Unit.RATIO), 0.0)
