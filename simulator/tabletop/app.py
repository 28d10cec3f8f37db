"""Tabletop layer: the web app — a facilitator console and the players' view (FastAPI).

One exercise (a scenario with an ``exercise`` section) per server; any number of
rounds (one per team), each an independent :class:`~simulator.tabletop.session.Round`
with the same seed, so every team meets the same incidents. Only the facilitator
(who holds the token printed at start) moves clocks, fires injects, opens rounds and
compares them; players answer the questions and send stakeholder updates. Every
input is checked against what the model offers; nothing a browser sends is ever
run as code. Rounds live in SQLite: a refresh or a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from simulator.scenario.loader import load_scenario, scenario_hash
from simulator.tabletop.debrief import debrief_markdown, published_comparison
from simulator.tabletop.pages import CONSOLE_PAGE, INDEX_PAGE, PLAYER_PAGE
from simulator.tabletop.session import Round, check_exercise
from simulator.tabletop.store import Store

__all__ = ["Exercise", "create_app"]

#: Names people give themselves or their team: letters, digits, spaces, a few signs.
_NAME = r"^[\w][\w .,'()-]{0,39}$"
#: How often (real seconds) the clocks of running rounds move.
TICK_S = 0.5


class _Team(BaseModel):
    team: Annotated[str, Field(pattern=_NAME)]


class _Clock(BaseModel):
    action: Literal["start", "pause", "step", "pace", "rewind"]
    minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 5.0  # step
    pace: Annotated[float, Field(gt=0, le=600)] | None = None  # simulated minutes per second
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


class Exercise:
    """The server's state: the scenario, the database, and the live rounds."""

    def __init__(self, scenario_path: Path, database: Path, seed: int | None = None) -> None:
        self.scenario_path = scenario_path
        self.scenario = load_scenario(scenario_path)
        self.exercise = check_exercise(self.scenario, str(scenario_path))
        self.hash = scenario_hash(self.scenario)
        self.seed = self.scenario.run.seed if seed is None else seed
        self.store = Store(database)
        self.token = self.store.token()
        self.lock = threading.Lock()
        self.rounds: dict[int, Round] = {}
        self.running: dict[int, bool] = {}
        self.pace: dict[int, float] = {}
        for row in self.store.rounds():  # resume every round from the database
            if row.scenario_hash != self.hash:
                raise ValueError(f"{database}: round {row.id} was played on another version of "
                                 f"{row.scenario}; use a new --db for the changed scenario")
            round_ = Round(self.scenario, row.team, row.seed)
            round_._play(self.store.decisions(row.id), self.store.injects(row.id), row.minute)
            self.rounds[row.id] = round_
            self.running[row.id] = row.running
            self.pace[row.id] = row.pace

    # -- rounds ------------------------------------------------------------------------------
    def new_round(self, team: str) -> int:
        with self.lock:
            round_ = Round(self.scenario, team, self.seed)
            pace = self.exercise.pace
            round_id = self.store.add_round(team, str(self.scenario_path), self.hash, self.seed,
                                            round_.minute, pace)
            self.rounds[round_id], self.running[round_id], self.pace[round_id] = round_, False, pace
            return round_id

    def get(self, round_id: int) -> Round:
        if round_id not in self.rounds:
            raise HTTPException(404, f"no round {round_id}")
        return self.rounds[round_id]

    def save(self, round_id: int) -> None:
        self.store.set_clock(round_id, self.rounds[round_id].minute, self.running[round_id],
                             self.pace[round_id])

    def tick(self, seconds: float) -> None:
        """Move every running round's clock by its pace × ``seconds``."""
        with self.lock:
            for round_id, round_ in self.rounds.items():
                if not self.running[round_id]:
                    continue
                for record in round_.overdue():
                    self.store.add_decision(round_id, record)
                round_.advance(self.pace[round_id] * seconds)
                if round_.finished:
                    self.running[round_id] = False
                self.save(round_id)

    def clock(self, round_id: int, order: _Clock) -> dict[str, Any]:
        """Start, pause, step, change the pace of, or rewind a round's clock."""
        round_ = self.get(round_id)
        if order.action == "start":
            self.running[round_id] = not round_.finished
        elif order.action == "pause":
            self.running[round_id] = False
        elif order.action == "step":
            round_.advance(order.minutes)
        elif order.action == "pace":
            if order.pace is None:
                raise HTTPException(422, "expected 'pace' (simulated minutes per second)")
            self.pace[round_id] = order.pace
        else:
            if order.to_minute is None or order.to_minute > round_.minute:
                raise HTTPException(422, f"expected 'to_minute' between 0 and now "
                                         f"({round_.minute:g})")
            target = max(order.to_minute, self.exercise.start_at)
            self.rounds[round_id] = round_.replay(target)
            self.running[round_id] = False
            self.store.truncate(round_id, target)
        self.save(round_id)
        return {"minute": self.rounds[round_id].minute, "running": self.running[round_id]}

    # -- views -------------------------------------------------------------------------------
    def state(self, round_id: int, facilitator: bool) -> dict[str, Any]:
        round_ = self.get(round_id)
        simulation = round_.simulation
        model = simulation.state()
        outages = [ticket for ticket in model.open_tickets if ticket.case_id.startswith("OUT")]
        queues = {team: sum(1 for ticket in model.open_tickets
                            if ticket.team == team and ticket.status == "queued")
                  for team in self.scenario.teams}
        declared = [row["case"] for row in round_.timeline()
                    if row["what"] == "major incident declared"]
        restored = {row["case"] for row in round_.timeline() if row["what"] == "restored"}
        state: dict[str, Any] = {
            "round": round_id, "team": round_.team, "title": self.exercise.title,
            "briefing": self.exercise.briefing, "clock": simulation.clock.isoformat(sep=" "),
            "minute": round_.minute, "running": self.running[round_id],
            "pace": self.pace[round_id], "finished": round_.finished,
            "messages": [{"clock": _clock(round_, minute), "name": inject.name, "text": inject.text}
                         for minute, inject in round_.messages if inject.text],
            "decisions": [{"key": d.key, "kind": d.kind, "question": d.question,
                           "options": list(d.options), "several": d.several, "default": d.default}
                          for d in round_.pending()],
            "major_incidents": [case for case in declared if case not in restored],
            "outage_tickets": [{"case": t.case_id, "priority": t.priority, "team": t.team,
                                "status": t.status, "age_min": round(t.age_min, 1)}
                               for t in outages[:50]],
            "open_outage_tickets": len(outages),
            "queues": queues,
            "scoreboard": round_.scoreboard(),
        }
        if facilitator:
            state["timeline"] = [{**row, "clock": _clock(round_, float(row["minute"]))}  # type: ignore[arg-type]
                                 for row in round_.timeline()][-80:]
            state["injects"] = [{"name": inject.name, "kind": inject.kind, "text": inject.text,
                                 "at": None if inject.at is None else _clock(round_, inject.at),
                                 "fired": any(m[1].name == inject.name for m in round_.messages)}
                                for inject in self.exercise.injects]
            state["facilitator_notes"] = self.exercise.facilitator_notes
            state["decision_log"] = [record.__dict__ for record in round_.decisions]
            state["published"] = [
                {**row, "published": _clock(round_, float(row["published_min"])),  # type: ignore[arg-type]
                 "team": None if row["team_min"] is None else _clock(round_, float(row["team_min"]))}  # type: ignore[arg-type]
                for row in published_comparison(round_)]
        return state


