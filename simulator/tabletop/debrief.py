"""Tabletop layer: the debrief — an after-action report draft, in Markdown and in HTML.

It is generated from a round: the scoreboard; each objective with its status and
evidence; the timeline, the team's actions beside the simulated consequences; the
decisions by participant and role, and who did what; the stakeholder updates; what the
same round would have given with the policy's answers (a counterfactual replay with the
same seed, :mod:`~simulator.tabletop.aar`); for a replay of a real outage, the team's
moments set against the published ones; and, for the facilitator, the strengths and
areas for improvement observed, the other observations and an improvement plan in the
HSEEP manner, whose corrective actions, owners and dates the hot wash fills in — a
draft, not a verdict.

Two readers: the facilitator's report holds everything; the players' holds only what
the players may see — the objectives as measured (no checklist, no observation), no
notes, and none of the published timeline still to come. The debrief is built once as
data (:class:`Debrief`) and then written as Markdown or as a self-contained HTML page,
every text escaped for its format.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass
from typing import Literal

from simulator.tabletop.aar import (
    decision_rows,
    improvement_plan,
    objective_rows,
    observation_rows,
    people_rows,
    policy_comparison,
)
from simulator.tabletop.session import Round

__all__ = ["DEBRIEF_STYLE_HASH", "Debrief", "Reader", "build_debrief", "debrief_html",
           "debrief_markdown", "published_comparison"]

Reader = Literal["players", "facilitator"]

_SCORE_LABELS = {
    "outages": "outages", "time_to_detect_min": "time to detect (min)",
    "time_to_declare_min": "time to declare (min)",
    "time_to_assemble_min": "time to assemble (min)", "restore_time_min": "restore time (min)",
    "sla_breaches": "SLA breaches", "updates_sent": "stakeholder updates sent",
    "updates_due": "update windows begun (first at declaration, then each cadence)",
    "updates_on_cadence": "update windows with an update", "downtime_cost": "downtime cost",
}
_DISCUSS = ("What went well", "What to improve")


def _clock(round_: Round, minute: float) -> str:
    moment = round_.scenario.run.start + dt.timedelta(minutes=minute)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Table:
    """A section of the debrief: a heading and a table (``styles``: one per row, how to mark it)."""

    heading: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    styles: tuple[str, ...] = ()
    empty: str = "nothing yet"
    note: str = ""  # a sentence under the heading


@dataclass(frozen=True)
class Debrief:
    """A round's review draft, as data."""

    title: str
    intro: str
    summary: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]


def published_comparison(round_: Round, reader: Reader = "facilitator") -> list[dict[str, object]]:
    """Each published moment against the team's: the same event's first time in the round
    (for the players, only the moments the clock has passed)."""
    timeline = round_.timeline(notes=False)
    rows = []
    for moment in round_.exercise.published_timeline:
        if reader == "players" and moment.at > round_.minute:
            continue
        ours = next((row["minute"] for row in timeline
                     if row["kind"] == "event" and row["what"] == moment.activity), None)
        rows.append({"event": moment.event, "published_min": moment.at, "team_min": ours,
                     "difference_min": None if ours is None else float(ours) - moment.at})
    return rows


def _who(round_: Round, row: dict[str, object]) -> str:
    """Who took an action, with their role's title (the facilitator's and the policy's as named)."""
    role = str(row.get("role") or "")
    titles = round_.exercise.roles
    return str(row["who"]) + (f" ({titles[role].title if role in titles else role})" if role else "")


def _timeline_table(round_: Round, reader: Reader) -> Table:
    """The team's actions beside the simulated consequences, in the order they happened."""
    timeline = round_.timeline(notes=reader == "facilitator")
    team = ("decision", "update", "note", "checklist", "end", "clock")
    rows = tuple((_clock(round_, row["minute"]),
                  str(row["what"]) if row["kind"] in team else "",
                  "" if row["kind"] in team else str(row["what"]),
                  str(row["case"]), _who(round_, row))
                 for row in timeline)
    return Table("Timeline", ("time", "the team", "the simulation", "case", "who"), rows,
                 tuple(str(row["kind"]) for row in timeline))


