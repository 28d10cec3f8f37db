"""Tabletop layer: branching injects — when an inject's condition holds, to the minute.

An inject with a ``when`` fires once, ``delay`` after the first moment its condition
holds (and not before its ``at``, if it has one). A condition is a conjunction of parts
about what the team decided (``decided``, ``not_decided``), what the round drew
(``drawn``), and the state of the model (``no_update_for``, ``undeclared_for``,
``queue_at_least``). Between two events of the model and two actions of the players the
state does not change, so :func:`due` can say exactly when a condition will hold if
nothing else happens: now, a computed minute (an update overdue, a declaration late), or
never. The round (:class:`~simulator.tabletop.session.Round`) asks again after every
event and every action, so an inject fires at the exact minute and place its condition
came true — in play and in every replay alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.scenario.exercise import Condition
from simulator.tabletop.digest import OutageMoments
from simulator.tabletop.records import DecisionRecord

__all__ = ["Facts", "due"]


@dataclass(frozen=True)
class Facts:
    """What a condition is judged on, at one moment of a round."""

    minute: float
    decisions: list[DecisionRecord]
    drawn: frozenset[str]
    outages: list[OutageMoments]
    waiting: dict[str, int]  # team → tickets waiting


def _answered(decisions: list[DecisionRecord], kind: str, answer: str) -> bool:
    return any(record.kind == kind and answer in record.answer.split(",") for record in decisions)


def _holds_now(condition: Condition, facts: Facts) -> bool:
    """The parts of the condition that are not about time."""
    return (all(_answered(facts.decisions, kind, answer) for kind, answer in condition.decided.items())
            and not any(_answered(facts.decisions, kind, answer)
                        for kind, answer in condition.not_decided.items())
            and set(condition.drawn) <= facts.drawn
            and all(facts.waiting.get(team, 0) >= count
                    for team, count in condition.queue_at_least.items()))


def _open_major_incidents(outages: list[OutageMoments]) -> list[OutageMoments]:
    return [o for o in outages if not math.isnan(o.declared) and math.isnan(o.restored)]


def due(condition: Condition, facts: Facts, not_before: float | None = None) -> float | None:
    """The first minute from now at which ``condition`` holds if nothing changes meanwhile
    (``facts.minute`` if it holds now), or None if it cannot without a change."""
    if not _holds_now(condition, facts):
        return None
    moments = [facts.minute] + ([not_before] if not_before is not None else [])
    if condition.no_update_for is not None:
        quiet = [max([o.declared, *o.updates]) for o in _open_major_incidents(facts.outages)]
        if not quiet:
            return None
        moments.append(min(quiet) + condition.no_update_for)
    if condition.undeclared_for is not None:
        detected = [o.detected for o in facts.outages if not math.isnan(o.detected)
                    and math.isnan(o.declared) and math.isnan(o.restored)]
        if not detected:
            return None
        moments.append(min(detected) + condition.undeclared_for)
    return max(moments)
