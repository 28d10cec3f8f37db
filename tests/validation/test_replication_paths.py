"""A replication measured without its event-log table gives the numbers of one measured from it.

Without an output directory, ``run_replication`` codes the recorder's columns for the KPIs
directly instead of building the event-log table and encoding it back (issue 16: the table and
its encoding were a sixth of a staffing replication). Both paths must give the same coded log,
window and duty log, hence the same KPIs and backlog, exactly — on scenarios that exercise
outages, changes, problems, a phone desk, and no warm-up at all.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.experiment.replications import _simulate, _simulate_coded, run_replication
from simulator.metrics.coded import encode
from simulator.metrics.kpis import _minutes
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"

CASES = {
    "mmc": ("mmc.yaml", ["run.horizon=3w"]),
    "baseline": ("baseline.yaml", ["run.horizon=5w", "run.warmup=1w"]),
    "with-mim-weekly": ("with-mim.yaml", ["run.horizon=5w", "run.warmup=1w",
                                          "services.customer_portal.failures.every.mean=7d"]),
    "phone-desk": ("phone-desk.yaml", ["run.horizon=4d", "run.warmup=1d"]),
    "problems": ("problem-management.yaml", ["run.horizon=5w", "run.warmup=1w"]),
    "no warm-up": ("without-mim-or-on-call.yaml", ["run.horizon=3w", "run.warmup=0m"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_coded_straight_from_the_recorder_is_the_encoded_table(case: str) -> None:
    name, overrides = CASES[case]
    scenario = load_scenario(SCENARIOS / name, overrides)
    log = _simulate(scenario, 1, 7)
    expected = encode(log.events, log.start)
    recorded = _simulate_coded(scenario, 1, 7)
    pd.testing.assert_frame_equal(recorded.coded.rows, expected.rows, check_exact=True)
    for names in ("cases", "teams", "agents", "priorities", "categories", "services"):
        assert getattr(recorded.coded, names) == getattr(expected, names), names
    assert recorded.coded.origin == expected.origin == recorded.start == log.start
    assert recorded.window == _minutes(log)
    pd.testing.assert_frame_equal(recorded.duty, log.duty, check_exact=True)


@pytest.mark.parametrize("case", ["baseline", "with-mim-weekly", "phone-desk"])
def test_kpis_and_backlog_are_the_same_with_and_without_a_run_directory(case: str, tmp_path: Path) -> None:
    name, overrides = CASES[case]
    scenario = load_scenario(SCENARIOS / name, overrides)
    without = run_replication(scenario, 2, 11)
    written = run_replication(scenario, 2, 11, tmp_path)
    assert (tmp_path / "events" / "replication-002.parquet").is_file()
    pd.testing.assert_frame_equal(without.kpis, written.kpis, check_exact=True)
    pd.testing.assert_frame_equal(without.backlog, written.backlog, check_exact=True)
    assert without.n_events == written.n_events > 0
