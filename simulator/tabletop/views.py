"""Tabletop layer: what the players and the facilitator see of a round (the ``/state`` documents).

The players' view holds what players may see: the clock, the messages of the injects
fired so far, the questions open to them with the seconds before the policy answers,
the open major incidents with their update cadence, the tickets about the outage, the
queues, the scoreboard and, once it is over, how the round ended. The facilitator's
view adds the timeline with the notes, the injects still to fire, the facilitator's
notes, the decision log and the published timeline. Nothing here changes a round.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from simulator.scenario.exercise import Inject
from simulator.tabletop.debrief import published_comparison
from simulator.tabletop.digest import update_windows
from simulator.tabletop.objectives import combined, evaluate
from simulator.tabletop.session import Round

__all__ = ["clock_text", "facilitator_view", "objectives_view", "observations_view", "players_view"]

#: At most this many tickets about the outage are listed (all are counted).
TICKETS_SHOWN = 50
#: At most this many timeline rows go to the console (the debrief has them all).
TIMELINE_SHOWN = 120


def clock_text(round_: Round, minute: float, seconds: bool = False) -> str:
    """A simulated minute as the wall clock reads it (HH:MM, or HH:MM:SS)."""
    moment = round_.scenario.run.start + dt.timedelta(minutes=minute)
    return moment.strftime("%H:%M:%S" if seconds else "%H:%M")


def _major_incidents(round_: Round) -> list[dict[str, Any]]:
    cadence = round_.scenario.major_incident.updates_every
    shown = []
    for outage in round_.digest.outages.values():
        if math.isnan(outage.declared) or not math.isnan(outage.restored):
            continue
        windows = update_windows(outage, round_.minute, cadence)
        begin, end = windows[-1]
        kept = any(begin <= t < end for t in outage.updates)
        shown.append({"case": outage.case, "service": outage.service,
                      "declared": clock_text(round_, outage.declared),
                      "last_update": clock_text(round_, outage.updates[-1]) if outage.updates else None,
                      "next_update_due": clock_text(round_, end if kept else begin),
                      "update_due_now": not kept})
    return shown


def _wall(round_: Round) -> dict[str, Any]:
    """What the room's wall screen shows besides the clock: the desk's queue by priority,
    every service up or down, and when the next stakeholder update is due."""
    simulation = round_.simulation
    desk = round_.scenario.flow.desk.team
    names = simulation.recorder.priority_names
    waiting = dict.fromkeys(names, 0)
    for team in simulation.teams:
        if team.name == desk:
            for incident in team.waiting():
                waiting[names[incident.priority]] += 1
    down = {o.service: o for o in round_.digest.outages.values()
            if not math.isnan(o.start) and math.isnan(o.restored)}
    services = [{"name": name, "up": name not in down,
                 "since": clock_text(round_, down[name].start) if name in down else None}
                for name in round_.scenario.services]
    cadence = round_.scenario.major_incident.updates_every
    due_in = []
    for outage in round_.digest.outages.values():
        if math.isnan(outage.declared) or not math.isnan(outage.restored):
            continue
        begin, end = update_windows(outage, round_.minute, cadence)[-1]
        kept = any(begin <= t < end for t in outage.updates)
        due_in.append(round((end if kept else begin) - round_.minute, 1))
    return {"desk_team": desk, "desk_queue": waiting, "services": services,
            "next_update_in_min": min(due_in) if due_in else None,
            "desk_history": _desk_history(round_, sum(waiting.values()))}


#: How far back the wall screen's line of the desk's queue goes (simulated minutes).
DESK_HISTORY_MIN = 120.0


def _desk_history(round_: Round, total: int) -> list[list[float]]:
    """The desk's queue over the last :data:`DESK_HISTORY_MIN` simulated minutes, as
    [minute after the round's start, tickets waiting], with ``total`` now added (about one
    sample a simulated minute: a document of a few kilobytes whatever the clock's pace)."""
    history = round_.digest.desk_history
    now = round_.minute
    if history and (history[-1][0] >= now  # the same minute (or a document rebuilt)
                    or (len(history) > 1 and history[-1][0] - history[-2][0] < 1.0)):
        history[-1] = (now, total)  # at most a sample a simulated minute, and the latest
    else:
        history.append((now, total))
    while history[0][0] < now - DESK_HISTORY_MIN:
        history.pop(0)
    start = round_.exercise.start_at
    return [[round(minute - start, 2), count] for minute, count in history]


def _desk(round_: Round) -> dict[str, Any]:
    """Queues per team and the tickets about outages (oldest first), without a full snapshot
    of the model (which walks every open ticket and agent)."""
    simulation = round_.simulation
    about = [incident for incident in simulation.flow.open.values() if incident.outage is not None]
    tickets = [simulation._ticket_state(incident) for incident in about[:TICKETS_SHOWN]]
    return {
        "outage_tickets": [{"case": t.case_id, "priority": t.priority, "team": t.team,
                            "status": t.status, "age_min": round(t.age_min, 1)} for t in tickets],
        "open_outage_tickets": len(about),
        "queues": {team.name: team.n_waiting for team in simulation.teams},
    }


def objectives_view(round_: Round, full: bool) -> list[dict[str, Any]]:
    """Each objective with its status and evidence; ``full`` (the facilitator's and the
    evaluators' view) adds the checklists as marked and the observations on it, and counts
    the checklist in the status — the players' status is the measured one ("observed" for an
    objective with a checklist only)."""
    shown = []
    for judged in evaluate(round_):
        objective = judged.objective
        row: dict[str, Any] = {
            "name": objective.name, "text": objective.text, "capability": objective.capability,
            "parts": [{"measure": p.measure, "status": p.status, "evidence": p.evidence}
                      for p in judged.parts]}
        if full:
            row["status"] = judged.status
            row["checklist"] = [{"text": i.text, "status": i.status, "who": i.who}
                                for i in judged.checklist]
        else:
            measured = [part.status for part in judged.parts]
            row["status"] = combined(measured) if measured else "observed"
        shown.append(row)
    return shown


def observations_view(round_: Round) -> list[dict[str, Any]]:
    """Every observation, with the moment it is about."""
    return [{"clock": clock_text(round_, note.minute), "about": clock_text(round_, note.about),
             "text": note.text, "who": note.who, "role": note.role, "objective": note.objective,
             "assessment": note.assessment} for note in round_.notes]


def _roles(round_: Round) -> list[dict[str, Any]]:
    return [{"name": name, "title": role.title, "decides": list(role.decides),
             "sends_updates": role.sends_updates, "evaluates": role.evaluates, "team": role.team,
             "brief": role.brief} for name, role in round_.exercise.roles.items()]


def players_view(round_: Round, round_id: int, running: bool, pace: float,
                 people: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """What the players see of a round (``people``: who joined it, in which role)."""
    exercise = round_.exercise
    end = round_.end
    round_.digest.catch_up()
    return {
        "round": round_id, "team": round_.team, "title": exercise.title,
        "briefing": round_.briefing,
        "clock": round_.simulation.clock.isoformat(sep=" ", timespec="seconds"),
        "minute": round_.minute, "running": running and end is None, "pace": pace,
        "finished": end is not None,
        "end": None if end is None else {"clock": clock_text(round_, end.minute),
                                         "reason": end.reason, "message": end.message},
        "messages": [{"clock": clock_text(round_, minute), "name": inject.name, "text": inject.text}
                     for minute, _, inject in round_.messages if inject.text],
        "roles": _roles(round_),
        "people": people or [],
        "decisions": [{"key": d.key, "kind": d.kind, "question": d.question,
                       "role": exercise.owner(d.kind) or "facilitator",
                       "options": list(d.options), "several": d.several, "default": d.default,
                       "seconds_left": round(round_.seconds_left(d), 1),
                       "timer_running": running}
                      for d in round_.pending()],
        "decision_time_limit_s": exercise.decision_time_limit_s,
        "major_incidents": _major_incidents(round_),
        "audiences": list(exercise.audiences),
        "updates": [{"clock": clock_text(round_, r.minute), "case": r.case, "audience": r.audience,
                     "text": r.text, "who": r.who, "role": r.role} for r in round_.updates],
        **_desk(round_),
        "wall": _wall(round_),
        "scoreboard": round_.scoreboard(),
        "objectives": objectives_view(round_, full=False),
    }


def _when(round_: Round, inject: Inject) -> str:
    """A branching inject's condition in words, and when it fires if it is armed."""
    assert inject.when is not None
    text = inject.when.describe() + (f", then {inject.delay:g} min" if inject.delay else "")
    armed = round_.armed.get(inject.name)
    return text if armed is None else f"{text} (fires at {clock_text(round_, armed)})"


def facilitator_view(round_: Round, round_id: int, running: bool, pace: float,
                     people: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """What the facilitator sees of a round: the players' view and the material behind it."""
    exercise = round_.exercise
    fired = {inject.name for _, _, inject in round_.messages}
    return {
        **players_view(round_, round_id, running, pace, people),
        "timeline": [{**row, "clock": clock_text(round_, float(row["minute"]))}
                     for row in round_.timeline()][-TIMELINE_SHOWN:],
        "injects": [{"name": inject.name, "kind": inject.kind, "text": inject.text,
                     "at": None if inject.at is None else clock_text(round_, inject.at),
                     "when": None if inject.when is None else _when(round_, inject),
                     "fired": inject.name in fired} for inject in exercise.injects],
        "drawn": [{"draw": item.draw, "piece": item.piece.name} for item in round_.drawn],
        "facilitator_notes": round_.facilitator_notes,
        "decision_log": [record.__dict__ for record in round_.decisions],
        "notes": observations_view(round_),
        "objectives": objectives_view(round_, full=True),
        "published": [
            {**row, "published": clock_text(round_, float(row["published_min"])),  # type: ignore[arg-type]
             "team": None if row["team_min"] is None else clock_text(round_, float(row["team_min"]))}  # type: ignore[arg-type]
            for row in published_comparison(round_)],
    }
