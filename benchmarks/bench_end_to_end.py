"""Benchmark: the end-to-end waits of issue 16, item 4, as a user meets them on the command line.

Each case is a ``mimsim`` command (or ``make run``) timed from start to exit in a fresh
process, as the user waits for it, on this machine's cores: wall time, and the CPU time of the
command and its worker processes (which a loaded machine does not inflate much; on 2 idle cores
a well-parallelised command's wall time approaches half of it). The cases:

* ``roi`` — the consultant guide's worked example, an ROI study of 200 input sets over the
  scenarios' price ranges (``-r 10 --max-study-replications 10``, as the guide runs it, on
  ``-j 2``), target 40 s, 140 s before (the single answer the guide showed then);
* ``roi-again`` — the worked example once more with another ``--investment``: prices only
  re-price, so every replication is read back from the replication cache;
* ``roi-until-clear`` — the study under ``-r until-clear``: it starts at the rule's first look
  (5) and adds replications until simulation noise is under 10 % of the spread (at most 10);
* ``roi-single`` — one answer at the prices' base values (``--input-sets 0``), ``-r
  until-clear``: it stops once the net benefit's sign is clear;
* ``sensitivity`` — the consultant guide's sensitivity study (two ranges, ``-r 10``, the
  scenarios' 67 weeks) on 2 workers, target 120 s, 510 s before (then the README's study of
  three ranges, ``-r 3``, 41 weeks, on one worker);
* ``sensitivity-again`` — the same study with a third range: the five variants already run are
  read back, only the new range's two run;
* ``sensitivity-dask`` — the same study on a Dask LocalCluster of 2 workers (``--dask local -j
  2``, the cache off): the scale-out path's overhead against ``sensitivity`` on the process pool;
* ``short-pool`` and ``short-dask`` — the Dask test's shortened study (8 weeks, 2 replications)
  on the pool and on a LocalCluster of 2: the LocalCluster's fixed cost, for less;
* ``staff`` — ``staff scenarios/mmc.yaml`` with the documented target
  (``sla_response_attainment>=0.9``, P3 response 30 min), the scenario's 10 replications of 52
  weeks, target 10 s; ``staff-until-clear`` the same with ``-r until-clear``;
* ``make-run`` — ``make run`` after installation (the baseline's 10 replications), target 15 s.

Every case that may use the cache starts from an empty one (``MIMSIM_CACHE_DIR`` in a temporary
directory), except the ``-again`` cases, which follow their first case in the same cache.
``--before SRC`` also times ``staff`` in the source tree SRC (``PYTHONPATH`` and working
directory) (for instance ``git archive main | tar -x -C /tmp/main``): the figure before this
change, measured in the same run (the ROI and sensitivity figures before are the ones the
documentation stated, 140 s and 510 s: timing them again costs a quarter of an hour). The load
average is printed beside every figure: on a loaded machine the wall times are upper bounds.

Usage: ``python benchmarks/bench_end_to_end.py [--only roi,staff] [--before /tmp/main]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
_ROI = ("roi", "scenarios/without-mim.yaml", "scenarios/with-mim.yaml", "--years", "3",
        "--max-study-replications", "10", "-j", "2")
_SENSITIVITY = ("sensitivity", "scenarios/without-mim.yaml", "scenarios/with-mim.yaml",
                "--range", "major_incident.solo_diagnosis_factor=1:3",
                "--range", "services.customer_portal.failures.every.mean=30d:120d",
                "--years", "3", "-r", "10", "-j", "2")
#: The study of the Dask test (tests/validation/test_executors.py), the cache off.
_SHORT = ("sensitivity", "scenarios/without-mim.yaml", "scenarios/with-mim.yaml",
          "--range", "services.customer_portal.downtime_cost=2300:9000",
          "--range", "major_incident.recognition_delay.median=4m:15m",
          "--investment", "250000", "--years", "3", "-r", "2", "-j", "2", "--set", "run.horizon=8w",
          "--set", "run.warmup=1w", "--set", "services.customer_portal.failures.every.mean=4d",
          "--no-cache")
_STAFF = ("staff", "scenarios/mmc.yaml", "--set", "priorities.P3.response=30m",
          "--target", "sla_response_attainment>=0.9", "-j", "2")


@dataclass(frozen=True)
class Case:
    """One command, its target and earlier figure in seconds (None: none stated)."""

    name: str
    arguments: tuple[str, ...]
    target_s: float | None = None
    stated_before_s: float | None = None
    fresh_cache: bool = True  # False: follows the previous case in the same cache
    before_too: bool = False  # also timed on the --before tree (fixed -r cases only)


CASES = (
    Case("roi", (*_ROI, "-r", "10"), 40, 140),
    Case("roi-again", (*_ROI, "--investment", "150000", "-r", "10"), 40, fresh_cache=False),
    Case("roi-until-clear", (*_ROI, "-r", "until-clear"), 40),
    Case("roi-single", (*_ROI, "--input-sets", "0", "-r", "until-clear"), 40),
    Case("sensitivity", (*_SENSITIVITY, "--plot", "{tmp}/tornado.png"), 120, 510),
    Case("sensitivity-again", (*_SENSITIVITY, "--range", "major_incident.recognition_delay.median=4m:15m",
                               "--plot", "{tmp}/tornado2.png"), 120, fresh_cache=False),
    Case("staff", _STAFF, 10, before_too=True),
    Case("staff-until-clear", (*_STAFF, "-r", "until-clear"), 10),
    Case("make-run", ("make", "run"), 15),  # `run` is the same code before and after
    Case("sensitivity-dask", (*_SENSITIVITY, "--dask", "local", "--no-cache", "--plot",
                              "{tmp}/tornado3.png"), 120),
    Case("short-pool", (*_SHORT, "--plot", "{tmp}/tornado4.png")),
    Case("short-dask", (*_SHORT, "--dask", "local", "--plot", "{tmp}/tornado5.png")),
)


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes, read just after a case."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], environment: dict[str, str], tree: Path = ROOT
           ) -> tuple[float, float, int, str]:
    """Wall time, CPU time of the command and its worker processes, exit code, and its notes."""
    cpu = _cpu()
    began = time.perf_counter()
    finished = subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True,
                              check=False)
    elapsed = time.perf_counter() - began
    cpu = _cpu() - cpu
    said = " ".join(finished.stderr.split())
    notes = said.split("replications: ")[1:] + (
        [said[max(0, said.index("read back") - 20):][:120]] if "read back" in said else [])
    return elapsed, cpu, finished.returncode, " | ".join(note[:160] for note in notes)


def _command(case: Case, tmp: str) -> list[str]:
    arguments = [argument.replace("{tmp}", tmp) for argument in case.arguments]
    if arguments[0] == "make":
        return arguments
    return [sys.executable, "-m", "simulator", *arguments]


def _report(label: str, case: Case, timing: tuple[float, float, int, str], load: str) -> None:
    elapsed, cpu, code, _ = timing
    target = f"target {case.target_s:g} s (ratio {elapsed / case.target_s:.2f})" if case.target_s else ""
    stated = f", stated before {case.stated_before_s:g} s" if case.stated_before_s else ""
    print(f"{label:<24} {elapsed:7.1f} s wall {cpu:7.1f} s CPU  exit {code}  {target}{stated}  "
          f"load {load}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--before", type=Path, default=None,
                        help="a source tree of the code before the change, timed first")
    options = parser.parse_args()
    wanted = set(filter(None, options.only.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache-0"
        for number, case in enumerate(CASES):
            if wanted and case.name not in wanted:
                continue
            if case.fresh_cache:
                cache = Path(tmp) / f"cache-{number}"
            environment = {**os.environ, "MIMSIM_CACHE_DIR": str(cache), "COLUMNS": "120"}
            if options.before is not None and case.before_too:
                before = {**environment, "PYTHONPATH": str(options.before.resolve())}
                # In the tree itself: `python -m` puts the working directory before PYTHONPATH.
                timing = _timed(_command(case, tmp), before, options.before.resolve())
                _report(f"{case.name} (before)", case, timing, _load())
            timing = _timed(_command(case, tmp), environment)
            _report(case.name, case, timing, _load())
            if timing[3]:
                print(f"{'':<24} {timing[3]}", flush=True)


if __name__ == "__main__":
    main()
