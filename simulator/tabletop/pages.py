"""Tabletop layer: the pages — plain HTML, a style sheet and scripts, with nothing from the network.

The pages only display what the API returns and send what people click or type; the
server checks every input. Text from the scenario or the players is inserted with
``textContent`` (never as HTML). The style and the scripts are separate files under
``/assets/`` so that the Content-Security-Policy can forbid inline code. The layout is
a grid of cards that reflows from one column on a phone to four on a wall screen; a
wide table scrolls inside its card, never the page.
"""

from __future__ import annotations

__all__ = ["ASSETS", "CONSOLE_PAGE", "INDEX_PAGE", "PLAYER_PAGE"]

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
a { color: var(--accent); }
"""

_COMMON_JS = r"""
"use strict";
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "onclick") node.addEventListener("click", value);
    else if (key === "onchange") node.addEventListener("change", value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}
function fill(id, ...children) { const node = document.getElementById(id); node.replaceChildren(...children); }
const shown = {};
function render(id, data, build) {  // rebuild a block only when what it shows changed (clicks survive)
  const key = JSON.stringify(data);
  if (shown[id] === key) return;
  shown[id] = key;
  fill(id, ...[].concat(build(data)));
}
function text(id, value) { document.getElementById(id).textContent = value; }
function table(headers, rows, wrap) {  // wrap: the columns of free text
  const free = new Set(wrap || []);
  return el("div", {class: "scroll"}, el("table", {},
            el("thead", {}, el("tr", {}, ...headers.map(h => el("th", {}, h)))),
            el("tbody", {}, ...rows.map(r => el("tr", {}, ...r.map((c, i) =>
                el("td", free.has(i) ? {class: "text"} : {}, c)))))));
}
const SCORE_LABELS = {outages: "outages", time_to_detect_min: "time to detect (min)",
  time_to_declare_min: "time to declare (min)", time_to_assemble_min: "time to assemble (min)",
  restore_time_min: "restore time (min)", sla_breaches: "SLA breaches",
  updates_sent: "stakeholder updates sent", updates_due: "update windows begun",
  updates_on_cadence: "update windows with an update", downtime_cost: "downtime cost so far"};
