"""Invariants of a desk with abandonment, callbacks, shrinkage and breaks (scenarios/phone-desk.yaml):
every contact's log tells a possible story (an abandoned contact ends there), nothing is lost,
no agent works two things at once, and nobody starts work while off duty (on a break, absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.eventlog.log import SimulationLog
from simulator.metrics import encode
from simulator.metrics.teams import work_sessions
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario
from tests.validation.test_invariants import NEXT, _story_problems

pytestmark = pytest.mark.slow  # a two-week phone desk, about 20 s

SCENARIO = Path(__file__).parents[2] / "scenarios" / "phone-desk.yaml"
#: The roster cut a little so that callers do hang up (the shipped one rarely keeps them waiting).
SHORT = ["run.horizon=2w", "run.warmup=1d", "teams.service_desk.roster.day.headcount=6",
         "teams.service_desk.roster.early.headcount=8"]
STORIES = {**NEXT, "queued": NEXT["queued"] | {"abandoned"}, "abandoned": set()}


@pytest.fixture(scope="module")
def phone_log() -> tuple[Simulation, SimulationLog]:
    simulation = Simulation(load_scenario(SCENARIO, SHORT), replication=1)
    simulation.run()
    return simulation, simulation.results()


def test_every_contact_tells_a_possible_story(phone_log: tuple[Simulation, SimulationLog],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.validation.test_invariants.NEXT", STORIES)
    events = phone_log[1].events.sort_values("seq")
    stories = events.groupby("case_id", observed=True)["activity"].agg(lambda s: list(s.astype(str)))
    problems = {case: _story_problems(story) for case, story in stories.items()}
    assert {case: problem for case, problem in problems.items() if problem} == {}
    counts = events["activity"].astype(str).value_counts()
    assert counts["abandoned"] > 100 and (events["case_id"].astype(str).str.startswith("CBK")).any()


def test_nothing_is_lost(phone_log: tuple[Simulation, SimulationLog]) -> None:
    simulation, log = phone_log
    events = log.events
    arrived = set(events.loc[events["activity"] == "arrived", "case_id"].astype(str))
    last = events.sort_values("seq").groupby("case_id", observed=True)["activity"].last().astype(str)
    settled = set(last.index[last.isin(["resolved", "closed", "abandoned"])])
    states = {ticket.case_id for ticket in simulation.state().open_tickets}
    assert states == arrived - settled
    assert not states & set(last.index[last == "abandoned"])


def test_no_agent_works_two_things_or_starts_work_off_duty(
        phone_log: tuple[Simulation, SimulationLog]) -> None:
    _, log = phone_log
    end = (log.end - log.start).total_seconds() / 60.0
    sessions = work_sessions(encode(log.events, log.start), end).sort_values(["agent", "start"])
    same = sessions["agent"].to_numpy()[1:] == sessions["agent"].to_numpy()[:-1]
    assert not (same & (sessions["start"].to_numpy()[1:] < sessions["end"].to_numpy()[:-1] - 1e-9)).any()
    duty = log.duty.sort_values("timestamp", kind="stable")
    minutes = (duty["timestamp"] - pd.Timestamp(log.start)).dt.total_seconds().to_numpy() / 60.0
    agents = duty["agent"].astype(str).to_numpy()
    on = duty["on_duty"].to_numpy()
    names = encode(log.events, log.start).agents
    off_duty_starts = 0
    for code, name in enumerate(names):
        mine = agents == name
        times, states = minutes[mine], on[mine]
        starts = sessions.loc[sessions["agent"] == code, "start"].to_numpy()
        # the state in force at each start: the last change at or before it
        index = np.searchsorted(times, starts + 1e-9, side="right") - 1
        off_duty_starts += int(((index < 0) | ~states[np.maximum(index, 0)]).sum())
    assert off_duty_starts == 0
    assert (~on).sum() > 1000  # breaks and shift ends were taken
