"""Scenario layer: the process a scenario describes, as one directed graph.

:func:`process_graph` starts from the routing graph that validation checks
(:func:`~simulator.scenario.checks.routing_graph`: where tickets enter, the
desk, the resolver groups, resolution) and adds what a reader of the process
needs: each step's next-step probabilities on the edges, who staffs each team,
closure, and — when the scenario has them — the major-incident path, normal
changes and problem management, each in a lane of its own. ``mimsim diagram``
draws it (:mod:`simulator.reporting.diagram`).

Nodes carry ``label`` (the text to show), ``kind`` (``entry``, ``team``,
``step`` or ``end``), ``lane`` (0 incidents, 1 major incidents, 2 changes,
3 problems) and ``column`` (the position along the lane). Edges carry
``label`` (a probability such as ``"16%"``, or a few words) and ``style``
(``solid`` for the routes of a ticket, ``dashed`` for the links between lanes
and the alternatives of a decision, ``dotted`` for where the initial backlog starts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx

from simulator.scenario.checks import INITIAL_BACKLOG, NEW_INCIDENTS, PROBLEMS, RESOLVED, routing_graph
from simulator.scenario.schema import Scenario, Team
from simulator.scenario.units import format_duration

__all__ = ["CLOSED", "LANES", "percent", "process_graph"]

CLOSED = "(closed)"
#: Lane number → its title.
LANES = {0: "incidents", 1: "outages and major incidents", 2: "normal changes", 3: "problem management"}
_PER_DAY = 1440.0


def percent(p: float) -> str:
    """A probability as people read it: ``"16%"``, ``"0.5%"``."""
    return f"{p:.0%}" if p >= 0.0995 or p == 0 else f"{p:.1%}".replace(".0%", "%")


def _staffing(team: Team) -> str:
    if team.agents is not None:
        return f"{team.agents} agents 24×7"
    heads = [shift.headcount for shift in team.roster or ()]
    if len(heads) == 1:
        return f"{heads[0]} on 1 shift"
    return f"{len(heads)} shifts ({', '.join(str(head) for head in heads)})"


def _category_weights(scenario: Scenario) -> dict[str, float]:
    """Share of new incidents in each category (by stream volume, or count of fixed times)."""
    weights: dict[str, float] = {}
    for name, stream in scenario.arrivals.items():
        rate = stream.volume if stream.volume is not None else len(stream.at or ()) / scenario.run.horizon
        weights[scenario.category_of(name)] = weights.get(scenario.category_of(name), 0.0) + rate
    total = math.fsum(weights.values())
    return {category: weight / total for category, weight in weights.items()} if total > 0 else {}


def _desk_shares(scenario: Scenario) -> dict[str, float]:
    """Where a new incident goes from the desk: resolved there, or each group."""
    desk = scenario.flow.desk
    shares: dict[str, float] = {}
    for category, weight in _category_weights(scenario).items():
        fcr = desk.fcr_for(category)
        shares[RESOLVED] = shares.get(RESOLVED, 0.0) + weight * fcr
        for target, share in desk.escalation_for(category).items():
            shares[target] = shares.get(target, 0.0) + weight * (1.0 - fcr) * share
    return shares


def _arrivals_label(scenario: Scenario) -> str:
    lines = []
    for name, stream in list(scenario.arrivals.items())[:4]:
        amount = (f"{stream.volume * _PER_DAY:.3g}/day" if stream.volume is not None
                  else f"{len(stream.at or ())} at fixed times")
        lines.append(f"{name} {amount}")
    if len(scenario.arrivals) > 4:
        lines.append(f"and {len(scenario.arrivals) - 4} more streams")
    return "new incidents\n" + "\n".join(lines)


def _incident_lane(graph: nx.DiGraph, scenario: Scenario) -> None:
    flow = scenario.flow
    desk = flow.desk.team
    graph.add_node(NEW_INCIDENTS, label=_arrivals_label(scenario), kind="entry", column=0)
    if scenario.initial_backlog:
        count = sum(item.count for item in scenario.initial_backlog)
        graph.add_node(INITIAL_BACKLOG, label=f"initial backlog\n{count} open tickets",
                       kind="entry", column=0)
    graph.add_node(desk, label=f"{desk}\n(service desk)\n{_staffing(scenario.teams[desk])}",
                   kind="team", column=1)
    for name, group in flow.groups.items():
        waits = (f"\nwaits on user {percent(group.waiting_on_user.probability)}"
                 if group.waiting_on_user is not None else "")
        graph.add_node(name, label=f"{name}\n{_staffing(scenario.teams[name])}{waits}",
                       kind="team", column=2)
    reopen = flow.reopen
    graph.add_node(RESOLVED, label="resolved" + (f"\nreopened {percent(reopen.probability)}"
                                                 if reopen is not None else ""),
                   kind="end", column=3)
    for source, _, data in graph.edges(data=True):
        data.setdefault("style", "dotted" if source == INITIAL_BACKLOG else "solid")
        data.setdefault("label", "")
    for target, share in _desk_shares(scenario).items():
        if graph.has_edge(desk, target):
            graph.edges[desk, target]["label"] = percent(share)
    for _, _, data in graph.edges(data=True):
        if data.get("kind") == "outage":
            data.update(style="dashed", label="outage P1")
        elif "probability" in data:
            data["label"] = percent(data["probability"])
    graph.add_node(CLOSED, label="closed", kind="end", column=4)
    delay = format_duration(flow.closure_delay)
    graph.add_edge(RESOLVED, CLOSED, label=f"after {delay}" if flow.closure_delay else "",
                   style="solid")
    if PROBLEMS in graph:
        graph.nodes[PROBLEMS].update(label="problems", kind="entry", column=0)
    for node in graph:
        graph.nodes[node]["lane"] = 0


def _chain(graph: nx.DiGraph, lane: int, steps: Iterable[tuple[str, str, str]],
           labels: Iterable[str] = ()) -> None:
    """Add steps (node id, label, kind) in a row, each linked to the next."""
    previous = None
    edge_labels = iter(labels)
    for column, (node, label, kind) in enumerate(steps):
        graph.add_node(node, label=label, kind=kind, lane=lane, column=column)
        if previous is not None:
            graph.add_edge(previous, node, label=next(edge_labels, ""), style="solid")
        previous = node


def _team_list(scenario: Scenario) -> str:
    process = scenario.major_incident
    roles = [(role, name) for role, name in ((process.manager, "manager"),
                                              (process.communications, "comms")) if role is not None]
    lines = [f"{name}: {role.team}" for role, name in roles]
    resolvers = ", ".join(f"{role.team} ×{role.count}" for role in process.resolvers)
    if resolvers:
        lines.append(f"resolvers: {resolvers}")
    return "\n".join(lines)


def _major_incident_lane(graph: nx.DiGraph, scenario: Scenario) -> None:
    services = list(scenario.services)
    names = ", ".join(services) if len(services) <= 3 else f"{len(services)} services"
    first = [("(outage)", f"outage\n{names}", "entry"),
             ("(detected)", "detected\nalert or first report", "step")]
    desk = scenario.flow.desk.team
    if not scenario.major_incident.enabled:
        _chain(graph, 1, [*first, ("(owner fixes)", "owner group fixes it\nas the P1's work", "step"),
                          ("(restored)", "restored", "end")])
        graph.add_edge("(detected)", desk, label="tickets", style="dashed")
        return
    paths = {scenario.restoration_path(name) for name in services}
    _chain(graph, 1, [*first, ("(declared)", "major incident\ndeclared", "step"),
                      ("(assembled)", "Major Incident Team\non the bridge\n" + _team_list(scenario), "step"),
                      ("(decision)", "restoration\ndecision", "step")])
    graph.add_edge("(detected)", desk, label="tickets", style="dashed")
    graph.add_node("(restored)", label="restored", kind="end", lane=1, column=6)
    if "workaround" in paths or "emergency_change" in paths:
        graph.add_node("(workaround)", label="workaround\nfailover, restart", kind="step", lane=1,
                       column=5)
        graph.add_edge("(decision)", "(workaround)", label="", style="solid")
        graph.add_edge("(workaround)", "(restored)", label="", style="solid")
    emergency = scenario.changes.emergency
    if "emergency_change" in paths and emergency is not None:
        ecab = emergency.ecab
        graph.add_node("(emergency change)", kind="step", lane=1, column=5,
                       label=f"emergency change\nECAB {ecab.quorum} of {ecab.members}, fails "
                             f"{percent(emergency.failure_probability)}")
        using = [name for name in services if scenario.restoration_path(name) == "emergency_change"]
        graph.add_edge("(decision)", "(emergency change)", style="solid",
                       label=", ".join(using) if len(using) <= 2 else f"{len(using)} services")
        graph.add_edge("(emergency change)", "(restored)", label="", style="solid")
        graph.add_edge("(emergency change)", "(workaround)", label="rejected or failed", style="dashed")


def _change_lane(graph: nx.DiGraph, scenario: Scenario) -> None:
    normal = scenario.changes.normal
    if normal is None:
        return
    volume = f"{normal.volume * 10080:.3g}/w" if normal.volume is not None else "problem fixes only"
    _chain(graph, 2, [("(changes)", f"normal changes\n{volume}", "entry"),
                      ("(cab)", f"CAB meets\n({normal.cab})", "step"),
                      ("(window)", f"change window\n({normal.window})", "step"),
                      ("(implemented)", "change implemented", "end")],
           [f"approved {percent(normal.approval_probability)}", "", ""])
    induced = normal.induced_incidents.mean
    brings = f"\n{induced:g} incidents each\nto the desk" if induced > 0 else ""
    graph.add_node("(backed out)", label=f"failed, backed out{brings}", kind="end", lane=2, column=3)
    graph.add_edge("(window)", "(backed out)", label=percent(normal.failure_probability), style="solid")


def _problem_lane(graph: nx.DiGraph, scenario: Scenario) -> None:
    problems = scenario.problems
    if problems is None or not problems.enabled:
        return
    triggers = []
    if problems.trend is not None:
        triggers.append(f"{problems.trend.related_incidents} related within "
                        f"{format_duration(problems.trend.within)}")
    if problems.review_after_major_incident:
        triggers.append("major incident review")
    shares = sorted({family.fix_share for family in problems.families.values()})
    fix = percent(shares[0]) if len(shares) == 1 else f"{percent(shares[0])}–{percent(shares[-1])}"
    _chain(graph, 3, [("(trend)", "trend detected\n" + "\nor ".join(triggers), "entry"),
                      ("(problem opened)", f"problem opened\n{len(problems.families)} families", "step"),
                      ("(root cause)", f"root-cause analysis\n({problems.team})", "step"),
                      ("(known error)", "known error\npublished", "step"),
                      ("(problem fixed)", "fixed by a\nnormal change", "step"),
                      ("(avoided)", f"incidents avoided\n{fix} of the family", "end")])


def process_graph(scenario: Scenario) -> nx.DiGraph:
    """The scenario's whole process as a directed graph (see the module docstring)."""
    graph = routing_graph(scenario)
    _incident_lane(graph, scenario)
    if scenario.services:
        _major_incident_lane(graph, scenario)
    _change_lane(graph, scenario)
    _problem_lane(graph, scenario)
    return graph
