"""Kaplan–Meier and censored maximum likelihood against cases worked by hand and known truths."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.calibration.fitting import fit_durations, kaplan_meier, km_quantiles


def test_kaplan_meier_by_hand() -> None:
    # 1, 2+, 3, 4: F(1) = 1/4; at 3, two at risk, one finishes: S = 3/4 · 1/2; at 4: 0.
    times, cdf = kaplan_meier(np.array([1.0, 2.0, 3.0, 4.0]), np.array([False, True, False, False]))
    assert times.tolist() == [1.0, 3.0, 4.0]
    assert cdf.tolist() == pytest.approx([0.25, 0.625, 1.0])


def test_without_censoring_it_is_the_empirical_distribution() -> None:
    values = np.array([5.0, 1.0, 3.0, 3.0])
    times, cdf = kaplan_meier(values, np.zeros(4, bool))
    assert times.tolist() == [1.0, 3.0, 5.0] and cdf.tolist() == pytest.approx([0.25, 0.75, 1.0])


def test_censoring_is_not_ignored() -> None:
    rng = np.random.default_rng(4)
    truth = rng.lognormal(np.log(60.0), 1.0, 4000)
    cut = rng.uniform(0, 240, 4000)  # open tickets at the export: we only know they lasted this long
    seen, censored = np.minimum(truth, cut), truth > cut
    naive = np.median(seen[~censored])
    median = km_quantiles(seen, censored, np.array([0.5]))[0]
    assert naive < 45.0  # dropping the open ones biases the median down by a quarter
    assert median == pytest.approx(60.0, rel=0.08)
    fit = fit_durations(seen, censored)
    assert fit.name == "lognormal" and fit.n_censored == censored.sum()
    assert fit.spec["median"] == pytest.approx(60.0, rel=0.08)
    assert fit.spec["p90"] == pytest.approx(60.0 * np.exp(1.2816), rel=0.15)


def test_a_shape_no_curve_fits_is_written_as_observed_quantiles() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate([np.zeros(3000), rng.lognormal(np.log(600.0), 0.3, 3000)])  # half instant
    fit = fit_durations(values)
    assert fit.name == "empirical" and "no curve within KS" in fit.comment()
    quantiles = fit.spec["quantiles"]
    assert quantiles[0.4] == 0.0 and quantiles[0.6] == pytest.approx(np.quantile(values, 0.6), rel=0.05)
    top = values[values >= quantiles[0.99]]
    assert (quantiles[0.99] + quantiles[1.0]) / 2 == pytest.approx(top.mean(), rel=0.01)  # keeps the mean
