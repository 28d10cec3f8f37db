"""Tabletop layer: the web app — a facilitator console and the players' view (FastAPI).

Only the facilitator (who holds the token printed at start) opens, ends and compares
rounds, hands out the join links and reads the facilitator's material; of the
facilitators, the one whose console holds a round's clock moves it and fires its
injects (another takes the clock over explicitly). Players join a round through their
role's link and act with the token they get then: each answers the questions of their
role, the communications lead sends the stakeholder updates, the evaluators write
observations (:mod:`~simulator.tabletop.people`). Routes that serve both (a round's
state, the debrief, the exercise) give the facilitator's version only with the token.
Every input is checked against what the model offers;
nothing a browser sends is ever run as code. The app is wrapped in the
:class:`~simulator.tabletop.security.Guard` (body cap, Host check, security headers).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from simulator.scenario.exercise import FACILITATOR, MAX_PACE, MIN_PACE
from simulator.tabletop.debrief import DEBRIEF_STYLE_HASH, debrief_html, debrief_markdown
from simulator.tabletop.live import ClockHeldError, Exercise
from simulator.tabletop.pages import (
    ASSETS,
    CONSOLE_PAGE,
    INDEX_PAGE,
    JOIN_PAGE,
    PLAYER_PAGE,
    WALL_PAGE,
)
from simulator.tabletop.people import Actor, ForbiddenError
from simulator.tabletop.security import MAX_BODY_BYTES, Guard, host_check, security_headers
from simulator.tabletop.session import Round
from simulator.tabletop.views import objectives_view, observations_view

__all__ = ["Exercise", "create_app"]

#: Names people give themselves or their team: letters, digits, spaces, a few signs.
_NAME = r"^[\w][\w .,'()-]{0,39}$"
#: How often (real seconds) the clocks of running rounds move.
TICK_S = 0.5
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_Result = TypeVar("_Result")


class _Team(BaseModel):
    team: Annotated[str, Field(pattern=_NAME)]
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None  # default: the exercise's


class _Join(BaseModel):
    role: Annotated[str, Field(max_length=40)]
    key: Annotated[str, Field(max_length=64)]
    name: Annotated[str, Field(pattern=_NAME)]


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


def create_app(exercise: Exercise, host: str = "127.0.0.1", port: int = 8765,
               tick_s: float | None = TICK_S, max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """The web app of an exercise served at ``host``:``port`` (the Host header must name it;
    ``tick_s=None``: clocks move only when stepped, or by :meth:`Exercise.tick`)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if tick_s is not None:
            async def run_clocks() -> None:
                while True:
                    await asyncio.sleep(tick_s)
                    await asyncio.to_thread(exercise.tick, tick_s)
            task = asyncio.create_task(run_clocks())
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(title="mimsim tabletop", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)

    def facilitator(x_facilitator_token: Annotated[str | None, Header()] = None,
                    token: Annotated[str | None, Query()] = None) -> None:
        if not _holds_token(exercise, x_facilitator_token or token):
            raise HTTPException(403, "this needs the facilitator's token")

    def is_facilitator(x_facilitator_token: Annotated[str | None, Header()] = None,
                       token: Annotated[str | None, Query()] = None) -> bool:
        return _holds_token(exercise, x_facilitator_token or token)

    def acting(round_id: int,
               x_facilitator_token: Annotated[str | None, Header()] = None,
               token: Annotated[str | None, Query()] = None,
               x_player_token: Annotated[str | None, Header(max_length=64)] = None,
               x_console: Annotated[str, Header(pattern=r"^[A-Za-z0-9-]{0,64}$")] = "",
               x_facilitator_name: Annotated[str, Header(max_length=160)] = FACILITATOR) -> Actor:
        if _holds_token(exercise, x_facilitator_token or token):
            name = urllib.parse.unquote(x_facilitator_name)  # percent-encoded: headers are Latin-1
            if not re.match(_NAME, name):
                raise HTTPException(422, f"expected a facilitator's name of letters, digits, spaces "
                                         f"and .,'()- (at most 40); found {name!r}")
            return Actor(name, FACILITATOR, x_console)
        person = exercise.people.player(round_id, x_player_token)
        if person is None:
            raise HTTPException(403, "join the round first: open the join link the facilitator "
                                     "gave your role")
        return Actor(person.name, person.role)

    # (Dependencies as default values: they are local to this app, which string annotations
    # could not name.)
    only_facilitator = Depends(facilitator)
    facilitator_or_not = Depends(is_facilitator)
    actor = Depends(acting)

    _add_pages(app, exercise, only_facilitator, facilitator_or_not)
    _add_rounds(app, exercise, only_facilitator, facilitator_or_not)
    _add_people(app, exercise, only_facilitator, actor)
    _add_clock_actions(app, exercise, only_facilitator, actor)
    _add_player_actions(app, exercise, actor)
    app.add_middleware(Guard, allowed_host=host_check(host, port),
                       headers=security_headers(DEBRIEF_STYLE_HASH), max_body=max_body)
    return app


