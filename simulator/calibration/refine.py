"""Calibration layer: refine a learned scenario by simulating it and comparing with the log.

The direct fits (:mod:`simulator.calibration.learn`) measure each piece of the process
on its own; what the pieces give together — queueing, nights and weekends, waits on the
user, hand-offs — is only seen by running the model. ``calibrate --refine`` does that:
it simulates the learned scenario over the training log's period, compares the
simulated and the real tickets, adjusts, and simulates again.

**What is compared.** For each priority (with enough tickets), all its tickets and each
kind of ticket apart — resolved without a hand-off between groups, or handed on at least
once — the resolution time, capped at :data:`CAP_DAYS` days (half the observed span for a
shorter log) so that both sides are observed alike (only tickets opened at least that
long before the end of observation count, on both sides); and the hand-offs per ticket, of the
tickets resolved by the end of observation (on the simulated side by the same time after its
window), so that every hand-off of a compared ticket is counted and the whole period counts.
The *distance* of a round is the mean of the Kolmogorov–Smirnov distances of those
capped resolution times (each with :data:`MIN_TICKETS` real tickets or more) and the
total variation distance of the hand-off counts (0, 1, 2, 3+); a KS distance bounds the
gap in every "resolved within 4 h / 24 h / 72 h" share.

**What is adjusted.** Per priority (from :data:`MIN_TICKETS` tickets on; rarer ones
together), one factor on the usual handling — the visits of tickets never handed on,
which make the fast resolutions — and one on the handling of visits that hand the
ticket on or came from another group; with routing with memory, one factor per stage
(0, 1, 2, 3+ hand-offs so far) on the probability of handing on. Each factor has one
target, which it moves most: the share of its priority's tickets resolved within the
priority's real median (so that the simulated median lands on the real one: real
resolution times have a fast and a slow mode, and the median falls where one gives way
to the other, where a small shift of either moves it by hours); the median of its
priority's tickets handed on; the share of tickets handed on at its stage.

**The optimiser** is SciPy's ``excitingmixing`` root finder (a diagonal Jacobian tuned
on each iteration) on the log-ratios real / simulated of those targets: one simulation
per round moves every factor at once, each by its own step, which grows while its
target keeps the same sign and falls back when it overshoots. Common random numbers
(the same seeds every round) make a round's change the effect of the factors, not of
noise. The rounds are bounded; refinement stops early when the distance has not fallen
for :data:`PATIENCE` rounds, and the round with the smallest distance is kept (round 0,
the direct fit, included: refinement never returns a scenario further from the
training log than the direct fit).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats

from simulator.calibration.assemble import assemble
from simulator.calibration.groups import GroupModel
from simulator.calibration.history import STAGES, HistoryRule, scaled_shares
from simulator.calibration.learned import Calibration, Learned
from simulator.calibration.reallog import RealLog
from simulator.calibration.validation import Observation, _simulate, _Task, observe_log, simulation_settings
from simulator.calibration.writer import scenario_yaml
from simulator.experiment.executors import make_executor
from simulator.scenario.loader import parse_scenario, read_yaml
from simulator.scenario.schema import Scenario

__all__ = ["CAP_DAYS", "Refinement", "Round", "calibrate_refined", "refine", "scenario_of"]

#: Resolution times are compared up to this many days (both sides observed that long).
CAP_DAYS = 28
#: A priority's kind of ticket gets its own factor from this many real tickets on.
MIN_TICKETS = 50
#: Refinement stops when the distance has not fallen below its best for this many rounds.
PATIENCE = 2
#: The simulated period: at most this many days of openings (the rest of the log repeats them).
SIMULATED_DAYS = 56
#: Factors stay within 1/20 and 20 of the direct fit.
_LIMIT = math.log(20.0)
#: The largest log-ratio the optimiser is shown in one round (a factor of 2).
_MAX_LOG_STEP = math.log(2.0)
#: Routing factors move at this share of the steps handling factors take (see :func:`refine`).
ROUTING_PACE = 0.5
#: The optimiser's first step is the log-ratio itself (alpha 1); a step grows by that much
#: while its target keeps its sign, up to twice the log-ratio.
_JACOBIAN = {"alpha": 1.0, "alphamax": 2.0}
_ALL = "(other priorities)"


@dataclass(frozen=True)
class Round:
    """One round: its distance, the parts of it, and the factors simulated."""

    number: int
    distance: float
    parts: dict[str, float]  # "P3" → KS of its capped resolution times, "hand-offs" → TV distance
    factors: dict[str, float]


@dataclass(frozen=True)
class Refinement:
    """The refined figures, every round, and which round was kept."""

    learned: Learned
    rounds: tuple[Round, ...]
    kept: int

    def comment(self) -> str:
        """The history of distances, for the scenario file."""
        history = ", ".join(f"{r.number}: {r.distance:.3f}" for r in self.rounds)
        kept = self.rounds[self.kept]
        parts = ", ".join(f"{name} {value:.3f}" for name, value in kept.parts.items())
        return (f"refined by simulation (calibrate --refine): distance to the log by round (0 = the "
                f"direct fit) {history}; kept round {kept.number} ({parts})")


@dataclass(frozen=True)
class _Knob:
    """One factor: what it scales and the target it is steered by.

    A ``usual`` knob scales every group's usual handling for ``priorities``, steered by the
    share of their tickets resolved within the real median (``at_h``: half of them, as in
    the log); a ``transfer`` knob scales every group's handling of visits that hand a
    ticket on or came from another group, steered by the median of the tickets handed on;
    a ``stage`` knob scales the chance of handing on after ``stage`` hand-offs, steered by
    its share.
    """

    name: str  # "P3 usual", "P3 handed on", "hand-on after 1 hand-offs"
    kind: str  # "usual", "transfer" or "stage"
    priorities: tuple[str, ...] = ()
    at_h: float | None = None  # usual: the real median of its priorities' capped resolution times
    stage: int = 0


def cap_days(observation: Observation) -> float:
    """How long resolution times are followed: :data:`CAP_DAYS`, or half the observed span."""
    span = (observation.observed_until - observation.start) / dt.timedelta(days=1)
    return min(float(CAP_DAYS), span / 2.0)


def _capped(cohort: pd.DataFrame, observation: Observation, days: float) -> pd.DataFrame:
    """Tickets opened at least ``days`` before the end of observation, with ``capped_h``."""
    cap_h = days * 24.0
    last = pd.Timestamp(observation.observed_until) - pd.Timedelta(days=days)
    chosen = cohort[cohort["opened"] <= last]
    hours = chosen["resolution_h"].where(chosen["resolved"].astype(bool), np.inf)
    return chosen.assign(capped_h=np.minimum(hours.to_numpy(dtype=float), cap_h))


def _finished(cohort: pd.DataFrame, until: dt.datetime) -> pd.DataFrame:
    """Tickets resolved by ``until``: their hand-offs are all counted, on either side alike.

    Hand-off counts are compared over these (the real log's finished tickets and the simulation's
    finished by the same time after its window): a ticket still open at the end of observation has
    not yet had all its hand-offs, and only the tickets opened a cap's length before the end (the
    oldest ones) would make the target the first weeks' routing, not the whole period's.
    """
    resolved = cohort["resolved"].to_numpy(dtype=bool)
    at = cohort["opened"] + pd.to_timedelta(cohort["resolution_h"].fillna(0.0), unit="h")
    return cohort[resolved & (at <= pd.Timestamp(until)).to_numpy()]


def _median_log_h(cohort: pd.DataFrame) -> float:
    if cohort.empty:
        return math.nan
    return math.log(max(float(np.median(cohort["capped_h"])), 1.0 / 60.0))


def _stage_share(moves: np.ndarray, stage: int) -> float:
    """The share of tickets handed on at ``stage`` among those that reached it (the last stage: the
    geometric continuation of the tail)."""
    if stage < STAGES - 1:
        reached = moves >= stage
        return float((moves[reached] > stage).mean()) if reached.sum() else math.nan
    tail = moves[moves >= stage] - stage
    return float(tail.mean() / (1.0 + tail.mean())) if len(tail) else math.nan


def _measure(knob: _Knob, cohort: pd.DataFrame) -> float:
    """The knob's measure on a cohort, growing with its factor (see :class:`_Knob`)."""
    if knob.kind == "stage":
        share = _stage_share(cohort["reassignments"].to_numpy(), knob.stage)
        return math.log(share) if share > 0 else math.nan
    chosen = cohort[cohort["priority"].isin(knob.priorities)]
    if knob.kind == "transfer":
        return _median_log_h(chosen[chosen["reassignments"].to_numpy() > 0])
    if chosen.empty or knob.at_h is None:
        return math.nan
    below = float(np.mean(chosen["capped_h"].to_numpy() <= knob.at_h))
    below = min(max(below, 1e-3), 1 - 1e-3)
    return -math.log(below / (1.0 - below))  # slower tickets: fewer below, a larger measure


