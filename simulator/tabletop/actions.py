"""Tabletop layer: the web app's actions — joining, the clock, answers, updates, observations.

The routes that change a round, each checked against who is acting
(:class:`~simulator.tabletop.people.Actor`) and run under the exercise's lock by
:func:`guarded`, which turns a round's errors into HTTP ones; every action is written to
the database before it is acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from simulator.scenario.exercise import MAX_PACE, MIN_PACE
from simulator.tabletop.live import ClockHeldError, Exercise
from simulator.tabletop.people import Actor, ForbiddenError
from simulator.tabletop.session import Round
from simulator.tabletop.views import objectives_view, observations_view

__all__ = ["NAME", "add_actions", "add_people", "get_round", "guarded"]

#: Names people give themselves or their team: letters, digits, spaces, a few signs.
NAME = r"^[\w][\w .,'()-]{0,39}$"
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_Result = TypeVar("_Result")


class _Join(BaseModel):
    role: Annotated[str, Field(max_length=40)]
    key: Annotated[str, Field(max_length=64)]
    name: Annotated[str, Field(pattern=NAME)]


class _Clock(BaseModel):
    action: Literal["start", "pause", "step", "pace", "rewind"]
    minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 5.0  # step
    pace: Annotated[float, Field(ge=MIN_PACE, le=MAX_PACE)] | None = None  # simulated minutes per second
    to_minute: Annotated[float, Field(ge=0)] | None = None  # rewind


class _Answer(BaseModel):
    key: Annotated[str, Field(max_length=120)]
    answer: Annotated[str, Field(max_length=500)]


class _Inject(BaseModel):
    name: Annotated[str, Field(max_length=120)]


class _Update(BaseModel):
    case: Annotated[str, Field(pattern=r"^OUT\d{7}$")]
    audience: Annotated[str, Field(max_length=80)]
    text: _Text


class _Note(BaseModel):
    text: _Text
    objective: Annotated[str, Field(max_length=120)] = ""  # the objective it bears on
    assessment: Literal["strength", "improvement", "note"] = "note"
    moment: Annotated[float, Field(ge=0)] | None = None  # the simulated minute it is about


class _Mark(BaseModel):
    objective: Annotated[str, Field(max_length=120)]
    item: Annotated[int, Field(ge=0, lt=1000)]
    verdict: Literal["met", "missed", "pending"]


class _End(BaseModel):
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""



def get_round(exercise: Exercise, round_id: int) -> Round:
    try:
        return exercise.get(round_id)
    except KeyError:
        raise HTTPException(404, f"no round {round_id}") from None


def guarded(exercise: Exercise, round_id: int, act: Callable[[Round], _Result]) -> _Result:
    """Run ``act`` on a round under the exercise's lock, with the round's errors as HTTP ones:
    ``KeyError`` (nothing by that name now) 409, ``ValueError`` (a wrong value) 422,
    :class:`ForbiddenError` (not for this role) 403, :class:`ClockHeldError` (another console holds
    the clock) 423."""
    with exercise.lock:
        round_ = get_round(exercise, round_id)
        try:
            return act(round_)
        except KeyError as error:
            raise HTTPException(409, str(error).strip("'\"")) from None
        except ForbiddenError as error:
            raise HTTPException(403, str(error)) from None
        except ClockHeldError as error:
            raise HTTPException(423, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None


def add_people(app: FastAPI, exercise: Exercise, only_facilitator: Any, actor: Any) -> None:
    @app.get("/api/rounds/{round_id}/links")
    def links(round_id: int, _: None = only_facilitator) -> dict[str, dict[str, str]]:
        get_round(exercise, round_id)
        return {role: {"title": exercise.exercise.roles[role].title, "link": link}
                for role, link in exercise.people.links(round_id).items()}

    @app.get("/api/rounds/{round_id}/roles/{role}")
    def role_of_link(round_id: int, role: str,
                     key: Annotated[str, Query(max_length=64)] = "") -> dict[str, str]:
        """What a join link leads to (the team and the role), if its key is right."""
        round_ = get_round(exercise, round_id)
        try:
            exercise.people.check_key(round_id, role, key)
        except KeyError as error:
            raise HTTPException(404, str(error).strip("'\"")) from None
        except ForbiddenError as error:
            raise HTTPException(403, str(error)) from None
        spec = exercise.exercise.roles[role]
        return {"team": round_.team, "role": role, "title": spec.title, "brief": spec.brief}

    @app.post("/api/rounds/{round_id}/join")
    def join(round_id: int, body: _Join) -> dict[str, str]:
        def act(_round_: Round) -> dict[str, str]:
            try:
                token = exercise.join(round_id, body.role, body.key, body.name)
            except KeyError as error:
                raise HTTPException(404, str(error).strip("'\"")) from None
            except ValueError as error:
                raise HTTPException(409, str(error)) from None
            return {"token": token, "name": body.name, "role": body.role,
                    "title": exercise.exercise.roles[body.role].title}

        return guarded(exercise, round_id, act)

    @app.get("/api/rounds/{round_id}/me")
    def me(round_id: int, who: Actor = actor) -> dict[str, str]:
        get_round(exercise, round_id)
        title = "Facilitator" if who.facilitator else exercise.exercise.roles[who.role].title
        return {"name": who.name, "role": who.role, "title": title}

    @app.post("/api/rounds/{round_id}/clock-holder")
    def take_the_clock(round_id: int, _: None = only_facilitator,
                       who: Actor = actor) -> dict[str, str]:
        def act(_round_: Round) -> dict[str, str]:
            exercise.hold_clock(round_id, who, take_over=True)
            return {"holder": who.name}

        return guarded(exercise, round_id, act)


def add_actions(app: FastAPI, exercise: Exercise, only_facilitator: Any, actor: Any) -> None:
    """The routes that change a round."""
    _add_clock_actions(app, exercise, only_facilitator, actor)
    _add_player_actions(app, exercise, actor)


def _add_clock_actions(app: FastAPI, exercise: Exercise, only_facilitator: Any, actor: Any) -> None:
    """What the console holding a round's clock does: move it, fire injects, end the round."""
    clock_holder = exercise.hold_clock

    @app.post("/api/rounds/{round_id}/clock")
    def clock(round_id: int, body: _Clock, _: None = only_facilitator,
              who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            clock_holder(round_id, who)
            return _clock(exercise, round_id, round_, body)

        return guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/injects")
    def fire(round_id: int, body: _Inject, _: None = only_facilitator,
             who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            clock_holder(round_id, who)
            if round_.finished:
                raise HTTPException(409, "the round is over; rewind it to fire injects")
            try:
                record = round_.fire(body.name, who.name)
            except KeyError as error:
                raise HTTPException(404, str(error).strip("'\"")) from None
            exercise.record(round_id, record)
            return {"name": record.name, "minute": record.minute}

        return guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/end")
    def end(round_id: int, body: _End, _: None = only_facilitator,
            who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            clock_holder(round_id, who)
            if round_.finished:
                raise HTTPException(409, "the round is already over")
            record = round_.end_round(body.message, who.name)
            exercise.running[round_id] = False
            exercise.record(round_id, record)
            return {"minute": record.minute, "message": record.message}

        return guarded(exercise, round_id, act)


def _add_player_actions(app: FastAPI, exercise: Exercise, actor: Any) -> None:
    """What the people of a round do, each in their role (the facilitator may do all of it)."""

    @app.post("/api/rounds/{round_id}/decisions")
    def decide(round_id: int, body: _Answer, who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            asked = next((d for d in round_.pending() if d.key == body.key), None)
            if asked is not None:
                exercise.people.check_decides(who, asked.kind)
            record = round_.decide(body.key, body.answer, who.name, who.role)
            exercise.record(round_id, record)
            return {"answer": record.answer, "minute": record.minute, "who": record.who,
                    "role": record.role}

        return guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/updates")
    def update(round_id: int, body: _Update, who: Actor = actor) -> Response:
        sender = (round_id, who.role)

        def act(round_: Round) -> Response:
            exercise.people.check_sends_updates(who)
            wait_s = exercise.update_limit.wait_s(sender)
            if wait_s > 0:
                limit = exercise.update_limit.per_minute
                return JSONResponse({"detail": f"at most {limit} stakeholder updates a minute per "
                                               f"role: try again in {wait_s:.0f} s"}, 429,
                                    headers={"Retry-After": str(max(1, round(wait_s)))})
            record = round_.send_update(body.case, body.audience, body.text, who.name, who.role)
            if record is None:
                raise HTTPException(409, f"{body.case} is not an open major incident with "
                                         f"someone on its bridge")
            exercise.record(round_id, record)
            exercise.update_limit.count(sender)
            return JSONResponse({"sent": True, "minute": record.minute, "who": record.who,
                                 "role": record.role})

        return guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/notes")
    def note(round_id: int, body: _Note, who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            exercise.people.check_evaluates(who)
            record = round_.add_note(body.text, who.name, who.role, body.objective,
                                     body.assessment, body.moment)
            exercise.record(round_id, record)
            return {"minute": record.minute, "about": record.about, "who": record.who,
                    "role": record.role}

        return guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/checklist")
    def mark(round_id: int, body: _Mark, who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            exercise.people.check_evaluates(who)
            record = round_.mark(body.objective, body.item, body.verdict, who.name, who.role)
            exercise.record(round_id, record)
            return {"objective": record.objective, "item": record.item, "verdict": record.verdict,
                    "who": record.who, "role": record.role}

        return guarded(exercise, round_id, act)

    @app.get("/api/rounds/{round_id}/evaluation")
    def evaluation(round_id: int, who: Actor = actor) -> dict[str, Any]:
        """The objectives with their checklists, and the observations (evaluators, facilitator)."""
        def act(round_: Round) -> dict[str, Any]:
            exercise.people.check_evaluates(who)
            return {"objectives": objectives_view(round_, full=True),
                    "observations": observations_view(round_)}

        return guarded(exercise, round_id, act)


def _clock(exercise: Exercise, round_id: int, round_: Round, order: _Clock) -> dict[str, Any]:
    """Start, pause, step, change the pace of, or rewind a round's clock."""
    if order.action in ("start", "step") and round_.finished:
        raise HTTPException(409, "the round is over; rewind it to play on")
    if order.action == "start":
        exercise.running[round_id] = True
    elif order.action == "pause":
        exercise.running[round_id] = False
    elif order.action == "step":
        round_.advance(order.minutes)
    elif order.action == "pace":
        if order.pace is None:
            raise HTTPException(422, "expected 'pace' (simulated minutes per real second)")
        exercise.pace[round_id] = order.pace
    else:
        if order.to_minute is None or order.to_minute > round_.minute:
            raise HTTPException(422, f"expected 'to_minute' between 0 and now "
                                     f"({round_.minute:g})")
        exercise.rewind(round_id, order.to_minute)
        return {"minute": exercise.rounds[round_id].minute, "running": False}
    exercise.save(round_id)
    return {"minute": exercise.rounds[round_id].minute, "running": exercise.running[round_id]}
