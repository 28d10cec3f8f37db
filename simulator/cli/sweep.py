"""CLI layer: ``mimsim sweep`` — a factorial design over scenario keys, into a resumable store."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.cli.options import (
    ExecutionOptions,
    ReplicationBar,
    check_kpi_names,
    check_workload,
    fixed_experiment_options,
    report_reuse,
    stderr,
    stdout,
)
from simulator.cli.outputs import checked_default, sweep_store
from simulator.cli.render import format_value
from simulator.experiment.summary import interval_document
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario

__all__ = ["chosen_kpis", "header", "sweep"]

#: Exit code after Ctrl-C, as the shell reports a SIGINT (the same as the other commands).
_EXIT_INTERRUPTED = 130


def chosen_kpis(kpis: tuple[str, ...], scenario: Scenario) -> list[str]:
    """The KPIs to show: those asked for (checked), or mtta_min, mttr_h, staff_cost and the
    KPIs the scenario has targets for."""
    from simulator.experiment.summary import scenario_targets

    check_kpi_names(kpis, scenario, "--kpi")
    if kpis:
        return list(kpis)
    targeted = [target.name for target in scenario_targets(scenario)]
    return list(dict.fromkeys(["mtta_min", "mttr_h", *targeted, "staff_cost"]))


def _cell(kpi: str, row: pd.Series | None) -> str:
    """``mean ±half-width`` of the 95 % CI, or ``mean (low–high)`` where the interval was clipped
    to the KPI's possible values (and so is no longer symmetric)."""
    if row is None or not math.isfinite(row["mean"]):
        return "null"
    short = kpi.rpartition(".")[2]
    mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
    text = format_value(short, mean)
    if math.isfinite(low):
        if math.isclose(high - mean, mean - low, rel_tol=1e-9, abs_tol=1e-12):
            text += f" ±{format_value(short, (high - low) / 2).removesuffix('%')}"
        else:
            text += f" ({format_value(short, low)}–{format_value(short, high)})"
    return text


def header(path: str, width: int = 18) -> str:
    """A dotted path broken into lines at its dots, each at most ``width`` long where possible."""
    lines: list[str] = []
    for part in path.split("."):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "." + part
        else:
            lines.append(part if not lines else "." + part)
    return "\n".join(lines)


