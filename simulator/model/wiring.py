"""Model layer: what every component of one run shares.

:class:`~simulator.model.simulation.Simulation` builds one :class:`Wiring` per
replication and the components in the order they depend on each other — the
incident flow (with its teams and SLA watch), then change management, problem
management and the outages — handing each the wiring and the components it uses.
Nothing is connected afterwards: a ticket about an outage, or a root-cause
analysis, carries what the flow must tell when its work is done
(:class:`~simulator.model.incident.OutageHooks`,
:class:`~simulator.model.incident.ProblemHooks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.model.decisions import DecisionPoints
from simulator.model.engine import ModelEnvironment
from simulator.model.incident import Recorder
from simulator.model.streams import RandomStreams
from simulator.scenario.calendars import CalendarClock
from simulator.scenario.schema import Scenario

__all__ = ["Wiring"]


@dataclass(frozen=True)
class Wiring:
    """The shared parts of one run.

    Attributes
    ----------
    env
        The SimPy environment (its clock is in minutes since the scenario's start), with the
        model's cheaper scheduling of callbacks (:mod:`simulator.model.engine`).
    scenario
        The organisation being simulated.
    recorder
        Where event-log rows go.
    streams
        The run's named random streams.
    decisions
        Where the policy, or a person, answers the model's questions.
    calendars
        The scenario's calendars by name (and ``24x7``), on the run's minute axis.
    """

    env: ModelEnvironment
    scenario: Scenario
    recorder: Recorder
    streams: RandomStreams
    decisions: DecisionPoints
    calendars: dict[str, CalendarClock]
