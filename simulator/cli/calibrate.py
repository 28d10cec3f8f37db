"""CLI layer: ``mimsim calibrate`` — learn a scenario from a real incident log.

The options that choose which incidents to use (``--between``, ``--split``,
``--part``) are shared with ``mimsim validate-against``, so that calibrating on one
part of a log and validating on another is one command each.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from simulator.cli.options import progress_bar, stderr
from simulator.cli.outputs import output_file
from simulator.experiment.outputs import CALIBRATION_REPORT, LEARNED_SCENARIO
from simulator.scenario.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from simulator.calibration.learned import Calibration, Learned
    from simulator.calibration.reallog import RealLog
    from simulator.calibration.refine import Round

__all__ = ["calibrate", "log_options", "read_selected_log"]


class _Split(click.ParamType):  # type: ignore[type-arg]
    """``random:FRACTION:SEED``."""

    name = "random:FRACTION:SEED"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        parts = str(value).split(":")
        try:
            if len(parts) != 3 or parts[0] != "random":
                raise ValueError
            fraction, seed = float(parts[1]), int(parts[2])
        except ValueError:
            self.fail(f"expected random:FRACTION:SEED such as random:0.7:1; found {value!r}", param, ctx)
        if not 0.0 < fraction < 1.0:
            self.fail(f"expected a fraction between 0 and 1; found {fraction}", param, ctx)
        return fraction, seed


def log_options(default_part: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Options that say how to read a log and which of its incidents to use."""
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option("--log-format", type=click.Choice(["servicenow", "jira", "generic", "xes"]),
                         default="servicenow", show_default=True,
                         help="How the log was exported (jira: Jira Service Management's issues CSV)."),
            click.option("--mapping", type=click.Path(path_type=Path), default=None,
                         help="YAML column mapping (needed for --log-format generic)."),
            click.option("--changelog", type=click.Path(path_type=Path), default=None,
                         help="With --log-format jira: the changelog CSV (status and team changes)."),
            click.option("--encoding", default="utf-8", show_default=True,
                         help="The CSV export's text encoding, e.g. cp1252 or latin-1."),
            click.option("--between", nargs=2, type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
                         default=None, metavar="START END",
                         help="Only incidents opened in [START, END)."),
            click.option("--split", type=_Split(), default=None,
                         help="Split incidents at random: random:FRACTION:SEED puts FRACTION of "
                              "them in the first part."),
            click.option("--part", type=click.Choice(["first", "second"]), default=default_part,
                         show_default=True, help="With --split: which part to use."),
        ]
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


def read_selected_log(log: Path, log_format: str, mapping: Path | None,
                      between: tuple[dt.datetime, dt.datetime] | None,
                      split: tuple[float, int] | None, part: str, cut: bool,
                      changelog: Path | None = None, encoding: str = "utf-8") -> RealLog:
    """Read a log and keep the incidents the options choose.

    ``cut``: treat the log as exported at the end of ``--between`` (calibration); without
    it the chosen incidents keep their whole history (validation).
    """
    from simulator.calibration.readers import read_log
    from simulator.calibration.reallog import select_window, split_random

    real = read_log(log, log_format, mapping, changelog, encoding)
    if between is not None:
        real = select_window(real, between[0], between[1], cut=cut)
    if split is not None:
        real = split_random(real, split[0], split[1], part)
    return real


def _require_groups(real: RealLog) -> None:
    """Routing is learned from assignment groups: a log without any cannot be calibrated."""
    seen = real.incidents[["first_group", "last_group"]].notna().to_numpy().any()
    if real.updates is not None:
        seen = seen or bool(real.updates["group"].notna().any())
    if not seen:
        raise ScenarioError([Problem((), "expected assignment groups to learn the routing from (a "
                                         "'group' column for one row per update, or 'first_group' "
                                         "and 'last_group' for one row per incident); found none",
                                     real.source)])


@click.command(short_help="Learn a scenario from a real incident log.")
@click.argument("log", type=click.Path(path_type=Path))
@log_options(default_part="first")
@click.option("-o", "--out", type=output_file([LEARNED_SCENARIO]), required=True,
              help="Where to write the scenario, .yaml or .yml: a new file, or one an earlier "
                   "`mimsim calibrate` wrote.")
@click.option("--groups", "n_groups", type=click.IntRange(min=1), default=8, show_default=True,
              help="Model this many of the busiest assignment groups (and any smaller one that works "
                   "while the others are off duty); pool the rest as 'other'.")
