"""Model layer: the SimPy model of the incident flow (arrivals, teams, shifts, SLA clocks).

Its one output is the event log (:class:`simulator.eventlog.SimulationLog`).
"""

from simulator.model.simulation import AgentState, ModelState, Simulation, TicketState, TicketStatus
from simulator.model.streams import RandomStreams

__all__ = ["AgentState", "ModelState", "RandomStreams", "Simulation", "TicketState", "TicketStatus"]
