"""Reporting layer: the report's appendix, following the STRESS-DES reporting checklist.

STRESS-DES (Monks et al. 2019, *Journal of Simulation* 13(1)) lists what a
report of a discrete-event simulation study must state so that others can
repeat it. Everything here comes from the run directory's manifest: the
scenario's every parameter, the warm-up and how it was checked, run length,
replications and how their number was chosen, the random-number streams,
software versions, machine and wall time.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.reporting.html import table_html
from simulator.scenario.units import format_duration

__all__ = ["appendix_html", "parameter_differences"]


def _duration(minutes: object) -> str:
    return format_duration(float(minutes)) if isinstance(minutes, int | float) else "unknown"


def _warmup(manifest: Mapping[str, Any]) -> str:
    configured = manifest.get("warmup_min")
    text = (f"The warm-up is {_duration(configured)} (the scenario's <code>run.warmup</code>): "
            f"incidents arriving before its end are left out of every incident KPI, and team and "
            f"outage KPIs are measured from its end.")
    check = manifest.get("warmup_check")
    if isinstance(check, dict):
        verdict = ("shorter than that (the note <code>mimsim run</code> printed; see "
                   "<code>mimsim warmup</code>)"
                   if check.get("too_short") else "long enough by that measure")
        text += (f" Checked on this run's own backlog with {check.get('method', 'MSER-5')} "
                 f"({check.get('period')}ly means over the replications): it suggests "
                 f"{_duration(check.get('suggested_min'))}, and warm-ups from "
                 f"{_duration(check.get('adequate_from_min'))} are within 25 % of its minimum; the "
                 f"configured warm-up is {verdict}.")
    if any(key.startswith("initial_backlog") for key, _ in manifest.get("parameters", [])):
        text += " The run starts from an initial backlog of open tickets (listed in the parameters)."
    return text


def _replications(manifest: Mapping[str, Any]) -> str:
    finished = manifest.get("replications_finished", [])
    text = f"{len(finished)} replications"
    rule = manifest.get("replications_rule")
    if isinstance(rule, dict):
        text += (f", chosen by the replications algorithm of Hoad, Robinson & Davies (2010): "
                 f"{rule.get('reason')}")
    else:
        text += ", a fixed number (the scenario's <code>run.replications</code> or <code>-r</code>)"
    return (text + ". Each KPI is the mean over replications with a 95 % confidence interval "
            "from Student's t (n − 1 degrees of freedom).")


def _versions(manifest: Mapping[str, Any]) -> str:
    versions = manifest.get("versions", {})
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def _checklist(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    machine = manifest.get("machine", {})
    horizon, warmup = manifest.get("horizon_min"), manifest.get("warmup_min")
    measured = (format_duration(float(horizon) - float(warmup))
                if isinstance(horizon, int | float) and isinstance(warmup, int | float) else "unknown")
    overrides = manifest.get("overrides") or []
    wall = manifest.get("wall_s")
    return [
        ("1.1 Objectives", html.escape(str(manifest.get("description") or "(no description)"))),
        ("2.1 Model logic", "The process diagram in the section “Process” (drawn from the scenario), "
                            "and docs/model.md (how the model works)."),
        ("3.3 Input parameters", "Every parameter of the resolved scenario below (defaults included, "
                                 "<code>extends</code> and overrides applied)."),
        ("Scenario file", html.escape(f"{manifest.get('scenario_file') or '(given in Python)'} — "
                                      f"SHA-256 of its resolved content {manifest.get('scenario_hash')}")),
        ("Overrides", html.escape(", ".join(overrides)) if overrides else "none"),
        ("4.1 Initialisation (warm-up)", _warmup(manifest)),
        ("4.2 Run length", f"{_duration(horizon)} from {html.escape(str(manifest.get('start')))}, of "
                           f"which {measured} are measured after the warm-up"),
        ("4.3 Estimation approach", _replications(manifest)),
        ("5.1 Software", html.escape(_versions(manifest)) + "; SimPy discrete-event simulation"),
        ("5.2 Random sampling", html.escape(f"root seed {manifest.get('seed')}; "
                                            f"{manifest.get('random_streams')}")),
        ("5.3 Model execution", html.escape(f"{manifest.get('executor')}; command: "
                                            f"{manifest.get('command')}")),
        ("5.4 System specification", html.escape(f"{machine.get('platform')}, {machine.get('processor')}, "
                                                 f"{machine.get('cores')} cores")),
        ("Wall time", f"{wall} s for the whole run, started {html.escape(str(manifest.get('started_at')))}"
                      if wall is not None else "unknown"),
        ("6 Code access", "mimsim " + html.escape(str(manifest.get("versions", {}).get("mimsim", "?")))
                          + " (open source, MIT licence)"),
    ]


def parameter_differences(manifests: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """Parameters whose value differs between designs: (key, value in each design)."""
    tables = {name: dict(manifest.get("parameters", [])) for name, manifest in manifests.items()}
    keys = list(dict.fromkeys(key for table in tables.values() for key in table))
    rows = []
    for key in keys:
        values = [table.get(key, "(not set)") for table in tables.values()]
        if len(set(values)) > 1 and key not in ("name", "description"):
            rows.append((key, *values))
    return rows


def appendix_html(manifest: Mapping[str, Any], extra: Sequence[tuple[str, str]] = ()) -> str:
    """The STRESS-DES appendix of one run: the checklist, then every parameter."""
    rows = [*_checklist(manifest), *extra]
    checklist = table_html(("STRESS-DES item", "this run"),
                           [(html.escape(item), text) for item, text in rows], "text", raw=True)
    parameters = manifest.get("parameters", [])
    listing = (table_html(("parameter", "value"), [(str(k), str(v)) for k, v in parameters], "params")
               if parameters else "<p>This run directory's manifest does not list the parameters "
                                  "(it was written by an older mimsim).</p>")
    if manifest.get("interrupted"):
        checklist = ('<p class="note">This run was interrupted: the results use the replications '
                     "that finished.</p>" + checklist)
    elif manifest.get("state") == "running":  # written at the start; a killed run never ended it
        checklist = ('<p class="note">This run did not finish (its manifest says it was still '
                     "running: the process was killed, or is still running): the results use the "
                     "replications in the directory.</p>" + checklist)
    return (checklist + f"<h3>Every parameter ({len(parameters)})</h3><details open><summary>The "
                        f"{len(parameters)} parameters of the resolved scenario</summary>{listing}"
                        f"</details>")
