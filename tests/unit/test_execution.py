"""One Execution for every study: its defaults, its checks, and what its progress report is told."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.experiment import Execution, PrecisionRule, run_experiment
from simulator.experiment.compare import compare_designs
from simulator.experiment.replications import ReplicationResult
from simulator.experiment.staffing import find_staffing
from simulator.experiment.sweep import plan_sweep, run_sweep
from simulator.scenario import load_scenario
from simulator.scenario.targets import parse_target_expression

MMC = Path(__file__).parents[2] / "scenarios" / "mmc.yaml"
TINY = ["run.horizon=3d", "run.warmup=1d", "run.replications=3", "run.seed=17"]


class Report:
    """A progress report that writes down what it was told."""

    def __init__(self) -> None:
        self.expected: list[int] = []
        self.done: list[tuple[str, int]] = []

    def expect(self, replications: int) -> None:
        self.expected.append(replications)

    def finished(self, design: str, result: ReplicationResult) -> None:
        self.done.append((design, result.replication))


def test_by_default_the_scenario_says_how_many_replications_and_which_seed() -> None:
    scenario = load_scenario(MMC, TINY)
    assert Execution().replications_for(scenario) == 3
    assert Execution().seed_for(scenario) == 17
    assert Execution(5, seed=2).replications_for(scenario) == 5
    assert Execution(5, seed=2).seed_for(scenario) == 2
    run = run_experiment(scenario, Execution(workers=1))
    assert run.seed == 17 and sorted(run.kpis["replication"].unique()) == [0, 1, 2]


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"replications": 0}, "expected at least 1 replication; found 0"),
    ({"seed": -1}, "expected a seed of 0 or more; found -1"),
    ({"workers": 0}, "expected at least 1 worker; found 0"),
    ({"events_format": "json"}, "expected an events format among parquet, csv, xes; found 'json'"),
])
def test_a_bad_execution_says_what_was_expected(fields: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Execution(**fields)  # type: ignore[arg-type]


def test_an_output_directory_given_as_text_is_a_path() -> None:
    assert Execution(out_dir="runs/a").out_dir == Path("runs/a")  # type: ignore[arg-type]


def test_studies_that_write_no_run_directory_or_need_a_fixed_count_say_so() -> None:
    scenario = load_scenario(MMC, TINY)
    target = parse_target_expression("mtta_min<=5", ("P1",), ("agents",))
    with pytest.raises(ValueError, match="expected no output directory for a staffing search"):
        find_staffing(scenario, [target], Execution(out_dir=Path("somewhere")))
    rule = PrecisionRule(("mtta_min",))
    with pytest.raises(ValueError, match="expected a whole number of replications for a sweep"):
        run_sweep(plan_sweep(MMC, [], TINY), Path("unused.sqlite"), Execution(rule))


def test_the_progress_report_hears_of_every_replication_once_and_of_as_many_as_were_planned() -> None:
    scenario = load_scenario(MMC, TINY)
    report = Report()
    compare_designs([("ten", scenario), ("eleven", load_scenario(MMC, [*TINY, "teams.agents.agents=11"]))],
                    Execution(2, workers=1, progress=report))
    assert report.expected == [4]
    assert sorted(report.done) == [("eleven", 0), ("eleven", 1), ("ten", 0), ("ten", 1)]


def test_a_precision_rule_plans_its_replications_in_batches_and_reports_each() -> None:
    scenario = load_scenario(MMC, TINY)
    report = Report()
    unreachable = PrecisionRule(("mtta_min",), target=0.001, cap=10)
    run = run_experiment(scenario, Execution(unreachable, workers=1, progress=report))
    # 3 + a look-ahead of 5 first, then one at a time (one worker) up to the cap.
    assert report.expected == [8, 1, 1]
    assert [replication for _, replication in report.done] == list(range(10))
    assert run.decision is not None and not run.decision.converged and run.decision.used == 10


class StoppedMidFile:
    """A pool that finishes one replication, is interrupted by Ctrl-C, and whose other worker
    was writing a file when the pool stopped it: the stop leaves that file's ``.partial``."""

    description = "a pool stopped by Ctrl-C"

    def __init__(self, half_written: list[Path]) -> None:
        self.half_written = half_written  # one per design: its replication 0 finishes first

    def __enter__(self) -> StoppedMidFile:
        return self

    def __exit__(self, *exception: object) -> None:
        for path in self.half_written:  # what a worker killed mid-write leaves behind
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"half a parquet file")

    def map_unordered(self, function, tasks):  # type: ignore[no-untyped-def]
        pending = iter(tasks)
        for _ in self.half_written:
            yield function(next(pending))
        raise KeyboardInterrupt


@pytest.mark.parametrize("study", ["run", "compare"])
def test_an_interrupted_study_finishes_its_directories_only_once_its_workers_have_stopped(
        study: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import simulator.experiment.execution as execution_module

    scenario = load_scenario(MMC, TINY)
    out = tmp_path / "out"
    runs = [out] if study == "run" else [out / "a", out / "b"]
    half_written = [run / "events" / "replication-001.parquet.partial" for run in runs]
    monkeypatch.setattr(execution_module, "make_executor", lambda *_: StoppedMidFile(half_written))
    with pytest.raises(KeyboardInterrupt):
        if study == "run":
            run_experiment(scenario, Execution(workers=2, out_dir=out))
        else:
            more = load_scenario(MMC, [*TINY, "teams.agents.agents=11"])
            compare_designs([("a", scenario), ("b", more)], Execution(workers=2, out_dir=out))
    assert not list(out.glob("**/*.partial"))
    for run in runs:
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["state"] == "interrupted" and manifest["interrupted"] is True
        assert manifest["replications_finished"] == [0]
        assert (run / "events" / "replication-000.parquet").exists()
