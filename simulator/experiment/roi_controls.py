"""Experiment layer: control variates for an ROI study — outage counts whose means are known exactly.

What makes one replication's net benefit differ from another's is mostly the outage process
itself (docs/guides/consultant.md, "Where the simulation noise comes from"): how many outages a
replication brings to each service and when they end — a minute the process saves is saved at
the end of an outage, so what it is worth depends on whether that end falls in business hours.
Both designs meet the same outages (common random numbers), so pairing cannot remove this; but
such counts are functions of the replication's random numbers whose expectation follows from
the scenario alone, without simulating. Such a quantity is a *control variate*: regress the
replications' figures on the controls' deviations from their known means and take the
intercept (Lavenberg & Welch 1981; Nelson, "Control variate remedies", Operations Research
1990). The intercept estimates the same mean as the plain average; its variance is the plain
one × (1 − R²) × a small loss for each control estimated.

**The controls.** For each service whose failure process is Poisson (exponential times between
starts, started at the run's start) and whose downtime cost has a business-hours calendar: the
outages that the failure process starts in the measured window (after the warm-up) whose
*planned restore* — start + detection delay + diagnosis + fix + recovery, the outage's own
draws, the same in both designs — falls in business hours, and those whose planned restore
falls outside them (one count, all of them, for a service without a calendar). Outages at fixed
times never vary and are no control; a non-Poisson renewal process has no closed-form mean and
gets none (the estimator stays unbiased, only the gain is smaller).

**Their means.** The starts are a Poisson process of rate λ and each outage's duration D is
drawn independently of its start, so by Campbell's theorem the expected count of outages
starting in the window [w, h) whose planned restore falls in business hours is
λ · E[B(w + D, h + D)], with B(a, b) the business minutes between a and b: λ · B(w, h) plus an
edge term λ · E[B(h, h + D) − B(w, w + D)]. The edge term is zero when h − w is a whole number of
weeks and no holiday falls near either edge (the worked example's case); otherwise it is
computed from 20,000 draws of D (fixed seed), an error below a ten-thousandth of an outage
beside counts of several outages. The counts of the other class have mean λ · (h − w) minus it.

The counts are recomputed here from the replication's named random streams — the failure
stream ``failures/<service>`` and the outage plans (:func:`simulator.model.outages.plan_outages`)
— exactly as the model draws them (a test checks them against the model's own outage plans).
Were they ever to drift apart, they would stay exact-mean controls, only less correlated with
the figures: the estimator would stay unbiased.

**Bias and standard error.** With the coefficients estimated from the same replications, the
estimator is unbiased when the figures and controls are jointly normal and otherwise biased by
O(1/R), well inside its standard error (checked on a synthetic generator with a known truth in
tests/decisions/test_roi_controls.py). Its standard error is the regression intercept's:
residual variance with R − q − 1 degrees of freedom × the intercept's element of (XᵀX)⁻¹.
To keep that loss small, a study uses at most ⌊(R − 1) ÷ 5⌋ controls, and none that is constant
over the replications or adds no new direction; with fewer than 6 replications it uses none (the
plain mean). Which come first is fixed before any replication is seen, by the downtime cost each
class of outages puts at risk at the base prices (expected count × cost per minute) — never by
how well they fit, which would bias the estimate.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.metrics.pricing import Prices
from simulator.model.outages import OutagePlan, plan_outages
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
#: Draws of an outage's duration for the edge term of a count's mean.
EDGE_DRAWS = 20_000
WEEK_MIN = 7 * 24 * 60.0


@dataclass(frozen=True)
class _Service:
    """A service whose outages give controls: its name and its downtime-cost business hours."""

    name: str
    clock: CalendarClock | None  # None: one class (every minute costs the same)


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
        poisson = {service.name: Counter(_poisson_starts(self.scenario, service.name, streams))
                   for service in self.services}
        found: dict[str, float] = dict.fromkeys(self.names, 0.0)
        for plan in plan_outages(self.scenario, streams):
            starts = poisson.get(plan.service)
            if starts is None or starts[plan.start] == 0 or plan.start < run.warmup:
                continue  # not a control's service, an outage at a fixed time, or in the warm-up
            starts[plan.start] -= 1
            service = next(item for item in self.services if item.name == plan.service)
            found[f"{service.name}.{_class_of(service.clock, plan.start + _duration(plan))}"] += 1.0
        return np.array([found[name] for name in self.names])

    def table(self, seed: int, replications: range, offset: int = 0) -> pd.DataFrame:
        """The controls' values in ``replications`` of root seed ``seed`` (rows numbered from
        ``offset``, as a study numbers its batches' replications)."""
        return pd.DataFrame([self.values(seed, replication) for replication in replications],
                            index=pd.Index([offset + index for index in range(len(replications))],
                                           name="replication"),
                            columns=list(self.names))


