"""Scenario layer: the KPI vocabulary and targets written against it.

A target is a KPI, optionally scoped to a priority or a team, and a condition:
``"mtta_min": "<= 30"``, ``"P2.sla_response_attainment": ">= 0.9"`` or
``"L2.utilisation": "<= 0.85"``. The names come from the KPI catalogue
(:mod:`simulator.scenario.kpis`), the contract with the metrics layer, which
computes exactly these KPIs (a test keeps the two equal).
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulator.scenario.kpis import KPIS, Family, Unit, kpi_names
from simulator.scenario.schema import CHANNELS

__all__ = [
    "CHANGE_KPIS",
    "CHANNEL_KPIS",
    "COST_KPIS",
    "INCIDENT_KPIS",
    "MONTH_KPIS",
    "OUTAGE_KPIS",
    "SERVICE_KPIS",
    "TEAM_KPIS",
    "Target",
    "parse_target",
    "parse_target_expression",
]

#: KPIs measured over incidents, overall and per priority.
INCIDENT_KPIS: tuple[str, ...] = kpi_names(Family.INCIDENT)
#: KPIs measured per team.
TEAM_KPIS: tuple[str, ...] = kpi_names(Family.TEAM)
#: What the measured window cost, overall: staff (rostered and overtime hours) and SLA penalties.
COST_KPIS: tuple[str, ...] = kpi_names(Family.COST)
#: KPIs of outages and major incidents, overall.
OUTAGE_KPIS: tuple[str, ...] = kpi_names(Family.OUTAGE)
#: KPIs measured per service.
SERVICE_KPIS: tuple[str, ...] = kpi_names(Family.SERVICE)
#: KPIs of change and problem management, overall.
CHANGE_KPIS: tuple[str, ...] = kpi_names(Family.CHANGE)
#: KPIs per channel (phone, chat, portal, email, monitoring).
CHANNEL_KPIS: tuple[str, ...] = kpi_names(Family.CHANNEL)
#: KPIs per 30-day month after the warm-up (scope "month", key "1", "2", ...).
MONTH_KPIS: tuple[str, ...] = kpi_names(Family.MONTH)

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}
_CONDITION = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")
_EXPRESSION = re.compile(r"^\s*([\w.\-]+)\s*((?:>=|<=|>|<).*)$")


@dataclass(frozen=True)
class Target:
    """A KPI (in a scope: ``None`` overall, a priority or a team), compared with a value."""

    scope: str | None
    kpi: str
    operator: str
    value: float

    @property
    def name(self) -> str:
        """The KPI's name across scopes: ``mtta_min``, ``P2.sla_response_attainment``, ``L2.utilisation``."""
        return self.kpi if self.scope is None else f"{self.scope}.{self.kpi}"

    def met_by(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        return _OPERATORS[self.operator](value, self.value)

    def __str__(self) -> str:
        return f"{self.operator} {self.value:g}"


def parse_target(key: str, condition: str, priorities: Sequence[str],
                 teams: Sequence[str], services: Sequence[str] = ()) -> Target:
    """Read ``key`` (``"kpi"``, ``"PRIORITY.kpi"``, ``"TEAM.kpi"``, ``"SERVICE.kpi"`` or
    ``"CHANNEL.kpi"``, e.g. ``"phone.service_level"``) and ``condition`` (``">= 0.9"``)."""
    match = _CONDITION.match(str(condition))
    if match is None:
        raise ValueError(f"expected a condition such as '>= 0.9' or '<= 30'; found {condition!r}")
    scope, _, kpi = key.rpartition(".")
    if scope and scope not in (*priorities, *teams, *services, *CHANNELS):
        raise ValueError(f"expected a priority, a team, a service or a channel before '.'; found "
                         f"{scope!r}")
    if scope in teams:
        known, where = TEAM_KPIS, f"team {scope!r}"
    elif scope in services:
        known, where = SERVICE_KPIS, f"service {scope!r}"
    elif scope in CHANNELS:
        known, where = CHANNEL_KPIS, f"channel {scope!r}"
    elif scope:
        known, where = INCIDENT_KPIS, f"priority {scope!r}"
    else:
        known, where = INCIDENT_KPIS + OUTAGE_KPIS + COST_KPIS + CHANGE_KPIS, "the whole run"
    if kpi not in known:
        close = difflib.get_close_matches(kpi, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"expected a KPI of {where} ({', '.join(known)}); found {kpi!r}{hint}")
    target = Target(scope or None, kpi, match.group(1), float(match.group(2)))
    _check_reachable(target)
    return target


def _check_reachable(target: Target) -> None:
    """Refuse a target no value of its KPI can meet (``>= 90`` for a share, ``< 0``): a search
    for the design that meets it would never end."""
    definition = next(kpi for kpi in KPIS if kpi.name == target.kpi)
    low, high, value = definition.lower_bound, definition.upper_bound, target.value
    unreachable = {">=": value > high, ">": value >= high, "<=": value < low, "<": value <= low}
    if unreachable[target.operator]:
        bounds = (f"a share, between {low:g} and {high:g}: 0.9 means 90 %"
                  if definition.unit is Unit.SHARE else f"never below {low:g}")
        raise ValueError(f"expected a condition {target.kpi} can meet (it is {bounds}); "
                         f"found {target.operator} {value:g}")


def parse_target_expression(text: str, priorities: Sequence[str], teams: Sequence[str],
                            services: Sequence[str] = ()) -> Target:
    """Read a whole target written on one line, e.g. ``"P2.sla_response_attainment>=0.9"``."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise ValueError(f"expected a target such as 'P2.sla_response_attainment>=0.9'; "
                         f"found {text!r}")
    return parse_target(match.group(1), match.group(2), priorities, teams, services)