def _holds_token(exercise: Exercise, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), exercise.token.encode())


def _round(exercise: Exercise, round_id: int) -> Round:
    try:
        return exercise.get(round_id)
    except KeyError:
        raise HTTPException(404, f"no round {round_id}") from None


def _guarded(exercise: Exercise, round_id: int, act: Callable[[Round], _Result]) -> _Result:
    """Run ``act`` on a round under the exercise's lock, with the round's errors as HTTP ones:
    ``KeyError`` (nothing by that name now) 409, ``ValueError`` (a wrong value) 422,
    :class:`ForbiddenError` (not for this role) 403, :class:`ClockHeldError` (another console holds
    the clock) 423."""
    with exercise.lock:
        round_ = _round(exercise, round_id)
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


def _add_pages(app: FastAPI, exercise: Exercise, only_facilitator: Any,
               facilitator_or_not: Any) -> None:
    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return INDEX_PAGE

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)  # no icon, and no error in the browser's console

    @app.get("/assets/{name}")
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, f"no asset {name}")
        content, media_type = ASSETS[name]
        return Response(content, media_type=media_type,
                        headers={"Cache-Control": "public, max-age=300"})

    @app.get("/play/{round_id}", response_class=HTMLResponse)
    def play(round_id: int) -> str:
        _round(exercise, round_id)
        return PLAYER_PAGE

    @app.get("/wall/{round_id}", response_class=HTMLResponse)
    def wall(round_id: int) -> str:
        _round(exercise, round_id)
        return WALL_PAGE

    @app.get("/join/{round_id}/{role}", response_class=HTMLResponse)
    def join_page(round_id: int, role: str) -> str:
        _round(exercise, round_id)
        return JOIN_PAGE

    @app.get("/console", response_class=HTMLResponse)
    def console(_: None = only_facilitator) -> str:
        return CONSOLE_PAGE

    @app.get("/rounds/{round_id}/debrief", response_class=HTMLResponse)
    def debrief_page(round_id: int, full: bool = facilitator_or_not) -> str:
        with exercise.lock:
            return debrief_html(_round(exercise, round_id), "facilitator" if full else "players",
                                _people(exercise, round_id))


