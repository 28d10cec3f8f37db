"""The replications algorithm of Hoad, Robinson & Davies (2010), on sequences worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.experiment.precision import PrecisionRule, look_ahead, relative_half_width


def test_the_look_ahead_is_k_limit_up_to_100_then_grows() -> None:
    assert [look_ahead(n) for n in (3, 50, 100, 101, 200, 399)] == [5, 5, 5, 5, 10, 19]


def test_relative_half_width() -> None:
    # values 9, 10, 11: mean 10, sd 1, t(0.975, 2) = 4.3027; half-width 4.3027/sqrt(3) = 2.484
    assert relative_half_width([9.0, 10.0, 11.0]) == pytest.approx(0.2484, abs=1e-4)
    assert math.isinf(relative_half_width([1.0]))
    assert math.isinf(relative_half_width([-1.0, 1.0]))  # mean 0: no relative precision


def test_precise_from_the_start_stops_after_the_look_ahead() -> None:
    rule = PrecisionRule(("kpi",), target=0.05)
    values = [100.0, 101.0, 99.0, 100.5, 99.5, 100.0, 100.2, 99.8]
    assert rule.decide({"kpi": values[:7]}) is None  # 3 + 5 look-ahead needs 8
    decision = rule.decide({"kpi": values})
    assert decision is not None and decision.converged
    assert (decision.solution, decision.used) == (3, 8)
    assert decision.precision["kpi"] < 0.05


def test_a_precision_reached_by_chance_and_lost_does_not_stop_the_search() -> None:
    rule = PrecisionRule(("kpi",), target=0.05)
    values = [100.0, 100.0, 100.5, 140.0, 60.0] + [100.0] * 40
    assert relative_half_width(values[:3]) <= 0.05  # the first three agree by chance ...
    decision = rule.decide({"kpi": values})

    def holds(n: int) -> bool:  # within the precision from n through its look-ahead
        return all(relative_half_width(values[:m]) <= 0.05 for m in range(n, n + look_ahead(n) + 1))

    assert decision is not None and decision.converged
    assert decision.solution == min(n for n in range(3, 40) if holds(n)) > 5  # ... not enough
    assert decision.used == decision.solution + 5


def test_the_cap_stops_a_search_that_does_not_converge() -> None:
    rule = PrecisionRule(("kpi",), target=0.01, cap=20)
    noisy = list(np.random.default_rng(1).normal(10.0, 5.0, 20))
    assert rule.decide({"kpi": noisy[:19]}) is None
    decision = rule.decide({"kpi": noisy})
    assert decision is not None and not decision.converged
    assert decision.used == 20 and "cap of 20" in decision.reason


def test_every_kpi_must_be_precise() -> None:
    rule = PrecisionRule(("steady", "noisy"), target=0.05, cap=10)
    values = {"steady": [10.0] * 10, "noisy": [1.0, 20.0] * 5}
    decision = rule.decide(values)
    assert decision is not None and not decision.converged and "noisy" in decision.reason


def test_intervals_stay_within_the_values_a_kpi_can_take() -> None:
    import pandas as pd

    from simulator.experiment.summary import summarise

    values = [1.0, 1.0, 1.0, 0.25]  # t-interval: 81 % ± 60 % — past 100 % unclipped
    kpis = pd.DataFrame({"scope": "overall", "key": "", "value": values + values, "n": 1,
                         "kpi": ["emergency_change_success_rate"] * 4 + ["mtta_min"] * 4})
    summary = summarise(kpis).set_index("kpi")
    share, minutes = summary.loc["emergency_change_success_rate"], summary.loc["mtta_min"]
    assert share["ci_high"] == 1.0 and 0.0 < share["ci_low"] < share["mean"] == 0.8125
    assert minutes["ci_high"] > 1.0 and minutes["ci_low"] == share["ci_low"]  # not capped at 1
    outages = summarise(pd.DataFrame({"scope": "overall", "key": "", "kpi": "outages", "n": 1,
                                      "value": [0.0, 0.0, 0.0, 10.0]})).iloc[0]
    assert outages["ci_low"] == 0.0 and outages["ci_high"] > 10.0  # t-interval: 2.5 ± 8.0
