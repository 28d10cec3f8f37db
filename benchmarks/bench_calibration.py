#!/usr/bin/env python
"""Time and peak memory of reading and calibrating the full UCI 498 log (the direct fit).

Runs ``mimsim calibrate`` in a fresh process (interpreter start-up and imports included, as a user
meets it) a few times and prints the median wall time and the largest peak resident memory.
Usage: ``python benchmarks/bench_calibration.py [ZIP] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci498_incident_event_log.zip"


def one_run(zip_path: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one ``mimsim calibrate`` process."""
    command = [sys.executable, "-m", "simulator", "calibrate", str(zip_path), "-o", str(out)]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # largest child so far
    return wall, peak_mb


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip_path", nargs="?", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not args.zip_path.is_file():
        print(f"bench_calibration: data file not found: {args.zip_path}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        runs = [one_run(args.zip_path, Path(folder) / "uci.yaml") for _ in range(args.repeats)]
    walls = [wall for wall, _ in runs]
    print(f"mimsim calibrate (full UCI log, 141,712 rows): "
          f"median {statistics.median(walls):.1f} s "
          f"(runs: {', '.join(f'{wall:.1f}' for wall in walls)}), "
          f"peak memory {max(peak for _, peak in runs):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
