"""CLI layer: ``mimsim sensitivity`` — one input at a time, a tornado chart of the effect."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from simulator.cli.options import (
    AUTO,
    UNTIL_CLEAR,
    ExecutionOptions,
    ReplicationBar,
    check_workload,
    comparison_options,
    report_reuse,
    stderr,
    stdout,
)
from simulator.cli.outputs import checked_default, output_file
from simulator.cli.render import format_value
from simulator.cli.roi import roi_options
from simulator.cli.sweep import header
from simulator.experiment.outputs import PLOTS
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import parse_target

if TYPE_CHECKING:
    from simulator.experiment.sensitivity import SensitivityResult

__all__ = ["sensitivity"]


def _measure(kpi: str | None, scenario: Scenario, pair: bool) -> str:
    from simulator.experiment.sensitivity import ROI_MEASURES

    if pair:
        chosen = kpi or "net_benefit"
        if chosen not in ROI_MEASURES:
            raise click.BadParameter(f"expected one of {', '.join(ROI_MEASURES)} for a baseline "
                                     f"and an improved scenario; found {chosen!r}",
                                     param_hint="'--kpi'")
        return chosen
    chosen = kpi or "mtta_min"
    try:
        parse_target(chosen, ">= 0", tuple(scenario.priorities), tuple(scenario.teams),
                     tuple(scenario.services))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--kpi'") from None
    return chosen


_MONEY = {"net_benefit", "annual_benefit", "downtime_cost_avoided", "sla_penalties_avoided",
          "staff_cost_difference", "downtime_cost", "staff_cost", "sla_penalty"}


def _value(measure: str, value: float) -> str:
    if not math.isfinite(value):
        return "null"
    if measure == "roi":
        return f"{100 * value:,.1f}%"
    kpi = measure.rpartition(".")[2]
    if kpi in _MONEY:  # compact: the table holds up to six sums side by side
        for size, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
            if abs(value) >= size:
                return f"{value / size:,.1f}{suffix}"
        return f"{value:,.0f}"
    return format_value(kpi, value)


def _effect(measure: str, mean: float, low: float, high: float) -> str:
    if not math.isfinite(mean):
        return "null"
    text = ("+" if mean > 0 else "") + _value(measure, mean)
    if math.isfinite(low):
        text += f" ±{_value(measure, (high - low) / 2).removesuffix('%')}"
    return text


def _table(result: SensitivityResult) -> Table:
    measure = result.measure
    table = Table(title=f"Sensitivity of {escape(measure)}: base {_value(measure, result.base.mean)}; "
                        f"one input at a time, largest swing first (effect vs base, paired, ±95 % CI)",
                  title_justify="left")
    for column in ("input", "low", "at low", "effect", "high", "at high", "effect", "swing"):
        table.add_column(column, justify="left" if column == "input" else "right",
                         no_wrap=column != "input")
    for row in result.table.itertuples(index=False):
        table.add_row(escape(header(row.path, 28)), escape(str(row.low)), _value(measure, row.at_low),
                      _effect(measure, row.effect_low, row.effect_low_ci_low, row.effect_low_ci_high),
                      escape(str(row.high)), _value(measure, row.at_high),
                      _effect(measure, row.effect_high, row.effect_high_ci_low,
                              row.effect_high_ci_high),
                      _value(measure, row.swing))
    return table


@click.command(short_help="One-at-a-time sensitivity of a KPI or the ROI; a tornado chart.")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--range", "ranges", multiple=True, required=True, metavar="PATH=LOW:HIGH",
              help="An uncertain input and its low and high values, e.g. "
                   "services.customer_portal.downtime_cost=2300:9000 (repeatable; LOW,HIGH also "
                   "works, for values with a colon).")
@click.option("--kpi", default=None, metavar="NAME",
              help="What to measure: a KPI for one scenario (default mtta_min), or for a baseline "
                   "and an improved scenario one of net_benefit (default), annual_benefit, roi, "
                   "downtime_cost_avoided, sla_penalties_avoided, staff_cost_difference.")
@comparison_options
@roi_options
@click.option("--min-events", type=click.IntRange(min=1), default=30, show_default=True,
              help="Warn when a variant's downtime figures rest on fewer outages than this.")
@click.option("--plot", type=output_file(PLOTS), default=None,
              help="Where to save the tornado chart, .png, .svg or .pdf (default: "
                   "tornado-<scenario>.png).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
def sensitivity(scenarios: tuple[Path, ...], ranges: tuple[str, ...], kpi: str | None,
                execution: ExecutionOptions, overrides: tuple[str, ...], years: float,
                investment: float, running_cost: float, discount_rate: float,
                min_events: int, plot: Path | None, output_format: str) -> None:
    """How much a KPI of SCENARIO — or the ROI of IMPROVED over BASELINE — moves when each
    --range input goes to its low and its high value, the others staying at their base.

    Give one scenario, or two (BASELINE IMPROVED: each range applies to both). Every design
    runs with the same random numbers.
    """
    if len(scenarios) > 2:
        raise click.UsageError(f"expected one scenario, or a baseline and an improved one; found "
                               f"{len(scenarios)}")
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    base = load_scenario(scenarios[0], overrides)
    # Every file, before running anything (a bad second file is reported at once).
    loaded = [base, *(load_scenario(path, overrides) for path in scenarios[1:])]
    from simulator.experiment.grid import GridError, parse_range_pair
    from simulator.experiment.roi import RoiSettings, case_costs
    from simulator.experiment.sensitivity import run_sensitivity
    from simulator.reporting.tornado import save_tornado

    try:
        parameters = [parse_range_pair(option) for option in ranges]
    except GridError as error:
        raise click.BadParameter(str(error), param_hint="'--range'") from None
    paths = [parameter.path for parameter in parameters]
    repeated = sorted({path for path in paths if paths.count(path) > 1})
    if repeated:
        raise click.BadParameter(f"expected each key once; found {', '.join(repeated)} more than "
                                 f"once", param_hint="'--range'")
    measure = _measure(kpi, base, len(scenarios) == 2)
    settings = RoiSettings(years, investment, running_cost, discount_rate)
    if measure == "roi" and not case_costs(base, loaded[-1], settings).total(settings) > 0:
        raise click.BadParameter("expected a cost for the ROI (net benefit ÷ cost): the scenarios' "
                                 "major_incident.costs or --investment; found none — measure "
                                 "net_benefit instead", param_hint="'--kpi'")
    designs = (1 + 2 * len(parameters)) * len(scenarios)
    plot_path = plot or checked_default(output_file(PLOTS), Path(f"tornado-{scenarios[-1].stem}.png"),
                                        "--plot")
    console = stderr()
    bar = ReplicationBar(console, "designs × replications")
    chosen = execution.build(base, study="a sensitivity study", accepts=(AUTO, UNTIL_CLEAR),
                             measures=(measure,) if len(scenarios) == 2 else (), progress=bar)
    check_workload(loaded, chosen.replications, designs,
                   "--range: a base, a low and a high per range and scenario")
    with bar:
        result = run_sensitivity(scenarios, parameters, measure, chosen, overrides=overrides,
                                 settings=settings, min_events=min_events)
    target = save_tornado(result, plot_path)
    if output_format == "json":
        click.echo(json.dumps(result.document() | {"plot": str(target)}, indent=2))
    else:
        stdout().print(_table(result))
    console.print(f"tornado chart: {target}", markup=False)
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False)
    if result.stopping is not None:
        console.print(f"replications: until-clear — {result.stopping.reason}", markup=False)
    report_reuse(console, result.reused, chosen)
