"""CLI layer: the options every command that runs replications shares — their names, types and
help — and the decorators that give each command its set (``run``; ``compare``, ``roi`` and
``sensitivity``; ``staff``; ``sweep``), passing them on as one
:class:`~simulator.cli.execution_options.ExecutionOptions`.

``--dask`` is checked as the command line is read (a malformed or unreachable address is one
line, exit 2, within ``--dask-timeout``); ``--yes`` lets a command start work above the limits
of :mod:`simulator.experiment.workload`. What the options make (the execution, the checks) is in
:mod:`simulator.cli.execution_options`, where output goes in :mod:`simulator.cli.consoles`; both
are re-exported here for the commands.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from simulator.cli.consoles import ReplicationBar, progress_bar, report_reuse, stderr, stdout
from simulator.cli.execution_options import (
    AUTO,
    EXECUTION_OPTIONS,
    UNTIL_CLEAR,
    ExecutionOptions,
    check_kpi_names,
    check_workload,
    confirmed,
    default_precision_kpis,
)

__all__ = ["AUTO", "SET_HELP", "UNTIL_CLEAR", "ExecutionOptions", "ReplicationBar",
           "check_kpi_names", "check_workload", "comparison_options", "confirmed",
           "default_precision_kpis", "experiment_options", "fixed_experiment_options",
           "progress_bar", "report_reuse", "staffing_options", "stderr", "stdout"]

#: The help of every --set option. Its example works on scenarios/baseline.yaml (a test runs it).
SET_HELP = ("Override a scenario key (repeatable), e.g. --set "
            "teams.service_desk.roster.late.headcount=5; list items by name or index.")


class _Replications(click.ParamType):  # type: ignore[type-arg]
    """A whole number of replications, ``auto`` or ``until-clear``."""

    name = "N|auto|until-clear"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int) or value in (AUTO, UNTIL_CLEAR):
            return value
        try:
            number = int(value)
        except ValueError:
            self.fail(f"expected a whole number, 'auto' or 'until-clear'; found {value!r}", param,
                      ctx)
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
                     help="Run on Dask: 'local' for a LocalCluster here (of -j workers), or a "
                          "scheduler address such as tcp://host:8786 (checked before the run "
                          "starts)."),
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
        click.option("--max-replications", type=click.IntRange(min=3), default=None,
                     help="With -r auto: stop here if not precise by then (default 100)."),
    ]


def _rule_options() -> list[_Option]:
    """-r auto's options and -r until-clear's (the cap is shared)."""
    return [*_precision_options()[:2], *_sequential_options()]


def _sequential_options(only: bool = False) -> list[_Option]:
    rule = "-r until-clear" if only else "-r auto or until-clear"
    return [
        click.option("--threshold", "thresholds", multiple=True, metavar="KPI=AMOUNT",
                     help="The smallest difference of a KPI that matters (in its unit: minutes, "
                          "a share 0–1, money), e.g. mtta_min=5 or sla_response_attainment=0.02: "
                          "a difference is clear when its interval excludes 0 and it is at least "
                          "this; -r until-clear stops once each difference it decides on is clear "
                          "or its interval lies within ±AMOUNT (repeatable; default per unit: a "
                          "share 0.005, 1 minute, 0.1 h, 1 incident, 1 of money)."),
        click.option("--min-replications", type=click.IntRange(min=2), default=5,
                     show_default=True, help="With -r until-clear: the first look."),
        click.option("--max-replications", type=click.IntRange(min=3), default=None,
                     help=f"With {rule}: stop here if not decided by then (default "
                          f"{'' if only else '100 with auto, '}40 with until-clear)."),
    ]


def _cache_options() -> list[_Option]:
    return [click.option(
        "--no-cache", "no_cache", is_flag=True,
        help="Run every replication: neither read replications already run from the replication "
             "cache nor keep new ones there (default: $MIMSIM_CACHE_DIR, else "
             "$XDG_CACHE_HOME/mimsim, else ~/.cache/mimsim).")]


def _execution_command(function: Callable[..., Any], options: list[_Option]) -> Callable[..., Any]:
    """``function`` with ``options``, receiving them as one :class:`ExecutionOptions` named
    ``execution`` (``--set`` stays ``overrides``)."""
    @functools.wraps(function)
    def command(**values: Any) -> Any:
        chosen = {name: values.pop(name) for name in EXECUTION_OPTIONS if name in values}
        if "no_cache" in values:  # only the commands that offer the cache use it
            chosen["cache"] = not values.pop("no_cache")
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


def comparison_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that compare designs (compare, roi, sensitivity): ``-r auto`` and
    ``-r until-clear`` with their options, and the replication cache."""
    return _execution_command(function, _shared_options(
        "Replications per design; 'auto' to add them until the KPIs are precise enough; or "
        "'until-clear' to add them until the comparison is decided (default: the scenario's "
        "run.replications).") + _rule_options() + _cache_options())


def staffing_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for ``staff``: a whole number, or ``-r until-clear`` per roster; the cache."""
    return _execution_command(function, _shared_options(
        "Replications per roster, the same for every roster; or 'until-clear' to give each "
        "roster replications until each target is clearly met or missed (default: the "
        "scenario's run.replications).") + _sequential_options(only=True) + _cache_options())


def fixed_experiment_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options for commands that give every design the same replications (sweep): no
    ``-r auto``, so no --precision options; the replication cache."""
    return _execution_command(function, _shared_options(
        "Replications per design, the same for every design (default: the scenario's "
        "run.replications).") + _cache_options())
