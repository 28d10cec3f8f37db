"""Tabletop layer: one team's round of an exercise — the clock, injects, decisions, replay.

A :class:`Round` drives an interactive :class:`~simulator.model.Simulation`: it
moves the clock forward (stopping at each question the model asks, and firing
each timed inject at its minute), takes the players' answers and the
facilitator's ad-hoc injects, and records each of them with who and when. A
round is fully determined by its scenario, seed and that record: :meth:`Round.replay`
rebuilds it from scratch to any earlier minute, which is how the facilitator
rewinds, and how a restarted server resumes a round from its database.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.metrics import encode
from simulator.metrics.outages import outage_table
from simulator.metrics.pricing import Prices, downtime_minutes
from simulator.model import Simulation
from simulator.model.decisions import Decision
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.exercise import Exercise, Inject
from simulator.scenario.schema import Scenario

__all__ = ["DecisionRecord", "InjectRecord", "Round", "check_exercise"]

#: Events of the outage and change cases that make the timeline (and the players' feed).
TIMELINE_ACTIVITIES = frozenset({
    Activity.OUTAGE_STARTED, Activity.ALERT_FIRED, Activity.DETECTED, Activity.PROPOSED,
    Activity.DECLARED, Activity.JOINED, Activity.ASSEMBLED, Activity.DIAGNOSED,
    Activity.WORKAROUND_STARTED, Activity.WORKAROUND_APPLIED, Activity.RESTORED, Activity.UPDATE,
    Activity.CHANGE_REQUESTED, Activity.ECAB_MEMBER_JOINED, Activity.CHANGE_APPROVED,
    Activity.CHANGE_REJECTED, Activity.IMPLEMENTATION_STARTED, Activity.CHANGE_IMPLEMENTED,
    Activity.CHANGE_FAILED, Activity.BACKED_OUT,
})


def check_exercise(scenario: Scenario, source: str) -> Exercise:
    """The scenario's exercise, or a :class:`ScenarioError` saying what is missing or wrong."""
    if scenario.exercise is None:
        raise ScenarioError([Problem(("exercise",), "expected an 'exercise' section (title, "
                                                    "injects, ...) to play this scenario as a "
                                                    "tabletop exercise; found none", source)])
    problems = [Problem(("exercise", "published_timeline", index, "activity"),
                        f"expected an activity of the event log; found {moment.activity!r}", source)
                for index, moment in enumerate(scenario.exercise.published_timeline)
                if moment.activity is not None and moment.activity not in ACTIVITIES]
    if problems:
        raise ScenarioError(problems)
    return scenario.exercise


@dataclass(frozen=True)
class DecisionRecord:
    """A question answered: by whom, at which simulated minute and real time."""

    key: str
    kind: str
    question: str
    answer: str
    who: str
    minute: float
    real_time: str  # ISO 8601, UTC
    row: int = -1  # how many event-log rows there were when it was taken (its place in the timeline)


