"""Experiment layer: stop adding replications once a paired comparison is decided.

A study asks one or more *questions*, each a series of paired differences by
replication (design − baseline for a KPI, an input's end − the base, net benefit − 0,
a roster's KPI − its target). The rule looks at the answers only at fixed
replication counts, doubling from a minimum: n = 5, 10, 20, 40 by default (the last
look at the cap, wherever it falls). At each look, each question's Student-t interval
is computed at a *corrected* confidence, and the question is

* **clear** when the interval excludes zero and the mean is at least δ, the KPI's
  practical-significance threshold (the sign is known and the size matters);
* **equivalent** when the whole interval lies within ±δ (any difference is smaller
  than one that matters);
* **undecided** otherwise.

δ is the same threshold that marks a difference clear (✓) in ``compare``'s tables
(:mod:`simulator.experiment.significance`, ``--threshold``), so that where the rule
stops, the table's ✓ and the rule's "clear" agree: the table's 95 % interval is
narrower than the rule's corrected one and has the same mean.

The study stops at the first look where every question is clear or equivalent, or at
the cap, and keeps exactly the replications of that look.

Why the correction: looking repeatedly and stopping at the first interval that
excludes zero inflates the error rate — with a plain 95 % interval at each of four
looks, two identical designs are called different far more often than 5 % of the
time. Each look therefore uses the Bonferroni level 1 − α/K for K looks (98.75 % for
four), so that the chance that *any* look's interval misses the true difference is
at most α, whatever the looks' outcome (Bonferroni's inequality; conservative, and
valid for any look schedule). Doubling keeps K small: the penalty grows with log₂ of
the cap, not with the cap. The simulation tests in ``tests/unit/test_sequential.py``
measure what this achieves where the truth is known.

Looks are at fixed counts in replication order, so the answer does not depend on how
many workers ran the replications or in what order they finished.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.experiment.significance import threshold
from simulator.experiment.student import t_quantile
from simulator.scenario.kpis import Unit

__all__ = ["CLEAR", "EQUIVALENT", "NO_DATA", "UNDECIDED", "PairedSeries",
           "SequentialDecision", "SequentialRule", "Verdict", "look_schedule"]

CLEAR = "clear"
EQUIVALENT = "equivalent"
UNDECIDED = "undecided"
NO_DATA = "no data"  # fewer than two finite differences: nothing to decide, nothing to wait for
_DECIDED = (CLEAR, EQUIVALENT, NO_DATA)

def look_schedule(initial: int, cap: int) -> tuple[int, ...]:
    """The replication counts at which the rule looks: initial, 2 × initial, ... and the cap."""
    looks = [initial]
    while looks[-1] * 2 < cap:
        looks.append(looks[-1] * 2)
    if looks[-1] != cap:
        looks.append(cap)
    return tuple(looks)


@dataclass(frozen=True)
class PairedSeries:
    """One question: paired differences by replication (0, 1, ...), and the indifference amount."""

    label: str
    differences: Sequence[float]
    indifference: float = 0.0


@dataclass(frozen=True)
class Verdict:
    """A question's answer at a look: its outcome and the corrected interval that gave it."""

    label: str
    outcome: str  # CLEAR, EQUIVALENT, UNDECIDED or NO_DATA
    mean: float
    ci_low: float
    ci_high: float
    n: int
    indifference: float

    def document(self) -> dict[str, object]:
        """JSON: the outcome, the corrected interval and δ (``null`` where not finite)."""
        def finite(value: float) -> float | None:
            return value if math.isfinite(value) else None

        return {"question": self.label, "outcome": self.outcome, "mean": finite(self.mean),
                "ci_low": finite(self.ci_low), "ci_high": finite(self.ci_high), "n": self.n,
                "indifference": self.indifference}


