"""Experiment layer: a whole run — replications, summary, and the run directory on disk.

:func:`run_experiment` is what ``mimsim run`` and notebooks call. With an
output directory it writes, as each replication finishes, that replication's
KPI rows (``kpis.csv``), backlog series, event log and incident table; at the
end, the summary (``summary.json``) and the manifest (``manifest.json``: what
was run, with which seed and software, how long it took). If the run is
interrupted, everything already finished stays, and the manifest says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from simulator.experiment.campaign import Campaign, Design
from simulator.experiment.execution import Execution
from simulator.experiment.precision import Decision
from simulator.experiment.rundir import describe_run
from simulator.experiment.sequential import SequentialRule
from simulator.experiment.summary import summarise, summary_document
from simulator.experiment.warmup import WarmupAnalysis, analyse_warmup, choose_period
from simulator.scenario.schema import Scenario

__all__ = ["RunResult", "run_experiment"]


@dataclass
class RunResult:
    """The outcome of a run, as DataFrames.

    Attributes
    ----------
    kpis
        One row per replication × KPI (columns ``replication``, ``scope``,
        ``key``, ``kpi``, ``value``, ``n``).
    summary
        One row per KPI: ``mean``, ``ci_low``, ``ci_high`` (95 %), ``n`` replications.
    backlog
        Open tickets per team every hour, per replication.
    manifest
        What was run, how, and how long it took.
    """

    scenario: Scenario
    name: str
    seed: int
    kpis: pd.DataFrame
    summary: pd.DataFrame
    backlog: pd.DataFrame
    manifest: dict[str, object] = field(default_factory=dict)
    decision: Decision | None = None  # when the replications algorithm chose how many
    warmup: WarmupAnalysis | None = None  # MSER-5 on this run's backlog

    def document(self) -> dict[str, object]:
        """The JSON summary (the shape of ``mimsim run --format json``)."""
        replications = int(self.kpis["replication"].nunique()) if len(self.kpis) else 0
        return summary_document(self.summary, self.name, replications, self.seed)


def _overall(summary: pd.DataFrame, kpi: str) -> float | None:
    rows = summary[(summary["scope"] == "overall") & (summary["kpi"] == kpi)]
    value = float(rows["mean"].iloc[0]) if len(rows) else math.nan
    return None if math.isnan(value) else value


def _interrupted(campaign: Campaign | None, manifest: dict[str, object]) -> None:
    """The run directory of a run that was stopped says so and keeps what finished. Called
    only once the workers have stopped: one still running could leave a ``.partial`` file
    after the clean-up."""
    if campaign is not None and campaign.directories[0] is not None:
        campaign.directories[0].finish(manifest | {
            "interrupted": True, "replications_finished": campaign.replications_of(0),
            "wall_s": campaign.elapsed()}, None)


def run_experiment(scenario: Scenario, execution: Execution | None = None, *, name: str | None = None,
                   source: str | None = None, overrides: Sequence[str] = ()) -> RunResult:
    """Run replications of a scenario and summarise them.

    Parameters
    ----------
    scenario
        The scenario (already loaded and validated).
    execution
        How many replications, the seed, where to run them, where to write the run directory
        (``execution.out_dir``; nothing is written without it) and whom to tell of progress.
        The default: the scenario's ``run.replications`` and ``run.seed`` on every core.
    name
        Its name in outputs (default: the scenario's ``name``).
    source, overrides
        The scenario file and the ``--set`` overrides it was loaded with, for the manifest.
    """
    execution = execution or Execution()
    name = name or scenario.name
    wanted = execution.replications_for(scenario)
    if isinstance(wanted, SequentialRule):
        raise ValueError("expected a number of replications or a precision rule for a run of one "
                         "design; found a sequential rule, which decides a comparison")
    campaign: Campaign | None = None
    manifest: dict[str, object] = {}
    try:
        with execution.started(wanted if isinstance(wanted, int) else None) as running:
            campaign = Campaign([Design(name, scenario, running.out_dir)], running)
            manifest = describe_run(scenario, name, source, overrides, campaign.seed,
                                    running.running_on().description)
            if campaign.directories[0] is not None:
                campaign.directories[0].begin(manifest)
            decision = campaign.run_replications(wanted)
    except BaseException:
        _interrupted(campaign, manifest)
        raise
    kpis = campaign.kpis(0)
    summary = summarise(kpis)
    backlog = campaign.backlog(0)
    warmup = analyse_warmup(backlog, choose_period(scenario, _overall(summary, "mttr_h_p90")))
    run = RunResult(scenario, name, campaign.seed, kpis, summary, backlog, decision=decision, warmup=warmup)
    results = [campaign.results[(0, replication)] for replication in campaign.replications_of(0)]
    manifest |= {"interrupted": False, "replications_finished": campaign.replications_of(0),
                 "wall_s": campaign.elapsed(),
                 "replication_wall_s": [round(result.wall_s, 3) for result in results],
                 "events": sum(result.n_events for result in results)}
    manifest["warmup_check"] = {"configured_min": scenario.run.warmup, "method": "MSER-5",
                                "period": warmup.period, "suggested_min": warmup.warmup_min,
                                "adequate_from_min": warmup.adequate_from_min(),
                                "too_short": warmup.too_short(scenario.run.warmup)}
    if decision is not None:
        manifest["replications_rule"] = {"converged": decision.converged, "solution": decision.solution,
                                         "used": decision.used, "reason": decision.reason,
                                         "relative_half_widths": decision.precision}
    run.manifest = manifest
    if campaign.directories[0] is not None:
        campaign.directories[0].finish(manifest, run.document())
    return run
