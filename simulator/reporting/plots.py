"""Reporting layer: figures, drawn with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from simulator.experiment.warmup import BATCH, PERIOD_MIN, WarmupAnalysis

__all__ = ["warmup_figure"]


def warmup_figure(analysis: WarmupAnalysis, configured_min: float, title: str,
                  path: str | Path) -> Path:
    """Plot the backlog per period with MSER-5's suggestion and the configured warm-up; save it."""
    length = PERIOD_MIN[analysis.period]
    series = analysis.series
    x = series["start_min"] / length
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=False,
                                         gridspec_kw={"height_ratios": [3, 2]})
    top.fill_between(x, series["low"], series["high"], color="tab:blue", alpha=0.2,
                     label="range across replications")
    top.plot(x, series["mean"], color="tab:blue", label=f"mean open tickets per {analysis.period}")
    top.axvline(analysis.warmup_min / length, color="tab:red", linestyle="--",
                label=f"MSER-5 suggests {analysis.warmup_min / length:g} {analysis.period}s")
    top.axvline(configured_min / length, color="tab:grey", linestyle=":",
                label=f"configured: {configured_min / length:g} {analysis.period}s")
    top.set_ylabel("open tickets (all teams)")
    top.set_xlabel(f"{analysis.period}s since the start")
    top.set_title(title)
    top.legend(loc="best", fontsize="small", framealpha=0.85)
    candidates = [d * BATCH for d in range(len(analysis.statistic))]
    bottom.plot(candidates, analysis.statistic, marker="o", color="tab:purple")
    bottom.axvline(analysis.truncation_batches * BATCH, color="tab:red", linestyle="--")
    bottom.set_xlabel(f"{analysis.period}s truncated")
    bottom.set_ylabel("MSER statistic")
    bottom.set_title("MSER-5: smallest where the rest of the run is most stable", fontsize="small")
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target
