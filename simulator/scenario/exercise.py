"""Scenario layer: a tabletop exercise — briefing, timed injects, pacing, the end, the published timeline.

A scenario with an ``exercise`` section can be played with ``mimsim tabletop``: the
clock starts at ``start_at`` and runs at ``pace``, ``injects`` reach the players at
their time (a message, a second outage, an extra incident, people joining or leaving
a team), the facilitator can fire any of them earlier from the console, and a
decision left unanswered for ``decision_time_limit_s`` real seconds *of running
clock* is taken by the scenario's policy. The round ends when the service is
restored (``end_when: restored``) or when the facilitator ends it, and the players
read ``end_message``. Players send free-text stakeholder updates to one of the
``audiences``, at most ``max_updates_per_minute`` a real minute per team. For a
replay of a real outage, ``published_timeline`` lists the published moments, so that
the debrief sets the team's timeline against them.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, WithJsonSchema, model_validator

from simulator.scenario.types import (
    Duration,
    Names,
    PositiveCount,
    PositiveDuration,
    PositiveNumber,
    Spec,
    problem,
)

__all__ = ["DECISION_KINDS", "DEFAULT_ROLES", "FACILITATOR", "POLICY_ROLE", "REAL_TIME",
           "Condition", "DecisionKind", "Draw", "Exercise", "Inject", "Objective", "Piece",
           "PlayerRole", "PublishedMoment", "parse_pace"]

#: One simulated minute per real minute, in the unit of ``pace`` (simulated minutes per real second).
REAL_TIME = 1.0 / 60.0
#: Paces a round may run at, in simulated minutes per real second (1/120: half real time; 600:
#: ten simulated hours a real minute).
MIN_PACE, MAX_PACE = REAL_TIME / 10.0, 600.0
_TIMES_REAL_TIME = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*[x×]\s*(?:real[ -]?time)?\s*$")


def parse_pace(value: object) -> float:
    """A pace in simulated minutes per real second, from a number (that unit) or a text:
    ``"real time"`` (one simulated minute per real minute) or ``"<n>x"`` (n times real time:
    ``"0.5x"`` is half real time, ``"60x"`` one simulated minute per second)."""
    if isinstance(value, str):
        text = value.strip().lower()
        match = _TIMES_REAL_TIME.match(text)
        if text in ("real time", "realtime", "real-time"):
            pace = REAL_TIME
        elif match:
            pace = float(match.group(1)) * REAL_TIME
        else:
            raise problem("pace", f"expected simulated minutes per real second (a number), "
                                  f"'real time' or a multiple of it such as '0.5x' or '60x'; "
                                  f"found {value!r}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        pace = float(value)
    else:
        raise problem("pace", f"expected a number, 'real time' or '<n>x'; found {value!r}")
    if not math.isfinite(pace) or not MIN_PACE <= pace <= MAX_PACE:
        raise problem("pace", f"expected a pace from 0.1x real time to {MAX_PACE:g} simulated "
                              f"minutes per second; found {value!r}")
    return pace


#: Simulated minutes per real second (written as a number, "real time" or "<n>x").
Pace = Annotated[float, BeforeValidator(parse_pace), WithJsonSchema(
    {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
               {"type": "string", "pattern": r"^(real time|\d+(\.\d*)?x)$"}]})]


#: The questions the model asks (see :mod:`simulator.model.decisions`).
DecisionKind = Literal["declare", "page", "restore", "approvers"]
DECISION_KINDS: tuple[str, ...] = ("declare", "page", "restore", "approvers")
#: The answers a condition may name for the questions whose options are always the same.
_FIXED_OPTIONS = {"declare": ("declare", "not yet"),
                  "restore": ("workaround", "rollback", "emergency change")}


class Condition(Spec):
    """When a branching inject fires: every part given must hold at once."""

    # Questions answered so: {restore: rollback} holds once a 'restore' question was answered
    # 'rollback' (for a question of several choices: once that option was among those picked).
    decided: dict[DecisionKind, str] = {}
    not_decided: dict[DecisionKind, str] = {}  # ... and no question was answered so (yet)
    drawn: tuple[str, ...] = ()  # pieces the round's random draw picked (see `draw`)
    # A declared major incident, still open, has had no stakeholder update for this long (since
    # its declaration or its last update).
    no_update_for: PositiveDuration | None = None
    # An outage detected this long ago is still not declared a major incident (nor restored).
    undeclared_for: PositiveDuration | None = None
    queue_at_least: dict[str, PositiveCount] = {}  # team → at least this many tickets waiting

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("expected at least one condition (decided, not_decided, drawn, "
                             "no_update_for, undeclared_for, queue_at_least); found none")
        for kind, answer in (*self.decided.items(), *self.not_decided.items()):
            options = _FIXED_OPTIONS.get(kind)
            if options is not None and answer not in options:
                raise ValueError(f"expected an answer to {kind!r} among {', '.join(options)}; "
                                 f"found {answer!r}")
        return self

    def describe(self) -> str:
        """The condition in words (for the console)."""
        parts = [f"{kind} answered {answer!r}" for kind, answer in self.decided.items()]
        parts += [f"{kind} not answered {answer!r}" for kind, answer in self.not_decided.items()]
        parts += [f"drawn: {name}" for name in self.drawn]
        if self.no_update_for is not None:
            parts.append(f"no update for {self.no_update_for:g} min")
        if self.undeclared_for is not None:
            parts.append(f"not declared {self.undeclared_for:g} min after detection")
        parts += [f"{count}+ waiting for {team}" for team, count in self.queue_at_least.items()]
        return " and ".join(parts)


class Inject(Spec):
    """Something that happens to the players during the exercise."""

    name: str  # short, unique: what the console lists
    # After the start of the run (with `when`: not before then); neither `at` nor `when`: only
    # when the facilitator fires it.
    at: Duration | None = None
    when: Condition | None = None  # a branching inject: it fires once, when this holds
    delay: Duration = 0.0  # with `when`: fire this long after the condition first holds
    kind: Literal["message", "outage", "incident", "staff"] = "message"  # what the inject does
    text: str = ""  # what the players read
    service: str | None = None  # outage: the service that fails
    stream: str | None = None  # incident: planned like this arrival stream's incidents
    priority: str | None = None  # incident: its priority
    team: str | None = None  # staff: the team ...
    change: int = 0  # ... and how many people join (+) or leave (-)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        needed = {"outage": "service", "staff": "team"}.get(self.kind)
        if needed is not None and getattr(self, needed) is None:
            raise ValueError(f"expected '{needed}' for an inject of kind {self.kind!r}; found none")
        if self.kind == "staff" and self.change == 0:
            raise ValueError("expected a non-zero 'change' (people joining or leaving); found 0")
        if self.delay and self.when is None:
            raise ValueError("expected 'delay' only with 'when' (it counts from the moment the "
                             "condition holds)")
        return self


class Piece(Spec):
    """One of the alternatives a random draw picks from (a service, a cause, a complication)."""

    name: str  # unique among every draw's pieces: what the facilitator sees, what `drawn` names
    weight: PositiveNumber = 1.0  # its chance, relative to the other pieces of its draw
    # Changes to the scenario when it is drawn, as `--set` takes them:
    # {"services.db.restoration.fix": "6h"} (the exercise section itself cannot be changed).
    set: dict[str, str | int | float | bool] = {}
    briefing: str = ""  # added to the players' briefing when it is drawn
    facilitator_notes: str = ""  # added to the facilitator's notes when it is drawn

    @model_validator(mode="after")
    def _not_the_exercise(self) -> Self:
        inside = sorted(path for path in self.set if path.split(".")[0] == "exercise")
        if inside:
            raise ValueError(f"expected changes outside the exercise section; found "
                             f"{', '.join(inside)}")
        return self


class Draw(Spec):
    """A random draw of the exercise's pieces: each round picks ``pick`` of them from its seed."""

    name: str  # what is drawn ("service", "cause", "complication")
    pick: PositiveCount = 1  # how many different pieces
    pieces: tuple[Piece, ...]  # the alternatives

    @model_validator(mode="after")
    def _enough(self) -> Self:
        if self.pick > len(self.pieces):
            raise ValueError(f"expected at least {self.pick} pieces to pick {self.pick}; found "
                             f"{len(self.pieces)}")
        return self