def _table(summary: pd.DataFrame, paths: list[str], kpis: list[str], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for path in paths:
        table.add_column(escape(header(path)), justify="right")
    table.add_column("reps", justify="right")
    for kpi in kpis:
        table.add_column(escape(header(kpi)), justify="right")
    by_design = {design: rows.set_index("kpi") for design, rows in summary.groupby("design", sort=False)}
    for rows in by_design.values():
        first = rows.iloc[0]
        reps = int(rows["n"].max()) if len(rows) else 0
        cells = [str(first.get(path, "")) for path in paths]
        cells.append(str(reps))
        cells += [_cell(kpi, rows.loc[kpi] if kpi in rows.index else None) for kpi in kpis]
        table.add_row(*cells)
    return table


def _natural_width(table: Table) -> int:
    """The width a table takes with every cell whole (a console measures within its own width)."""
    return Console(width=100_000).measure(table).maximum


def _parts(console: Console, summary: pd.DataFrame, paths: list[str], kpis: list[str]
           ) -> list[list[str]]:
    """The KPIs in runs of columns, each run a table as wide as the console at most."""
    parts: list[list[str]] = [[]]
    for kpi in kpis:
        trial = parts[-1] + [kpi]
        if parts[-1] and _natural_width(_table(summary, paths, trial, "")) > console.width:
            parts.append([kpi])
        else:
            parts[-1] = trial
    return parts


def _plain(value: object) -> object:
    """A NumPy scalar as the Python number JSON can hold."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _document(summary: pd.DataFrame, paths: list[str], store: Path, replications: int,
              seed: int) -> dict[str, object]:
    designs = []
    for design, rows in summary.groupby("design", sort=False):
        first = rows.iloc[0]
        designs.append({
            "design": design,
            "parameters": {path: _plain(first[path]) for path in paths if path in rows.columns},
            "kpis": {row.kpi: interval_document(row.mean, row.ci_low, row.ci_high, row.n)
                     for row in rows.itertuples(index=False)}})
    return {"store": str(store), "replications": replications, "seed": seed, "designs": designs}


@click.command(short_help="Run a factorial design over scenario keys into a resumable store.", epilog="""\b
Example (a test runs it on the shipped scenarios):
  mimsim sweep scenarios/baseline.yaml --grid teams.service_desk.roster.late.headcount=4:6 -r 4""")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--grid", "grids", multiple=True, required=True, metavar="PATH=VALUES",
              help="A key and its values: a list (teams.network.roster.day.headcount=3,4,5), an "
                   "inclusive range (teams.network.roster.day.headcount=3:5) or a range with a "
                   "step (run.warmup=10w:14w:2w). Repeat for more keys; every combination is a "
                   "design.")
@fixed_experiment_options
@click.option("--store", type=sweep_store(), default=None,
              help="The SQLite results store (default: sweep-<scenario>.sqlite): a new or empty "
                   "file, or a store from `mimsim sweep`. Running the same sweep again computes "
                   "only what the store lacks.")
@click.option("--kpi", "kpis", multiple=True, metavar="KPI",
              help="A KPI to show in the table, e.g. P2.sla_response_attainment (repeatable; "
                   "default: mtta_min, mttr_h, the targets' KPIs, staff_cost). JSON has them all.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
def sweep(scenario: Path, grids: tuple[str, ...], execution: ExecutionOptions,
          overrides: tuple[str, ...], store: Path | None, kpis: tuple[str, ...],
          output_format: str) -> None:
    """Run every combination of the --grid values of SCENARIO; store each replication as it ends.

    Replication r of every design uses the same random numbers. Results go to an SQLite
    file, one row per design × replication × KPI; after an interruption the same command
    computes only what is missing. In Python: simulator.experiment.load_sweep(STORE).
    """
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    base = load_scenario(scenario, overrides)
    from simulator.experiment.grid import GridError, design_count, parse_grid
    from simulator.experiment.sweep import plan_sweep, run_sweep, sweep_summary

    try:
        parameters = [parse_grid(option) for option in grids]
        size = design_count(parameters)
        console = stderr()
        bar = ReplicationBar(console, "designs × replications to compute")
        chosen = execution.build(base, study="a sweep (every design gets the same replications)",
                                 accepts=(), progress=bar)
        target = store or checked_default(sweep_store(), Path(f"sweep-{scenario.stem}.sqlite"),
                                          "--store")
        check_workload([base], chosen.replications, size, "--grid")
        designs = plan_sweep(scenario, parameters, overrides, execution.seed)
    except GridError as error:
        raise click.BadParameter(str(error), param_hint="'--grid'") from None
    shown = chosen_kpis(kpis, base)
    with bar:
        try:
            outcome = run_sweep(designs, target, chosen, scenario_file=str(scenario),
                                overrides=overrides)
        except KeyboardInterrupt:
            console.print(f"interrupted: {target} keeps every finished replication "
                          f"({bar.finished_count} computed now); run the same command to compute "
                          f"only the rest", markup=False, soft_wrap=True)
            raise SystemExit(_EXIT_INTERRUPTED) from None
    count = outcome.replications
    console.print(f"{target}: {len(designs)} designs × {count} replications — "
                  f"{outcome.already_stored} already in the store, {outcome.computed} "
                  f"computed now", markup=False)
    report_reuse(console, outcome.reused, chosen)
    summary = sweep_summary(outcome.results())
    paths = [parameter.path for parameter in parameters]
    if output_format == "json":
        document = _document(summary, paths, target, count, designs[0].seed)
        click.echo(json.dumps(document, indent=2))
    else:
        title = (f"Sweep of {escape(scenario.stem)}: mean ±95 % CI half-width over {count} "
                 f"replications, common random numbers")
        out = stdout()
        if not out.is_terminal:  # a file or a pipe gets the whole table, however wide
            table = _table(summary, paths, shown, title)
            Console(highlight=False, emoji=False, width=max(120, _natural_width(table))).print(table)
        else:  # a terminal gets as many tables as it takes to show every cell whole
            for part in _parts(out, summary, paths, shown):
                out.print(_table(summary, paths, part, title if part[0] == shown[0] else ""))
