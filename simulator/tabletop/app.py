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
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from simulator.scenario.exercise import FACILITATOR
from simulator.tabletop.actions import NAME, add_actions, add_people, get_round
from simulator.tabletop.debrief import DEBRIEF_STYLE_HASH, debrief_html, debrief_markdown
from simulator.tabletop.live import Exercise
from simulator.tabletop.pages import (
    ASSETS,
    CONSOLE_PAGE,
    INDEX_PAGE,
    JOIN_PAGE,
    PLAYER_PAGE,
    WALL_PAGE,
)
from simulator.tabletop.people import Actor
from simulator.tabletop.security import MAX_BODY_BYTES, Guard, host_check, security_headers
from simulator.tabletop.session import Round

__all__ = ["Exercise", "create_app"]

#: How often (real seconds) the clocks of running rounds move.
TICK_S = 0.5


class _Team(BaseModel):
    team: Annotated[str, Field(pattern=NAME)]
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None  # default: the exercise's


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
            if not re.match(NAME, name):
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
    add_people(app, exercise, only_facilitator, actor)
    add_actions(app, exercise, only_facilitator, actor)
    app.add_middleware(Guard, allowed_host=host_check(host, port),
                       headers=security_headers(DEBRIEF_STYLE_HASH), max_body=max_body)
    return app


def _holds_token(exercise: Exercise, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), exercise.token.encode())


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
        get_round(exercise, round_id)
        return PLAYER_PAGE

    @app.get("/wall/{round_id}", response_class=HTMLResponse)
    def wall(round_id: int) -> str:
        get_round(exercise, round_id)
        return WALL_PAGE

    @app.get("/join/{round_id}/{role}", response_class=HTMLResponse)
    def join_page(round_id: int, role: str) -> str:
        get_round(exercise, round_id)
        return JOIN_PAGE

    @app.get("/console", response_class=HTMLResponse)
    def console(_: None = only_facilitator) -> str:
        return CONSOLE_PAGE

    @app.get("/rounds/{round_id}/debrief", response_class=HTMLResponse)
    def debrief_page(round_id: int, full: bool = facilitator_or_not) -> str:
        with exercise.lock:
            return debrief_html(get_round(exercise, round_id), "facilitator" if full else "players",
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
            round_ = get_round(exercise, round_id)
            text = debrief_markdown(round_, "facilitator" if full else "players",
                                    _people(exercise, round_id))
        return _download(text, "text/markdown; charset=utf-8", _filename(round_, round_id, full, "md"))

    @app.get("/api/rounds/{round_id}/debrief.html")
    def debrief_html_file(round_id: int, full: bool = facilitator_or_not) -> Response:
        with exercise.lock:
            round_ = get_round(exercise, round_id)
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
