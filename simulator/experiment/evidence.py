"""Experiment layer: how many events a result rests on, and whether one of them carries it.

Outages are rare. A downtime benefit measured over a few replications can rest on a
dozen outages, or on one long outage in one replication: a net benefit of 709 million on
a base of 81 million can be one tail outage. Before a figure is quoted, this module counts
the outages behind it — per design and per replication, the raw counts — and warns when

* the baseline had fewer than ``min_events`` outages in all (a Poisson count of 30 is
  known to about ±36 % at 95 %: 1.96/√30), or
* one replication supplied more than half of the downtime cost avoided, summed over
  replications in absolute value (one long outage is then likely to be the result).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["DOMINANT_SHARE", "MIN_EVENTS", "Evidence", "outage_evidence"]

#: Fewer outages than this in all, and the downtime figures get a warning.
MIN_EVENTS = 30
#: One replication supplying more than this share of the downtime benefit gets a warning.
DOMINANT_SHARE = 0.5


@dataclass(frozen=True)
class Evidence:
    """The outages behind a comparison's downtime figures, and what to beware of."""

    outages: dict[str, list[int]]  # design → outages in each replication's measured window
    dominant_share: float  # the largest share of the downtime benefit from one replication
    dominant_replication: int | None
    warnings: list[str] = field(default_factory=list)

    def document(self) -> dict[str, object]:
        """JSON: the counts per design and replication, the largest share, the warnings."""
        return {"outages_per_replication": self.outages,
                "outages_total": {name: sum(counts) for name, counts in self.outages.items()},
                "largest_replication_share": round(self.dominant_share, 4),
                "largest_replication": self.dominant_replication, "warnings": self.warnings}


def _outages(kpis: pd.DataFrame, design: str) -> list[int]:
    rows = kpis[(kpis["design"] == design) & (kpis["scope"] == "overall")
                & (kpis["kpi"] == "outages")].sort_values("replication")
    return [int(value) for value in rows["value"].fillna(0.0)]


def outage_evidence(kpis: pd.DataFrame, baseline: str, improved: str, avoided: pd.Series,
                    min_events: int = MIN_EVENTS, label: str = "") -> Evidence:
    """The outages behind a comparison (``kpis`` has a ``design`` column) and the warnings;
    ``avoided`` is the downtime cost avoided per replication; ``label`` names the variant."""
    counts = {baseline: _outages(kpis, baseline), improved: _outages(kpis, improved)}
    total = sum(counts[baseline])
    magnitude = avoided.abs()
    share, which = 0.0, None
    if magnitude.sum() > 0:
        which = int(magnitude.idxmax())
        share = float(magnitude.max() / magnitude.sum())
    prefix = f"{label}: " if label else ""
    warnings: list[str] = []
    if not counts[baseline]:
        return Evidence(counts, share, which, warnings)
    if total < min_events:
        warnings.append(
            f"{prefix}the downtime figures rest on {total} outages of {baseline} in "
            f"{len(counts[baseline])} replications ({', '.join(map(str, counts[baseline]))}); "
            f"fewer than {min_events}: run more replications before quoting them")
    if which is not None and len(magnitude) >= 3 and share > DOMINANT_SHARE:
        warnings.append(
            f"{prefix}one replication (number {which}, with {counts[baseline][which]} outages of "
            f"{baseline}) supplied {share:.0%} of the downtime cost avoided: a single long "
            f"outage is likely to carry the result")
    return Evidence(counts, share, which, warnings)
