"""Experiment layer: control variates for an ROI study — outage quantities whose means are known exactly.

What makes one replication's net benefit differ from another's is mostly the outage process
itself (docs/guides/consultant.md, "Where the simulation noise comes from"): how many outages a
replication brings to each service, whether they start in business hours, how long their repair
takes. Both designs meet the same outages (common random numbers), so pairing cannot remove it;
but each of those quantities is a function of the replication's random numbers whose
expectation follows from the scenario alone, without simulating. Such a quantity is a
*control variate*: regress the replications' figures on the controls' deviations from their
known means and take the intercept (Lavenberg & Welch 1981; Nelson, "Control variate
remedies", Operations Research 1990). The intercept estimates the same mean as the plain
average; its variance is the plain one × (1 − R²) × a small loss for each control estimated.

The controls, per service and per *class* of its outages' start — in or out of the business
hours of the service's downtime-cost calendar (one class for a service without one) — counted
over the measured window (after the warm-up):

* ``count``: the outages that the service's failure process starts in the class. Only for a
  failure process whose times between starts are exponential (a Poisson process started at
  the run's start): its expected count is exactly the rate × the class's minutes in the
  window. Other renewal processes have no closed-form mean and get no count control; outages
  at fixed times are no control (they never vary).
* ``fix`` and ``diagnosis``: the sum, over the outages that start in the class (all of them,
  whatever made them start), of each outage's drawn fix (or diagnosis) duration minus that
  distribution's exact mean. Each outage draws these from a stream of its own, independently
  of when it starts (:mod:`simulator.model.outages`), so each term has mean zero and so has the
  sum (Wald's identity), for any failure process.

The values are recomputed here from the replication's named random streams — the failure
stream ``failures/<service>`` and the outage plans — exactly as the model draws them (a
test checks the counts against the model's own outage plans). Were they ever to drift apart,
the controls would stay exact-mean controls, only less correlated with the figures: the
estimator stays unbiased.

**Bias and standard error.** With the coefficients estimated from the same replications, the
estimator is unbiased when the figures and controls are jointly normal and otherwise biased by
O(1/R), well inside its standard error (checked on a synthetic generator with a known truth in
tests/decisions/test_roi_controls.py). Its standard error is the regression intercept's:
residual variance with R − q − 1 degrees of freedom × the intercept's element of (XᵀX)⁻¹.
To keep that loss small, a study uses at most ⌊(R − 1) ÷ 5⌋ controls (in the fixed order
counts, fixes, diagnoses, service by service; never chosen by how well they fit), and none
that is constant over the replications; with fewer than 6 replications it uses none (the plain
mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.model.outages import plan_outages
from simulator.model.streams import RandomStreams
from simulator.scenario.calendars import CalendarClock
from simulator.scenario.distributions import Exponential
from simulator.scenario.schema import Scenario

__all__ = ["REPLICATIONS_PER_CONTROL", "VARIANCE_REDUCTIONS", "OutageControls", "controlled_means",
           "outage_controls"]

#: The estimators a study can use: control variates (the default) or the plain mean.
VARIANCE_REDUCTIONS = ("controls", "none")
#: At most one control per this many replications (beyond the first).
REPLICATIONS_PER_CONTROL = 5
#: The per-outage draws used as controls (an :class:`~simulator.model.outages.OutagePlan` field).
DRAWS = ("fix", "diagnosis")


@dataclass(frozen=True)
class _Service:
    """What the controls need to know about one service."""

    name: str
    clock: CalendarClock | None  # its downtime-cost business hours; None: one class
    rate: float | None  # failures per minute of a Poisson failure process; None: not Poisson
    draw_means: tuple[float, ...]  # exact means of DRAWS


@dataclass(frozen=True)
class OutageControls:
    """The control variates of one scenario: their names, exact means and per-replication values."""

    scenario: Scenario
    services: tuple[_Service, ...]
    names: tuple[str, ...]
    means: np.ndarray

    def values(self, seed: int, replication: int) -> np.ndarray:
        """The controls in replication ``replication`` of root seed ``seed``."""
        run = self.scenario.run
        streams = RandomStreams(seed, replication)
        found: dict[str, float] = dict.fromkeys(self.names, 0.0)
        for service in self.services:
            if service.rate is not None:
                for start in _poisson_starts(self.scenario, service.name, streams):
                    if start >= run.warmup:
                        found[f"{service.name}.{_class_of(service, start)}.count"] += 1.0
        for plan in plan_outages(self.scenario, RandomStreams(seed, replication)):
            if plan.start < run.warmup:
                continue
            service = next(item for item in self.services if item.name == plan.service)
            where = _class_of(service, plan.start)
            for draw, mean in zip(DRAWS, service.draw_means, strict=True):
                found[f"{service.name}.{where}.{draw}"] += float(getattr(plan, draw)) - mean
        return np.array([found[name] for name in self.names])

    def table(self, seed: int, replications: range, offset: int = 0) -> pd.DataFrame:
        """The controls' values in ``replications`` of root seed ``seed`` (rows numbered from
        ``offset``, as a study numbers its batches' replications)."""
        return pd.DataFrame([self.values(seed, replication) for replication in replications],
                            index=pd.Index([offset + index for index in range(len(replications))],
                                           name="replication"),
                            columns=list(self.names))


