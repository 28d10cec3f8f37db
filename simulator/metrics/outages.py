"""Metrics layer: outage and major-incident KPIs, from the outage cases of the event log.

Each outage is a case (``OUT…``) whose rows mark its moments: ``outage started``
(impact start), ``detected`` (the first symptom), ``major incident declared``,
``assembled``, ``restored`` and the ``stakeholder update`` rows. Over the outages
that started after the warm-up:

* ``outages`` and ``major_incidents`` (declared) — counts;
* ``mttd_min`` — impact start → detected; ``time_to_declare_min`` — detected →
  declared; ``time_to_assemble_min`` — declared → assembled (means, minutes);
* ``mttr_restore_min`` (mean), ``mttr_restore_min_median``, ``mttr_restore_min_p90`` —
  impact start → restored, over restored outages;
* ``update_cadence_kept`` — of all whole update intervals from declaration to
  restoration (``updates_every`` long, back to back), the share with at least one update;
* ``downtime_cost`` — the sum over services (below).

Per service, over the window from the end of the warm-up to the end of the run:
``downtime_min`` is the measure of the *union* of its outage intervals (impact
start → restored, or the end), so overlapping outages are not counted twice;
``downtime_min_business_hours`` the part of it in the business hours of the service's
downtime-cost calendar (all of it without one); ``downtime_min_past_ramp`` the part
that came after the cost ramp's threshold of each (merged) outage (0 without a ramp);
``downtime_cost`` prices those minutes (:mod:`simulator.metrics.pricing`); ``mtbf_h`` is
the up-time divided by the failures that started in the window (null without one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.metrics.coded import CodedLog
from simulator.metrics.incidents import KpiContext, first_per_case
from simulator.metrics.measures import Measure, mean_measure, quantile_measure
from simulator.metrics.pricing import DowntimeTerms, downtime_minutes

__all__ = ["outage_measures", "outage_table", "union_length"]

_CODE = {name: index for index, name in enumerate(ACTIVITIES)}


def union_length(intervals: list[tuple[float, float]]) -> float:
    """The total length covered by a set of intervals (overlaps counted once)."""
    total, reach = 0.0, -np.inf
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def outage_table(log: CodedLog) -> pd.DataFrame:
    """One row per outage case: ``service`` (code), ``start``, ``detected``, ``declared``,
    ``assembled``, ``restored`` (minutes; NaN where it has not happened)."""
    n = len(log.cases)
    case, t, activity = log.column("case"), log.column("t"), log.column("activity")
    started = activity == _CODE[Activity.OUTAGE_STARTED]
    moments = {name: first_per_case(case, t, activity == _CODE[label], n)
               for name, label in (("start", Activity.OUTAGE_STARTED),
                                   ("detected", Activity.DETECTED),
                                   ("declared", Activity.DECLARED),
                                   ("assembled", Activity.ASSEMBLED),
                                   ("restored", Activity.RESTORED))}
    service = first_per_case(case, log.column("service"), started, n)
    table = pd.DataFrame({"case": np.arange(n), "service": service, **moments})
    return table[~np.isnan(table["start"].to_numpy())].astype({"service": np.int64})


def _cadence(log: CodedLog, table: pd.DataFrame, every: float | None) -> Measure:
    if every is None:
        return float("nan"), 0
    updates = log.column("activity") == _CODE[Activity.UPDATE]
    update_case, update_t = log.column("case")[updates], log.column("t")[updates]
    kept = intervals = 0
    for row in table.itertuples(index=False):
        if np.isnan(row.declared) or np.isnan(row.restored):
            continue
        whole = int((row.restored - row.declared) // every)
        times = update_t[update_case == row.case]
        for k in range(whole):
            begin = row.declared + k * every
            kept += int(np.any((times >= begin) & (times < begin + every)))
        intervals += whole
    return (kept / intervals if intervals else float("nan")), intervals


def _per_service(table: pd.DataFrame, log: CodedLog, context: KpiContext,
                 window: tuple[float, float]) -> dict[str, dict[str, Measure]]:
    begin, end = window
    measures: dict[str, dict[str, Measure]] = {}
    for code, name in enumerate(log.services):
        rows = table[table["service"].to_numpy() == code]
        spans = [(start, restored if not np.isnan(restored) else end)
                 for start, restored in zip(rows["start"], rows["restored"], strict=True)]
        terms = context.downtime.get(name, DowntimeTerms(0.0, 0.0))
        down, business, past = downtime_minutes(spans, terms, log.origin, window)
        failures = int(((rows["start"] >= begin) & (rows["start"] < end)).sum())
        up_h = (end - begin - down) / 60.0
        measures[name] = {
            "outages": (float(failures), failures),
            "downtime_min": (down, len(spans)),
            "downtime_min_business_hours": (business, len(spans)),
            "downtime_min_past_ramp": (past, len(spans)),
            "downtime_cost": (terms.cost(down, business, past), len(spans)),
            "mtbf_h": (up_h / failures if failures else float("nan"), failures),
        }
    return measures


def outage_measures(log: CodedLog, context: KpiContext, window: tuple[float, float]
                    ) -> tuple[dict[str, Measure], dict[str, dict[str, Measure]]]:
    """Overall outage KPIs, and KPIs per service (see the module's notes)."""
    table = outage_table(log)
    begin, end = window
    cohort = table[(table["start"] >= begin) & (table["start"] < end)]
    declared = cohort[~np.isnan(cohort["declared"].to_numpy())]
    restore = (cohort["restored"] - cohort["start"]).to_numpy()
    services = _per_service(table, log, context, window)
    overall: dict[str, Measure] = {
        "outages": (float(len(cohort)), len(cohort)),
        "major_incidents": (float(len(declared)), len(cohort)),
        "mttd_min": mean_measure((cohort["detected"] - cohort["start"]).to_numpy()),
        "time_to_declare_min": mean_measure((cohort["declared"] - cohort["detected"]).to_numpy()),
        "time_to_assemble_min": mean_measure((cohort["assembled"] - cohort["declared"]).to_numpy()),
        "mttr_restore_min": mean_measure(restore),
        "mttr_restore_min_median": quantile_measure(restore, 0.5),
        "mttr_restore_min_p90": quantile_measure(restore, 0.9),
        "update_cadence_kept": _cadence(log, declared, context.updates_every),
        "downtime_cost": (sum(values["downtime_cost"][0] for values in services.values()),
                          len(cohort)),
    }
    return overall, services
