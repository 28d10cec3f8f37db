"""Refinement by simulation: it lowers the distance of a deliberately biased fit, repeats exactly
(common random numbers), and writes its history into the scenario."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from simulator.calibration import refine as refine_module
from simulator.calibration.groups import GroupModel
from simulator.calibration.learn import learn
from simulator.calibration.learned import Learned
from simulator.calibration.readers import read_log
from simulator.calibration.reallog import RealLog
from simulator.calibration.refine import _distance, refine
from simulator.calibration.validation import _simulate, _Task
from tests.calibration.test_round_trip import KNOWN
from tests.calibration.uci_like import simulated_events, write_uci_like
from tests.helpers import merge, run_cli

#: The round trip's organisation, at 100 tickets a day for four weeks (enough, and quick).
SMALL = merge(KNOWN, {"run": {"horizon": "4w"}, "arrivals": {"all": {"volume": "100/day"}}})


@pytest.fixture(scope="module")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("refine")
    return write_uci_like(simulated_events(SMALL, "small", 3), "desk", folder / "small.csv")


def _slowed(model: GroupModel, factor: float) -> GroupModel:
    """Every handling time of the group × ``factor``: a direct fit that is wrong on purpose."""
    changes: dict[str, object] = {}
    for name in ("handling", "handling_when_transferred", "handling_after_transfer"):
        fit = getattr(model, name)
        if fit is not None:
            changes[name] = fit.scaled(factor)
        changes[f"{name}_by_priority"] = {p: f.scaled(factor)
                                          for p, f in getattr(model, f"{name}_by_priority").items()}
    return replace(model, **changes)  # type: ignore[arg-type]


def _biased(log: RealLog) -> Learned:
    learned = learn(log, n_groups=4)
    return replace(learned, groups=[_slowed(model, 3.0) for model in learned.groups])


@pytest.mark.slow
def test_refinement_lowers_the_distance_of_a_biased_fit(small_log: Path) -> None:
    log = read_log(small_log, "servicenow")
    refinement = refine(log, _biased(log), rounds=4, replications=1, workers=1)
    distances = [r.distance for r in refinement.rounds]
    kept = refinement.rounds[refinement.kept]
    assert kept.distance < 0.5 * distances[0], distances
    # the factors undo the bias: the usual handling of the busy priority comes back near a third
    assert kept.factors["P3 usual"] == pytest.approx(1 / 3, rel=0.35), kept.factors
    # the kept round's figures carry its factors (on top of the bias: 3 × the factor)
    assert refinement.learned.groups[0].handling_by_priority["P3"].scale == pytest.approx(
        3.0 * kept.factors["P3 usual"])


@pytest.mark.slow
def test_refinement_repeats_exactly(small_log: Path) -> None:
    """The same seeds every round and every run: the same distances, to the last digit."""
    log = read_log(small_log, "servicenow")
    learned = _biased(log)
    first = refine(log, learned, rounds=1, replications=1, workers=1)
    second = refine(log, learned, rounds=1, replications=1, workers=1)
    assert [r.distance for r in first.rounds] == [r.distance for r in second.rounds]
    assert len(first.rounds) == 2  # the direct fit and one round


#: Where the workers of :func:`_simulate_and_note` write their process ids (set before the fork).
_NOTES: list[Path] = []


def _simulate_and_note(task: _Task) -> tuple[int, dict[str, float], pd.DataFrame]:
    """:func:`_simulate`, noting which process ran it (module level: the pool pickles it by name)."""
    with _NOTES[0].open("a") as notes:
        notes.write(f"{os.getpid()}\n")
    return _simulate(task)


@pytest.mark.slow
def test_every_round_simulates_in_fresh_workers_with_the_same_result(
        small_log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers kept from round to round held on to what their simulations left behind (the UCI
    refinement's memory grew by ~0.1 GiB a round): each round forks its own. Two workers give
    the rounds one worker gives, to the last digit."""
    log = read_log(small_log, "servicenow")
    learned = _biased(log)
    _NOTES[:] = [tmp_path / "pids.txt"]
    monkeypatch.setattr(refine_module, "_simulate", _simulate_and_note)
    pooled = refine(log, learned, rounds=2, replications=2, workers=2)
    pids = (tmp_path / "pids.txt").read_text().split()
    rounds = [set(pids[i:i + 2]) for i in range(0, len(pids), 2)]  # rounds run one after another
    assert len(rounds) == len(pooled.rounds) == 3
    assert all(not (one & other) for i, one in enumerate(rounds) for other in rounds[i + 1:]), pids
    serial = refine(log, learned, rounds=2, replications=2, workers=1)
    assert [(r.distance, r.factors) for r in pooled.rounds] == [(r.distance, r.factors)
                                                                 for r in serial.rounds]


@pytest.mark.slow
def test_calibrate_refine_writes_the_history_into_the_scenario(small_log: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out, report = tmp_path / "refined.yaml", tmp_path / "refined.json"
    code, _, err = run_cli(["calibrate", str(small_log), "-o", str(out), "--groups", "4", "--refine",
                            "--rounds", "2", "--refine-replications", "1", "-j", "1",
                            "--report", str(report)], capsys)
    assert code == 0, err
    text = out.read_text()
    assert "refined by simulation (calibrate --refine): distance to the log by round" in text
    assert "by simulation (--refine)" in text  # a scaled fit says so in its comment
    rounds = json.loads(report.read_text())["refinement"]["rounds"]
    assert [r["round"] for r in rounds] == list(range(len(rounds))) and 2 <= len(rounds) <= 3
    assert "refine round 0: distance" in err  # the progress, as lines when stderr is not a terminal


def test_the_distance_compares_each_kind_of_ticket_apart() -> None:
    """Fast tickets never handed on and slow ones handed on, against the same times the other way
    round: the priority's times alike (KS 0), each kind as far apart as can be (KS 1)."""
    def cohort(fast_moves: int, slow_moves: int) -> pd.DataFrame:
        return pd.DataFrame({"priority": ["P3"] * 120, "capped_h": [1.0] * 60 + [10.0] * 60,
                             "reassignments": [fast_moves] * 60 + [slow_moves] * 60})

    parts = _distance(cohort(0, 1), cohort(1, 0), ["P3"])
    assert parts == {"P3": 0.0, "P3 not handed on": 1.0, "P3 handed on": 1.0, "hand-offs": 0.0}
