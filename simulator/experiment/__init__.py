"""Experiment layer: replications (serial or a process pool), confidence intervals, targets, run folders."""

from simulator.experiment.replications import ReplicationResult, run_replication, run_replications
from simulator.experiment.run import RunResult, run_experiment
from simulator.experiment.summary import check_targets, confidence_interval, summarise

__all__ = [
    "ReplicationResult",
    "RunResult",
    "check_targets",
    "confidence_interval",
    "run_experiment",
    "run_replication",
    "run_replications",
    "summarise",
]
