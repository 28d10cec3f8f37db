"""Stopping a run (issue 13 item 4, issue 20 item 6), and a place without permission (issue 13 item 2).

Real ``mimsim`` processes, stopped as users and systems stop them:

* Ctrl-C (SIGINT) and ``kill`` (SIGTERM): the command stops its workers, keeps every finished
  replication (run directory or sweep store), says so, and exits 130 or 143;
* ``kill -9`` of the parent alone: its pool workers die with it — no file changes after it, no
  ``BrokenPipeError`` traceback — and the same command run again into the same directory or
  store gives exactly the results of a run never interrupted;
* an output directory this user may not write in: one line, exit 2, nothing written. CI runs as
  root, whom file permissions do not stop; as root the command runs without the capabilities
  that let root ignore them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment.store import load_sweep
from simulator.reporting.appendix import appendix_html
from tests.helpers import interruptible

#: Real processes, signalled mid-run: subprocess tests, out of the fast subset.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MMC = ROOT / "scenarios" / "mmc.yaml"
#: Replications of about a second each, so that a signal lands while workers are busy.
RUN = ["run", str(BASELINE), "-r", "12", "-j", "2", "--seed", "3", "--set", "run.horizon=6w",
       "--set", "run.warmup=1w"]
SWEEP = ["sweep", str(MMC), "--grid", "teams.agents.agents=10,11,12", "-r", "6", "-j", "2",
         "--set", "run.horizon=6w", "--set", "run.warmup=1w"]


def start(arguments: list[str]) -> subprocess.Popen[str]:
    return interruptible([sys.executable, "-m", "simulator", *arguments], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition: object, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting for the run to get going"
        time.sleep(0.05)


def kpi_rows(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def stored(path: Path) -> int:
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM replications").fetchone()[0])
    except sqlite3.Error:
        return 0


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (its pool workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Running (a zombie no reaper has collected yet counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def snapshot(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
            + f" {path.stat().st_mtime_ns}" for path in sorted(root.rglob("*")) if path.is_file()}


def finished_run(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulator", *RUN, "--out", str(out)], cwd=ROOT,
                          text=True, capture_output=True, check=True)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run of RUN never interrupted: what every re-run must give exactly."""
    out = tmp_path_factory.mktemp("clean") / "run"
    finished_run(out)
    return out


