"""Benchmark: the core's cost per incident against the minimal SimPy M/M/c, and what the event-log
table and the KPIs add to it (issue 16, item 1), counted in instructions under callgrind, which a
loaded machine does not change.

Each job of ``benchmarks/callgrind_job.py`` runs at two sizes under ``valgrind --tool=callgrind
--instr-atstart=no``; the job imports and loads everything uncounted, then this script turns
the instrumentation on (``callgrind_control -i on``), so that only building and running the
model (and, for the ``log`` and ``kpis`` stages, the table and the KPIs) is counted. The
difference between the two sizes over the difference of their incidents is the cost per
incident, whatever is done once per run. The jobs:

* ``simpy``: ``../shared/bench/mmc_simpy.py``, the yardstick (5,000 and 15,000 customers);
* ``mmc``: ``scenarios/mmc.yaml`` (4 and 12 weeks), alone, with the event-log table
  (``Simulation.results()``), and with the table and the KPIs as ``mimsim_job.py`` times them;
* ``baseline``: ``scenarios/baseline.yaml`` (4 and 12 weeks, no warm-up);
* ``mmc replication``: the whole of ``run_replication`` on ``mmc.yaml`` without a run directory
  (what a worker of ``staff``, ``compare``, ``sensitivity`` and ``roi`` does: KPIs straight from
  the recorder's codes, no event-log table), per incident of the same runs as ``mmc``.

It prints each one's instructions per incident and the ratios of issue 16: baseline ÷ SimPy
(target ≤ 1.2), M/M/c ÷ SimPy (target ≤ 0.5), and the table's and the KPIs' share of the M/M/c
core (targets ≤ 10 % and ≤ 20 %). The runs go side by side (``--parallel``).

Usage: ``python benchmarks/bench_core.py [--parallel N]`` (needs valgrind).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).parent
REFERENCE = HERE.parents[1] / "shared" / "bench" / "mmc_simpy.py"
#: (label, job, stage, smaller size, larger size)
RUNS = (("simpy", "simpy", "core", "5000", "15000"),
        ("mmc", "mmc", "core", "4w", "12w"),
        ("mmc + table", "mmc", "log", "4w", "12w"),
        ("mmc + table + KPIs", "mmc", "kpis", "4w", "12w"),
        ("baseline", "baseline", "core", "4w", "12w"),
        ("mmc replication", "mmc", "replication", "4w", "12w"))


def _count(job: str, stage: str, size: str, folder: Path) -> tuple[int, int]:
    """(instructions, incidents) of the model part of one run of the job under callgrind."""
    name = folder / f"{job}-{stage}-{size}"
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={name}.out",
         sys.executable, str(HERE / "callgrind_job.py"), job, size, stage],
        env=os.environ | {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
                          "MIMSIM_CALLGRIND_FLAG": str(name)},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    while not Path(f"{name}.ready").exists():
        if process.poll() is not None:
            sys.exit(f"{job} {size} {stage} ended before it was ready (exit {process.returncode})")
        time.sleep(0.2)
    subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True,
                   capture_output=True)
    Path(f"{name}.on").touch()
    output, _ = process.communicate()
    if process.returncode != 0:
        sys.exit(f"{job} {size} {stage} failed (exit {process.returncode})")
    totals = re.search(r"^totals:\s+(\d+)", Path(f"{name}.out").read_text(), re.MULTILINE)
    assert totals is not None, f"no totals in {name}.out"
    return int(totals.group(1)), int(output.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parallel", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: this benchmark counts instructions under callgrind")
    if not REFERENCE.is_file():
        sys.exit(f"reference SimPy model not found at {REFERENCE}")
    runs = [(job, stage, size) for _, job, stage, *sizes in RUNS for size in sizes]
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(options.parallel) as pool:
        counts = dict(zip(runs, pool.map(lambda run: _count(run[0], run[1], run[2], Path(folder)), runs),
                          strict=True))
    cost = {}
    for label, job, stage, small, large in RUNS:
        (few, n_few), (many, n_many) = counts[job, stage, small], counts[job, stage, large]
        if stage == "replication":  # (its job prints events, not incidents: the same runs as the core's)
            n_few, n_many = counts[job, "core", small][1], counts[job, "core", large][1]
        cost[label] = (many - few) / (n_many - n_few)
        print(f"{label:20s} {cost[label]:>10,.0f} instructions per incident")
    core = cost["mmc"]
    print(f"\nbaseline ÷ SimPy M/M/c: {cost['baseline'] / cost['simpy']:.3f}  (target <= 1.2)")
    print(f"mimsim M/M/c ÷ SimPy:   {core / cost['simpy']:.3f}  (target <= 0.5)")
    print(f"event-log table:        {(cost['mmc + table'] - core) / core:+.1%} of the M/M/c core"
          "  (target <= 10 %)")
    print(f"KPIs:                   {(cost['mmc + table + KPIs'] - cost['mmc + table']) / core:+.1%}"
          " of the M/M/c core  (target <= 20 %)")
    print(f"whole replication:      {(cost['mmc replication'] - core) / core:+.1%} of the M/M/c core"
          " after it (run_replication without a run directory: KPIs from the recorder's codes,"
          " no table)")


if __name__ == "__main__":
    main()
