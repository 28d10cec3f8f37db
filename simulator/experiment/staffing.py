"""Experiment layer: the cheapest roster that meets every target, found by simulation.

1. *First cut*: the queueing formulas' roster (:mod:`simulator.experiment.firstcut`).
2. *Search*, every roster simulated with the same replications and seed (common
   random numbers, so rosters are compared on the same incidents). A roster *meets* the
   targets when each target's whole 95 % confidence interval meets it (the ``pass``
   of ``mimsim run``; ``unclear`` does not count). Under a sequential rule
   (:mod:`simulator.experiment.sequential`) each roster gets replications until each
   target's KPI minus the target is decided — clearly above or below it, or within the
   indifference amount of it — so clear passes and failures stop early and rosters near
   the line get more; replication *r* is still the same random numbers for every roster.
   * Up: while the roster does not meet them, try one more agent on each post and keep
     the one that closes most of the shortfall per unit of cost.
   * Down: while some roster with one agent fewer on a post still meets them, keep the
     one that saves most. The rosters one agent smaller are simulated cheapest first and
     the step stops at the first that meets every target: the roster that simulating them
     all would keep, without the dearer ones.
3. The answer is the cheapest roster met in the search; by construction, no roster one
   agent cheaper on any single post meets every target. That is a local optimum of the
   search, not a proof that no cheaper roster elsewhere exists.

Cost is the weekly cost of the posts (agent-hours × hourly cost), then agent-hours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.experiment.campaign import Campaign, Design
from simulator.experiment.execution import Execution
from simulator.experiment.firstcut import FirstCut, first_cut, formula_predictions
from simulator.experiment.isa import iterative_staffing
from simulator.experiment.roster import Post, Roster, apply_roster, posts, roster_cost
from simulator.experiment.sequential import PairedSeries, SequentialDecision, SequentialRule
from simulator.experiment.summary import TargetCheck, check_targets, summarise
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import Target

__all__ = ["Evaluation", "StaffingResult", "find_staffing", "shortfall"]


def _worst_end(check: TargetCheck) -> float:
    """The end of the CI farthest from meeting the target (the mean with one replication)."""
    if not math.isfinite(check.ci_low):
        return check.mean
    return check.ci_low if check.target.operator in (">=", ">") else check.ci_high


def shortfall(checks: Sequence[TargetCheck]) -> float:
    """How far a roster is from meeting its targets: the sum of each target's relative gap at
    the worse end of its CI (0 when every target passes; 1 for a target with no data)."""
    total = 0.0
    for check in checks:
        if check.verdict == "pass":
            continue
        if check.verdict == "no data" or not math.isfinite(check.mean):
            total += 1.0
            continue
        scale = max(abs(check.target.value), 1e-9)
        worst = _worst_end(check)
        above = check.target.operator in (">=", ">")
        gap = check.target.value - worst if above else worst - check.target.value
        total += max(gap, 0.0) / scale + 1e-6  # an unclear target at the line still counts
    return total


@dataclass(frozen=True)
class Evaluation:
    """A roster, simulated: its KPIs, how it stands against the targets, and what it costs."""

    roster: Roster
    summary: pd.DataFrame
    checks: list[TargetCheck]
    weekly_cost: float
    agent_hours: float
    replications: int = 0  # behind the summary
    decision: SequentialDecision | None = None  # under a sequential rule: why it stopped there

    @property
    def meets(self) -> bool:
        """Every target passes (its whole CI meets it)."""
        return all(check.verdict == "pass" for check in self.checks)

    @property
    def shortfall(self) -> float:
        """See :func:`shortfall`."""
        return shortfall(self.checks)


@dataclass
class _Evaluator:
    """Simulates rosters with common random numbers, once each."""

    scenario: Scenario
    posts: list[Post]
    targets: list[Target]
    replications: int | SequentialRule
    execution: Execution  # started: its executor open
    cache: dict[Roster, Evaluation] = field(default_factory=dict)
    reused: int = 0  # replications read back from the replication cache

    def evaluate(self, rosters: Sequence[Roster]) -> list[Evaluation]:
        """Each roster's evaluation, simulating those not seen before (all in one batch)."""
        missing = list(dict.fromkeys(roster for roster in rosters if roster not in self.cache))
        if missing:
            designs = [Design(str(roster), apply_roster(self.scenario, self.posts, roster))
                       for roster in missing]
            campaign = Campaign(designs, self.execution)
            decisions = self._simulate(campaign)
            self.reused += campaign.reused
            for index, roster in enumerate(missing):
                kpis = campaign.kpis(index)
                summary = summarise(kpis)
                money, hours = roster_cost(self.posts, roster)
                self.cache[roster] = Evaluation(roster, summary, check_targets(summary, self.targets),
                                                money, hours, int(kpis["replication"].nunique()),
                                                decisions.get(index))
        return [self.cache[roster] for roster in rosters]

    def _simulate(self, campaign: Campaign) -> dict[int, SequentialDecision]:
        """Run the rosters: a fixed number of replications, or each until its targets are decided."""
        if not isinstance(self.replications, SequentialRule):
            campaign.run(range(self.replications))
            return {}
        rule = self.replications
        decisions: dict[int, SequentialDecision] = {}
        looked: list[int] = []
        for look in rule.looks():
            pending = [index for index in range(len(campaign.designs)) if index not in decisions]
            if not pending:
                break
            campaign.run(range(look), pending)
            for index in pending:
                decision = rule.decide(self._questions(campaign, index, look), look, looked)
                if decision is not None:
                    decisions[index] = decision
            looked.append(look)
        return decisions

    def _questions(self, campaign: Campaign, index: int, replications: int) -> list[PairedSeries]:
        """Each target's KPI minus the target's value, by replication."""
        assert isinstance(self.replications, SequentialRule)
        return [PairedSeries(str(target), [campaign.value(index, replication, target.name) - target.value
                                           for replication in range(replications)],
                             self.replications.indifference_for(target.name))
                for target in self.targets]


