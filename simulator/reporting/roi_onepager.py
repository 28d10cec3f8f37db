"""Reporting layer: the one-pager of an ROI study, in Markdown and in HTML.

What a CFO reads, in order: the answer in one sentence; the figures as distributions
(median, 5th–95th percentile, the chance of losing money), risk-adjusted beside them
where haircuts were given; how the result compares with published programme ROIs; the
ROI's distribution and the tornado; what drives the benefit; every assumption with its
range and its source, and what was held fixed; how it was computed and what to beware of.
Both renderings carry the same content; the HTML embeds its figures, the Markdown links
to PNG files written beside it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt

from simulator.experiment.roi import RoiResult, generated_by
from simulator.experiment.roi_study import FIGURES, RoiStudy
from simulator.experiment.roi_summary import Distribution
from simulator.reporting.html import Section, figure_html, page, table_html
from simulator.reporting.roi_figures import roi_distribution_figure, study_tornado_figure

__all__ = ["answer", "distribution_rows", "probability", "single_answer", "study_html", "study_markdown",
           "write_study_report"]

_LABELS = {"net_benefit": "Net benefit over {years}", "annual_benefit": "Annual benefit",
           "roi": "ROI over {years}", "payback_years": "Payback (years)"}
_FIGURE_FILES = {"distribution": "roi-distribution.png", "tornado": "roi-tornado.png"}


def _money(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"


def _years(value: float) -> str:
    if math.isinf(value):
        return "never"
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.2g}"


def _show(figure: str, value: float) -> str:
    if figure == "roi":
        return f"{value:.0%}" if math.isfinite(value) else "n/a"
    if figure == "payback_years":
        return _years(value)
    return _money(value)


def _horizon(years: float) -> str:
    return f"{years:g} year{'s' if years != 1 else ''}"


def probability(share: float) -> str:
    """A probability as a percentage that never rounds to a certainty it is not (199 input sets
    of 200 are 99.5 %, not 100 %)."""
    text = f"{share:.0%}"
    if text in ("0%", "100%") and 0.0 < share < 1.0:
        text = f"{share:.1%}" if 0.001 <= share <= 0.999 else ("< 0.1%" if share < 0.5 else "> 99.9%")
    return text


def answer(study: RoiStudy) -> str:
    """The answer in one sentence (it says first whether the case pays)."""
    spread = study.distributions()
    net, roi = spread["net_benefit"], spread["roi"]
    span = f"{_money(net.p5)} to {_money(net.p95)} for 90 % of the input sets"
    loss = f"it loses money in {probability(study.p_loss)} of them"
    horizon = _horizon(study.settings.years)
    if net.median < 0:
        return (f"The case does not pay: over {horizon} the net benefit of {study.improved} over "
                f"{study.baseline} is {_money(net.median)} at the median ({span}); {loss}."
                f"{_provisional(study)}")
    roi_text = f", an ROI of {roi.median:.0%}" if math.isfinite(roi.median) else ""
    return (f"The case pays: over {horizon} the net benefit of {study.improved} over "
            f"{study.baseline} is {_money(net.median)} at the median{roi_text} ({span}); {loss}."
            f"{_provisional(study)}")


def _provisional(study: RoiStudy) -> str:
    """A second sentence when the study stopped with more simulation noise than its target: the
    spread it reports is then partly the simulation's, and the verdict may not survive more
    replications (the warnings say how many)."""
    if not (math.isfinite(study.share) and study.share > study.study.noise_target):
        return ""
    return (f" Provisional: {study.share:.0%} of that spread is simulation noise (target "
            f"{study.study.noise_target:.0%}), so more replications may change the answer.")


def single_answer(result: RoiResult) -> str:
    """The answer of a single ROI (every input at its value) in one sentence."""
    net = result.parts["net_benefit"]
    interval = (f" (95 % CI {_money(net.ci_low)} to {_money(net.ci_high)})"
                if math.isfinite(net.ci_low) else "")
    verdict = "The case does not pay" if net.mean < 0 else "The case pays"
    return (f"{verdict}: over {_horizon(result.settings.years)} the net benefit of "
            f"{result.improved} over {result.baseline} is {_money(net.mean)}{interval}, from "
            f"{result.replications} paired replications with every input at one value.")


@dataclass(frozen=True)
class _Table:
    header: list[str]
    rows: list[list[str]]


def _distribution_table(study: RoiStudy) -> _Table:
    horizon = _horizon(study.settings.years)
    risk = bool(study.study.haircuts)
    header = ["", "median", "5th percentile", "95th percentile"]
    if risk:
        header += ["risk-adjusted median", "risk-adjusted 5th–95th"]
    plain, adjusted = study.distributions(), study.distributions(adjusted=True)
    rows = []
    for figure in FIGURES:
        value: Distribution = plain[figure]
        row = [_LABELS[figure].format(years=horizon), _show(figure, value.median),
               _show(figure, value.p5), _show(figure, value.p95)]
        if risk:
            other = adjusted[figure]
            row += [_show(figure, other.median), f"{_show(figure, other.p5)} – {_show(figure, other.p95)}"]
        rows.append(row)
    adjusted_loss = float((study.adjusted()["net_benefit"] < 0).mean())
    rows.append(["Probability the net benefit is negative", probability(study.p_loss), "", "",
                 *([probability(adjusted_loss), ""] if risk else [])])
    return _Table(header, rows)


def distribution_rows(study: RoiStudy) -> tuple[list[str], list[list[str]]]:
    """The figures' distributions as a header and rows (for the terminal table)."""
    table = _distribution_table(study)
    return table.header, table.rows


