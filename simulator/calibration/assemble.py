"""Calibration layer: the learned figures as a scenario (plain data), its comments, and a report.

Durations are written with units (``"37.5m"``), rates per day, times of day as
``"08:00"``; the comments say where each value came from and how well a fitted
distribution matches the data. :mod:`simulator.calibration.writer` turns the
result into a YAML file that ``mimsim validate`` accepts.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import pandas as pd

from simulator.calibration.fitting import DurationFit
from simulator.calibration.groups import GroupModel
from simulator.calibration.history import MIN_RULE_VISITS, PRIOR_VISITS, STAGES, HistoryRule
from simulator.calibration.learned import (
    DESK,
    DESK_STEP_ENDS,
    MIN_STREAM_INCIDENTS,
    PROFILE_PRIOR,
    STREAM_PRIOR,
    Calibration,
    DeskModel,
    Learned,
    written_closure_min,
)
from simulator.calibration.paths import MIN_PATH_COUNT, MIN_PATH_TICKETS, PRIOR_TICKETS, PathTable
from simulator.scenario.routing import PATH_SEPARATOR
from simulator.scenario.units import format_duration

__all__ = ["assemble", "distribution"]

_DAYS = {"weekday": "Mon-Fri", "weekend": "Sat-Sun"}


def _duration(minutes: float) -> str:
    return format_duration(round(max(minutes, 0.0), 3))


#: Plain data for the YAML writer (a section of the scenario).
Plain = dict[str, object]


def _number(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def distribution(spec: dict[str, object]) -> Plain:
    """A fitted distribution (minutes) in the scenario language (durations with units)."""
    kind = spec["dist"]
    if kind == "lognormal":
        median = max(_number(spec["median"]), 0.01)
        return {"dist": kind, "median": _duration(median),
                "p90": _duration(max(_number(spec["p90"]), median * 1.001))}
    if kind in ("gamma", "weibull"):
        return {"dist": kind, "shape": round(_number(spec["shape"]), 4),
                "scale": _duration(max(_number(spec["scale"]), 0.01))}
    if kind == "empirical":
        quantiles = spec["quantiles"]
        assert isinstance(quantiles, dict)
        return {"dist": kind, "quantiles": {level: _duration(value) for level, value in quantiles.items()}}
    return {"dist": "fixed", "value": _duration(max(_number(spec["value"]), 0.01))}


def _clock(hour: int) -> str:
    return f"{hour:02d}:00"


def _team(model: GroupModel) -> Plain:
    shifts = []
    for kind, span in zip(("weekday", "weekend"), model.hours, strict=True):
        if span is not None and model.slots.get(kind, 0) > 0:
            shifts.append({"name": kind, "days": _DAYS[kind], "start": _clock(span[0]),
                           "end": _clock(span[1]), "headcount": model.slots[kind]})
    if not shifts:
        return {"agents": max(model.slots.values(), default=1) or 1}
    return {"at_shift_end": "handover", "roster": shifts}


def _group_flow(model: GroupModel) -> Plain:
    flow: Plain = {"handling": distribution(model.handling.spec)}
    if model.handling_by_priority:
        flow["handling_by_priority"] = {name: distribution(fit.spec)
                                        for name, fit in model.handling_by_priority.items()}
    if model.handling_when_transferred is not None:
        flow["handling_when_transferred"] = distribution(model.handling_when_transferred.spec)
    if model.handling_when_transferred_by_priority:
        flow["handling_when_transferred_by_priority"] = {
            name: distribution(fit.spec) for name, fit in model.handling_when_transferred_by_priority.items()}
    if model.handling_after_transfer is not None:
        flow["handling_after_transfer"] = distribution(model.handling_after_transfer.spec)
    if model.handling_after_transfer_by_priority:
        flow["handling_after_transfer_by_priority"] = {
            name: distribution(fit.spec) for name, fit in model.handling_after_transfer_by_priority.items()}
    transfer = {team: round(p, 5) for team, p in model.transfer.items() if round(p, 5) > 0}
    if transfer:
        flow["transfer"] = transfer
    if model.history:
        flow["transfer_by_history"] = [_rule(rule) for rule in model.history]
    if model.wait is not None and max(model.p_wait, model.p_wait_when_transferred or 0.0,
                                      model.p_wait_after_transfer or 0.0) > 0:
        wait: Plain = {"probability": round(model.p_wait, 5), "duration": distribution(model.wait.spec),
                       "after_share": round(model.wait_after_share, 3)}
        for key, chance in (("probability_when_transferred", model.p_wait_when_transferred),
                            ("probability_after_transfer", model.p_wait_after_transfer)):
            if chance is not None:
                wait[key] = round(chance, 5)
        flow["waiting_on_user"] = wait
    return flow


def _rule(rule: HistoryRule) -> Plain:
    handoffs: object = f"{rule.handoffs}+" if rule.handoffs == STAGES - 1 else rule.handoffs
    written: Plain = {} if rule.came_from is None else {"came_from": rule.came_from}
    if rule.priority is not None:
        written["priority"] = rule.priority
    return {**written, "handoffs": handoffs, "transfer": rule.transfer}


def _path_rule(table: PathTable) -> Plain:
    written: Plain = {"first": table.first}
    if table.priority is not None:
        written["priority"] = table.priority
    if table.category is not None:
        written["category"] = table.category
    paths = {f" {PATH_SEPARATOR} ".join(path): share for path, share in table.paths.items()}
    return {**written, "paths": paths}


def _paths_comment(tables: tuple[PathTable, ...]) -> str:
    tickets = sum(table.tickets for table in tables)
    listed = sum(table.tickets * sum(table.paths.values()) for table in tables)
    return (f"routing by whole paths (--routing paths): per first group × category stream, else × "
            f"priority, from {MIN_PATH_TICKETS} finished tickets on (rarer priorities together), the paths "
            f"the updates "
            f"show at least {MIN_PATH_COUNT} times, each with its count over the tickets + "
            f"{PRIOR_TICKETS:.0f}; {listed / max(tickets, 1):.1%} of {tickets} tickets' mass is listed, "
            f"the rest follows the groups' routing with memory (transfer_by_history)")


def _span(hours: tuple[int, int] | None) -> str:
    return "off" if hours is None else f"{hours[0]:02d}–{hours[1]:02d} h"


def _group_comments(model: GroupModel) -> dict[tuple[str, ...], str]:
    path = ("flow", "groups", model.team)
    comments = {("teams", model.team): (
        f"log groups {', '.join(model.stats.groups[:12])}"
        f"{' …' if len(model.stats.groups) > 12 else ''}: "
        f"{model.visits} visits; on duty {_span(model.hours[0])} weekdays, {_span(model.hours[1])} weekends "
        f"(hours where ≥ 10 % of the peak's people update tickets); agents are ticket slots: "
        f"{model.load['weekday']:.1f} tickets in hand on weekdays (Little), "
        f"{model.people:.1f} people active per on-duty hour"),
        (*path, "handling"): f"on-duty minutes in the group outside pauses{_which(model)}: "
                             f"{model.handling.comment()}"}
    for name, fit in model.handling_by_priority.items():
        comments[(*path, "handling_by_priority", name)] = fit.comment()
    kinds = {"handling_when_transferred": (model.handling_when_transferred,
                                           model.handling_when_transferred_by_priority,
                                           f"the {model.stats.transferred:.0%} of visits that hand the "
                                           f"ticket on to another group (and those open at the export)"
                                           f"{_hidden(model.stats.hidden[0])}"),
             "handling_after_transfer": (model.handling_after_transfer,
                                         model.handling_after_transfer_by_priority,
                                         f"the {model.stats.after_transfer:.0%} of visits that came from "
                                         f"another group and do not hand the ticket on"
                                         f"{_hidden(model.stats.hidden[1])}")}
    for key, (pooled, by_priority, which) in kinds.items():
        if pooled is not None:
            comments[(*path, key)] = f"on-duty minutes outside pauses of {which}: {pooled.comment()}"
        for name, fit in by_priority.items():
            comments[(*path, f"{key}_by_priority", name)] = fit.comment()
    if model.history:
        comments[(*path, "transfer")] = "shares of the visible hand-offs (where no rule below matches)"
        comments[(*path, "transfer_by_history")] = (
            f"routing with memory: per hand-offs so far (and per previous group, else per priority, "
            f"from {MIN_RULE_VISITS} visits on), shrunk towards the coarser shares by {PRIOR_VISITS:g} "
            f"pseudo-visits; visits per "
            f"rule: {', '.join(str(rule.visits) for rule in model.history)}")
    if model.wait is not None:
        by_kind = "".join(f", {chance:.1%} of those that {kind}" for kind, chance in (
            ("hand the ticket on", model.p_wait_when_transferred),
            ("came from another group", model.p_wait_after_transfer)) if chance is not None)
        comments[(*path, "waiting_on_user")] = (f"{model.p_wait:.1%} of visits wait on the user or a "
                                                f"vendor{' (the usual ones)' if by_kind else ''}{by_kind}; "
                                                f"wait length {model.wait.comment()}")
    return comments


def _hidden(ratio: float) -> str:
    """The zero-minute visits added for hand-offs the updates do not show (``--routing counted``)."""
    if ratio <= 0.0:
        return ""
    return f", with {ratio:.0%} more at 0 minutes for hand-offs the log counts but its updates do not show"


def _which(model: GroupModel) -> str:
    """Which visits the usual handling time was learned from, when some were learned apart."""
    parts = [text for fit, text in ((model.handling_when_transferred, "hand the ticket on"),
                                    (model.handling_after_transfer, "came from another group"))
             if fit is not None]
    return f" of the visits that neither {' nor '.join(parts)}" if parts else ""


def _fit_report(fit: DurationFit | None) -> Plain | None:
    if fit is None:
        return None
    return {"chosen": fit.name, "ks": fit.ks, "n": fit.n, "censored": fit.n_censored}


def _priorities(learned: Learned) -> Plain:
    names = list(learned.priorities)
    for row in learned.matrix:
        names.extend(name for name in row if name not in names)
    return {name: ({"resolution": _duration(learned.sla[name].resolution_min)}
                   if name in learned.sla else {}) for name in names}


def _streams(learned: Learned) -> Plain:
    """One arrival stream per priority, and per priority × category where the log has enough."""
    streams: Plain = {}
    for stream in learned.streams:
        volume = learned.volume * stream.share
        if volume > 0:
            streams[stream.name] = {"volume": f"{volume:.4g}/day",
                                    "weekly": learned.weekly_by_stream[stream.name],
                                    "impact_urgency": learned.cells[stream.priority]}
    return streams


def _desk_flow(learned: Learned, streams: Plain) -> Plain:
    desk = learned.desk
    overall_fcr = sum(stream.share * desk.fcr[stream.name] for stream in learned.streams)
    handling = distribution(desk.handling.spec) if desk.handling is not None else \
        distribution({"dist": "fixed", "value": 5.0})
    resolved = {} if desk.resolved_handling is None else \
        {"handling_when_resolved": distribution(desk.resolved_handling.spec)}
    return {"team": DESK, "handling": handling, **resolved,
            "first_contact_resolution": round(overall_fcr, 5),
            "first_contact_resolution_by_category": {p: round(v, 5) for p, v in desk.fcr.items()
                                                     if p in streams},
            "escalation": next(iter(desk.escalation.values())),
            "escalation_by_category": {p: v for p, v in desk.escalation.items() if p in streams}}


def _flow(learned: Learned, streams: Plain, comments: dict[tuple[str, ...], str]) -> Plain:
    flow: Plain = {"desk": _desk_flow(learned, streams),
                   "groups": {model.team: _group_flow(model) for model in learned.groups}}
    if learned.paths:
        flow["paths"] = [_path_rule(table) for table in learned.paths]
        comments[("flow", "paths")] = _paths_comment(learned.paths)
    reopen = learned.reopen
    if reopen.probability > 0:
        spec = reopen.delay.spec if reopen.delay is not None else reopen.assumed
        assert spec is not None
        flow["reopen"] = {"probability": round(reopen.probability, 5), "delay": distribution(spec)}
        within = ("" if reopen.within_closure >= 0.9995 else
                  f", divided by the {reopen.within_closure:.0%} of delays shorter than the closure "
                  f"delay (a ticket is reopened only before it closes)")
        delay_note = (reopen.delay.comment() if reopen.delay is not None else
                      f"[assumption] lognormal, median {_duration(float(spec['median']))} "  # type: ignore[arg-type]
                      f"(the log has no reopen times)")
        comments[("flow", "reopen")] = (f"{reopen.observed:.2%} of resolved incidents reopened{within}; "
                                        f"delay: {delay_note}")
    if learned.closure_min > 0:
        flow["closure_delay"] = _duration(written_closure_min(learned.closure_min))
        comments[("flow", "closure_delay")] = (f"median resolved → closed "
                                               f"{learned.closure_min / 60.0:.1f} h: whole hours here, "
                                               f"the hourly auto-close job adds the rest")
    return flow


def _by_category(learned: Learned) -> str:
    """The arrivals comment's word on category streams (none when the log has no categories)."""
    own = [stream for stream in learned.streams if stream.category is not None]
    if not own:
        return ""
    return (f", and per priority × the log's category from {MIN_STREAM_INCIDENTS} incidents on "
            f"({len(own)} streams named 'PRIORITY CATEGORY', {sum(s.share for s in own):.0%} of incidents; "
            f"the other categories in their priority's stream)")


