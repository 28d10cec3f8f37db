"""Reporting layer: the HTML report of a sweep store (``mimsim report STORE.sqlite``).

The page has the sweep's designs and parameters, a table of every design's
main KPIs (mean and 95 % confidence interval, the numbers of
:func:`~simulator.experiment.sweep.sweep_summary`), a *surface* per KPI over the
swept parameters (:mod:`simulator.reporting.sweep_figures`) with the scenario's
targets, and an appendix with the store's provenance: scenario hash, seed, and
replications per design — saying plainly when the sweep is incomplete.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulator.experiment.store import load_sweep, sweep_designs
from simulator.experiment.sweep import sweep_summary
from simulator.reporting.html import Section, figure_html, page, table_html
from simulator.reporting.report import Formatter, _cell
from simulator.reporting.sweep_figures import surface_figure, target_text, target_verdict
from simulator.scenario.targets import Target

__all__ = ["Completeness", "SweepData", "default_kpis", "read_sweep", "sweep_report"]

#: The overall KPIs a sweep report shows when the scenario sets no targets (those with values).
_DEFAULT_KPIS = ("mtta_min", "mttr_h", "sla_response_attainment", "sla_resolution_attainment",
                 "backlog_end")
#: KPI columns per table, so that a table fits the page's width.
_KPIS_PER_TABLE = 5


@dataclass(frozen=True)
class Completeness:
    """How many of the replications the sweep asked for are in the store."""

    finished: int
    planned: int
    plan_recorded: bool
    short: list[tuple[str, int, int]]  # (design, finished, planned) of each design lacking some

    @property
    def complete(self) -> bool:
        """Whether every design has every replication asked of it."""
        return self.finished >= self.planned

    def sentence(self) -> str:
        """``complete: …`` or ``incomplete: N of M replications …``."""
        basis = ("" if self.plan_recorded else
                 " (the store does not record how many were asked; taken as the most any design has)")
        if self.complete:
            return f"complete: {self.finished} of {self.planned} replications{basis}"
        return (f"incomplete: {self.finished} of {self.planned} replications{basis} — run the same "
                f"`mimsim sweep` command to compute only the rest")


@dataclass(frozen=True)
class SweepData:
    """A sweep store, read: its rows (``load_sweep``), their summary, its designs, its swept keys."""

    path: Path
    table: pd.DataFrame
    summary: pd.DataFrame
    designs: pd.DataFrame
    paths: list[str]

    def completeness(self) -> Completeness:
        """Finished against asked-for replications, per design and in all."""
        finished = self.designs["finished"].astype(int)
        recorded = bool(self.designs["planned"].notna().all())
        most = int(finished.max()) if len(finished) else 0
        planned = [int(value) if recorded else most for value in self.designs["planned"].fillna(most)]
        done = [min(count, plan) for count, plan in zip(finished, planned, strict=True)]
        short = [(str(name), count, plan) for name, count, plan
                 in zip(self.designs["design"], done, planned, strict=True) if count < plan]
        return Completeness(sum(done), sum(planned), recorded, short)

    def kpi_names(self) -> list[str]:
        """The KPI names with at least one value, in the store's order."""
        valid = self.summary[self.summary["mean"].notna()]
        return list(dict.fromkeys(valid["kpi"]))


def read_sweep(path: str | Path) -> SweepData:
    """Read a sweep store (see :func:`~simulator.experiment.store.load_sweep`)."""
    designs = sweep_designs(path)
    paths = list(dict.fromkeys(key for parameters in designs["parameters"] for key in parameters))
    table = load_sweep(path)
    summary = sweep_summary(table) if not table.empty else pd.DataFrame(
        columns=["design", *paths, "kpi", "mean", "ci_low", "ci_high", "n"])
    return SweepData(Path(path), table, summary, designs, paths)


def default_kpis(data: SweepData, targets: Sequence[Target]) -> list[str]:
    """The scenario's targets' KPIs that have values; without any, a few overall KPIs."""
    available = set(data.kpi_names())
    targeted = [name for name in dict.fromkeys(t.name for t in targets) if name in available]
    return targeted or [name for name in _DEFAULT_KPIS if name in available]


def _short(kpi: str) -> str:
    return kpi.rpartition(".")[2]


def _breakable(name: str) -> str:
    """A dotted KPI or parameter name that a narrow table header may break after a dot or ``_``."""
    return name.replace(".", ".\u200b").replace("_", "_\u200b")


def _identity(data: SweepData, row: pd.Series) -> list[str]:
    """What identifies a design in a table: its grid values (its name where nothing was swept)."""
    return [str(row[path]) for path in data.paths] if data.paths else [str(row["design"])]


def _identity_header(data: SweepData) -> list[str]:
    return [_breakable(path) for path in data.paths] if data.paths else ["design"]


def _designs_section(data: SweepData, completeness: Completeness) -> Section:
    values = [(path, ", ".join(str(v) for v in dict.fromkeys(data.table[path])) if path in data.table
               else "") for path in data.paths]
    first = data.designs.iloc[0] if len(data.designs) else None
    common = ", ".join(first["overrides"]) if first is not None and first["overrides"] else "none"
    rows = [(*_identity(data, pd.Series({**row["parameters"], "design": row["design"]})),
             f"{row['finished']}" + (f" of {row['planned']}" if pd.notna(row["planned"]) else ""))
            for _, row in data.designs.iterrows()]
    body = (f"<p>{len(data.designs)} designs: every combination of the values below, each run with "
            f"the same random numbers (replication <i>r</i> of every design meets the same "
            f"incidents). Changes common to every design (<code>--set</code>): "
            f"{html.escape(common)}. Store: {html.escape(completeness.sentence())}.</p>"
            + table_html(("swept parameter", "values"), values, "text")
            + table_html((*_identity_header(data), "replications"), rows))
    return Section("designs", "Designs and parameters", body)


