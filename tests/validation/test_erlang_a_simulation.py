"""The simulator against Erlang A: ``scenarios/mmc.yaml`` made a phone queue whose callers hang up
after an exponential patience (M/M/c+M) reproduces Erlang A's probability of waiting, share
abandoning, mean wait and service level, each within max(its 99 % confidence half-width, 2 %).
The half-width itself must be under 5 % of the exact value, so a merely imprecise run cannot pass.

Here every contact counts, the abandoned ones included: P(wait) is the share not answered on
arrival, the mean wait runs to the answer or the hang-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.experiment import confidence_interval
from simulator.metrics import KpiContext, replication_kpis
from simulator.metrics.analytic import erlang_a
from simulator.metrics.coded import encode
from simulator.metrics.incidents import incident_table
from simulator.model.simulation import Simulation
from simulator.scenario import load_scenario

pytestmark = pytest.mark.slow

MMC = Path(__file__).parents[2] / "scenarios" / "mmc.yaml"
#: 9 calls an hour on 10 agents of 60 minutes each (0.9 offered per agent); callers wait 30
#: minutes on average; the service level's T is 5 minutes.
PHONE = ["run.horizon=16w", "run.warmup=1w", "arrivals.tickets.volume=9/h",
         "arrivals.tickets.channel=phone", "arrivals.tickets.answer_within=5m",
         "arrivals.tickets.patience={dist: exponential, mean: 30m}"]
REPLICATIONS = 12


@pytest.fixture(scope="module")
def measured() -> pd.DataFrame:
    scenario = load_scenario(MMC, PHONE)
    rows = []
    for replication in range(REPLICATIONS):
        simulation = Simulation(scenario, replication)
        simulation.run()
        log = simulation.results()
        warmup_end = (log.warmup_end - log.start).total_seconds() / 60.0
        end = (log.end - log.start).total_seconds() / 60.0
        table = incident_table(encode(log.events, log.start), KpiContext.from_scenario(scenario), end)
        cohort = table[table["arrived_min"] >= warmup_end]
        left = np.fmin(cohort["first_work_min"], cohort["abandoned_min"]) - cohort["arrived_min"]
        decided = left.notna()
        kpis = replication_kpis(log, KpiContext.from_scenario(scenario))
        channel = kpis[kpis["scope"] == "channel"].set_index("kpi")["value"]
        rows.append({"p_wait": float((left[decided] > 0).mean()),
                     "mean_wait": float(left[decided].mean()),
                     "p_abandon": float(channel["abandon_rate"]),
                     "service_level": float(channel["service_level"])})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("measure", ["p_wait", "p_abandon", "mean_wait", "service_level"])
def test_m_m_c_m_reproduces_erlang_a(measured: pd.DataFrame, measure: str) -> None:
    exact = getattr(erlang_a(10, 9 / 60, 60.0, 30.0, within=5.0), measure)
    mean, low, high, n = confidence_interval(measured[measure], 0.99)
    half_width = (high - low) / 2.0
    assert n == REPLICATIONS
    assert half_width / exact < 0.05, f"too imprecise: ±{half_width:.4g}"
    assert abs(mean - exact) <= max(half_width, 0.02 * exact), (
        f"mean {mean:.5g} vs Erlang A {exact:.5g} (99 % half-width {half_width:.4g})")


def test_the_queue_is_one_where_abandonment_matters() -> None:
    exact = erlang_a(10, 9 / 60, 60.0, 30.0, within=5.0)
    assert exact.p_abandon > 0.05 and exact.p_wait > 0.3  # not a queue where C and A agree
