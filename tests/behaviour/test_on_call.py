"""A resolver group's on-call rota: exact traces of tiny scenarios (worked out by hand).

The desk works around the clock; the group ``ops`` works Mon–Fri 08:00–17:00. A P1 that reaches
``ops`` at night waits for the morning without a rota, and is worked after the call-out delay
with one; a P3 waits either way; a P1 in hand at 17:00 is finished, not handed over.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import simulate, trace

MONDAY_20H = 20 * 60.0  # the run starts on Monday 00:00
TUESDAY_08H = (24 + 8) * 60.0
OPS: dict[str, Any] = {
    "arrivals": {"calls": {"at": ["20h"], "impact_urgency": {1: {1: 1.0}}}},  # a P1 at 20:00
    "teams": {"desk": {"agents": 1},
              "ops": {"at_shift_end": "handover", "roster": [
                  {"days": "Mon-Fri", "start": "08:00", "end": "17:00", "headcount": 2}]}},
    "flow": {"desk": {"team": "desk", "handling": "10m", "first_contact_resolution": 0.0,
                      "escalation": {"ops": 1.0}},
             "groups": {"ops": {"handling": "1h"}}},
}
ON_CALL = {"teams": {"ops": {"on_call": {"priorities": ["P1"], "call_out": "30m"}}}}


def _ops_work(changes: dict[str, Any]) -> list[tuple[Any, ...]]:
    base = _base()
    if "arrivals" in changes:
        base["arrivals"] = changes["arrivals"]  # replaced whole, not merged
    rows = trace(simulate({key: value for key, value in changes.items() if key != "arrivals"},
                          base=base))
    return [row for row in rows if row[3] == "ops" and row[2] in ("work started", "resolved",
                                                                  "interrupted")]


def _base() -> dict[str, Any]:
    from tests.helpers import TINY, merge

    return merge(TINY, OPS)


def test_without_a_rota_a_p1_at_night_waits_for_the_morning_shift() -> None:
    assert _ops_work({}) == [
        (TUESDAY_08H, "INC0000001", "work started", "ops", "ops-shift1-1"),
        (TUESDAY_08H + 60, "INC0000001", "resolved", "ops", "ops-shift1-1"),
    ]


def test_with_a_rota_the_engineer_called_out_works_it_after_the_call_out_delay() -> None:
    # 20:00 arrival, 10 minutes at the desk, queued at ops at 20:10 with nobody on duty: paged,
    # the engineer starts at 20:40 and resolves at 21:40 as overtime.
    assert _ops_work(ON_CALL) == [
        (MONDAY_20H + 40, "INC0000001", "work started", "ops", "ops-shift1-1"),
        (MONDAY_20H + 100, "INC0000001", "resolved", "ops", "ops-shift1-1"),
    ]


def test_the_rota_leaves_tickets_of_other_priorities_for_the_shift() -> None:
    p3 = {"arrivals": {"calls": {"at": ["20h"], "impact_urgency": {2: {2: 1.0}}}}}
    assert _ops_work({**ON_CALL, **p3})[0] == (TUESDAY_08H, "INC0000001", "work started", "ops",
                                              "ops-shift1-1")


def test_one_engineer_takes_the_next_urgent_ticket_without_a_second_page() -> None:
    two = {**ON_CALL, "arrivals": {"calls": {"at": ["20h", "20h5m"],
                                             "impact_urgency": {1: {1: 1.0}}}}}
    # The second P1 queues at 20:15 while the first engineer is paged: one call-out; the
    # engineer works the first from 20:40 to 21:40, then the second until 22:40.
    assert _ops_work(two) == [
        (MONDAY_20H + 40, "INC0000001", "work started", "ops", "ops-shift1-1"),
        (MONDAY_20H + 100, "INC0000001", "resolved", "ops", "ops-shift1-1"),
        (MONDAY_20H + 100, "INC0000002", "work started", "ops", "ops-shift1-1"),
        (MONDAY_20H + 160, "INC0000002", "resolved", "ops", "ops-shift1-1"),
    ]


def test_a_p1_in_hand_at_shift_end_is_finished_not_handed_over() -> None:
    # queued at ops at 16:30, an hour's work
    at_16h30 = {"arrivals": {"calls": {"at": ["16h20m"], "impact_urgency": {1: {1: 1.0}}}}}
    without = _ops_work(at_16h30)
    assert (17 * 60.0, "INC0000001", "interrupted", "ops", "ops-shift1-1") in without
    assert without[-1] == (TUESDAY_08H + 30, "INC0000001", "resolved", "ops", "ops-shift1-1")
    assert _ops_work({**ON_CALL, **at_16h30}) == [
        (16.5 * 60, "INC0000001", "work started", "ops", "ops-shift1-1"),
        (17.5 * 60, "INC0000001", "resolved", "ops", "ops-shift1-1"),
    ]
