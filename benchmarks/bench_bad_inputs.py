"""Benchmark: time and peak memory of ``mimsim`` refusing each bad input (issue 13, items 1 and 5).

Every case of ``tests/bad_inputs.py`` (alias bomb, deep nesting, a 5,000-digit number,
a 50 MB file, ``/dev/zero``, a FIFO, broken ``extends:`` chains, logs that are not what
they claim...) is made in a temporary directory and run as a user runs it: the
installed ``mimsim`` in a fresh process. For each, the exit code, the wall time, the
CPU time (user + system) and the peak resident memory of that process, next to the
budget of 2 s and 200 MB; and, for reference, the same figures for validating the
shipped baseline. On a shared machine the wall time depends on the load (printed
first); the CPU time does not.

Usage: ``python benchmarks/bench_bad_inputs.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.bad_inputs import ALL, BASELINE

MIMSIM = str(Path(sys.executable).parent / "mimsim")
BUDGET_S, BUDGET_MB = 2.0, 200.0
_OTHER = str(BASELINE)
COMMANDS = [["validate", "/dev/zero"], ["run", "/dev/zero"], ["warmup", "/dev/zero"],
            ["diagram", "/dev/zero"], ["tabletop", "/dev/zero"], ["roi", "/dev/zero", _OTHER],
            ["compare", "/dev/zero", _OTHER], ["sweep", "/dev/zero", "--grid", "run.seed=1,2"],
            ["staff", "/dev/zero"], ["sensitivity", "/dev/zero", "--range", "run.seed=1:2"]]


def _measure(arguments: list[str]) -> tuple[int, float, float, float]:
    """Exit code, wall seconds, CPU seconds and peak resident MB of one ``mimsim`` process."""
    began = time.perf_counter()
    process = subprocess.Popen([MIMSIM, *arguments], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'case':<48} {'exit':>4} {'wall s':>7} {'cpu s':>6} {'peak MB':>8}")
    rows = [("(reference) validate scenarios/baseline.yaml", ["validate", str(BASELINE)])]
    with tempfile.TemporaryDirectory() as scratch:
        for index, case in enumerate(ALL):
            directory = Path(scratch) / str(index)
            directory.mkdir()
            rows.append((case.name, case.make(directory)))
        worst_cpu = worst_mb = 0.0
        for name, arguments in rows:
            code, wall, cpu, peak = _measure(arguments)
            flag = "" if cpu <= BUDGET_S and peak <= BUDGET_MB else "  over budget"
            print(f"{name:<48} {code:>4} {wall:>7.2f} {cpu:>6.2f} {peak:>8.1f}{flag}")
            if not name.startswith("(reference)"):
                worst_cpu, worst_mb = max(worst_cpu, cpu), max(worst_mb, peak)
    print(f"worst case: {worst_cpu:.2f} s CPU, {worst_mb:.1f} MB (budget {BUDGET_S:g} s, "
          f"{BUDGET_MB:g} MB)")
    print("\nthe same refusal (/dev/zero as the scenario) by each command that reads a scenario:")
    for arguments in COMMANDS:
        code, wall, cpu, peak = _measure(arguments)
        flag = "" if cpu <= BUDGET_S and peak <= BUDGET_MB else "  over budget"
        shown = ' '.join(arguments).replace(_OTHER, 'scenarios/baseline.yaml')
        print(f"{shown:<48} {code:>4} {wall:>7.2f} {cpu:>6.2f} {peak:>8.1f}{flag}")


if __name__ == "__main__":
    main()
