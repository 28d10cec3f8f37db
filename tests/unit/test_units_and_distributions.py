"""Units and distributions: parsing with explicit units, and sampling against analytic moments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from simulator.scenario.distributions import Distribution
from simulator.scenario.units import UnitError, format_duration, parse_duration, parse_rate


@pytest.mark.parametrize(("text", "minutes"), [
    ("90s", 1.5), ("15m", 15.0), ("4h", 240.0), ("3d", 4320.0), ("2w", 20160.0),
    ("1h30m", 90.0), ("1.5h", 90.0), (" 2 days ", 2880.0), ("0m", 0.0), ("45 min", 45.0),
])
def test_durations_are_read_in_minutes(text: str, minutes: float) -> None:
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize(("text", "per_minute"), [
    ("120/day", 120 / 1440), ("8/h", 8 / 60), ("5/w", 5 / 10080), ("3/2h", 3 / 120),
    ("1.5/min", 1.5),
])
def test_rates_are_read_per_minute(text: str, per_minute: float) -> None:
    assert parse_rate(text) == pytest.approx(per_minute)


@pytest.mark.parametrize(("value", "fragment"), [
    (30, "a bare number, no unit"), ("30", "expected a duration with a unit"),
    ("3 parsecs", "expected a duration unit"), ("-5m", "zero or more"), ("h", "with a unit"),
    ("10m of", "expected a duration"),
])
def test_bad_durations_say_what_was_expected(value: object, fragment: str) -> None:
    with pytest.raises(UnitError, match=fragment):
        parse_duration(value)


@pytest.mark.parametrize("value", [8, "8", "8 per hour", "x/h", "8/parsec", "-2/h"])
def test_bad_rates_are_refused(value: object) -> None:
    with pytest.raises(UnitError, match="rate"):
        parse_rate(value)


@given(st.floats(min_value=0.01, max_value=1e6, allow_nan=False))
def test_formatted_durations_read_back(minutes: float) -> None:
    minutes = round(minutes, 2)
    assert parse_duration(format_duration(minutes)) == pytest.approx(minutes, rel=1e-2, abs=0.01)


DISTRIBUTIONS = TypeAdapter(Distribution)

# (scenario text, the same distribution in SciPy with minutes as the unit)
CASES = [
    ({"dist": "exponential", "mean": "1h"}, stats.expon(scale=60)),
    ({"dist": "lognormal", "mean": "2h", "sd": "3h"},
     stats.lognorm(s=math.sqrt(math.log(1 + 2.25)), scale=120 / math.sqrt(1 + 2.25))),
    ({"dist": "lognormal", "median": "4h", "p90": "1d"},
     stats.lognorm(s=math.log(6) / stats.norm.ppf(0.9), scale=240)),
    ({"dist": "gamma", "shape": 2.5, "scale": "20m"}, stats.gamma(2.5, scale=20)),
    ({"dist": "gamma", "mean": "1h", "sd": "30m"}, stats.gamma(4.0, scale=15)),
    ({"dist": "weibull", "shape": 0.8, "scale": "2h"}, stats.weibull_min(0.8, scale=120)),
    ({"dist": "triangular", "min": "5m", "mode": "10m", "max": "30m"},
     stats.triang(0.2, loc=5, scale=25)),
    ({"dist": "uniform", "min": "1h", "max": "3h"}, stats.uniform(60, 120)),
    ({"dist": "empirical", "quantiles": {0: "0m", 0.5: "10m", 1: "30m"}}, None),
    ({"dist": "empirical", "values": ["5m", "10m", "15m", "1h"]}, None),
]


@pytest.mark.parametrize(("spec", "reference"), CASES, ids=lambda case: str(case)[:40])
def test_sampled_moments_match_the_analytic_mean(spec: dict[str, object], reference: object) -> None:
    distribution = DISTRIBUTIONS.validate_python(spec)
    sample = distribution.sample(np.random.default_rng(11), 200_000)
    standard_error = sample.std() / math.sqrt(len(sample))
    assert abs(sample.mean() - distribution.mean()) < 4.5 * standard_error
    if reference is not None:
        assert distribution.mean() == pytest.approx(reference.mean(), rel=1e-9)
        for level in (0.1, 0.5, 0.9):
            assert distribution.quantile(np.array([level]))[0] == pytest.approx(
                reference.ppf(level), rel=1e-7)


def test_lognormal_by_median_and_p90_has_that_median_and_p90() -> None:
    distribution = DISTRIBUTIONS.validate_python({"dist": "lognormal", "median": "22h",
                                                  "p90": "382h"})
    assert distribution.quantile(np.array([0.5, 0.9])) == pytest.approx([22 * 60, 382 * 60])


def test_quantile_tables_interpolate_and_values_resample_equally() -> None:
    table = DISTRIBUTIONS.validate_python({"dist": "empirical",
                                           "quantiles": {0: "0m", 0.5: "10m", 1: "30m"}})
    assert table.quantile(np.array([0.25, 0.5, 0.75])) == pytest.approx([5, 10, 20])
    assert table.mean() == pytest.approx(12.5)
    values = DISTRIBUTIONS.validate_python({"dist": "empirical", "values": ["1m", "2m", "3m"]})
    drawn = values.sample(np.random.default_rng(1), 30_000)
    assert set(np.unique(drawn)) == {1.0, 2.0, 3.0}
    assert np.bincount(drawn.astype(int))[1:] / 30_000 == pytest.approx([1 / 3] * 3, abs=0.01)


def test_a_plain_duration_is_a_fixed_value() -> None:
    distribution = DISTRIBUTIONS.validate_python("10m")
    assert list(distribution.sample(np.random.default_rng(0), 3)) == [10.0, 10.0, 10.0]


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"dist": "lognormal", "mean": "1h"}, "either 'mean' and 'sd' or 'median' and 'p90'"),
    ({"dist": "lognormal", "median": "2h", "p90": "1h"}, "'p90' greater than 'median'"),
    ({"dist": "exponential", "mean": "0m"}, "greater than zero"),
    ({"dist": "gamma", "shape": -1, "scale": "1h"}, "greater than zero"),
    ({"dist": "triangular", "min": "10m", "mode": "5m", "max": "30m"}, "min <= mode <= max"),
    ({"dist": "uniform", "min": "1h", "max": "1h"}, "min < max"),
    ({"dist": "empirical", "quantiles": {0.1: "1m", 1: "2m"}}, "from 0 to 1"),
    ({"dist": "empirical", "quantiles": {0: "5m", 1: "2m"}}, "never decrease"),
    ({"dist": "normal", "mean": "1h"}, "does not match any of the expected tags"),
    ({"dist": "weibull", "shape": float("nan"), "scale": "1h"}, "finite number"),
])
def test_impossible_parameters_are_refused(spec: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        DISTRIBUTIONS.validate_python(spec)
