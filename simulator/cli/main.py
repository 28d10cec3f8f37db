"""CLI layer: the ``mimsim`` command.

Commands: ``run`` (replications, summary table or JSON, run directory),
``validate`` (check a scenario) and ``schema`` (the scenario JSON Schema, for
editors). Every problem with a scenario is one line on stderr — file, line,
key path, what was expected, what was found — and exit code 2, never a
traceback. Progress goes to stderr, so ``--format json`` leaves stdout to the
JSON alone.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario
from simulator.scenario.units import format_duration

__all__ = ["cli", "main"]

_EXIT_BAD_INPUT = 2
_EXIT_INTERRUPTED = 130


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mimsim", prog_name="mimsim")
def cli() -> None:
    """mimsim: simulate how an IT organisation handles incidents.

    A scenario file (YAML) describes demand, teams and shifts, SLA targets and
    the incident flow; mimsim runs it many times and reports KPIs with 95 %
    confidence intervals.
    """


@cli.command(short_help="Check a scenario file; exit code 2 if it has problems.")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario key, e.g. --set teams.L2.agents=6 (repeatable).")
def validate(scenario: Path, overrides: tuple[str, ...]) -> None:
    """Check a scenario file and report every problem (exit code 2 if any)."""
    loaded = load_scenario(scenario, overrides)
    click.echo(f"{scenario}: valid — {_count(len(loaded.teams), 'team')}, "
               f"{_count(len(loaded.arrivals), 'arrival stream')}, horizon "
               f"{format_duration(loaded.run.horizon)}, warm-up {format_duration(loaded.run.warmup)}")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


@cli.command(short_help="Print the JSON Schema of scenario files.")
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion)."""
    document = Scenario.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "mimsim scenario"
    click.echo(json.dumps(document, indent=2))


@cli.command(short_help="Run replications; report KPIs with confidence intervals.")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("-r", "--replications", type=click.IntRange(min=1), default=None,
              help="Replications to run (default: the scenario's run.replications).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed (default: the scenario's run.seed).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario key, e.g. --set teams.L2.agents=6 (repeatable).")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=None,
              help="Write the run directory here (event logs, incidents, KPIs, manifest).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores). Results do not depend on it.")
@click.option("--events", "events_format", type=click.Choice(["parquet", "csv"]),
              default="parquet", show_default=True, help="Event-log file format in --out.")
def run(scenario: Path, replications: int | None, seed: int | None, overrides: tuple[str, ...],
        out: Path | None, output_format: str, workers: int | None, events_format: str) -> None:
    """Run a scenario's replications and report its KPIs with confidence intervals."""
    from simulator.cli.render import render_run
    from simulator.experiment.run import run_experiment
    from simulator.experiment.summary import check_targets, scenario_targets

    loaded = load_scenario(scenario, overrides)
    count = loaded.run.replications if replications is None else replications
    console = _stderr()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                        transient=True, disable=not console.is_terminal)
    with progress:
        task = progress.add_task(f"{scenario.stem}: replications", total=count)
        result = run_experiment(loaded, name=scenario.stem, replications=count, seed=seed,
                                workers=workers, out_dir=out, events_format=events_format,
                                source=str(scenario), overrides=overrides,
                                on_result=lambda _: progress.advance(task))
    if output_format == "json":
        click.echo(json.dumps(result.document(), indent=2))
    else:
        checks = check_targets(result.summary, scenario_targets(loaded))
        header = (f"[bold]{loaded.name}[/] ({scenario}) — {_count(count, 'replication')}, seed "
                  f"{result.seed}, horizon {format_duration(loaded.run.horizon)}, warm-up "
                  f"{format_duration(loaded.run.warmup)}, {result.manifest['wall_s']} s")
        stdout = Console(highlight=False)
        if not stdout.is_terminal:  # a file or a pipe: do not squeeze the tables into 80 columns
            stdout = Console(highlight=False, width=120)
        render_run(stdout, result.summary, checks, header)
    if out is not None:
        console.print(f"wrote {out}/ (events, incidents, kpis.csv, summary.json, manifest.json)")


def _report_problems(error: ScenarioError) -> None:
    console = _stderr()
    for problem in error.problems:
        console.print(str(problem), markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``mimsim`` console script."""
    try:
        return cli.main(args=argv, prog_name="mimsim", standalone_mode=False)
    except ScenarioError as error:
        _report_problems(error)
        sys.exit(_EXIT_BAD_INPUT)
    except click.exceptions.Abort:
        _stderr().print("interrupted: finished replications are kept in the output directory")
        sys.exit(_EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _stderr().print("interrupted: finished replications are kept in the output directory")
        sys.exit(_EXIT_INTERRUPTED)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as error:
        sys.exit(error.exit_code)
    except Exception as error:
        if os.environ.get("MIMSIM_DEBUG"):
            traceback.print_exc()
        _stderr().print(f"mimsim: internal error: {type(error).__name__}: {error} "
                        f"(set MIMSIM_DEBUG=1 to see the traceback)", markup=False)
        sys.exit(1)