@dataclass(frozen=True)
class SequentialDecision:
    """Where the study stopped: the replications it used, and each question's verdict there."""

    used: int
    decided: bool  # every question clear, equivalent or without data (False: stopped at the cap)
    verdicts: tuple[Verdict, ...]
    looks: tuple[int, ...]  # the looks the rule made, the last being ``used``
    cap: int
    look_confidence: float

    @property
    def reason(self) -> str:
        """One line: how many replications, and why it stopped there."""
        counts = {outcome: sum(1 for verdict in self.verdicts if verdict.outcome == outcome)
                  for outcome in (CLEAR, EQUIVALENT, UNDECIDED, NO_DATA)}
        parts = [f"{counts[CLEAR]} clear", f"{counts[EQUIVALENT]} within the threshold"]
        if counts[NO_DATA]:
            parts.append(f"{counts[NO_DATA]} without data")
        looked = ", ".join(str(look) for look in self.looks)
        if self.decided:
            head = f"decided after {self.used} replications (of at most {self.cap})"
        else:
            parts.append(f"{counts[UNDECIDED]} still undecided")
            head = f"stopped at the cap of {self.cap} replications, not every question decided"
        return (f"{head}: {', '.join(parts)} (looks at {looked}; "
                f"{100 * self.look_confidence:.4g} % intervals at each look)")

    def document(self) -> dict[str, object]:
        """JSON: the replications used, whether every question was decided, and the verdicts."""
        return {"rule": "until-clear", "replications_used": self.used, "decided": self.decided,
                "cap": self.cap, "looks": list(self.looks),
                "look_confidence": self.look_confidence,
                "verdicts": [verdict.document() for verdict in self.verdicts]}


def _interval(values: Sequence[float], confidence: float) -> tuple[float, float, float, int]:
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    n = len(data)
    if n < 2:
        return (float(data.mean()) if n else math.nan), math.nan, math.nan, n
    mean = float(data.mean())
    half = t_quantile((1 + confidence) / 2, n - 1) * float(data.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


@dataclass(frozen=True)
class SequentialRule:
    """Add replications until every question is decided (see the module's notes).

    Attributes
    ----------
    kpis
        What a comparison decides on (for ``compare``; other studies ask their own questions).
    indifference
        KPI name → δ, its practical-significance threshold (``--threshold``): a question whose
        corrected interval lies within ±δ is decided (equivalent), one whose interval excludes
        zero with a mean of at least δ is clear. KPIs not named get the default for their unit
        (:data:`~simulator.experiment.significance.THRESHOLDS`).
    initial, cap
        The first look and the most replications (the last look).
    confidence
        1 − α: the chance that every look's interval covers the true difference is at least
        this (Bonferroni over the looks).
    """

    kpis: tuple[str, ...] = ()
    indifference: Mapping[str, float] = field(default_factory=dict)
    initial: int = 5
    cap: int = 40
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not 2 <= self.initial <= self.cap:
            raise ValueError(f"expected 2 <= the first look <= the cap; found first look "
                             f"{self.initial} and cap {self.cap}")
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"expected a confidence from 0.5 up to 1; found {self.confidence}")
        negative = {kpi: amount for kpi, amount in self.indifference.items() if not amount >= 0}
        if negative:
            raise ValueError(f"expected indifference amounts of 0 or more; found {negative}")

    def looks(self) -> tuple[int, ...]:
        """The replication counts at which the rule looks."""
        return look_schedule(self.initial, self.cap)

    @property
    def look_confidence(self) -> float:
        """The Bonferroni-corrected confidence of each look's interval: 1 − α / K."""
        return 1 - (1 - self.confidence) / len(self.looks())

    def indifference_for(self, kpi: str, unit: Unit | None = None) -> float:
        """δ of a KPI (``P2.mtta_min`` style, or a figure of the ROI with its ``unit``): its
        practical-significance threshold (:func:`~simulator.experiment.significance.threshold`)."""
        return threshold(kpi, self.indifference, unit)

    def verdict(self, question: PairedSeries, n: int) -> Verdict:
        """A question's outcome with its first ``n`` differences."""
        mean, low, high, count = _interval(question.differences[:n], self.look_confidence)
        delta = question.indifference
        if count < 2:
            outcome = NO_DATA
        elif (low > 0.0 or high < 0.0) and abs(mean) >= delta:
            outcome = CLEAR
        elif -delta <= low and high <= delta:
            outcome = EQUIVALENT
        else:
            outcome = UNDECIDED
        return Verdict(question.label, outcome, mean, low, high, count, delta)

    def decide(self, questions: Sequence[PairedSeries], n: int,
               looked: Sequence[int] = ()) -> SequentialDecision | None:
        """The decision at the look of ``n`` replications, or None to go on to the next look.

        ``looked`` are the earlier looks (for the record).
        """
        verdicts = tuple(self.verdict(question, n) for question in questions)
        decided = all(verdict.outcome in _DECIDED for verdict in verdicts)
        if decided or n >= self.cap:
            return SequentialDecision(n, decided, verdicts, (*looked, n), self.cap,
                                      self.look_confidence)
        return None

    def with_kpis(self, kpis: Sequence[str]) -> SequentialRule:
        """This rule deciding on ``kpis`` (where it names none itself)."""
        if self.kpis:
            return self
        return SequentialRule(tuple(kpis), self.indifference, self.initial, self.cap,
                              self.confidence)
