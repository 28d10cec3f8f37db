"""Benchmark: a 200-input-set ROI study of the worked example (issue 17, item 6: under 10 minutes).

Runs ``mimsim roi scenarios/without-mim.yaml scenarios/with-mim.yaml --years 3`` as a study —
200 input sets by Latin hypercube over the scenarios' price ranges, common random numbers,
replications added until the simulation's share of the spread is under the target or the cap —
on ``--workers`` workers, and prints the wall time beside the time one replication takes in
this process, the replications the study chose, the split of the spread, and the machine's load average
before and after (other jobs on a shared machine slow it down: read the wall time with the load).

Usage: ``python benchmarks/bench_roi_study.py [--workers 2] [--input-sets 200]
[--replications 10] [--max-replications 200] [--variance-reduction controls|none]
[--uncertain PATH=LOW:MODE:HIGH ...]``
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from simulator.experiment import Execution
from simulator.experiment.replications import run_replication
from simulator.experiment.roi import RoiSettings
from simulator.experiment.roi_study import StudySettings, run_roi_study
from simulator.experiment.uncertainty import parse_uncertain
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--input-sets", type=int, default=200)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--max-replications", type=int, default=200)
    parser.add_argument("--uncertain", action="append", default=[])
    parser.add_argument("--variance-reduction", choices=["controls", "none"], default="controls")
    options = parser.parse_args()
    files = (SCENARIOS / "without-mim.yaml", SCENARIOS / "with-mim.yaml")
    load_before = os.getloadavg()
    began = time.process_time()
    run_replication(load_scenario(files[1]), 0, 1)
    one = time.process_time() - began  # CPU seconds: what a replication costs, whatever the load
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    study = run_roi_study(files, RoiSettings(years=3),
                          StudySettings(input_sets=options.input_sets,
                                        max_replications=options.max_replications,
                                        variance_reduction=options.variance_reduction),
                          Execution(options.replications, workers=options.workers),
                          uncertain=[parse_uncertain(text) for text in options.uncertain])
    wall = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before
    load_after = os.getloadavg()
    net = study.distributions()["net_benefit"]
    runs = len(study.configurations) * 2 * study.replications
    print(f"ROI study: {len(study.per_set)} input sets, {len(study.inputs)} inputs "
          f"({sum(item.spec.kind == 'model' for item in study.inputs)} model), "
          f"{len(study.configurations)} configurations × 2 designs × {study.replications} "
          f"replications = {runs} replications (batches {[count for _, count in study.batches]})")
    print(f"wall time: {wall:.0f} s on {options.workers} workers ({wall / 60:.1f} min); one "
          f"replication in this process: {one:.1f} s of CPU; {runs} × that ÷ {options.workers} "
          f"workers = {runs * one / options.workers:.0f} s")
    print(f"estimator: {options.variance_reduction} ({int(study.per_set['controls'].max())} "
          f"controls); the plain means' share on the same replications: {study.plain_share:.1%}")
    print(f"simulation share of the spread: {study.share:.1%} (target 10 %); net benefit median "
          f"{net.median:,.0f}, 5th–95th {net.p5:,.0f} to {net.p95:,.0f}; P(loss) {study.p_loss:.0%}")
    print(f"CPU time of the study (this process and its workers): {cpu:.0f} s; on an otherwise idle "
          f"machine with {options.workers} cores that is about {cpu / options.workers:.0f} s "
          f"({cpu / options.workers / 60:.1f} min) of wall time")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished (reaped) child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