def _desk_comment(desk: DeskModel) -> str:
    if desk.handling is None or desk.step_end is None:
        return "[assumption] 5 minutes to log a ticket (no logging or first-response time in the log)"
    return f"{DESK_STEP_ENDS[desk.step_end]}: {desk.handling.comment()}"


def _comments(learned: Learned, days: float) -> dict[tuple[str, ...], str]:
    comments: dict[tuple[str, ...], str] = {("flow", "desk", "handling"): _desk_comment(learned.desk)}
    if learned.desk.resolved_handling is not None:
        comments[("flow", "desk", "handling_when_resolved")] = (
            f"opened → resolved of the incidents never assigned to a group: "
            f"{learned.desk.resolved_handling.comment()}")
    comments.update({
        ("run",): f"the log's active period, after {learned.warmup_days} days of warm-up from empty",
        ("arrivals",): (f"one stream per priority{_by_category(learned)}: {learned.volume:.1f} incidents "
                        f"a day in all over {days:.0f} days; weekly: 7 rows (Mon..Sun) of 24 hourly shares, "
                        f"each stream's own shrunk towards all incidents' by {PROFILE_PRIOR} "
                        f"pseudo-incidents"),
        ("teams", DESK): (f"[assumption] logging only, 24x7 and never queueing: the log's opening time "
                          f"is when the desk logged the call ({learned.desk.load:.2f} busy at the peak "
                          f"hour)"),
        ("flow", "desk", "first_contact_resolution"): "share of incidents never assigned to a group",
        ("flow", "desk", "escalation_by_category"): (
            "first assignment group, per stream" + (f" (a category's shrunk towards its priority's by "
                                                    f"{STREAM_PRIOR:g} pseudo-incidents)"
                                                    if any(s.category for s in learned.streams) else "")),
    })
    for name, sla in learned.sla.items():
        comments[("priorities", name)] = (f"resolution target learned from made_sla (24x7): agrees with "
                                          f"{sla.agreement:.1%} of {sla.n} incidents")
    return comments


