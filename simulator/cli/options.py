"""CLI layer: the options the commands that run replications share, and their progress bar.

``--dask`` is checked as the command line is read (a malformed or unreachable address is one
line, exit 2, within ``--dask-timeout``); ``--yes`` lets a command start work above the limit
of :mod:`simulator.experiment.workload`, which :func:`check_workload` applies before a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulator.scenario.schema import Scenario
from simulator.scenario.targets import parse_target

if TYPE_CHECKING:
    from simulator.experiment.precision import PrecisionRule

__all__ = ["AUTO", "check_kpi_names", "check_workload", "confirmed", "experiment_options",
           "fixed_experiment_options", "progress_bar", "replications_wanted", "stderr", "stdout"]

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


def _shared_options(replications_help: str) -> list[Callable[[Callable[..., Any]], Callable[..., Any]]]:
    return [
        click.option("-r", "--replications", type=_Replications(), default=None,
                     help=replications_help),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Root seed (default: the scenario's run.seed)."),
        click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                     help="Override a scenario key, e.g. --set teams.L2.agents=6 (repeatable)."),
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
                          f"(designs × replications × incidents per replication)."),
    ]


def _work_limit() -> str:
    from simulator.experiment.workload import WORK_LIMIT

    return f"{WORK_LIMIT:,}"


def _precision_options() -> list[Callable[[Callable[..., Any]], Callable[..., Any]]]:
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


def _apply(function: Callable[..., Any],
           options: list[Callable[[Callable[..., Any]], Callable[..., Any]]]) -> Callable[..., Any]:
    for option in reversed(options):
        function = option(function)
    return function


def experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that run replications (``-r auto`` and its --precision options)."""
    return _apply(function, _shared_options(
        "Replications per design, or 'auto' to add them until the KPIs are precise enough "
        "(default: the scenario's run.replications).") + _precision_options())


def fixed_experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that give every design the same replications (sweep, staff): no
    ``-r auto``, so no --precision options."""
    return _apply(function, _shared_options(
        "Replications per design, the same for every design (default: the scenario's "
        "run.replications)."))


def confirmed() -> bool:
    """Whether the command line has --yes (run even above the work limit)."""
    return bool(click.get_current_context().meta.get("mimsim.yes", False))


def check_workload(scenarios: Sequence[Scenario], replications: int | PrecisionRule,
                   designs: int | None = None, designs_from: str = "SCENARIOS") -> None:
    """Refuse work above the limit unless --yes (``WorkloadError``: one line, exit code 2).

    The incidents per replication are the scenarios' mean; ``designs`` defaults to their
    number; ``-r auto`` counts the most replications it may take (``--max-replications``).
    """
    from simulator.experiment.workload import Workload, incidents_per_replication

    incidents = sum(incidents_per_replication(scenario) for scenario in scenarios) / len(scenarios)
    count, source = ((replications, "-r") if isinstance(replications, int) else
                     (replications.cap, "--max-replications, with -r auto"))
    Workload(incidents, count, len(scenarios) if designs is None else designs, source,
             designs_from).check(confirmed())


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


def replications_wanted(replications: int | str | None, scenario: Scenario, precision: float,
                        precision_kpis: tuple[str, ...], cap: int) -> int | PrecisionRule:
    """A number of replications, or the rule that decides it for ``auto``."""
    from simulator.experiment.precision import PrecisionRule

    check_kpi_names(precision_kpis, scenario, "--precision-kpi")
    if replications == AUTO:
        return PrecisionRule(precision_kpis or default_precision_kpis(scenario), precision, cap)
    return scenario.run.replications if replications is None else int(replications)


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
