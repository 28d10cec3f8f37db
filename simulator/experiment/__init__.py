"""Experiment layer: replications on any executor, common random numbers, CIs, comparisons, warm-up,
sweeps into a resumable store, staffing search, ROI and sensitivity.

The names below are imported when first used, so that importing one module of the layer
(``simulator.experiment.grid``) does not load all of them with pandas, SciPy and SimPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Where each name lives.
_LAZY = {
    "Campaign": "campaign", "Design": "campaign", "Execution": "execution", "Progress": "execution",
    "DaskExecutor": "executors", "PoolExecutor": "executors", "SerialExecutor": "executors",
    "available_workers": "executors", "make_executor": "executors", "Decision": "precision",
    "PrecisionRule": "precision", "ReplicationResult": "replications",
    "run_replication": "replications", "RunResult": "run", "run_experiment": "run",
    "load_sweep": "store", "check_targets": "summary", "confidence_interval": "summary",
    "summarise": "summary",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"simulator.experiment.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'simulator.experiment' has no attribute {name!r}")
