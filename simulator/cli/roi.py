"""CLI layer: ``mimsim roi`` — the return on an improved design over a baseline, with CIs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from simulator.cli.options import (
    ExecutionOptions,
    ReplicationBar,
    check_workload,
    experiment_options,
    stderr,
    stdout,
)
from simulator.cli.outputs import output_directory
from simulator.scenario.loader import load_scenario

if TYPE_CHECKING:
    from simulator.experiment.roi import Interval, RoiResult

__all__ = ["roi", "roi_options"]


def roi_options(function: click.decorators.FC) -> click.decorators.FC:
    """--years, --investment and --running-cost (shared with ``sensitivity``)."""
    options = [
        click.option("--years", type=click.FloatRange(min=0, min_open=True), default=1.0,
                     show_default=True, help="Horizon of the net benefit, ROI and payback, in years."),
        click.option("--investment", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="One-off cost of the improvement (ROI is undefined when it is 0)."),
        click.option("--running-cost", type=click.FloatRange(min=0), default=0.0,
                     show_default=True,
                     help="Yearly cost of running the improvement not in the scenario "
                          "(licences, a team present in both designs, ...)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _money(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "null"


def _row(interval: Interval, show: str = "money") -> tuple[str, str]:
    def render(value: float) -> str:
        if show == "percent":
            return f"{100 * value:,.0f}%" if math.isfinite(value) else "null"
        if show == "years":
            return f"{value:.3g}" if math.isfinite(value) else "unbounded"
        return _money(value)

    interval_text = "-" if not math.isfinite(interval.ci_low) and show != "years" else \
        f"{render(interval.ci_low)} – {render(interval.ci_high)}"
    return render(interval.mean), interval_text


def _table(result: RoiResult) -> Table:
    settings = result.settings
    table = Table(title=f"Return on {escape(result.improved)} over {escape(result.baseline)}: "
                        f"{result.replications} paired replications, common random numbers "
                        f"(money per year unless stated; 95 % CI)", title_justify="left")
    for column in ("", "mean", "95 % CI"):
        table.add_column(column, justify="left" if not column else "right")
    labels = {"downtime_cost_avoided": "downtime cost avoided",
              "sla_penalties_avoided": "SLA penalties avoided",
              "staff_cost_difference": "extra staff cost (rostered + overtime)"}
    for part, label in labels.items():
        table.add_row(label, *_row(result.parts[part]))
    table.add_row("running cost (given)", _money(settings.running_cost), "")
    table.add_row("[bold]annual benefit[/]", *_row(result.parts["annual_benefit"]))
    table.add_row(f"[bold]net benefit over {settings.years:g} years[/] (after investment "
                  f"{_money(settings.investment)})", *_row(result.parts["net_benefit"]))
    if result.roi is None:
        table.add_row("ROI", "null", escape(result.roi_reason or ""))
    else:
        table.add_row("ROI", *_row(result.roi, "percent"))
    if result.payback_years is None:
        table.add_row("payback (years)", "null", escape(result.payback_reason or ""))
    else:
        mean, interval = _row(result.payback_years, "years")
        if result.payback_years.mean < 1:
            mean += f" ({365 * result.payback_years.mean:.1f} days)"
        table.add_row("payback (years)", mean, interval)
    return table


@click.command(short_help="Return on an improvement: benefit, ROI and payback with CIs.")
@click.argument("baseline", type=click.Path(path_type=Path))
@click.argument("improved", type=click.Path(path_type=Path))
@experiment_options
@roi_options
@click.option("-o", "--out", type=output_directory(), default=None,
              help="Write both run directories, roi.json and roi.md here: a new or empty "
                   "directory, or one mimsim wrote (emptied first).")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True,
              help="What to print on stdout: a table, JSON, or the one-page Markdown summary.")
def roi(baseline: Path, improved: Path, execution: ExecutionOptions, overrides: tuple[str, ...],
        years: float, investment: float, running_cost: float, out: Path | None,
        output_format: str) -> None:
    """The return on IMPROVED over BASELINE: both run with the same random numbers.

    Per year: downtime cost avoided, SLA penalties avoided (priorities' breach_penalty),
    the staff cost difference; then net benefit over --years after --investment, ROI and
    payback, each with a 95 % CI from the paired replications.
    """
    # The scenarios first: a file that cannot be read is refused before the engine is imported.
    first = load_scenario(baseline, overrides)
    second = load_scenario(improved, overrides)
    from simulator.experiment.roi import RoiSettings, run_roi
    from simulator.reporting.roi_report import roi_markdown

    settings = RoiSettings(years, investment, running_cost)
    console = stderr()
    bar = ReplicationBar(console, "designs × replications")
    chosen = execution.build(first, out_dir=out, progress=bar)
    check_workload([first, second], chosen.replications, designs_from="BASELINE and IMPROVED")
    with bar:
        result = run_roi((baseline.stem, first), (improved.stem, second), settings, chosen)
    document = result.document()
    markdown = roi_markdown(result)
    if output_format == "json":
        click.echo(json.dumps(document, indent=2))
    elif output_format == "markdown":
        click.echo(markdown, nl=False)
    else:
        stdout().print(_table(result))
    if out is not None:
        (out / "roi.json").write_text(json.dumps(document, indent=2) + "\n")
        (out / "roi.md").write_text(markdown)
        console.print(f"wrote {out}/ (a run directory per design, roi.json, roi.md)", markup=False)
