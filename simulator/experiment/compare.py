"""Experiment layer: comparing designs, paired by replication.

Replication *r* of every design uses the same random numbers, so the difference
between two designs can be measured replication by replication: for each KPI,
the paired differences against the first design (the baseline) and their 95 %
Student-t confidence interval. Pairing removes the variation the designs share, which is
why a handful of replications often decides what hundreds of unpaired ones cannot.

A difference is *clear* when its interval excludes zero **and** its mean is at least the
KPI's practical-significance threshold (:mod:`simulator.experiment.significance`, by the KPI's
unit; a caller may set its own per KPI): a difference of 0.001 minutes can be statistically
certain under common random numbers and still mean nothing.

With a :class:`~simulator.experiment.sequential.SequentialRule`, replications are
added until the comparison is decided — every question clear or within its threshold, the
same thresholds: by default, every later design's paired difference on each of the rule's
KPIs; a study built on a comparison (an ROI, a sensitivity study) asks its own questions of
the KPI table instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulator.experiment.campaign import Campaign, Design, kpi_name
from simulator.experiment.execution import Execution, Replications
from simulator.experiment.outputs import prepare_run_directory, write_manifest
from simulator.experiment.precision import Decision
from simulator.experiment.rundir import describe_run
from simulator.experiment.sequential import PairedSeries, SequentialDecision, SequentialRule
from simulator.experiment.significance import THRESHOLDS, threshold
from simulator.experiment.summary import (
    confidence_interval,
    interval_document,
    summarise,
    summary_document,
)
from simulator.scenario.schema import Scenario

__all__ = ["DEFAULT_DECISION_KPIS", "THRESHOLDS", "Comparison", "Question", "compare_designs",
           "design_labels", "paired_differences", "threshold"]

#: What a comparison decides on under a sequential rule that names no KPIs.
DEFAULT_DECISION_KPIS = ("mtta_min", "mttr_h")
#: A study's questions of a comparison's KPI table so far (see :func:`compare_designs`).
Question = Callable[[pd.DataFrame], Sequence[PairedSeries]]

def design_labels(names: Sequence[str]) -> list[str]:
    """Short unique labels for design names: a design made by one change, ``STEM[a.b.c=4]``, is
    labelled by the fewest trailing parts of the key that tell it apart (``c=4``, ``b.c=4``, ...);
    any other name stays as it is."""
    def label(name: str, depth: int) -> str:
        if not name.endswith("]") or "[" not in name:
            return name
        change = name[name.index("[") + 1:-1]
        path, equals, value = change.partition("=")
        if not equals or "," in change:
            return name
        parts = path.split(".")
        return ".".join(parts[-depth:]) + "=" + value

    depths = [1] * len(names)
    for _ in range(32):
        labels = [label(name, depth) for name, depth in zip(names, depths, strict=True)]
        repeated = {text for text in labels if labels.count(text) > 1}
        if not repeated:
            return labels
        depths = [depth + 1 if text in repeated else depth
                  for text, depth in zip(labels, depths, strict=True)]
    return list(names)


def _named(table: pd.DataFrame) -> pd.DataFrame:
    named = table.copy()
    named.insert(0, "name", [kpi_name(scope, key, kpi) for scope, key, kpi in
                             table[["scope", "key", "kpi"]].itertuples(index=False)])
    return named


def paired_differences(kpis: pd.DataFrame, designs: Sequence[str],
                       thresholds: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Each design minus the first, paired by replication, per KPI.

    ``kpis`` has columns ``design``, ``replication``, ``scope``, ``key``, ``kpi``,
    ``value``. Returns ``design``, ``scope``, ``key``, ``kpi``, ``mean``,
    ``ci_low``, ``ci_high``, ``n``, ``threshold`` and ``clear`` (the 95 % interval
    excludes 0 and the mean is at least the threshold; ``thresholds``: KPI → its own).
    """
    wide = kpis.set_index(["scope", "key", "kpi", "replication", "design"])["value"].unstack("design")
    order = list(dict.fromkeys(kpis[["scope", "key", "kpi"]].itertuples(index=False, name=None)))
    rows = []
    baseline = designs[0]
    for design in designs[1:]:
        difference = (wide[design] - wide[baseline]).dropna()
        by_kpi = {name: values for name, values in difference.groupby(level=[0, 1, 2], sort=False)}
        for scope, key, kpi in order:  # every KPI, also those with no observations (null)
            values = by_kpi.get((scope, key, kpi), pd.Series(dtype=float))
            mean, low, high, n = confidence_interval(values)
            smallest = threshold(kpi, thresholds)
            clear = (n >= 2 and math.isfinite(low) and (low > 0.0 or high < 0.0)
                     and abs(mean) >= smallest)
            rows.append((design, scope, key, kpi, mean, low, high, n, smallest, clear))
    return pd.DataFrame(rows, columns=["design", "scope", "key", "kpi", "mean", "ci_low",
                                       "ci_high", "n", "threshold", "clear"])


