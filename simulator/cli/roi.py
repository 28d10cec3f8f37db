"""CLI layer: ``mimsim roi`` — the return on an improved design over a baseline.

With every input at one value it is one answer with confidence intervals over paired
replications. Where the scenarios give prices as ranges, or ``--uncertain`` adds inputs,
it is a study: input sets by Latin hypercube, each priced (and, for model inputs,
simulated), and the ROI, net benefit and payback reported as distributions.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
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
    confirmed,
    report_reuse,
    stderr,
    stdout,
)
from simulator.cli.outputs import output_directory
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario

if TYPE_CHECKING:
    from simulator.experiment.roi import Interval, RoiResult, RoiSettings
    from simulator.experiment.roi_study import RoiStudy, StudySettings
    from simulator.experiment.uncertainty import UncertainInput
    from simulator.scenario.schema import Scenario

__all__ = ["roi", "roi_options"]


def roi_options(function: click.decorators.FC) -> click.decorators.FC:
    """--years, --investment, --running-cost and --discount-rate (shared with ``sensitivity``)."""
    options = [
        click.option("--years", type=click.FloatRange(min=0, min_open=True), default=1.0,
                     show_default=True, help="Horizon of the net benefit, ROI and payback, in years."),
        click.option("--investment", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="One-off cost besides the scenario's major_incident.costs.implementation."),
        click.option("--running-cost", type=click.FloatRange(min=0), default=0.0,
                     show_default=True,
                     help="Yearly cost besides the scenario's major_incident.costs (licences, a "
                          "team present in both designs, ...)."),
        click.option("--discount-rate", type=click.FloatRange(min=0, max=1, max_open=True),
                     default=0.0, show_default=True,
                     help="Discount the yearly flows at this rate a year (0.1 = 10 %); the "
                          "one-off cost is paid at the start."),
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
    table.add_row("process costs (scenario + running cost given)", _money(result.costs.per_year), "")
    table.add_row("[bold]annual benefit[/]", *_row(result.parts["annual_benefit"]))
    discount = f", discounted at {settings.discount_rate:.0%}" if settings.discount_rate else ""
    table.add_row(f"[bold]net benefit over {settings.years:g} years[/] (after one-off cost "
                  f"{_money(result.costs.one_off)}{discount})", *_row(result.parts["net_benefit"]))
    if result.roi is None:
        table.add_row("ROI", "null", escape(result.roi_reason or ""))
    else:
        table.add_row(f"ROI (÷ cost {_money(result.costs.total(settings))})",
                      *_row(result.roi, "percent"))
    if result.payback_years is None:
        table.add_row("payback (years)", "null", escape(result.payback_reason or ""))
    else:
        mean, interval = _row(result.payback_years, "years")
        if result.payback_years.mean < 1:
            mean += f" ({365 * result.payback_years.mean:.1f} days)"
        table.add_row("payback (years)", mean, interval)
    return table


def _study_table(study: RoiStudy) -> Table:
    from simulator.reporting.roi_onepager import distribution_rows

    header, rows = distribution_rows(study)
    table = Table(title=f"{len(study.per_set)} input sets (Latin hypercube) × {study.replications} "
                        f"paired replications, common random numbers", title_justify="left")
    for index, column in enumerate(header):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def _study_notes(study: RoiStudy) -> list[str]:
    model = sum(item.spec.kind == "model" for item in study.inputs)
    if math.isfinite(study.share):
        split = (f"spread: {1 - study.share:.0%} input uncertainty, {study.share:.0%} simulation "
                 f"noise (target under {study.study.noise_target:.0%}; {study.estimator()})")
    else:
        split = "spread: none from the inputs (every input fixed): the spread is simulation noise"
    return [f"{len(study.inputs) - model} price inputs re-price the same replications; {model} model "
            f"inputs simulated at {len(study.configurations)} configurations; {split}",
            study.plausibility()]


def _parse_uncertain(options: tuple[str, ...]) -> list[UncertainInput]:
    from simulator.experiment.uncertainty import parse_uncertain

    try:
        return [parse_uncertain(option) for option in options]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--uncertain'") from None


def _check_model_inputs(files: tuple[Path, Path], overrides: tuple[str, ...],
                        inputs: list[UncertainInput]) -> None:
    """Each model input's ends make valid scenarios (one line naming the option otherwise)."""
    for item in inputs:
        if item.kind == "price":
            continue
        for value in (item.low, item.high):
            assignment = f"{item.path}={item.written(value)}"
            for file in files:
                try:
                    load_scenario(file, (*overrides, assignment))
                except ScenarioError as error:
                    problem = error.problems[0]
                    raise click.BadParameter(f"{assignment}: {problem.message}",
                                             param_hint="'--uncertain'") from None


