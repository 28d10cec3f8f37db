"""Tabletop layer: the exercise's objectives, judged as the round goes — met, missed, or pending.

Each objective has measures read from the round (declared within, updates every,
restored within, assembled within: per outage, from the event log's moments; decided:
from the record) and/or a checklist the evaluators mark. A measure is *met* once it can
no longer fail (the outage was declared in time), *missed* once it can no longer be met
(the time passed), and *pending* in between; an objective is missed if any part is,
met when every part is, and pending otherwise. Each part says why, with the times: that
is the evidence of the after-action report.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from simulator.scenario.exercise import Objective
from simulator.tabletop.digest import OutageMoments
from simulator.tabletop.records import ChecklistRecord, DecisionRecord, NoteRecord
from simulator.tabletop.session import Round

__all__ = ["ItemStatus", "ObjectiveStatus", "Part", "Status", "combined", "evaluate"]

Status = Literal["met", "missed", "pending"]


@dataclass(frozen=True)
class Part:
    """One measure of an objective: its status and the evidence."""

    measure: str
    status: Status
    evidence: str


@dataclass(frozen=True)
class ItemStatus:
    """An item of an objective's checklist, as the evaluators last marked it."""

    text: str
    status: Status
    who: str  # who marked it last ("" if nobody has)


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective judged at a moment of a round."""

    objective: Objective
    status: Status
    parts: tuple[Part, ...]
    checklist: tuple[ItemStatus, ...]
    observations: tuple[NoteRecord, ...]


def combined(statuses: list[Status]) -> Status:
    """Missed if any is, met if all are (and there is one), else pending."""
    if "missed" in statuses:
        return "missed"
    return "met" if statuses and all(status == "met" for status in statuses) else "pending"


def _within(label: str, limit: float, pairs: list[tuple[str, float, float]], now: float,
            finished: bool) -> Part:
    """Each (case, from, to) within ``limit`` minutes (``to`` NaN: not yet)."""
    if not pairs:
        return Part(label, "missed" if finished else "pending", "no outage to judge yet")
    statuses: list[Status] = []
    evidence = []
    for case, begin, end in pairs:
        if math.isnan(end):
            late = now - begin > limit
            statuses.append("missed" if late or finished else "pending")
            evidence.append(f"{case}: not yet after {now - begin:.0f} min")
        else:
            statuses.append("met" if end - begin <= limit + 1e-9 else "missed")
            evidence.append(f"{case}: {end - begin:.0f} min")
    return Part(label, combined(statuses), f"{'; '.join(evidence)} (target {limit:g} min)")


def _update_gaps(outage: OutageMoments, now: float) -> list[float]:
    """The stretches without an update, from the declaration to the restoration (or now)."""
    end = outage.restored if not math.isnan(outage.restored) else now
    marks = [outage.declared, *sorted(t for t in outage.updates if outage.declared <= t <= end), end]
    return [later - earlier for earlier, later in itertools.pairwise(marks)]


def _updates(limit: float, outages: list[OutageMoments], now: float, finished: bool) -> Part:
    declared = [o for o in outages if not math.isnan(o.declared)]
    label = f"an update at least every {limit:g} min"
    if not declared:
        return Part(label, "missed" if finished else "pending", "no major incident declared yet")
    statuses: list[Status] = []
    evidence = []
    for outage in declared:
        gaps = _update_gaps(outage, now)
        longest = max(gaps) if gaps else 0.0
        over = longest > limit + 1e-9
        closed = not math.isnan(outage.restored) or finished
        statuses.append("missed" if over else "met" if closed else "pending")
        sent = len(outage.updates)
        evidence.append(f"{outage.case}: {sent} update{'' if sent == 1 else 's'}, longest stretch without "
                        f"one {longest:.0f} min")
    return Part(label, combined(statuses), "; ".join(evidence))


#: The answers after which the model asks the same question again (for the same case).
_ASKED_AGAIN = {("declare", "not yet")}


def _decided(kind: str, answer: str, decisions: list[DecisionRecord], finished: bool,
             titles: dict[str, str] | None = None) -> Part:
    """Each case's question of ``kind`` answered ``answer`` (among the picks, for several):
    met for a case so answered, missed for one answered otherwise for good (not an answer
    after which the question comes again), combined over the cases asked."""
    label = f"{kind} answered {answer!r}"
    asked = [record for record in decisions if record.kind == kind]
    chosen = [record for record in asked if answer in record.answer.split(",")]
    if not asked:
        return Part(label, "missed" if finished else "pending", "not asked or answered yet")
    by_case: dict[str, list[DecisionRecord]] = {}
    for record in asked:
        by_case.setdefault(_case(record), []).append(record)
    statuses: list[Status] = [
        "met" if any(record in chosen for record in records)
        else "pending" if (kind, records[-1].answer) in _ASKED_AGAIN and not finished
        else "missed" for records in by_case.values()]
    if chosen and "missed" not in statuses:
        return Part(label, combined(statuses),
                    f"answered by {chosen[0].who} "
                    f"({(titles or {}).get(chosen[0].role, chosen[0].role) or 'no role'})")
    return Part(label, combined(statuses), f"answered {', '.join(r.answer for r in asked)}")


def _case(record: DecisionRecord) -> str:
    """The case a question was about (its key is ``kind:case:count``)."""
    return record.key.split(":")[1] if record.key.count(":") >= 2 else record.key


def _measures(objective: Objective, round_: Round) -> list[Part]:
    round_.digest.catch_up()
    outages = list(round_.digest.outages.values())
    now, finished = round_.minute, round_.finished
    spans: list[tuple[str, float | None, Callable[[OutageMoments], tuple[float, float]]]] = [
        ("declared within", objective.declared_within, lambda o: (o.detected, o.declared)),
        ("restored within", objective.restored_within, lambda o: (o.start, o.restored)),
        ("assembled within", objective.assembled_within, lambda o: (o.declared, o.assembled))]
    parts = []
    for label, limit, moments in spans:
        if limit is None:
            continue
        pairs = [(o.case, *moments(o)) for o in outages if not math.isnan(moments(o)[0])]
        parts.append(_within(f"{label} {limit:g} min", limit, pairs, now, finished))
    if objective.updates_every is not None:
        parts.append(_updates(objective.updates_every, outages, now, finished))
    titles = {name: role.title for name, role in round_.exercise.roles.items()}
    parts += [_decided(kind, answer, round_.decisions, finished, titles)
              for kind, answer in objective.decided.items()]
    return parts


def _checklist(objective: Objective, marks: list[ChecklistRecord]) -> tuple[ItemStatus, ...]:
    items = []
    for index, text in enumerate(objective.checklist):
        last = next((mark for mark in reversed(marks)
                     if mark.objective == objective.name and mark.item == index), None)
        status: Status = "pending" if last is None else last.verdict  # type: ignore[assignment]
        items.append(ItemStatus(text, status, "" if last is None else last.who))
    return tuple(items)


def evaluate(round_: Round) -> list[ObjectiveStatus]:
    """Every objective of the round's exercise, judged now."""
    marks = [action for action in round_.record if isinstance(action, ChecklistRecord)]
    judged = []
    for objective in round_.exercise.objectives:
        parts = _measures(objective, round_)
        checklist = _checklist(objective, marks)
        statuses = [part.status for part in parts] + [item.status for item in checklist]
        observations = tuple(note for note in round_.notes if note.objective == objective.name)
        judged.append(ObjectiveStatus(objective, combined(statuses), tuple(parts), checklist,
                                      observations))
    return judged
