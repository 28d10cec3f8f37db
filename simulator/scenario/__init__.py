"""Scenario layer: the scenario language (units, distributions, calendars, schema) and its loader.

Nothing here knows about SimPy: a :class:`Scenario` is plain, immutable, validated data.
"""

from simulator.scenario.calendars import Calendar, CalendarClock
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.loader import apply_overrides, load_scenario, parse_scenario, scenario_hash
from simulator.scenario.schema import Scenario

__all__ = [
    "Calendar",
    "CalendarClock",
    "Problem",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
    "scenario_hash",
]
