"""CLI layer: the options every command that runs replications shares, the one
:class:`~simulator.experiment.execution.Execution` they make, and the progress bar.

``--dask`` is checked as the command line is read (a malformed or unreachable address is one
line, exit 2, within ``--dask-timeout``); ``--yes`` lets a command start work above the limits
of :mod:`simulator.experiment.workload`, which :func:`check_workload` applies before a run.
"""

from __future__ import annotations

import functools
import math
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
    from simulator.experiment.cache import ReplicationCache
    from simulator.experiment.execution import Execution, Replications
    from simulator.experiment.replications import ReplicationResult
    from simulator.experiment.sequential import SequentialRule

__all__ = ["AUTO", "SET_HELP", "UNTIL_CLEAR", "ExecutionOptions", "ReplicationBar",
           "check_kpi_names", "check_workload", "comparison_options", "confirmed",
           "experiment_options", "fixed_experiment_options", "progress_bar", "report_reuse",
           "staffing_options", "stderr", "stdout"]

AUTO = "auto"
UNTIL_CLEAR = "until-clear"
#: The most replications of a rule where --max-replications is not given.
_DEFAULT_CAP = {AUTO: 100, UNTIL_CLEAR: 40}
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
        click.option("--max-replications", type=click.IntRange(min=3), default=None,
                     help="With -r auto: stop here if not precise by then (default 100)."),
    ]


def _rule_options() -> list[_Option]:
    """-r auto's options and -r until-clear's (the cap is shared)."""
    return [*_precision_options()[:2], *_sequential_options()]


def _sequential_options(only: bool = False) -> list[_Option]:
    rule = "-r until-clear" if only else "-r auto or until-clear"
    return [
        click.option("--indifference", "indifference", multiple=True, metavar="KPI=AMOUNT",
                     help="With -r until-clear: a difference in KPI smaller than AMOUNT (in its "
                          "unit: minutes, a share 0–1, money) does not matter, so a comparison "
                          "whose interval lies within ±AMOUNT is decided, e.g. mtta_min=2 "
                          "(repeatable; default per unit: 1 minute, 0.005 of a share, 0.1 h, 1 "
                          "incident, 1 of money)."),
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
        chosen = {name: values.pop(name) for name in _EXECUTION_OPTIONS if name in values}
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
    from simulator.experiment.precision import PrecisionRule
    from simulator.experiment.workload import Workload, incidents_per_replication

    incidents = sum(incidents_per_replication(scenario) for scenario in scenarios) / len(scenarios)
    wanted = scenarios[0].run.replications if replications is None else replications
    rule = "auto" if isinstance(wanted, PrecisionRule) else UNTIL_CLEAR
    count, source = ((wanted, "-r") if isinstance(wanted, int) else
                     (wanted.cap, f"--max-replications, with -r {rule}"))
    Workload(incidents, count, len(scenarios) if designs is None else designs, source,
             designs_from).check(confirmed())


#: The experiment options that make up an :class:`ExecutionOptions`.
_EXECUTION_OPTIONS = ("replications", "seed", "workers", "dask", "precision", "precision_kpis",
                      "max_replications", "min_replications", "indifference")


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

    replications: int | str | None = None  # a number, "auto", "until-clear", or None: the scenario's
    seed: int | None = None
    workers: int | None = None
    dask: str | None = None
    precision: float = 0.05
    precision_kpis: tuple[str, ...] = ()
    max_replications: int | None = None  # None: the rule's default (_DEFAULT_CAP)
    min_replications: int = 5
    indifference: tuple[str, ...] = ()  # KPI=AMOUNT
    cache: bool = False  # True where the command offers the cache and --no-cache was not given

    def build(self, scenario: Scenario, *, study: str = "a run of one design",
              accepts: tuple[str, ...] = (AUTO,), decide: tuple[str, ...] = (),
              measures: tuple[str, ...] = (), out_dir: Path | None = None,
              events_format: str = "parquet", progress: ReplicationBar | None = None) -> Execution:
        """The execution for ``scenario`` (the first, where a command runs several).

        ``accepts`` are the rules ``study`` may use (``-r auto``, ``-r until-clear``; none in
        a sweep, where every design gets the same replications); ``decide`` the KPIs a
        comparison decides on under ``-r until-clear`` (default: those of ``-r auto``), and
        ``measures`` the names besides the scenario's KPIs that ``--indifference`` may give.
        """
        from simulator.experiment.execution import Execution
        from simulator.experiment.precision import PrecisionRule

        check_kpi_names(self.precision_kpis, scenario, "--precision-kpi")
        indifference = _indifference(self.indifference, scenario, measures)
        replications: int | PrecisionRule | SequentialRule = scenario.run.replications
        if self.replications in (AUTO, UNTIL_CLEAR):
            kind = str(self.replications)
            if kind not in accepts:
                allowed = " or ".join(["a whole number", *(f"'{rule}'" for rule in accepts)])
                raise click.BadParameter(f"expected {allowed} for {study}; found '{kind}'",
                                         param_hint="'-r' / '--replications'")
            cap = self.max_replications or _DEFAULT_CAP[kind]
            if kind == AUTO:
                replications = PrecisionRule(self.precision_kpis or default_precision_kpis(scenario),
                                             self.precision, cap)
            else:
                replications = _sequential_rule(decide or default_precision_kpis(scenario),
                                                indifference, self.min_replications, cap)
        elif self.replications is not None:
            replications = int(self.replications)
        return Execution(replications, self.seed, self.workers, self.dask, out_dir=out_dir,
                         events_format=events_format, progress=progress,
                         cache=_replication_cache() if self.cache else None)


def _sequential_rule(kpis: tuple[str, ...], indifference: dict[str, float], first: int,
                     cap: int) -> SequentialRule:
    from simulator.experiment.sequential import SequentialRule

    if first > cap:
        raise click.BadParameter(f"expected --min-replications at most --max-replications "
                                 f"({cap}); found {first}", param_hint="'--min-replications'")
    return SequentialRule(kpis, indifference, first, cap)


def _indifference(texts: tuple[str, ...], scenario: Scenario, measures: tuple[str, ...]
                  ) -> dict[str, float]:
    """--indifference KPI=AMOUNT options: a KPI of the scenario (or a measure) and an amount >= 0."""
    chosen: dict[str, float] = {}
    for text in texts:
        name, equals, amount = (part.strip() for part in text.partition("="))
        try:
            value = float(amount) if equals else math.nan
        except ValueError:
            value = math.nan
        if not name or not value >= 0 or math.isinf(value):
            raise click.BadParameter(f"expected KPI=AMOUNT with an amount of 0 or more, e.g. "
                                     f"mtta_min=2; found {text!r}", param_hint="'--indifference'")
        if name not in measures:
            check_kpi_names([name], scenario, "--indifference")
        chosen[name] = value
    return chosen


def _replication_cache() -> ReplicationCache:
    """The user's replication cache; a problem with it is a note on stderr, never a failure."""
    from simulator.experiment.cache import ReplicationCache

    return ReplicationCache(notify=lambda problem: stderr().print(f"note: {problem}", markup=False))


def report_reuse(console: Console, reused: int, execution: Execution) -> None:
    """Say how many replications were read back from the cache (when any were)."""
    if reused and execution.cache is not None:
        console.print(f"{reused} replication{'s' if reused != 1 else ''} read back from the cache "
                      f"({execution.cache.path}; --no-cache runs them again)", markup=False)


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