def _usual_knobs(real: pd.DataFrame, learned: Learned, days: float) -> list[_Knob]:
    """Per priority with :data:`MIN_TICKETS` tickets (the rest together): the usual handling,
    steered so that half the priority's tickets are resolved by its real median."""
    counts = real["priority"].value_counts()
    own = [p for p in learned.priorities if counts.get(p, 0) >= MIN_TICKETS]
    rest = tuple(p for p in learned.priorities if p not in own)
    groups = [(p,) for p in own] + ([rest] if rest and sum(counts.get(p, 0) for p in rest) >= MIN_TICKETS
                                    else [])
    knobs = []
    for priorities in groups:
        median = float(np.median(real.loc[real["priority"].isin(priorities), "capped_h"]))
        if median < days * 24.0:
            knobs.append(_Knob(f"{', '.join(priorities)} usual", "usual", priorities, at_h=median))
    return knobs


def _knobs(real: pd.DataFrame, finished: pd.DataFrame, learned: Learned, days: float) -> list[_Knob]:
    knobs = _usual_knobs(real, learned, days)
    handed = real[real["reassignments"] > 0]["priority"].value_counts()
    own = [p for p in learned.priorities if handed.get(p, 0) >= MIN_TICKETS]
    knobs.extend(_Knob(f"{p} handed on", "transfer", (p,)) for p in own)
    rest = tuple(p for p in learned.priorities if p not in own)
    if rest and sum(handed.get(p, 0) for p in rest) >= MIN_TICKETS:
        knobs.append(_Knob(f"{', '.join(rest)} handed on", "transfer", rest))
    if any(model.history for model in learned.groups):
        moves = finished["reassignments"].to_numpy()
        knobs.extend(_Knob(f"hand-on after {stage}{'+' if stage == STAGES - 1 else ''} hand-offs", "stage",
                           stage=stage) for stage in range(STAGES)
                     if (moves >= stage).sum() >= MIN_TICKETS and _stage_share(moves, stage) > 0)
    return knobs


