"""CLI layer: the options every command that runs replications shares, the one
:class:`~simulator.experiment.execution.Execution` they make, and the progress bar."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.scenario.schema import Scenario
from simulator.scenario.targets import parse_target

if TYPE_CHECKING:
    from simulator.experiment.execution import Execution
    from simulator.experiment.replications import ReplicationResult

__all__ = ["AUTO", "ExecutionOptions", "ReplicationBar", "check_kpi_names", "experiment_options",
           "progress_bar", "stderr", "stdout"]

AUTO = "auto"


class _Replications(click.ParamType):  # type: ignore[type-arg]
    """A whole number of replications, or ``auto``."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int) or value == AUTO:
            return value
        try:
            number = int(value)
        except ValueError:
            self.fail(f"expected a whole number or 'auto'; found {value!r}", param, ctx)
        if number < 1:
            self.fail(f"expected at least 1; found {number}", param, ctx)
        return number


def experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that run replications; the command receives them as one
    :class:`ExecutionOptions` named ``execution`` (``--set`` stays ``overrides``)."""
    @functools.wraps(function)
    def command(**values: Any) -> Any:
        chosen = {name: values.pop(name) for name in _EXECUTION_OPTIONS if name in values}
        return function(execution=ExecutionOptions(**chosen), **values)

    options = [
        click.option("-r", "--replications", type=_Replications(), default=None,
                     help="Replications per design, or 'auto' to add them until the KPIs are "
                          "precise enough (default: the scenario's run.replications)."),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Root seed (default: the scenario's run.seed)."),
        click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                     help="Override a scenario key, e.g. --set teams.L2.agents=6 (repeatable)."),
        click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
                     help="Worker processes (default: all cores; 1 runs in this process). "
                          "Results do not depend on it."),
        click.option("--dask", metavar="ADDRESS", default=None,
                     help="Run on Dask: 'local' for a LocalCluster here, or a scheduler address "
                          "such as tcp://host:8786."),
        click.option("--precision", type=click.FloatRange(min=0.001, max=1.0), default=0.05,
                     show_default=True,
                     help="With -r auto: the relative 95 % CI half-width to reach."),
        click.option("--precision-kpi", "precision_kpis", multiple=True, metavar="KPI",
                     help="With -r auto: a KPI that must reach the precision, e.g. mtta_min or "
                          "P2.sla_response_attainment (repeatable; default: mtta_min, mttr_h and "
                          "the SLA attainments the scenario sets targets for)."),
        click.option("--max-replications", type=click.IntRange(min=3), default=100,
                     show_default=True, help="With -r auto: stop here if not precise by then."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


#: The experiment options that make up an :class:`ExecutionOptions`.
_EXECUTION_OPTIONS = ("replications", "seed", "workers", "dask", "precision", "precision_kpis",
                      "max_replications")


def default_precision_kpis(scenario: Scenario) -> tuple[str, ...]:
    """mtta_min and mttr_h, plus the SLA attainments the scenario has targets for."""
    kpis = ["mtta_min", "mttr_h"]
    if any(priority.response is not None for priority in scenario.priorities.values()):
        kpis.append("sla_response_attainment")
    if any(priority.resolution is not None for priority in scenario.priorities.values()):
        kpis.append("sla_resolution_attainment")
    return tuple(kpis)


def check_kpi_names(names: Iterable[str], scenario: Scenario, option: str) -> None:
    """Each name a KPI of the scenario (``mtta_min``, ``P2.mtta_min``, ``network.utilisation``),
    or a usage error naming the option."""
    for name in names:
        try:
            parse_target(name, ">= 0", tuple(scenario.priorities), tuple(scenario.teams),
                         tuple(scenario.services))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=f"'{option}'") from None


@dataclass(frozen=True)
class ExecutionOptions:
    """What the experiment options asked for; :meth:`build` makes the run's :class:`Execution`."""

    replications: int | str | None = None  # a number, "auto", or None: the scenario's
    seed: int | None = None
    workers: int | None = None
    dask: str | None = None
    precision: float = 0.05
    precision_kpis: tuple[str, ...] = ()
    max_replications: int = 100

    def build(self, scenario: Scenario, *, fixed_for: str | None = None, out_dir: Path | None = None,
              events_format: str = "parquet", progress: ReplicationBar | None = None) -> Execution:
        """The execution for ``scenario`` (the first, where a command runs several).

        ``fixed_for`` names a study in which every design gets the same number of
        replications (``"a sweep"``): there ``-r auto`` is a usage error.
        """
        from simulator.experiment.execution import Execution
        from simulator.experiment.precision import PrecisionRule

        check_kpi_names(self.precision_kpis, scenario, "--precision-kpi")
        replications: int | PrecisionRule = scenario.run.replications
        if self.replications == AUTO:
            if fixed_for is not None:
                raise click.BadParameter(f"expected a whole number for {fixed_for} (every design gets "
                                         f"the same replications); found 'auto'",
                                         param_hint="'-r' / '--replications'")
            replications = PrecisionRule(self.precision_kpis or default_precision_kpis(scenario),
                                         self.precision, self.max_replications)
        elif self.replications is not None:
            replications = int(self.replications)
        return Execution(replications, self.seed, self.workers, self.dask, out_dir=out_dir,
                         events_format=events_format, progress=progress)


def stderr() -> Console:
    """Where progress, notes and problems go (no emoji codes: "10:x:" in a message stays text)."""
    return Console(stderr=True, highlight=False, emoji=False)


def stdout() -> Console:
    """Where tables go; a file or a pipe gets 120 columns rather than squeezed tables."""
    console = Console(highlight=False, emoji=False)
    return console if console.is_terminal else Console(highlight=False, emoji=False, width=120)


def progress_bar(console: Console) -> Progress:
    """A progress bar on stderr, shown only when stderr is a terminal."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True,
                    disable=not console.is_terminal)


class ReplicationBar:
    """A progress bar of replications on ``console``, shown while in its ``with`` block (and only
    when the console is a terminal); told how many are planned, and of each that finishes."""

    def __init__(self, console: Console, description: str) -> None:
        self._progress = progress_bar(console)
        self._task = self._progress.add_task(description, total=None)
        self._planned = 0
        self.finished_count = 0

    def __enter__(self) -> ReplicationBar:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def expect(self, replications: int) -> None:
        """``replications`` more are about to run."""
        self._planned += replications
        self._progress.update(self._task, total=self._planned)

    def finished(self, design: str, result: ReplicationResult) -> None:
        """One more replication has finished."""
        self.finished_count += 1
        self._progress.advance(self._task)
