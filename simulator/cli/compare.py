"""CLI layer: ``mimsim compare`` — designs with common random numbers, paired differences."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import pandas as pd
from rich.markup import escape
from rich.table import Table

from simulator.cli.options import (
    AUTO,
    UNTIL_CLEAR,
    ExecutionOptions,
    ReplicationBar,
    check_kpi_names,
    check_workload,
    comparison_options,
    report_reuse,
    stderr,
    stdout,
)
from simulator.cli.outputs import output_directory
from simulator.cli.render import format_value
from simulator.metrics import SHARE_KPIS
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import (
    CHANGE_KPIS,
    COST_KPIS,
    INCIDENT_KPIS,
    OUTAGE_KPIS,
    SERVICE_KPIS,
    TEAM_KPIS,
)

__all__ = ["compare"]

#: KPIs in money: the table labels them with the window they cover.
_MONEY_KPIS = {"staff_cost", "sla_penalty", "downtime_cost"}
# The per-priority KPIs the table shows (JSON has them all).
_PRIORITY_KPIS = ("mtta_min", "mttr_h", "sla_response_attainment", "sla_resolution_attainment")


def format_difference(kpi: str, value: float) -> str:
    """A difference of a KPI as people read it: a share's in percentage points (``+2.3 pt``)."""
    if not math.isfinite(value):
        return "null"
    if kpi in SHARE_KPIS:
        return f"{100 * value:+.1f} pt"
    return ("+" if value > 0 else "") + format_value(kpi, value)


def _difference(kpi: str, row: pd.Series) -> str:
    if not math.isfinite(row["mean"]):
        return "null"
    text = format_difference(kpi, row["mean"])
    if math.isfinite(row["ci_low"]):
        ends = [format_difference(kpi, row[end]).removesuffix(" pt") if kpi in SHARE_KPIS
                else format_value(kpi, row[end]) for end in ("ci_low", "ci_high")]
        text += f" [{ends[0]}, {ends[1]}]"
    return f"[bold]{text} ✓[/]" if row["clear"] else text


def _thresholds_note() -> str:
    from simulator.experiment.compare import THRESHOLDS

    return ", ".join(f"{unit.value.split(' (')[0]} {value:g}" for unit, value in THRESHOLDS.items())


def _window(scenario: Scenario) -> str:
    weeks = (scenario.run.horizon - scenario.run.warmup) / (7 * 24 * 60)
    return f"{weeks:.3g} w"


def _rows(summary: pd.DataFrame) -> list[tuple[str, str, str]]:
    first = summary[summary["design"] == summary["design"].iloc[0]]
    keys = list(dict.fromkeys(first[["scope", "key"]].itertuples(index=False, name=None)))
    rows = [("overall", "", kpi) for kpi in INCIDENT_KPIS + COST_KPIS]
    rows += [(scope, key, kpi) for scope, key in keys if scope == "priority" for kpi in _PRIORITY_KPIS]
    rows += [(scope, key, kpi) for scope, key in keys if scope == "team" for kpi in TEAM_KPIS]
    if any(scope == "service" for scope, _ in keys):
        rows += [("overall", "", kpi) for kpi in OUTAGE_KPIS]
        rows += [(scope, key, kpi) for scope, key in keys if scope == "service" for kpi in SERVICE_KPIS]
    changes = summary[(summary["scope"] == "overall") & summary["kpi"].isin(CHANGE_KPIS)]
    if (changes["mean"].fillna(0.0) != 0.0).any():  # a design with changes or problems
        rows += [("overall", "", kpi) for kpi in CHANGE_KPIS]
        rows += [(scope, key, "problem_incidents") for scope, key in keys if scope == "month"]
    return rows


def _table(summary: pd.DataFrame, differences: pd.DataFrame, designs: list[str],
           window: str) -> Table:
    from simulator.experiment.compare import design_labels

    labels = design_labels(designs)
    table = Table(title=f"Designs compared with common random numbers; differences against "
                        f"{escape(labels[0])} (95 % CI; share differences in percentage points; "
                        f"✓ = clear: the interval excludes 0 and the difference is at least the "
                        f"KPI's threshold — {_thresholds_note()}); money over the measured "
                        f"window of {window}", title_justify="left")
    table.add_column("KPI", no_wrap=True)
    for label in labels:
        table.add_column(escape(label), justify="right")
    for label in labels[1:]:
        table.add_column(f"{escape(label)} − {escape(labels[0])}", justify="right")
    means = summary.set_index(["design", "scope", "key", "kpi"])["mean"]
    paired = differences.set_index(["design", "scope", "key", "kpi"])
    for scope, key, kpi in _rows(summary):
        label = kpi if scope == "overall" else f"month {key}.{kpi}" if scope == "month" \
            else f"{key}.{kpi}"
        if kpi in _MONEY_KPIS:
            label += f" ({window})"
        values = [means.get((design, scope, key, kpi), math.nan) for design in designs]
        if (scope != "overall" or kpi in OUTAGE_KPIS + CHANGE_KPIS) \
                and not any(math.isfinite(v) for v in values):
            continue  # a priority no incident had, or a KPI with no observations anywhere
        cells = [format_value(kpi, value) for value in values]
        cells += [_difference(kpi, paired.loc[(design, scope, key, kpi)])
                  if (design, scope, key, kpi) in paired.index else "null" for design in designs[1:]]
        table.add_row(label, *cells)
    return table


