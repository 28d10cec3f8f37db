"""Routing by whole paths (trajectory resampling): the scenario language, the model, how calibrate
learns the paths with their smoothing, and the round trip on the history-dependent organisation
of ``test_history_routing.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from simulator.calibration.paths import MIN_PATH_TICKETS, PRIOR_TICKETS, learn_paths
from tests.calibration.test_history_routing import _handoffs, _simulated_handoffs, ping_pong_log  # noqa: F401
from tests.helpers import TINY, merge, run_cli, simulate

THREE_GROUPS: dict[str, Any] = {
    "teams": {"A": {"agents": 3}, "B": {"agents": 3}, "C": {"agents": 3}},
    "flow": {"desk": {"first_contact_resolution": 0.0, "escalation": {"A": 1.0}},
             "groups": {"A": {"handling": "1h"}, "B": {"handling": "1h"}, "C": {"handling": "1h"}}},
}


def _queued(events: pd.DataFrame) -> list[list[str]]:
    return events[events["activity"] == "queued"].groupby("case_id")["team"].apply(list).tolist()


def test_a_ticket_on_a_path_goes_exactly_that_way() -> None:
    """desk → A → B → C → A, resolved in A, although no group transfers anything."""
    paths = [{"first": "A", "paths": {"A > B > C > A": 1.0}}]
    log = simulate(merge(THREE_GROUPS, {"arrivals": {"calls": {"at": ["10m", "20m", "30m"]}},
                                        "flow": {"paths": paths}}))
    assert _queued(log.events) == [["desk", "A", "B", "C", "A"]] * 3
    resolved = log.events[log.events["activity"] == "resolved"]
    assert resolved["team"].tolist() == ["A"] * 3


def test_the_first_matching_rule_decides_and_priorities_are_kept_apart() -> None:
    log = simulate(merge(THREE_GROUPS, {
        "arrivals": {"calls": {"at": ["10m", "20m"], "impact_urgency": {1: {1: 1.0}}},
                     "other": {"at": ["15m"], "impact_urgency": {3: {3: 1.0}}}},
        "flow": {"paths": [{"first": "A", "priority": "P1", "paths": {"A > C": 1.0}},
                           {"first": "A", "paths": {"A > B": 1.0}},
                           {"first": "A", "priority": "P4", "paths": {"A": 1.0}}]}}))  # never reached
    events = log.events
    last = events[events["activity"] == "resolved"].set_index("case_id")
    assert sorted(zip(last["priority"].astype(str), last["team"].astype(str), strict=True)) == [
        ("P1", "C"), ("P1", "C"), ("P4", "B")]


def test_a_rule_for_another_category_is_not_taken() -> None:
    log = simulate(merge(THREE_GROUPS, {
        "arrivals": {"calls": {"at": ["10m"], "category": "network"},
                     "db": {"at": ["20m"], "category": "database"}},
        "flow": {"paths": [{"first": "A", "category": "database", "paths": {"A > B": 1.0}},
                           {"first": "A", "category": "network", "paths": {"A > C": 1.0}}]}}))
    assert _queued(log.events) == [["desk", "A", "C"], ["desk", "A", "B"]]


def test_the_rest_of_the_shares_follow_the_transfers() -> None:
    """Shares summing to 0.3: the other tickets take A's transfer (to C); roughly 30 % go A → B."""
    log = simulate(merge(THREE_GROUPS, {
        "arrivals": {"calls": {"at": None, "volume": "400/day"}}, "run": {"horizon": "3d"},
        "flow": {"paths": [{"first": "A", "paths": {"A > B": 0.3}}],
                 "groups": {"A": {"handling": "10m", "transfer": {"C": 1.0}}}}}))
    second = pd.Series([queued[2] for queued in _queued(log.events) if len(queued) > 2])
    shares = second.value_counts(normalize=True)
    assert set(shares.index) == {"B", "C"} and len(second) > 300
    assert shares["B"] == pytest.approx(0.3, abs=0.05)


def test_paths_that_match_no_ticket_change_no_random_number() -> None:
    """The path is drawn from a stream of its own: a scenario whose rules no ticket takes runs
    number for number as the one without them (and so do the golden logs, which have none)."""
    base = merge(THREE_GROUPS, {"arrivals": {"calls": {"at": None, "volume": "200/day"}},
                                "run": {"horizon": "3d"},
                                "flow": {"desk": {"first_contact_resolution": 0.3},
                                         "groups": {"A": {"handling": "1h", "transfer": {"B": 0.3}},
                                                    "B": {"handling": "1h",
                                                          "transfer": {"A": 0.2, "C": 0.1}}}}})
    plain = simulate(base).events
    unused = simulate(merge(base, {"flow": {"paths": [{"first": "C", "paths": {"C > A": 1.0}}]}})).events
    pd.testing.assert_frame_equal(plain, unused)