#: The role names the record uses for the facilitator and for the scenario's policy.
FACILITATOR, POLICY_ROLE = "facilitator", "policy"
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class PlayerRole(Spec):
    """A part people play in the exercise: the questions it answers and what else it may do."""

    title: str  # what players and the report call it ("Communications lead")
    decides: tuple[DecisionKind, ...] = ()  # the questions offered to this role (and only to it)
    sends_updates: bool = False  # it writes the stakeholder updates
    evaluates: bool = False  # an observer/evaluator: observations and the objectives' checklists
    team: str | None = None  # the resolver group this role speaks for (technical resolvers)
    brief: str = ""  # what the people in this role read besides the briefing


#: The roles of an exercise that names none: the Major Incident Team of ITIL (a major incident
#: manager, a communications lead, a technical lead), the service desk lead and an evaluator.
DEFAULT_ROLES: dict[str, PlayerRole] = {
    "incident_manager": PlayerRole(title="Major incident manager", decides=("declare", "page", "approvers"),
                             brief="You decide whether and when to declare a major incident, whom "
                                   "to page, and which ECAB members to call."),
    "communications": PlayerRole(title="Communications lead", sends_updates=True,
                           brief="You keep the stakeholders informed: write the updates, on time."),
    "technical_lead": PlayerRole(title="Technical lead", decides=("restore",),
                           brief="You choose how the service is restored."),
    "service_desk": PlayerRole(title="Service desk lead",
                         brief="You watch the desk's queue and tell the team what users report."),
    "evaluator": PlayerRole(title="Observer / evaluator", evaluates=True,
                      brief="You observe: tick the objectives' checklists and note what you see."),
}