def _clock(round_: Round, minute: float) -> str:
    import datetime as dt

    return (round_.scenario.run.start + dt.timedelta(minutes=minute)).strftime("%H:%M")


def create_app(exercise: Exercise, tick_s: float | None = TICK_S) -> FastAPI:
    """The web app of an exercise (``tick_s=None``: clocks move only when stepped)."""

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
        given = x_facilitator_token or token or ""
        if not secrets.compare_digest(given.encode(), exercise.token.encode()):
            raise HTTPException(403, "this needs the facilitator's token")

    def is_facilitator(x_facilitator_token: Annotated[str | None, Header()] = None) -> bool:
        return x_facilitator_token is not None and secrets.compare_digest(
            x_facilitator_token.encode(), exercise.token.encode())

    # (Dependencies as default values: they are local to this app, which string annotations
    # could not name.)
    only_facilitator = Depends(facilitator)
    facilitator_or_not = Depends(is_facilitator)

    _add_pages(app, exercise, only_facilitator)
    _add_api(app, exercise, only_facilitator, facilitator_or_not)
    return app


def _add_pages(app: FastAPI, exercise: Exercise, only_facilitator: Any) -> None:
    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return INDEX_PAGE

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)  # no icon, and no error in the browser's console

    @app.get("/play/{round_id}", response_class=HTMLResponse)
    def play(round_id: int) -> str:
        exercise.get(round_id)
        return PLAYER_PAGE

    @app.get("/console", response_class=HTMLResponse)
    def console(_: None = only_facilitator) -> str:
        return CONSOLE_PAGE