def _duration(plan: OutagePlan) -> float:
    """The outage's planned restore time after its start, from its own draws."""
    return (plan.detection_delay or 0.0) + plan.diagnosis + plan.fix + plan.recovery


def _class_of(clock: CalendarClock | None, moment: float) -> str:
    if clock is None:
        return "restored"
    return "restored in business hours" if clock.is_open(moment) else "restored out of hours"


def _poisson_starts(scenario: Scenario, name: str, streams: RandomStreams) -> list[float]:
    """The starts the service's failure process draws (as :mod:`simulator.model.outages` does:
    inversion of one uniform per gap from the stream ``failures/<name>``)."""
    failures = scenario.services[name].failures
    assert failures is not None and failures.every is not None
    rng = streams.generator(f"failures/{name}")
    starts: list[float] = []
    clock = 0.0
    while True:
        clock += float(failures.every.quantile(np.array([float(rng.random())]))[0])
        if clock >= scenario.run.horizon:
            return starts
        starts.append(clock)


def _durations(scenario: Scenario, name: str) -> np.ndarray:
    """EDGE_DRAWS draws of a service's planned restore time (a fixed stream of their own)."""
    service = scenario.services[name]
    rng = RandomStreams(0, 0).generator(f"controls/{name}")
    restoration = service.restoration
    total = np.zeros(EDGE_DRAWS)
    for distribution in (service.detection_delay, restoration.diagnosis, restoration.fix,
                         restoration.recovery):
        if distribution is not None:
            total += distribution.quantile(rng.random(EDGE_DRAWS))
    return total


def _business_mean(scenario: Scenario, name: str, clock: CalendarClock) -> float:
    """E[B(w + D, h + D)]: the expected business minutes of the window shifted by an outage's
    planned restore time (see the module's notes)."""
    run = scenario.run
    inside = clock.working_minutes_between(run.warmup, run.horizon)
    whole_weeks = (run.horizon - run.warmup) % WEEK_MIN == 0
    calendar = clock.calendar
    if whole_weeks and calendar is not None and not calendar.holidays:
        return inside
    shifts = _durations(scenario, name)
    edge = (clock.working_minutes_array(run.horizon + shifts) - clock.working_minutes_at(run.horizon)
            - clock.working_minutes_array(run.warmup + shifts) + clock.working_minutes_at(run.warmup))
    return inside + float(np.mean(edge))


def outage_controls(scenario: Scenario) -> OutageControls:
    """The controls of a scenario (see the module's notes), with their exact means."""
    run = scenario.run
    window = run.horizon - run.warmup
    services: list[_Service] = []
    found: list[tuple[float, str, float]] = []  # (cost at risk per replication, name, mean)
    prices = Prices.of(scenario).downtime
    for name, spec in scenario.services.items():
        every = spec.failures.every if spec.failures is not None else None
        if not isinstance(every, Exponential):
            continue
        rate = 1.0 / every.mean()
        calendar = scenario.calendars.get(spec.downtime_cost.calendar)
        clock = CalendarClock(calendar, run.start, 0.0, run.horizon) if calendar is not None else None
        services.append(_Service(name, clock))
        terms = prices[name]
        if clock is None:
            found.append((rate * window * terms.business_per_min, f"{name}.restored", rate * window))
            continue
        business = _business_mean(scenario, name, clock)
        found += [(rate * business * terms.business_per_min, f"{name}.restored in business hours",
                   rate * business),
                  (rate * (window - business) * terms.off_hours_per_min,
                   f"{name}.restored out of hours", rate * (window - business))]
    found.sort(key=lambda item: -item[0])  # stable: ties keep the scenario's order
    return OutageControls(scenario, tuple(services), tuple(name for _, name, _ in found),
                          np.array([mean for *_, mean in found], dtype=float))


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