def _group_report(model: GroupModel) -> Plain:
    return {
        "log_groups": list(model.stats.groups), "visits": model.visits, "hours": model.hours,
        "slots": model.slots, "tickets_in_hand": model.load, "people_per_on_duty_hour": model.people,
        "handling": _fit_report(model.handling), "wait": _fit_report(model.wait),
        "p_wait": model.p_wait, "p_wait_when_transferred": model.p_wait_when_transferred,
        "p_wait_after_transfer": model.p_wait_after_transfer, "resolved_here": model.stats.resolved_here,
        "handling_by_priority": {p: _fit_report(f) for p, f in model.handling_by_priority.items()},
        "handling_when_transferred": _fit_report(model.handling_when_transferred),
        "handling_when_transferred_by_priority": {
            p: _fit_report(f) for p, f in model.handling_when_transferred_by_priority.items()},
        "handling_after_transfer": _fit_report(model.handling_after_transfer),
        "handling_after_transfer_by_priority": {
            p: _fit_report(f) for p, f in model.handling_after_transfer_by_priority.items()},
        "transferred": model.stats.transferred, "after_transfer": model.stats.after_transfer,
        "transfer": model.transfer}


def _report(learned: Learned) -> Plain:
    return {
        "source": learned.source, "incidents": learned.n_incidents,
        "period": [str(learned.start.date()), str(learned.end.date())], "problems": learned.problems,
        "arrivals": asdict(learned.arrivals), "priority_mix": learned.mix,
        "desk": {"fcr_by_priority": learned.desk.fcr, "agents": learned.desk.agents},
        "routing": asdict(learned.routing),
        "streams": [asdict(stream) for stream in learned.streams],
        "paths": [{"first": table.first, "priority": table.priority, "category": table.category,
                   "tickets": table.tickets,
                   "distinct_paths": table.distinct, "listed_paths": len(table.paths),
                   "listed_share": math.fsum(table.paths.values())} for table in learned.paths],
        "sla": {name: asdict(sla) for name, sla in learned.sla.items()},
        "resolution_kaplan_meier": {name: asdict(summary) for name, summary in learned.resolution.items()},
        "groups": {model.team: _group_report(model) for model in learned.groups},
        "columns": {"used": learned.columns.used, "not_used": learned.columns.unused},
        "reopen_share": learned.reopen.observed, "reopen_probability": learned.reopen.probability,
        "closure_h": learned.closure_min / 60.0 if math.isfinite(learned.closure_min) else None,
    }


def assemble(learned: Learned) -> Calibration:
    """The scenario (plain data), its comments and the report of what was learned."""
    start = learned.start
    warmup = pd.Timedelta(days=learned.warmup_days)
    days = (learned.end - start) / pd.Timedelta(days=1)
    streams = _streams(learned)
    comments = _comments(learned, days)
    flow = _flow(learned, streams, comments)
    teams: Plain = {DESK: {"agents": learned.desk.agents}}
    teams.update({model.team: _team(model) for model in learned.groups})
    scenario: Plain = {
        "name": learned.name,
        "description": f"Learned by `mimsim calibrate` from {learned.source} "
                       f"({learned.n_incidents} incidents opened {start.date()} to "
                       f"{(learned.end - pd.Timedelta(days=1)).date()}).",
        "run": {"start": (start - warmup).isoformat(),
                "horizon": _duration((days + learned.warmup_days) * 1440),
                "warmup": _duration(learned.warmup_days * 1440), "replications": 10, "seed": 1},
        "priorities": _priorities(learned),
        "priority_matrix": learned.matrix,
        "arrivals": streams, "teams": teams, "flow": flow,
    }
    for model in learned.groups:
        comments.update(_group_comments(model))
    return Calibration(scenario, comments, _report(learned), learned)
