"""Scenario layer: a tabletop exercise — briefing, timed injects, the published timeline.

A scenario with an ``exercise`` section can be played with ``mimsim tabletop``: the
clock starts at ``start_at``, ``injects`` reach the players at their time (a
message, a second outage, an extra incident, people joining or leaving a team),
the facilitator can fire any of them earlier from the console, and a decision
left unanswered for ``decision_time_limit_s`` real seconds is taken by the
scenario's policy. For a replay of a real outage, ``published_timeline`` lists
the published moments, so that the debrief sets the team's timeline against
them.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import model_validator

from simulator.scenario.types import Duration, PositiveCount, PositiveNumber, Spec

__all__ = ["Exercise", "Inject", "PublishedMoment"]


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
    pace: PositiveNumber = 1.0  # simulated minutes per real second while the clock runs
    decision_time_limit_s: PositiveCount = 300  # then the scenario's policy decides
    injects: tuple[Inject, ...] = ()
    published_timeline: tuple[PublishedMoment, ...] = ()

    @model_validator(mode="after")
    def _distinct_names(self) -> Self:
        names = [inject.name for inject in self.injects]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"expected inject names that differ; found {', '.join(doubled)} "
                             f"more than once")
        return self
