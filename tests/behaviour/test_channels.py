"""Channels and abandonment: exact traces of tiny phone and chat desks, the channel KPIs worked
out by hand on them, and the rules of the scenario language (portal tickets never abandon)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.metrics import KpiContext, replication_kpis
from simulator.model.simulation import Simulation
from simulator.scenario.errors import ScenarioError
from tests.helpers import merge, scenario, simulate, trace

#: Three calls a minute apart to one agent who takes 10 minutes a call; callers wait 5 minutes.
PHONE: dict[str, Any] = {"arrivals": {"calls": {"at": ["0m", "1m", "2m"], "channel": "phone",
                                                "patience": "5m"}}}


def _kpis(changes: dict[str, Any]) -> dict[tuple[str, str, str], tuple[float, int]]:
    chosen = scenario(changes)
    simulation = Simulation(chosen)
    simulation.run()
    table = replication_kpis(simulation.results(), KpiContext.from_scenario(chosen))
    return {(row.scope, row.key, row.kpi): (row.value, row.n) for row in table.itertuples()}


def test_callers_hang_up_when_their_patience_runs_out() -> None:
    assert trace(simulate(PHONE)) == [
        (0.0, "INC0000001", "arrived", "desk", None),
        (0.0, "INC0000001", "queued", "desk", None),
        (0.0, "INC0000001", "assigned", "desk", "desk-1"),
        (0.0, "INC0000001", "work started", "desk", "desk-1"),
        (1.0, "INC0000002", "arrived", "desk", None),
        (1.0, "INC0000002", "queued", "desk", None),
        (2.0, "INC0000003", "arrived", "desk", None),
        (2.0, "INC0000003", "queued", "desk", None),
        (6.0, "INC0000002", "abandoned", "desk", None),
        (7.0, "INC0000003", "abandoned", "desk", None),
        (10.0, "INC0000001", "resolved", "desk", "desk-1"),
        (10.0, "INC0000001", "closed", "desk", None),
    ]


def test_a_caller_answered_before_their_patience_runs_out_stays() -> None:
    log = simulate(merge(PHONE, {"arrivals": {"calls": {"patience": "9m30s"}}}))
    rows = trace(log)
    assert (10.0, "INC0000002", "work started", "desk", "desk-1") in rows
    assert (11.5, "INC0000003", "abandoned", "desk", None) in rows
    assert not any(row[1] == "INC0000002" and row[2] == "abandoned" for row in rows)


def test_a_share_of_those_who_hang_up_call_back_as_new_contacts() -> None:
    log = simulate(merge(PHONE, {"arrivals": {"calls": {
        "callback": {"share": 1.0, "delay": "30m"}}}}))
    rows = trace(log)
    # Each abandoned caller tries again 30 minutes later as a new contact, child of the first.
    assert [row for row in rows if row[1].startswith("CBK") and row[2] == "arrived"] == [
        (36.0, "CBK0000001", "arrived", "desk", None), (37.0, "CBK0000002", "arrived", "desk", None),
        (72.0, "CBK0000003", "arrived", "desk", None)]
    assert (36.0, "CBK0000001", "work started", "desk", "desk-1") in rows
    assert (42.0, "CBK0000002", "abandoned", "desk", None) in rows  # and hangs up again
    parents = log.events.drop_duplicates("case_id").set_index("case_id")["parent"]
    assert parents["CBK0000001"] == "INC0000002" and parents["CBK0000003"] == "CBK0000002"


def test_nobody_calls_back_with_a_zero_share() -> None:
    log = simulate(merge(PHONE, {"arrivals": {"calls": {"callback": {"share": 0.0, "delay": "30m"}}}}))
    assert trace(log) == trace(simulate(PHONE))


def test_portal_tickets_wait_however_long_it_takes() -> None:
    rows = trace(simulate({"arrivals": {"calls": {"at": ["0m", "1m", "2m"], "channel": "portal"}}}))
    assert not any(row[2] == "abandoned" for row in rows)
    assert (20.0, "INC0000003", "work started", "desk", "desk-1") in rows


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"channel": "portal", "patience": "5m"}, "only on a phone or chat stream"),
    ({"patience": "5m"}, "found channel None"),
    ({"channel": "phone", "callback": {"share": 0.5, "delay": "1h"}}, "only with a 'patience'"),
    ({"answer_within": "20s"}, "only on a stream with a 'channel'"),
    ({"channel": "fax"}, "arrivals.calls.channel"),
])
def test_the_language_refuses_abandonment_where_it_cannot_happen(changes: dict[str, Any],
                                                                 fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment):
        scenario({"arrivals": {"calls": changes}})


def test_a_category_comes_by_one_channel() -> None:
    with pytest.raises(ScenarioError, match=r"arrivals\.chats\.channel.*one channel"):
        scenario({"arrivals": {"calls": {"channel": "phone", "category": "access"},
                               "chats": {"at": ["1m"], "channel": "chat", "category": "access"}}})


def test_each_channel_has_its_own_handling_at_the_desk() -> None:
    rows = trace(simulate({"arrivals": {
        "calls": {"channel": "phone"},
        "chats": {"at": ["30m"], "channel": "chat", "desk_handling": "25m"}}}))
    assert (20.0, "INC0000001", "resolved", "desk", "desk-1") in rows  # the desk's 10 minutes
    assert (55.0, "INC0000002", "resolved", "desk", "desk-1") in rows  # the chat's own 25


def test_channel_kpis_count_abandonments_against_the_service_level() -> None:
    # Calls at 0, 1 and 2 minutes; patience 9.5 min: the first is answered at once, the second
    # after 9 minutes, the third hangs up after 9.5. A chat at 30 min is answered at once.
    kpis = _kpis(merge(PHONE, {"arrivals": {
        "calls": {"patience": "9m30s", "answer_within": "5m"},
        "chats": {"at": ["30m"], "channel": "chat"}}}))
    assert kpis[("channel", "phone", "contacts")] == (3.0, 3)
    assert kpis[("channel", "phone", "abandon_rate")] == pytest.approx((1 / 3, 3))
    assert kpis[("channel", "phone", "service_level")] == pytest.approx((1 / 3, 3))  # 1 of 3 in 5 min
    assert kpis[("channel", "phone", "asa_s")] == pytest.approx((9 * 60 / 2, 2))
    assert kpis[("channel", "chat", "service_level")] == (1.0, 1)
    assert kpis[("channel", "chat", "asa_s")] == (0.0, 1)
    # The abandoned call arrived, but is no ticket: not open at the end, not answered late.
    assert kpis[("overall", "", "arrived")] == (4.0, 4)
    assert kpis[("overall", "", "resolved")] == (3.0, 3)
    assert kpis[("overall", "", "backlog_end")] == (0.0, 0)
    assert kpis[("team", "desk", "backlog_end")] == (0.0, 0)


def test_without_patience_the_model_builds_no_abandonment_at_all() -> None:
    simulation = Simulation(scenario({"arrivals": {"calls": {"channel": "phone"}}}))
    assert simulation.abandonment is None
    assert Simulation(scenario(PHONE)).abandonment is not None


def test_a_channel_without_patience_gives_the_same_log_as_no_channel() -> None:
    base = {"arrivals": {"calls": {"at": None, "volume": "200/day"}}}
    plain = simulate(base, replication=2)
    phone = simulate(merge(base, {"arrivals": {"calls": {"channel": "phone"}}}), replication=2)
    assert len(plain.events) > 1000
    assert plain.events.equals(phone.events)

