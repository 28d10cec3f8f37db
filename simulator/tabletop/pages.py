"""Tabletop layer: the pages — plain HTML, a style sheet and scripts, with nothing from the network.

The pages only display what the API returns and send what people click or type; the
server checks every input. Text from the scenario or the players is inserted with
``textContent`` (never as HTML). The style and the scripts are separate files under
``/assets/`` so that the Content-Security-Policy can forbid inline code. The layout is
a grid of cards that reflows from one column on a phone to four on a wall screen; a
wide table scrolls inside its card, never the page.
"""

from __future__ import annotations

from simulator.tabletop.console_script import CONSOLE_JS
from simulator.tabletop.scripts import COMMON_JS, INDEX_JS, JOIN_JS, PLAYER_JS, WALL_JS

__all__ = ["ASSETS", "CONSOLE_PAGE", "INDEX_PAGE", "JOIN_PAGE", "PLAYER_PAGE", "WALL_PAGE"]

_STYLE = """
:root { --ink: #1d2433; --muted: #5b6475; --line: #d8dde6; --accent: #1f5fbf; --warn: #b3261e;
        --ok: #1e7b34; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: 10px 18px; display: flex; gap: 6px 18px;
         align-items: baseline; flex-wrap: wrap; position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; min-width: 0; overflow-wrap: anywhere; }
header .clock { font: 600 22px/1 ui-monospace, Menlo, Consolas, monospace; }
header .status { color: #c9d1e0; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 330px), 1fr));
       gap: 14px; padding: 14px 18px; align-items: start; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px;
          min-width: 0; }
section.wide { grid-column: 1 / -1; }
@media (min-width: 760px) { section.double { grid-column: span 2; } }
section h2 { font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
             margin: 0 0 8px; }
.scroll { overflow-x: auto; max-width: 100%; }
.tall { max-height: 28rem; overflow-y: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top;
         overflow-wrap: break-word; }
td.text { overflow-wrap: anywhere; min-width: 10rem; }  /* free text: may break anywhere */
th { color: var(--muted); font-weight: 600; }
.decision { border-left: 4px solid var(--warn); padding: 6px 10px; margin-bottom: 10px;
            background: #fdf3f2; }
.decision p { margin: 0 0 6px; font-weight: 600; }
.decision.theirs { border-left-color: var(--line); background: #f3f4f7; }
.timer { font-variant-numeric: tabular-nums; }
.timer.stopped { color: var(--muted); }
button { font: inherit; white-space: nowrap; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--accent);
         background: var(--accent); color: #fff; cursor: pointer; margin: 2px 4px 2px 0; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--warn); border-color: var(--warn); }
button:disabled { opacity: .5; cursor: default; }
input, select, textarea { font: inherit; padding: 4px 6px; border: 1px solid var(--line);
                          border-radius: 4px; max-width: 100%; }
textarea { width: 100%; min-height: 4.5em; resize: vertical; }
label { display: inline-block; margin: 2px 8px 2px 0; }
#end-message { flex: 1 1 12rem; min-width: 8rem; }
.row { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; margin: 4px 0; }
.muted { color: var(--muted); }
.message { border-left: 3px solid var(--accent); padding: 4px 8px; margin: 6px 0; overflow-wrap: anywhere; }
.error { color: var(--warn); min-height: 1.2em; overflow-wrap: anywhere; }
.kpi { display: grid; grid-template-columns: 1fr auto; gap: 2px 12px; }
.kpi span:nth-child(even) { font-variant-numeric: tabular-nums; font-weight: 600; text-align: right; }
.incident { border: 1px solid var(--line); border-radius: 4px; padding: 8px; margin: 6px 0; }
.due { color: var(--warn); font-weight: 600; }
.banner { grid-column: 1 / -1; background: #e8f5ec; border: 2px solid var(--ok); border-radius: 6px;
          padding: 14px 18px; font-size: 18px; }
.banner strong { color: var(--ok); }
.hidden { display: none; }
.pre { white-space: pre-line; }
.objective { border-left: 3px solid var(--line); padding: 4px 8px; margin: 6px 0; }
.badge { display: inline-block; min-width: 6.5em; font-weight: 600; font-size: 13px; }
.badge.met { color: var(--ok); } .badge.missed { color: var(--warn); } .badge.pending, .badge.observed { color: var(--muted); }
.item { margin: 3px 0 3px 1em; }
.small { font-size: 13px; }
button.small { padding: 1px 8px; }
.wall-clock { font-size: 40px; }
section.wall { font-size: 20px; }
.big { font-size: 34px; color: var(--ink); }
.big-text { font-size: 24px; font-weight: 600; }
.bar-row { display: grid; grid-template-columns: 3em 1fr 4em; align-items: center; gap: 8px; margin: 6px 0; }
.bar { display: block; height: 22px; background: var(--accent); min-width: 2px; border-radius: 3px; }
.bar-row[data-priority="P1"] .bar { background: var(--warn); }
.bar-count { font-variant-numeric: tabular-nums; text-align: right; font-weight: 600; }
.spark { width: 100%; height: 70px; }
.spark polyline { fill: none; stroke: var(--accent); stroke-width: 2; }
.service { padding: 6px 10px; margin: 4px 0; border-radius: 4px; }
.service.up { background: #e8f5ec; } .service.down { background: #fdf3f2; color: var(--warn); }
a { color: var(--accent); }
"""