def _scale_kind(model: GroupModel, priorities: tuple[str, ...], factor: float, kinds: tuple[str, ...]
                ) -> GroupModel:
    """``model`` with the handling of ``kinds`` of visit × ``factor`` for ``priorities``."""
    changes: dict[str, object] = {}
    for kind in kinds:
        pooled_name = "handling" if kind == "usual" else f"handling_{kind}"
        pooled = getattr(model, pooled_name)
        by_priority = dict(getattr(model, f"{pooled_name}_by_priority"))
        for priority in priorities:
            base = by_priority.get(priority, pooled)
            by_priority[priority] = base.scaled(factor)
        changes[f"{pooled_name}_by_priority"] = by_priority
    return replace(model, **changes)  # type: ignore[arg-type]


def _split_kinds(model: GroupModel) -> GroupModel:
    """Every kind of visit with its own handling (a copy of the usual one where not learned apart),
    so that a factor on one kind leaves the others alone."""
    changes: dict[str, object] = {}
    for kind in ("when_transferred", "after_transfer"):
        if getattr(model, f"handling_{kind}") is None:
            changes[f"handling_{kind}"] = model.handling
            changes[f"handling_{kind}_by_priority"] = dict(model.handling_by_priority)
    return replace(model, **changes)  # type: ignore[arg-type]


