"""Benchmark: the figures behind the work limits of ``simulator.experiment.workload``.

Measures, in this process, one after another:

* the time of a replication of the baseline scenario shortened to ``--weeks`` weeks, per
  incident it brings;
* the time of a one-incident replication (``tests/helpers.TINY``): the fixed cost of setting up
  a replication and measuring its KPIs, in baseline incidents' worth (``REPLICATION_COST``);
* the time to load and check the baseline scenario file, in incidents' worth (``DESIGN_COST``);
* in fresh interpreters, the peak memory of one baseline replication of 52 and of 104 weeks:
  memory per incident (``REPLICATION_LIMIT``).

Usage: ``python benchmarks/bench_workload.py [--weeks 20] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

_MEMORY_JOB = """
import resource, sys
from simulator.experiment.replications import run_replication
from simulator.experiment.workload import incidents_per_replication
from simulator.scenario import load_scenario
scenario = load_scenario(sys.argv[1], [f"run.horizon={sys.argv[2]}w"])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run_replication(scenario, 0, 1)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(incidents_per_replication(scenario), before, after)
"""


def _median_time(job: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        job()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _memory(weeks: int) -> tuple[float, float]:
    """Incidents of one baseline replication of ``weeks``, and its peak memory above start (KB)."""
    done = subprocess.run([sys.executable, "-c", _MEMORY_JOB, str(BASELINE), str(weeks)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    incidents, before, after = done.stdout.split()
    return float(incidents), float(after) - float(before)


def main() -> None:
    from simulator.experiment.replications import run_replication
    from simulator.experiment.workload import incidents_per_replication
    from simulator.scenario import load_scenario
    from simulator.scenario.loader import parse_scenario
    sys.path.insert(0, str(ROOT))
    from tests.helpers import TINY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    baseline = load_scenario(BASELINE, [f"run.horizon={options.weeks}w", "run.warmup=1w"])
    incidents = incidents_per_replication(baseline)
    replication = _median_time(lambda: run_replication(baseline, 0, 1), options.repeats)
    per_incident = replication / incidents
    tiny = parse_scenario(TINY, "tiny")
    fixed = _median_time(lambda: run_replication(tiny, 0, 1), options.repeats)
    loading = _median_time(lambda: load_scenario(BASELINE), options.repeats)
    print(f"baseline, {options.weeks} weeks: {incidents:,.0f} incidents, {replication:.2f} s a "
          f"replication, {per_incident * 1e6:.1f} µs an incident")
    print(f"one-incident replication: {fixed * 1e3:.0f} ms = {fixed / per_incident:,.0f} baseline "
          f"incidents' worth (REPLICATION_COST)")
    print(f"loading baseline.yaml: {loading * 1e3:.0f} ms = {loading / per_incident:,.0f} incidents' "
          f"worth (DESIGN_COST)")
    (small, small_kb), (large, large_kb) = _memory(52), _memory(104)
    print(f"peak memory of a replication above start: 52 weeks {small_kb / 1024:.0f} MB for "
          f"{small:,.0f} incidents, 104 weeks {large_kb / 1024:.0f} MB for {large:,.0f}: "
          f"{large_kb / large:.1f} KB an incident ({(large_kb - small_kb) / (large - small):.1f} KB "
          f"at the margin)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