@pytest.mark.parametrize(("signal_number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["Ctrl-C", "kill"])
def test_a_stopped_run_keeps_what_finished_and_says_so(tmp_path: Path, signal_number: int,
                                                       code: int) -> None:
    out = tmp_path / "run"
    process = start([*RUN, "--out", str(out)])
    wait_for(lambda: kpi_rows(out / "kpis.csv") > 200)  # a few replications in
    os.kill(process.pid, signal_number)
    sent = time.monotonic()
    _, err = process.communicate(timeout=60)
    print(f"stopped {time.monotonic() - sent:.2f} s after the signal")
    assert process.returncode == code, err
    assert "Traceback" not in err and "interrupted: finished replications are kept" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["state"] == "interrupted" and manifest["interrupted"] is True
    rows = pd.read_csv(out / "kpis.csv")
    assert sorted(rows["replication"].unique()) == manifest["replications_finished"]
    assert not list(out.glob("**/*.partial"))


def test_a_stopped_sweep_keeps_every_finished_replication(tmp_path: Path) -> None:
    store = tmp_path / "sweep.sqlite"
    process = start([*SWEEP, "--store", str(store)])
    wait_for(lambda: stored(store) >= 2)
    os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "keeps every finished replication" in err
    kept = stored(store)
    assert 2 <= kept < 18
    rows = load_sweep(store).groupby(["design", "replication"]).size()
    assert len(rows) == kept and rows.nunique() == 1  # each replication whole, none in part


def kill_parent(process: subprocess.Popen[str], enough: object) -> tuple[str, list[int]]:
    """``kill -9`` the command alone once ``enough()``; its stderr and its workers' pids."""
    wait_for(enough)
    workers = children(process.pid)
    assert len(workers) >= 2, workers  # a pool of two (and the resource tracker)
    os.kill(process.pid, signal.SIGKILL)
    _, err = process.communicate(timeout=60)  # the end of stderr: every worker let go of it
    wait_for(lambda: not any(alive(pid) for pid in workers), 10)
    return err, workers


def test_killing_the_parent_of_run_stops_its_workers_and_a_rerun_is_exact(
        tmp_path: Path, clean_run: Path) -> None:
    out = tmp_path / "run"
    process = start([*RUN, "--out", str(out)])
    err, _ = kill_parent(process, lambda: kpi_rows(out / "kpis.csv") > 200)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    after_death = snapshot(out)
    time.sleep(3)  # a worker left running would finish its replication and write it now
    assert snapshot(out) == after_death
    assert json.loads((out / "manifest.json").read_text())["state"] == "running"  # not finished
    finished_run(out)  # the same command again, into the same directory
    order = ["replication", "scope", "key", "kpi"]  # rows are written as replications finish
    rerun, clean = (pd.read_csv(run / "kpis.csv").sort_values(order, ignore_index=True)
                    for run in (out, clean_run))
    pd.testing.assert_frame_equal(rerun, clean)
    assert json.loads((out / "summary.json").read_text()) == \
        json.loads((clean_run / "summary.json").read_text())
    for folder in ("events", "incidents", "backlog", "hourly"):
        names = sorted(p.name for p in (out / folder).iterdir())
        assert names == sorted(p.name for p in (clean_run / folder).iterdir())
        for name in names:
            pd.testing.assert_frame_equal(pd.read_parquet(out / folder / name),
                                          pd.read_parquet(clean_run / folder / name))
    assert json.loads((out / "manifest.json").read_text())["state"] == "finished"


def test_the_report_of_a_killed_run_says_it_did_not_finish() -> None:
    killed = appendix_html({"state": "running", "parameters": []})
    assert "This run did not finish" in killed
    assert "did not finish" not in appendix_html({"state": "finished", "parameters": []})
    assert "was interrupted" in appendix_html({"state": "interrupted", "interrupted": True})


def test_killing_the_parent_of_sweep_stops_its_workers_and_a_rerun_is_exact(tmp_path: Path) -> None:
    store = tmp_path / "sweep.sqlite"
    process = start([*SWEEP, "--store", str(store)])
    err, _ = kill_parent(process, lambda: stored(store) >= 2)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    kept = stored(store)
    time.sleep(3)
    assert stored(store) == kept
    subprocess.run([sys.executable, "-m", "simulator", *SWEEP, "--store", str(store)], cwd=ROOT,
                   check=True, capture_output=True)
    clean = tmp_path / "clean.sqlite"
    subprocess.run([sys.executable, "-m", "simulator", *SWEEP, "--store", str(clean)], cwd=ROOT,
                   check=True, capture_output=True)
    columns = ["design", "replication", "scope", "key", "kpi", "value", "n"]
    resumed, whole = (load_sweep(path)[columns].sort_values(columns[:5], ignore_index=True)
                      for path in (store, clean))
    pd.testing.assert_frame_equal(resumed, whole)


@pytest.fixture
def locked_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder with a scenario in it, which its owner may read but not write in."""
    folder = tmp_path / "locked"
    folder.mkdir()
    shutil.copy(MMC, folder / "mmc.yaml")
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def _without_root_override() -> None:
    """Root ignores file permissions through CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH); the
    command then runs without them, from the capability bounding set, so that its executed
    program never regains them: root then meets permissions as any owner does."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2  # <linux/prctl.h>, capability.h


@pytest.mark.parametrize("arguments", [["run", "mmc.yaml", "-r", "1", "--out", "runs/x"],
                                       ["diagram", "mmc.yaml", "-o", "flow.png"],
                                       ["sweep", "mmc.yaml", "--grid", "run.seed=1,2", "-r", "1"]],
                         ids=["run --out", "diagram -o", "sweep's default store"])
def test_a_place_without_permission_is_one_line(locked_folder: Path, arguments: list[str]) -> None:
    before = sorted(path.name for path in locked_folder.iterdir())
    done = subprocess.run([sys.executable, "-m", "simulator", *arguments], cwd=locked_folder,
                          text=True, capture_output=True, check=False,
                          preexec_fn=_without_root_override if os.geteuid() == 0 else None)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"no permission to write in {locked_folder}" in lines[0]
    assert sorted(path.name for path in locked_folder.iterdir()) == before