@dataclass
class Comparison:
    """Designs run with common random numbers, and their paired differences.

    Attributes
    ----------
    designs
        The design names, the first being the baseline of the differences.
    kpis
        One row per design × replication × KPI.
    summary
        Per design and KPI: ``mean``, ``ci_low``, ``ci_high``, ``n``.
    differences
        Per later design and KPI: the paired difference against the first design.
    """

    designs: list[str]
    seed: int
    kpis: pd.DataFrame
    summary: pd.DataFrame
    differences: pd.DataFrame
    decision: Decision | SequentialDecision | None = None
    manifest: dict[str, object] = field(default_factory=dict)
    reused: int = 0  # replications read back from the cache

    def document(self) -> dict[str, object]:
        """The JSON of ``mimsim compare --format json``; scoped KPIs are named ``P2.mtta_min``."""
        designs = []
        for design in self.designs:
            rows = _named(self.summary[self.summary["design"] == design])
            designs.append({"scenario": design, "kpis": {
                row.name: interval_document(row.mean, row.ci_low, row.ci_high, row.n)
                for row in rows.itertuples(index=False)}})
        differences = [{"design": row.design, "kpi": row.name,
                        **interval_document(row.mean, row.ci_low, row.ci_high),
                        "threshold": row.threshold, "clear": bool(row.clear)}
                       for row in _named(self.differences).itertuples(index=False)]
        document: dict[str, object] = {"designs": designs, "differences": differences}
        if isinstance(self.decision, SequentialDecision):
            document["stopping"] = self.decision.document()
        return document

    def run_document(self, design: str) -> dict[str, object]:
        """One design's summary in the shape of ``mimsim run --format json``."""
        rows = self.summary[self.summary["design"] == design].drop(columns="design")
        replications = int(self.kpis.loc[self.kpis["design"] == design, "replication"].nunique())
        return summary_document(rows, design, replications, self.seed)


def _unique_names(names: Sequence[str]) -> list[str]:
    unique: list[str] = []
    for name in names:
        candidate, number = name, 2
        while candidate in unique:
            candidate, number = f"{name} ({number})", number + 1
        unique.append(candidate)
    return unique


def _mark(out_dir: Path | None, marker: dict[str, object], state: str) -> None:
    """The comparison's own directory: checked, emptied and marked when it starts ("running"),
    then its manifest says how it ended."""
    if out_dir is None:
        return
    if state == "running":
        prepare_run_directory(out_dir, marker)
    else:
        write_manifest(out_dir, {**marker, "state": state})


def _begin(campaign: Campaign, manifests: Sequence[dict[str, object]]) -> None:
    """Each design's manifest in its run directory before any replication is written."""
    for directory, manifest in zip(campaign.directories, manifests, strict=True):
        if directory is not None:
            directory.begin(manifest)


def _interrupted(campaign: Campaign, manifests: Sequence[dict[str, object]]) -> None:
    """Each design's manifest says the run was interrupted, and which replications it kept."""
    for index, (directory, manifest) in enumerate(zip(campaign.directories, manifests, strict=True)):
        if directory is not None:
            directory.finish(manifest | {"interrupted": True,
                                         "replications_finished": campaign.replications_of(index)},
                             None)


def _kpi_table(campaign: Campaign, names: Sequence[str], replications: int | None = None) -> pd.DataFrame:
    """Every design's KPI rows (replications 0 … ``replications`` − 1, default all), with its name."""
    frames = []
    for index, name in enumerate(names):
        table = campaign.kpis(index)
        if replications is not None:
            table = table[table["replication"] < replications]
        table.insert(0, "design", name)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _paired_questions(campaign: Campaign, names: Sequence[str], rule: SequentialRule
                      ) -> Callable[[int], list[PairedSeries]]:
    """Each later design's paired difference from the first on each of the rule's KPIs."""
    kpis = rule.kpis or DEFAULT_DECISION_KPIS

    def questions(replications: int) -> list[PairedSeries]:
        return [PairedSeries(f"{names[index]} − {names[0]}: {kpi}",
                             [campaign.value(index, replication, kpi) - campaign.value(0, replication, kpi)
                              for replication in range(replications)], rule.indifference_for(kpi))
                for index in range(1, len(names)) for kpi in kpis]
    return questions


