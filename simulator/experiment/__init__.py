"""Experiment layer: replications on any executor, common random numbers, CIs, comparisons, warm-up,
sweeps into a resumable store, staffing search, ROI and sensitivity."""

from simulator.experiment.campaign import Campaign, Design
from simulator.experiment.execution import Execution, Progress
from simulator.experiment.executors import (
    DaskExecutor,
    PoolExecutor,
    SerialExecutor,
    available_workers,
    make_executor,
)
from simulator.experiment.precision import Decision, PrecisionRule
from simulator.experiment.replications import ReplicationResult, run_replication
from simulator.experiment.run import RunResult, run_experiment
from simulator.experiment.store import load_sweep
from simulator.experiment.summary import check_targets, confidence_interval, summarise

__all__ = [
    "Campaign",
    "DaskExecutor",
    "Decision",
    "Design",
    "Execution",
    "PoolExecutor",
    "PrecisionRule",
    "Progress",
    "ReplicationResult",
    "RunResult",
    "SerialExecutor",
    "available_workers",
    "check_targets",
    "confidence_interval",
    "load_sweep",
    "make_executor",
    "run_experiment",
    "run_replication",
    "summarise",
]
