"""The ROI one-pager's reading aids (issue 17): the histogram's axis follows the input sets, not
the published ROIs; and an undecided case says how many replications would decide it.

A loss (ROIs of −99 % to −73 %) drawn on an axis running to IDC's 795 % is a sliver at the
left edge; the published ROIs beyond the sets' range are listed at the edge instead.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from simulator.experiment.roi_summary import PUBLISHED_ROIS, distribution, replications_to_decide
from simulator.reporting.roi_figures import roi_distribution_figure
from simulator.reporting.roi_onepager import answer, probability


def _figure(rois: list[float]) -> tuple[tuple[float, float], list[str], list[float]]:
    per_set = pd.DataFrame({"roi": rois})
    study = SimpleNamespace(per_set=per_set, distributions=lambda: {"roi": distribution(per_set["roi"])},
                            settings=SimpleNamespace(years=3), improved="with-mim",
                            baseline="without-mim", replications=10)
    axes = roi_distribution_figure(study).axes[0]  # type: ignore[arg-type]
    texts = [text.get_text() for text in axes.texts]
    dashed = [float(np.asarray(line.get_xdata())[0]) for line in axes.lines
              if line.get_linestyle() == "--"]
    return axes.get_xlim(), texts, dashed


def test_a_loss_keeps_its_own_scale_and_lists_the_published_rois_at_the_edge() -> None:
    (low, high), texts, dashed = _figure([-0.99, -0.9, -0.87, -0.8, -0.73] * 4)
    assert low < -0.99 and 0.0 < high < 0.2  # the sets and break-even, with a margin
    assert dashed == []  # no published ROI falls on this axis
    [edge] = texts
    assert edge.startswith("published, off this scale →")
    assert all(f"{item.short}: {item.roi:.0%}" in edge for item in PUBLISHED_ROIS)


def test_published_rois_within_the_sets_range_are_lines_on_the_axis() -> None:
    (low, high), texts, dashed = _figure([0.5, 1.0, 3.0, 6.0, 9.0] * 4)
    assert low < 0.0 and high > 9.0
    assert sorted(dashed) == sorted(item.roi for item in PUBLISHED_ROIS)
    assert not any(text.startswith("published, off") for text in texts)


def test_replications_to_decide_the_sign_of_the_net_benefit() -> None:
    # Mean -10 with a half-width of 20 over 10 replications: the half-width falls as 1/sqrt(R),
    # so 10 x (20/10)^2 = 40 replications bring it to 10, the mean's distance from zero.
    assert replications_to_decide(-10.0, -30.0, 10.0, 10) == 40
    assert replications_to_decide(5.0, -1.0, 11.0, 4) == 6  # 4 x (6/5)^2 = 5.76, rounded up
    assert replications_to_decide(-50.0, -70.0, -30.0, 10) is None  # the sign is settled
    assert replications_to_decide(0.0, 0.0, 0.0, 10) is None  # a design against itself
    assert replications_to_decide(-10.0, float("nan"), float("nan"), 1) is None


def test_a_probability_never_rounds_to_a_certainty_it_is_not() -> None:
    assert probability(0.995) == "99.5%"  # 199 input sets of 200 lose money: not "100%"
    assert probability(1.0) == "100%" and probability(0.0) == "0%"
    assert probability(0.004) == "0.4%" and probability(0.37) == "37%"
    assert probability(0.9996) == "> 99.9%" and probability(0.0004) == "< 0.1%"


def _study(share: float, net: list[float]) -> SimpleNamespace:
    per_set = pd.DataFrame({"net_benefit": net, "roi": [value / 1e5 for value in net]})
    return SimpleNamespace(
        distributions=lambda: {name: distribution(per_set[name]) for name in ("net_benefit", "roi")},
        settings=SimpleNamespace(years=3), improved="with-mim", baseline="without-mim",
        p_loss=float((per_set["net_benefit"] < 0).mean()), share=share,
        study=SimpleNamespace(noise_target=0.10))


def test_the_answer_says_it_is_provisional_while_the_noise_is_above_its_target() -> None:
    """A study stopped at its cap with most of its spread simulation noise (the ten-replication
    worked example: 60 %) must not read as settled on its first line; one under its target does."""
    losses = [-200_000.0, -150_000.0, -120_000.0, -90_000.0] * 5
    noisy = answer(_study(0.60, losses))  # type: ignore[arg-type]
    assert noisy.startswith("The case does not pay:")
    assert noisy.endswith("Provisional: 60% of that spread is simulation noise (target 10%), so more "
                          "replications may change the answer.")
    settled = answer(_study(0.095, losses))  # type: ignore[arg-type]
    assert settled.startswith("The case does not pay:") and "Provisional" not in settled
    assert settled == noisy[:len(settled)]
    assert "Provisional: 20%" in answer(_study(0.20, [50_000.0, 80_000.0] * 10))  # type: ignore[arg-type]
    assert "Provisional" not in answer(_study(float("nan"), losses))  # type: ignore[arg-type]