def _count(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"


def _breaches(drivers: dict[str, float], role: str) -> float:
    return (drivers[f"{role}_sla_response_breaches_per_year"]
            + drivers[f"{role}_sla_resolution_breaches_per_year"])


def _service_rows(drivers: dict[str, float]) -> list[list[str]]:
    """Per service: downtime minutes a year in and out of business hours, and what it costs."""
    services = sorted({key.split(".")[1] for key in drivers if key.startswith("baseline.")})
    rows = []
    for service in services:
        def get(role: str, name: str, service: str = service) -> float:
            return drivers[f"{role}.{service}.{name}"]

        for name, label in (("business_min_per_year", "minutes down in business hours"),
                            ("other_min_per_year", "minutes down out of hours")):
            rows.append([f"{service}: {label} a year", _count(get("baseline", name)),
                         _count(get("improved", name)),
                         f"{_count(get('baseline', name) - get('improved', name))} avoided"])
        rows.append([f"{service}: downtime cost a year", _money(get("baseline", "cost_per_year")),
                     _money(get("improved", "cost_per_year")),
                     _money(get("baseline", "cost_per_year") - get("improved", "cost_per_year"))])
    return rows


def _drivers_table(study: RoiStudy) -> _Table:
    d = study.drivers
    base, better = study.baseline, study.improved

    def pair(kpi: str, show: Callable[[float], str] = lambda v: f"{v:,.1f}") -> list[str]:
        return [show(d[f"baseline_{kpi}"]), show(d[f"improved_{kpi}"])]

    rows = [
        ["Outages a year (the same outages in both)", *pair("outages_per_year"), ""],
        ["Major incidents declared a year", *pair("major_incidents_per_year"), ""],
        ["Mean restore time (impact → restored), minutes", *pair("mttr_restore_min"), ""],
        *_service_rows(d),
        ["Restore time avoided per outage, minutes", "", "",
         f"{d['restore_min_avoided_per_outage']:,.1f}"],
        ["= downtime cost avoided a year (each minute priced by service and hour)", "", "",
         _money(d["downtime_cost_avoided_per_year"])],
        ["SLA breaches a year (response + resolution)", _count(_breaches(d, "baseline")),
         _count(_breaches(d, "improved")),
         f"penalties avoided {_money(d['sla_penalties_avoided_per_year'])}"],
        ["Incidents a year; avoided by problem management", *pair("arrived_per_year", _count),
         f"{d['improved_incidents_avoided_per_year'] - d['baseline_incidents_avoided_per_year']:,.0f} "
         f"more avoided (not priced: the rosters are the same)"],
        ["− extra staff cost a year (overtime on bridges, rostered hours)", "", "",
         _money(d["staff_cost_difference_per_year"])],
        ["− the process's own costs a year (tooling, training, manager role, ...)", "", "",
         _money(d["process_cost_per_year"])],
        ["One-off cost (implementation, and any investment given)", "", "", _money(d["one_off_cost"])],
    ]
    return _Table(["Per year, every input at its base value", base, better, "benefit"], rows)


def _assumption_table(study: RoiStudy) -> _Table:
    rows = []
    for item in study.inputs:
        kind = "price (re-prices)" if item.spec.kind == "price" else "model (simulated)"
        rows.append([" ".join(item.paths), item.spec.describe(), item.spec.source or "(none given)",
                     kind, " / ".join(item.roles)])
    fixed: dict[tuple[str, str], list[str]] = {}
    for role, prices in study.fixed.items():
        for path, value in prices.items():
            fixed.setdefault((path, repr(value)), []).append(role)
    for (path, _), roles in fixed.items():
        value = study.fixed[roles[0]][path]
        if isinstance(value, dict):
            shown, source = f"{float(value['value']):,.4g}", str(value.get("source") or "")
        else:
            shown, source = f"{float(value):,.4g}", "the scenario's value (no source given)"  # type: ignore[arg-type]
        rows.append([path, f"fixed {shown}", source, "price (fixed)", " / ".join(roles)])
    settings = study.settings
    rows.append(["horizon, discount rate", f"{settings.years:g} years, {settings.discount_rate:.0%}",
                 "given", "case", ""])
    if settings.investment or settings.running_cost:
        rows.append(["investment, running cost a year (besides the scenario's costs)",
                     f"{_money(settings.investment)}, {_money(settings.running_cost)}", "given",
                     "price (fixed)", "improved"])
    return _Table(["Input (the keys it prices; one draw for all)", "Range or value", "Source",
                   "Kind", "Designs"], rows)


def _held_fixed(study: RoiStudy) -> list[str]:
    """Model assumptions that were not ranged (each changes the simulation if it is)."""
    lines = []
    scenario = study.base_scenarios["improved"]
    for name, service in scenario.services.items():
        every = service.failures.every if service.failures is not None else None
        if every is not None:
            lines.append(f"{name}: fails every {every.mean() / 1440:.0f} days on average "
                         f"(`services.{name}.failures.every`)")
    baseline = study.base_scenarios["baseline"]
    on_call = [name for name, team in baseline.teams.items() if team.on_call is not None]
    lines.append(f"the baseline's resolver groups on call out of hours: "
                 f"{', '.join(on_call) or 'none (no process at all)'}")
    lines.append(f"without the process an engineer diagnoses alone "
                 f"{scenario.major_incident.solo_diagnosis_factor:g}× slower than a bridge "
                 f"(`major_incident.solo_diagnosis_factor`)")
    ranged = {item.key for item in study.inputs if item.spec.kind == "model"}
    return [line for line in lines if not any(key in line for key in ranged)]


def _method(study: RoiStudy) -> list[str]:
    model = [item for item in study.inputs if item.spec.kind == "model"]
    share = ("no input varies, so the spread is simulation noise alone"
             if not math.isfinite(study.share) else
             f"{1 - study.share:.0%} of the spread of the net benefit comes from the inputs and "
             f"{study.share:.0%} from simulation noise (target: under {study.study.noise_target:.0%})")
    lines = [
        f"{len(study.per_set)} input sets drawn by Latin hypercube (seed {study.seed}); "
        f"{len(study.inputs) - len(model)} price inputs re-price the same simulated replications, "
        + (f"{len(model)} model inputs take {len(study.configurations) - 1 - 2 * len(model)} "
           f"values of their own, each simulated" if model else "no model input was ranged")
        + f"; {study.replications} paired replications per configuration, common random numbers.",
        f"Split of the spread: {share} — the mean squared standard error of an input set's net "
        f"benefit over its variance across input sets (after Ankenman & Nelson, WSC 2012); each "
        f"set's figures by {study.estimator()}.",
        "ROI = net benefit ÷ the process's cost over the horizon (one-off + yearly costs); "
        "net benefit = annual benefit × years (discounted if a rate is given) − one-off cost; "
        "payback = one-off ÷ annual benefit.",
    ]
    if study.study.haircuts:
        cuts = ", ".join(f"{key} {value:.0%}" for key, value in study.study.haircuts.items())
        lines.append(f"Risk adjustment as in Forrester's TEI: benefits reduced and costs raised by "
                     f"the stated haircuts ({cuts}).")
    return lines


def _markdown_table(table: _Table) -> list[str]:
    def clean(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(clean(name) for name in table.header) + " |",
             "|" + "---|" * len(table.header)]
    lines += ["| " + " | ".join(clean(cell) for cell in row) + " |" for row in table.rows]
    return lines


def study_markdown(study: RoiStudy, figures: dict[str, str] | None = None) -> str:
    """The one-pager in Markdown; ``figures`` maps ``distribution``/``tornado`` to image files."""
    figures = figures if figures is not None else _FIGURE_FILES
    lines = [f"# Return on {study.improved} over {study.baseline}", "", f"**{answer(study)}**", "",
             *_markdown_table(_distribution_table(study)), "", study.plausibility(), ""]
    lines += [f"![ROI of each input set]({figures['distribution']})", "",
              f"![Tornado: net benefit with each input at its 10th and 90th percentile]"
              f"({figures['tornado']})", "", "## What drives the benefit", "",
              *_markdown_table(_drivers_table(study)), "", "## Assumptions", "",
              *_markdown_table(_assumption_table(study)), "", "Held fixed (change the simulation; "
              "range them with `--uncertain` to include them):", "",
              *(f"- {line}" for line in _held_fixed(study)), "", "## How it was computed", "",
              *(f"- {line}" for line in _method(study))]
    if study.warnings:
        lines += ["", "## Before quoting it", "", *(f"- {line}" for line in study.warnings)]
    lines += ["", f"*{generated_by()}.*"]
    return "\n".join(lines) + "\n"


def _html_table(table: _Table) -> str:
    return table_html(table.header, table.rows, classes="text")


def study_html(study: RoiStudy) -> str:
    """The one-pager as one self-contained HTML page."""
    def items(lines: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"

    note = (f'<div class="note">{items(study.warnings)}</div>' if study.warnings else "")
    sections = [
        Section("answer", "The answer", f"<p><strong>{html.escape(answer(study))}</strong></p>"
                + _html_table(_distribution_table(study)) + f"<p>{html.escape(study.plausibility())}</p>"
                + note),
        Section("distribution", "ROI over the input sets", figure_html(
            roi_distribution_figure(study), "Histogram of the ROI of each input set",
            f"Each input set's ROI from its replications ({study.estimator()}); "
            "published programme ROIs are "
            "dashed lines where they fall on the axis, listed at its edge where they fall beyond "
            "it.")),
        Section("tornado", "What it is most sensitive to", figure_html(
            study_tornado_figure(study), "Tornado chart of the net benefit",
            "The net benefit with one input at its 10th or 90th percentile, the others at their "
            "base value.")),
        Section("drivers", "What drives the benefit", _html_table(_drivers_table(study))),
        Section("assumptions", "Assumptions", _html_table(_assumption_table(study))
                + "<p>Held fixed (change the simulation; range them with <code>--uncertain</code> "
                  "to include them):</p>" + items(_held_fixed(study))),
        Section("method", "How it was computed", items(_method(study))),
    ]
    lead = html.escape(f"{generated_by()}. Money in the scenarios' currency.")
    return page(f"Return on {study.improved} over {study.baseline}", lead, sections)


def write_study_report(study: RoiStudy, directory: str | Path) -> list[Path]:
    """Write ``roi.md`` (with its two PNG figures) and ``roi.html`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for key, draw in (("distribution", roi_distribution_figure), ("tornado", study_tornado_figure)):
        figure = draw(study)
        target = directory / _FIGURE_FILES[key]
        figure.savefig(target, dpi=100)
        plt.close(figure)
        written.append(target)
    (directory / "roi.md").write_text(study_markdown(study))
    (directory / "roi.html").write_text(study_html(study))
    return [directory / "roi.md", directory / "roi.html", *written]