@dataclass
class StaffingResult:
    """The search's answer, the formulas' first cut beside it, and how the search went."""

    posts: list[Post]
    targets: list[Target]
    replications: int  # per roster (under a sequential rule: the most any roster may get)
    seed: int
    first_cut: Evaluation
    chosen: Evaluation | None  # None: no roster met every target within the budget
    predictions: dict[str, dict[str, float | None]]  # "first_cut" / "chosen" → target → value
    notes: list[str]
    history: list[tuple[str, Evaluation]]  # each step of the search and the roster it simulated
    evaluated: int = 0
    rule: SequentialRule | None = None  # replications until each roster's targets are decided
    reused: int = 0  # replications read back from the replication cache
    # per team: agents at work the formulas require in each hour of the week (the first cut's)
    first_cut_need: dict[str, np.ndarray] = field(default_factory=dict)


def _isa_need(scenario: Scenario, delay_probability: float, replications: int, seed: int,
              notes: list[str]) -> dict[str, np.ndarray]:
    """The desk's hourly need from the iterative staffing algorithm (a note says how it went)."""
    found = iterative_staffing(scenario, delay_probability, replications, seed)
    notes.append(f"iterative staffing algorithm: {len(found.iterations) - 1} iterations at "
                 f"P(wait) <= {delay_probability:g}, "
                 f"{'settled' if found.converged else 'not settled (the last one kept)'}")
    return {scenario.flow.desk.team: found.required}


def _required(cut: FirstCut) -> dict[str, np.ndarray]:
    """Per team, the agents at work the first cut requires each hour (the service-level need,
    else the occupancy cap's, whichever is higher)."""
    return {team: np.maximum(need, cut.occupancy_need.get(team, 0))
            for team, need in cut.hourly_need.items()}


def _price_step(post: Post) -> float:
    return post.hours_per_week * post.hourly_cost + 1e-4 * post.hours_per_week


def _move(roster: Roster, index: int, change: int) -> Roster:
    return tuple(count + change if position == index else count
                 for position, count in enumerate(roster))


def _climb(evaluator: _Evaluator, start: Evaluation, budget: int,
           history: list[tuple[str, Evaluation]]) -> Evaluation:
    """Add agents until the roster meets every target (or the budget runs out)."""
    current = start
    while not current.meets and len(evaluator.cache) < budget:
        neighbours = evaluator.evaluate([_move(current.roster, i, +1)
                                         for i in range(len(evaluator.posts))])
        gains = [(current.shortfall - n.shortfall) / _price_step(post)
                 for n, post in zip(neighbours, evaluator.posts, strict=True)]
        best = max(range(len(neighbours)), key=lambda i: (gains[i], -neighbours[i].weekly_cost))
        current = neighbours[best]
        history.append((f"+1 {evaluator.posts[best].label}", current))
    return current


def _smaller(evaluator: _Evaluator, roster: Roster) -> list[tuple[int, Roster]]:
    """The rosters one agent smaller (each post keeps one), cheapest first: by weekly cost,
    then agent-hours, then the posts' order."""
    options = [(i, _move(roster, i, -1)) for i in range(len(evaluator.posts)) if roster[i] > 1]
    return sorted(options, key=lambda option: (*roster_cost(evaluator.posts, option[1]), option[0]))


