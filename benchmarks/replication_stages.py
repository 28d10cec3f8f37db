"""Where one replication's CPU time, system time, page faults and memory go, stage by stage.

Runs one replication of a shipped scenario in this process — build, run, the event-log table,
the model freed, the encoding, the KPIs, the backlog series, as ``run_replication`` does them —
and prints, for each stage, its user and system CPU time, its minor page faults, the process's
peak and current resident memory (MB) after it. Use it in a fresh interpreter: the first
replication of a process pays for every fresh page.

Usage: ``python benchmarks/replication_stages.py [SCENARIO [KEY=VALUE ...]]``, e.g.
``python benchmarks/replication_stages.py baseline`` or ``... mmc priorities.P3.response=30m``.
Set ``NUMPY_MADVISE_HUGEPAGE=1`` to see the stages with NumPy's huge-page advice on.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

from simulator.metrics.coded import encode
from simulator.metrics.incidents import KpiContext
from simulator.metrics.kpis import measure_replication
from simulator.metrics.series import backlog_series
from simulator.model.memory import ordinary_pages
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _usage() -> tuple[float, float, int, float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return (usage.ru_utime, usage.ru_stime, usage.ru_minflt, usage.ru_maxrss / 1024,
            resident_pages * resource.getpagesize() / 2**20)


class _Stages:
    def __init__(self) -> None:
        self.last = _usage()

    def done(self, name: str) -> None:
        now = _usage()
        print(f"{name:10s} user {now[0] - self.last[0]:6.3f} s  system {now[1] - self.last[1]:6.3f} s  "
              f"faults {now[2] - self.last[2]:7d}  peak {now[3]:5.0f} MB  now {now[4]:5.0f} MB")
        self.last = _usage()


@ordinary_pages()
def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "baseline"
    scenario = load_scenario(SCENARIOS / f"{name}.yaml", sys.argv[2:])
    stages = _Stages()
    stages.done("loaded")
    simulation = Simulation(scenario, 0)
    stages.done("build")
    simulation.run()
    stages.done("run")
    log = simulation.results()
    stages.done("table")
    del simulation
    stages.done("freed")
    coded = encode(log.events, log.start)
    stages.done("encode")
    measured = measure_replication(log, KpiContext.from_scenario(scenario), coded)
    stages.done("KPIs")
    backlog_series(coded, measured.teams.window[1])
    stages.done("backlog")


if __name__ == "__main__":
    main()
