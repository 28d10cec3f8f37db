"""Cost KPIs on exact tiny traces: staff cost from the duty log, SLA penalties from breaches."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.metrics import KpiContext, replication_kpis
from tests.helpers import TINY, merge, run_cli, scenario, simulate


def _kpis(changes: dict) -> dict[tuple[str, str, str], float]:
    log = simulate(changes)
    table = replication_kpis(log, KpiContext.from_scenario(scenario(changes)))
    return {(row.scope, row.key, row.kpi): row.value for row in table.itertuples(index=False)}


def test_staff_cost_is_rostered_hours_times_the_hourly_cost() -> None:
    kpis = _kpis({"teams": {"desk": {"agents": 2, "hourly_cost": 10}}})
    assert kpis[("team", "desk", "staff_cost")] == pytest.approx(2 * 168 * 10)
    assert kpis[("overall", "", "staff_cost")] == pytest.approx(2 * 168 * 10)


def test_overtime_is_paid_at_the_hourly_cost_too() -> None:
    # Monday 09:00-17:00 shift; a 30-minute ticket arrives at 16:55 and is finished at 17:25.
    changes = {"teams": {"desk": {"agents": None, "hourly_cost": 20, "roster": [
                   {"days": "Mon", "start": "09:00", "end": "17:00", "headcount": 1}]}},
               "arrivals": {"calls": {"at": ["16h55m"]}},
               "flow": {"desk": {"handling": "30m"}}}
    kpis = _kpis(changes)
    assert kpis[("team", "desk", "overtime_h")] == pytest.approx(25 / 60)
    assert kpis[("team", "desk", "staff_cost")] == pytest.approx((8 + 25 / 60) * 20)


def test_sla_penalty_counts_each_breach_once_at_its_price() -> None:
    # One agent, 10-minute tickets at minutes 10 and 11: the second starts at 20 (waited 9 > 5)
    # and is resolved at 30 (19 minutes > 15): one response and one resolution breach.
    changes = {"arrivals": {"calls": {"at": ["10m", "11m"]}},
               "priorities": {"P3": {"response": "5m", "resolution": "15m",
                                     "response_breach_penalty": 100, "breach_penalty": 1000}}}
    kpis = _kpis(changes)
    assert kpis[("priority", "P3", "sla_response_attainment")] == 0.5
    assert kpis[("overall", "", "sla_penalty")] == 1100.0


def test_no_penalty_configured_costs_nothing() -> None:
    kpis = _kpis({"arrivals": {"calls": {"at": ["10m", "11m"]}},
                  "priorities": {"P3": {"response": "5m"}}})
    assert kpis[("overall", "", "sla_penalty")] == 0.0


@pytest.mark.parametrize(("priority", "fragments"), [
    ({"response": "1h", "breach_penalty": 500},
     ["priorities.P3.breach_penalty", "expected a 'resolution' target", "found no 'resolution'"]),
    ({"resolution": "1h", "breach_penalty": -5},
     ["priorities.P3.breach_penalty", "zero or more", "found -5"]),
    ({"resolution": "1h", "response_breach_penalty": 50},
     ["priorities.P3.response_breach_penalty", "expected a 'response' target"]),
])
def test_a_bad_penalty_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         priority: dict, fragments: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(merge(TINY, {"priorities": {"P3": priority}})))
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"{path}:")
    for fragment in fragments:
        assert fragment in err
