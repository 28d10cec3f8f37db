"""Tabletop layer: the web app — a facilitator console and the players' view (FastAPI).

Only the facilitator (who holds the token printed at start) moves clocks, fires
injects, opens, ends and compares rounds, writes notes and reads the facilitator's
material; players answer the questions and send stakeholder updates. Routes that
serve both (a round's state, the debrief, the exercise) give the facilitator's
version only with the token. Every input is checked against what the model offers;
nothing a browser sends is ever run as code. The app is wrapped in the
:class:`~simulator.tabletop.security.Guard` (body cap, Host check, security headers).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from simulator.scenario.exercise import MAX_PACE, MIN_PACE
from simulator.tabletop.debrief import DEBRIEF_STYLE_HASH, debrief_html, debrief_markdown
from simulator.tabletop.live import Exercise
from simulator.tabletop.pages import ASSETS, CONSOLE_PAGE, INDEX_PAGE, PLAYER_PAGE
from simulator.tabletop.security import MAX_BODY_BYTES, Guard, host_check, security_headers
from simulator.tabletop.session import Round

__all__ = ["Exercise", "create_app"]

#: Names people give themselves or their team: letters, digits, spaces, a few signs.
_NAME = r"^[\w][\w .,'()-]{0,39}$"
#: How often (real seconds) the clocks of running rounds move.
TICK_S = 0.5
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_Result = TypeVar("_Result")


class _Team(BaseModel):
    team: Annotated[str, Field(pattern=_NAME)]


class _Clock(BaseModel):
    action: Literal["start", "pause", "step", "pace", "rewind"]
    minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 5.0  # step
    pace: Annotated[float, Field(ge=MIN_PACE, le=MAX_PACE)] | None = None  # simulated minutes per second
    to_minute: Annotated[float, Field(ge=0)] | None = None  # rewind


class _Answer(BaseModel):
    key: Annotated[str, Field(max_length=120)]
    answer: Annotated[str, Field(max_length=500)]
    who: Annotated[str, Field(pattern=_NAME)]


class _Inject(BaseModel):
    name: Annotated[str, Field(max_length=120)]


class _Update(BaseModel):
    case: Annotated[str, Field(pattern=r"^OUT\d{7}$")]
    who: Annotated[str, Field(pattern=_NAME)]
    audience: Annotated[str, Field(max_length=80)]
    text: _Text


class _Note(BaseModel):
    text: _Text


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

    # (Dependencies as default values: they are local to this app, which string annotations
    # could not name.)
    only_facilitator = Depends(facilitator)
    facilitator_or_not = Depends(is_facilitator)

    _add_pages(app, exercise, only_facilitator, facilitator_or_not)
    _add_rounds(app, exercise, only_facilitator, facilitator_or_not)
    _add_actions(app, exercise, only_facilitator, facilitator_or_not)
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
    ``KeyError`` (nothing by that name now) 409, ``ValueError`` (a wrong value) 422."""
    with exercise.lock:
        round_ = _round(exercise, round_id)
        try:
            return act(round_)
        except KeyError as error:
            raise HTTPException(409, str(error).strip("'\"")) from None
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

    @app.get("/console", response_class=HTMLResponse)
    def console(_: None = only_facilitator) -> str:
        return CONSOLE_PAGE

    @app.get("/rounds/{round_id}/debrief", response_class=HTMLResponse)
    def debrief_page(round_id: int, full: bool = facilitator_or_not) -> str:
        with exercise.lock:
            return debrief_html(_round(exercise, round_id), "facilitator" if full else "players")


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
    def new_round(body: _Team, _: None = only_facilitator) -> dict[str, int]:
        return {"id": exercise.new_round(body.team)}

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
            text = debrief_markdown(round_, "facilitator" if full else "players")
        return _download(text, "text/markdown; charset=utf-8", _filename(round_, round_id, full, "md"))

    @app.get("/api/rounds/{round_id}/debrief.html")
    def debrief_html_file(round_id: int, full: bool = facilitator_or_not) -> Response:
        with exercise.lock:
            round_ = _round(exercise, round_id)
            text = debrief_html(round_, "facilitator" if full else "players")
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


def _add_actions(app: FastAPI, exercise: Exercise, only_facilitator: Any,
                 facilitator_or_not: Any) -> None:
    @app.post("/api/rounds/{round_id}/clock")
    def clock(round_id: int, body: _Clock, _: None = only_facilitator) -> dict[str, Any]:
        return _guarded(exercise, round_id, lambda round_: _clock(exercise, round_id, round_, body))

    @app.post("/api/rounds/{round_id}/decisions")
    def decide(round_id: int, body: _Answer, full: bool = facilitator_or_not) -> dict[str, Any]:
        who = body.who if not full or body.who == "facilitator" else f"{body.who} (facilitator)"

        def act(round_: Round) -> dict[str, Any]:
            record = round_.decide(body.key, body.answer, who)
            exercise.record(round_id, record)
            return {"answer": record.answer, "minute": record.minute}

        return _guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/injects")
    def fire(round_id: int, body: _Inject, _: None = only_facilitator) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            if round_.finished:
                raise HTTPException(409, "the round is over; rewind it to fire injects")
            try:
                record = round_.fire(body.name, "facilitator")
            except KeyError as error:
                raise HTTPException(404, str(error).strip("'\"")) from None
            exercise.record(round_id, record)
            return {"name": record.name, "minute": record.minute}

        return _guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/updates")
    def update(round_id: int, body: _Update) -> Response:
        sender = (round_id, "team")  # per round; per role once rounds have roles

        def act(round_: Round) -> Response:
            wait_s = exercise.update_limit.wait_s(sender)
            if wait_s > 0:
                limit = exercise.update_limit.per_minute
                return JSONResponse({"detail": f"at most {limit} stakeholder updates a minute per "
                                               f"team: try again in {wait_s:.0f} s"}, 429,
                                    headers={"Retry-After": str(max(1, round(wait_s)))})
            record = round_.send_update(body.case, body.audience, body.text, body.who)
            if record is None:
                raise HTTPException(409, f"{body.case} is not an open major incident with "
                                         f"someone on its bridge")
            exercise.record(round_id, record)
            exercise.update_limit.count(sender)
            return JSONResponse({"sent": True, "minute": record.minute})

        return _guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/notes")
    def note(round_id: int, body: _Note, _: None = only_facilitator) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            record = round_.add_note(body.text, "facilitator")
            exercise.record(round_id, record)
            return {"minute": record.minute}

        return _guarded(exercise, round_id, act)

    @app.post("/api/rounds/{round_id}/end")
    def end(round_id: int, body: _End, _: None = only_facilitator) -> dict[str, Any]:
        def act(round_: Round) -> dict[str, Any]:
            if round_.finished:
                raise HTTPException(409, "the round is already over")
            record = round_.end_round(body.message, "facilitator")
            exercise.running[round_id] = False
            exercise.record(round_id, record)
            return {"minute": record.minute, "message": record.message}

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
