"""Every executor gives the same numbers for the same seeds: serial, a process pool, and Dask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import (
    DaskExecutor,
    PoolExecutor,
    SerialExecutor,
    run_experiment,
)
from simulator.scenario import load_scenario

#: Long statistical runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def test_serial_pool_and_dask_localcluster_give_identical_replications() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["run.horizon=5w", "run.warmup=1w"])
    runs = {}
    for name, executor in (("serial", SerialExecutor()), ("pool", PoolExecutor(2)),
                           ("dask", DaskExecutor("local"))):
        runs[name] = run_experiment(scenario, replications=4, seed=8, executor=executor)
        assert runs[name].manifest["executor"].split(" ")[0] in ("serial", "process", "Dask")
    for name in ("pool", "dask"):
        pd.testing.assert_frame_equal(runs["serial"].kpis, runs[name].kpis)
        pd.testing.assert_frame_equal(runs["serial"].backlog, runs[name].backlog)
    assert runs["serial"].kpis["replication"].nunique() == 4
    arrived = runs["serial"].kpis.query("scope == 'overall' and kpi == 'arrived'")["value"]
    assert arrived.nunique() == 4  # and the replications differ from each other
