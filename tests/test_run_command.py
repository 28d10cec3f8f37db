"""``mimsim run``: the JSON contract, the run directory, and an interrupted run keeping its work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from simulator.scenario.targets import CHANGE_KPIS, COST_KPIS, INCIDENT_KPIS, OUTAGE_KPIS, TEAM_KPIS
from tests.helpers import interruptible, run_cli

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"




@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("run")
    arguments = ["run", str(BASELINE), "-r", "3", "--seed", "5", "-j", "2", "--format", "json",
                 "--set", "run.horizon=8w", "--set", "run.warmup=1w", "--out", str(out)]
    done = subprocess.run([sys.executable, "-m", "simulator", *arguments], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout), out


@pytest.mark.slow
def test_json_output_has_exactly_the_documented_shape(json_run: tuple[dict, Path]) -> None:
    document, _ = json_run
    assert set(document) == {"scenario", "replications", "seed", "kpis", "by_priority", "by_team",
                             "by_service", "by_month", "by_channel"}
    assert (document["scenario"], document["replications"], document["seed"]) == ("baseline", 3, 5)
    assert set(document["kpis"]) == (set(INCIDENT_KPIS) | set(OUTAGE_KPIS) | set(COST_KPIS)
                                     | set(CHANGE_KPIS))
    assert document["by_service"] == {}  # the baseline has no service catalogue
    assert document["by_month"] == {}  # nor problem families
    assert document["by_channel"] == {}  # nor channels
    assert document["kpis"]["outages"] == {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0, "n": 3}
    assert set(document["by_priority"]) == {"P1", "P2", "P3", "P4"}
    assert set(document["by_team"]) == {"service_desk", "applications", "infrastructure", "network",
                                        "end_user_support"}
    for team in document["by_team"].values():
        assert set(team) == set(TEAM_KPIS)
    for entry in document["kpis"].values():
        assert set(entry) == {"mean", "ci_low", "ci_high", "n"}
    arrived = document["kpis"]["arrived"]
    assert arrived["n"] == 3 and arrived["ci_low"] < arrived["mean"] < arrived["ci_high"]


@pytest.mark.slow
def test_the_run_directory_holds_logs_kpis_summary_and_manifest(json_run: tuple[dict, Path]) -> None:
    document, out = json_run
    assert json.loads((out / "summary.json").read_text()) == document
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["interrupted"] is False
    assert manifest["replications_finished"] == [0, 1, 2]
    assert manifest["seed"] == 5 and len(manifest["scenario_hash"]) == 64
    assert manifest["overrides"] == ["run.horizon=8w", "run.warmup=1w"]
    assert {"python", "simpy", "numpy", "pandas"} <= set(manifest["versions"])
    kpis = pd.read_csv(out / "kpis.csv")
    assert sorted(kpis["replication"].unique()) == [0, 1, 2]
    mean_arrived = kpis[(kpis["scope"] == "overall") & (kpis["kpi"] == "arrived")]["value"].mean()
    assert mean_arrived == pytest.approx(document["kpis"]["arrived"]["mean"])
    events = pd.read_parquet(out / "events" / "replication-001.parquet")
    assert {"case:concept:name", "concept:name", "time:timestamp", "org:resource"} <= set(events)
    incidents = pd.read_parquet(out / "incidents" / "replication-001.parquet")
    assert incidents.index.nunique() == (events["concept:name"] == "arrived").sum()
    assert not list(out.glob("**/*.partial"))


@pytest.mark.slow
def test_the_table_shows_targets_and_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["run", str(BASELINE), "-r", "2", "-j", "1", "--set", "run.horizon=6w",
                            "--set", "run.warmup=1w"], capsys)
    assert code == 0
    assert "mtta_min" in out and "<= 30" in out
    assert any(verdict in out for verdict in ("pass", "fail", "unclear"))
    assert "By team" in out and "service_desk" in out
    # money covers the measured window (6 weeks less the week of warm-up), and says so
    assert "staff_cost (5w)" in out and "staff_cost over the measured window (5w)" in out


@pytest.mark.slow
def test_an_interrupted_run_keeps_what_it_finished(tmp_path: Path) -> None:
    out = tmp_path / "run"
    process = interruptible(
        [sys.executable, "-m", "simulator", "run", str(BASELINE), "-r", "40", "-j", "2",
         "--set", "run.horizon=10w", "--set", "run.warmup=1w", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    kpis = out / "kpis.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not kpis.exists() or kpis.read_text().count("\n") < 200):
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "kept in the output directory" in err and "Traceback" not in err
    manifest = json.loads((out / "manifest.json").read_text())
    finished = manifest["replications_finished"]
    assert manifest["interrupted"] is True and 1 <= len(finished) < 40
    rows = pd.read_csv(kpis)
    assert sorted(rows["replication"].unique()) == sorted(finished)
    assert all(len(group) == len(rows) // len(finished) for _, group in rows.groupby("replication"))
    for replication in finished:
        assert (out / "events" / f"replication-{replication:03d}.parquet").exists()
    assert not list(out.glob("**/*.partial"))


def test_an_interruption_without_an_output_directory_says_nothing_was_kept() -> None:
    from simulator.cli.main import _interrupted

    assert "kept in the output directory" in _interrupted(["run", "a.yaml", "--out", "d"])
    assert "kept in the output directory" in _interrupted(["compare", "a.yaml", "b.yaml", "-o", "d"])
    assert _interrupted(["staff", "a.yaml", "--target", "p_wait<=0.2"]).startswith(
        "interrupted: nothing was written")
