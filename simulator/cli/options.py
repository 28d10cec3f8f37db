"""CLI layer: the options every command that runs replications shares, the one
:class:`~simulator.experiment.execution.Execution` they make, and the progress bar.

``--dask`` is checked as the command line is read (a malformed or unreachable address is one
line, exit 2, within ``--dask-timeout``); ``--yes`` lets a command start work above the limits
of :mod:`simulator.experiment.workload`, which :func:`check_workload` applies before a run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.scenario.schema import Scenario
from simulator.scenario.targets import parse_target

if TYPE_CHECKING:
    from simulator.experiment.execution import Execution, Replications
    from simulator.experiment.replications import ReplicationResult

__all__ = ["AUTO", "SET_HELP", "ExecutionOptions", "ReplicationBar", "check_kpi_names",
           "check_workload", "confirmed", "experiment_options", "fixed_experiment_options",
           "progress_bar", "stderr", "stdout"]

AUTO = "auto"
#: The help of every --set option. Its example works on scenarios/baseline.yaml (a test runs it).
SET_HELP = ("Override a scenario key (repeatable), e.g. --set "
            "teams.service_desk.roster.late.headcount=5; list items by name or index.")


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


_Option = Callable[[Callable[..., Any]], Callable[..., Any]]


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> None:
    # --yes and --dask-timeout are read where they are needed (`confirmed`, the --dask check),
    # not passed through every command's parameters.
    ctx.meta[f"mimsim.{param.name}"] = value


def _scheduler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--dask: 'local', or an address that is well-formed and answers within --dask-timeout."""
    from simulator.experiment.scheduler import (
        DEFAULT_CONNECT_TIMEOUT_S,
        parse_scheduler_address,
        reach_scheduler,
    )

    if value is None:
        return None
    address = parse_scheduler_address(value)
    if address is None:
        return "local"
    reach_scheduler(address, ctx.meta.get("mimsim.dask_timeout", DEFAULT_CONNECT_TIMEOUT_S))
    return str(address)


def _work_limit() -> str:
    from simulator.experiment.workload import WORK_LIMIT

    return f"{WORK_LIMIT:,}"


def _shared_options(replications_help: str) -> list[_Option]:
    return [
        click.option("-r", "--replications", type=_Replications(), default=None,
                     help=replications_help),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Root seed (default: the scenario's run.seed)."),
        click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP),
        click.option("-j", "--workers", type=click.IntRange(min=1), default=None,
                     help="Worker processes (default: all cores; 1 runs in this process). "
                          "Results do not depend on it."),
        click.option("--dask", metavar="ADDRESS", default=None, callback=_scheduler,
                     help="Run on Dask: 'local' for a LocalCluster here, or a scheduler address "
                          "such as tcp://host:8786 (checked before the run starts)."),
        click.option("--dask-timeout", type=click.FloatRange(min=0.1, max=3600), default=10.0,
                     show_default=True, metavar="SECONDS", is_eager=True, expose_value=False,
                     callback=_remember,
                     help="How long to try to reach the --dask scheduler before giving up."),
        click.option("--yes", is_flag=True, expose_value=False, callback=_remember,
                     help=f"Run even when the work is above {_work_limit()} simulated incidents "
                          f"(designs × replications × incidents per replication), or a "
                          f"replication above 500,000 incidents."),
    ]


def _precision_options() -> list[_Option]:
    return [
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


def _execution_command(function: Callable[..., Any], options: list[_Option]) -> Callable[..., Any]:
    """``function`` with ``options``, receiving them as one :class:`ExecutionOptions` named
    ``execution`` (``--set`` stays ``overrides``)."""
    @functools.wraps(function)
    def command(**values: Any) -> Any:
        chosen = {name: values.pop(name) for name in _EXECUTION_OPTIONS if name in values}
        return function(execution=ExecutionOptions(**chosen), **values)

    decorated: Callable[..., Any] = command
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that run replications, ``-r auto`` and its --precision options
    included; the command receives them as one :class:`ExecutionOptions` named ``execution``."""
    return _execution_command(function, _shared_options(
        "Replications per design, or 'auto' to add them until the KPIs are precise enough "
        "(default: the scenario's run.replications).") + _precision_options())


def fixed_experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that give every design the same replications (sweep, staff): no
    ``-r auto``, so no --precision options."""
    return _execution_command(function, _shared_options(
        "Replications per design, the same for every design (default: the scenario's "
        "run.replications)."))


def confirmed() -> bool:
    """Whether the command line has --yes (run even above the work limits)."""
    return bool(click.get_current_context().meta.get("mimsim.yes", False))


def check_workload(scenarios: Sequence[Scenario], replications: Replications | None,
                   designs: int | None = None, designs_from: str = "SCENARIOS") -> None:
    """Refuse work above the limits unless --yes (``WorkloadError``: one line, exit code 2).

    The incidents per replication are the scenarios' mean; ``replications`` is the execution's
    (``None``: the first scenario's ``run.replications``; ``-r auto`` counts the most it may
    take, ``--max-replications``); ``designs`` defaults to the number of scenarios.
    """
    from simulator.experiment.workload import Workload, incidents_per_replication

    incidents = sum(incidents_per_replication(scenario) for scenario in scenarios) / len(scenarios)
    wanted = scenarios[0].run.replications if replications is None else replications
    count, source = ((wanted, "-r") if isinstance(wanted, int) else
                     (wanted.cap, "--max-replications, with -r auto"))
    Workload(incidents, count, len(scenarios) if designs is None else designs, source,
             designs_from).check(confirmed())


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