@click.option("--routing", type=click.Choice(["history", "paths", "counted", "visible"]), default="history",
              show_default=True,
              help="Routing with memory: where a ticket goes depends on its hand-offs so far and "
                   "the group it came from, scaled to the log's reassignment counts (history); whole "
                   "observed paths by first group and priority, the rare ones by routing with memory "
                   "(paths: the hand-offs the updates show); or a memoryless matrix scaled to the "
                   "counts (counted) or of only the hand-offs the updates show (visible).")
@click.option("--refine", is_flag=True,
              help="After the direct fits, simulate the scenario over the log's period and adjust "
                   "handling and routing until its distance to the log stops falling.")
@click.option("--rounds", type=click.IntRange(min=0, max=50), default=8, show_default=True,
              help="With --refine: simulations after the direct fit, at most.")
@click.option("--refine-replications", type=click.IntRange(min=1, max=20), default=2, show_default=True,
              help="With --refine: replications per round (the same seeds every round).")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="With --refine: the root seed of the rounds' simulations.")
@click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
              help="With --refine: worker processes (default: one per replication, at most the cores). "
                   "Results do not depend on it.")
@click.option("--report", type=output_file([CALIBRATION_REPORT]), default=None,
              help="Also write what was learned, in detail, as JSON (a .json file: new, or one an "
                   "earlier `mimsim calibrate` wrote).")
def calibrate(log: Path, log_format: str, mapping: Path | None, changelog: Path | None, encoding: str,
              between: tuple[dt.datetime, dt.datetime] | None, split: tuple[float, int] | None,
              part: str, out: Path, n_groups: int, routing: str, refine: bool, rounds: int,
              refine_replications: int, seed: int, workers: int | None, report: Path | None) -> None:
    """Learn a scenario from LOG (an ITSM export) and write it to --out.

    With --between the log is treated as exported at END: later updates are unknown
    and incidents still open then are right-censored. With --refine the learned
    scenario is then simulated against the same incidents and adjusted (bounded
    rounds, common random numbers); the distances by round go into its comments.
    """
    from simulator.scenario.loader import load_scenario

    began = time.perf_counter()
    real = read_selected_log(log, log_format, mapping, between, split, part, cut=True,
                             changelog=changelog, encoding=encoding)
    read_s = time.perf_counter() - began
    _require_groups(real)
    # Only now the learning code (SciPy and more): a log that cannot be read is refused sooner.
    from simulator.calibration.assemble import assemble
    from simulator.calibration.learn import learn
    from simulator.calibration.writer import scenario_yaml

    learned = learn(real, n_groups, name=f"calibrated from {log.name}", routing=routing)
    calibration = _refined(real, learned, rounds, refine_replications, seed, workers) if refine \
        else assemble(learned)
    header = (f"Learned by `mimsim calibrate {log}` ({log_format}"
              f"{', refined by simulation' if refine else ''}); every value says where it came "
              f"from.\nCheck it against the log with `mimsim validate-against {log} {out}`.")
    out.write_text(scenario_yaml(calibration.scenario, calibration.comments, header))
    load_scenario(out)  # the file must be a valid scenario; a problem here is a bug, reported as such
    console = stderr()
    learned = calibration.learned
    problems = ", ".join(f"{kind}: {n}" for kind, n in learned.problems.items()) or "none"
    console.print(f"read {len(real.incidents)} incidents from {log} in {read_s:.1f} s; "
                  f"rows needing care — {problems}", markup=False, soft_wrap=True)
    console.print(f"wrote {out} ({len(learned.groups)} groups, period {learned.start.date()} to "
                  f"{learned.end.date()}, {learned.arrivals.per_day:.1f} incidents a day) in "
                  f"{time.perf_counter() - began:.1f} s", markup=False, soft_wrap=True)
    for key, why in learned.columns.unused.items():
        console.print(f"mapped column not used: {key} — {why}", markup=False, soft_wrap=True)
    if report is not None:
        report.write_text(json.dumps(calibration.report, indent=2, default=str) + "\n")
        console.print(f"wrote {report}", markup=False)


def _refined(real: RealLog, learned: Learned, rounds: int, replications: int, seed: int,
             workers: int | None) -> Calibration:
    """Refine with a progress bar on stderr: one step per simulated round."""
    from simulator.calibration.refine import calibrate_refined
    from simulator.experiment.executors import available_workers

    console = stderr()
    with progress_bar(console) as progress:
        task = progress.add_task("refining: direct fit", total=rounds + 1)

        def advance(done: Round) -> None:
            progress.update(task, advance=1, description=f"refining: round {done.number} distance "
                                                         f"{done.distance:.3f}")
            if not console.is_terminal:
                console.print(f"refine round {done.number}: distance {done.distance:.3f}", markup=False)

        calibration = calibrate_refined(real, learned, rounds, replications, seed,
                                        min(workers or available_workers(), replications), advance)
        progress.update(task, completed=rounds + 1)
    return calibration
