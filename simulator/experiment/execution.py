"""Experiment layer: how a study runs — replications, seed, where, what it writes, who hears of it.

Every study (:func:`~simulator.experiment.run.run_experiment`,
:func:`~simulator.experiment.compare.compare_designs`, a sweep, a staffing search,
a sensitivity study, an ROI) takes one :class:`Execution`. It says nothing about
*what* is simulated — the scenarios and their settings are the study's own
arguments — only how the replications are run, so the numbers depend on it
through the seed and the number of replications alone, never through the
workers, the executor or the progress report.

``Execution()`` is the simple case: the scenario's own ``run.replications`` and
``run.seed``, a process pool on every core, nothing written, nothing cached. A study that runs
many designs opens the executor once (:meth:`Execution.started`) and hands the
bound execution down, so nested studies (a sensitivity study's comparison) share
its workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from simulator.eventlog.export import EXPORT_FORMATS
from simulator.experiment.cache import ReplicationCache
from simulator.experiment.executors import Executor, available_workers, make_executor
from simulator.experiment.precision import PrecisionRule
from simulator.experiment.replications import ReplicationResult
from simulator.experiment.sequential import SequentialRule
from simulator.scenario.schema import Scenario

__all__ = ["Execution", "Progress", "Replications"]

#: How many replications: a fixed number, or a rule that adds them until it decides — until
#: the KPIs are precise enough, or until a comparison is decided.
Replications = int | PrecisionRule | SequentialRule


class Progress(Protocol):
    """Told as replications are planned and as each one finishes (e.g. to move a progress bar)."""

    def expect(self, replications: int) -> None:
        """``replications`` more are about to run (a study may call this more than once)."""

    def finished(self, design: str, result: ReplicationResult) -> None:
        """Replication ``result.replication`` of ``design`` has finished."""


@dataclass(frozen=True)
class Execution:
    """How to run a study's replications (see the module's notes).

    Attributes
    ----------
    replications
        How many per design, a :class:`PrecisionRule` that adds them until the KPIs are
        precise enough, or a :class:`SequentialRule` that adds them until the study's
        comparison is decided (``None``: the scenario's ``run.replications``). A sweep needs
        a fixed number; a staffing search a fixed number or a sequential rule.
    seed
        The root seed (``None``: the scenario's ``run.seed``; for several designs, the first's).
    workers
        Worker processes (``None``: every core; 1 runs in this process).
    dask
        Run on Dask instead: ``"local"`` for a LocalCluster, or a scheduler address.
    executor
        An executor that is already open, to use as it is: the study does not close it.
    out_dir
        Where ``run_experiment`` writes its run directory and ``compare_designs`` (also for
        an ROI) one per design; ``None`` writes nothing. The other studies write no run
        directory.
    events_format
        The event-log file format in a run directory: ``parquet``, ``csv`` or ``xes``.
    progress
        Told of planned and finished replications.
    cache
        Where finished replications are kept and read back instead of run again
        (:class:`~simulator.experiment.cache.ReplicationCache`); ``None``: nothing is cached.
    """

    replications: Replications | None = None
    seed: int | None = None
    workers: int | None = None
    dask: str | None = None
    executor: Executor | None = None
    out_dir: Path | None = None
    events_format: str = "parquet"
    progress: Progress | None = None
    cache: ReplicationCache | None = None

    def __post_init__(self) -> None:
        if isinstance(self.replications, int) and self.replications < 1:
            raise ValueError(f"expected at least 1 replication; found {self.replications}")
        if self.seed is not None and self.seed < 0:
            raise ValueError(f"expected a seed of 0 or more; found {self.seed}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"expected at least 1 worker; found {self.workers}")
        if self.events_format not in EXPORT_FORMATS:
            raise ValueError(f"expected an events format among {', '.join(EXPORT_FORMATS)}; "
                             f"found {self.events_format!r}")
        if self.out_dir is not None and not isinstance(self.out_dir, Path):
            object.__setattr__(self, "out_dir", Path(self.out_dir))

    def seed_for(self, scenario: Scenario) -> int:
        """The root seed: this execution's, or else the scenario's."""
        return scenario.run.seed if self.seed is None else self.seed

    def replications_for(self, scenario: Scenario) -> Replications:
        """The number of replications (or the rule): this execution's, or else the scenario's."""
        return scenario.run.replications if self.replications is None else self.replications

    def fixed_replications(self, scenario: Scenario, study: str) -> int:
        """A whole number of replications, for a study in which every design gets the same."""
        wanted = self.replications_for(scenario)
        if not isinstance(wanted, int):
            kind = "a precision rule" if isinstance(wanted, PrecisionRule) else "a sequential rule"
            raise ValueError(f"expected a whole number of replications for {study} (every design "
                             f"gets the same); found {kind}")
        return wanted

    def writing_nothing(self, study: str) -> Execution:
        """This execution, for a study that writes no run directory (an error if it asks for one)."""
        if self.out_dir is not None:
            raise ValueError(f"expected no output directory for {study}, which writes no run "
                             f"directory; found {self.out_dir}")
        return self

    @property
    def width(self) -> int:
        """How many replications may run at once (the batch size of a precision rule)."""
        return available_workers() if self.workers is None else self.workers

    @contextmanager
    def started(self, replications: int | None = None) -> Iterator[Execution]:
        """This execution with its executor open: the one given, or one made for the workers
        (no wider than ``replications``, the most that will run at once, where known) and
        closed on leaving the ``with`` block (also through Ctrl-C)."""
        if self.executor is not None:
            yield self
            return
        width = self.width if replications is None else max(1, min(self.width, replications))
        with make_executor(width, self.dask) as executor:
            yield replace(self, executor=executor)

    def running_on(self) -> Executor:
        """The open executor (inside :meth:`started`)."""
        if self.executor is None:
            raise RuntimeError("expected an open executor: use `with execution.started() as "
                               "running:` first")
        return self.executor

    def expect(self, replications: int) -> None:
        """Tell the progress report that ``replications`` more are about to run."""
        if self.progress is not None and replications:
            self.progress.expect(replications)

    def finished(self, design: str, result: ReplicationResult) -> None:
        """Tell the progress report that a replication finished."""
        if self.progress is not None:
            self.progress.finished(design, result)
