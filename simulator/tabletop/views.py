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

from simulator.tabletop.debrief import published_comparison
from simulator.tabletop.digest import update_windows
from simulator.tabletop.session import Round

__all__ = ["clock_text", "facilitator_view", "players_view"]

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


def players_view(round_: Round, round_id: int, running: bool, pace: float) -> dict[str, Any]:
    """What the players see of a round."""
    exercise = round_.exercise
    end = round_.end
    round_.digest.catch_up()
    return {
        "round": round_id, "team": round_.team, "title": exercise.title,
        "briefing": exercise.briefing,
        "clock": round_.simulation.clock.isoformat(sep=" ", timespec="seconds"),
        "minute": round_.minute, "running": running and end is None, "pace": pace,
        "finished": end is not None,
        "end": None if end is None else {"clock": clock_text(round_, end.minute),
                                         "reason": end.reason, "message": end.message},
        "messages": [{"clock": clock_text(round_, minute), "name": inject.name, "text": inject.text}
                     for minute, _, inject in round_.messages if inject.text],
        "decisions": [{"key": d.key, "kind": d.kind, "question": d.question,
                       "options": list(d.options), "several": d.several, "default": d.default,
                       "seconds_left": round(round_.seconds_left(d), 1),
                       "timer_running": running}
                      for d in round_.pending()],
        "decision_time_limit_s": exercise.decision_time_limit_s,
        "major_incidents": _major_incidents(round_),
        "audiences": list(exercise.audiences),
        "updates": [{"clock": clock_text(round_, r.minute), "case": r.case, "audience": r.audience,
                     "text": r.text, "who": r.who} for r in round_.updates],
        **_desk(round_),
        "scoreboard": round_.scoreboard(),
    }


def facilitator_view(round_: Round, round_id: int, running: bool, pace: float) -> dict[str, Any]:
    """What the facilitator sees of a round: the players' view and the material behind it."""
    exercise = round_.exercise
    fired = {inject.name for _, _, inject in round_.messages}
    return {
        **players_view(round_, round_id, running, pace),
        "timeline": [{**row, "clock": clock_text(round_, float(row["minute"]))}
                     for row in round_.timeline()][-TIMELINE_SHOWN:],
        "injects": [{"name": inject.name, "kind": inject.kind, "text": inject.text,
                     "at": None if inject.at is None else clock_text(round_, inject.at),
                     "fired": inject.name in fired} for inject in exercise.injects],
        "facilitator_notes": exercise.facilitator_notes,
        "decision_log": [record.__dict__ for record in round_.decisions],
        "notes": [{"clock": clock_text(round_, r.minute), "text": r.text, "who": r.who}
                  for r in round_.notes],
        "published": [
            {**row, "published": clock_text(round_, float(row["published_min"])),  # type: ignore[arg-type]
             "team": None if row["team_min"] is None else clock_text(round_, float(row["team_min"]))}  # type: ignore[arg-type]
            for row in published_comparison(round_)],
    }
