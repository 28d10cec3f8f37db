"""Targets: a target's name is the KPI's name across scopes, as summaries and stores write it."""

from __future__ import annotations

import pytest

from simulator.experiment.campaign import kpi_name
from simulator.scenario.targets import parse_target_expression

PRIORITIES, TEAMS, SERVICES = ("P1", "P2"), ("desk", "L2"), ("portal",)


@pytest.mark.parametrize(("text", "name", "row"), [
    ("mtta_min <= 30", "mtta_min", ("overall", "", "mtta_min")),
    ("P2.sla_response_attainment>=0.9", "P2.sla_response_attainment",
     ("priority", "P2", "sla_response_attainment")),
    ("L2.utilisation<=0.85", "L2.utilisation", ("team", "L2", "utilisation")),
    ("portal.downtime_min<=600", "portal.downtime_min", ("service", "portal", "downtime_min")),
])
def test_a_target_is_named_as_its_kpi_is_in_every_table(text: str, name: str,
                                                         row: tuple[str, str, str]) -> None:
    target = parse_target_expression(text, PRIORITIES, TEAMS, SERVICES)
    assert target.name == name == kpi_name(*row)
