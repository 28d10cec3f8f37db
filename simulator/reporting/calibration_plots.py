"""Reporting layer: real against simulated resolution times, for ``mimsim validate-against``."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed (servers, CI)

import matplotlib.pyplot as plt
import numpy as np

from simulator.calibration.validation import ValidationResult

__all__ = ["resolution_figure"]

#: A priority gets its own panel from this many real resolved incidents on.
MIN_PER_PANEL = 30


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(np.maximum(values, 1.0 / 60.0))  # a minute at least: the axis is logarithmic
    return ordered, np.arange(1, len(ordered) + 1) / len(ordered)


def resolution_figure(result: ValidationResult, title: str, path: str | Path) -> Path:
    """Distribution functions of opened → resolved hours, real and simulated, overall and per priority."""
    names = ["resolution_h", *sorted(name for name, values in result.real_samples.items()
                                     if name.startswith("resolution_h.") and len(values) >= MIN_PER_PANEL)]
    figure, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 4.0), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        real, simulated = result.real_samples[name], result.simulated_samples.get(name, np.zeros(0))
        for values, label, style in ((real, "real", "-"), (simulated, "simulated", "--")):
            if len(values):
                x, y = _ecdf(values)
                axis.step(x, y, where="post", linestyle=style, label=f"{label} (n={len(values)})")
        distance = result.distances.get(name, {})
        scope = "all priorities" if name == "resolution_h" else name.split(".", 1)[1]
        axis.set_title(f"{scope}: KS {distance.get('ks', float('nan')):.3f}", fontsize="medium")
        axis.set_xscale("log")
        for hours in (4, 24, 72):
            axis.axvline(hours, color="grey", linewidth=0.6, linestyle=":")
        axis.set_xlabel("opened → resolved (hours, log scale)")
        axis.set_ylim(0, 1)
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel("share resolved within")
    axes[0][0].legend(loc="upper left", fontsize="small")
    figure.suptitle(f"{title} (dotted: 4 h, 24 h, 72 h)")
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target
