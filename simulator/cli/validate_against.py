"""CLI layer: ``mimsim validate-against`` — a scenario's simulation next to a real log's KPIs."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import click
from rich.table import Table

from simulator.cli.calibrate import log_options, read_selected_log
from simulator.cli.options import stderr, stdout
from simulator.cli.outputs import checked_default, output_file
from simulator.experiment.outputs import PLOTS

__all__ = ["validate_against"]


def _value(kpi: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.1f} h" if "_h" in kpi else f"{value:.1%}"


def _table(result: object, real_n: int) -> Table:
    from simulator.calibration.validation import ValidationResult

    assert isinstance(result, ValidationResult)
    table = Table(title=f"Real log ({real_n} incidents) against the simulation "
                        f"({result.replications} replications; 95 % CI)", title_justify="left")
    for column, justify in (("KPI", "left"), ("real", "right"), ("simulated", "right"),
                            ("95 % CI", "right"), ("sim − real", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in result.table.itertuples():
        if not math.isfinite(row.real) and not math.isfinite(row.mean):
            continue
        ci = f"[{_value(row.kpi, row.ci_low)}, {_value(row.kpi, row.ci_high)}]" \
            if math.isfinite(row.ci_low) else "—"
        gap = row.mean - row.real if math.isfinite(row.mean) and math.isfinite(row.real) else math.nan
        difference = "—" if not math.isfinite(gap) else (
            f"{gap:+.1f} h" if "_h" in row.kpi else f"{100 * gap:+.1f} pt")
        table.add_row(row.kpi, _value(row.kpi, row.real), _value(row.kpi, row.mean), ci, difference)
    return table


def _distances(result: object) -> Table:
    from simulator.calibration.validation import ValidationResult

    assert isinstance(result, ValidationResult)
    table = Table(title="Distance between real and simulated distributions (simulation pooled "
                        "over replications)", title_justify="left")
    for column in ("distribution", "Kolmogorov–Smirnov", "Wasserstein", "n real", "n simulated"):
        table.add_column(column, justify="left" if column == "distribution" else "right")
    for name, entry in result.distances.items():
        unit = " h" if name.startswith("resolution") else ""
        table.add_row(name, f"{entry['ks']:.3f}", f"{entry['wasserstein']:.2f}{unit}",
                      str(int(entry["n_a"])), str(int(entry["n_b"])))
    return table


@click.command("validate-against", short_help="Compare a scenario's simulation with a real log.")
@click.argument("log", type=click.Path(path_type=Path))
@click.argument("scenario", type=click.Path(path_type=Path))
@log_options(default_part="second")
@click.option("-r", "--replications", type=click.IntRange(min=2), default=None,
              help="Replications (default: the scenario's run.replications).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores). Results do not depend on it.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
@click.option("--plot", type=output_file(PLOTS), default=None,
              help="Where to save the real-against-simulated resolution-time plot, .png, .svg "
                   "or .pdf (default: validate-<scenario>.png).")
def validate_against(log: Path, scenario: Path, log_format: str, mapping: Path | None,
                     changelog: Path | None, encoding: str,
                     between: tuple[dt.datetime, dt.datetime] | None,
                     split: tuple[float, int] | None, part: str, replications: int | None,
                     seed: int | None, workers: int | None, output_format: str,
                     plot: Path | None) -> None:
    """Run SCENARIO over LOG's period and put the real and simulated KPIs side by side.

    The same KPI code measures both: the log is rewritten as a mimsim event log. With
    --split, the second part is used by default (the part calibrate left out).
    """
    from simulator.scenario.loader import load_scenario

    target = plot or checked_default(output_file(PLOTS), Path(f"validate-{scenario.stem}.png"), "--plot")
    loaded = load_scenario(scenario)
    real = read_selected_log(log, log_format, mapping, between, split, part, cut=False,
                             changelog=changelog, encoding=encoding)
    # Only now the simulation and plotting code: inputs that cannot be read are refused sooner.
    from simulator.calibration.validation import validate_against as compare
    from simulator.reporting.calibration_plots import resolution_figure

    result = compare(real, loaded, replications, seed, workers)
    figure = resolution_figure(result, f"{log.name} against {scenario.name}",
                               target)
    if output_format == "json":
        document = result.document(real, scenario.stem)
        document["plot"] = str(figure)
        click.echo(json.dumps(document, indent=2))
    else:
        console = stdout()
        console.print(_table(result, len(real.incidents)))
        console.print(_distances(result))
    stderr().print(f"wrote {figure}", markup=False)
