"""Golden event logs: later capabilities switched off must leave earlier models' logs unchanged.

The core digests were taken from the core model alone (commit 55386de, before major incidents
were added): a scenario with no services and the major-incident process off must still give
exactly this log for the same seed — same rows, same order, same values in every core column.
The major-incident digests were taken at commit 1843123, before changes and problem management:
the with/without-MIM scenarios and the Cloudflare replay of that commit (which have no changes
and no problem management) must still give exactly these logs, every column. The scenario files
are frozen copies (``golden/``). Change a digest only for an intended change of the model, and
say so in the commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from simulator.eventlog.log import EVENT_COLUMNS
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario

#: The scenario files as they were when each digest was taken (frozen copies: later tuning of
#: the shipped scenarios must not move these logs; only a change of the model may).
SCENARIOS = Path(__file__).parent / "golden"
#: The columns of the core model's event log (later capabilities add columns, empty here).
CORE_COLUMNS = ("seq", "case_id", "timestamp", "activity", "team", "agent", "priority", "category")

GOLDEN = [
    ("baseline.yaml", ["run.horizon=6w", "run.warmup=1w"], 59716,
     "19b2b68cd9cb9663868577312f4cf2b6ec269132f63789084c09d7a11db9802f"),
    ("mmc.yaml", ["run.horizon=2w"], 16058,
     "04ec297517b2ad12a586ffe434af35e1a437e38df599460f985e363d0019e534"),
]


#: Each of the three services fails every 5 days on average, so that the logs hold many outages.
FREQUENT = ["run.horizon=8w", "run.warmup=1w",
            *(f"services.{name}.failures.every.mean=5d"
              for name in ("customer_portal", "email", "network_core"))]
GOLDEN_MAJOR_INCIDENTS = [
    ("with-mim.yaml", FREQUENT, 87522, "8877554fd4f8a5f80c76be68c1575571dd3c55209fcc5a6641e487624f6d2951"),
    ("without-mim.yaml", FREQUENT, 88608, "04f6ba721087c94399b9dab63f58294078138d7f90dc410d622b0659c1cc80e3"),
    ("cloudflare-2019-waf.yaml", [], 827, "5582d6fec63e0ea3beb2f8948a0e0a2ba0c833158ffae65f490bdc86aca49673"),
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


@pytest.mark.parametrize(("name", "overrides", "rows", "digest"), GOLDEN_MAJOR_INCIDENTS,
                         ids=[case[0] for case in GOLDEN_MAJOR_INCIDENTS])
def test_the_major_incident_event_log_is_unchanged(name: str, overrides: list[str], rows: int,
                                                   digest: str) -> None:
    simulation = Simulation(load_scenario(SCENARIOS / name, overrides), replication=1)
    simulation.run()
    events = simulation.results().events
    assert len(events) == rows
    assert (events["activity"] == "outage started").sum() >= 1
    text = events[list(EVENT_COLUMNS)].astype(str).to_csv(index=False)
    assert hashlib.sha256(text.encode()).hexdigest() == digest
