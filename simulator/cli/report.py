"""CLI layer: ``mimsim report`` — one self-contained HTML file from a run or comparison directory,
or from a sweep store."""

from __future__ import annotations

import difflib
from pathlib import Path

import click
import pandas as pd

from simulator.cli.options import stderr
from simulator.cli.outputs import checked_default, output_file
from simulator.cli.render import format_value
from simulator.experiment.outputs import HTML_REPORT
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario, scenario_hash
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import Target

__all__ = ["report", "report_scenario", "sweep_targets", "write_run_report", "write_sweep_report"]


class BadInput(click.ClickException):
    """Bad input as one line (``Error: …``) and exit code 2, without the usage text."""

    exit_code = 2


def report_scenario(manifest: dict[str, object]) -> tuple[Scenario | None, str | None]:
    """The scenario a run was made from (for its diagram), re-read from the file the manifest names.

    Returns the scenario, or None and why not: no file recorded, the file is gone or invalid,
    or it has changed since the run (its SHA-256 differs from the manifest's).
    """
    source = manifest.get("scenario_file")
    if not isinstance(source, str):
        return None, None
    recorded = manifest.get("overrides")
    overrides = [str(item) for item in recorded] if isinstance(recorded, list) else []
    try:
        scenario = load_scenario(source, overrides)
    except ScenarioError as error:
        return None, f"{source}: could not be read again ({error.problems[0]})"
    if scenario_hash(scenario) != manifest.get("scenario_hash"):
        return None, (f"{source} has changed since the run (its SHA-256 differs from the manifest's): "
                      f"the diagram is left out")
    return scenario, None


def write_run_report(run_dir: Path, out: Path, scenario: Scenario | None = None,
                     notes: tuple[str, ...] = ()) -> Path:
    """Read a run (or comparison) directory and write its HTML report to ``out``."""
    from simulator.reporting.report import comparison_report, run_report, write_report
    from simulator.reporting.rundata import is_comparison, read_comparison, read_run

    if is_comparison(run_dir):
        comparison = read_comparison(run_dir)
        first, problem = report_scenario(comparison.runs[comparison.designs[0]].manifest)
        return write_report(comparison_report(comparison, format_value, first, [problem] if problem else []),
                            out)
    run = read_run(run_dir)
    problem = None
    if scenario is None:
        scenario, problem = report_scenario(run.manifest)
    return write_report(run_report(run, format_value, scenario, (*notes, *([problem] if problem else []))),
                        out)


def sweep_targets(designs: pd.DataFrame) -> tuple[list[Target], str | None]:
    """The targets of a sweep's scenario, re-read as its first design: the scenario file, the
    common changes and the design's grid values (its SHA-256 must match the store's).

    Returns the targets, or none and why not.
    """
    from simulator.experiment.summary import scenario_targets

    first = designs.iloc[0]
    source = first["scenario_file"]
    if not isinstance(source, str):
        return [], "the store does not name the scenario file: no targets are drawn"
    assignments = [f"{path}={value}" for path, value in first["parameters"].items()]
    try:
        scenario = load_scenario(source, [*first["overrides"], *assignments])
    except ScenarioError as error:
        return [], f"{source}: could not be read again ({error.problems[0]}): no targets are drawn"
    if scenario_hash(scenario) != first["scenario_hash"]:
        return [], (f"{source} has changed since the sweep (its SHA-256 differs from the store's): "
                    f"no targets are drawn")
    return scenario_targets(scenario), None


def write_sweep_report(store: Path, out: Path, kpis: tuple[str, ...] = ()) -> Path:
    """Read a sweep store and write its HTML report to ``out`` (``kpis``: default, its targets')."""
    from simulator.reporting.report import write_report
    from simulator.reporting.sweep_report import default_kpis, read_sweep, sweep_report

    data = read_sweep(store)
    if data.designs.empty:
        raise BadInput(f"{store}: expected a sweep store with designs; found none")
    targets, problem = sweep_targets(data.designs)
    available = data.kpi_names()
    for name in kpis:
        if name not in available:
            close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (e.g. {', '.join(available[:4])}, …)"
            raise BadInput(f"--kpi: expected a KPI the store holds, named KPI, PRIORITY.KPI or TEAM.KPI; "
                           f"found {name!r}{hint}")
    chosen = list(kpis) or default_kpis(data, targets)
    return write_report(sweep_report(data, format_value, chosen, targets, [problem] if problem else []), out)


@click.command(short_help="Write the HTML report of a run or comparison directory, or a sweep store.")
@click.argument("run_dir", metavar="RUN_DIR|STORE", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=output_file([HTML_REPORT]), default=None,
              help="The HTML file to write (default: RUN_DIR/report.html, or STORE with .html): "
                   "a new file, or a report mimsim wrote.")
@click.option("--kpi", "kpis", multiple=True, metavar="KPI",
              help="Sweep stores: a KPI to tabulate and plot, e.g. P2.sla_response_attainment "
                   "(repeatable; default: the scenario's targets' KPIs, else mtta_min, mttr_h, "
                   "SLA attainment and backlog_end).")
def report(run_dir: Path, out: Path | None, kpis: tuple[str, ...]) -> None:
    """Write one self-contained HTML report of RUN_DIR (from `mimsim run -o` or `mimsim compare -o`)
    or of a sweep STORE (`mimsim sweep --store`).

    Of a run: KPIs against targets with confidence intervals, backlog, SLA attainment, resolution
    times, utilisation and queue waits by hour, outages and the major-incident timeline, the
    process diagram, and an appendix following the STRESS-DES checklist. Of a sweep: the designs,
    every design's KPIs with CIs, a surface per KPI over the swept parameters (a line, or a heat
    map) with the targets, and the store's provenance. It opens with no network.
    """
    from simulator.experiment.store import is_sweep_store

    if run_dir.is_file():
        if not is_sweep_store(run_dir):
            raise BadInput(f"{run_dir}: expected a run or comparison directory, or a sweep "
                                   f"store (an SQLite file from `mimsim sweep`); found another file")
        target = out or checked_default(output_file([HTML_REPORT]), run_dir.with_suffix(".html"), "--out")
        written = write_sweep_report(run_dir, target, kpis)
        stderr().print(f"wrote {written}", markup=False)
        return
    if kpis:
        raise BadInput("--kpi: expected a sweep store (it chooses a sweep report's KPIs); "
                               f"found the directory {run_dir}")
    target = out or checked_default(output_file([HTML_REPORT]), run_dir / "report.html", "--out")
    try:
        written = write_run_report(run_dir, target)
    except FileNotFoundError as error:
        raise click.BadParameter(str(error), param_hint="'RUN_DIR'") from None
    stderr().print(f"wrote {written}", markup=False)
