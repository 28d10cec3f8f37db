"""Tabletop layer: play a scenario as a major-incident exercise (``mimsim tabletop``).

:mod:`~simulator.tabletop.session` drives one team's round (clock, injects, decisions,
stakeholder updates, notes, the end, replay) and :mod:`~simulator.tabletop.records` is its
record of actions; :mod:`~simulator.tabletop.digest` reads the event log as it grows for the
views (:mod:`~simulator.tabletop.views`); :mod:`~simulator.tabletop.store` keeps every round
and action in SQLite so that nothing acknowledged is lost on a refresh, a crash or a restart;
:mod:`~simulator.tabletop.debrief` writes the post-incident review (Markdown and HTML);
:mod:`~simulator.tabletop.live` holds the running exercise, and :mod:`~simulator.tabletop.app`
serves the facilitator console and the players' view behind
:mod:`~simulator.tabletop.security`'s guard.
"""

from simulator.tabletop.session import DecisionRecord, InjectRecord, Round, check_exercise

__all__ = ["DecisionRecord", "InjectRecord", "Round", "check_exercise"]
