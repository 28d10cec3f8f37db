"""Tabletop layer: the record of a round — every action a person (or the policy) took, in order.

A round is its scenario, its seed and this record: replaying the record from the seed
rebuilds the round row for row (rewind, restart). Each action says what was done, by
whom and in which role, at which simulated minute and real time, and how many event-log
rows there were then (``row``: its exact place among the model's events, for the replay and the
timeline). The kinds: an answered question, an inject fired by hand, a stakeholder
update, a facilitator's or evaluator's observation, an evaluator's mark on an
objective's checklist, the end of the round, and a facilitator taking the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["Action", "ChecklistRecord", "DecisionRecord", "EndRecord", "HandoverRecord",
           "InjectRecord", "NoteRecord", "UpdateRecord", "action_fields", "action_from_row",
           "now_iso"]


def now_iso() -> str:
    """The real time now, ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class DecisionRecord:
    """A question answered: by whom, at which simulated minute and real time."""

    kind_name: ClassVar[str] = "decision"
    key: str
    kind: str
    question: str
    answer: str
    who: str
    minute: float
    real_time: str  # ISO 8601, UTC
    row: int = -1  # how many event-log rows there were when it was taken (its place in the timeline)
    role: str = ""  # the role ``who`` played (a role of the exercise, "facilitator" or "policy")


@dataclass(frozen=True)
class InjectRecord:
    """An inject fired by hand: which, by whom, when."""

    kind_name: ClassVar[str] = "inject"
    name: str
    who: str
    minute: float
    real_time: str
    row: int = -1
    role: str = ""


@dataclass(frozen=True)
class UpdateRecord:
    """A stakeholder update about a major incident: to whom, what it said, who sent it."""

    kind_name: ClassVar[str] = "update"
    case: str
    audience: str
    text: str
    who: str
    minute: float
    real_time: str
    row: int = -1
    role: str = ""


@dataclass(frozen=True)
class NoteRecord:
    """A facilitator's (or evaluator's) observation, tied to a moment of the round."""

    kind_name: ClassVar[str] = "note"
    text: str
    who: str
    minute: float
    real_time: str
    row: int = -1
    role: str = ""
    objective: str = ""  # the objective it bears on ("": none in particular)
    assessment: str = "note"  # "strength", "improvement" or "note" (for the after-action report)
    moment: float | None = None  # the simulated minute it is about (None: when it was written)

    @property
    def about(self) -> float:
        """The simulated minute the observation is about."""
        return self.minute if self.moment is None else self.moment


@dataclass(frozen=True)
class ChecklistRecord:
    """An evaluator marked an item of an objective's checklist: met, missed, or not yet judged."""

    kind_name: ClassVar[str] = "checklist"
    objective: str
    item: int  # its place in the objective's checklist (0, 1, ...)
    verdict: str  # "met", "missed" or "pending"
    who: str
    minute: float
    real_time: str
    row: int = -1
    role: str = ""


@dataclass(frozen=True)
class EndRecord:
    """The facilitator ended the round, with a message to the players."""

    kind_name: ClassVar[str] = "end"
    message: str
    who: str
    minute: float
    real_time: str
    row: int = -1
    role: str = ""


@dataclass(frozen=True)
class HandoverRecord:
    """A facilitator took the round's clock (the first to act on it, or by taking it over)."""

    kind_name: ClassVar[str] = "clock holder"
    took_from: str  # the facilitator who held it before ("" if nobody did)
    who: str
    minute: float
    real_time: str
    row: int = -1
    role: str = ""


Action = (DecisionRecord | InjectRecord | UpdateRecord | NoteRecord | EndRecord | HandoverRecord
          | ChecklistRecord)
_KINDS: dict[str, type[Action]] = {kind.kind_name: kind for kind in (
    DecisionRecord, InjectRecord, UpdateRecord, NoteRecord, EndRecord, HandoverRecord,
    ChecklistRecord)}
_COMMON = ("who", "minute", "real_time", "row")


def action_fields(action: Action) -> tuple[str, dict[str, Any]]:
    """An action as its kind and the fields particular to it (the rest are columns)."""
    particular = {name: value for name, value in dataclasses.asdict(action).items()
                  if name not in _COMMON}
    return action.kind_name, particular


def action_from_row(kind: str, who: str, minute: float, real_time: str, row: int,
                    particular: dict[str, Any]) -> Action:
    """An action as stored (``ValueError`` for a kind this version does not know)."""
    if kind not in _KINDS:
        raise ValueError(f"an action of kind {kind!r}, which this version of mimsim does not know")
    return _KINDS[kind](who=who, minute=minute, real_time=real_time, row=row, **particular)