def _observation_tables(round_: Round) -> list[Table]:
    headers = ("moment", "observation", "objective", "who")
    return [Table("Strengths", headers, observation_rows(round_, "strength"), empty="none noted"),
              Table("Areas for improvement", headers, observation_rows(round_, "improvement"),
                    empty="none noted"),
              Table("Observations and facilitator's notes", headers, observation_rows(round_, "note"),
                    empty="no note"),
              Table("Improvement plan", ("capability", "objective", "area for improvement",
                                         "corrective action", "responsible", "start date",
                                         "completion date"),
                    improvement_plan(round_), empty="no area for improvement noted",
                    note="One row per area for improvement observed and per objective missed; the "
                         "corrective actions, owners and dates are for the hot wash to fill.")]


def build_debrief(round_: Round, reader: Reader = "facilitator",
                  people: tuple[tuple[str, str], ...] = ()) -> Debrief:
    """The after-action report draft of a round for one reader (``people``: who joined it,
    as (name, role))."""
    exercise = round_.exercise
    state = (f"The round ended at {_clock(round_, round_.end.minute)}: {round_.end.message}"
             if round_.end is not None else
             f"The round is in progress: simulated clock at {_clock(round_, round_.minute)}.")
    drawn = "; ".join(f"{item.draw}: {item.piece.name}" for item in round_.drawn)
    intro = (f"Team {round_.team}, scenario {round_.scenario.name}, seed {round_.seed}"
             f"{f' (drawn: {drawn})' if drawn and reader == 'facilitator' else ''}. {state} "
             f"Generated by mimsim from the exercise's event log and record"
             f"{'' if reader == 'facilitator' else ' (the players’ copy)'}.")
    summary = tuple((_SCORE_LABELS.get(key, key.replace("_", " ")), "—" if value is None else
                     f"{value:,.0f}" if key == "downtime_cost" else str(value))
                    for key, value in round_.scoreboard().items())
    objectives = objective_rows(round_, reader == "facilitator")
    tables = [
        Table("Objectives", ("objective", "capability", "status", "evidence"), objectives,
              tuple(row[2] for row in objectives), empty="the exercise states no objectives"),
        _timeline_table(round_, reader),
        Table("Decisions by participant", ("participant", "role", "simulated time", "question",
                                           "answer"),
              decision_rows(round_), empty="no decision taken yet"),
        Table("Who did what", ("participant", "role", "decisions", "updates", "observations"),
              people_rows(round_, list(people)), empty="nobody joined"),
        Table("Stakeholder updates", ("simulated time", "major incident", "audience", "update",
                                      "who"),
              tuple((_clock(round_, r.minute), r.case, r.audience, r.text, r.who)
                    for r in round_.updates), empty="no update sent"),
        Table("With the policy's answers", ("measure", "this team", "the policy's answers",
                                            "difference"), policy_comparison(round_),
              note="The same scenario, seed and draw, the facilitator's interventions at the same "
                   "minutes, every question answered at once by the scenario's policy, played to "
                   "the same minute (stakeholder updates are not replayed)."),
    ]
    comparison = published_comparison(round_, reader)
    if exercise.published_timeline and (comparison or reader == "facilitator"):
        tables.append(Table(
            "Against the published timeline",
            ("published event", "published", "this team", "difference (min)"),
            tuple((str(row["event"]), _clock(round_, float(row["published_min"])),  # type: ignore[arg-type]
                   "—" if row["team_min"] is None else _clock(round_, float(row["team_min"])),  # type: ignore[arg-type]
                   "—" if row["difference_min"] is None else f"{row['difference_min']:+.0f}")
                  for row in comparison)))
    if reader == "facilitator":
        tables += _observation_tables(round_)
    return Debrief(f"After-action report (draft): {exercise.title}", intro, summary,
                   tuple(tables))


# -- Markdown ----------------------------------------------------------------------------------
# Characters Markdown would read as markup (an underscore only at a word's edge: inside a word,
# as in ``incident_commanders-1``, it is literal).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|#])|(?<![A-Za-z0-9])(_)|(_)(?![A-Za-z0-9])")


def _md(text: str) -> str:
    """Text as Markdown shows it literally (one line; no emphasis, link, HTML or cell break)."""
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), " ".join(text.split()))


