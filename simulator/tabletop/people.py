"""Tabletop layer: people — join links per role, players' tokens, and who may do what.

The facilitator opens a round and hands out one join link per role of the exercise
(major incident manager, communications lead, ...). The link's key is an HMAC of the
facilitator's token, the round and the role: it cannot be guessed or turned into another
role's link, and it survives a restart without being stored. A person who opens it gives
a name and gets a token of their own (kept by their browser; the database keeps only its
SHA-256); every request they make carries it, so every action they take is recorded with
their name and role. A question is offered to the role that decides it, and only that
role (or the facilitator) may answer it; only a role that ``sends_updates`` writes
stakeholder updates, and only an evaluator (or the facilitator) writes observations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from simulator.scenario.exercise import FACILITATOR, Exercise
from simulator.tabletop.records import now_iso
from simulator.tabletop.store import Participant, Store

__all__ = ["MAX_PEOPLE_PER_ROUND", "Actor", "ForbiddenError", "People", "join_key", "token_hash"]

#: A round takes at most this many people (a tabletop is a room, not a stadium).
MAX_PEOPLE_PER_ROUND = 100


class ForbiddenError(PermissionError):
    """Someone tried what their role may not do (the app answers 403 with the message)."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a player in a role, or a facilitator at a console."""

    name: str
    role: str  # a role of the exercise, or "facilitator"
    console: str = ""  # a facilitator's console (the one that may hold the clock)

    @property
    def facilitator(self) -> bool:
        return self.role == FACILITATOR


def join_key(token: str, round_id: int, role: str) -> str:
    """The key of a role's join link for a round (derived from the facilitator's token)."""
    digest = hmac.new(token.encode(), f"join:{round_id}:{role}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class People:
    """Who joined which round, read from the database and kept in step with it."""

    def __init__(self, store: Store, exercise: Exercise, facilitator_token: str) -> None:
        self.store = store
        self.exercise = exercise
        self.facilitator_token = facilitator_token
        self._by_token = {person.token_hash: person for person in store.participants()}

    def links(self, round_id: int) -> dict[str, str]:
        """Each role's join link (a path on the server) for a round."""
        return {role: f"/join/{round_id}/{role}?key={join_key(self.facilitator_token, round_id, role)}"
                for role in self.exercise.roles}

    def check_key(self, round_id: int, role: str, key: str) -> None:
        """``KeyError``: no such role; :class:`ForbiddenError`: not that role's key for that round."""
        if role not in self.exercise.roles:
            raise KeyError(f"no role {role!r}; roles: {', '.join(self.exercise.roles)}")
        expected = join_key(self.facilitator_token, round_id, role)
        if not secrets.compare_digest(key.encode(), expected.encode()):
            raise ForbiddenError("this join link is not valid for this round and role: ask the "
                            "facilitator for yours")

    def join(self, round_id: int, role: str, key: str, name: str) -> tuple[str, Participant]:
        """Join a round in a role with a name: the person's new token (stored as its hash before
        this returns). ``ValueError``: the name is someone else's in another role, or the
        round is full."""
        self.check_key(round_id, role, key)
        here = self.in_round(round_id)
        other = next((person for person in here if person.name.casefold() == name.casefold()
                      and person.role != role), None)
        if other is not None:
            raise ValueError(f"{other.name} has already joined this round as "
                             f"{self.exercise.roles[other.role].title}: pick another name")
        if len({person.name for person in here}) >= MAX_PEOPLE_PER_ROUND:
            raise ValueError(f"this round already has {MAX_PEOPLE_PER_ROUND} people")
        token = secrets.token_urlsafe(24)
        person = Participant(round_id, name, role, token_hash(token), now_iso())
        self.store.add_participant(person)
        self._by_token[person.token_hash] = person
        return token, person

    def player(self, round_id: int, token: str | None) -> Participant | None:
        """The person whose token this is, if they joined this round."""
        if not token:
            return None
        person = self._by_token.get(token_hash(token))
        return person if person is not None and person.round_id == round_id else None

    def in_round(self, round_id: int) -> list[Participant]:
        """The people of a round, in the order they joined (a name joined twice shows once)."""
        seen: dict[tuple[str, str], Participant] = {}
        for person in self._by_token.values():
            if person.round_id == round_id:
                seen.setdefault((person.name, person.role), person)
        return list(seen.values())

    # -- what a role may do ----------------------------------------------------------------------
    def check_decides(self, actor: Actor, kind: str) -> None:
        """:class:`ForbiddenError` unless ``actor`` may answer a question of ``kind``."""
        if actor.facilitator:
            return
        owner = self.exercise.owner(kind)
        if owner != actor.role:
            whose = "the facilitator" if owner is None else self.exercise.roles[owner].title
            raise ForbiddenError(f"the {kind!r} question is for {whose}; you are "
                            f"{self.exercise.roles[actor.role].title}")

    def check_sends_updates(self, actor: Actor) -> None:
        if not actor.facilitator and not self.exercise.roles[actor.role].sends_updates:
            senders = [role.title for role in self.exercise.roles.values() if role.sends_updates]
            writers = " or ".join(senders) or "the facilitator"
            raise ForbiddenError(f"stakeholder updates are written by {writers}; you are "
                                 f"{self.exercise.roles[actor.role].title}")

    def check_evaluates(self, actor: Actor) -> None:
        if not actor.facilitator and not self.exercise.roles[actor.role].evaluates:
            raise ForbiddenError(f"observations are written by the evaluators and the facilitator; "
                            f"you are {self.exercise.roles[actor.role].title}")
