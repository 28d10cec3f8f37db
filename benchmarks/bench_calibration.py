#!/usr/bin/env python
"""Time and peak memory of calibrating the full UCI 498 log: the direct fit, and with ``--refine``.

Runs ``mimsim calibrate`` in a fresh process (interpreter start-up and imports included, as a user
meets it) a few times and prints the median wall time and the peak memory — the resident memory of
the whole process tree (``--refine`` simulates in worker processes) summed, sampled every 0.2 s —
each as a ratio to its target (direct fit: 60 s; with refinement: 5 min; 2 GB), and the CPU time
(user + system, the refinement's worker processes included), which depends far less on what else
runs. The machine is shared: say what else ran (``uptime``'s load average is printed).
Usage: ``python benchmarks/bench_calibration.py [ZIP] [--repeats N] [--refine]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci498_incident_event_log.zip"
#: Targets of issue 15: seconds without and with refinement, and megabytes.
TARGET_S = {False: 60.0, True: 300.0}
TARGET_MB = 2048.0


def _tree_rss_mb(root: int) -> float:
    """Resident memory (MB) of ``root`` and every process below it, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid and child not in tree]
        tree.update(children)
        frontier.extend(children)
    total_kb = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        rss = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")]
        total_kb += rss[0] if rss else 0
    return total_kb / 1024.0


def one_run(zip_path: Path, out: Path, refine: bool) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, the worker processes included) and peak resident
    MB (process tree) of one ``mimsim calibrate`` process."""
    command = [sys.executable, "-m", "simulator", "calibrate", str(zip_path), "-o", str(out),
               *(["--refine"] if refine else [])]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss_mb(process.pid))
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench_calibration: {' '.join(command)} failed (exit {process.returncode})")
    # the rusage of a reaped child includes that of its own reaped children (the refinement's workers)
    return time.perf_counter() - began, usage.ru_utime + usage.ru_stime, peak


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip_path", nargs="?", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--refine", action="store_true", help="calibrate --refine (8 rounds, 2 replications)")
    args = parser.parse_args()
    if not args.zip_path.is_file():
        print(f"bench_calibration: data file not found: {args.zip_path}", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        runs = [one_run(args.zip_path, Path(folder) / "uci.yaml", args.refine) for _ in range(args.repeats)]
    walls = [wall for wall, _, _ in runs]
    cpus = [cpu for _, cpu, _ in runs]
    peak = max(peak for _, _, peak in runs)
    median = statistics.median(walls)
    what = "mimsim calibrate --refine" if args.refine else "mimsim calibrate"
    print(f"{what} (full UCI log, 141,712 rows): median {median:.1f} s "
          f"(runs: {', '.join(f'{wall:.1f}' for wall in walls)}) = {median / TARGET_S[args.refine]:.2f} × "
          f"the {TARGET_S[args.refine]:.0f} s target; peak memory {peak:.0f} MB = "
          f"{peak / TARGET_MB:.2f} × the 2 GB target")
    print(f"CPU time (user + system, workers included): median {statistics.median(cpus):.1f} s "
          f"(runs: {', '.join(f'{cpu:.1f}' for cpu in cpus)}); on an idle machine one process's wall time is "
          f"about its CPU time, less where the refinement's workers share the {os.cpu_count()} cores")
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} "
          f"(the machine is shared; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
