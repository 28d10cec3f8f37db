"""Reporting layer: figures (matplotlib, the only layer that imports it) and, later, HTML reports."""

from simulator.reporting.plots import warmup_figure

__all__ = ["warmup_figure"]