class Objective(Spec):
    """What the exercise sets out to test: measured from the round, and/or an evaluator's checklist."""

    name: str  # short, unique: how the report and the evaluators refer to it
    text: str  # the objective as the team reads it ("Declare within 15 minutes of the first alert")
    capability: str = ""  # the HSEEP core capability it exercises ("Operational communications")
    declared_within: PositiveDuration | None = None  # each outage declared this long after detection
    # No stretch longer than this without a stakeholder update, from each declaration to the
    # restoration (the first update is due this long after the declaration).
    updates_every: PositiveDuration | None = None
    restored_within: PositiveDuration | None = None  # each outage restored this long after it began
    assembled_within: PositiveDuration | None = None  # each bridge assembled this long after declaring
    decided: dict[DecisionKind, str] = {}  # each outage's question answered so (missed once one is not)
    checklist: tuple[str, ...] = ()  # what an evaluator looks for: each item marked met or missed

    @model_validator(mode="after")
    def _measured_or_observed(self) -> Self:
        measures = (self.declared_within, self.updates_every, self.restored_within,
                    self.assembled_within)
        if all(measure is None for measure in measures) and not self.decided and not self.checklist:
            raise ValueError(f"expected objective {self.name!r} to have a measure (declared_within, "
                             f"updates_every, restored_within, assembled_within, decided) or a "
                             f"checklist; found neither")
        return self


class PublishedMoment(Spec):
    """A moment of the real incident's published timeline."""

    at: Duration  # after the start of the run
    event: str  # as the post-mortem words it
    activity: str | None = None  # the event-log activity it corresponds to (for the comparison)


