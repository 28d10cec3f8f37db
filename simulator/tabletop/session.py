"""Tabletop layer: one team's round of an exercise — the clock, injects, decisions, updates, the end.

A :class:`Round` drives an interactive :class:`~simulator.model.Simulation`: it moves
the clock forward (stopping at each question the model asks, firing each timed inject
at its minute, and ending the round when the service is restored), takes the players'
answers and stakeholder updates and the facilitator's injects, notes and end, and
keeps each of them in its record (:mod:`~simulator.tabletop.records`) with who and
when. A question's time limit counts only the seconds the clock was running
(:meth:`Round.wait`): a paused round's questions wait. A round is fully determined by
its scenario, seed and record: :meth:`Round.replay` rebuilds it from scratch to any
earlier minute, which is how the facilitator rewinds and how a restarted server
resumes a round from its database, row for row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from simulator.metrics.pricing import Prices
from simulator.model import Simulation
from simulator.model.decisions import Decision
from simulator.scenario.exercise import FACILITATOR, POLICY_ROLE, Inject
from simulator.scenario.schema import Scenario
from simulator.tabletop.branching import Facts, due
from simulator.tabletop.checks import check_exercise
from simulator.tabletop.digest import LogDigest, ms
from simulator.tabletop.draw import draw_pieces
from simulator.tabletop.records import (
    Action,
    ChecklistRecord,
    DecisionRecord,
    EndRecord,
    HandoverRecord,
    InjectRecord,
    NoteRecord,
    UpdateRecord,
    now_iso,
)
from simulator.tabletop.timeline import timeline_entry

__all__ = ["POLICY", "DecisionRecord", "InjectRecord", "Round", "RoundEnd", "check_exercise"]

#: How an observation weighs (the after-action report sorts them so).
ASSESSMENTS = ("strength", "improvement", "note")
#: An evaluator's verdict on an item of a checklist.
VERDICTS = ("met", "missed", "pending")
#: Who answers a question left unanswered for the exercise's time limit.
POLICY = "policy (time limit)"
#: What the players read when the run's horizon ends a round.
HORIZON_MESSAGE = "The exercise's simulated period is over: the round has ended."
FACILITATOR_MESSAGE = "The facilitator has ended the round."


@dataclass(frozen=True)
class RoundEnd:
    """How and when a round ended, and what the players read."""

    minute: float
    reason: Literal["restored", "facilitator", "horizon"]
    message: str


class ReplayError(ValueError):
    """A recorded action that the replay cannot place (the model does not ask that question then)."""


@dataclass
class Round:
    """One team's play of a scenario."""

    scenario: Scenario
    team: str
    seed: int
    record: list[Action] = field(default_factory=list)

    def __post_init__(self) -> None:
        exercise = self.scenario.exercise
        assert exercise is not None
        self.exercise = exercise
        self.simulation = Simulation(self.scenario, 0, self.seed, interactive=True)
        self.digest = LogDigest(self.simulation)
        self.messages: list[tuple[float, int, Inject]] = []  # (minute, row, inject) the players read
        self.waited: dict[str, float] = {}  # open question → seconds of running clock it waited
        self.end: RoundEnd | None = None
        self.drawn = draw_pieces(self.exercise, self.seed)
        self._drawn_names = frozenset(item.piece.name for item in self.drawn)
        self._fired: set[str] = set()
        self.armed: dict[str, float] = {}  # branching inject → the minute it fires
        self._branching = [inject for inject in self.exercise.injects if inject.when is not None]
        self._queue_teams = {team for inject in self._branching if inject.when is not None
                             for team in inject.when.queue_at_least}
        self._advance(self.exercise.start_at)

    @property
    def briefing(self) -> str:
        """What the players are told: the exercise's briefing and the drawn pieces' additions."""
        return "\n\n".join(text for text in (self.exercise.briefing,
                                              *(item.piece.briefing for item in self.drawn)) if text)

    @property
    def facilitator_notes(self) -> str:
        return "\n\n".join(text for text in (self.exercise.facilitator_notes, *(
            item.piece.facilitator_notes for item in self.drawn)) if text)

    # -- the record, by kind -------------------------------------------------------------------
    @property
    def decisions(self) -> list[DecisionRecord]:
        return [action for action in self.record if isinstance(action, DecisionRecord)]

    @property
    def injects(self) -> list[InjectRecord]:
        """Injects fired by hand (the timed ones fire themselves on every replay)."""
        return [action for action in self.record if isinstance(action, InjectRecord)]

    @property
    def updates(self) -> list[UpdateRecord]:
        return [action for action in self.record if isinstance(action, UpdateRecord)]

    @property
    def notes(self) -> list[NoteRecord]:
        return [action for action in self.record if isinstance(action, NoteRecord)]

    # -- the clock -----------------------------------------------------------------------------
    @property
    def minute(self) -> float:
        """Simulated minutes since the start of the run."""
        return self.simulation.now

    @property
    def finished(self) -> bool:
        return self.end is not None

    @property
    def _rows(self) -> int:
        return len(self.simulation.recorder.rows)

    def pending(self) -> list[Decision]:
        """Questions waiting for the players (the clock waits too); none once the round is over."""
        return [] if self.end is not None else self.simulation.pending_decisions()

    def seconds_left(self, decision: Decision) -> float:
        """Real seconds of running clock before the policy answers ``decision``."""
        return max(0.0, self.exercise.decision_time_limit_s - self.waited.get(decision.key, 0.0))

    def advance(self, minutes: float) -> None:
        """Move the clock by up to ``minutes`` (it stops at the first question, and at the end)."""
        if not self.pending() and self.end is None:
            self._advance(self.minute + minutes)

    def wait(self, seconds: float) -> list[DecisionRecord]:
        """``seconds`` of running clock pass for the open questions; the policy answers those
        that have waited the exercise's time limit (returned)."""
        taken = []
        for decision in self.pending():
            self.waited[decision.key] = self.waited.get(decision.key, 0.0) + seconds
            if self.waited[decision.key] >= self.exercise.decision_time_limit_s:
                taken.append(self.decide(decision.key, decision.default, POLICY, POLICY_ROLE))
        return taken

    def _advance(self, target: float) -> None:
        target = min(target, self.scenario.run.horizon)
        while self.end is None and not self.simulation.pending_decisions():
            self._branch()
            first, at = self._next_inject(target)
            wake = self._next_wake()
            self._run(max(self.minute, min(moment for moment in (target, at, wake)
                                           if moment is not None)))
            if self.end is not None or self.simulation.pending_decisions():
                return
            if first is not None and at is not None and self.minute >= at:
                self._apply(first, "schedule")
            elif self.minute >= target:
                self._branch()
                if self.minute >= self.scenario.run.horizon and self.end is None:
                    self.end = RoundEnd(self.minute, "horizon", HORIZON_MESSAGE)
                return

    def _run(self, stop: float) -> None:
        """Run the model to minute ``stop``; stop early at a question, at the restoration, and
        before the moment a branching inject's condition will hold."""
        if self.exercise.end_when != "restored" and not self._waiting():
            self.simulation.run(stop)
            return
        environment = self.simulation.env
        while not self._ended_by_restoration() and not self.simulation.pending_decisions() \
                and environment.peek() < stop:
            self._step()
            wake = self._next_wake()
            if self.end is not None or (wake is not None and wake <= min(environment.peek(), stop)):
                return
        if self.end is None and not self.simulation.pending_decisions():
            self.simulation.run(stop)  # no event is left before ``stop``: the clock lands on it

    def _step(self) -> None:
        """One event of the model, and its consequences for the round."""
        self.simulation.env.step()
        self._ended_by_restoration()

    # -- branching injects ---------------------------------------------------------------------
    def _waiting(self) -> list[Inject]:
        """Branching injects whose condition has not held yet."""
        return [inject for inject in self._branching
                if inject.name not in self._fired and inject.name not in self.armed]

    def _facts(self) -> Facts:
        self.digest.catch_up()
        waiting = {team.name: team.n_waiting for team in self.simulation.teams
                   if team.name in self._queue_teams}
        return Facts(self.minute, self.decisions, self._drawn_names,
                     list(self.digest.outages.values()), waiting)

    def _next_wake(self) -> float | None:
        """The first moment a waiting branching inject's condition will hold, if nothing changes."""
        waiting = self._waiting()
        if not waiting:
            return None
        facts = self._facts()
        moments = [moment for inject in waiting if inject.when is not None
                   and (moment := due(inject.when, facts, inject.at)) is not None]
        return min(moments) if moments else None

    def _next_inject(self, target: float) -> tuple[Inject | None, float | None]:
        """The next timed or armed inject due by minute ``target``, and its minute."""
        scheduled = [(inject.at, index, inject) for index, inject in enumerate(self.exercise.injects)
                     if inject.when is None and inject.at is not None
                     and inject.name not in self._fired and inject.at <= target]
        scheduled += [(self.armed[inject.name], index, inject)
                      for index, inject in enumerate(self.exercise.injects)
                      if inject.name in self.armed and self.armed[inject.name] <= target]
        if not scheduled:
            return None, None
        at, _, inject = min(scheduled, key=lambda item: item[:2])
        return inject, at

    def _branch(self) -> None:
        """Arm the branching injects whose condition holds now, and fire those due now (in the
        file's order)."""
        while self.end is None:
            facts = self._facts() if self._waiting() else None
            for inject in self._waiting():
                assert inject.when is not None and facts is not None
                moment = due(inject.when, facts, inject.at)
                if moment is not None and moment <= self.minute:
                    self.armed[inject.name] = self.minute + inject.delay
            now = [inject for inject in self._branching
                   if inject.name in self.armed and self.armed[inject.name] <= self.minute]
            if not now:
                return
            self._apply(now[0], "condition")  # it may change what holds: look again

    def _ended_by_restoration(self) -> bool:
        if self.end is not None:
            return True
        if self.exercise.end_when != "restored":
            return False
        self.digest.catch_up()
        if not self.digest.all_restored() or self._outage_ahead():
            return False
        self.end = RoundEnd(self.minute, "restored", self.exercise.end_message)
        return True

    def _outage_ahead(self) -> bool:
        """An outage the scenario, a timed inject or an armed branching one will still start."""
        now = self.minute
        return any(outage.at >= now for outage in self.scenario.outages) or any(
            inject.kind == "outage" and inject.name not in self._fired
            and ((inject.when is None and inject.at is not None) or inject.name in self.armed)
            for inject in self.exercise.injects)

    # -- what the players and the facilitator do -----------------------------------------------
    def decide(self, key: str, answer: str, who: str, role: str = FACILITATOR) -> DecisionRecord:
        """Answer a question (``KeyError``: no such open question; ``ValueError``: an answer
        not among its options)."""
        decision = next((d for d in self.pending() if d.key == key), None)
        if decision is None:
            raise KeyError(f"no pending decision {key!r}")
        row = self._rows
        taken = self.simulation.decide(key, answer)
        record = DecisionRecord(key, decision.kind, decision.question, taken, who, self.minute,
                                now_iso(), row, role)
        self.record.append(record)
        self.waited.pop(key, None)
        self._ended_by_restoration()
        self._branch()
        return record

    def fire(self, name: str, who: str, role: str = FACILITATOR) -> InjectRecord:
        """Fire an inject of the exercise now (``KeyError`` if there is none by that name)."""
        inject = next((item for item in self.exercise.injects if item.name == name), None)
        if inject is None:
            raise KeyError(f"no inject {name!r}")
        record = InjectRecord(inject.name, who, self.minute, now_iso(), self._rows, role)
        self._apply(inject, who)
        self.record.append(record)
        self._branch()
        return record

    def _apply(self, inject: Inject, who: str) -> None:
        self._fired.add(inject.name)
        self.armed.pop(inject.name, None)
        self.messages.append((self.minute, self._rows, inject))
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

    def send_update(self, case: str, audience: str, text: str, who: str,
                    role: str = FACILITATOR) -> UpdateRecord | None:
        """A stakeholder update about major incident ``case`` now (None: there is no open major
        incident ``case`` with someone on its bridge to send it; ``ValueError``: an audience
        the exercise does not name)."""
        if audience not in self.exercise.audiences:
            raise ValueError(f"expected an audience among {', '.join(self.exercise.audiences)}; "
                             f"found {audience!r}")
        row = self._rows
        if self.end is not None or not self.simulation.send_update(case):
            return None
        record = UpdateRecord(case, audience, text, who, self.minute, now_iso(), row, role)
        self.record.append(record)
        self._branch()
        return record

    def add_note(self, text: str, who: str, role: str = FACILITATOR, objective: str = "",
                 assessment: str = "note", moment: float | None = None) -> NoteRecord:
        """An observation (it changes nothing in the model): about ``moment`` (default now, else
        a minute of the round so far), on ``objective`` (default none), a ``strength``, an
        ``improvement`` or a plain ``note`` (``ValueError`` for anything else)."""
        if objective and objective not in {o.name for o in self.exercise.objectives}:
            raise ValueError(f"expected an objective of the exercise; found {objective!r}")
        if assessment not in ASSESSMENTS:
            raise ValueError(f"expected one of {', '.join(ASSESSMENTS)}; found {assessment!r}")
        if moment is not None and not self.exercise.start_at <= moment <= self.minute:
            raise ValueError(f"expected a moment of the round so far (minute "
                             f"{self.exercise.start_at:g} to {self.minute:g}); found {moment:g}")
        record = NoteRecord(text, who, self.minute, now_iso(), self._rows, role, objective,
                            assessment, moment)
        self.record.append(record)
        return record

    def mark(self, objective: str, item: int, verdict: str, who: str, role: str) -> ChecklistRecord:
        """An evaluator marks an item of an objective's checklist (``ValueError``: no such item)."""
        found = next((o for o in self.exercise.objectives if o.name == objective), None)
        if found is None or not 0 <= item < len(found.checklist):
            raise ValueError(f"expected an item of the checklist of an objective; found item "
                             f"{item} of {objective!r}")
        if verdict not in VERDICTS:
            raise ValueError(f"expected one of {', '.join(VERDICTS)}; found {verdict!r}")
        record = ChecklistRecord(objective, item, verdict, who, self.minute, now_iso(), self._rows,
                                 role)
        self.record.append(record)
        return record

    def end_round(self, message: str, who: str) -> EndRecord:
        """End the round now, with ``message`` for the players (``ValueError`` if it is over)."""
        if self.end is not None:
            raise ValueError(f"the round is already over ({self.end.reason})")
        record = EndRecord(message or FACILITATOR_MESSAGE, who, self.minute, now_iso(), self._rows,
                           FACILITATOR)
        self.record.append(record)
        self.end = RoundEnd(self.minute, "facilitator", record.message)
        return record

    def hand_over(self, who: str, took_from: str) -> HandoverRecord:
        """A facilitator takes the clock (it changes nothing in the model)."""
        record = HandoverRecord(took_from, who, self.minute, now_iso(), self._rows, FACILITATOR)
        self.record.append(record)
        return record

    # -- replay --------------------------------------------------------------------------------
    def replay(self, until: float | None = None) -> Round:
        """A new round rebuilt from the seed and this round's record, up to minute ``until``
        (default: now): the actions taken by then are taken again, at the same place."""
        again = Round(self.scenario, self.team, self.seed)
        if until is None or until >= self.minute:  # now: at the same event, the same questions open
            waiting = {decision.key: self.waited.get(decision.key, 0.0) for decision in self.pending()}
            again.resume(list(self.record), self.minute, self._rows, waiting)
        else:
            again.resume([action for action in self.record if action.minute <= until], until)
        return again

    def resume(self, record: list[Action], minute: float, rows: int = 0,
               waiting: dict[str, float] | None = None) -> None:
        """Take the ``record``'s actions again, each where it was taken, then move the clock to
        ``minute`` (and ``rows`` event-log rows, with the questions of ``waiting`` open and
        their seconds waited, when a saved round is resumed)."""
        for action in record:
            wanted = (action.key,) if isinstance(action, DecisionRecord) else ()
            self._reach(action.minute, action.row, wanted)
            self._take(action)
        self._reach(minute, rows, tuple(waiting or ()))
        self.waited = {key: seconds for key, seconds in (waiting or {}).items()
                       if any(decision.key == key for decision in self.pending())}

    def _reach(self, minute: float, rows: int, questions: tuple[str, ...]) -> None:
        """Bring the model to where it was: ``minute``, at least ``rows`` rows, and the
        ``questions`` asked (events at that very minute are stepped one by one to get there)."""
        self._advance(minute)
        environment = self.simulation.env
        while (self.end is None and not self.simulation.pending_decisions()
               and (self._rows < rows or questions) and environment.peek() == minute):
            self._step()
            self._branch()
        asked = {decision.key for decision in self.simulation.pending_decisions()}
        if (self.minute != minute and self.end is None) or not set(questions) <= asked:
            raise ReplayError(f"the record of round {self.team!r} does not replay: expected "
                              f"minute {minute:g} with {list(questions)} asked; found minute "
                              f"{self.minute:g} with {sorted(asked)} asked")

    def _take(self, action: Action) -> None:
        if isinstance(action, DecisionRecord):
            self.simulation.decide(action.key, action.answer)
            self.waited.pop(action.key, None)
            self._ended_by_restoration()
        elif isinstance(action, InjectRecord):
            self._apply(next(i for i in self.exercise.injects if i.name == action.name), action.who)
        elif isinstance(action, UpdateRecord) and not self.simulation.send_update(action.case):
            raise ReplayError(f"the record of round {self.team!r} does not replay: no open major "
                              f"incident {action.case} at minute {action.minute:g}")
        elif isinstance(action, EndRecord):
            self.end = RoundEnd(action.minute, "facilitator", action.message)
        self.record.append(action)
        self._branch()  # as each action did in play

    # -- what everyone sees --------------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """The event log so far (a full table: for exports and tests, not for each poll)."""
        return self.simulation.results().events

    def timeline(self, notes: bool = True) -> list[dict[str, Any]]:
        """Outage and change events, injects, decisions, updates, the end and (unless ``notes``
        is False) the observations — each at the moment it is about —, the checklists' marks
        and the clock changing hands, in the order they happened."""
        self.digest.catch_up()
        rows: list[tuple[float, float, int, dict[str, Any]]] = [
            (event.minute, float(event.row), 0, {"kind": "event", "case": event.case,
                                                 "what": event.what, "who": event.who, "role": ""})
            for event in self.digest.events]
        rows += [(ms(minute), row - 0.5, 0, {"kind": "inject", "case": "",
                                             "what": f"{inject.name}: {inject.text}", "who": "",
                                             "role": ""})
                 for minute, row, inject in self.messages]
        for index, action in enumerate(self.record):
            entry = timeline_entry(action)
            private = isinstance(action, NoteRecord | ChecklistRecord | HandoverRecord)
            if entry is not None and (notes or not private):
                minute = action.about if isinstance(action, NoteRecord) else action.minute
                rows.append((ms(minute), action.row - 0.5, index + 1, entry))
        return [{"minute": minute, **entry}
                for minute, _, _, entry in sorted(rows, key=lambda item: item[:3])]

    def scoreboard(self) -> dict[str, Any]:
        """Live measures (see :meth:`LogDigest.scoreboard`)."""
        self.digest.catch_up()
        return self.digest.scoreboard(self.minute, self.scenario.major_incident.updates_every,
                                      Prices.of(self.scenario).downtime, self.scenario.run.start)
