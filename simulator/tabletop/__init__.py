"""Tabletop layer: play a scenario as a major-incident exercise (``mimsim tabletop``).

:mod:`~simulator.tabletop.session` drives one team's round (clock, injects, decisions,
stakeholder updates, observations, the end, replay) and :mod:`~simulator.tabletop.records`
is its record of actions (:mod:`~simulator.tabletop.timeline`: how each shows);
:mod:`~simulator.tabletop.branching` says when a branching inject's condition holds and
:mod:`~simulator.tabletop.draw` draws a round's pieces from its seed;
:mod:`~simulator.tabletop.objectives` judges the objectives as the round goes;
:mod:`~simulator.tabletop.digest` reads the event log as it grows for the views
(:mod:`~simulator.tabletop.views`); :mod:`~simulator.tabletop.people` holds the join links,
the players' tokens and what each role may do; :mod:`~simulator.tabletop.store` keeps every
round, person and action in SQLite so that nothing acknowledged is lost on a refresh, a
crash or a restart; :mod:`~simulator.tabletop.debrief` writes the after-action report
(Markdown and HTML) with :mod:`~simulator.tabletop.aar`'s analysis (the policy's
counterfactual, the improvement plan); :mod:`~simulator.tabletop.live` holds the running
exercise, and :mod:`~simulator.tabletop.app` serves the facilitator console, the players'
view, the join pages and the wall screen (:mod:`~simulator.tabletop.pages`) behind
:mod:`~simulator.tabletop.security`'s guard. :mod:`~simulator.tabletop.checks` says what a
scenario needs to be played.
"""

from simulator.tabletop.session import DecisionRecord, InjectRecord, Round, check_exercise

__all__ = ["DecisionRecord", "InjectRecord", "Round", "check_exercise"]