function scoreboard(board) {
  const box = el("div", {class: "kpi", id: "scoreboard-values"});
  for (const [key, label] of Object.entries(SCORE_LABELS)) {
    const value = board[key];
    box.append(el("span", {}, label),
               el("span", {"data-kpi": key}, value === null ? "—" :
                  key === "downtime_cost" ? Math.round(value).toLocaleString() : value));
  }
  return box;
}
async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.text();
  let parsed = null;
  try { parsed = JSON.parse(body); } catch (_) { parsed = body; }
  if (!response.ok) throw new Error((parsed && parsed.detail) ?
      (typeof parsed.detail === "string" ? parsed.detail : JSON.stringify(parsed.detail)) : body);
  return parsed;
}
function post(path, body, headers) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json", ...(headers || {})},
                    body: JSON.stringify(body)});
}
function minutesSeconds(seconds) {
  const whole = Math.ceil(seconds);
  return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
}
function timerText(decision) {
  return "The policy answers (" + decision.default + ") in " + minutesSeconds(decision.seconds_left) +
         (decision.timer_running ? "" : " — clock paused: the timer is stopped");
}
function decisionBox(decision, send) {
  const box = el("div", {class: "decision", "data-key": decision.key});
  box.append(el("p", {}, decision.question));
  if (decision.several) {
    const chosen = new Set(decision.default.split(","));
    for (const option of decision.options) {
      const tick = el("input", {type: "checkbox", value: option});
      if (chosen.has(option)) tick.checked = true;
      box.append(el("label", {}, tick, " " + option));
    }
    box.append(el("button", {onclick: () => {
      const picked = [...box.querySelectorAll("input:checked")].map(i => i.value).join(",");
      if (!picked) { box.querySelector(".pick").textContent = "Tick at least one."; return; }
      send(decision.key, picked);
    }}, "Confirm"), el("span", {class: "pick error"}));
  } else {
    for (const option of decision.options) {
      box.append(el("button", {onclick: () => send(decision.key, option),
                               class: option === decision.default ? "" : "secondary"}, option));
    }
  }
  box.append(el("div", {class: "timer" + (decision.timer_running ? "" : " stopped"),
                        "data-timer": decision.key}, timerText(decision)));
  return box;
}
function showDecisions(id, decisions, send, none) {
  const box = document.getElementById(id);
  const shown = [...box.querySelectorAll(".decision")].map(d => d.dataset.key).join("|");
  if (shown === decisions.map(d => d.key).join("|") && decisions.length) {
    for (const d of decisions) {  // keep the boxes (and any ticked choices); update the timers
      const timer = box.querySelector(`[data-timer="${CSS.escape(d.key)}"]`);
      timer.textContent = timerText(d);
      timer.className = "timer" + (d.timer_running ? "" : " stopped");
    }
    return;
  }
  fill(id, ...(decisions.length ? decisions.map(d => decisionBox(d, send)) : [el("span", {class: "muted"}, none)]));
}
function showEnd(state, links) {
  document.getElementById("end-banner").classList.toggle("hidden", !state.end);
  render("end-banner", [state.end, links.map(a => a.href)], ([end]) => end ?
      [el("strong", {}, "Round over at " + end.clock + ". "), end.message, el("div", {class: "row"}, ...links)] : []);
}
function statusText(s) {
  return s.finished ? "round over" : s.decisions.length ? "waiting for a decision" :
         s.running ? "running" : "paused";
}
"""

_INDEX_JS = r"""
"use strict";
async function load() {
  const about = await api("/api/exercise");
  text("title", about.title);
  const rounds = await api("/api/rounds");
  fill("rounds", rounds.length ? table(["team", "clock", ""], rounds.map(r =>
    [r.team, r.clock.slice(11, 19), el("a", {href: "/play/" + r.id}, "play")])) : "No round yet.");
}
load().catch(error => fill("rounds", error.message));
"""

_PLAYER_JS = r"""
"use strict";
const roundId = location.pathname.split("/").pop();
let drafts = "";  // the incidents whose update forms are shown (kept while people type)
function who() { return document.getElementById("who").value.trim() || "player"; }
function fail(error) { fill("error", error.message); }
async function send(key, answer) {
  try { await post(`/api/rounds/${roundId}/decisions`, {key, answer, who: who()}); fill("error"); await refresh(); }
  catch (error) { fail(error); }
}
async function sendUpdate(kase, form) {
  const body = {case: kase, who: who(), audience: form.querySelector("select").value,
                text: form.querySelector("textarea").value.trim()};
  if (!body.text) { fill("error", "Write the update first."); return; }
  try { await post(`/api/rounds/${roundId}/updates`, body); form.querySelector("textarea").value = "";
        fill("error"); await refresh(); }
  catch (error) { fail(error); }
}
function incidentBox(incident, audiences) {
  const form = el("div", {class: "incident", "data-case": incident.case});
  form.append(el("div", {}, el("b", {}, incident.case), " " + incident.service + " · declared " + incident.declared),
    el("div", {class: "cadence"}),
    el("div", {class: "row"}, el("label", {}, "To ", el("select", {}, ...audiences.map(a => el("option", {}, a))))),
    el("textarea", {maxlength: "2000", placeholder: "What is affected, what we are doing, when the next update comes"}),
    el("button", {onclick: () => sendUpdate(incident.case, form)}, "Send stakeholder update"));
  return form;
}
function showIncidents(s) {
  const keys = s.major_incidents.map(i => i.case).join("|");
  if (keys !== drafts) {
    drafts = keys;
    fill("incidents", ...(s.major_incidents.length ? s.major_incidents.map(i => incidentBox(i, s.audiences)) :
         [el("span", {class: "muted"}, "None open.")]));
  }
  for (const incident of s.major_incidents) {
    const box = document.querySelector(`[data-case="${CSS.escape(incident.case)}"] .cadence`);
    box.replaceChildren(incident.update_due_now ? el("span", {class: "due"}, "An update is due now") :
        el("span", {}, "Next update due by " + incident.next_update_due),
        incident.last_update ? " · last sent " + incident.last_update : " · none sent yet");
  }
}
async function refresh() {
  const s = await api(`/api/rounds/${roundId}/state`);
  text("title", s.title);
  text("clock", s.clock.slice(11, 19));
  text("status", statusText(s));
  text("team", "team " + s.team);
  text("briefing", s.briefing);
  showEnd(s, [el("a", {href: `/rounds/${roundId}/debrief`, target: "_blank"}, "Read the debrief"),
              el("a", {href: `/api/rounds/${roundId}/debrief.md`}, "Download it (Markdown)")]);
  showDecisions("decisions", s.decisions, send, s.finished ? "The round is over." : "Nothing to decide.");
  render("scoreboard", s.scoreboard, scoreboard);
  showIncidents(s);
  render("updates", s.updates, updates => updates.length ? table(["time", "incident", "to", "update", "who"],
       updates.slice().reverse().map(u => [u.clock, u.case, u.audience, u.text, u.who]), [3]) : "None yet.");
  render("messages", s.messages, messages => messages.map(m =>
       el("div", {class: "message"}, el("b", {}, m.clock + " "), m.text)));
  render("tickets", [s.outage_tickets, s.open_outage_tickets], ([tickets, count]) => count ? [
       table(["case", "priority", "team", "status", "age (min)"],
             tickets.map(t => [t.case, t.priority, t.team, t.status, t.age_min])),
       count > tickets.length ? el("p", {class: "muted"}, `The oldest ${tickets.length} of ${count} open.`) : ""]
       : "None.");
  render("queues", s.queues, queues => table(["team", "waiting"], Object.entries(queues)));
}
refresh().catch(fail); setInterval(() => refresh().catch(fail), 1000);
"""

_CONSOLE_JS = r"""
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
const headers = {"X-Facilitator-Token": token};
const PACES = [[1/120, "½× real time"], [1/60, "real time (1 min a minute)"], [1/30, "2× real time"],
  [1/12, "5× real time"], [0.25, "15× (15 min a minute)"], [0.5, "30×"], [1, "60× (1 min a second)"],
  [2, "120×"], [5, "300× (5 min a second)"], [15, "900×"], [60, "3600× (1 h a second)"]];
