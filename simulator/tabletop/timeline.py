"""Tabletop layer: how each kind of recorded action shows in a round's timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator.tabletop.records import (
    Action,
    ChecklistRecord,
    DecisionRecord,
    EndRecord,
    HandoverRecord,
    NoteRecord,
    UpdateRecord,
)

__all__ = ["timeline_entry"]


def timeline_entry(action: Action) -> dict[str, Any] | None:
    """The timeline's row for an action (kind, case, what, who, role), or None (an inject
    fired by hand shows as the message the players read)."""
    entry = _timeline_what(action)
    return None if entry is None else {**entry, "who": action.who, "role": action.role}


def _note_text(action: NoteRecord) -> str:
    if action.assessment == "note" and not action.objective:
        return action.text
    return f"{action.text} [{action.assessment}{', ' + action.objective if action.objective else ''}]"


#: How each kind of action shows in the timeline (an inject fired by hand shows as the
#: message the players read).
_TIMELINE: dict[type, Callable[[Any], dict[str, str]]] = {
    DecisionRecord: lambda a: {"kind": "decision", "case": a.key.split(":")[1],
                               "what": f"{a.kind}: {a.answer}"},
    UpdateRecord: lambda a: {"kind": "update", "case": a.case, "what": f"to {a.audience}: {a.text}"},
    NoteRecord: lambda a: {"kind": "note", "case": "", "what": _note_text(a)},
    ChecklistRecord: lambda a: {"kind": "checklist", "case": "",
                                "what": f"{a.objective} item {a.item + 1}: {a.verdict}"},
    EndRecord: lambda a: {"kind": "end", "case": "", "what": a.message},
    HandoverRecord: lambda a: {"kind": "clock", "case": "", "what": "takes the clock" + (
        f" from {a.took_from}" if a.took_from else "")},
}


def _timeline_what(action: Action) -> dict[str, Any] | None:
    show = _TIMELINE.get(type(action))
    return None if show is None else show(action)
