"""One mimsim job to run under callgrind, which counts instructions — repeatable on a loaded machine.

Imports, loads a scenario with ``run.horizon=HORIZON`` and no warm-up, builds and runs one
replication, and prints the number of incidents that arrived and of outages. The import and load
cost is the same whatever the horizon, so the instructions per incident of the model are the
difference between two horizons' totals over the difference of their incidents::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=cg-4w.out \\
        python benchmarks/callgrind_job.py baseline 4w          # prints: 4624 0
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=cg-12w.out \\
        python benchmarks/callgrind_job.py baseline 12w
    grep ^totals: cg-4w.out cg-12w.out                           # (12w − 4w) ÷ (13658 − 4624)

Run it in each checkout to compare two commits (a copy of this file runs in older ones).

Usage: ``python benchmarks/callgrind_job.py JOB HORIZON`` with JOB one of ``baseline``,
``with-mim``, ``with-mim-weekly`` (each service failing about once a week), ``mmc``, and for
contact-centre staffing (``benchmarks/bench_wfm.py``): ``baseline-patient`` (the baseline's
desk as a phone line whose callers never run out of patience within the run, with breaks: the
machinery on, nobody abandons) and ``baseline-abandon`` (callers wait 10 minutes on average;
a third of those who hang up call back); or
``python benchmarks/callgrind_job.py simpy N``: the reference SimPy M/M/c
(``../shared/bench/mmc_simpy.py``) with N customers, which prints N — the yardstick of the
ratios in docs/performance.md (e.g. N = 5000 and 15000).

An optional third argument goes on after the run: ``log`` also builds the event-log table
(``Simulation.results()``), ``kpis`` builds it and measures the replication's KPIs, as
``benchmarks/mimsim_job.py`` times them; the difference from the plain job's instructions per
incident is what the table, or the table and the KPIs, cost per incident. ``replication`` runs
the whole of ``run_replication`` instead (no run directory: what a worker of ``staff``,
``compare`` or ``sensitivity`` does) and prints its number of events instead of its incidents.

With ``MIMSIM_CALLGRIND_FLAG=PATH`` set (``benchmarks/bench_core.py`` does it, under
``valgrind --instr-atstart=no``), the job touches ``PATH.ready`` once it has imported and loaded
everything and waits for ``PATH.on``, which the driver touches after turning callgrind's
instrumentation on: only the model itself is counted, and the run takes a fraction of the time.

Run each job once outside callgrind first (or ``python -m compileall``): the first run of a
fresh checkout also compiles its modules, which would count in the shorter horizon's total.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

from simulator.model import Simulation
from simulator.model.incident import ActivityCode
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"
REFERENCES = Path(__file__).parents[2] / "shared" / "bench"
WEEKLY = [f"services.{name}.failures.every.mean=7d" for name in ("customer_portal", "email", "network_core")]
#: The baseline's desk as a phone line with a break and lunch in every shift.
PHONE = ["arrivals.all.channel=phone",
         "teams.service_desk.breaks=[{after: 2h, latest_start: 3h, length: 15m},"
         " {after: 4h, latest_start: 5h, length: 30m}]"]
WFM = {"baseline-patient": [*PHONE, "arrivals.all.patience=100w"],
       "baseline-abandon": [*PHONE, "arrivals.all.patience={dist: exponential, mean: 10m}",
                            "arrivals.all.callback={share: 0.33, delay: 30m}"]}


def _wait_for_instrumentation() -> None:
    """Under ``bench_core.py``: say that the imports are done, and wait until counting has begun.

    First the cyclic garbage collector collects and freezes what the imports made, as a worker of
    ``staff``, ``compare`` or ``sensitivity`` runs with its parent's objects frozen
    (:class:`~simulator.experiment.executors.PoolExecutor`): every counted run then starts
    from the same collector state, whatever the imports allocated before it. Without this, when
    the collector's passes fell in the counted run depended on how many objects the imports had
    left to it, which differs from one checkout to another: the same commit's M/M/c core counted
    60,450 instructions an incident in one worktree and 61,850 in another, the difference all in
    the collector's traversals (``callgrind_annotate``), and the KPIs' share moved with it."""
    flag = os.environ.get("MIMSIM_CALLGRIND_FLAG")
    if flag is None:
        return
    gc.collect()
    gc.freeze()
    Path(f"{flag}.ready").touch()
    while not Path(f"{flag}.on").exists():
        time.sleep(0.05)


def _simpy_reference(customers: int) -> None:
    sys.path.insert(0, str(REFERENCES))
    import mmc_simpy  # type: ignore[import-not-found]  # (only for this job)

    _wait_for_instrumentation()
    waits, _, _ = mmc_simpy.run(n=customers)
    print(len(waits))


def main() -> None:
    job, horizon = sys.argv[1], sys.argv[2]
    stage = sys.argv[3] if len(sys.argv) > 3 else "core"
    if job == "simpy":
        _simpy_reference(int(horizon))
        return
    overrides = [f"run.horizon={horizon}", "run.warmup=0m"]
    if job in ("mmc", "baseline"):
        scenario = load_scenario(SCENARIOS / f"{job}.yaml", overrides)
    elif job in WFM:
        scenario = load_scenario(SCENARIOS / "baseline.yaml", overrides + WFM[job])
    else:
        scenario = load_scenario(SCENARIOS / "with-mim.yaml",
                                 overrides + (WEEKLY if job == "with-mim-weekly" else []))
    if stage == "kpis":
        # (imported here: the plain job's imports stay those of older copies of this file)
        from simulator.metrics import KpiContext, encode, replication_kpis
    if stage == "replication":
        from simulator.experiment.replications import run_replication
        _wait_for_instrumentation()
        result = run_replication(scenario, 0, scenario.run.seed)
        print(result.n_events, 0)
        return
    _wait_for_instrumentation()
    simulation = Simulation(scenario, replication=0)
    simulation.run()
    if stage in ("log", "kpis"):
        log = simulation.results()
        if stage == "kpis":
            replication_kpis(log, KpiContext.from_scenario(scenario), encode(log.events, log.start))
    activities = simulation.recorder.rows.activities()
    print(activities.count(ActivityCode.ARRIVED), activities.count(ActivityCode.OUTAGE_STARTED))


if __name__ == "__main__":
    main()
