"""Benchmark: ``mimsim staff`` on ``scenarios/phone-desk.yaml`` (issue 18, item 6: under 3 minutes
on 2 cores), in CPU seconds, which a shared machine does not inflate the way it inflates wall time.

It runs the issue's command in this process (``--format json``, 2 workers) and prints:

* the wall time and the load average before and after (the wall time is only meaningful on an
  idle machine);
* the CPU seconds of this process (the search: formulas, summaries, the integer program,
  imports) and of its workers (the replications), and the rosters simulated;
* the wall time the same CPU would take on 2 idle cores: this process's CPU, plus the workers'
  CPU spread over 2 cores — rounded up to whole rounds of replications, since each batch of a
  roster's 5 replications keeps 2 workers busy for 3 rounds;
* one replication's CPU split into simulating, building the log, encoding it and measuring the
  KPIs (the mean of ``--split`` replications, default 3).

Usage: ``python benchmarks/bench_staff.py [--split 3] [--max-designs 60]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "phone-desk.yaml"
OVERRIDES = ("run.horizon=8d", "run.warmup=1d")
TARGETS = ("phone.service_level>=0.8", "phone.abandon_rate<=0.07", "chat.service_level>=0.8")
REPLICATIONS = 5
WORKERS = 2


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _run_staff(max_designs: int) -> dict[str, Any]:
    from simulator.cli.main import main

    arguments = ["staff", str(SCENARIO), "--team", "service_desk", "-r", str(REPLICATIONS),
                 "-j", str(WORKERS), "--format", "json", "--max-designs", str(max_designs)]
    for item in OVERRIDES:
        arguments += ["--set", item]
    for target in TARGETS:
        arguments += ["--target", target]
    out = StringIO()
    with redirect_stdout(out):
        try:
            main(arguments)
        except SystemExit as stopped:
            if stopped.code:
                raise
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def _split(replications: int) -> dict[str, float]:
    from simulator.metrics import KpiContext
    from simulator.metrics.coded import encode
    from simulator.metrics.kpis import measure_replication
    from simulator.model.simulation import Simulation
    from simulator.scenario.loader import load_scenario

    scenario = load_scenario(SCENARIO, OVERRIDES)
    parts = dict.fromkeys(("simulate", "build the log", "encode", "KPIs"), 0.0)
    for replication in range(replications):
        began = time.process_time()
        simulation = Simulation(scenario, replication, scenario.run.seed)
        simulation.run()
        simulated = time.process_time()
        log = simulation.results()
        built = time.process_time()
        coded = encode(log.events, log.start)
        encoded = time.process_time()
        measure_replication(log, KpiContext.from_scenario(scenario), coded)
        measured = time.process_time()
        for name, seconds in zip(parts, (simulated - began, built - simulated, encoded - built,
                                         measured - encoded), strict=True):
            parts[name] += seconds / replications
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", type=int, default=3, help="replications timed part by part")
    parser.add_argument("--max-designs", type=int, default=60)
    options = parser.parse_args()
    load_before = os.getloadavg()
    began = time.perf_counter()
    document = _run_staff(options.max_designs)
    wall = time.perf_counter() - began
    load_after = os.getloadavg()
    search_cpu, workers_cpu = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    rosters = int(document["rosters_simulated"])
    per_replication = workers_cpu / (rosters * REPLICATIONS)
    rounds = math.ceil(REPLICATIONS / WORKERS)
    idle = search_cpu + rosters * rounds * per_replication
    print(f"wall {wall:.1f} s at load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    chosen = {post["post"]: post["chosen"] for post in document["posts"]}
    print(f"rosters simulated {rosters} x {REPLICATIONS} replications; chosen {chosen}")
    print(f"CPU: search (this process) {search_cpu:.1f} s, workers {workers_cpu:.1f} s "
          f"({per_replication:.2f} s a replication), total {search_cpu + workers_cpu:.1f} s")
    print(f"on {WORKERS} idle cores: about {idle:.0f} s ({idle / 60:.1f} min) — the search's CPU "
          f"plus {rounds} rounds of replications per roster")
    parts = _split(options.split)
    total = sum(parts.values())
    print("one replication: " + ", ".join(f"{name} {seconds:.3f} s ({seconds / total:.0%})"
                                          for name, seconds in parts.items()))


if __name__ == "__main__":
    sys.exit(main())
