"""The KPI catalogue is what the metrics compute: every scope of a run's KPI table holds exactly the
catalogue's KPIs of that family, and the catalogue decides which KPIs are shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import load_scenario, simulate
from simulator.metrics import SHARE_KPIS, KpiContext, kpi_range, replication_kpis
from simulator.scenario.kpis import KPIS, Family, Unit, kpi_names

SCENARIOS = Path(__file__).parents[2] / "scenarios"
#: The scope of a KPI table row → the families measured there.
SCOPES = {"overall": (Family.INCIDENT, Family.COST, Family.OUTAGE, Family.CHANGE),
          "priority": (Family.INCIDENT,), "team": (Family.TEAM,), "service": (Family.SERVICE,),
          "month": (Family.MONTH,), "channel": (Family.CHANNEL,)}


@pytest.mark.parametrize(("scenario", "overrides"), [
    ("with-mim.yaml", ["run.horizon=2w", "run.warmup=0m"]),
    ("problem-management.yaml", ["run.horizon=5w"]),
    ("phone-desk.yaml", ["run.horizon=3d", "run.warmup=1d"]),
])
def test_every_scope_holds_exactly_the_catalogue_kpis_of_its_families(scenario: str,
                                                                      overrides: list[str]) -> None:
    loaded = load_scenario(SCENARIOS / scenario, overrides)
    kpis = replication_kpis(simulate(loaded), KpiContext.from_scenario(loaded))
    seen = set(kpis["scope"])
    assert {"overall", "priority", "team"} <= seen and seen & {"service", "month", "channel"}
    for scope in seen:
        names = kpis.loc[kpis["scope"] == scope].groupby("key")["kpi"].agg(set)
        expected = {name for family in SCOPES[scope] for name in kpi_names(family)}
        assert all(found == expected for found in names), (scope, names.iloc[0] ^ expected)


def test_the_catalogue_names_each_kpi_once_per_family_and_decides_the_shares() -> None:
    pairs = [(kpi.family, kpi.name) for kpi in KPIS]
    assert len(pairs) == len(set(pairs))
    assert {kpi.name for kpi in KPIS if kpi.unit is Unit.SHARE} == SHARE_KPIS
    assert kpi_range("escalation_rate") == (0.0, 1.0)
    assert kpi_range("mttr_h") == (0.0, float("inf"))