def _scale_rule(rule: HistoryRule, factors: dict[int, float]) -> HistoryRule:
    factor = factors.get(rule.handoffs, 1.0)
    return replace(rule, transfer=scaled_shares(rule.transfer, factor))


def _apply(learned: Learned, knobs: list[_Knob], log_factors: np.ndarray) -> Learned:
    factors = np.exp(np.clip(log_factors, -_LIMIT, _LIMIT))
    groups = [_split_kinds(model) for model in learned.groups]
    stages: dict[int, float] = {}
    for knob, factor in zip(knobs, factors.tolist(), strict=True):
        if knob.kind == "stage":
            stages[knob.stage] = factor
            continue
        if knob.kind == "usual":
            groups = [_scale_kind(model, knob.priorities, factor, ("usual",)) for model in groups]
        else:
            groups = [_scale_kind(model, knob.priorities, factor, ("when_transferred", "after_transfer"))
                      for model in groups]
    groups = [replace(model, history=tuple(_scale_rule(rule, stages) for rule in model.history))
              for model in groups]
    return replace(learned, groups=groups)


def scenario_of(learned: Learned) -> Scenario:
    """The scenario a learned set of figures is written as (through its YAML text, as saved)."""
    calibration = assemble(learned)
    text = scenario_yaml(calibration.scenario, calibration.comments, learned.name)
    data, _ = read_yaml(text, learned.name)
    return parse_scenario(data, learned.name)


def _ks(mine: pd.DataFrame, theirs: pd.DataFrame) -> float | None:
    """The KS distance of two cohorts' capped resolution times (None: too few real tickets or no
    simulated one)."""
    if len(mine) < MIN_TICKETS or not len(theirs):
        return None
    return float(stats.ks_2samp(mine["capped_h"], theirs["capped_h"]).statistic)


