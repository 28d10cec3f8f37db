"""Benchmark: replications on k workers against the same replications in one process.

Prints, for the baseline scenario shortened to ``--weeks`` weeks:

* serial wall time and process-pool wall time on all cores for ``--replications``
  replications, and their ratio against the target of at most 1.15 / k;
* the machine's own limit: the same replications split by hand between k
  independent processes started together (no pool, nothing shared) — on a
  machine whose cores slow each other down, no executor can beat that ratio;
* a ``--dask-replications`` run (default 40) on the pool and on a Dask
  LocalCluster (cluster start-up included), and the Dask overhead.

Each figure is the median of ``--repeats`` runs. Wall times include starting
the workers, as a user waits for them.

Usage: ``python benchmarks/bench_executors.py [--replications 8] [--weeks 20] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from simulator.experiment import (
    DaskExecutor,
    Execution,
    PoolExecutor,
    SerialExecutor,
    available_workers,
    run_experiment,
)
from simulator.scenario import load_scenario

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.yaml"


def _timed(scenario: object, replications: int, make: object) -> float:
    began = time.perf_counter()
    with make() as executor:  # type: ignore[operator]
        run_experiment(scenario, Execution(replications, seed=1,  # type: ignore[arg-type]
                                           executor=executor))
    return time.perf_counter() - began


def _split_by_hand(replications: int, weeks: int, cores: int) -> float:
    """k independent interpreters, each running its share of the replications serially."""
    code = ("import sys; from simulator.scenario import load_scenario; "
            "from simulator.experiment.replications import run_replication; "
            f"s = load_scenario({str(BASELINE)!r}, ['run.horizon={weeks}w', 'run.warmup=2w']); "
            "import time; t = time.perf_counter(); "
            "[run_replication(s, r, 1) for r in map(int, sys.argv[1:])]; "
            "print(time.perf_counter() - t)")
    shares = [[str(r) for r in range(replications) if r % cores == worker] for worker in range(cores)]
    processes = [subprocess.Popen([sys.executable, "-c", code, *share], stdout=subprocess.PIPE,
                                  text=True) for share in shares]
    return max(float(process.communicate()[0]) for process in processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--dask-replications", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    cores = available_workers()
    scenario = load_scenario(BASELINE, [f"run.horizon={options.weeks}w", "run.warmup=2w"])
    short = load_scenario(BASELINE, ["run.horizon=6w", "run.warmup=1w"])
    times: dict[str, list[float]] = {"serial": [], "pool": [], "by hand": [], "pool-40": [],
                                     "dask-40": []}
    for repeat in range(options.repeats):
        times["serial"].append(_timed(scenario, options.replications, SerialExecutor))
        times["pool"].append(_timed(scenario, options.replications, lambda: PoolExecutor(cores)))
        times["by hand"].append(_split_by_hand(options.replications, options.weeks, cores))
        times["pool-40"].append(_timed(short, options.dask_replications,
                                       lambda: PoolExecutor(cores)))
        times["dask-40"].append(_timed(short, options.dask_replications,
                                       lambda: DaskExecutor("local")))
        print(f"  repeat {repeat + 1}/{options.repeats}: "
              + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in times.items()))
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["pool"] / median["serial"]
    print(f"\n{options.replications} replications of the baseline ({options.weeks} weeks), "
          f"{cores} cores, median of {options.repeats}:")
    print(f"  serial {median['serial']:.2f} s, process pool {median['pool']:.2f} s: "
          f"ratio {ratio:.3f} (target <= 1.15/{cores} = {1.15 / cores:.3f})")
    print(f"  the machine's limit, {cores} independent processes: {median['by hand']:.2f} s, "
          f"ratio {median['by hand'] / median['serial']:.3f}")
    overhead = median["dask-40"] - median["pool-40"]
    print(f"{options.dask_replications} replications (6 weeks each): pool {median['pool-40']:.2f} s, "
          f"Dask LocalCluster {median['dask-40']:.2f} s (cluster start-up included): "
          f"overhead {overhead:+.2f} s ({100 * overhead / median['pool-40']:+.0f} %)")


if __name__ == "__main__":
    main()
