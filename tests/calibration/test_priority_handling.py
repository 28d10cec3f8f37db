"""A priority seen a few dozen times in a group keeps its own handling time.

The organisation: one resolver group works P3 tickets for hours (median 4 h) and P4 tickets in
minutes (median 5 min); P4 is one ticket in twenty, so the group sees about 60 P4 visits in the
three weeks — far fewer than its P3 visits. The learned P4 handling must be P4's (its median
minutes, not hours), shrunk towards the group's pooled handling only as far as its visits are
few; an all-or-nothing threshold (own fit from 200 visits on) gave P4 the pooled handling, whose
median is P3's four hours, and so P4 tickets that a real desk closes in minutes took half a day.
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator.calibration.groups import PRIORITY_PRIOR, GroupModel
from simulator.calibration.learn import learn
from simulator.calibration.readers import read_log
from tests.calibration.uci_like import simulated_events, write_uci_like

FAST = {"dist": "lognormal", "median": "5m", "p90": "10m"}
SLOW = {"dist": "lognormal", "median": "4h", "p90": "8h"}
TWO_SPEEDS: dict[str, Any] = {
    "name": "two-speeds",
    "run": {"start": "2026-01-05T00:00", "horizon": "3w", "warmup": "0m", "replications": 1, "seed": 5},
    # impact × urgency (2, 2) is P3 and (3, 3) P4 in the default matrix
    "arrivals": {"all": {"volume": "60/day", "impact_urgency": {2: {2: 0.95}, 3: {3: 0.05}}}},
    "teams": {"desk": {"agents": 10}, "svc": {"agents": 60}},
    "flow": {
        "desk": {"team": "desk", "handling": {"dist": "lognormal", "median": "2m", "p90": "4m"},
                 "first_contact_resolution": 0.0, "escalation": {"svc": 1.0}},
        "groups": {"svc": {"handling": SLOW, "handling_by_priority": {"P3": SLOW, "P4": FAST}}}},
}


@pytest.fixture(scope="module")
def service_group(tmp_path_factory: pytest.TempPathFactory) -> tuple[GroupModel, int]:
    """The learned model of the resolver group, and how many P4 tickets the log has."""
    events = simulated_events(TWO_SPEEDS, "two-speeds", 5)
    path = write_uci_like(events, "desk", tmp_path_factory.mktemp("speeds") / "log.csv")
    learned = learn(read_log(path, "servicenow"), n_groups=1)
    model = next(group for group in learned.groups if group.team != "other")
    p4 = int((events.drop_duplicates("case_id")["priority"] == "P4").sum())
    return model, p4


def test_the_log_has_few_p4_tickets(service_group: tuple[GroupModel, int]) -> None:
    _, p4 = service_group
    assert 30 <= p4 < 150  # few: below the old all-or-nothing 200, above the minimum of 30


def test_p4_keeps_its_own_fast_handling(service_group: tuple[GroupModel, int]) -> None:
    model, p4 = service_group
    fit = model.handling_by_priority.get("P4", model.handling)  # the pooled one where none of its own
    # own visits weigh p4 / (p4 + PRIORITY_PRIOR); the rest is the pool (P3's hours)
    weight = p4 / (p4 + PRIORITY_PRIOR)
    assert fit.share_below(15.0) >= 0.9 * weight  # nearly all its own visits within 15 minutes
    assert fit.share_below(15.0) <= weight + 0.1  # and the pool's share kept: shrunk, not replaced
    assert fit.share_below(30.0) > 0.5  # its median is minutes (the pooled median is hours)


def test_p3_keeps_its_hours(service_group: tuple[GroupModel, int]) -> None:
    model, _ = service_group
    fit = model.handling_by_priority.get("P3", model.handling)
    assert 0.4 <= fit.share_below(240.0) <= 0.6  # median about 4 h, as simulated