@click.command(short_help="Compare designs with common random numbers (paired differences).", epilog="""\b
Examples (a test runs each on the shipped scenarios):
  mimsim compare scenarios/without-mim.yaml scenarios/with-mim.yaml -r 10
  mimsim compare scenarios/baseline.yaml --vary teams.network.roster.day.headcount=4""")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@comparison_options
@click.option("--decide", "decide", multiple=True, metavar="KPI",
              help="With -r until-clear: a KPI whose paired differences must be decided, e.g. "
                   "P2.mttr_h (repeatable; default: mtta_min, mttr_h and the SLA attainments "
                   "the scenario sets targets for).")
@click.option("--vary", "variations", multiple=True, metavar="PATH=VALUE",
              help="Add a design: the first scenario with this one change, named "
                   "STEM[PATH=VALUE] (repeatable; one design per --vary), e.g. --vary "
                   "teams.service_desk.roster.late.headcount=5.")
@click.option("-o", "--out", type=output_directory(), default=None,
              help="Write each design's run directory to OUT/<design>, and comparison.json: a "
                   "new or empty directory, or one mimsim wrote (emptied first).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
def compare(scenarios: tuple[Path, ...], execution: ExecutionOptions, overrides: tuple[str, ...],
            decide: tuple[str, ...], variations: tuple[str, ...], out: Path | None,
            output_format: str) -> None:
    """Run SCENARIOS with the same random numbers and compare each with the first.

    For every KPI: each design's mean and 95 % CI, and the difference from the first
    design, paired by replication, with its CI. --set applies to every design;
    --vary adds a design that differs from the first in one key.
    """
    if len(scenarios) + len(variations) < 2:
        raise click.UsageError("expected at least two designs to compare (scenarios, or --vary); "
                               "found one")
    names = [path.stem for path in scenarios]
    sources: list[tuple[str | None, tuple[str, ...]]] = [(str(path), overrides) for path in scenarios]
    for variation in variations:
        names.append(f"{scenarios[0].stem}[{variation}]")
        sources.append((str(scenarios[0]), (*overrides, variation)))
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    loaded = [load_scenario(str(source), changes) for source, changes in sources]
    chosen_thresholds = execution.threshold_map(loaded[0])
    from simulator.experiment.compare import compare_designs, design_labels
    from simulator.experiment.sequential import SequentialRule

    console = stderr()
    bar = ReplicationBar(console, "designs × replications")
    check_kpi_names(decide, loaded[0], "--decide")
    chosen = execution.build(loaded[0], study="a comparison", accepts=(AUTO, UNTIL_CLEAR),
                             decide=decide, out_dir=out, progress=bar)
    check_workload(loaded, chosen.replications, designs_from="SCENARIOS and --vary")
    with bar:
        comparison = compare_designs(list(zip(names, loaded, strict=True)), chosen, sources=sources,
                                     thresholds=chosen_thresholds)
    document = comparison.document()
    if output_format == "json":
        click.echo(json.dumps(document, indent=2))
    else:
        stdout().print(_table(comparison.summary, comparison.differences, comparison.designs,
                              _window(loaded[0])))
        for label, name in zip(design_labels(comparison.designs), comparison.designs, strict=True):
            if label != name:
                stdout().print(f"{label}: {name}", markup=False)
    if comparison.decision is not None:
        rule = UNTIL_CLEAR if isinstance(chosen.replications, SequentialRule) else AUTO
        console.print(f"replications: {rule} — {comparison.decision.reason}; the results use "
                      f"{comparison.decision.used}", markup=False)
    report_reuse(console, comparison.reused, chosen)
    if out is not None:
        (out / "comparison.json").write_text(json.dumps(document, indent=2) + "\n")
        comparison.differences.to_csv(out / "differences.csv", index=False)
        console.print(f"wrote {out}/ (one run directory per design, comparison.json, "
                      f"differences.csv)", markup=False)