def _run(campaign: Campaign, names: Sequence[str], wanted: Replications,
         question: Question | None) -> Decision | SequentialDecision | None:
    """The campaign's replications: a fixed number, until precise, or until decided."""
    if isinstance(wanted, SequentialRule):
        questions = (_paired_questions(campaign, names, wanted) if question is None else
                     lambda replications: question(_kpi_table(campaign, names, replications)))
        return campaign.run_until_clear(wanted, questions)
    return campaign.run_replications(wanted)


def compare_designs(designs: Sequence[tuple[str, Scenario]], execution: Execution | None = None, *,
                    sources: Sequence[tuple[str | None, Sequence[str]]] | None = None,
                    thresholds: Mapping[str, float] | None = None,
                    question: Question | None = None) -> Comparison:
    """Run designs with common random numbers and compare each with the first.

    Parameters
    ----------
    designs
        ``(name, scenario)`` pairs; the first is the baseline. Equal names get a suffix.
    execution
        How many replications (or a :class:`PrecisionRule` every design must meet), the seed
        (default: the first design's), where to run; with ``execution.out_dir``, each design's
        run directory is written to ``out_dir/<name>``.
    sources
        Per design, the scenario file and the overrides it was loaded with, for the manifests
        (the report's appendix names them and redraws the diagram from them).
    thresholds
        KPI name → the smallest difference to call clear (default: a sequential rule's own,
        else :func:`threshold`'s by unit).
    question
        Under a sequential rule: the paired differences to decide, from the KPI table of the
        replications so far (columns ``design``, ``replication``, ``scope``, ``key``, ``kpi``,
        ``value``, ``n``); default: each later design minus the first on the rule's KPIs
        (:data:`DEFAULT_DECISION_KPIS` where it names none).
    """
    execution = execution or Execution()
    names = _unique_names([name for name, _ in designs])
    wanted = execution.replications_for(designs[0][1])
    if thresholds is None and isinstance(wanted, SequentialRule):
        thresholds = wanted.indifference  # one notion: what the rule decides, the table marks
    out_dir = execution.out_dir
    chosen_designs = [Design(name, scenario, None if out_dir is None else out_dir / name)
                      for name, (_, scenario) in zip(names, designs, strict=True)]
    campaign: Campaign | None = None
    try:
        with execution.started(wanted * len(designs) if isinstance(wanted, int) else None) as running:
            seed = running.seed_for(designs[0][1])
            marker: dict[str, object] = {"kind": "comparison", "designs": names, "seed": seed}
            _mark(out_dir, marker, "running")  # before the designs' run directories are made in it
            origins = list(sources) if sources is not None else [(None, ())] * len(chosen_designs)
            manifests = {design.name: describe_run(design.scenario, design.name, source, overrides,
                                                   seed, running.running_on().description)
                         for design, (source, overrides) in zip(chosen_designs, origins, strict=True)}
            campaign = Campaign(chosen_designs, running)
            _begin(campaign, [manifests[design.name] for design in chosen_designs])
            decision = _run(campaign, names, wanted, question)
    except BaseException:
        if campaign is not None:  # finished with the workers stopped, so none leaves a .partial
            _interrupted(campaign, [manifests[design.name] for design in chosen_designs])
            _mark(out_dir, marker, "interrupted")
        raise
    kpis = _kpi_table(campaign, names)
    summaries = []
    for name in names:
        summary = summarise(kpis[kpis["design"] == name].drop(columns="design"))
        summary.insert(0, "design", name)
        summaries.append(summary)
    comparison = Comparison(names, seed, kpis, pd.concat(summaries, ignore_index=True),
                            paired_differences(kpis, names, thresholds), decision,
                            reused=campaign.reused)
    for index, design in enumerate(chosen_designs):
        directory = campaign.directories[index]
        if directory is not None:
            directory.finish(manifests[design.name] | {
                "interrupted": False, "replications_finished": campaign.replications_of(index),
                "wall_s": campaign.elapsed()}, comparison.run_document(design.name))
    _mark(out_dir, marker, "finished")
    comparison.manifest = {"designs": names, "seed": seed, "wall_s": campaign.elapsed(),
                           "executor": manifests[names[0]]["executor"]}
    return comparison