def _class_of(service: _Service, start: float) -> str:
    if service.clock is None:
        return "all"
    return "business" if service.clock.is_open(start) else "other"


def _poisson_starts(scenario: Scenario, name: str, streams: RandomStreams) -> list[float]:
    """The starts the service's failure process draws (as :mod:`simulator.model.outages` does:
    inversion of one uniform per gap from the stream ``failures/<name>``)."""
    failures = scenario.services[name].failures
    assert failures is not None and failures.every is not None
    rng = streams.generator(f"failures/{name}")
    starts, clock = [], 0.0
    while True:
        clock += float(failures.every.quantile(np.array([float(rng.random())]))[0])
        if clock >= scenario.run.horizon:
            return starts
        starts.append(clock)


def outage_controls(scenario: Scenario) -> OutageControls:
    """The controls of a scenario (see the module's notes), with their exact means."""
    run = scenario.run
    window = run.horizon - run.warmup
    services, names, means = [], [], []
    counts: list[tuple[str, float]] = []
    draws: list[tuple[str, float]] = []
    for name, spec in scenario.services.items():
        calendar = scenario.calendars.get(spec.downtime_cost.calendar)
        clock = CalendarClock(calendar, run.start, 0.0, run.horizon) if calendar is not None else None
        every = spec.failures.every if spec.failures is not None else None
        rate = 1.0 / every.mean() if isinstance(every, Exponential) else None
        restoration = spec.restoration
        service = _Service(name, clock, rate,
                           tuple(float(getattr(restoration, draw).mean()) for draw in DRAWS))
        services.append(service)
        business = clock.working_minutes_between(run.warmup, run.horizon) if clock else window
        classes = [("business", business), ("other", window - business)] if clock else [("all", window)]
        if rate is not None:
            counts += [(f"{name}.{where}.count", rate * minutes) for where, minutes in classes]
        draws += [(f"{name}.{where}.{draw}", 0.0) for draw in DRAWS for where, _ in classes]
    for label, mean in [*counts, *draws]:
        names.append(label)
        means.append(mean)
    return OutageControls(scenario, tuple(services), tuple(names), np.array(means, dtype=float))


def controlled_means(figures: pd.DataFrame, controls: pd.DataFrame,
                     means: np.ndarray) -> tuple[pd.Series, pd.Series, int]:
    """Each column's control-variate estimate of its mean, its standard error, and how many
    controls were used.

    ``figures`` and ``controls`` have a row per replication (aligned by index); ``means`` are
    the controls' exact expectations. Regresses every column on [1, controls − means] and
    returns the intercepts and their standard errors (see the module's notes for which
    controls are used); without usable controls, the plain means and their standard errors.
    """
    n = len(figures)
    deviations = (controls.loc[figures.index].to_numpy(dtype=float) - means) if len(controls.columns) \
        else np.zeros((n, 0))
    chosen = _usable(deviations, n)
    design = np.column_stack([np.ones(n), deviations[:, chosen]])
    values = figures.to_numpy(dtype=float)
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    residuals = values - design @ coefficients
    freedom = n - design.shape[1]
    if freedom < 1:
        return figures.mean(), pd.Series(math.nan, index=figures.columns), 0
    variance = np.sum(residuals ** 2, axis=0) / freedom
    inverse = np.linalg.pinv(design.T @ design)[0, 0]
    return (pd.Series(coefficients[0], index=figures.columns),
            pd.Series(np.sqrt(variance * inverse), index=figures.columns), len(chosen))


def _usable(deviations: np.ndarray, n: int) -> list[int]:
    """The controls to use: in order, those that vary and add a new direction, at most
    ⌊(n − 1) ÷ 5⌋ of them."""
    limit = (n - 1) // REPLICATIONS_PER_CONTROL if n >= 6 else 0
    chosen: list[int] = []
    for column in range(deviations.shape[1]):
        if len(chosen) >= limit:
            break
        candidate = np.column_stack([np.ones(n), deviations[:, [*chosen, column]]])
        if np.linalg.matrix_rank(candidate) == candidate.shape[1]:
            chosen.append(column)
    return chosen
