"""Benchmark: mimsim's engine side by side with the reference M/M/c models in ../shared/bench.

Runs, in fresh interpreters and interleaved, ``repeats`` times each:

* ``../shared/bench/mmc_simpy.py`` — the minimal process-per-customer SimPy model;
* ``../shared/bench/mmc_ciw.py``   — the same queue in Ciw;
* mimsim on ``scenarios/mmc.yaml`` with about the same number of incidents;
* mimsim on one replication of ``scenarios/baseline.yaml`` (one year);
* the same with services, outages and the major-incident process (``with-mim.yaml``),
  and with each of its three services failing about once a week;

and prints the medians of each one's own simulation time (excluding interpreter
start-up and imports), as time per incident, with the ratios that matter:
mimsim mmc ÷ SimPy (target ≤ 1.0, aim 0.7), Ciw ÷ SimPy, baseline ÷ mimsim mmc
per incident (target ≤ 4), what the major-incident machinery adds to the baseline's cost
per incident (aim < 20 %), and the baseline replication's peak memory (target < 1 GB).
Timings vary between machines and runs: only ratios measured in one run compare.

Usage: ``python benchmarks/bench_engine.py [--incidents 200000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
REFERENCES = HERE.parents[1] / "shared" / "bench"


def _run(command: list[str], cwd: Path, incidents: int) -> dict[str, float]:
    environment = os.environ | {"MMC_N": str(incidents)}
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    if not REFERENCES.is_dir():
        sys.exit(f"reference benchmarks not found at {REFERENCES}")
    python = sys.executable
    jobs = {
        "simpy": ([python, "mmc_simpy.py"], REFERENCES),
        "ciw": ([python, "mmc_ciw.py"], REFERENCES),
        "mimsim-mmc": ([python, str(HERE / "mimsim_job.py"), "mmc", str(options.incidents)], HERE),
        "mimsim-baseline": ([python, str(HERE / "mimsim_job.py"), "baseline"], HERE),
        "mimsim-with-mim": ([python, str(HERE / "mimsim_job.py"), "with-mim"], HERE),
        "mimsim-mim-weekly": ([python, str(HERE / "mimsim_job.py"), "with-mim-weekly"], HERE),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in jobs}
    for repeat in range(options.repeats):
        for name, (command, cwd) in jobs.items():
            results[name].append(_run(command, cwd, options.incidents))
            print(f"  repeat {repeat + 1}/{options.repeats}: {name:16s} "
                  f"{results[name][-1]['t_core_s']:.2f} s", file=sys.stderr)

    def per_incident(name: str) -> float:
        return statistics.median(r["t_core_s"] / r["n"] for r in results[name])

    print(f"\nmedian of {options.repeats} runs, interleaved, each in a fresh interpreter")
    print(f"{'engine':18s} {'incidents':>10s} {'core s':>8s} {'µs/incident':>12s} {'÷ SimPy':>8s}")
    for name in jobs:
        n = int(statistics.median(r["n"] for r in results[name]))
        core = statistics.median(r["t_core_s"] for r in results[name])
        ratio = per_incident(name) / per_incident("simpy")
        print(f"{name:18s} {n:10d} {core:8.2f} {1e6 * per_incident(name):12.2f} {ratio:8.2f}")
    mmc = results["mimsim-mmc"][0]
    baseline = results["mimsim-baseline"]
    print(f"\nmimsim mmc ÷ SimPy (per incident): {per_incident('mimsim-mmc') / per_incident('simpy'):.2f}"
          "  (target ≤ 1.0, aim 0.7)")
    print(f"Ciw ÷ SimPy (per incident):        {per_incident('ciw') / per_incident('simpy'):.2f}")
    print(f"baseline ÷ mmc, per incident:      "
          f"{per_incident('mimsim-baseline') / per_incident('mimsim-mmc'):.2f}  (target ≤ 4)")
    for name, label in (("mimsim-with-mim", "with-mim"), ("mimsim-mim-weekly", "with-mim, weekly failures")):
        outages = statistics.median(r["outages"] for r in results[name])
        extra = per_incident(name) / per_incident("mimsim-baseline") - 1
        print(f"{label} ÷ baseline, per incident: {1 + extra:.3f} ({100 * extra:+.1f} %, "
              f"{outages:.0f} outages; aim < +20 %)")
    print(f"baseline replication peak memory:  "
          f"{max(r['peak_rss_mb'] for r in baseline):.0f} MB  (target < 1024 MB)")
    print(f"mmc check: P(wait) {mmc['p_wait']:.4f} (Erlang C 0.4092), "
          f"mean wait {mmc['mtta_min']:.2f} min (12.28)")
    log_share = statistics.median(r["t_log_s"] / r["t_core_s"] for r in results["mimsim-mmc"])
    kpi_share = statistics.median(r["t_kpis_s"] / r["t_core_s"] for r in results["mimsim-mmc"])
    print(f"after the core, mmc: event-log table +{100 * log_share:.0f} %, KPIs +{100 * kpi_share:.0f} %"
          f" of the core time")


if __name__ == "__main__":
    main()
