"""The replication cache (issue 16 item 3): what its key holds, that what it gives back is what
was computed, where it lives, its size bound, and that a cache it cannot use never stops a study.

Real processes — Ctrl-C while it writes, two commands at once — are in
``tests/test_cache_processes.py``.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment import Execution
from simulator.experiment.cache import (
    CACHE_DIR_ENV,
    CACHE_FILE,
    CACHE_SIZE_ENV,
    ReplicationCache,
    code_fingerprint,
    default_cache_dir,
    design_key,
    fingerprint,
    replication_key,
)
from simulator.experiment.campaign import Campaign, Design
from simulator.experiment.compare import compare_designs
from simulator.experiment.roi import RoiSettings
from simulator.experiment.roi_study import RoiStudy, StudySettings, run_roi_study
from simulator.experiment.staffing import find_staffing
from simulator.experiment.sweep import plan_sweep, run_sweep
from simulator.scenario import load_scenario
from simulator.scenario.targets import parse_target_expression
from tests.helpers import run_cli

ROOT = Path(__file__).parents[2]
MMC = ROOT / "scenarios" / "mmc.yaml"
SHORT = ["run.horizon=3d", "run.warmup=1d", "run.seed=17"]
ELEVEN = [*SHORT, "teams.agents.agents=11"]


def _designs() -> list[tuple[str, object]]:
    return [("ten", load_scenario(MMC, SHORT)), ("eleven", load_scenario(MMC, ELEVEN))]


def test_a_comparison_run_again_is_read_back_whole_and_identical(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path)
    computed = compare_designs(_designs(), Execution(3, workers=1, cache=cache))  # type: ignore[arg-type]
    assert computed.reused == 0
    again = compare_designs(_designs(), Execution(3, workers=1, cache=cache))  # type: ignore[arg-type]
    assert again.reused == 6  # 2 designs × 3 replications, none simulated
    plain = compare_designs(_designs(), Execution(3, workers=1))  # type: ignore[arg-type]
    for result in (computed, again):
        pd.testing.assert_frame_equal(result.kpis, plain.kpis, check_exact=True)
        pd.testing.assert_frame_equal(result.differences, plain.differences, check_exact=True)
        assert result.document() == plain.document()


def test_every_part_of_a_replication_comes_back_as_it_was_computed(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path)
    scenario = load_scenario(MMC, SHORT)
    runs = []
    for _ in range(2):
        with Execution(2, workers=1, cache=cache).started() as running:
            campaign = Campaign([Design("mmc", scenario)], running)
            campaign.run(range(2))
            runs.append(campaign)
    assert (runs[0].computed, runs[0].reused, runs[1].computed, runs[1].reused) == (2, 0, 0, 2)
    for replication in range(2):
        first, second = runs[0].results[(0, replication)], runs[1].results[(0, replication)]
        pd.testing.assert_frame_equal(first.kpis, second.kpis, check_exact=True)
        pd.testing.assert_frame_equal(first.backlog, second.backlog, check_exact=True)
        assert (first.n_events, first.wall_s) == (second.n_events, second.wall_s)


def test_the_key_holds_what_changes_the_numbers_and_nothing_else() -> None:
    base = load_scenario(MMC, SHORT)
    renamed = load_scenario(MMC, [*SHORT, "name=another", "run.replications=30"])
    assert design_key(base, 17) == design_key(renamed, 17)  # name and count change no number
    assert design_key(base, 17) != design_key(base, 18)
    assert design_key(base, 17) != design_key(load_scenario(MMC, ELEVEN), 17)
    assert replication_key(design_key(base, 17), 0) != replication_key(design_key(base, 17), 1)


def test_the_code_fingerprint_changes_with_the_version_and_the_model_source(tmp_path: Path) -> None:
    package = tmp_path / "simulator"
    source = ROOT / "simulator"
    for part in ("scenario", "model", "eventlog", "metrics"):
        shutil.copytree(source / part, package / part)
    (package / "experiment").mkdir()
    shutil.copy(source / "experiment" / "replications.py", package / "experiment")
    versions: dict[str, object] = {"mimsim": "0.1.0", "numpy": "2.0"}
    first = fingerprint(package, versions)
    assert fingerprint(package, versions) == first
    assert fingerprint(package, {**versions, "mimsim": "0.2.0"}) != first
    assert fingerprint(package, {**versions, "numpy": "2.1"}) != first
    queue = package / "model" / "simulation.py"
    queue.write_text(queue.read_text() + "\n# an edit\n")
    assert fingerprint(package, versions) != first
    assert len(code_fingerprint()) == 64


def test_the_cache_lives_in_the_users_cache_directory(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "mimsim"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid by the specification
    assert default_cache_dir() == Path.home() / ".cache" / "mimsim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "mimsim"
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    assert ReplicationCache().path == tmp_path / "mine" / CACHE_FILE


def _keys(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return sorted(replication for (replication,) in
                      db.execute("SELECT replication FROM cached_replications"))


def test_past_its_bound_the_least_recently_used_replications_go(tmp_path: Path) -> None:
    scenario = load_scenario(MMC, SHORT)
    with Execution(6, workers=1).started() as running:
        campaign = Campaign([Design("mmc", scenario)], running)
        campaign.run(range(6))
    results = [campaign.results[(0, replication)] for replication in range(6)]
    design = design_key(scenario, 17)
    probe = ReplicationCache(tmp_path / "probe")
    for result in results:
        probe.put(replication_key(design, result.replication), design, result)
    with sqlite3.connect(probe.path) as db:
        sizes = dict(db.execute("SELECT replication, size FROM cached_replications"))
    # A bound that five replications pass, and that four — all but replication 1 — fit in at 90 %.
    bound = int(sum(sizes[replication] for replication in (0, 2, 3, 4)) / 0.9) + 1
    assert sum(sizes[replication] for replication in range(5)) > bound
    cache = ReplicationCache(tmp_path / "small", max_bytes=bound)
    for result in results[:4]:
        cache.put(replication_key(design, result.replication), design, result)
    assert _keys(cache.path) == [0, 1, 2, 3]
    assert cache.get(replication_key(design, 0)) is not None  # 0 is now the most recently used
    cache.put(replication_key(design, 4), design, results[4])  # over the bound: down to 90 %
    assert _keys(cache.path) == [0, 2, 3, 4]  # 1 was the least recently used
    assert cache.size()[1] <= 0.9 * cache.max_bytes


def test_the_bound_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_SIZE_ENV, "2.5")
    assert ReplicationCache(tmp_path).max_bytes == int(2.5 * 1024 * 1024)
    monkeypatch.setenv(CACHE_SIZE_ENV, "lots")  # unreadable: the default
    assert ReplicationCache(tmp_path).max_bytes == 1024 * 1024 * 1024


@pytest.mark.parametrize("content", [b"not a database at all\n" * 50,
                                     b"SQLite format 3\x00" + b"\xff" * 5000],
                         ids=["text", "damaged"])
def test_a_cache_it_cannot_read_is_reported_once_left_as_it_is_and_the_study_goes_on(
        tmp_path: Path, content: bytes) -> None:
    (tmp_path / CACHE_FILE).write_bytes(content)
    problems: list[str] = []
    cache = ReplicationCache(tmp_path, notify=problems.append)
    result = compare_designs(_designs(), Execution(2, workers=1, cache=cache))  # type: ignore[arg-type]
    assert result.kpis["replication"].nunique() == 2 and result.reused == 0
    assert len(problems) == 1 and str(tmp_path / CACHE_FILE) in problems[0]
    assert "going on without it" in problems[0]
    assert (tmp_path / CACHE_FILE).read_bytes() == content


def test_another_programs_database_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / CACHE_FILE)) as db, db:
        db.execute("CREATE TABLE invoices (number INTEGER)")
        db.execute("INSERT INTO invoices VALUES (7)")
    before = (tmp_path / CACHE_FILE).read_bytes()
    problems: list[str] = []
    cache = ReplicationCache(tmp_path, notify=problems.append)
    compare_designs(_designs(), Execution(1, workers=1, cache=cache))  # type: ignore[arg-type]
    assert len(problems) == 1 and "not a mimsim replication cache" in problems[0]
    assert (tmp_path / CACHE_FILE).read_bytes() == before


def test_a_first_open_stopped_before_the_table_was_made_is_finished_next_time(tmp_path: Path) -> None:
    # What a Ctrl-C between the first open's pragmas and its table leaves: an SQLite file, WAL
    # journal, no table. The next process makes the table and uses the cache.
    with closing(sqlite3.connect(tmp_path / CACHE_FILE)) as db:
        db.execute("PRAGMA journal_mode = WAL")
    assert (tmp_path / CACHE_FILE).stat().st_size > 0
    problems: list[str] = []
    cache = ReplicationCache(tmp_path, notify=problems.append)
    computed = compare_designs(_designs(), Execution(2, workers=1, cache=cache))  # type: ignore[arg-type]
    again = compare_designs(_designs(), Execution(2, workers=1, cache=cache))  # type: ignore[arg-type]
    assert problems == [] and (computed.reused, again.reused) == (0, 4)
    assert cache.size()[0] == 4


def test_a_design_that_writes_a_run_directory_is_run_and_kept(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path / "cache")
    written = compare_designs(_designs(), Execution(2, workers=1, cache=cache,  # type: ignore[arg-type]
                                                    out_dir=tmp_path / "out"))
    assert written.reused == 0 and len(list((tmp_path / "out").glob("*/events/*"))) == 4
    again = compare_designs(_designs(), Execution(2, workers=1, cache=cache,  # type: ignore[arg-type]
                                                  out_dir=tmp_path / "again"))
    assert again.reused == 0 and len(list((tmp_path / "again").glob("*/events/*"))) == 4
    read = compare_designs(_designs(), Execution(2, workers=1, cache=cache))  # type: ignore[arg-type]
    assert read.reused == 4 and read.document() == written.document()


def test_a_sweep_and_a_staffing_search_read_what_a_comparison_ran(tmp_path: Path) -> None:
    cache = ReplicationCache(tmp_path / "cache")
    compare_designs(_designs(), Execution(2, workers=1, cache=cache))  # type: ignore[arg-type]
    designs = plan_sweep(MMC, [], ELEVEN)
    outcome = run_sweep(designs, tmp_path / "sweep.sqlite", Execution(3, workers=1, cache=cache))
    assert (outcome.computed, outcome.reused) == (3, 2)  # replications 0 and 1 came from compare
    plain = run_sweep(designs, tmp_path / "plain.sqlite", Execution(3, workers=1))
    assert outcome.results().drop(columns="design_key").equals(
        plain.results().drop(columns="design_key"))
    scenario = load_scenario(MMC, SHORT)
    target = parse_target_expression("mtta_min<=30", tuple(scenario.priorities), ("agents",))
    first = find_staffing(scenario, [target], Execution(2, workers=1, cache=cache), max_designs=4)
    second = find_staffing(scenario, [target], Execution(2, workers=1, cache=cache), max_designs=4)
    # The search (first cut 10 agents, +1, then -1) simulates 10 and 11: the designs compare ran.
    assert [evaluation.roster for _, evaluation in first.history] == [(10,), (11,), (10,)]
    assert first.reused == second.reused == 2 * first.evaluated == 4
    assert [evaluation.checks for _, evaluation in first.history] == \
        [evaluation.checks for _, evaluation in second.history]


def test_the_commands_say_what_they_read_back_and_no_cache_reads_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["compare", str(MMC), "--vary", "teams.agents.agents=11", "-r", "2", "-j", "1",
                 *[item for change in SHORT for item in ("--set", change)], "--format", "json"]
    code, first, err = run_cli(arguments, capsys)
    assert code == 0 and "read back from the cache" not in err
    code, again, err = run_cli(arguments, capsys)
    assert code == 0 and again == first
    assert "4 replications read back from the cache" in err and "--no-cache" in err
    code, fresh, err = run_cli([*arguments, "--no-cache"], capsys)
    assert code == 0 and fresh == first and "read back" not in err


@pytest.mark.slow  # a whole study (5-30 s): out of the fast subset; make test runs it
def test_an_roi_studys_batches_are_read_back_with_other_prices_and_the_same_answer(
        tmp_path: Path) -> None:
    # The ROI study (issue 17) runs its replications in seeded batches through compare_designs;
    # a study run again — here with another one-off investment, which only re-prices — reads
    # every batch back and gives the numbers a study without the cache gives.
    files = (ROOT / "scenarios" / "without-mim.yaml", ROOT / "scenarios" / "with-mim.yaml")
    study = StudySettings(input_sets=10, max_replications=4)
    overrides = ("run.horizon=5w", "run.warmup=1w")

    def run(investment: float, cache: ReplicationCache | None) -> RoiStudy:
        return run_roi_study(files, RoiSettings(years=3, investment=investment), study,
                             Execution(2, workers=1, cache=cache), overrides=overrides)

    cache = ReplicationCache(tmp_path)
    first, again, plain = run(0.0, cache), run(50_000.0, cache), run(50_000.0, None)
    assert first.reused == 0 and plain.reused == 0
    assert again.reused == 2 * again.replications > 0
    assert again.batches == plain.batches
    pd.testing.assert_frame_equal(again.per_set, plain.per_set, check_exact=True)