def _kpi_section(data: SweepData, kpis: Sequence[str], format_value: Formatter) -> Section:
    by_design = {design: rows.set_index("kpi") for design, rows in data.summary.groupby("design", sort=False)}
    tables = []
    for start in range(0, len(kpis), _KPIS_PER_TABLE):
        shown = kpis[start:start + _KPIS_PER_TABLE]
        rows = []
        for design, summary in by_design.items():
            first = summary.iloc[0]
            cells = [_cell(format_value, _short(kpi), summary.loc[kpi] if kpi in summary.index else None)
                     for kpi in shown]
            identity = _identity(data, pd.Series({**first.to_dict(), "design": design}))
            rows.append((*identity, str(int(summary["n"].max())), *cells))
        tables.append(table_html((*_identity_header(data), "reps", *map(_breakable, shown)), rows, "kpis"))
    body = ("<p>Mean over replications (95 % confidence interval) of each design. Definitions: "
            "docs/reference/kpis.md; <code>mimsim sweep --format json</code> or "
            "<code>load_sweep</code> give every KPI.</p>" + "".join(tables))
    return Section("kpis", "KPIs per design", body)


def _surface_caption(data: SweepData, kpi: str, target: Target | None, format_value: Formatter) -> str:
    if len(data.paths) == 1:
        text = (f"{kpi} against {data.paths[0]}: mean over replications with its 95 % confidence band"
                + (f"; dashed line: the target {target_text(target, format_value)}." if target else "."))
    else:
        text = (f"Mean {kpi} over {data.paths[0]} (across) and {data.paths[1]} (up)"
                + (f", one panel per value of {data.paths[2]}" if len(data.paths) > 2 else "")
                + "; each cell gives the mean and its 95 % CI; grey: no data.")
        if target is not None:
            text += (f" Outlined: designs meeting the target {target_text(target, format_value)} — solid "
                     f"where the whole CI meets it, dashed where only the mean does.")
    if target is not None:
        verdicts = [target_verdict(target, float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
                    for _, row in data.summary[data.summary["kpi"] == kpi].iterrows()]
        text += f" {verdicts.count('pass')} of {len(verdicts)} designs meet it with 95 % confidence."
    return text


def _surfaces_section(data: SweepData, kpis: Sequence[str], targets: dict[str, Target],
                      format_value: Formatter) -> Section:
    if not data.paths:
        return Section("surfaces", "Sweep surfaces", "<p>The store records no swept parameters.</p>")
    parts = []
    for kpi in kpis:
        target = targets.get(kpi)
        surface = surface_figure(data.summary, data.paths, kpi, target, format_value)
        heading = html.escape(kpi + (f" (target {target_text(target, format_value)})" if target else ""))
        notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in surface.notes)
        parts.append(f"<h3>{heading}</h3>{notes}" + figure_html(
            surface.figure, f"sweep surface of {kpi}", _surface_caption(data, kpi, target, format_value)))
    return Section("surfaces", "Sweep surfaces", "".join(parts))


def _appendix(data: SweepData, completeness: Completeness) -> Section:
    first = data.designs.iloc[0] if len(data.designs) else None
    facts = [("store", str(data.path)),
             ("scenario file", str(first["scenario_file"]) if first is not None else "–"),
             ("changes common to every design", ", ".join(first["overrides"]) or "none"
              if first is not None else "–"),
             ("seeds", ", ".join(str(s) for s in dict.fromkeys(data.designs["seed"]))),
             ("replications", completeness.sentence()),
             ("wall time of the stored replications",
              f"{float(data.designs['wall_s'].fillna(0).sum()):.1f} s")]
    if completeness.short:
        facts.append(("designs lacking replications", "; ".join(
            f"{name}: {done} of {plan}" for name, done, plan in completeness.short)))
    rows = [(str(row["design"]), str(row["scenario_hash"]), str(row["seed"]),
             f"{row['finished']}" + (f" of {row['planned']}" if pd.notna(row["planned"]) else ""),
             f"{float(row['wall_s']):.1f} s" if pd.notna(row["wall_s"]) else "–",
             str(row["last_finished_at"] or "–"))
            for _, row in data.designs.iterrows()]
    body = (table_html(("what", "value"), facts, "text")
            + "<h3>Designs</h3><p>The scenario hash is the SHA-256 of each design's resolved scenario, as "
              "in run manifests.</p>"
            + table_html(("design", "scenario SHA-256", "seed", "replications", "wall time",
                          "last stored"), rows, "params"))
    return Section("appendix", "Appendix: provenance", body)


def sweep_report(data: SweepData, format_value: Formatter, kpis: Sequence[str],
                 targets: Sequence[Target] = (), notes: Sequence[str] = ()) -> str:
    """The HTML report of a sweep store: ``kpis`` in the table and as surfaces; ``targets`` drawn."""
    completeness = data.completeness()
    by_name = {target.name: target for target in targets}
    sections = [_designs_section(data, completeness), _kpi_section(data, kpis, format_value),
                _surfaces_section(data, kpis, by_name, format_value), _appendix(data, completeness)]
    name = data.path.stem
    lead = html.escape(f"{len(data.designs)} designs over {', '.join(data.paths) or 'no parameters'} — "
                       f"sweep store {data.path}")
    all_notes = [*notes] if completeness.complete else [completeness.sentence(), *notes]
    lead += "".join(f'<br><span class="note">{html.escape(note)}</span>' for note in all_notes)
    return page(f"mimsim sweep: {name}", lead, sections)
