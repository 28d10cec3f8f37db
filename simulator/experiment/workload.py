"""Experiment layer: how much work a request is, estimated before any of it starts.

Work is counted in simulated incidents. Per replication, a scenario brings the incidents of
its arrival streams over the horizon (mean rates × horizon, plus incidents at fixed times and
the initial backlog). Fixed costs are counted in incidents' worth too: setting up a
replication and measuring its KPIs (:data:`REPLICATION_COST`), and reading and checking a
design's scenario (:data:`DESIGN_COST`). So a request's work is::

    designs × (DESIGN_COST + replications × (incidents per replication + REPLICATION_COST))

Above :data:`WORK_LIMIT`, or with more than :data:`REPLICATION_LIMIT` incidents in one
replication (which holds them all in memory), the ``mimsim`` commands refuse to start unless
given ``--yes``: ``-r 100000000``, a horizon of decades or a grid of 10,000 designs is more
likely a slip than a plan, and would run for days or run out of memory.
``benchmarks/bench_workload.py`` measures what an incident and the fixed costs take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.experiment.refusal import RefusedError
from simulator.scenario.schema import Scenario

__all__ = ["DESIGN_COST", "REPLICATION_COST", "REPLICATION_LIMIT", "WORK_LIMIT", "Workload",
           "WorkloadError", "incidents_per_replication"]

#: Simulated incidents' worth of work a command starts without ``--yes``: about an hour on
#: a 2-core machine at the baseline scenario's cost per incident.
WORK_LIMIT = 100_000_000
#: A replication's set-up, event-log table and KPIs, in incidents' worth: a one-incident
#: replication took as long as 757 of the baseline's incidents (``bench_workload.py``).
REPLICATION_COST = 1_000
#: Loading and checking one design's scenario, in incidents' worth (534 measured likewise).
DESIGN_COST = 1_000
#: Incidents one replication may bring without ``--yes``: a replication holds its event log
#: and tables in memory, about 4 KB an incident, so 500,000 take about 2 GB per worker.
REPLICATION_LIMIT = 500_000


def incidents_per_replication(scenario: Scenario) -> float:
    """The mean number of incidents one replication brings: every arrival stream's mean rate
    over the horizon, the incidents at fixed times, and the initial backlog."""
    horizon = scenario.run.horizon
    arriving = math.fsum((stream.volume or 0.0) * horizon + len(stream.at or ())
                         for stream in scenario.arrivals.values())
    return arriving + sum(item.count for item in scenario.initial_backlog)


class WorkloadError(RefusedError):
    """A request above the work limit, refused before it starts."""


@dataclass(frozen=True)
class Workload:
    """The work a command asks for: designs × replications × incidents per replication.

    ``replications_from`` and ``designs_from`` name what set those factors (options), for
    the message.
    """

    incidents: float
    replications: int
    designs: int = 1
    replications_from: str = "-r/--replications"
    designs_from: str = "the designs"

    @property
    def total(self) -> float:
        """Incidents' worth of work in all, fixed costs included."""
        per_design = DESIGN_COST + self.replications * (self.incidents + REPLICATION_COST)
        return self.designs * per_design

    def describe(self) -> str:
        """``about 7e+12: 69,888 incidents a replication (…) × 100,000,000 replications (…)``."""
        text = (f"about {_count(self.total)}: {_count(self.incidents)} incidents a replication "
                f"(from the scenario's arrival rates over run.horizon) × {self.replications:,} "
                f"replications ({self.replications_from})")
        if self.designs != 1:
            text += f" × {self.designs:,} designs ({self.designs_from})"
        return text

    def check(self, confirmed: bool) -> None:
        """Refuse a request above the limits unless ``confirmed`` (``--yes``)."""
        if confirmed:
            return
        if self.incidents > REPLICATION_LIMIT:
            raise WorkloadError(
                f"run.horizon: expected at most {REPLICATION_LIMIT:,} incidents a replication "
                f"without --yes (a replication holds all of them in memory, about 4 KB each); "
                f"found about {_count(self.incidents)} from the scenario's arrival rates over "
                f"run.horizon — shorten run.horizon, or add --yes to run it anyway")
        if self.total <= WORK_LIMIT:
            return
        label = self.replications_from if self.designs == 1 else \
            f"{self.designs_from} × {self.replications_from}"
        raise WorkloadError(f"{label}: expected at most {WORK_LIMIT:,} simulated incidents' worth "
                            f"of work without --yes; found {self.describe()} — use fewer "
                            f"replications, a shorter horizon or fewer designs, or add --yes to "
                            f"run it anyway")


def _count(value: float) -> str:
    return f"{value:,.0f}" if value < 1e12 else f"{value:.2g}"