def _page(title: str, script: str, header: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header>{header}</header>
<main>{body}</main>
<script src="/assets/common.js"></script><script src="/assets/{script}"></script></body></html>
"""


#: An observation: its text, the objective it bears on, how it weighs, the moment it is about.
_OBSERVATION_FORM = """
    <textarea id="note" maxlength="2000" placeholder="What you observe (for the facilitator, the evaluators and the after-action report)"></textarea>
    <div class="row"><label>Objective <select id="note-objective"></select></label>
    <label>It is <select id="note-assessment"><option value="note">a note</option>
      <option value="strength">a strength</option><option value="improvement">an area for improvement</option></select></label>
    <label>About <input id="note-moment" size="6" placeholder="now"> (HH:MM)</label></div>
    <button id="add-note" class="secondary">Add the observation</button>"""

INDEX_PAGE = _page("mimsim tabletop", "index.js",
                   '<h1>mimsim tabletop</h1><span class="status" id="title"></span>',
                   """<section><h2>Rounds</h2><div id="rounds" class="muted">Loading…</div>
<p class="muted">Pick your team's round. The facilitator opens rounds from the console.</p></section>""")

PLAYER_PAGE = _page("mimsim tabletop — players", "player.js", """<h1 id="title">Exercise</h1>
<span class="clock" id="clock">--:--:--</span><span class="status" id="status"></span>
<span class="status" id="team"></span>""", """
  <div id="end-banner" class="banner hidden"></div>
  <section><h2>Decisions</h2><div id="me"></div>
    <div class="error" id="error"></div><div id="decisions" class="muted">Nothing to decide.</div></section>
  <section><h2>Major incidents</h2><div id="incidents" class="muted">None open.</div></section>
  <section><h2>Scoreboard</h2><div id="scoreboard"></div></section>
  <section><h2>Messages</h2><div id="briefing" class="muted pre"></div><div id="messages"></div></section>
  <section class="double"><h2>Updates sent</h2><div id="updates" class="muted">None yet.</div></section>
  <section class="double"><h2>Tickets about the outage</h2><div id="tickets" class="muted tall">None.</div></section>
  <section><h2>Queues</h2><div id="queues"></div></section>
  <section><h2>The team</h2><div id="people" class="muted"></div></section>
  <section class="double"><h2>Objectives</h2><div id="objectives"></div></section>
  <section id="evaluation-card" class="double hidden"><h2>Evaluation</h2><div id="evaluation"></div>
    <h2>Observation</h2>""" + _OBSERVATION_FORM + """
    <div id="observations" class="muted tall"></div></section>
""")

WALL_PAGE = _page("mimsim tabletop — wall screen", "wall.js", """<h1 id="title">Exercise</h1>
<span class="clock wall-clock" id="clock">--:--:--</span><span class="status" id="status"></span>""", """
  <div id="end-banner" class="banner hidden"></div>
  <section class="double wall"><h2>Service desk queue (<span id="desk-team"></span>):
    <span id="desk-total" class="big">0</span> waiting</h2>
    <div id="desk-bars"></div><div id="desk-spark"></div>
    <div id="desk-spark-caption" class="muted small"></div></section>
  <section class="wall"><h2>Services</h2><div id="services"></div>
    <h2>Stakeholder updates</h2><div id="update-timer" class="big-text"></div></section>
  <section class="wall"><h2>Latest messages</h2><div id="messages"></div></section>
  <section class="wide wall"><h2>Objectives</h2><div id="objectives"></div><div class="error" id="error"></div></section>
""")

JOIN_PAGE = _page("mimsim tabletop — join", "join.js", """<h1 id="title">Join</h1>""", """
  <section><h2>Your role</h2><p><b id="role"></b></p><p id="brief" class="muted"></p>
    <div class="row"><label>Your name <input id="name" maxlength="40" autocomplete="name"></label>
    <button id="join" disabled>Join</button></div><div class="error" id="error"></div></section>
""")

CONSOLE_PAGE = _page("mimsim tabletop — facilitator", "console.js", """<h1 id="title">Facilitator console</h1>
<span class="clock" id="clock">--:--:--</span><span class="status" id="status"></span>""", """
  <div id="end-banner" class="banner hidden"></div>
  <section><h2>Rounds</h2><div id="rounds"></div>
    <div class="row"><label>New team <input id="team" maxlength="40" placeholder="team name"></label>
    <label>Seed <input id="seed" size="8" inputmode="numeric" placeholder="default"></label>
    <button id="new-round">Open a round</button></div><div class="error" id="error"></div>
    <div class="row"><label>Your name <input id="facilitator-name" maxlength="40"></label></div></section>
  <section><h2>Clock</h2><div class="row"><span id="holder" class="muted"></span>
    <button id="take-clock" class="secondary hidden">Take the clock</button></div>
    <div class="row"><button id="start">Start</button><button id="pause" class="secondary">Pause</button>
    <button id="step" class="secondary">Step 5 min</button></div>
    <div class="row"><label>Pace <select id="pace"></select></label></div>
    <div class="row"><label>Rewind to <input id="rewind-to" size="6" placeholder="HH:MM"> (today)</label>
    <button id="rewind" class="secondary">Rewind</button></div>
    <div class="row"><input id="end-message" maxlength="500" placeholder="Message to the players (optional)">
    <button id="end" class="danger">End the round</button></div>
    <h2>Debrief</h2><div class="row" id="debrief-links"></div></section>
  <section><h2>Decisions waiting</h2><div id="decisions" class="muted">None.</div></section>
  <section><h2>Scoreboard</h2><div id="scoreboard"></div></section>
  <section class="double"><h2>Injects</h2><div id="injects"></div></section>
  <section><h2>Observations</h2>""" + _OBSERVATION_FORM + """</section>
  <section><h2>The team</h2><div id="people" class="muted"></div></section>
  <section class="double"><h2>Objectives</h2><div id="objectives"></div></section>
  <section class="double"><h2>Join links</h2><div id="links" class="muted">Open a round first.</div></section>
  <section class="double"><h2>Teams compared</h2><div id="compare"></div></section>
  <section class="double"><h2>Against the published timeline</h2><div id="published" class="muted">—</div></section>
  <section class="wide"><h2>Timeline</h2><div id="timeline" class="tall"></div></section>
  <section class="wide"><h2>Facilitator notes</h2><p id="drawn"></p><div id="notes" class="muted pre"></div></section>
""")

#: The static files the pages load: name → (content, media type).
ASSETS: dict[str, tuple[str, str]] = {
    "style.css": (_STYLE, "text/css"),
    "common.js": (COMMON_JS, "text/javascript"),
    "index.js": (INDEX_JS, "text/javascript"),
    "player.js": (PLAYER_JS, "text/javascript"),
    "join.js": (JOIN_JS, "text/javascript"),
    "wall.js": (WALL_JS, "text/javascript"),
    "console.js": (CONSOLE_JS, "text/javascript"),
}
