"""CLI layer: ``mimsim run`` — replications of one scenario, KPIs with CIs against targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

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
from simulator.scenario.units import format_duration

if TYPE_CHECKING:
    from simulator.experiment.run import RunResult

__all__ = ["count", "run", "run_notes"]


def count(n: int, thing: str) -> str:
    """``count(1, "team")`` → ``"1 team"``; ``count(2, "team")`` → ``"2 teams"``."""
    return f"{n} {thing}{'' if n == 1 else 's'}"


def run_notes(result: RunResult) -> list[str]:
    """What a user should know besides the numbers: how many replications and why, the warm-up."""
    notes = []
    if result.decision is not None:
        widths = ", ".join(f"{kpi} ±{width:.1%}" for kpi, width in result.decision.precision.items())
        notes.append(f"replications: auto — {result.decision.reason}; the results use "
                     f"{result.decision.used} ({widths})")
    warmup = result.warmup
    configured = result.scenario.run.warmup
    if warmup is not None and warmup.too_short(configured):
        notes.append(f"note: the warm-up ({format_duration(configured)}) looks too short: MSER-5 on "
                     f"the backlog ({warmup.period}ly means) suggests "
                     f"{format_duration(warmup.warmup_min)}, and at least "
                     f"{format_duration(warmup.adequate_from_min())}; see `mimsim warmup`")
    return notes


@click.command(short_help="Run replications; report KPIs with confidence intervals.", epilog="""\b
Examples (a test runs each on the shipped scenarios):
  mimsim run scenarios/baseline.yaml -r 5
  mimsim run scenarios/baseline.yaml --set teams.service_desk.roster.late.headcount=5
  mimsim run scenarios/baseline.yaml --set run.measure=8w -o runs/short
The horizon is the whole run, warm-up included; run.measure is the time after it.""")
@click.argument("scenario", type=click.Path(path_type=Path))
@experiment_options
@click.option("-o", "--out", type=output_directory(), default=None,
              help="Write the run directory here (event logs, incidents, KPIs, manifest): a new "
                   "or empty directory, or one mimsim wrote (emptied first).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
@click.option("--events", "events_format", type=click.Choice(["parquet", "csv", "xes"]),
              default="parquet", show_default=True, help="Event-log file format in --out.")
@click.option("--report", "with_report", is_flag=True,
              help="Also write the HTML report to OUT/report.html (needs --out).")
def run(scenario: Path, execution: ExecutionOptions, overrides: tuple[str, ...], out: Path | None,
        output_format: str, events_format: str, with_report: bool) -> None:
    """Run a scenario's replications and report its KPIs with confidence intervals."""
    if with_report and out is None:
        raise click.UsageError("--report writes OUT/report.html: give the run directory with --out")
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    loaded = load_scenario(scenario, overrides)
    from simulator.cli.render import measured_window, render_run
    from simulator.experiment.run import run_experiment
    from simulator.experiment.summary import check_targets, scenario_targets

    console = stderr()
    bar = ReplicationBar(console, f"{scenario.stem}: replications")
    chosen = execution.build(loaded, out_dir=out, events_format=events_format, progress=bar)
    check_workload([loaded], chosen.replications)
    with bar:
        result = run_experiment(loaded, chosen, name=scenario.stem, source=str(scenario),
                                overrides=overrides)
    if output_format == "json":
        click.echo(json.dumps(result.document(), indent=2))
    else:
        checks = check_targets(result.summary, scenario_targets(loaded))
        used = int(result.kpis["replication"].nunique())
        header = (f"[bold]{escape(loaded.name)}[/] ({escape(str(scenario))}) — "
                  f"{count(used, 'replication')}, seed {result.seed}, horizon "
                  f"{format_duration(loaded.run.horizon)}, warm-up {format_duration(loaded.run.warmup)}, "
                  f"{result.manifest['wall_s']} s")
        changes = loaded.changes.emergency is not None or loaded.changes.normal is not None
        render_run(stdout(), result.summary, checks, header, changes or loaded.problems is not None,
                   measured_window(loaded))
    for note in run_notes(result):
        console.print(note, markup=False)
    if out is not None:
        console.print(f"wrote {out}/ (events, incidents, kpis.csv, summary.json, manifest.json)",
                      markup=False)
    if with_report and out is not None:
        from simulator.cli.report import write_run_report

        written = write_run_report(out, out / "report.html", loaded, tuple(run_notes(result)))
        console.print(f"wrote {written}", markup=False)
