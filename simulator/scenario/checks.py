"""Scenario layer: checks that span several sections of a scenario.

Each check returns :class:`~simulator.scenario.errors.Problem` items naming the
key path at fault, so that a user sees every mistake at once rather than the
first one. :func:`raise_problems` runs them all; the loader calls it once the
sections of a :class:`~simulator.scenario.schema.Scenario` have validated (this
module reads the schema, the schema knows nothing of it).
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from simulator.scenario.calendars import ALWAYS_OPEN
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.routing import path_teams, unresolvable_histories
from simulator.scenario.schema import ResolverGroup, Scenario
from simulator.scenario.targets import parse_target
from simulator.scenario.units import format_duration

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["ENTRIES", "RESOLVED", "raise_problems", "routing_graph", "scenario_problems"]

#: The node of the routing graph that means "resolved".
RESOLVED = "(resolved)"
#: The nodes where tickets enter the routing graph: new incidents reach the desk; the initial
#: backlog starts in its teams; a problem's root-cause analysis starts in the problem team.
NEW_INCIDENTS, INITIAL_BACKLOG, PROBLEMS = "(new incidents)", "(initial backlog)", "(problems)"
ENTRIES = (NEW_INCIDENTS, INITIAL_BACKLOG, PROBLEMS)
_TOLERANCE = 1e-6
#: The most incidents one run may bring (a year of a very large desk is a few million).
MAX_INCIDENTS = 20_000_000
KeyPath = tuple[str | int, ...]


def _closest(name: str, options: Mapping[str, object] | tuple[str, ...]) -> str:
    match = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _known(kind: str, name: str, options: Mapping[str, object] | tuple[str, ...],
           path: tuple[str | int, ...]) -> Iterator[Problem]:
    if name not in options:
        listed = ", ".join(repr(option) for option in options) or "none defined"
        yield Problem(path, f"expected the name of a {kind} ({listed}); found {name!r}"
                            f"{_closest(name, options)}")


def _sums_to_one(shares: Mapping[Any, float], path: KeyPath,
                 what: str) -> Iterator[Problem]:
    total = math.fsum(shares.values())
    if abs(total - 1.0) > _TOLERANCE:
        yield Problem(path, f"expected {what} that sum to 1; found a sum of {total:.6g}")


def _arrival_problems(scenario: Scenario) -> Iterator[Problem]:
    rows, columns = len(scenario.priority_matrix), len(scenario.priority_matrix[0])
    for name, stream in scenario.arrivals.items():
        path: tuple[str | int, ...] = ("arrivals", name)
        if stream.hour_of_day is not None:
            yield from _sums_to_one(dict(enumerate(stream.hour_of_day)), (*path, "hour_of_day"),
                                    "24 hourly shares")
        if stream.day_of_week is not None:
            mean = math.fsum(stream.day_of_week) / 7.0
            if abs(mean - 1.0) > _TOLERANCE:
                yield Problem((*path, "day_of_week"),
                              f"expected 7 weekday weights that average 1; found an average of "
                              f"{mean:.6g}")
        if stream.weekly is not None:
            cells = {(day, hour): share for day, row in enumerate(stream.weekly)
                     for hour, share in enumerate(row)}
            yield from _sums_to_one(cells, (*path, "weekly"), "7×24 shares of the week")
        for key in ("impact", "urgency", "impact_urgency"):
            if getattr(stream, key) is not None:
                yield from _sums_to_one(stream.impact_urgency_shares() if key == "impact_urgency"
                                        else getattr(stream, key), (*path, key), f"{key} shares")
        for impact, urgency in stream.impact_urgency_shares():
            if not 1 <= impact <= rows or not 1 <= urgency <= columns:
                yield Problem((*path, "impact_urgency" if stream.impact_urgency else "impact"),
                              f"expected impact levels 1 to {rows} and urgency levels 1 to "
                              f"{columns} (the priority matrix size); found impact {impact}, "
                              f"urgency {urgency}")
                break


def _channel_problems(scenario: Scenario) -> Iterator[Problem]:
    """A category comes by one channel at most: the channel KPIs find contacts by category."""
    channel_of: dict[str, str | None] = {}
    for name, stream in scenario.arrivals.items():
        category = scenario.category_of(name)
        if category in channel_of and channel_of[category] != stream.channel:
            yield Problem(("arrivals", name, "channel"),
                          f"expected the streams of category {category!r} to come by one channel "
                          f"(the channel KPIs find contacts by their category); found "
                          f"{channel_of[category]!r} and {stream.channel!r}")
        channel_of.setdefault(category, stream.channel)


def _priority_problems(scenario: Scenario) -> Iterator[Problem]:
    width = len(scenario.priority_matrix[0]) if scenario.priority_matrix else 0
    for row_index, row in enumerate(scenario.priority_matrix):
        if len(row) != width or width == 0:
            yield Problem(("priority_matrix", row_index),
                          f"expected every row to have {width} priorities; found {len(row)}")
        for column, name in enumerate(row):
            yield from _known("priority", name, scenario.priorities,
                              ("priority_matrix", row_index, column))
    calendars = (ALWAYS_OPEN, *scenario.calendars)
    for name, priority in scenario.priorities.items():
        yield from _known("calendar", priority.calendar, calendars,
                          ("priorities", name, "calendar"))
        for penalty, target in (("breach_penalty", "resolution"),
                                ("response_breach_penalty", "response")):
            if getattr(priority, penalty) is not None and getattr(priority, target) is None:
                yield Problem(("priorities", name, penalty),
                              f"expected a '{target}' target whose breaches the penalty counts; "
                              f"found no '{target}' target for {name}")


def _flow_team_problems(scenario: Scenario) -> Iterator[Problem]:
    flow, teams = scenario.flow, scenario.teams
    for name, team in teams.items():
        for index, priority in enumerate(team.on_call.priorities if team.on_call else ()):
            yield from _known("priority", priority, scenario.priorities,
                              ("teams", name, "on_call", "priorities", index))
    yield from _known("team", flow.desk.team, teams, ("flow", "desk", "team"))
    for name in flow.groups:
        yield from _known("team", name, teams, ("flow", "groups", name))
        if name == flow.desk.team:
            yield Problem(("flow", "groups", name),
                          "expected resolver groups other than the desk team; found the desk")


def _escalation_problems(scenario: Scenario) -> Iterator[Problem]:
    desk, groups = scenario.flow.desk, scenario.flow.groups
    escalations: dict[KeyPath, dict[str, float]] = {("flow", "desk", "escalation"): desk.escalation}
    for category, shares in desk.escalation_by_category.items():
        escalations[("flow", "desk", "escalation_by_category", category)] = shares
    for path, shares in escalations.items():
        for target in shares:
            yield from _known("resolver group in flow.groups", target, groups, (*path, target))
        if shares:
            yield from _sums_to_one(shares, path, "escalation shares")
    for category in scenario.categories():
        fcr = desk.fcr_for(category)
        if fcr < 1.0 and not desk.escalation_for(category):
            yield Problem(("flow", "desk", "escalation"),
                          f"expected escalation shares for the {1.0 - fcr:.0%} of {category!r} "
                          f"tickets the desk does not resolve; found none")
    for key in ("first_contact_resolution_by_category", "escalation_by_category"):
        for category in getattr(desk, key):
            yield from _known("category", category, scenario.categories(),
                              ("flow", "desk", key, category))


def _shares_problems(name: str, shares: dict[str, float], groups: Mapping[str, object],
                     path: KeyPath) -> Iterator[Problem]:
    """Transfer shares of group ``name``: to other known groups, summing to at most 1."""
    for target in shares:
        yield from _known("resolver group in flow.groups", target, groups, (*path, target))
        if target == name:
            yield Problem((*path, target), "expected transfers to other groups; found a transfer to itself")
    total = math.fsum(shares.values())
    if total > 1.0 + _TOLERANCE:
        yield Problem(path, f"expected transfer probabilities that sum to at most 1 (the rest is "
                            f"resolved in the group); found a sum of {total:.6g}")


def _transfer_problems(scenario: Scenario) -> Iterator[Problem]:
    groups = scenario.flow.groups
    for name, group in groups.items():
        path: KeyPath = ("flow", "groups", name)
        yield from _shares_problems(name, group.transfer, groups, (*path, "transfer"))
        for index, rule in enumerate(group.transfer_by_history):
            here = (*path, "transfer_by_history", index)
            if rule.came_from is not None:
                yield from _known("team", rule.came_from, scenario.teams, (*here, "came_from"))
            if rule.priority is not None:
                yield from _known("priority", rule.priority, scenario.priorities, (*here, "priority"))
            yield from _shares_problems(name, rule.transfer, groups, (*here, "transfer"))
        for key in ("handling_by_priority", "handling_when_transferred_by_priority",
                    "handling_after_transfer_by_priority"):
            for priority in getattr(group, key):
                yield from _known("priority", priority, scenario.priorities, (*path, key, priority))


def _path_problems(scenario: Scenario) -> Iterator[Problem]:
    """``flow.paths``: known groups, priorities and categories; paths that start at their first group."""
    groups = scenario.flow.groups
    for index, rule in enumerate(scenario.flow.paths):
        here: KeyPath = ("flow", "paths", index)
        yield from _known("resolver group in flow.groups", rule.first, groups, (*here, "first"))
        if rule.priority is not None:
            yield from _known("priority", rule.priority, scenario.priorities, (*here, "priority"))
        if rule.category is not None:
            yield from _known("category", rule.category, scenario.categories(), (*here, "category"))
        for path in rule.paths:
            teams = path_teams(path)
            if teams[0] != rule.first and rule.first in groups:
                yield Problem((*here, "paths", path), f"expected a path that starts at its rule's first "
                                                      f"group {rule.first!r}; found one that starts at "
                                                      f"{teams[0]!r}")
            for name in teams[1:]:
                yield from _known("resolver group in flow.groups", name, groups, (*here, "paths", path))
        total = math.fsum(rule.paths.values())
        if total > 1.0 + _TOLERANCE:
            yield Problem((*here, "paths"), f"expected path shares that sum to at most 1 (the rest is "
                                            f"routed by the groups' transfers); found a sum of {total:.6g}")


class _Routes:
    """A directed graph of a dozen nodes, just enough for the routing checks that run on every
    scenario load: networkx's import alone costs more than a whole load otherwise, so the graph
    becomes a :class:`networkx.DiGraph` only when asked for (:func:`routing_graph`). Nodes and
    edges keep the order they were added in, as networkx's do."""

    def __init__(self) -> None:
        self._successors: dict[str, dict[str, dict[str, Any]]] = {}
        self._added: list[tuple[str, str, dict[str, Any]]] = []  # edges in the order added

    def add_node(self, node: str) -> None:
        self._successors.setdefault(node, {})

    def add_edge(self, source: str, target: str, **attributes: Any) -> None:
        self.add_node(source)
        self.add_node(target)
        if target not in self._successors[source]:
            self._successors[source][target] = {}
            self._added.append((source, target, self._successors[source][target]))
        self._successors[source][target].update(attributes)

    def has_edge(self, source: str, target: str) -> bool:
        return target in self._successors.get(source, {})

    def __contains__(self, node: object) -> bool:
        return node in self._successors

    def __iter__(self) -> Iterator[str]:
        return iter(self._successors)

    def edges(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every edge with its attributes, in the order they were added."""
        return self._added

    def descendants(self, node: str) -> set[str]:
        """The nodes a ticket at ``node`` can reach (not ``node`` itself, as in networkx)."""
        return _reached(node, lambda here: self._successors[here])

    def ancestors(self, node: str) -> set[str]:
        """The nodes from which a ticket can reach ``node`` (not ``node`` itself)."""
        predecessors: dict[str, list[str]] = {name: [] for name in self._successors}
        for source, target, _ in self.edges():
            predecessors[target].append(source)
        return _reached(node, lambda here: predecessors[here])


def _reached(start: str, neighbours: Callable[[str], Iterable[str]]) -> set[str]:
    """The nodes reached from ``start``, ``start`` itself excluded."""
    seen: set[str] = set()
    todo: list[str] = [start]
    while todo:
        for nxt in neighbours(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    seen.discard(start)
    return seen


def routing_graph(scenario: Scenario) -> nx.DiGraph:
    """The directed graph of where tickets can go (group transfers carry their probability).

    Its nodes are the desk, the resolver groups, :data:`RESOLVED` and the entries
    (:data:`ENTRIES`) that exist; an edge says a ticket can move that way. A service's
    outage reaches its owner group through the desk (the primary ticket of an outage
    without the major-incident process), so that edge is there too (``kind="outage"``).
    """
    import networkx as nx

    routes = _routes(scenario)
    graph = nx.DiGraph()
    graph.add_nodes_from(routes)
    graph.add_edges_from(routes.edges())
    return graph


def _routes(scenario: Scenario) -> _Routes:
    """The routing graph (see :func:`routing_graph`), as the checks read it."""
    flow = scenario.flow
    graph = _Routes()
    desk = flow.desk
    graph.add_edge(NEW_INCIDENTS, desk.team)
    for category in scenario.categories():
        fcr = desk.fcr_for(category)
        if fcr > 0.0:
            graph.add_edge(desk.team, RESOLVED)
        if fcr < 1.0:
            for target, share in desk.escalation_for(category).items():
                if share > 0.0:
                    graph.add_edge(desk.team, target)
    for name, group in flow.groups.items():
        _add_group_routes(graph, name, group)
    for rule in flow.paths:  # a path's hand-offs, and its resolution in its last group
        for path in rule.paths:
            teams = [name for name in path_teams(path) if name in flow.groups]
            for source, target in itertools.pairwise(teams):
                if not graph.has_edge(source, target):
                    graph.add_edge(source, target)
            if teams and not graph.has_edge(teams[-1], RESOLVED):
                graph.add_edge(teams[-1], RESOLVED)
    _add_other_entries(graph, scenario)
    return graph


def _add_group_routes(graph: _Routes, name: str, group: ResolverGroup) -> None:
    """A group's transfers (with their probability) and resolution; routes only some histories take."""
    graph.add_node(name)
    for target, share in group.transfer.items():
        if share > 0.0:
            graph.add_edge(name, target, probability=share)
    for rule in group.transfer_by_history:
        for target, share in rule.transfer.items():
            if share > 0.0 and not graph.has_edge(name, target):
                graph.add_edge(name, target)
    resolved_here = 1.0 - math.fsum(group.transfer.values())
    if resolved_here > _TOLERANCE:
        graph.add_edge(name, RESOLVED, probability=resolved_here)
    elif any(math.fsum(rule.transfer.values()) < 1.0 - _TOLERANCE for rule in group.transfer_by_history):
        graph.add_edge(name, RESOLVED)


def _add_other_entries(graph: _Routes, scenario: Scenario) -> None:
    """Where tickets enter besides the desk: the initial backlog, outages, problems."""
    desk = scenario.flow.desk.team
    for item in scenario.initial_backlog:
        graph.add_edge(INITIAL_BACKLOG, item.team)
    for service in scenario.services.values():
        if service.owner != desk and not graph.has_edge(desk, service.owner):
            graph.add_edge(desk, service.owner, kind="outage")
    if scenario.problems is not None and scenario.problems.team in graph:
        graph.add_edge(PROBLEMS, scenario.problems.team)


def _routing_problems(scenario: Scenario) -> Iterator[Problem]:
    graph = _routes(scenario)
    desk = scenario.flow.desk.team
    if RESOLVED not in graph:
        yield Problem(("flow",), "expected a routing in which tickets can be resolved; "
                                 "found no team that resolves anything")
        return
    can_finish = graph.ancestors(RESOLVED) | {RESOLVED}
    reachable = graph.descendants(desk) | {desk}
    stuck = [name for name in graph if name in reachable - can_finish]
    if stuck:
        first = stuck[0]
        path = ("flow", "desk") if first == desk else ("flow", "groups", first, "transfer")
        names = " and ".join(repr(name) for name in stuck)
        yield Problem(path, f"expected every ticket to be resolvable; tickets that reach {names} "
                            f"can never be resolved (they only transfer among groups that "
                            f"resolve nothing)")
    yield from _history_problems(scenario)
    entered = set().union(*(graph.descendants(entry) for entry in ENTRIES if entry in graph))
    for name in scenario.flow.groups:
        if name not in entered:
            yield Problem(("flow", "groups", name),
                          f"expected a resolver group that tickets can reach; found that nothing "
                          f"sends tickets to {name!r} (no share of the desk's escalation, no "
                          f"transfer from another group, no initial backlog, no service it owns)")
    for backlog_index, item in enumerate(scenario.initial_backlog):
        if item.team in graph and item.team not in can_finish:
            yield Problem(("initial_backlog", backlog_index, "team"),
                          f"expected a team from which tickets can be resolved; found {item.team!r}")


def _history_problems(scenario: Scenario) -> Iterator[Problem]:
    """With routing with memory, every history a ticket can reach must let it be resolved."""
    groups = scenario.flow.groups
    if not any(group.transfer_by_history for group in groups.values()):
        return
    for priority in scenario.priorities:
        stuck = unresolvable_histories(dict.fromkeys(groups, 1.0),
                                       {name: group.transfer for name, group in groups.items()},
                                       {name: group.transfer_by_history for name, group in groups.items()},
                                       scenario.flow.desk.team, priority)
        if stuck:
            group, source, handoffs = stuck[0]
            yield Problem(("flow", "groups", group, "transfer_by_history"),
                          f"expected every ticket to be resolvable; a {priority} ticket that reaches "
                          f"{group!r} from {source!r} after {handoffs} hand-off(s) or more can never be "
                          f"resolved (its rules only transfer it among groups that resolve nothing for "
                          f"such tickets)")
            return


def _backlog_problems(scenario: Scenario) -> Iterator[Problem]:
    routed = (scenario.flow.desk.team, *scenario.flow.groups)
    for index, item in enumerate(scenario.initial_backlog):
        yield from _known("team in the flow", item.team, routed, ("initial_backlog", index, "team"))
        yield from _known("priority", item.priority, scenario.priorities,
                          ("initial_backlog", index, "priority"))
        if item.category is not None:
            yield from _known("category", item.category, scenario.categories(),
                              ("initial_backlog", index, "category"))


def _size_problems(scenario: Scenario) -> Iterator[Problem]:
    """A run must fit in memory: refuse demand far beyond any real service desk."""
    horizon = scenario.run.horizon
    for name, stream in scenario.arrivals.items():
        expected = (stream.volume or 0.0) * horizon
        if expected > MAX_INCIDENTS:
            yield Problem(("arrivals", name, "volume"),
                          f"expected at most {MAX_INCIDENTS:,} incidents in a run; found about "
                          f"{expected:,.0f} from this stream over the horizon")
    for name in scenario.teams:
        if name in scenario.priorities:
            yield Problem(("teams", name), f"expected team names that differ from priority names "
                                           f"(targets such as '{name}.backlog_end' would be "
                                           f"ambiguous); found {name!r}")
    for name in scenario.services:
        if name in scenario.priorities or name in scenario.teams:
            yield Problem(("services", name), f"expected service names that differ from priority "
                                              f"and team names (targets such as '{name}.outages' "
                                              f"would be ambiguous); found {name!r}")


def _beyond_horizon(path: KeyPath, at: float, scenario: Scenario) -> Problem:
    return Problem(path, f"expected a time within the horizon "
                         f"({format_duration(scenario.run.horizon)}); found {format_duration(at)}")


def _service_problems(scenario: Scenario) -> Iterator[Problem]:
    routed = (scenario.flow.desk.team, *scenario.flow.groups)
    calendars = (ALWAYS_OPEN, *scenario.calendars)
    for name, service in scenario.services.items():
        yield from _known("team in the flow", service.owner, routed, ("services", name, "owner"))
        yield from _known("calendar", service.downtime_cost.calendar, calendars,
                          ("services", name, "downtime_cost", "calendar"))
        for index, at in enumerate(service.failures.at if service.failures else ()):
            if at >= scenario.run.horizon:
                yield _beyond_horizon(("services", name, "failures", "at", index), at, scenario)
    for index, outage in enumerate(scenario.outages):
        yield from _known("service in the catalogue", outage.service, scenario.services,
                          ("outages", index, "service"))
        if outage.at >= scenario.run.horizon:
            yield _beyond_horizon(("outages", index, "at"), outage.at, scenario)
    process = scenario.major_incident
    yield from _known("calendar", process.acceptance.calendar, calendars,
                      ("major_incident", "acceptance", "calendar"))
    roles: list[tuple[KeyPath, object]] = [(("major_incident", key), getattr(process, key))
                                           for key in ("manager", "communications")]
    roles += [(("major_incident", "resolvers", index), role)
              for index, role in enumerate(process.resolvers)]
    for path, role in roles:
        if role is None:
            continue
        team, calendar = role.team, role.on_call.calendar  # type: ignore[attr-defined]
        if team != "owner":
            yield from _known("team (or 'owner', the service's owner)", team, scenario.teams,
                              (*path, "team"))
        yield from _known("calendar", calendar, calendars, (*path, "on_call", "calendar"))


def _change_problems(scenario: Scenario) -> Iterator[Problem]:
    calendars = (ALWAYS_OPEN, *scenario.calendars)
    changes = scenario.changes
    paths: list[tuple[KeyPath, str | None]] = [
        (("major_incident", "restoration"), scenario.major_incident.restoration)]
    paths += [(("services", name, "restoration", "path"), service.restoration.path)
              for name, service in scenario.services.items()]
    for path, choice in paths:
        if choice == "emergency_change" and changes.emergency is None:
            yield Problem(path, "expected a 'changes.emergency' section to restore by emergency "
                                "change (the ECAB, implementation and risk); found none")
    if changes.emergency is not None:
        yield from _known("calendar", changes.emergency.ecab.on_call.calendar, calendars,
                          ("changes", "emergency", "ecab", "on_call", "calendar"))
    if changes.normal is not None:
        for key in ("cab", "window"):
            name = getattr(changes.normal, key)
            yield from _known("calendar", name, calendars, ("changes", "normal", key))
        if changes.normal.cab == ALWAYS_OPEN:
            yield Problem(("changes", "normal", "cab"),
                          "expected a calendar whose open periods are the CAB's meetings (e.g. "
                          "{Tue: '10:00-11:00'}); found '24x7', which never starts a meeting")


def _problem_problems(scenario: Scenario) -> Iterator[Problem]:
    problems = scenario.problems
    if problems is None:
        return
    yield from _known("team", problems.team, scenario.teams, ("problems", "team"))
    if scenario.changes.normal is None:
        yield Problem(("problems",), "expected a 'changes.normal' section (a permanent fix goes "
                                     "through a normal change: CAB, window, risk); found none")
    seen: dict[str, str] = {}
    for name, family in problems.families.items():
        path: KeyPath = ("problems", "families", name)
        if family.stream is not None:
            yield from _known("arrival stream", family.stream, scenario.arrivals, (*path, "stream"))
        if family.service is not None:
            yield from _known("service in the catalogue", family.service, scenario.services,
                              (*path, "service"))
        source = f"stream {family.stream}" if family.stream else f"service {family.service}"
        if source in seen:
            yield Problem(path, f"expected one family per stream or service; found {source} "
                                f"in {seen[source]!r} too")
        seen[source] = name


def _exercise_problems(scenario: Scenario) -> Iterator[Problem]:
    exercise = scenario.exercise
    if exercise is None:
        return
    if exercise.start_at >= scenario.run.horizon:
        yield _beyond_horizon(("exercise", "start_at"), exercise.start_at, scenario)
    for index, inject in enumerate(exercise.injects):
        path: KeyPath = ("exercise", "injects", index)
        if inject.at is not None and inject.at >= scenario.run.horizon:
            yield _beyond_horizon((*path, "at"), inject.at, scenario)
        if inject.kind == "outage" and inject.service is not None:
            yield from _known("service in the catalogue", inject.service, scenario.services,
                              (*path, "service"))
        if inject.kind == "incident":
            if inject.stream is not None:
                yield from _known("arrival stream", inject.stream, scenario.arrivals, (*path, "stream"))
            if inject.priority is not None:
                yield from _known("priority", inject.priority, scenario.priorities, (*path, "priority"))
        if inject.kind == "staff" and inject.team is not None:
            yield from _known("team", inject.team, scenario.teams, (*path, "team"))


def _target_problems(scenario: Scenario) -> Iterator[Problem]:
    for key, condition in scenario.targets.items():
        try:
            parse_target(key, condition, tuple(scenario.priorities), tuple(scenario.teams),
                         tuple(scenario.services))
        except ValueError as error:
            yield Problem(("targets", key), str(error))


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """Every cross-section problem of a scenario (empty when it is consistent)."""
    problems = [*_arrival_problems(scenario), *_channel_problems(scenario),
                *_priority_problems(scenario),
                *_flow_team_problems(scenario), *_escalation_problems(scenario),
                *_transfer_problems(scenario), *_path_problems(scenario), *_backlog_problems(scenario),
                *_size_problems(scenario), *_service_problems(scenario),
                *_change_problems(scenario), *_problem_problems(scenario),
                *_exercise_problems(scenario),
                *_target_problems(scenario)]
    if not problems:  # the graph is only meaningful once every name resolves
        problems.extend(_routing_problems(scenario))
    return problems


def raise_problems(scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` if the scenario has any cross-section problem."""
    problems = scenario_problems(scenario)
    if problems:
        raise ScenarioError(problems)

