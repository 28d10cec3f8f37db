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


@pytest.mark.parametrize(("text", "found"), [
    ("P2.sla_response_attainment >= 90", "a share, between 0 and 1: 0.9 means 90 %); found >= 90"),
    ("sla_response_attainment > 1", "found > 1"),
    ("L2.utilisation <= -0.1", "found <= -0.1"),
    ("mtta_min < 0", "never below 0); found < 0"),
])
def test_a_target_no_value_can_meet_is_refused(text: str, found: str) -> None:
    with pytest.raises(ValueError, match=r"expected a condition .* can meet") as refused:
        parse_target_expression(text, PRIORITIES, TEAMS, SERVICES)
    assert found in str(refused.value)


@pytest.mark.parametrize(("text", "reached_by"), [
    ("sla_response_attainment >= 1", 1.0), ("sla_response_attainment < 1", 0.5),
    ("P1.sla_response_attainment > 0", 0.1), ("mtta_min <= 0", 0.0), ("mtta_min > 0", 5.0),
    ("L2.utilisation < 0.0001", 0.0)])
def test_a_target_at_the_edge_of_its_kpi_is_accepted(text: str, reached_by: float) -> None:
    assert parse_target_expression(text, PRIORITIES, TEAMS, SERVICES).met_by(reached_by)