let current = null;
function fail(error) { fill("error", error.message); }
async function act(path, body) {
  try { await post(path, body, headers); fill("error"); await refresh(); } catch (error) { fail(error); }
}
function paceLabel(pace) {
  const known = PACES.find(([value]) => Math.abs(value - pace) < 1e-9);
  return known ? known[1] : (pace * 60).toPrecision(3) + "× real time";
}
function showPace(pace) {
  const select = document.getElementById("pace");
  if (document.activeElement === select) return;
  const options = PACES.some(([value]) => Math.abs(value - pace) < 1e-9) ? PACES : [...PACES, [pace, paceLabel(pace)]];
  if (select.options.length !== options.length)
    select.replaceChildren(...options.map(([value, label]) => el("option", {value: String(value)}, label)));
  select.value = String(options.find(([value]) => Math.abs(value - pace) < 1e-9)[0]);
}
const clockAction = action => extra => act(`/api/rounds/${current}/clock`, {action, ...extra});
document.getElementById("start").onclick = () => clockAction("start")({});
document.getElementById("pause").onclick = () => clockAction("pause")({});
document.getElementById("step").onclick = () => clockAction("step")({minutes: 5});
document.getElementById("pace").onchange = e => {
  const pace = Number(e.target.value);
  if (e.target.value && Number.isFinite(pace) && pace > 0) clockAction("pace")({pace});
};
let today = 0;  // the simulated minute at which the current round's day began
document.getElementById("rewind").onclick = () => {
  const match = /^(\d{1,2}):(\d{2})$/.exec(document.getElementById("rewind-to").value.trim());
  if (!match) { fill("error", "Rewind to a time such as 13:50"); return; }
  clockAction("rewind")({to_minute: today + Number(match[1]) * 60 + Number(match[2])});
};
document.getElementById("end").onclick = () => {
  if (!confirm("End this round for its players?")) return;
  act(`/api/rounds/${current}/end`, {message: document.getElementById("end-message").value.trim()});
};
document.getElementById("add-note").onclick = async () => {
  const note = document.getElementById("note").value.trim();
  if (!note) { fill("error", "Write the note first."); return; }
  await act(`/api/rounds/${current}/notes`, {text: note});
  document.getElementById("note").value = "";
};
document.getElementById("new-round").onclick = async () => {
  try { const made = await post("/api/rounds", {team: document.getElementById("team").value.trim()}, headers);
        current = made.id; fill("error"); await refresh(); } catch (error) { fail(error); }
};
function debriefLinks(id) {
  const query = "?token=" + encodeURIComponent(token);
  return [el("a", {href: `/rounds/${id}/debrief${query}`, target: "_blank", "data-link": "open"}, "Open the debrief"),
          el("a", {href: `/api/rounds/${id}/debrief.md${query}`, "data-link": "markdown"}, "Download (Markdown)"),
          el("a", {href: `/api/rounds/${id}/debrief.html${query}`, "data-link": "html"}, "Download (HTML)")];
}
async function refresh() {
  const rounds = await api("/api/rounds");
  if (current === null && rounds.length) current = rounds[rounds.length - 1].id;
  render("rounds", [rounds, current], () => rounds.length ? table(["team", "clock", "", ""], rounds.map(r => [
      r.team, r.clock.slice(11, 19) + (r.finished ? " (over)" : ""),
      el("button", {class: r.id === current ? "" : "secondary", onclick: () => { current = r.id; refresh().catch(fail); }},
         r.id === current ? "selected" : "select"),
      el("a", {href: "/play/" + r.id, target: "_blank"}, "players' view")])) : "No round yet.");
  const comparison = await api("/api/compare", {headers});
  render("compare", comparison, () => comparison.length ? table(["team", "clock", "detect", "declare", "assemble", "restore",
      "breaches", "updates (windows kept / begun, sent)", "cost"], comparison.map(c => [c.team, c.clock,
      c.time_to_detect_min ?? "—", c.time_to_declare_min ?? "—", c.time_to_assemble_min ?? "—",
      c.restore_time_min ?? "—", c.sla_breaches, `${c.updates_on_cadence}/${c.updates_due}, ${c.updates_sent}`,
      Math.round(c.downtime_cost).toLocaleString()])) : "");
  if (current === null) return;
  const s = await api(`/api/rounds/${current}/state`, {headers});
  text("title", s.title + " — facilitator");
  text("clock", s.clock.slice(11, 19));
  text("status", "team " + s.team + " · " + statusText(s) + " · " + paceLabel(s.pace));
  showPace(s.pace);
  for (const id of ["start", "step", "end"]) document.getElementById(id).disabled = s.finished;
  render("debrief-links", current, debriefLinks);
  showEnd(s, debriefLinks(current));
  today = Math.floor(s.minute / 1440) * 1440;
  showDecisions("decisions", s.decisions,
      (key, answer) => act(`/api/rounds/${current}/decisions`, {key, answer, who: "facilitator"}),
      s.finished ? "The round is over." : "None.");
  render("scoreboard", s.scoreboard, scoreboard);
  render("injects", [current, s.injects], () => table(["inject", "kind", "at", ""], s.injects.map(i => [i.name, i.kind,
      i.at === null ? "on demand" : i.at, i.fired ? "fired" :
      el("button", {class: "secondary", onclick: () => act(`/api/rounds/${current}/injects`, {name: i.name})}, "fire")])));
  render("timeline", s.timeline, () => table(["time", "what", "case", "who"], s.timeline.slice().reverse().map(r =>
      [r.clock, r.kind === "event" ? r.what : r.kind + ": " + r.what, r.case, r.who]), [1]));
  render("published", s.published, () => s.published.length ? table(["published event", "published", "this team", "difference (min)"],
      s.published.map(p => [p.event, p.published, p.team ?? "—",
      p.difference_min === null ? "—" : (p.difference_min >= 0 ? "+" : "") + p.difference_min.toFixed(0)])) : "—");
  text("notes", s.facilitator_notes);
}
refresh().catch(fail); setInterval(() => refresh().catch(fail), 1000);
"""


def _page(title: str, script: str, header: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header>{header}</header>
<main>{body}</main>
<script src="/assets/common.js"></script><script src="/assets/{script}"></script></body></html>
"""


