"""CLI layer: ``mimsim report`` — one self-contained HTML file from a run or comparison directory."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.cli.options import stderr
from simulator.cli.render import format_value
from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario, scenario_hash
from simulator.scenario.schema import Scenario

__all__ = ["report", "report_scenario", "write_run_report"]


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


@click.command(short_help="Write the HTML report of a run or comparison directory.")
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The HTML file to write (default: RUN_DIR/report.html).")
def report(run_dir: Path, out: Path | None) -> None:
    """Write one self-contained HTML report of RUN_DIR (from `mimsim run -o` or `mimsim compare -o`).

    KPIs against targets with confidence intervals, backlog, SLA attainment, resolution times,
    utilisation and queue waits by hour, outages and the major-incident timeline, the process
    diagram, and an appendix following the STRESS-DES checklist. It opens with no network.
    """
    target = out or run_dir / "report.html"
    try:
        written = write_run_report(run_dir, target)
    except FileNotFoundError as error:
        raise click.BadParameter(str(error), param_hint="'RUN_DIR'") from None
    stderr().print(f"wrote {written}", markup=False)
