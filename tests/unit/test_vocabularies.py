"""The model's vocabularies and the scenario's domain look-ups.

The activity codes the model writes into rows must index the event log's activities, and
each per-category or per-priority setting falls back to its default in exactly one place.
"""

from __future__ import annotations

import pytest

from simulator.eventlog.log import ACTIVITIES, Activity
from simulator.model.incident import ActivityCode
from simulator.scenario.calendars import HOURS_PER_WEEK, WEEKDAYS, parse_days
from simulator.scenario.schema import Desk, ResolverGroup


def test_every_activity_has_its_code_under_its_own_name_and_nothing_else_does() -> None:
    codes = {name: value for name, value in vars(ActivityCode).items() if name.isupper()}
    assert codes == {activity.name: ACTIVITIES.index(activity.value) for activity in Activity}
    assert sorted(codes.values()) == list(range(len(ACTIVITIES)))
    assert tuple(activity.value for activity in Activity) == ACTIVITIES


def test_a_week_has_seven_named_days_and_168_hours() -> None:
    assert WEEKDAYS[0] == "Mon" and WEEKDAYS[-1] == "Sun" and len(set(WEEKDAYS)) == 7
    assert HOURS_PER_WEEK == 168


@pytest.mark.parametrize("text", ["Mon-Fri", "monday-friday", "Monday-Fri", "weekdays"])
def test_days_written_short_or_in_full_are_the_same_days(text: str) -> None:
    assert parse_days(text) == (0, 1, 2, 3, 4)


DESK = Desk.model_validate({
    "team": "desk", "handling": "10m", "first_contact_resolution": 0.6,
    "first_contact_resolution_by_category": {"network": 0.2},
    "escalation": {"L2": 1.0}, "escalation_by_category": {"network": {"L2": 0.5, "L3": 0.5}}})


@pytest.mark.parametrize(("category", "fcr", "escalation"), [
    ("network", 0.2, {"L2": 0.5, "L3": 0.5}),
    ("email", 0.6, {"L2": 1.0}),
])
def test_the_desk_uses_a_categorys_own_values_else_its_defaults(
        category: str, fcr: float, escalation: dict[str, float]) -> None:
    assert DESK.fcr_for(category) == fcr
    assert DESK.escalation_for(category) == escalation


GROUP = ResolverGroup.model_validate({
    "handling": "10m", "handling_by_priority": {"P1": "20m"},
    "handling_when_transferred": "30m", "handling_when_transferred_by_priority": {"P2": "40m"},
    "handling_after_transfer_by_priority": {"P1": "50m"}})


@pytest.mark.parametrize(("priority", "transferred", "came_by_transfer", "minutes"), [
    ("P1", False, False, 20.0),  # the usual time, per priority
    ("P3", False, False, 10.0),  # ... else for all priorities
    ("P2", True, False, 40.0),  # ends in a transfer: its own time per priority
    ("P1", True, False, 30.0),  # ... else its own time for all priorities
    ("P2", True, True, 40.0),  # a visit that ends in a transfer takes that time, however it began
    ("P1", False, True, 50.0),  # came by a transfer: its own time per priority
    ("P2", False, True, 10.0),  # ... else (none for all priorities) the usual time
])
def test_a_visits_handling_time_follows_how_it_began_and_ends(
        priority: str, transferred: bool, came_by_transfer: bool, minutes: float) -> None:
    assert GROUP.handling_for(priority, transferred, came_by_transfer).mean() == minutes