def _first_meeting(evaluator: _Evaluator, options: list[tuple[int, Roster]], budget: int,
                   history: list[tuple[str, Evaluation]]) -> tuple[int, Evaluation] | None:
    """The first of ``options`` that meets every target, simulating them in order a few at a
    time (as many as keep the workers busy); ``None`` if none does within the budget."""
    replications = evaluator.replications if isinstance(evaluator.replications, int) else 1
    batch = max(1, evaluator.execution.width // max(1, replications))
    begin = 0
    while begin < len(options):
        group = _within_budget(options[begin: begin + batch], evaluator, budget)
        if not group:
            return None
        begin += len(group)
        evaluations = evaluator.evaluate([roster for _, roster in group])
        history.extend((f"-1 {evaluator.posts[i].label}", evaluation)
                       for (i, _), evaluation in zip(group, evaluations, strict=True)
                       if not evaluation.meets)
        for (i, _), evaluation in zip(group, evaluations, strict=True):
            if evaluation.meets:
                return i, evaluation
    return None


def _within_budget(group: list[tuple[int, Roster]], evaluator: _Evaluator,
                   budget: int) -> list[tuple[int, Roster]]:
    """The first options of ``group`` whose rosters not yet simulated fit in the budget."""
    kept: list[tuple[int, Roster]] = []
    fresh = 0
    for option in group:
        fresh += option[1] not in evaluator.cache
        if len(evaluator.cache) + fresh > budget:
            break
        kept.append(option)
    return kept


def _descend(evaluator: _Evaluator, start: Evaluation, budget: int,
             history: list[tuple[str, Evaluation]]) -> Evaluation:
    """Remove agents while a roster one agent cheaper still meets every target.

    Each step keeps the cheapest roster one agent smaller that meets every target (ties: fewer
    agent-hours, then the posts' order). It tries them cheapest first and stops at the first
    that meets the targets — the same roster as simulating them all and keeping the cheapest
    that passes, without simulating the dearer ones (issue 18: the phone desk's search).
    """
    current = start
    while len(evaluator.cache) < budget:
        found = _first_meeting(evaluator, _smaller(evaluator, current.roster), budget, history)
        if found is None:
            break
        index, current = found
        history.append((f"-1 {evaluator.posts[index].label}", current))
    return current


def find_staffing(scenario: Scenario, targets: Sequence[Target], execution: Execution | None = None, *,
                  teams: Sequence[str] | None = None, max_occupancy: float = 0.85,
                  max_designs: int = 60, method: str = "greedy",
                  delay_probability: float = 0.2) -> StaffingResult:
    """The cheapest roster of ``teams`` (default: every team) meeting every target.

    Parameters
    ----------
    targets
        What the roster must meet, e.g. ``P2.sla_response_attainment >= 0.9``.
    execution
        Every roster is simulated with its replications (a whole number, or a
        :class:`SequentialRule`: until each target is decided) and seed — common random
        numbers; the default is the scenario's ``run.replications`` and ``run.seed``. A
        staffing search writes no run directory.
    max_occupancy
        The formulas' occupancy cap for the first cut.
    max_designs
        The most rosters the search simulates.
    method
        ``"greedy"``: the search above. ``"isa"``: the desk's hourly requirement from the
        iterative staffing algorithm (:mod:`simulator.experiment.isa`) at ``delay_probability``,
        covered by the cheapest shifts, and that roster simulated once (no search).
    """
    if not targets:
        raise ValueError("expected at least one target to staff for; found none")
    execution = (execution or Execution()).writing_nothing("a staffing search")
    wanted = execution.replications_for(scenario)
    rule = wanted if isinstance(wanted, SequentialRule) else None
    replications = rule.cap if rule is not None else execution.fixed_replications(
        scenario, "a staffing search")
    chosen_posts = posts(scenario, teams)
    isa_notes: list[str] = []
    required = None
    if method == "isa":
        # Under -r until-clear, the algorithm's simulations use the rule's first look.
        required = _isa_need(scenario, delay_probability,
                             rule.initial if rule is not None else replications,
                             execution.seed_for(scenario), isa_notes)
    elif method != "greedy":
        raise ValueError(f"expected the method 'greedy' or 'isa'; found {method!r}")
    cut = first_cut(scenario, chosen_posts, targets, max_occupancy, required)
    with execution.started(replications * max(1, len(chosen_posts))) as running:
        evaluator = _Evaluator(scenario, chosen_posts, list(targets), rule or replications, running)
        start = evaluator.evaluate([cut.roster])[0]
        if method == "isa":
            history = [("iterative staffing + shifts", start)]
            best = start if start.meets else None
        else:
            history = [("first cut (formulas)", start)]
            climbed = _climb(evaluator, start, max_designs, history)
            best = _descend(evaluator, climbed, max_designs, history) if climbed.meets else None
    met = [evaluation for evaluation in evaluator.cache.values() if evaluation.meets]
    if met:  # the cheapest roster seen that met every target (the descent's end, or cheaper)
        best = min(met, key=lambda evaluation: (evaluation.weekly_cost, evaluation.agent_hours))
    predictions = {"first_cut": formula_predictions(apply_roster(scenario, chosen_posts, cut.roster),
                                                    targets)}
    if best is not None:
        predictions["chosen"] = formula_predictions(apply_roster(scenario, chosen_posts, best.roster),
                                                    targets)
    notes = [*isa_notes, *cut.notes]
    if best is None and method == "isa":
        notes.append("the iterative staffing roster does not meet every target with confidence "
                     "(try the greedy search, or a lower --delay-probability)")
    elif best is None:
        notes.append(f"no roster met every target within {max_designs} simulated rosters "
                     f"(raise --max-designs, or the targets may be out of reach of these teams)")
    elif len(evaluator.cache) >= max_designs:
        notes.append(f"the search stopped at its limit of {max_designs} simulated rosters: a "
                     f"cheaper roster may still meet the targets (raise --max-designs)")
    return StaffingResult(chosen_posts, list(targets), replications, execution.seed_for(scenario),
                          start, best, predictions, notes, history, len(evaluator.cache), rule,
                          evaluator.reused, _required(cut))
