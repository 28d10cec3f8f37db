"""One timed mimsim job, run in a fresh interpreter by ``bench_engine.py``; prints one JSON line.

Usage: ``python mimsim_job.py mmc N`` (M/M/c with about N incidents), or
``python mimsim_job.py baseline`` (one replication of the one-year baseline), or
``with-mim`` (the same with its services, outages and major-incident process), or
``with-mim-weekly`` (the same with each service failing about once a week).

``t_core_s`` is the simulation's own time — building the model (arrival times and
incident plans) and running it — after the interpreter has started and imported
everything, as in the reference scripts. ``t_log_s`` is the extra time to turn
the recorded rows into the event-log table, and ``t_kpis_s`` to measure the KPIs.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from simulator.metrics import KpiContext, encode, replication_kpis
from simulator.model import Simulation
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def main() -> None:
    job = sys.argv[1]
    if job == "mmc":
        incidents = int(sys.argv[2])
        weeks = incidents / (8 * 24 * 7)  # 8 arrivals an hour
        scenario = load_scenario(SCENARIOS / "mmc.yaml", [f"run.horizon={weeks:.6f}w",
                                                         "run.warmup=0m"])
    elif job == "baseline":
        scenario = load_scenario(SCENARIOS / "baseline.yaml")
    elif job == "with-mim":
        scenario = load_scenario(SCENARIOS / "with-mim.yaml")
    else:  # with-mim-weekly: each of the three services fails about once a week
        scenario = load_scenario(SCENARIOS / "with-mim.yaml", [
            f"services.{name}.failures.every.mean=7d"
            for name in ("customer_portal", "email", "network_core")])
    began = time.perf_counter()
    simulation = Simulation(scenario, replication=0)
    simulation.run()
    core = time.perf_counter() - began
    log = simulation.results()
    logged = time.perf_counter()
    kpis = replication_kpis(log, KpiContext.from_scenario(scenario), encode(log.events, log.start))
    measured = time.perf_counter()
    overall = kpis[kpis["scope"] == "overall"].set_index("kpi")["value"]
    n = int((log.events["activity"] == "arrived").sum())
    outages = int((log.events["activity"] == "outage started").sum())
    print(json.dumps({
        "engine": f"mimsim-{job}", "n": n, "outages": outages, "events": len(log.events), "t_core_s": core,
        "t_log_s": logged - began - core, "t_kpis_s": measured - logged,
        "p_wait": float(overall["p_wait"]), "mtta_min": float(overall["mtta_min"]),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
