"""Metrics layer: change and problem-management KPIs, from the event log.

A *change* is a case with a ``change requested`` row; an *emergency* change is one
an ECAB sat on (it has ``ECAB member joined`` rows), any other is *normal*. Over the
window from the end of the warm-up to the end of the run:

* ``normal_changes``, ``emergency_changes`` — changes requested in the window;
* ``emergency_change_success_rate`` — of the emergency changes' implementation attempts
  started in the window, the share that ended ``change implemented`` (an attempt that
  failed and was backed out never counts as a success, whatever came after it);
* ``changes_backed_out`` — ``backed out`` rows of any change;
* ``incidents_caused_by_changes`` — incidents arriving in the window whose parent is a
  change;
* ``problems_opened``, ``known_errors``, ``problems_fixed`` — those rows;
* ``incidents_avoided``, ``outages_avoided`` — ``avoided`` rows (of incidents, and of
  outages: the cases with a service);
* per 30-day month after the warm-up (only whole months): ``problem_incidents``, the
  incidents of the problem families arriving that month, and
  ``problem_incidents_ratio``, that number ÷ the first month's; ``problem_trend`` is
  the last month's ratio.
"""

from __future__ import annotations

import numpy as np

from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.metrics.coded import CodedLog, is_any
from simulator.metrics.incidents import KpiContext
from simulator.metrics.measures import Measure

__all__ = ["MONTH_MIN", "change_measures"]

_CODE = {name: index for index, name in enumerate(ACTIVITIES)}
#: The length of a "month" of the trend: 30 days, in minutes.
MONTH_MIN = 30 * 24 * 60.0


def _count(mask: np.ndarray) -> Measure:
    count = int(mask.sum())
    return float(count), count


def change_measures(log: CodedLog, context: KpiContext, window: tuple[float, float]
                    ) -> tuple[dict[str, Measure], dict[str, dict[str, Measure]]]:
    """Overall change and problem KPIs, and the problem families' incidents per month."""
    begin, end = window
    activity, case, t = log.column("activity"), log.column("case"), log.column("t")
    inside = (t >= begin) & (t < end)
    n = len(log.cases)

    def rows(name: str) -> np.ndarray:
        return activity == _CODE[name]

    is_change = np.zeros(n, dtype=bool)
    is_change[case[np.flatnonzero(rows(Activity.CHANGE_REQUESTED))]] = True
    is_emergency = np.zeros(n, dtype=bool)
    is_emergency[case[np.flatnonzero(rows(Activity.ECAB_MEMBER_JOINED))]] = True
    # (positions of the few rows each count reads: a run without changes has none of them)
    requested = np.flatnonzero(rows(Activity.CHANGE_REQUESTED) & inside)
    emergency_request = is_emergency[case[requested]]
    attempts = np.flatnonzero(rows(Activity.IMPLEMENTATION_STARTED) & inside)
    attempts = attempts[is_emergency[case[attempts]]]
    # An attempt started in the window succeeds if its case's next outcome row says so.
    outcome = rows(Activity.CHANGE_IMPLEMENTED) | rows(Activity.CHANGE_FAILED)
    successes = _next_outcome(case, outcome, rows(Activity.CHANGE_IMPLEMENTED), attempts)
    parent = log.column("parent")
    caused = np.flatnonzero(rows(Activity.ARRIVED) & inside & (parent >= 0))
    avoided = rows(Activity.AVOIDED) & inside
    service = log.column("service")
    attempted = len(attempts)
    overall: dict[str, Measure] = {
        "normal_changes": _count(~emergency_request),
        "emergency_changes": _count(emergency_request),
        "emergency_change_success_rate": (successes.sum() / attempted if attempted else float("nan"),
                                          attempted),
        "changes_backed_out": _count(rows(Activity.BACKED_OUT) & inside),
        "incidents_caused_by_changes": _count(is_change[parent[caused]]),
        "problems_opened": _count(rows(Activity.PROBLEM_OPENED) & inside),
        "known_errors": _count(rows(Activity.KNOWN_ERROR) & inside),
        "problems_fixed": _count(rows(Activity.PROBLEM_FIXED) & inside),
        "incidents_avoided": _count(avoided & (service < 0)),
        "outages_avoided": _count(avoided & (service >= 0)),
    }
    months = _months(log, context, window, rows(Activity.ARRIVED) & inside)
    ratios = [measures["problem_incidents_ratio"] for measures in months.values()]
    overall["problem_trend"] = ratios[-1] if len(ratios) >= 2 else (float("nan"), 0)
    return overall, months


def _next_outcome(case: np.ndarray, outcome: np.ndarray, success: np.ndarray,
                  chosen: np.ndarray) -> np.ndarray:
    """Per chosen row (positions): whether the next outcome row of the same case (after this row)
    is a success."""
    result = np.zeros(len(chosen), dtype=bool)
    positions = np.flatnonzero(outcome)
    if not len(positions):
        return result
    # For each row, the first outcome row at or after it (rows are sorted by case, then time).
    after = np.searchsorted(positions, chosen, side="left")
    valid = after < len(positions)
    target = positions[np.minimum(after, len(positions) - 1)]
    same = valid & (case[target] == case[chosen])
    result[same] = success[target[same]]
    return result


def _months(log: CodedLog, context: KpiContext, window: tuple[float, float],
            arrived: np.ndarray) -> dict[str, dict[str, Measure]]:
    codes = [log.categories.index(name) for name in context.family_categories
             if name in log.categories]
    begin, end = window
    whole = int((end - begin) // MONTH_MIN)
    if not codes or whole < 1:
        return {}
    family = np.flatnonzero(arrived & is_any(log.column("category"), codes))
    month = ((log.column("t")[family] - begin) // MONTH_MIN).astype(np.int64)
    counts = np.bincount(month[month < whole], minlength=whole)
    first = counts[0]
    return {str(index + 1): {
        "problem_incidents": (float(count), 1),
        "problem_incidents_ratio": (count / first if first else float("nan"), 1 if first else 0),
    } for index, count in enumerate(counts.tolist())}
