"""Occupancy against available time, utilisation against paid time, and staff cost by paid hours.

Tiny deterministic scenarios computed by hand: one agent with a break and known calls, two
agents with a planned absence, and a roster with shrinkage and breaks priced as
``mimsim staff`` prices it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest

from simulator.experiment.roster import posts, roster_cost
from simulator.metrics import KpiContext, replication_kpis
from simulator.model.simulation import Simulation
from tests.helpers import scenario


def _team_kpis(changes: dict[str, Any], context: KpiContext | None = None) -> dict[str, float]:
    chosen = scenario(changes)
    simulation = Simulation(chosen, 0)
    simulation.run()
    table = replication_kpis(simulation.results(), context or KpiContext.from_scenario(chosen))
    rows = table[table["scope"] == "team"]
    return dict(zip(rows["kpi"], rows["value"], strict=True))


# One agent on Monday 08:00-16:00 (480 paid minutes) with an hour's break at 10:00 (420 on duty);
# calls of 30 minutes at 08:30, 09:50 (finished 20 minutes into the break), 10:30 (waits for the
# break to end: 11:00-11:30) and 15:50 (finished 20 minutes after the shift).
ONE_AGENT_WITH_A_BREAK: dict[str, Any] = {
    "run": {"horizon": "1d"},
    "arrivals": {"calls": {"at": ["8h30m", "9h50m", "10h30m", "15h50m"]}},
    "teams": {"desk": {"agents": None, "hourly_cost": 60,
                       "roster": [{"days": "Mon", "start": "08:00", "end": "16:00", "headcount": 1}],
                       "breaks": [{"after": "2h", "length": "1h"}]}},
    "flow": {"desk": {"handling": "30m"}},
}


def test_occupancy_counts_available_time_and_utilisation_paid_counts_paid_time() -> None:
    kpis = _team_kpis(ONE_AGENT_WITH_A_BREAK)
    # busy while on duty: 08:30-09:00, 09:50-10:00, 11:00-11:30, 15:50-16:00 = 80 of 420 minutes
    assert kpis["occupancy"] == pytest.approx(80 / 420)
    assert kpis["utilisation"] == pytest.approx(80 / 420)
    # busy within the paid shift, the paid break included: 30 + 30 + 30 + 10 = 100 of 480 minutes
    assert kpis["utilisation_paid"] == pytest.approx(100 / 480)
    assert kpis["rostered_h"] == pytest.approx(8.0)  # paid: the break is paid
    assert kpis["overtime_h"] == pytest.approx(20 / 60)  # only the 20 minutes after the shift


def test_staff_cost_pays_the_rostered_shift_with_its_break_and_the_overtime() -> None:
    kpis = _team_kpis(ONE_AGENT_WITH_A_BREAK)
    assert kpis["staff_cost"] == pytest.approx((8 + 20 / 60) * 60)  # 500, not (7 + 40/60) x 60


def test_a_planned_absence_is_paid_but_not_available() -> None:
    # Two agents around the clock for a day (2,880 paid minutes); the second away 06:00-18:00
    # (2,160 on duty); one call of an hour at 01:00.
    kpis = _team_kpis({"run": {"horizon": "1d"}, "arrivals": {"calls": {"at": ["1h"]}},
                       "teams": {"desk": {"agents": 2, "hourly_cost": 10, "planned_absence": [
                           {"start": "6h", "end": "18h", "agents": 1}]}},
                       "flow": {"desk": {"handling": "1h"}}})
    assert kpis["occupancy"] == pytest.approx(60 / 2160)
    assert kpis["utilisation_paid"] == pytest.approx(60 / 2880)
    assert kpis["rostered_h"] == pytest.approx(48.0)
    assert kpis["staff_cost"] == pytest.approx(480.0)


def test_without_breaks_or_shrinkage_paid_and_available_time_agree() -> None:
    kpis = _team_kpis({"run": {"horizon": "1d"}, "arrivals": {"calls": {"at": ["1h", "2h"]}},
                       "teams": {"desk": {"agents": 1}}, "flow": {"desk": {"handling": "45m"}}})
    assert kpis["utilisation_paid"] == pytest.approx(90 / 1440)
    assert kpis["occupancy"] == pytest.approx(kpis["utilisation_paid"])


def test_a_log_without_a_roster_has_no_paid_utilisation_and_counts_on_duty_hours() -> None:
    chosen = scenario(ONE_AGENT_WITH_A_BREAK)
    context = dataclasses.replace(KpiContext.from_scenario(chosen), rostered={})
    kpis = _team_kpis(ONE_AGENT_WITH_A_BREAK, context)
    assert pd.isna(kpis["utilisation_paid"])
    assert kpis["rostered_h"] == pytest.approx(7.0)  # what the duty log shows on duty
    assert kpis["overtime_h"] == pytest.approx(40 / 60)  # busy while off duty, the break included


def test_staff_cost_over_a_week_is_what_mimsim_staff_prices_the_roster_at() -> None:
    # Three agents Mon-Fri 08:00-17:00 with 30 % shrinkage and two breaks; the window is exactly
    # one week (a day of warm-up, then seven), so the paid hours are the roster's weekly hours.
    changes = {"run": {"horizon": "8d", "warmup": "1d"},
               "arrivals": {"calls": {"at": None, "volume": "60/day"}},
               "teams": {"desk": {"agents": None, "hourly_cost": 40, "shrinkage": 0.3,
                                  "breaks": [{"after": "2h", "latest_start": "3h", "length": "15m"},
                                             {"after": "4h", "length": "45m"}],
                                  "roster": [{"days": "Mon-Fri", "start": "08:00", "end": "17:00",
                                              "headcount": 3}]}},
               "flow": {"desk": {"handling": "12m"}}}
    chosen = scenario(changes)
    kpis = _team_kpis(changes)
    money, hours = roster_cost(posts(chosen), (3,))
    assert hours == pytest.approx(3 * 5 * 9)
    assert kpis["rostered_h"] == pytest.approx(hours)
    assert kpis["staff_cost"] - kpis["overtime_h"] * 40 == pytest.approx(money)
    assert kpis["utilisation_paid"] < kpis["occupancy"]  # shrinkage and breaks are paid, idle