def _people(exercise: Exercise, round_id: int) -> tuple[tuple[str, str], ...]:
    return tuple((person.name, person.role) for person in exercise.people.in_round(round_id))


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(text, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _add_rounds(app: FastAPI, exercise: Exercise, only_facilitator: Any,
                facilitator_or_not: Any) -> None:
    @app.get("/api/exercise")
    def about(full: bool = facilitator_or_not) -> dict[str, Any]:
        document: dict[str, Any] = {"title": exercise.exercise.title,
                                    "briefing": exercise.exercise.briefing,
                                    "scenario": exercise.scenario.name}
        if full:
            document["facilitator_notes"] = exercise.exercise.facilitator_notes
        return document

    @app.get("/api/rounds")
    def rounds() -> list[dict[str, Any]]:
        with exercise.lock:
            return exercise.rounds_list()

    @app.post("/api/rounds")
    def new_round(body: _Team, _: None = only_facilitator) -> dict[str, Any]:
        round_id = exercise.new_round(body.team, body.seed)
        return {"id": round_id, "links": exercise.people.links(round_id)}

    @app.get("/api/rounds/{round_id}/state")
    def state(round_id: int, full: bool = facilitator_or_not) -> Response:
        try:
            body = exercise.snapshot(round_id, full)
        except KeyError:
            raise HTTPException(404, f"no round {round_id}") from None
        return Response(body, media_type="application/json")

    @app.get("/api/rounds/{round_id}/debrief.md")
    def debrief_markdown_file(round_id: int, full: bool = facilitator_or_not) -> Response:
        with exercise.lock:
            round_ = _round(exercise, round_id)
            text = debrief_markdown(round_, "facilitator" if full else "players",
                                    _people(exercise, round_id))
        return _download(text, "text/markdown; charset=utf-8", _filename(round_, round_id, full, "md"))

    @app.get("/api/rounds/{round_id}/debrief.html")
    def debrief_html_file(round_id: int, full: bool = facilitator_or_not) -> Response:
        with exercise.lock:
            round_ = _round(exercise, round_id)
            text = debrief_html(round_, "facilitator" if full else "players",
                                _people(exercise, round_id))
        return _download(text, "text/html; charset=utf-8", _filename(round_, round_id, full, "html"))

    @app.get("/api/compare")
    def compare(_: None = only_facilitator) -> list[dict[str, Any]]:
        from simulator.tabletop.views import clock_text

        with exercise.lock:
            return [{"id": round_id, "team": round_.team, "clock": clock_text(round_, round_.minute),
                     "finished": round_.finished, "decisions": len(round_.decisions),
                     **round_.scoreboard()}
                    for round_id, round_ in exercise.rounds.items()]


def _filename(round_: Round, round_id: int, full: bool, suffix: str) -> str:
    team = "".join(char if char.isalnum() else "-" for char in round_.team).strip("-") or "team"
    return f"debrief-round{round_id}-{team}{'' if full else '-players'}.{suffix}"


def _add_people(app: FastAPI, exercise: Exercise, only_facilitator: Any, actor: Any) -> None:
    @app.get("/api/rounds/{round_id}/links")
    def links(round_id: int, _: None = only_facilitator) -> dict[str, dict[str, str]]:
        _round(exercise, round_id)
        return {role: {"title": exercise.exercise.roles[role].title, "link": link}
                for role, link in exercise.people.links(round_id).items()}

    @app.get("/api/rounds/{round_id}/roles/{role}")
    def role_of_link(round_id: int, role: str,
                     key: Annotated[str, Query(max_length=64)] = "") -> dict[str, str]:
        """What a join link leads to (the team and the role), if its key is right."""
        round_ = _round(exercise, round_id)
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

        return _guarded(exercise, round_id, act)

    @app.get("/api/rounds/{round_id}/me")
    def me(round_id: int, who: Actor = actor) -> dict[str, str]:
        _round(exercise, round_id)
        title = "Facilitator" if who.facilitator else exercise.exercise.roles[who.role].title
        return {"name": who.name, "role": who.role, "title": title}

    @app.post("/api/rounds/{round_id}/clock-holder")
    def take_the_clock(round_id: int, _: None = only_facilitator,
                       who: Actor = actor) -> dict[str, str]:
        def act(_round_: Round) -> dict[str, str]:
            exercise.hold_clock(round_id, who, take_over=True)
            return {"holder": who.name}

        return _guarded(exercise, round_id, act)


def _add_clock_actions(app: FastAPI, exercise: Exercise, only_facilitator: Any, actor: Any) -> None:
    """What the console holding a round's clock does: move it, fire injects, end the round."""
    clock_holder = exercise.hold_clock

    @app.post("/api/rounds/{round_id}/clock")
    def clock(round_id: int, body: _Clock, _: None = only_facilitator,
              who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            clock_holder(round_id, who)
            return _clock(exercise, round_id, round_, body)

        return _guarded(exercise, round_id, act)

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

        return _guarded(exercise, round_id, act)

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

        return _guarded(exercise, round_id, act)


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

        return _guarded(exercise, round_id, act)

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

        return _guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/notes")
    def note(round_id: int, body: _Note, who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            exercise.people.check_evaluates(who)
            record = round_.add_note(body.text, who.name, who.role, body.objective,
                                     body.assessment, body.moment)
            exercise.record(round_id, record)
            return {"minute": record.minute, "about": record.about, "who": record.who,
                    "role": record.role}

        return _guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/checklist")
    def mark(round_id: int, body: _Mark, who: Actor = actor) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            exercise.people.check_evaluates(who)
            record = round_.mark(body.objective, body.item, body.verdict, who.name, who.role)
            exercise.record(round_id, record)
            return {"objective": record.objective, "item": record.item, "verdict": record.verdict,
                    "who": record.who, "role": record.role}

        return _guarded(exercise, round_id, act)

    @app.get("/api/rounds/{round_id}/evaluation")
    def evaluation(round_id: int, who: Actor = actor) -> dict[str, Any]:
        """The objectives with their checklists, and the observations (evaluators, facilitator)."""
        def act(round_: Round) -> dict[str, Any]:
            exercise.people.check_evaluates(who)
            return {"objectives": objectives_view(round_, full=True),
                    "observations": observations_view(round_)}

        return _guarded(exercise, round_id, act)


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
