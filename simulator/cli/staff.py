"""CLI layer: ``mimsim staff`` — the cheapest roster that meets the targets, formulas beside it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from simulator.cli.options import (
    UNTIL_CLEAR,
    ExecutionOptions,
    ReplicationBar,
    check_workload,
    report_reuse,
    staffing_options,
    stderr,
    stdout,
)
from simulator.cli.render import format_value
from simulator.cli.sweep import header
from simulator.experiment.roster import roster_cost
from simulator.experiment.summary import finite_or_none, interval_document
from simulator.scenario.loader import load_scenario
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import Target, parse_target_expression

if TYPE_CHECKING:
    from simulator.experiment.staffing import Evaluation, StaffingResult

__all__ = ["staff"]

_WEEKS_PER_YEAR = 365 / 7


def _targets(texts: tuple[str, ...], scenario: Scenario) -> list[Target]:
    """The --target options, or else the scenario's own targets."""
    from simulator.experiment.summary import scenario_targets

    if not texts:
        if not scenario_targets(scenario):
            raise click.UsageError("expected a --target (e.g. --target 'P2.sla_response_attainment"
                                   ">=0.9'); found none, and the scenario sets no targets")
        return scenario_targets(scenario)
    try:
        return [parse_target_expression(text, tuple(scenario.priorities), tuple(scenario.teams),
                                        tuple(scenario.services)) for text in texts]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--target'") from None