def _add_api(app: FastAPI, exercise: Exercise, only_facilitator: Any,
             facilitator_or_not: Any) -> None:
    @app.get("/api/rounds")
    def rounds() -> list[dict[str, Any]]:
        return [{"id": round_id, "team": round_.team, "minute": round_.minute,
                 "clock": round_.simulation.clock.isoformat(sep=" "),
                 "running": exercise.running[round_id], "finished": round_.finished}
                for round_id, round_ in exercise.rounds.items()]

    @app.post("/api/rounds")
    def new_round(body: _Team, _: None = only_facilitator) -> dict[str, int]:
        return {"id": exercise.new_round(body.team)}

    @app.get("/api/rounds/{round_id}/state")
    def state(round_id: int, full: bool = facilitator_or_not) -> dict[str, Any]:
        with exercise.lock:
            return exercise.state(round_id, full)

    @app.post("/api/rounds/{round_id}/clock")
    def clock(round_id: int, body: _Clock, _: None = only_facilitator) -> dict[str, Any]:
        with exercise.lock:
            return exercise.clock(round_id, body)

    @app.post("/api/rounds/{round_id}/decisions")
    def decide(round_id: int, body: _Answer, full: bool = facilitator_or_not
               ) -> dict[str, Any]:
        with exercise.lock:
            round_ = exercise.get(round_id)
            try:
                who = body.who if not full or body.who == "facilitator" else \
                    f"{body.who} (facilitator)"
                record = round_.decide(body.key, body.answer, who)
            except KeyError as error:
                raise HTTPException(409, str(error).strip("'\"")) from None
            except ValueError as error:
                raise HTTPException(422, str(error)) from None
            exercise.store.add_decision(round_id, record)
            exercise.save(round_id)
            return {"answer": record.answer, "minute": record.minute}

    @app.post("/api/rounds/{round_id}/injects")
    def fire(round_id: int, body: _Inject, _: None = only_facilitator) -> dict[str, Any]:
        with exercise.lock:
            round_ = exercise.get(round_id)
            try:
                record = round_.fire(body.name, "facilitator")
            except KeyError as error:
                raise HTTPException(404, str(error).strip("'\"")) from None
            exercise.store.add_inject(round_id, record)
            exercise.save(round_id)
            return {"name": record.name, "minute": record.minute}

    @app.post("/api/rounds/{round_id}/updates")
    def update(round_id: int, body: _Update) -> dict[str, bool]:
        with exercise.lock:
            sent = exercise.get(round_id).send_update(body.case, body.who)
            if not sent:
                raise HTTPException(409, f"{body.case} is not an open major incident with "
                                         f"someone on its bridge")
            return {"sent": True}

    @app.get("/api/rounds/{round_id}/debrief", response_class=PlainTextResponse)
    def debrief(round_id: int) -> str:
        with exercise.lock:
            round_ = exercise.get(round_id)
            text = debrief_markdown(round_)
        return text

    @app.get("/api/compare")
    def compare(_: None = only_facilitator) -> list[dict[str, Any]]:
        with exercise.lock:
            return [{"id": round_id, "team": round_.team, "clock": _clock(round_, round_.minute),
                     "decisions": len(round_.decisions), **round_.scoreboard()}
                    for round_id, round_ in exercise.rounds.items()]

    @app.get("/api/exercise")
    def about(full: bool = facilitator_or_not) -> dict[str, Any]:
        document: dict[str, Any] = {"title": exercise.exercise.title,
                                    "briefing": exercise.exercise.briefing,
                                    "scenario": exercise.scenario.name}
        if full:
            document["facilitator_notes"] = exercise.exercise.facilitator_notes
        return document