def _haircuts(options: tuple[str, ...]) -> dict[str, float]:
    from simulator.experiment.roi_summary import RISK_KEYS

    chosen = {}
    for option in options:
        key, _, text = option.partition("=")
        try:
            value = float(text.strip().removesuffix("%")) / (100 if text.strip().endswith("%") else 1)
        except ValueError:
            value = math.nan
        if key.strip() not in RISK_KEYS or not 0 <= value < 1:
            raise click.BadParameter(f"expected KEY=HAIRCUT with KEY one of {', '.join(RISK_KEYS)} "
                                     f"and a haircut from 0 up to 1 (or 0%-99%); found {option!r}",
                                     param_hint="'--risk-adjust'")
        chosen[key.strip()] = value
    return chosen


def _single(first: Path, second: Path, loaded: list[Scenario], execution: ExecutionOptions,
            settings: RoiSettings, min_events: int, out: Path | None, output_format: str) -> None:
    from simulator.experiment.roi import run_roi
    from simulator.reporting.roi_onepager import single_answer
    from simulator.reporting.roi_report import roi_markdown

    baseline, improved = loaded
    console = stderr()
    bar = ReplicationBar(console, "designs × replications")
    chosen = execution.build(baseline, study="an ROI", accepts=(AUTO, UNTIL_CLEAR),
                             measures=("net_benefit",), out_dir=out, progress=bar)
    check_workload(loaded, chosen.replications, designs_from="BASELINE and IMPROVED")
    with bar:
        result = run_roi((first.stem, baseline), (second.stem, improved), settings, chosen, min_events)
    document, markdown = result.document(), roi_markdown(result)
    if output_format == "json":
        click.echo(json.dumps(document, indent=2))
    elif output_format == "markdown":
        click.echo(markdown, nl=False)
    else:
        out_console = stdout()
        out_console.print(single_answer(result), markup=False)
        out_console.print(_table(result))
    for warning in result.evidence.warnings if result.evidence is not None else []:
        console.print(f"warning: {warning}", markup=False)
    if result.stopping is not None:
        console.print(f"replications: until-clear — {result.stopping.reason}", markup=False)
    report_reuse(console, result.reused, chosen)
    if out is not None:
        (out / "roi.json").write_text(json.dumps(document, indent=2) + "\n")
        (out / "roi.md").write_text(markdown)
        console.print(f"wrote {out}/ (a run directory per design, roi.json, roi.md)", markup=False)


def _check_study_workload(loaded: list[Scenario], study: StudySettings,
                          inputs: list[UncertainInput]) -> None:
    """Refuse a study above the work limit unless --yes: each configuration (the base, and with
    model inputs their points and tornado ends) runs both designs, up to the replication cap."""
    from simulator.experiment.workload import Workload, incidents_per_replication

    model = sum(item.kind != "price" for item in inputs)
    configurations = 1 + (study.model_points + 2 * model if model else 0)
    incidents = sum(incidents_per_replication(scenario) for scenario in loaded) / len(loaded)
    Workload(incidents, study.max_replications, 2 * configurations, "--max-study-replications",
             "2 designs × configurations").check(confirmed())


def _study(files: tuple[Path, Path], loaded: list[Scenario], execution: ExecutionOptions,
           overrides: tuple[str, ...], settings: RoiSettings, study_settings: StudySettings,
           inputs: list[UncertainInput], out: Path | None, output_format: str) -> None:
    from simulator.experiment.outputs import prepare_run_directory, write_manifest
    from simulator.experiment.roi_study import run_roi_study
    from simulator.experiment.sequential import SequentialRule
    from simulator.reporting.roi_onepager import answer, study_html, study_markdown, write_study_report

    console = stderr()
    bar = ReplicationBar(console, "configurations × designs × replications")
    chosen = execution.build(loaded[0], study="an ROI study", accepts=(UNTIL_CLEAR,),
                             progress=bar)
    until_clear = isinstance(chosen.replications, SequentialRule)
    if isinstance(chosen.replications, SequentialRule):
        # A study has its own rule (replications until the simulation's share of the spread is
        # under --noise-target): -r until-clear starts it at the rule's first look.
        chosen = replace(chosen, replications=chosen.replications.initial)
    _check_study_workload(loaded, study_settings, inputs)
    marker: dict[str, object] = {"command": "roi", "baseline": str(files[0]),
                                 "improved": str(files[1])}
    if out is not None:
        prepare_run_directory(out, marker)
    try:
        with bar:
            study = run_roi_study(files, settings, study_settings, chosen, overrides=overrides,
                                  uncertain=inputs)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--uncertain'") from None
    if output_format == "json":
        click.echo(json.dumps(study.document(), indent=2))
    elif output_format == "markdown":
        click.echo(study_markdown(study), nl=False)
    elif output_format == "html":
        click.echo(study_html(study), nl=False)
    else:
        out_console = stdout()
        out_console.print(answer(study), markup=False)
        out_console.print(_study_table(study))
        for note in _study_notes(study):
            out_console.print(note, markup=False)
    for warning in study.warnings:
        console.print(f"warning: {warning}", markup=False)
    if until_clear:
        console.print(f"replications: until-clear — an ROI study adds them until simulation noise "
                      f"is at most {study_settings.noise_target:.0%} of the spread of the net "
                      f"benefit (at most {study_settings.max_replications}): used "
                      f"{study.replications} in {len(study.batches)} batches", markup=False)
    report_reuse(console, study.reused, chosen)
    if out is not None:
        written = write_study_report(study, out)
        (out / "roi.json").write_text(json.dumps(study.document(), indent=2) + "\n")
        write_manifest(out, {**marker, "state": "finished"})
        console.print(f"wrote {', '.join(str(path) for path in [out / 'roi.json', *written])}",
                      markup=False)