@pytest.mark.parametrize(("rule", "fragments"), [
    ({"first": "Z", "paths": {"A": 1.0}}, ["flow.paths[0].first", "found 'Z'"]),
    ({"first": "A", "paths": {"B > A": 1.0}}, ["flow.paths[0].paths", "starts at its rule's first group 'A'",
                                               "found one that starts at 'B'"]),
    ({"first": "A", "paths": {"A > Q": 1.0}}, ["flow.paths[0].paths", "found 'Q'"]),
    ({"first": "A", "paths": {"A > A > B": 1.0}}, ["flow.paths[0].paths", "'A' twice in a row"]),
    ({"first": "A", "paths": {"A >  > B": 1.0}}, ["flow.paths[0].paths", "separated by '>'"]),
    ({"first": "A", "paths": {"A": 0.7, "A > B": 0.5}}, ["flow.paths[0].paths", "at most 1", "1.2"]),
    ({"first": "A", "priority": "P9", "paths": {"A": 1.0}}, ["flow.paths[0].priority", "found 'P9'"]),
    ({"first": "A", "category": "nothing", "paths": {"A": 1.0}},
     ["flow.paths[0].category", "found 'nothing'"]),
])
def test_a_bad_path_rule_is_one_clear_line_and_exit_code_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: dict[str, Any],
        fragments: list[str]) -> None:
    data = merge(TINY, merge(THREE_GROUPS, {"flow": {"paths": [rule]}}))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert all(fragment in err for fragment in fragments), err
    assert len([line for line in err.strip().splitlines() if line.strip()]) == 1, err


def _visits(paths: list[tuple[str, ...]], censored: frozenset[int] = frozenset()) -> pd.DataFrame:
    rows = [{"case_id": f"c{case}", "step": step, "team": team,
             "censored": case in censored and step == len(path) - 1}
            for case, path in enumerate(paths) for step, team in enumerate(path)]
    return pd.DataFrame(rows)


def test_calibrate_lists_paths_seen_twice_with_pseudo_tickets_left_to_the_fallback() -> None:
    """40 P3 tickets first at A: 24 stay, 12 go A → B, 3 go A → C → B, 1 goes A → C (seen once: not
    listed); each listed share is its count over 40 + 10 pseudo-tickets. Two P1 tickets at A
    (too few for a table of their own) share a table for A learned from all A's tickets; an
    open ticket has no finished path and counts nowhere; a run of visits to one team is one stay."""
    p3 = [("A",)] * 24 + [("A", "B")] * 12 + [("A", "C", "B")] * 3 + [("A", "C")]
    p1 = [("A", "A", "B"), ("A",)]
    visits = _visits([*p3, *p1, ("A", "B", "C")], censored=frozenset({len(p3) + len(p1)}))
    priority = pd.Series(["P3"] * len(p3) + ["P1"] * len(p1) + ["P3"], index=[f"c{i}" for i in range(43)])
    tables = learn_paths(visits, priority)
    assert [(table.first, table.priority, table.tickets, table.distinct) for table in tables] == [
        ("A", "P3", 40, 4), ("A", None, 42, 4)]
    total = 40 + PRIOR_TICKETS
    assert tables[0].paths == pytest.approx({("A",): 24 / total, ("A", "B"): 12 / total,
                                             ("A", "C", "B"): 3 / total}, abs=1e-5)
    assert tables[1].paths == pytest.approx({("A",): 25 / 52, ("A", "B"): 13 / 52, ("A", "C", "B"): 3 / 52},
                                            abs=1e-5)
    assert len(p1) < MIN_PATH_TICKETS


@pytest.mark.slow
def test_the_round_trip_with_paths_keeps_the_hand_offs_per_ticket(
        ping_pong_log: tuple[Path, pd.Series]) -> None:  # noqa: F811
    path, real = ping_pong_log
    with_paths = _simulated_handoffs(path, "paths")
    assert np.abs(with_paths.to_numpy() - real.to_numpy()).max() < 0.03, (with_paths, real)
    learned = yaml.safe_load(path.with_name("learned-paths.yaml").read_text())
    rules = {(rule["first"], rule.get("priority")): rule["paths"] for rule in learned["flow"]["paths"]}
    # net's tickets go back from db nine times in ten: the ping-pong path is replayed whole
    ping_pong = rules[("group_net", "P3")]["group_net > group_db > group_net"]
    assert ping_pong == pytest.approx(0.5 * 0.9, abs=0.04)
