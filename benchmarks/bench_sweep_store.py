"""Benchmark: what the sweep's results store costs per replication.

Runs ``--replications`` replications of the baseline scenario shortened to ``--weeks``
weeks in this process, then writes each one's KPI rows to a fresh SQLite store the way
a sweep does (one transaction per replication, WAL, synchronous=FULL), and prints the
median write time against the median replication time. Then times ``load_sweep`` on
the store.

Usage: ``python benchmarks/bench_sweep_store.py [--replications 10] [--weeks 6]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from simulator.experiment import load_sweep
from simulator.experiment.replications import run_replication
from simulator.experiment.store import SweepStore
from simulator.scenario import load_scenario

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=6)
    options = parser.parse_args()
    scenario = load_scenario(BASELINE, [f"run.horizon={options.weeks}w", "run.warmup=1w"])
    results, simulated = [], []
    for replication in range(options.replications):
        began = time.perf_counter()
        results.append(run_replication(scenario, replication, 1))
        simulated.append(time.perf_counter() - began)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        writes = []
        with SweepStore(path) as store:
            store.add_design("bench", "baseline", "-", 1, None, (), {})
            for result in results:
                began = time.perf_counter()
                store.add_replication("bench", result.replication, result.kpis, result.wall_s)
                writes.append(time.perf_counter() - began)
        began = time.perf_counter()
        table = load_sweep(path)
        loading = time.perf_counter() - began
    rows = len(results[0].kpis)
    write, replication = statistics.median(writes), statistics.median(simulated)
    print(f"baseline, {options.weeks} weeks, {options.replications} replications, {rows} KPI rows each")
    print(f"replication (median): {replication * 1000:.0f} ms")
    print(f"store write (median): {write * 1000:.1f} ms = {write / replication:.2%} of a replication")
    print(f"load_sweep of {len(table):,} rows: {loading * 1000:.0f} ms")


if __name__ == "__main__":
    main()
