"""Every executor gives the same numbers for the same seeds: serial, a process pool, and Dask."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import (
    DaskExecutor,
    Execution,
    PoolExecutor,
    SerialExecutor,
    run_experiment,
)
from simulator.scenario import load_scenario
from tests.helpers import run_cli

#: Long statistical runs: left out of the fast subset (`make fast`), run by CI.
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def test_serial_pool_and_dask_localcluster_give_identical_replications() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["run.horizon=5w", "run.warmup=1w"])
    runs = {}
    makers = (("serial", SerialExecutor), ("pool", lambda: PoolExecutor(2)),
              ("dask", lambda: DaskExecutor("local")))
    for name, make in makers:
        with make() as executor:
            runs[name] = run_experiment(scenario, Execution(4, seed=8, executor=executor))
        assert runs[name].manifest["executor"].split(" ")[0] in ("serial", "process", "Dask")
    for name in ("pool", "dask"):
        pd.testing.assert_frame_equal(runs["serial"].kpis, runs[name].kpis)
        pd.testing.assert_frame_equal(runs["serial"].backlog, runs[name].backlog)
    assert runs["serial"].kpis["replication"].nunique() == 4
    arrived = runs["serial"].kpis.query("scope == 'overall' and kpi == 'arrived'")["value"]
    assert arrived.nunique() == 4  # and the replications differ from each other


def test_an_executor_given_to_a_study_stays_open_for_the_next() -> None:
    # A study that runs many designs (or a notebook) starts the workers once and lends them out.
    scenario = load_scenario(SCENARIOS / "mmc.yaml", ["run.horizon=2w", "run.warmup=2d"])
    with PoolExecutor(2) as pool:
        shared = Execution(2, seed=3, executor=pool)
        first = run_experiment(scenario, shared)
        second = run_experiment(scenario, shared)
        assert first.manifest["executor"] == second.manifest["executor"] == "process pool of 2"
    pd.testing.assert_frame_equal(first.kpis, second.kpis)


def test_the_sensitivity_study_on_a_dask_localcluster_of_2_gives_the_pool_s_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 16, the scale-out path: the docs' ROI sensitivity study (shortened) through the CLI,
    on the process pool and on ``--dask local -j 2``, gives the same JSON, number for number.
    The cache is off, so that both runs simulate every replication."""
    study = ["sensitivity", str(SCENARIOS / "without-mim.yaml"), str(SCENARIOS / "with-mim.yaml"),
             "--range", "services.customer_portal.downtime_cost=2300:9000",
             "--range", "major_incident.recognition_delay.median=4m:15m",
             "--investment", "250000", "--years", "3", "-r", "2", "-j", "2", "--set", "run.horizon=8w",
             "--set", "run.warmup=1w", "--set", "services.customer_portal.failures.every.mean=4d",
             "--no-cache", "--format", "json"]
    documents = {}
    for name, extra in (("pool", []), ("dask", ["--dask", "local"])):
        code, out, err = run_cli([*study, *extra, "--plot", str(tmp_path / f"{name}.png")], capsys)
        assert code == 0, err
        documents[name] = {key: value for key, value in json.loads(out).items() if key != "plot"}
    assert documents["dask"] == documents["pool"]
    inputs = {row["path"]: row for row in documents["pool"]["inputs"]}
    assert set(inputs) == {"services.customer_portal.downtime_cost",
                           "major_incident.recognition_delay.median"}
    assert inputs["services.customer_portal.downtime_cost"]["swing"] > 0  # numbers, not all zeros