INDEX_PAGE = _page("mimsim tabletop", "index.js",
                   '<h1>mimsim tabletop</h1><span class="status" id="title"></span>',
                   """<section><h2>Rounds</h2><div id="rounds" class="muted">Loading…</div>
<p class="muted">Pick your team's round. The facilitator opens rounds from the console.</p></section>""")

PLAYER_PAGE = _page("mimsim tabletop — players", "player.js", """<h1 id="title">Exercise</h1>
<span class="clock" id="clock">--:--:--</span><span class="status" id="status"></span>
<span class="status" id="team"></span>""", """
  <div id="end-banner" class="banner hidden"></div>
  <section><h2>Decisions</h2>
    <label>Your name <input id="who" value="player" maxlength="40"></label>
    <div class="error" id="error"></div><div id="decisions" class="muted">Nothing to decide.</div></section>
  <section><h2>Major incidents</h2><div id="incidents" class="muted">None open.</div></section>
  <section><h2>Scoreboard</h2><div id="scoreboard"></div></section>
  <section><h2>Messages</h2><div id="briefing" class="muted"></div><div id="messages"></div></section>
  <section class="double"><h2>Updates sent</h2><div id="updates" class="muted">None yet.</div></section>
  <section class="double"><h2>Tickets about the outage</h2><div id="tickets" class="muted tall">None.</div></section>
  <section><h2>Queues</h2><div id="queues"></div></section>
""")