@click.command(short_help="Return on an improvement: ROI, net benefit and payback, with uncertainty.")
@click.argument("baseline", type=click.Path(path_type=Path))
@click.argument("improved", type=click.Path(path_type=Path))
@comparison_options
@roi_options
@click.option("--uncertain", "uncertain", multiple=True, metavar="PATH=[SHAPE:]LOW:[MODE:]HIGH",
              help="An uncertain input for both designs: LOW:HIGH (uniform), LOW:MODE:HIGH "
                   "(triangular), or pert:LOW:MODE:HIGH, e.g. "
                   "services.customer_portal.failures.every.mean=30d:60d:120d (repeatable). A "
                   "price only re-prices; any other key is simulated at its own values.")
@click.option("--input-sets", type=click.IntRange(min=0), default=200, show_default=True,
              help="Input sets to draw when any input is uncertain (0: one answer at the base "
                   "values, with CIs).")
@click.option("--model-points", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many values the model inputs (those that change the simulation) take.")
@click.option("--noise-target", type=click.FloatRange(min=0.01, max=0.9), default=0.10,
              show_default=True,
              help="Add replications until simulation noise is at most this share of the spread.")
@click.option("--max-study-replications", type=click.IntRange(min=2), default=200, show_default=True,
              help="Stop adding replications per configuration here (the worked example needs "
                   "about 170 for its noise to fall under 10 %; lower it for a quick look).")
@click.option("--variance-reduction", type=click.Choice(["controls", "none"]), default="controls",
              show_default=True,
              help="How a study estimates each input set's figures from its replications: "
                   "controls (control variates on the outage process: outages per service in and "
                   "out of business hours, with exactly known means) or "
                   "none (plain means).")
@click.option("--risk-adjust", "risk", multiple=True, metavar="KEY=HAIRCUT",
              help="TEI risk adjustment, shown beside the unadjusted figures: "
                   "downtime_cost_avoided=20%, sla_penalties_avoided=..., costs=10% (repeatable).")
@click.option("--min-events", type=click.IntRange(min=1), default=30, show_default=True,
              help="Warn when the downtime figures rest on fewer outages than this.")
@click.option("-o", "--out", type=output_directory(), default=None,
              help="Write roi.json and roi.md here; a study also roi.html and its figures, one "
                   "answer both run directories: a new or empty directory, or one mimsim wrote "
                   "(emptied first).")
@click.option("--format", "output_format",
              type=click.Choice(["table", "json", "markdown", "html"]), default="table",
              show_default=True, help="What to print on stdout (html: a study's one-pager).")
def roi(baseline: Path, improved: Path, execution: ExecutionOptions, overrides: tuple[str, ...],
        years: float, investment: float, running_cost: float, discount_rate: float,
        uncertain: tuple[str, ...], input_sets: int, model_points: int, noise_target: float,
        max_study_replications: int, variance_reduction: str, risk: tuple[str, ...],
        min_events: int, out: Path | None, output_format: str) -> None:
    """The return on IMPROVED over BASELINE: both run with the same random numbers.

    Per year: downtime cost avoided, SLA penalties avoided, the extra staff cost and the
    process's own costs (the scenarios' major_incident.costs); then the net benefit over
    --years, the ROI and the payback. Where prices are ranges (or --uncertain is given),
    every figure is a distribution over input sets, with the chance of a loss.
    """
    files = (baseline, improved)
    # The scenarios first: a file that cannot be read is refused before the engine is imported.
    loaded = [load_scenario(file, overrides) for file in files]
    from simulator.experiment.roi import RoiSettings
    from simulator.experiment.roi_study import StudySettings
    from simulator.experiment.uncertainty import scenario_inputs

    settings = RoiSettings(years, investment, running_cost, discount_rate)
    inputs = _parse_uncertain(uncertain)
    haircuts = _haircuts(risk)
    _check_model_inputs(files, overrides, inputs)
    ranged = inputs or any(scenario_inputs(scenario) for scenario in loaded)
    if input_sets == 0 or not ranged:
        if output_format == "html":
            raise click.BadParameter("expected uncertain inputs for the HTML one-pager (a range "
                                     "in the scenarios, or --uncertain); found every input fixed",
                                     param_hint="'--format'")
        _single(baseline, improved, loaded, execution, settings, min_events, out, output_format)
        return
    study = StudySettings(input_sets, None, model_points, noise_target,
                          max_study_replications, haircuts, min_events, variance_reduction)
    _study(files, loaded, execution, overrides, settings, study, inputs, out, output_format)
