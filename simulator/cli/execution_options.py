"""CLI layer: what the shared experiment options ask for, checked, and the one
:class:`~simulator.experiment.execution.Execution` they make — the replication rule (a number,
``-r auto`` with its precision, ``-r until-clear`` with its looks and the thresholds of --threshold), the
replication cache unless ``--no-cache``, and the work limits that ``--yes`` lifts
(:func:`check_workload`, before a run).

The options themselves (their names, types and help) are declared in :mod:`simulator.cli.options`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.cli.consoles import ReplicationBar, stderr
from simulator.scenario.schema import Scenario
from simulator.scenario.targets import parse_target

if TYPE_CHECKING:
    from simulator.experiment.cache import ReplicationCache
    from simulator.experiment.execution import Execution, Replications
    from simulator.experiment.sequential import SequentialRule

__all__ = ["AUTO", "EXECUTION_OPTIONS", "UNTIL_CLEAR", "ExecutionOptions", "check_kpi_names",
           "check_workload", "confirmed", "default_precision_kpis"]

AUTO = "auto"
UNTIL_CLEAR = "until-clear"
#: The most replications of a rule where --max-replications is not given.
DEFAULT_CAP = {AUTO: 100, UNTIL_CLEAR: 40}


def confirmed() -> bool:
    """Whether the command line has --yes (run even above the work limits)."""
    return bool(click.get_current_context().meta.get("mimsim.yes", False))


def check_workload(scenarios: Sequence[Scenario], replications: Replications | None,
                   designs: int | None = None, designs_from: str = "SCENARIOS") -> None:
    """Refuse work above the limits unless --yes (``WorkloadError``: one line, exit code 2).

    The incidents per replication are the scenarios' mean; ``replications`` is the execution's
    (``None``: the first scenario's ``run.replications``; ``-r auto`` counts the most it may
    take, ``--max-replications``; ``-r until-clear`` its first look for every design, the work
    it will do, and its cap for one design — a note on stderr states the worst case, every
    design at the cap, where that is above the limit); ``designs`` defaults to the number of
    scenarios.
    """
    from simulator.experiment.sequential import SequentialRule
    from simulator.experiment.workload import WORK_LIMIT, Workload, incidents_per_replication

    incidents = sum(incidents_per_replication(scenario) for scenario in scenarios) / len(scenarios)
    wanted = scenarios[0].run.replications if replications is None else replications
    count = len(scenarios) if designs is None else designs
    if isinstance(wanted, SequentialRule):
        first = Workload(incidents, wanted.initial, count,
                         "--min-replications, the first look of -r until-clear", designs_from)
        first.check(confirmed())
        # One design run to the cap is what `run -r CAP` would be: a cap above the limit is a slip.
        Workload(incidents, wanted.cap, 1, "--max-replications, with -r until-clear").check(confirmed())
        worst = Workload(incidents, wanted.cap, count, "--max-replications", designs_from)
        if worst.total > WORK_LIMIT and not confirmed():
            stderr().print(f"note: -r until-clear runs {first.describe()}; it goes on only where "
                           f"the answer is not yet clear, at worst to {worst.describe()} (above "
                           f"the {WORK_LIMIT:,} a fixed -r may ask without --yes; Ctrl-C stops "
                           f"it)", markup=False)
        return
    number, source = ((wanted, "-r") if isinstance(wanted, int) else
                      (wanted.cap, "--max-replications, with -r auto"))
    Workload(incidents, number, count, source, designs_from).check(confirmed())


#: The experiment options that make up an :class:`ExecutionOptions`.
EXECUTION_OPTIONS = ("replications", "seed", "workers", "dask", "precision", "precision_kpis",
                      "max_replications", "min_replications", "thresholds")


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
    max_replications: int | None = None  # None: the rule's default (DEFAULT_CAP)
    min_replications: int = 5
    thresholds: tuple[str, ...] = ()  # KPI=AMOUNT: practical significance (--threshold)
    cache: bool = False  # True where the command offers the cache and --no-cache was not given

    def build(self, scenario: Scenario, *, study: str = "a run of one design",
              accepts: tuple[str, ...] = (AUTO,), decide: tuple[str, ...] = (),
              measures: tuple[str, ...] = (), out_dir: Path | None = None,
              events_format: str = "parquet", progress: ReplicationBar | None = None) -> Execution:
        """The execution for ``scenario`` (the first, where a command runs several).

        ``accepts`` are the rules ``study`` may use (``-r auto``, ``-r until-clear``; none in
        a sweep, where every design gets the same replications); ``decide`` the KPIs a
        comparison decides on under ``-r until-clear`` (default: those of ``-r auto``), and
        ``measures`` the names besides the scenario's KPIs that ``--threshold`` may give.
        """
        from simulator.experiment.execution import Execution
        from simulator.experiment.precision import PrecisionRule

        check_kpi_names(self.precision_kpis, scenario, "--precision-kpi")
        indifference = self.threshold_map(scenario, measures)
        replications: int | PrecisionRule | SequentialRule = scenario.run.replications
        if self.replications in (AUTO, UNTIL_CLEAR):
            kind = str(self.replications)
            if kind not in accepts:
                allowed = " or ".join(["a whole number", *(f"'{rule}'" for rule in accepts)])
                raise click.BadParameter(f"expected {allowed} for {study}; found '{kind}'",
                                         param_hint="'-r' / '--replications'")
            cap = self.max_replications or DEFAULT_CAP[kind]
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

    def threshold_map(self, scenario: Scenario, measures: tuple[str, ...] = ()) -> dict[str, float]:
        """--threshold KPI=AMOUNT as KPI → threshold: the one notion of a difference that matters,
        for the tables' "clear" and for -r until-clear's indifference amount alike (a scoped
        name, ``P2.mtta_min``, sets the KPI's threshold in every scope)."""
        return _thresholds(self.thresholds, scenario, measures)


def _sequential_rule(kpis: tuple[str, ...], indifference: dict[str, float], first: int,
                     cap: int) -> SequentialRule:
    from simulator.experiment.sequential import SequentialRule

    if first > cap:
        raise click.BadParameter(f"expected --min-replications at most --max-replications "
                                 f"({cap}); found {first}", param_hint="'--min-replications'")
    return SequentialRule(kpis, indifference, first, cap)


def _thresholds(texts: tuple[str, ...], scenario: Scenario, measures: tuple[str, ...]
                ) -> dict[str, float]:
    """--threshold KPI=AMOUNT options: a KPI of the scenario (or a measure) and an amount >= 0."""
    chosen: dict[str, float] = {}
    for text in texts:
        name, equals, amount = (part.strip() for part in text.partition("="))
        try:
            value = float(amount) if equals else math.nan
        except ValueError:
            value = math.nan
        if not name or not value >= 0 or math.isinf(value):
            raise click.BadParameter(f"expected KPI=AMOUNT with an amount of 0 or more, e.g. "
                                     f"mtta_min=5; found {text!r}", param_hint="'--threshold'")
        if name not in measures:
            check_kpi_names([name], scenario, "--threshold")
        chosen[name.rpartition(".")[2]] = value
    return chosen


def _replication_cache() -> ReplicationCache:
    """The user's replication cache; a problem with it is a note on stderr, never a failure."""
    from simulator.experiment.cache import ReplicationCache

    return ReplicationCache(notify=lambda problem: stderr().print(f"note: {problem}", markup=False))

