"""Tabletop layer: play a scenario as a major-incident exercise (``mimsim tabletop``).

:mod:`~simulator.tabletop.session` drives one team's round (clock, injects, decisions,
replay), :mod:`~simulator.tabletop.store` keeps every round in SQLite so that nothing is
lost on a refresh or a restart, :mod:`~simulator.tabletop.debrief` writes the post-incident
review, and :mod:`~simulator.tabletop.app` serves the facilitator console and the players'
view.
"""

from simulator.tabletop.session import DecisionRecord, InjectRecord, Round, check_exercise

__all__ = ["DecisionRecord", "InjectRecord", "Round", "check_exercise"]