@dataclass(frozen=True)
class InjectRecord:
    """An inject fired: which, by whom (``schedule`` for a timed one), when."""

    name: str
    who: str
    minute: float
    real_time: str


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Round:
    """One team's play of a scenario."""

    scenario: Scenario
    team: str
    seed: int
    decisions: list[DecisionRecord] = field(default_factory=list)
    injects: list[InjectRecord] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic  # real seconds (for the decision time limit)

    def __post_init__(self) -> None:
        exercise = self.scenario.exercise
        assert exercise is not None
        self.exercise = exercise
        self.simulation = Simulation(self.scenario, 0, self.seed, interactive=True)
        self.messages: list[tuple[float, Inject]] = []  # (minute, inject) shown to the players
        self._asked_at: dict[str, float] = {}  # decision key → real time first seen
        self._fired: set[str] = set()
        self._advance(self.exercise.start_at)

    # -- the clock ---------------------------------------------------------------------------
    @property
    def minute(self) -> float:
        """Simulated minutes since the start of the run."""
        return self.simulation.now

    @property
    def finished(self) -> bool:
        return self.simulation.now >= self.scenario.run.horizon

    def pending(self) -> list[Decision]:
        """Questions waiting for the players (the clock waits too)."""
        decisions = self.simulation.pending_decisions()
        for decision in decisions:
            self._asked_at.setdefault(decision.key, self.clock())
        return decisions

    def advance(self, minutes: float) -> None:
        """Move the clock by up to ``minutes`` (it stops at the first question)."""
        if not self.pending():
            self._advance(self.minute + minutes)

    def _advance(self, target: float, record: bool = True) -> None:
        target = min(target, self.scenario.run.horizon)
        while not self.simulation.pending_decisions():
            due = [inject for inject in self.exercise.injects
                   if inject.at is not None and inject.name not in self._fired
                   and inject.at <= target]
            if not due:
                self.simulation.run(target)
                return
            first = min(due, key=lambda inject: inject.at or 0.0)
            assert first.at is not None
            self.simulation.run(max(first.at, self.minute))
            if self.simulation.pending_decisions():
                return
            self._apply(first, "schedule", record)

    def overdue(self, limit_s: float | None = None) -> list[DecisionRecord]:
        """Let the scenario's policy answer questions left too long (real time)."""
        limit = self.exercise.decision_time_limit_s if limit_s is None else limit_s
        taken = []
        for decision in self.pending():
            if self.clock() - self._asked_at[decision.key] >= limit:
                taken.append(self.decide(decision.key, decision.default, "policy (time limit)"))
        return taken

    # -- what the players and the facilitator do ---------------------------------------------
    def decide(self, key: str, answer: str, who: str) -> DecisionRecord:
        """Answer a question (``ValueError`` for an answer not among its options)."""
        decision = next((d for d in self.simulation.pending_decisions() if d.key == key), None)
        if decision is None:
            raise KeyError(f"no pending decision {key!r}")
        row = len(self.simulation.recorder.rows)
        taken = self.simulation.decide(key, answer)
        record = DecisionRecord(key, decision.kind, decision.question, taken, who, self.minute,
                                _now_iso(), row)
        self.decisions.append(record)
        return record

    def fire(self, name: str, who: str) -> InjectRecord:
        """Fire an inject of the exercise now (``KeyError`` if there is none by that name)."""
        inject = next((item for item in self.exercise.injects if item.name == name), None)
        if inject is None:
            raise KeyError(f"no inject {name!r}")
        return self._apply(inject, who, True)

    def _apply(self, inject: Inject, who: str, record: bool) -> InjectRecord:
        self._fired.add(inject.name)
        simulation = self.simulation
        if inject.kind == "outage":
            assert inject.service is not None
            simulation.start_outage(inject.service)
        elif inject.kind == "incident":
            simulation.inject_incident(inject.stream, inject.priority)
        elif inject.kind == "staff":
            assert inject.team is not None
            if inject.change > 0:
                simulation.add_agents(inject.team, inject.change)
            else:
                simulation.remove_agents(inject.team, -inject.change)
        self.messages.append((self.minute, inject))
        entry = InjectRecord(inject.name, who, self.minute, _now_iso())
        if record and who != "schedule":
            self.injects.append(entry)
        return entry

    def send_update(self, case: str, who: str) -> bool:
        """A stakeholder update about a major incident now."""
        return self.simulation.send_update(case)

    # -- replay ------------------------------------------------------------------------------
    def replay(self, until: float | None = None) -> Round:
        """A new round rebuilt from the seed and this round's record, up to minute ``until``
        (default: now): the decisions and ad-hoc injects taken before then are played again."""
        until = self.minute if until is None else until
        again = Round(self.scenario, self.team, self.seed, clock=self.clock)
        decisions = [record for record in self.decisions if record.minute <= until]
        injects = [record for record in self.injects if record.minute <= until]
        again._play(decisions, injects, until)
        return again

    def _play(self, decisions: list[DecisionRecord], injects: list[InjectRecord],
              until: float) -> None:
        answers = {record.key: record for record in decisions}
        ahead = sorted(injects, key=lambda record: record.minute)
        while True:
            for decision in self.simulation.pending_decisions():
                if decision.key not in answers:
                    return  # a question the record does not answer: the players' turn
                record = answers.pop(decision.key)
                self.simulation.decide(decision.key, record.answer)
                self.decisions.append(record)
            while ahead and ahead[0].minute <= self.minute:
                fired = ahead.pop(0)
                self._apply(next(i for i in self.exercise.injects if i.name == fired.name),
                            fired.who, False)
                self.injects.append(fired)
            target = min([until, *(later.minute for later in ahead)])
            if self.minute >= until and not ahead:
                return
            before = self.minute
            self._advance(target)
            if self.minute == before and not self.simulation.pending_decisions() and not ahead:
                return

    # -- what everyone sees ------------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """The event log so far."""
        return self.simulation.results().events

    def timeline(self) -> list[dict[str, object]]:
        """Outage and change events, decisions and injects, in order of simulated time."""
        events = self.events()
        case = events["case_id"].astype(str)
        chosen = events[events["activity"].isin(TIMELINE_ACTIVITIES)
                        & (case.str.fullmatch(r"(OUT|CHG)\d+"))]
        start = pd.Timestamp(self.scenario.run.start)
        rows: list[tuple[float, float, dict[str, object]]] = [
            ((row.timestamp - start).total_seconds() / 60.0, float(row.seq),
             {"kind": "event", "case": str(row.case_id), "what": str(row.activity),
              "who": "" if pd.isna(row.agent) else str(row.agent)})
            for row in chosen.itertuples(index=False)]
        # A decision comes right after the event-log row that preceded it; an inject first.
        rows += [(record.minute, record.row - 0.5, {
            "kind": "decision", "case": record.key.split(":")[1],
            "what": f"{record.kind}: {record.answer}", "who": record.who})
                 for record in self.decisions]
        rows += [(minute, -1.0, {"kind": "inject", "case": "", "what": f"{inject.name}: {inject.text}",
                                 "who": ""}) for minute, inject in self.messages]
        return [{"minute": minute, **row} for minute, _, row in sorted(rows, key=lambda r: r[:2])]

    def scoreboard(self) -> dict[str, float | int | None]:
        """Live measures: detection, declaration, assembly, restoration, breaches, updates,
        and the downtime cost so far (an open outage counts until now)."""
        events = self.events()
        start = self.scenario.run.start
        table = outage_table(encode(events, start))
        now = self.minute

        def mean(values: np.ndarray) -> float | None:
            values = values[~np.isnan(values)]
            return round(float(values.mean()), 1) if len(values) else None

        services = list(self.scenario.services)
        prices = Prices.of(self.scenario)
        cost = 0.0
        for row in table.itertuples(index=False):
            end = row.restored if not np.isnan(row.restored) else now
            terms = prices.downtime[services[row.service]]
            cost += terms.cost(*downtime_minutes([(row.start, end)], terms, start, (row.start, end)))
        activity = events["activity"].astype(str)
        cadence = self.scenario.major_incident.updates_every
        declared_minutes = float(np.nansum(np.where(
            np.isnan(table["declared"]), 0.0,
            np.where(np.isnan(table["restored"]), now, table["restored"]) - table["declared"])))
        return {
            "outages": len(table),
            "time_to_detect_min": mean((table["detected"] - table["start"]).to_numpy()),
            "time_to_declare_min": mean((table["declared"] - table["detected"]).to_numpy()),
            "time_to_assemble_min": mean((table["assembled"] - table["declared"]).to_numpy()),
            "restore_time_min": mean((table["restored"] - table["start"]).to_numpy()),
            "sla_breaches": int(activity.isin([Activity.RESPONSE_SLA_BREACHED,
                                               Activity.RESOLUTION_SLA_BREACHED]).sum()),
            "updates_sent": int((activity == Activity.UPDATE).sum()),
            "updates_due": int(declared_minutes // cadence),
            "downtime_cost": round(cost, 2),
        }
