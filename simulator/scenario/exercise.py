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

from simulator.scenario.types import Duration, PositiveCount, Spec, problem

__all__ = ["REAL_TIME", "Exercise", "Inject", "PublishedMoment", "parse_pace"]

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


class Inject(Spec):
    """Something that happens to the players during the exercise."""

    name: str  # short, unique: what the console lists
    at: Duration | None = None  # after the start of the run; None: only when the facilitator fires it
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
    injects: tuple[Inject, ...] = ()
    published_timeline: tuple[PublishedMoment, ...] = ()

    @model_validator(mode="after")
    def _distinct_names(self) -> Self:
        for what, names in (("inject names", [inject.name for inject in self.injects]),
                            ("audiences", list(self.audiences))):
            doubled = sorted({name for name in names if names.count(name) > 1})
            if doubled:
                raise ValueError(f"expected {what} that differ; found {', '.join(doubled)} "
                                 f"more than once")
        if not self.audiences:
            raise ValueError("expected at least one audience for stakeholder updates; found none")
        return self
