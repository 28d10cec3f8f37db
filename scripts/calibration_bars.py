#!/usr/bin/env python
"""Measure the two bars of calibration on the UCI 498 log (docs/calibration.md).

1. Random split: calibrate on a random 70 % of the incidents (seed 1), validate on the other 30 %.
   Targets: median resolution time per priority within 25 % (priorities with at least 200
   incidents in the validation part), share resolved within 24 h within 5 points, hourly arrival
   shares within 10 % per working hour (08–17), reassignment shares within 5 points each.
2. Time split: calibrate on March–April 2016 (the log cut as if exported on 1 May), validate on
   May. Target: each distance (Kolmogorov–Smirnov) between the simulation and May at most 1.5 ×
   the distance between April and May themselves.

The same as the commands in docs/calibration.md (``mimsim calibrate … --split random:0.7:1 --refine`` and
``mimsim validate-against …``), in one run. Usage:
``python scripts/calibration_bars.py [ZIP] [-r REPLICATIONS] [--routing history|paths|counted|visible]
[--no-refine] [--split both|random|time] [--json]``. The time split also prints what the training
period itself (March–April, real) scores against May: the distance a scenario that reproduced
its training period exactly would have, since the log drifts more from March to May than from April.
The random split likewise prints, per priority, how far the real training part's own median is from
the validation part's, the bootstrap 95 % interval of the validation median (the sampling noise of
the target itself), and the share of tickets resolved within the real median, real (50 %) and
simulated: where a priority's resolution times have few tickets around their median (two modes), a
fraction of a point in that share is tens of percent of the median.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.calibration.learn import learn
from simulator.calibration.readers import read_log
from simulator.calibration.reallog import RealLog, select_window, split_random
from simulator.calibration.refine import calibrate_refined, scenario_of
from simulator.calibration.validation import _samples, distances, observe_log, validate_against

DEFAULT_ZIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci498_incident_event_log.zip"
WORKING_HOURS = range(8, 18)
COMPARED = ("resolution_h", "resolution_h.P3", "arrival_hour", "arrival_weekday", "reassignments")


def _scenario(log: RealLog, name: str, routing: str, refine: bool) -> Any:
    """Calibrate on ``log`` as ``mimsim calibrate`` does (with ``--refine``: 8 rounds of 2 replications)."""
    learned = learn(log, name=name, routing=routing)
    if refine:
        def show(done: Any) -> None:
            print(f"  {name}: refine round {done.number}, distance {done.distance:.3f}", file=sys.stderr)

        learned = calibrate_refined(log, learned, on_round=show).learned
    return scenario_of(learned)


def random_split(log: RealLog, replications: int, routing: str = "history", refine: bool = True
                 ) -> dict[str, Any]:
    """Bar 1: every target with its real and simulated value and whether it is met."""
    train, test = split_random(log, 0.7, 1, "first"), split_random(log, 0.7, 1, "second")
    result = validate_against(test, _scenario(train, "random 70 %", routing, refine), replications, seed=1)
    values = result.table.set_index("kpi")
    checks = []
    for priority in ("P1", "P2", "P3", "P4"):
        n = int((test.incidents["priority"] == priority).sum())
        row = values.loc[f"resolution_median_h.{priority}"]
        gap = row["mean"] / row["real"] - 1.0
        checks.append((f"median resolution {priority} (n={n})", row["real"], row["mean"],
                       f"{gap:+.0%}", None if n < 200 else abs(gap) <= 0.25))
    row = values.loc["within_24h"]
    checks.append(("resolved within 24 h", row["real"], row["mean"],
                   f"{100 * (row['mean'] - row['real']):+.1f} pt", abs(row["mean"] - row["real"]) <= 0.05))
    for hour in WORKING_HOURS:
        row = values.loc[f"arrivals.{hour:02d}h"]
        gap = row["mean"] / row["real"] - 1.0
        checks.append((f"arrivals {hour:02d}h", row["real"], row["mean"], f"{gap:+.1%}",
                       abs(gap) <= 0.10))
    for count in ("0", "1", "2", "3+"):
        row = values.loc[f"reassigned.{count}"]
        checks.append((f"reassigned {count}", row["real"], row["mean"],
                       f"{100 * (row['mean'] - row['real']):+.1f} pt",
                       abs(row["mean"] - row["real"]) <= 0.05))
    return {"checks": checks, "distances": result.distances,
            "medians": _median_floor(train, test, result.simulated_samples)}


def _median_floor(train: RealLog, test: RealLog, simulated: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Per priority: the validation median, the real training part's (gap), the bootstrap 95 %
    interval of the validation median (2,000 resamples, seed 0), and the share within the
    validation median of the simulated tickets (the real share is 50 % by definition)."""
    real, training = observe_log(test)[1], observe_log(train)[1]
    rng = np.random.default_rng(0)
    rows = []
    for priority in ("P1", "P2", "P3", "P4"):
        hours = real.loc[real["priority"] == priority, "resolution_h"].dropna().to_numpy()
        mine = training.loc[training["priority"] == priority, "resolution_h"].dropna().to_numpy()
        if not len(hours) or not len(mine):
            continue
        median = float(np.median(hours))
        boots = np.median(rng.choice(hours, (2000, len(hours))), axis=1)
        low, high = np.quantile(boots, [0.025, 0.975])
        sim = np.asarray(simulated.get(f"resolution_h.{priority}", np.zeros(0)))
        share = float(np.mean(sim <= median)) if len(sim) else float("nan")
        inside = float(np.mean(np.abs(boots / median - 1) <= 0.25))
        rows.append((priority, len(hours), median, float(np.median(mine)) / median - 1.0,
                     low / median - 1.0, high / median - 1.0, inside, share))
    return rows


