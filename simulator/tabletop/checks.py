"""Tabletop layer: what a scenario needs to be played as an exercise, beyond its own checks."""

from __future__ import annotations

from simulator.eventlog.log import ACTIVITIES
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.exercise import Exercise
from simulator.scenario.schema import Scenario

__all__ = ["check_exercise"]


def check_exercise(scenario: Scenario, source: str) -> Exercise:
    """The scenario's exercise, or a :class:`ScenarioError` saying what is missing or wrong."""
    if scenario.exercise is None:
        raise ScenarioError([Problem(("exercise",), "expected an 'exercise' section (title, "
                                                    "injects, ...) to play this scenario as a "
                                                    "tabletop exercise; found none", source)])
    problems = [Problem(("exercise", "published_timeline", index, "activity"),
                        f"expected an activity of the event log; found {moment.activity!r}", source)
                for index, moment in enumerate(scenario.exercise.published_timeline)
                if moment.activity is not None and moment.activity not in ACTIVITIES]
    problems += [Problem(("exercise", "injects", index, "service"),
                         f"expected a service of the scenario ({', '.join(scenario.services)}); "
                         f"found {inject.service!r}", source)
                 for index, inject in enumerate(scenario.exercise.injects)
                 if inject.service is not None and inject.service not in scenario.services]
    teams = ", ".join(scenario.teams)
    problems += [Problem(("exercise", "injects", index, "when", "queue_at_least", team),
                         f"expected a team of the scenario ({teams}); found {team!r}", source)
                 for index, inject in enumerate(scenario.exercise.injects) if inject.when is not None
                 for team in inject.when.queue_at_least if team not in scenario.teams]
    problems += [Problem(("exercise", "roles", name, "team"),
                         f"expected a team of the scenario ({teams}); found {role.team!r}", source)
                 for name, role in scenario.exercise.roles.items()
                 if role.team is not None and role.team not in scenario.teams]
    if problems:
        raise ScenarioError(problems)
    return scenario.exercise