CONSOLE_PAGE = _page("mimsim tabletop — facilitator", "console.js", """<h1 id="title">Facilitator console</h1>
<span class="clock" id="clock">--:--:--</span><span class="status" id="status"></span>""", """
  <div id="end-banner" class="banner hidden"></div>
  <section><h2>Rounds</h2><div id="rounds"></div>
    <div class="row"><label>New team <input id="team" maxlength="40" placeholder="team name"></label>
    <button id="new-round">Open a round</button></div><div class="error" id="error"></div></section>
  <section><h2>Clock</h2>
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
  <section><h2>Injects</h2><div id="injects"></div></section>
  <section><h2>Notes on this moment</h2>
    <textarea id="note" maxlength="2000" placeholder="What you observe (only you see it; it goes in your debrief)"></textarea>
    <button id="add-note" class="secondary">Add the note</button></section>
  <section class="double"><h2>Teams compared</h2><div id="compare"></div></section>
  <section class="double"><h2>Against the published timeline</h2><div id="published" class="muted">—</div></section>
  <section class="wide"><h2>Timeline</h2><div id="timeline" class="tall"></div></section>
  <section class="wide"><h2>Facilitator notes</h2><div id="notes" class="muted"></div></section>
""")

#: The static files the pages load: name → (content, media type).
ASSETS: dict[str, tuple[str, str]] = {
    "style.css": (_STYLE, "text/css"),
    "common.js": (_COMMON_JS, "text/javascript"),
    "index.js": (_INDEX_JS, "text/javascript"),
    "player.js": (_PLAYER_JS, "text/javascript"),
    "console.js": (_CONSOLE_JS, "text/javascript"),
}
