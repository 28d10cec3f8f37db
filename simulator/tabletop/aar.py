"""Tabletop layer: the after-action report's analysis — objectives, people, the counterfactual, the plan.

What the debrief (:mod:`~simulator.tabletop.debrief`) adds to the timeline to make an
after-action report in the HSEEP manner: each objective with its status and evidence;
the decisions by participant and role; what the same round would have given with the
policy's answers (:func:`counterfactual`: the same scenario, seed and draw, the same
injects fired by hand at the same minutes, every question answered at once by the
policy, played to the same minute); the strengths and areas for improvement the
evaluators and the facilitator observed; and an improvement plan with a row per area
for improvement and per objective missed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from simulator.scenario.exercise import FACILITATOR, POLICY_ROLE
from simulator.tabletop.objectives import ObjectiveStatus, evaluate
from simulator.tabletop.records import InjectRecord
from simulator.tabletop.session import POLICY, Round

__all__ = ["COMPARED", "counterfactual", "decision_rows", "improvement_plan", "objective_rows",
           "observation_rows", "people_rows", "policy_comparison"]

#: The measures the counterfactual is compared on (the scoreboard's keys), with their labels.
COMPARED = {"time_to_declare_min": "time to declare (min)",
            "time_to_assemble_min": "time to assemble (min)",
            "restore_time_min": "restore time (min)", "sla_breaches": "SLA breaches",
            "downtime_cost": "downtime cost"}


#: A sliver of a simulated minute (a millisecond is 1.7e-5).
_JUST_AFTER = 1e-6


def _clock(round_: Round, minute: float) -> str:
    moment = round_.scenario.run.start + dt.timedelta(minutes=minute)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _role_title(round_: Round, role: str) -> str:
    if role in round_.exercise.roles:
        return round_.exercise.roles[role].title
    return {FACILITATOR: "facilitator", POLICY_ROLE: "the policy (time limit)"}.get(role, role or "—")


def counterfactual(round_: Round) -> Round:
    """The same round played with the policy's answers, to the minute the round reached."""
    again = Round(round_.scenario, round_.team, round_.seed)
    by_hand = sorted((action for action in round_.record if isinstance(action, InjectRecord)),
                     key=lambda action: action.minute)
    # the last target is just past the round's minute, so that the events of that very minute
    # (a restoration at 14:09 that ended the round) happen in the counterfactual too
    for target in [*(action.minute for action in by_hand), round_.minute + _JUST_AFTER]:
        while not again.finished and again.minute < target:
            for decision in again.pending():
                again.decide(decision.key, decision.default, POLICY, POLICY_ROLE)
            again.advance(target - again.minute)
        if not again.finished and by_hand and by_hand[0].minute <= again.minute:
            again.fire(by_hand.pop(0).name, POLICY, POLICY_ROLE)
    for decision in again.pending():  # questions asked at the very last minute
        again.decide(decision.key, decision.default, POLICY, POLICY_ROLE)
    return again


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if key == "downtime_cost" else f"{value:g}"


def policy_comparison(round_: Round) -> tuple[tuple[str, ...], ...]:
    """(measure, this team, the policy's answers, difference) for each compared measure."""
    ours, theirs = round_.scoreboard(), counterfactual(round_).scoreboard()
    rows = []
    for key, label in COMPARED.items():
        a, b = ours.get(key), theirs.get(key)
        difference = "—" if a is None or b is None else (
            f"{a - b:+,.0f}" if key == "downtime_cost" else f"{a - b:+g}")
        rows.append((label, _shown(key, a), _shown(key, b), difference))
    return tuple(rows)


def _evidence(judged: ObjectiveStatus, observations: bool) -> str:
    parts = [f"{part.measure}: {part.status} ({part.evidence})" for part in judged.parts]
    if observations:
        parts += [f"checklist “{item.text.rstrip('.')}”: {item.status}"
                  + (f" ({item.who})" if item.who else " (not marked)" if item.status == "pending" else "")
                  for item in judged.checklist]
        parts += [f"observed by {note.who}: {note.text}" for note in judged.observations]
    return "; ".join(parts) or "—"


def objective_rows(round_: Round, full: bool) -> tuple[tuple[str, ...], ...]:
    """(objective, capability, status, evidence) for each objective; the players' copy (not
    ``full``) judges the measures only."""
    rows = []
    for judged in evaluate(round_):
        objective = judged.objective
        status = judged.status if full else (
            "observed" if not judged.parts else
            "missed" if any(p.status == "missed" for p in judged.parts) else
            "met" if all(p.status == "met" for p in judged.parts) else "pending")
        rows.append((f"{objective.name}: {objective.text}", objective.capability or "—", status,
                     _evidence(judged, full)))
    return tuple(rows)


def decision_rows(round_: Round) -> tuple[tuple[str, ...], ...]:
    """(participant, role, simulated time, question, answer) for each decision, by participant."""
    ordered = sorted(round_.decisions, key=lambda record: (record.who, record.minute))
    return tuple((record.who, _role_title(round_, record.role), _clock(round_, record.minute),
                  record.question, record.answer) for record in ordered)


def people_rows(round_: Round, people: list[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    """(participant, role, decisions, updates, observations) for everyone who joined or acted."""
    everyone = list(dict.fromkeys([*people, *((a.who, a.role) for a in round_.record)]))
    rows = []
    for name, role in everyone:
        mine = [a for a in round_.record if a.who == name and a.role == role]
        counts = [sum(1 for a in mine if a.kind_name == kind) for kind in ("decision", "update", "note")]
        rows.append((name, _role_title(round_, role), *(str(count) for count in counts)))
    return tuple(rows)


def observation_rows(round_: Round, assessment: str) -> tuple[tuple[str, ...], ...]:
    """(moment, observation, objective, who) for the observations of one assessment."""
    return tuple((_clock(round_, note.about), note.text, note.objective or "—",
                  f"{note.who} ({_role_title(round_, note.role)})")
                 for note in round_.notes if note.assessment == assessment)


def improvement_plan(round_: Round) -> tuple[tuple[str, ...], ...]:
    """The HSEEP improvement plan: (capability, objective, area for improvement, corrective
    action, responsible, start, completion) — a row per area for improvement observed and per
    objective missed without one; the last four columns are for the hot wash to fill."""
    judged = {status.objective.name: status for status in evaluate(round_)}
    rows = []
    noted = set()
    for note in round_.notes:
        if note.assessment != "improvement":
            continue
        objective = judged.get(note.objective)
        noted.add(note.objective)
        rows.append((objective.objective.capability if objective else "—",
                     objective.objective.name if objective else "—", note.text, "", "", "", ""))
    for name, status in judged.items():
        if status.status == "missed" and name not in noted:
            missed = "; ".join(part.evidence for part in status.parts if part.status == "missed")
            items = [item.text for item in status.checklist if item.status == "missed"]
            rows.append((status.objective.capability or "—", name,
                         f"objective missed: {'; '.join([missed, *items]).strip('; ')}",
                         "", "", "", ""))
    return tuple(rows)