def _value(target: Target, value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "unstable"
    return format_value(target.kpi, value)


def _simulated(evaluation: Evaluation | None, index: int) -> str:
    if evaluation is None:
        return "-"
    check = evaluation.checks[index]
    text = format_value(check.target.kpi, check.mean)
    if math.isfinite(check.ci_low):
        text += (f" [{format_value(check.target.kpi, check.ci_low)}, "
                 f"{format_value(check.target.kpi, check.ci_high)}]")
    style = {"pass": "green", "fail": "red", "unclear": "yellow"}.get(check.verdict, "dim")
    return f"{text} [{style}]{check.verdict}[/]"


def _weekly(evaluation: Evaluation) -> str:
    return f"{evaluation.weekly_cost:,.0f}"


def _yearly(evaluation: Evaluation) -> str:
    return f"{evaluation.weekly_cost * _WEEKS_PER_YEAR:,.0f}"


def _hours(evaluation: Evaluation) -> str:
    return f"{evaluation.agent_hours:,.0f}"


def _roster_table(result: StaffingResult, now: tuple[int, ...]) -> Table:
    table = Table(title="Roster (headcount per post; cost = agent-hours × hourly_cost)",
                  title_justify="left")
    for column in ("post", "now", "first cut (formulas)", "chosen (simulation)"):
        table.add_column(column, justify="left" if column == "post" else "right")
    chosen = result.chosen
    for index, post in enumerate(result.posts):
        table.add_row(escape(post.label), str(now[index]), str(result.first_cut.roster[index]),
                      "-" if chosen is None else str(chosen.roster[index]))
    money, hours = roster_cost(result.posts, now)
    current = {"weekly cost": f"{money:,.0f}", "yearly cost (365 days)":
               f"{money * _WEEKS_PER_YEAR:,.0f}", "agent-hours per week": f"{hours:,.0f}"}
    for label, pick in (("weekly cost", _weekly), ("yearly cost (365 days)", _yearly),
                        ("agent-hours per week", _hours)):
        table.add_row(f"[bold]{label}[/]", current[label], pick(result.first_cut),
                      "-" if chosen is None else pick(chosen))
    return table


def _replications_text(result: StaffingResult) -> str:
    """How many replications the rosters got: the same number, or a range under until-clear."""
    if result.rule is None:
        return f"{result.replications} replications each"
    counts = [evaluation.replications for _, evaluation in result.history]
    low, high = min(counts), max(counts)
    spread = f"{low}" if low == high else f"{low}–{high}"
    return (f"{spread} replications per roster (until each target was decided, at most "
            f"{result.rule.cap}; {100 * result.rule.look_confidence:.4g} % intervals at each look)")


def _search_table(result: StaffingResult) -> Table:
    table = Table(title="Search (every roster simulated with the same random numbers)",
                  title_justify="left", caption_justify="left",
                  caption="roster: " + " / ".join(escape(post.label) for post in result.posts))
    table.add_column("step")
    table.add_column("roster")
    if result.rule is not None:
        table.add_column("replications", justify="right")
    table.add_column("weekly cost", justify="right")
    for target in result.targets:
        table.add_column(escape(f"{header(target.name)}\n{target}"), justify="right")
    for step, evaluation in result.history:
        counts = [] if result.rule is None else [str(evaluation.replications)]
        table.add_row(escape(step), " / ".join(str(count) for count in evaluation.roster), *counts,
                      _weekly(evaluation),
                      *(_simulated(evaluation, index) for index in range(len(result.targets))))
    return table


def _target_table(result: StaffingResult) -> Table:
    table = Table(title="Targets: the formulas' prediction and the simulation (mean [95 % CI])",
                  title_justify="left")
    for column in ("target", "first cut: formulas", "first cut: simulated", "chosen: formulas",
                   "chosen: simulated"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for index, target in enumerate(result.targets):
        name = target.name
        table.add_row(escape(f"{header(name)} {target}"),
                      _value(target, result.predictions["first_cut"].get(name)),
                      _simulated(result.first_cut, index),
                      _value(target, result.predictions.get("chosen", {}).get(name)),
                      _simulated(result.chosen, index))
    return table


def _evaluation_document(result: StaffingResult, evaluation: Evaluation | None, which: str
                         ) -> dict[str, object] | None:
    if evaluation is None:
        return None
    targets = {}
    for check in evaluation.checks:
        name = check.target.name
        targets[f"{name} {check.target}"] = {
            **interval_document(check.mean, check.ci_low, check.ci_high), "verdict": check.verdict,
            "formula": _formula(result.predictions.get(which, {}).get(name))}
    costs = evaluation.summary.query("kpi == 'staff_cost'")
    overall = costs.loc[costs["scope"] == "overall", "mean"]
    searched = costs.loc[(costs["scope"] == "team") & costs["key"].isin({post.team for post in
                                                                         result.posts}), "mean"]
    sequential = {} if evaluation.decision is None else {
        "replications": evaluation.replications, "stopping": evaluation.decision.document()}
    return {"roster": {post.label: count for post, count in
                       zip(result.posts, evaluation.roster, strict=True)},
            "weekly_cost": evaluation.weekly_cost, "agent_hours_per_week": evaluation.agent_hours,
            "meets_targets": evaluation.meets, "targets": targets,
            # The simulated staff_cost KPI: the mean over replications of each one's measured
            # window (the horizon less the warm-up), not a week or a year like the costs above.
            "measured_staff_cost": {
                "window": "per replication: the run's horizon less its warm-up",
                "all_teams": finite_or_none(float(overall.iloc[0])) if len(overall) else None,
                "searched_teams": finite_or_none(float(searched.sum())) if len(searched) else None},
            **sequential}


def _formula(value: float | None) -> float | str | None:
    """A formula's prediction: "unstable" where the queue grows without bound (infinite)."""
    if value is not None and math.isinf(value):
        return "unstable"
    return finite_or_none(value)


def _document(result: StaffingResult, name: str, now: tuple[int, ...]) -> dict[str, object]:
    return {
        "scenario": name, "replications": result.replications, "seed": result.seed,
        "targets": [f"{target.name} {target}" for target in result.targets],
        "posts": [{"post": post.label, "path": post.path, "now": now[index],
                   "first_cut": result.first_cut.roster[index],
                   "chosen": None if result.chosen is None else result.chosen.roster[index]}
                  for index, post in enumerate(result.posts)],
        "first_cut": _evaluation_document(result, result.first_cut, "first_cut"),
        "chosen": _evaluation_document(result, result.chosen, "chosen"),
        "rosters_simulated": result.evaluated,
        "search": [{"step": step, "roster": list(evaluation.roster),
                    "meets_targets": evaluation.meets, "weekly_cost": evaluation.weekly_cost}
                   | ({} if result.rule is None else {"replications": evaluation.replications})
                   for step, evaluation in result.history],
        "notes": result.notes,
    } | ({} if result.rule is None else {"rule": "until-clear", "cap": result.rule.cap,
                                         "look_confidence": result.rule.look_confidence})


def _write_intervals(path: Path, loaded: Scenario, result: StaffingResult,
                     teams: tuple[str, ...]) -> None:
    """The per-interval table of the chosen roster (else the first cut), as CSV."""
    from simulator.experiment.intervals import interval_report
    from simulator.experiment.roster import posts

    desk = loaded.flow.desk.team
    evaluation = result.chosen or result.first_cut
    required = result.first_cut_need.get(desk)
    if required is None:
        raise click.UsageError("expected the desk's hourly requirement; found none")
    used = result.replications if result.rule is None else evaluation.replications
    table = interval_report(loaded, posts(loaded, teams or None), evaluation.roster, required,
                            used, result.seed)
    try:
        table.to_csv(path, index=False)
    except OSError as error:
        raise click.BadParameter(f"cannot write {path}: {error.strerror}",
                                 param_hint="'--intervals'") from None
    stderr().print(f"per-interval table ({len(table)} hours of the week): {escape(str(path))}")


@click.command(short_help="Find the cheapest roster that meets the targets (formulas, then simulation).")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--target", "target_texts", multiple=True, metavar="KPI>=VALUE",
              help="A target the roster must meet with confidence, e.g. "
                   "'P2.sla_response_attainment>=0.9' (repeatable; default: the scenario's targets).")
@click.option("--team", "teams", multiple=True, metavar="TEAM",
              help="A team whose headcounts may change (repeatable; default: every team).")
@staffing_options
@click.option("--max-occupancy", type=click.FloatRange(min=0.05, max=1.0), default=0.85,
              show_default=True, help="The formulas' occupancy cap for the first cut.")
@click.option("--max-designs", type=click.IntRange(min=1), default=60, show_default=True,
              help="The search takes no new step once it has simulated this many rosters (a "
                   "step that adds an agent tries every post, so it may pass by up to the posts − 1).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="What to print on stdout.")
@click.option("--method", type=click.Choice(["greedy", "isa"]), default="greedy", show_default=True,
              help="greedy: the formulas' first cut, then a search by simulation. isa: the desk's "
                   "hourly need from the simulation-based iterative staffing algorithm (Feldman, "
                   "Mandelbaum, Massey & Whitt 2008), covered by shifts, simulated once.")
@click.option("--delay-probability", type=click.FloatRange(min=0.0, max=1.0, min_open=True,
                                                            max_open=True),
              default=0.2, show_default=True,
              help="With --method isa: the largest probability that a contact waits, hour by hour.")
@click.option("--intervals", "intervals_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, metavar="FILE.csv",
              help="Also write, per hour of the week, the desk's required, scheduled and available "
                   "agents and each channel's simulated service level under the chosen roster "
                   "(else the first cut) to this CSV file.")
def staff(scenario: Path, target_texts: tuple[str, ...], teams: tuple[str, ...],
          execution: ExecutionOptions, overrides: tuple[str, ...], max_occupancy: float,
          max_designs: int, output_format: str, method: str, delay_probability: float,
          intervals_path: Path | None) -> None:
    """Find the cheapest roster (headcount per team and shift) of SCENARIO meeting every target.

    First cut: Erlang C per hour of the week on the lagged offered load, as an integer
    program over the scenario's shifts. Then a search by simulation with common random
    numbers: a target is met when its whole 95 % CI meets it. Prints the roster, its
    cost and its KPIs, with the formulas' first cut and predictions beside them.
    """
    # The scenario first: a file that cannot be read is refused before the engine is imported.
    loaded = load_scenario(scenario, overrides)
    from simulator.experiment.roster import current_roster, posts
    from simulator.experiment.staffing import find_staffing

    targets = _targets(target_texts, loaded)
    unknown = sorted(set(teams) - set(loaded.teams))
    if unknown:
        raise click.BadParameter(f"expected team names ({', '.join(loaded.teams)}); found "
                                 f"{', '.join(repr(name) for name in unknown)}", param_hint="'--team'")
    bar = ReplicationBar(stderr(), "rosters × replications simulated")
    chosen = execution.build(loaded, study="a staffing search (every roster gets the same "
                             "replications, or each until its targets are decided)",
                             accepts=(UNTIL_CLEAR,), progress=bar)
    check_workload([loaded], chosen.replications, max_designs, "--max-designs")
    now = current_roster(loaded, posts(loaded, teams or None))
    with bar:
        result = find_staffing(loaded, targets, chosen, teams=teams or None,
                               max_occupancy=max_occupancy, max_designs=max_designs,
                               method=method, delay_probability=delay_probability)
    report_reuse(stderr(), result.reused, chosen)
    if intervals_path is not None:
        _write_intervals(intervals_path, loaded, result, teams)
    if output_format == "json":
        click.echo(json.dumps(_document(result, scenario.stem, now), indent=2))
        return
    out = stdout()
    out.print(f"[bold]{escape(loaded.name)}[/] ({escape(str(scenario))}) — {result.evaluated} rosters "
              f"simulated, {_replications_text(result)}, seed {result.seed}, "
              f"common random numbers")
    out.print(_roster_table(result, now))
    out.print(_target_table(result))
    out.print(_search_table(result))
    for note in result.notes:
        out.print(f"note: {escape(note)}")
