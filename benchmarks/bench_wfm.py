"""Benchmark: what abandonment and breaks add to the baseline's cost per incident (issue 18, item 6:
at most 15 %), counted in instructions under callgrind, which a loaded machine does not change.

For each job of ``benchmarks/callgrind_job.py`` — ``baseline``, ``baseline-patient`` (the desk
as a phone line with breaks, callers patient beyond the run: the machinery on, nobody abandons)
and ``baseline-abandon`` (callers wait 10 minutes on average, a third of those who hang up call
back) — it runs one replication at two horizons and divides the difference in instructions by
the difference in incidents arrived (callbacks included), so that imports and loading cancel
out. It prints each job's instructions per incident and its ratio to the baseline's.

The six runs go side by side (``--parallel``, default the number of cores): callgrind counts
instructions, not time, so running them together changes no figure, only the wall time.

Usage: ``python benchmarks/bench_wfm.py [--short 2w] [--long 6w] [--parallel N]`` (needs valgrind).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).parent
JOBS = ("baseline", "baseline-patient", "baseline-abandon")


def _count(job: str, horizon: str, folder: Path) -> tuple[int, int]:
    """(instructions, incidents arrived) of one run of the job under callgrind."""
    out = folder / f"{job}-{horizon}.out"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
         str(HERE / "callgrind_job.py"), job, horizon],
        env=os.environ | {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True, text=True, check=True)
    incidents = int(done.stdout.split()[0])
    totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
    assert totals is not None, f"no totals in {out}"
    return int(totals.group(1)), incidents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", default="2w")
    parser.add_argument("--long", default="6w")
    parser.add_argument("--parallel", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found: this benchmark counts instructions under callgrind")
    per_incident = {}
    runs = [(job, horizon) for job in JOBS for horizon in (options.short, options.long)]
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(options.parallel) as pool:
        counts = dict(zip(runs, pool.map(lambda run: _count(run[0], run[1], Path(folder)), runs),
                          strict=True))
    for job in JOBS:
        short, long = counts[job, options.short], counts[job, options.long]
        per_incident[job] = (long[0] - short[0]) / (long[1] - short[1])
        print(f"{job:18s} {per_incident[job]:>14,.0f} instructions per incident "
              f"({long[1] - short[1]:,} incidents between {options.short} and {options.long})")
    base = per_incident["baseline"]
    for job in JOBS[1:]:
        print(f"{job} / baseline: {per_incident[job] / base:.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