def _md_cell(text: str, style: str, column: int) -> str:
    mark = {"decision": "**", "inject": "*", "end": "**"}.get(style, "") if column == 1 else ""
    return f"{mark}{_md(text)}{mark}"


def debrief_markdown(round_: Round, reader: Reader = "facilitator",
                     people: tuple[tuple[str, str], ...] = ()) -> str:
    """The after-action report draft of a round, in Markdown."""
    debrief = build_debrief(round_, reader, people)
    lines = [f"# {_md(debrief.title)}", "", _md(debrief.intro), "", "## Summary", ""]
    lines += [f"- {_md(label)}: {_md(value)}" for label, value in debrief.summary]
    for table in debrief.tables:
        lines += ["", f"## {_md(table.heading)}", ""]
        if table.note:
            lines += [_md(table.note), ""]
        lines += ["| " + " | ".join(_md(h) for h in table.headers) + " |",
                  "|" + "---|" * len(table.headers)]
        styles = table.styles or ("",) * len(table.rows)
        lines += ["| " + " | ".join(_md_cell(cell, style, column)
                                    for column, cell in enumerate(row)) + " |"
                  for row, style in zip(table.rows, styles, strict=True)]
        if not table.rows:
            lines.append(f"| — {_md(table.empty)} |" + " |" * (len(table.headers) - 1))
    if reader == "players":
        for heading in _DISCUSS:
            lines += ["", f"## {heading}", "", "- (to discuss)"]
    return "\n".join([*lines, ""])


# -- HTML --------------------------------------------------------------------------------------
DEBRIEF_STYLE = """
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: #1d2433;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d8dde6; vertical-align: top;
         overflow-wrap: break-word; }
td:nth-child(2) { overflow-wrap: anywhere; }  /* what happened, the question, the update: free text */
th { color: #5b6475; }
tr.decision td:nth-child(2), tr.end td:nth-child(2) { font-weight: 600; }
tr.inject td:nth-child(2) { font-style: italic; }
tr.note td { background: #fff8e1; } tr.update td { background: #eef4fc; }
tr.met td:nth-child(3) { color: #1e7b34; font-weight: 600; }
tr.missed td:nth-child(3) { color: #b3261e; font-weight: 600; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }
dt { color: #5b6475; } dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
.muted { color: #5b6475; }
@media print { body { max-width: none; } }
"""
#: The CSP source that lets the browser apply the debrief's own (inline) style and no other.
DEBRIEF_STYLE_HASH = "'sha256-" + base64.b64encode(
    hashlib.sha256(DEBRIEF_STYLE.encode()).digest()).decode() + "'"


def debrief_html(round_: Round, reader: Reader = "facilitator",
                 people: tuple[tuple[str, str], ...] = ()) -> str:
    """The after-action report draft of a round, as one self-contained HTML page (no script,
    no network)."""
    debrief = build_debrief(round_, reader, people)
    escape = html.escape
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(debrief.title)}</title><style>{DEBRIEF_STYLE}</style></head><body>",
             f"<h1>{escape(debrief.title)}</h1>", f'<p class="muted">{escape(debrief.intro)}</p>',
             "<h2>Summary</h2><dl>"]
    parts += [f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in debrief.summary]
    parts.append("</dl>")
    for table in debrief.tables:
        parts.append(f"<h2>{escape(table.heading)}</h2>")
        if table.note:
            parts.append(f'<p class="muted">{escape(table.note)}</p>')
        parts += ["<table><thead><tr>",
                  *(f"<th>{escape(header)}</th>" for header in table.headers),
                  "</tr></thead><tbody>"]
        styles = table.styles or ("",) * len(table.rows)
        parts += [f'<tr class="{escape(style)}">' + "".join(f"<td>{escape(cell)}</td>" for cell in row)
                  + "</tr>" for row, style in zip(table.rows, styles, strict=True)]
        if not table.rows:
            parts.append(f'<tr><td colspan="{len(table.headers)}" class="muted">'
                         f"{escape(table.empty)}</td></tr>")
        parts.append("</tbody></table>")
    if reader == "players":
        for heading in _DISCUSS:
            parts.append(f'<h2>{heading}</h2><p class="muted">(to discuss)</p>')
    parts.append("</body></html>")
    return "\n".join(parts)
