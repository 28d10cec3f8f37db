#!/usr/bin/env python
"""Time and peak memory of calibrating the full UCI 498 log: the direct fit, and with ``--refine``.

Runs ``mimsim calibrate`` in a fresh process (interpreter start-up and imports included, as a user
meets it) a few times and prints the median wall time and the peak memory of the whole process tree
(``--refine`` simulates in forked worker processes), sampled every 0.2 s, in MiB (2**20 bytes), each
as a ratio to its target (direct fit: 60 s; with refinement: 5 min; 2 GiB = 2,048 MiB), and the CPU
time (user + system, the refinement's worker processes included), which depends far less on what
else runs. Two peaks: the *resident* memory (``VmRSS``) of every process summed — the figure the
target is checked against; it counts a page a forked worker still shares with its parent once per
process, so it overstates what the tree takes — and the *proportional* set size (``Pss`` of
``/proc/PID/smaps_rollup``: a shared page split between the processes sharing it), the memory the
tree really takes. The machine is shared: say what else ran (``uptime``'s load average is printed).
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
#: Targets of issue 15: seconds without and with refinement, and MiB (2 GiB).
TARGET_S = {False: 60.0, True: 300.0}
TARGET_MIB = 2048.0


def _tree(root: int) -> set[int]:
    """``root`` and every process below it, from /proc."""
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
    return tree


def _tree_memory_mib(root: int) -> tuple[float, float]:
    """Resident and proportional memory (MiB) of ``root``'s process tree, each summed over its processes."""
    rss_kib = pss_kib = 0
    for pid in _tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
        rss_kib += int(fields.get("Rss", "0 kB").split()[0])
        pss_kib += int(fields.get("Pss", "0 kB").split()[0])
    return rss_kib / 1024.0, pss_kib / 1024.0


def one_run(zip_path: Path, out: Path, refine: bool) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (user + system, the worker processes included), and the peak
    resident and proportional MiB (process tree, see the module docstring) of one ``mimsim
    calibrate`` process."""
    command = [sys.executable, "-m", "simulator", "calibrate", str(zip_path), "-o", str(out),
               *(["--refine"] if refine else [])]
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = _tree_memory_mib(process.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench_calibration: {' '.join(command)} failed (exit {process.returncode})")
    # the rusage of a reaped child includes that of its own reaped children (the refinement's workers)
    return time.perf_counter() - began, usage.ru_utime + usage.ru_stime, peak_rss, peak_pss


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
    walls = [run[0] for run in runs]
    cpus = [run[1] for run in runs]
    peak, proportional = max(run[2] for run in runs), max(run[3] for run in runs)
    median = statistics.median(walls)
    what = "mimsim calibrate --refine" if args.refine else "mimsim calibrate"
    print(f"{what} (full UCI log, 141,712 rows): median {median:.1f} s "
          f"(runs: {', '.join(f'{wall:.1f}' for wall in walls)}) = {median / TARGET_S[args.refine]:.2f} × "
          f"the {TARGET_S[args.refine]:.0f} s target; peak memory (process tree, resident summed) "
          f"{peak:.0f} MiB = {peak / TARGET_MIB:.2f} × the 2 GiB target (proportional, shared pages "
          f"split: {proportional:.0f} MiB)")
    print(f"CPU time (user + system, workers included): median {statistics.median(cpus):.1f} s "
          f"(runs: {', '.join(f'{cpu:.1f}' for cpu in cpus)}); on an idle machine one process's wall time is "
          f"about its CPU time, less where the refinement's workers share the {os.cpu_count()} cores")
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} "
          f"(the machine is shared; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