class Exercise(Spec):
    """How a scenario is played as a tabletop exercise."""

    title: str  # shown to players and facilitator
    briefing: str = ""  # what the players are told at the start
    facilitator_notes: str = ""  # what only the facilitator sees
    start_at: Duration = 0.0  # the clock starts here (just before the action)
    pace: Pace = 1.0  # simulated minutes per real second while the clock runs ("real time": 1/60)
    decision_time_limit_s: PositiveCount = 300  # of running clock; then the scenario's policy decides
    # "restored": the round ends when every outage so far is restored and none is still
    # scheduled; "facilitator": only when the facilitator ends it (or at the run's horizon).
    end_when: Literal["restored", "facilitator"] = "restored"
    # What the players read when the service is restored and the round ends.
    end_message: str = ("Service restored. The round is over: thank you. The facilitator will now "
                        "take you through the debrief.")
    # Whom the players can address a stakeholder update to.
    audiences: tuple[str, ...] = ("executives", "customers", "all staff", "status page")
    max_updates_per_minute: PositiveCount = 3  # per team, a sliding real minute
    injects: tuple[Inject, ...] = ()  # what happens to the players, in time or by hand
    published_timeline: tuple[PublishedMoment, ...] = ()  # for a replay of a real outage
    # The parts people play (name → role); each question is offered to the one role that
    # decides it (a question no role decides goes to the facilitator).
    roles: Annotated[dict[str, PlayerRole], Names("role")] = DEFAULT_ROLES
    # Random draws of the exercise's pieces (Backdoors & Breaches): each round draws from its
    # seed, so the same exercise can be played many times without the team knowing the story.
    draw: tuple[Draw, ...] = ()
    # What the exercise sets out to test: the scoreboard shows each one met or missed as the
    # round goes, the evaluators mark their checklists, the after-action report gives evidence.
    objectives: tuple[Objective, ...] = ()

    def owner(self, kind: str) -> str | None:
        """The role that answers questions of ``kind`` (None: only the facilitator)."""
        return next((name for name, role in self.roles.items() if kind in role.decides), None)

    @model_validator(mode="after")
    def _distinct_names(self) -> Self:
        for what, names in (("inject names", [inject.name for inject in self.injects]),
                            ("audiences", list(self.audiences)),
                            ("objective names", [objective.name for objective in self.objectives])):
            doubled = sorted({name for name in names if names.count(name) > 1})
            if doubled:
                raise ValueError(f"expected {what} that differ; found {', '.join(doubled)} "
                                 f"more than once")
        if not self.audiences:
            raise ValueError("expected at least one audience for stakeholder updates; found none")
        return self

    @model_validator(mode="after")
    def _known_pieces(self) -> Self:
        pieces = [piece.name for draw in self.draw for piece in draw.pieces]
        doubled = sorted({name for name in pieces if pieces.count(name) > 1})
        if doubled:
            raise ValueError(f"expected piece names that differ across the draws; found "
                             f"{', '.join(doubled)} more than once")
        named = {name for inject in self.injects if inject.when is not None
                 for name in inject.when.drawn}
        unknown = sorted(named - set(pieces))
        if unknown:
            raise ValueError(f"expected conditions to name pieces of the draw "
                             f"({', '.join(pieces) or 'none'}); found {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _one_owner_per_question(self) -> Self:
        wrong = [name for name in self.roles if not _ROLE_NAME.match(name)
                 or name in (FACILITATOR, POLICY_ROLE)]
        if wrong:
            raise ValueError(f"expected role names of lower-case letters, digits and '_' (at most "
                             f"32), other than {FACILITATOR!r} and {POLICY_ROLE!r}; found "
                             f"{', '.join(repr(name) for name in wrong)}")
        for kind in DECISION_KINDS:
            owners = [name for name, role in self.roles.items() if kind in role.decides]
            if len(owners) > 1:
                raise ValueError(f"expected one role to decide {kind!r}; found "
                                 f"{', '.join(owners)}")
        return self
