"""Erlang B and C against published tables, and the lagged offered load against exact cases.

Sources of the table values:

* Erlang B — T. S. Rappaport, *Wireless Communications: Principles and Practice*, 2nd ed.
  (Prentice Hall, 2002), Table 3.4 "Capacity of an Erlang B system": the offered traffic
  (Erlangs) at a grade of service of 0.01 for C channels.
* Erlang C — J. Dunlop, D. Girma and J. Irvine, *Digital Mobile Communications and the
  TETRA System* (Wiley, 1999), Appendix A.3: the worked example reads from the book's
  Erlang C table that 8 channels carry 3.87 Erlangs with 5 % of calls delayed and 10
  channels 4.08 Erlangs with 1 %, and that with 8 channels 1.6 % of the delayed calls
  wait longer than the mean holding time.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from simulator.metrics.analytic import (
    HOURS_PER_WEEK,
    erlang_b,
    erlang_c,
    mean_wait,
    offered_load,
    servers_needed,
    service_level,
)

RAPPAPORT_GOS_001 = [(2, 0.153), (4, 0.869), (5, 1.36), (10, 4.46), (20, 12.0), (24, 15.3),
                     (40, 29.0), (70, 56.1), (100, 84.1)]


def _three_figures(value: float) -> float:
    return float(f"{value:.3g}")


@pytest.mark.parametrize(("channels", "table_traffic"), RAPPAPORT_GOS_001)
def test_erlang_b_gives_the_published_capacity_at_one_percent_blocking(
        channels: int, table_traffic: float) -> None:
    traffic = brentq(lambda load: erlang_b(channels, load) - 0.01, 1e-6, channels)
    assert _three_figures(traffic) == table_traffic


@pytest.mark.parametrize(("channels", "delayed", "table_traffic"), [(8, 0.05, 3.87), (10, 0.01, 4.08)])
def test_erlang_c_gives_the_published_traffic_at_a_delay_probability(
        channels: int, delayed: float, table_traffic: float) -> None:
    traffic = brentq(lambda load: erlang_c(channels, load) - delayed, 1e-6, channels - 1e-9)
    assert round(traffic, 2) == table_traffic


def test_delayed_calls_waiting_beyond_the_holding_time_match_the_published_example() -> None:
    waiting_longer = 1.0 - service_level(8, 3.87, 1.0, 1.0)  # P(W > T), T = mean holding time
    assert waiting_longer / erlang_c(8, 3.87) == pytest.approx(0.016, abs=0.0005)


def test_the_mmc_scenario_numbers_of_erlang_c() -> None:
    # scenarios/mmc.yaml: 10 agents, 8 Erlangs, 60-minute service; response target 30 minutes.
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-5)
    assert mean_wait(10, 8.0, 60.0) == pytest.approx(12.28, abs=0.005)
    assert service_level(10, 8.0, 60.0, 30.0) == pytest.approx(0.849, abs=5e-4)
    assert service_level(11, 8.0, 60.0, 30.0) == pytest.approx(0.945, abs=5e-4)
    assert servers_needed(8.0, lambda agents: service_level(agents, 8.0, 60.0, 30.0) >= 0.9) == 11


def test_erlang_b_and_c_stay_finite_and_ordered_for_large_systems() -> None:
    blocking = [erlang_b(servers, 950.0) for servers in (900, 1000, 1100)]
    delay = [erlang_c(servers, 950.0) for servers in (951, 1000, 1100)]
    assert all(0.0 < value < 1.0 for value in blocking + delay)
    assert blocking == sorted(blocking, reverse=True) and delay == sorted(delay, reverse=True)
    assert erlang_b(1000, 950.0) < erlang_c(1000, 950.0)  # a lost call would have waited
    assert erlang_c(5, 5.0) == 1.0 and math.isinf(mean_wait(5, 6.0, 10.0))
    assert erlang_b(0, 3.0) == 1.0 and erlang_b(4, 0.0) == 0.0


def test_steady_demand_offers_rate_times_mean_work() -> None:
    rates = np.full(HOURS_PER_WEEK, 8 / 60)
    work = 60.0 * -np.log1p(-(np.arange(400) + 0.5) / 400)  # exponential quantiles, mean 60
    assert offered_load(rates, work, 60.0) == pytest.approx(np.full(HOURS_PER_WEEK, 8.0), rel=1e-9)


def test_work_that_lasts_two_hours_is_still_on_hand_after_the_arrivals_stop() -> None:
    rates = np.zeros(HOURS_PER_WEEK)
    rates[9] = 1.0  # one arrival a minute, Monday 09:00-10:00 only; each needs exactly 2 hours
    load = offered_load(rates, np.full(10, 120.0))
    # m(t) = arrivals in [t - 120, t]: ramps up over 09-10, stays at 60 over 10-11, ramps down.
    assert load[9:13] == pytest.approx([30.0, 60.0, 30.0, 0.0])
    assert load.sum() == pytest.approx(60 * 120 / 60)  # every arrival's two hours, once
    assert load[:9].sum() == 0.0 and load[13:].sum() == 0.0
