"""CLI layer: ``mimsim warmup`` — how long the warm-up should be (MSER-5), with a plot."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.options import (
    ExecutionOptions,
    ReplicationBar,
    check_workload,
    experiment_options,
    stderr,
)
from simulator.cli.outputs import checked_default, output_file
from simulator.experiment.outputs import PLOTS
from simulator.scenario.loader import load_scenario
from simulator.scenario.units import format_duration

__all__ = ["warmup"]


@click.command(short_help="Suggest a warm-up length (MSER-5 on the backlog) and plot it.")
@click.argument("scenario", type=click.Path(path_type=Path))
@experiment_options
@click.option("--period", type=click.Choice(["auto", "hour", "day", "week"]), default="auto",
              show_default=True,
              help="Average the backlog over this period before MSER-5 (auto: weekly when "
                   "resolution times are long or arrivals have a weekly shape).")
@click.option("--plot", type=output_file(PLOTS), default=None,
              help="Where to save the plot, .png, .svg or .pdf (default: warmup-<scenario>.png).")
def warmup(scenario: Path, execution: ExecutionOptions, overrides: tuple[str, ...], period: str,
           plot: Path | None) -> None:
    """Suggest how long SCENARIO's warm-up should be: MSER-5 on its backlog series."""
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    loaded = load_scenario(scenario, overrides)
    from simulator.experiment.run import run_experiment
    from simulator.experiment.warmup import ADEQUATE_WITHIN, analyse_warmup
    from simulator.reporting.plots import warmup_figure

    target = plot or checked_default(output_file(PLOTS), Path(f"warmup-{scenario.stem}.png"), "--plot")
    bar = ReplicationBar(stderr(), f"{scenario.stem}: replications")
    chosen = execution.build(loaded, progress=bar)
    check_workload([loaded], chosen.replications)
    with bar:
        result = run_experiment(loaded, chosen, name=scenario.stem)
    assert result.warmup is not None
    analysis = result.warmup if period == "auto" else analyse_warmup(result.backlog, period)
    warmup_figure(analysis, loaded.run.warmup, f"{scenario.stem}: open tickets over time "
                  f"({result.kpis['replication'].nunique()} replications)", target)
    configured = loaded.run.warmup
    verdict = "too short" if analysis.too_short(configured) else "long enough"
    click.echo(f"{scenario}: MSER-5 on the backlog ({analysis.period}ly means, batches of 5) "
               f"suggests a warm-up of {format_duration(analysis.warmup_min)}; any warm-up from "
               f"{format_duration(analysis.adequate_from_min())} on is within "
               f"{ADEQUATE_WITHIN:.0%} of its best. The configured {format_duration(configured)} "
               f"is {verdict}.")
    click.echo(f"plot: {target}")