def time_split(log: RealLog, replications: int, routing: str = "history", refine: bool = True
               ) -> dict[str, Any]:
    """Bar 2: per distribution, d(simulation, May) against 1.5 × d(April, May)."""
    train = select_window(log, pd.Timestamp("2016-03-01"), pd.Timestamp("2016-05-01"), cut=True)
    may = select_window(log, pd.Timestamp("2016-05-01"), pd.Timestamp("2016-06-01"), cut=False)
    april = select_window(log, pd.Timestamp("2016-04-01"), pd.Timestamp("2016-05-01"), cut=False)
    result = validate_against(may, _scenario(train, "March-April", routing, refine), replications, seed=1)
    priorities = ["P1", "P2", "P3", "P4"]
    may_samples = _samples(observe_log(may)[1], priorities)
    drift = distances(_samples(observe_log(april)[1], priorities), may_samples)
    # what a scenario that reproduced its training period exactly would score: March-April itself
    # (whole histories) against May
    training = select_window(log, pd.Timestamp("2016-03-01"), pd.Timestamp("2016-05-01"), cut=False)
    floor = distances(_samples(observe_log(training)[1], priorities), may_samples)
    checks, floors = [], []
    for name in COMPARED:
        simulated, between = result.distances[name]["ks"], drift[name]["ks"]
        checks.append((name, between, simulated, f"{simulated / between:.2f}×", simulated <= 1.5 * between))
        floors.append((name, between, floor[name]["ks"], f"{floor[name]['ks'] / between:.2f}×",
                       floor[name]["ks"] <= 1.5 * between))
    return {"checks": checks, "floors": floors, "kpis": result.table}


def _print(title: str, checks: list[tuple[Any, ...]], columns: tuple[str, str]) -> None:
    print(f"\n{title}\n{'':<32}{columns[0]:>12}{columns[1]:>12}{'gap':>10}  met")
    for name, real, simulated, gap, met in checks:
        verdict = "n/a (< 200)" if met is None else ("yes" if met else "NO")
        print(f"{name:<32}{real:>12.4g}{simulated:>12.4g}{gap:>10}  {verdict}")


def main(argv: list[str] | None = None) -> int:
    """Measure both bars and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip_path", nargs="?", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("-r", "--replications", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--routing", choices=("history", "paths", "counted", "visible"), default="history",
                        help="calibrate's --routing")
    parser.add_argument("--no-refine", dest="refine", action="store_false",
                        help="the direct fits only (calibrate without --refine)")
    parser.add_argument("--split", choices=("both", "random", "time"), default="both",
                        help="measure one bar only (both: the two)")
    args = parser.parse_args(argv)
    if not args.zip_path.is_file():
        print(f"calibration_bars: data file not found: {args.zip_path}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    log = read_log(args.zip_path, "servicenow")
    first = random_split(log, args.replications, args.routing, args.refine) if args.split != "time" else None
    second = time_split(log, args.replications, args.routing, args.refine) if args.split != "random" else None
    if args.json:
        print(json.dumps({"random_split": first and first["checks"],
                          "random_split_medians": first and first["medians"],
                          "time_split": second and second["checks"],
                          "time_split_training_period": second and second["floors"]}, default=str))
    else:
        if first is not None:
            _print("Random split (70 % calibrate / 30 % validate)", first["checks"], ("real", "simulated"))
            print("\nThe medians' own noise: real training part vs validation, bootstrap of the validation"
                  "\nmedian, and the share of tickets resolved within the validation median")
            for priority, n, median, train_gap, low, high, inside, share in first["medians"]:
                print(f"{priority} (n={n}): median {median:.3g} h; real training part {train_gap:+.0%}; "
                      f"bootstrap 95 % {low:+.0%} … {high:+.0%} ({inside:.0%} of resamples within ±25 %); "
                      f"within it: real 50.0 %, simulated {100 * share:.1f} %")
        if second is not None:
            _print("Time split (Mar-Apr → May), Kolmogorov-Smirnov", second["checks"],
                   ("Apr vs May", "sim vs May"))
            _print("The training period itself (Mar-Apr, real) against May: what reproducing it exactly "
                   "would score", second["floors"], ("Apr vs May", "Mar-Apr/May"))
    print(f"\n{time.perf_counter() - began:.0f} s, {args.replications} replications", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
