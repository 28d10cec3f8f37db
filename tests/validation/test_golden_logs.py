"""Golden event logs: later capabilities switched off must leave the core model's log unchanged.

The digests were taken from the core model alone (commit 55386de, before major incidents were
added). A scenario with no services and the major-incident process off must still give exactly
this log for the same seed: same rows, same order, same values in every core column. Change a
digest only for an intended change of the core model, and say so in the commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from simulator.eventlog.log import EVENT_COLUMNS
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
#: The columns of the core model's event log (later capabilities add columns, empty here).
CORE_COLUMNS = ("seq", "case_id", "timestamp", "activity", "team", "agent", "priority", "category")

GOLDEN = [
    ("baseline.yaml", ["run.horizon=6w", "run.warmup=1w"], 59716,
     "19b2b68cd9cb9663868577312f4cf2b6ec269132f63789084c09d7a11db9802f"),
    ("mmc.yaml", ["run.horizon=2w"], 16058,
     "04ec297517b2ad12a586ffe434af35e1a437e38df599460f985e363d0019e534"),
]


@pytest.mark.parametrize(("name", "overrides", "rows", "digest"), GOLDEN,
                         ids=[case[0] for case in GOLDEN])
def test_the_core_event_log_is_unchanged(name: str, overrides: list[str], rows: int,
                                         digest: str) -> None:
    simulation = Simulation(load_scenario(SCENARIOS / name, overrides), replication=1)
    simulation.run()
    events = simulation.results().events
    assert len(events) == rows
    text = events[list(CORE_COLUMNS)].astype(str).to_csv(index=False)
    assert hashlib.sha256(text.encode()).hexdigest() == digest
    assert events[[column for column in EVENT_COLUMNS if column not in CORE_COLUMNS]].isna().all().all()