def _distance(real: pd.DataFrame, simulated: pd.DataFrame, priorities: list[str],
              finished: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> dict[str, float]:
    """The parts of a round's distance: per priority its capped resolution times, all of its
    tickets and each kind (never handed on, handed on) apart; and the hand-off counts (of the
    ``finished`` tickets, real and simulated, where given)."""
    parts: dict[str, float] = {}
    for priority in priorities:
        mine, theirs = real[real["priority"] == priority], simulated[simulated["priority"] == priority]
        handed_mine, handed_theirs = mine["reassignments"] > 0, theirs["reassignments"] > 0
        for name, ks in ((priority, _ks(mine, theirs)),
                         (f"{priority} not handed on", _ks(mine[~handed_mine], theirs[~handed_theirs])),
                         (f"{priority} handed on", _ks(mine[handed_mine], theirs[handed_theirs]))):
            if ks is not None:
                parts[name] = ks
    bins = [(cohort["reassignments"].clip(upper=3).value_counts(normalize=True)
             .reindex(range(4), fill_value=0.0).to_numpy()) for cohort in (finished or (real, simulated))]
    parts["hand-offs"] = 0.5 * float(np.abs(bins[0] - bins[1]).sum())
    return parts


def _simulated_window(observation: Observation, days: float) -> Observation:
    start = max(observation.start, observation.end - dt.timedelta(days=SIMULATED_DAYS))
    return Observation(start, observation.end, observation.end + dt.timedelta(days=days))


def _cohorts(tasks: list[_Task], workers: int | None) -> list[pd.DataFrame]:
    """The simulated cohorts of one round's replications, in replication order.

    Each round gets its own pool of workers, forked afresh from this process: a worker that
    lived through several rounds grew by 50-100 MiB a round (what its simulations left behind
    was not handed back), so on the UCI log the process tree's resident memory peaked at
    2.0 GiB in the eighth round, against 1.4 GiB with fresh workers. The result does not
    change (the same seeds); a fork costs milliseconds, a round's simulation seconds.
    """
    with make_executor(min(workers or len(tasks), len(tasks))) as executor:
        results = sorted(executor.map_unordered(_simulate, tasks), key=lambda result: result[0])
    return [cohort for _, _, cohort in results]


class _StopRefiningError(Exception):
    """Raised inside the optimiser's function to end refinement (not an error)."""


def refine(log: RealLog, learned: Learned, rounds: int = 8, replications: int = 2, seed: int = 1,
           workers: int | None = None, on_round: Callable[[Round], None] | None = None) -> Refinement:
    """Refine ``learned`` by simulating it against ``log`` (see the module docstring).

    ``rounds``: simulations after the direct fit, at most; ``replications`` per round, run
    on ``workers`` processes (the same seeds every round); ``on_round`` is told of each
    round as it ends.
    """
    observation, real_cohort = observe_log(log)
    days = cap_days(observation)
    real = _capped(real_cohort, observation, days)
    real_finished = _finished(real_cohort, observation.observed_until)
    knobs = _knobs(real, real_finished, learned, days)
    targets = np.array([_measure(knob, real_finished if knob.kind == "stage" else real) for knob in knobs])
    window = _simulated_window(observation, days)
    finished_by = window.end + (observation.observed_until - observation.end)
    # Hand-ons feed queues: more of them can swamp a group whose slots were sized for fewer, so
    # routing moves at half the pace of handling.
    damping = np.array([ROUTING_PACE if knob.kind == "stage" else 1.0 for knob in knobs])
    history: list[Round] = []
    trials: list[Learned] = []

    def simulate(log_factors: np.ndarray) -> np.ndarray:
        trial = _apply(learned, knobs, log_factors)
        scenario = simulation_settings(scenario_of(trial), window)
        tasks = [_Task(scenario, r, seed, window, tuple(learned.priorities)) for r in range(replications)]
        pooled = pd.concat(_cohorts(tasks, workers), ignore_index=True)
        simulated, simulated_finished = _capped(pooled, window, days), _finished(pooled, finished_by)
        parts = _distance(real, simulated, learned.priorities, (real_finished, simulated_finished))
        factors = {knob.name: float(math.exp(np.clip(x, -_LIMIT, _LIMIT)))
                   for knob, x in zip(knobs, log_factors.tolist(), strict=True)}
        history.append(Round(len(history), float(np.mean(list(parts.values()))), parts, factors))
        trials.append(trial)
        if on_round is not None:
            on_round(history[-1])
        best = min(range(len(history)), key=lambda i: history[i].distance)
        if len(history) > rounds or len(history) - 1 - best >= PATIENCE:
            raise _StopRefiningError
        measured = np.array([_measure(knob, simulated_finished if knob.kind == "stage" else simulated)
                             for knob in knobs])
        # a trust region: no factor moves by more than MAX_STEP^alphamax in one round, even when
        # a measure jumps (a median at the cap, a queue that outgrew its slots)
        return np.clip(np.nan_to_num(targets - measured), -_MAX_LOG_STEP, _MAX_LOG_STEP) * damping

    with contextlib.suppress(_StopRefiningError):
        if knobs:
            optimize.root(simulate, np.zeros(len(knobs)), method="excitingmixing",
                          options={"maxiter": rounds, "line_search": None, "jac_options": _JACOBIAN})
        else:
            simulate(np.zeros(0))
    kept = min(range(len(history)), key=lambda i: history[i].distance)
    return Refinement(trials[kept], tuple(history), kept)


def calibrate_refined(log: RealLog, learned: Learned, rounds: int = 8, replications: int = 2, seed: int = 1,
                      workers: int | None = None, on_round: Callable[[Round], None] | None = None
                      ) -> Calibration:
    """:func:`refine` ``learned`` and write the result as a scenario whose comments hold the history."""
    refinement = refine(log, learned, rounds, replications, seed, workers, on_round)
    calibration = assemble(refinement.learned)
    calibration.comments[("flow",)] = refinement.comment()
    calibration.report["refinement"] = {
        "kept": refinement.kept, "replications": replications, "seed": seed,
        "rounds": [{"round": r.number, "distance": r.distance, "parts": r.parts, "factors": r.factors}
                   for r in refinement.rounds]}
    return calibration
