"""Tabletop layer: the pages — plain HTML, a style sheet and scripts, with nothing from the network.

The pages only display what the API returns and send what people click or type; the
server checks every input. Text from the scenario or the players is inserted with
``textContent`` (never as HTML). The style and the scripts are separate files under
``/assets/`` so that the Content-Security-Policy can forbid inline code. The layout is
a grid of cards that reflows from one column on a phone to four on a wall screen; a
wide table scrolls inside its card, never the page.
"""

from __future__ import annotations

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
  const box = el("div", {class: "decision" + (decision.mine === false ? " theirs" : ""), "data-key": decision.key});
  box.append(el("p", {}, decision.question));
  if (decision.mine === false) {
    box.append(el("div", {class: "muted owner"}, "For " + decision.owner + " to answer."));
  } else if (decision.several) {
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
  const signature = list => list.join("|");
  const shown = signature([...box.querySelectorAll(".decision")].map(d => d.dataset.key + (d.classList.contains("theirs") ? "-" : "")));
  if (shown === signature(decisions.map(d => d.key + (d.mine === false ? "-" : ""))) && decisions.length) {
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
const STATUS_MARK = {met: "✓ met", missed: "✗ missed", pending: "… pending", observed: "○ observed"};
function badge(status) { return el("span", {class: "badge " + status}, STATUS_MARK[status] || status); }
function objectivesBlock(objectives, mark) {  // mark(objective, item, verdict): evaluators only
  if (!objectives.length) return [el("span", {class: "muted"}, "This exercise states no objectives.")];
  return objectives.map(o => {
    const box = el("div", {class: "objective", "data-objective": o.name},
      el("div", {}, badge(o.status), " ", el("b", {}, o.text)),
      ...o.parts.map(p => el("div", {class: "muted small"}, p.measure + ": " + p.status + " — " + p.evidence)));
    for (const [index, item] of (o.checklist || []).entries()) {
      const row = el("div", {class: "item", "data-item": String(index)}, badge(item.status),
                     " " + item.text + (item.who ? " (" + item.who + ")" : ""));
      if (mark) row.append(" ", el("button", {class: "secondary small", onclick: () => mark(o.name, index, "met")}, "met"),
                           el("button", {class: "secondary small", onclick: () => mark(o.name, index, "missed")}, "missed"));
      box.append(row);
    }
    return box;
  });
}
function objectiveChoices(objectives) {  // the observation form's list of objectives (made once)
  const select = document.getElementById("note-objective");
  if (select.options.length === objectives.length + 1) return;
  select.replaceChildren(el("option", {value: ""}, "(no objective in particular)"),
                         ...objectives.map(o => el("option", {value: o.name}, o.name)));
}
function observation(minute) {  // the observation form's content, or a message saying what is missing
  const text = document.getElementById("note").value.trim();
  if (!text) return "Write the observation first.";
  const body = {text, objective: document.getElementById("note-objective").value,
                assessment: document.getElementById("note-assessment").value};
  const at = document.getElementById("note-moment").value.trim();
  if (at) {
    const match = /^(\d{1,2}):(\d{2})$/.exec(at);
    if (!match) return "Give the moment as a time such as 13:50 (or leave it empty: now).";
    let moment = Math.floor(minute / 1440) * 1440 + Number(match[1]) * 60 + Number(match[2]);
    if (moment > minute) moment -= 1440;  // a time after now is yesterday's
    body.moment = moment;
  }
  return body;
}
function clearObservation() { for (const id of ["note", "note-moment"]) document.getElementById(id).value = ""; }
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
const tokenKey = "mimsim-player-" + roundId;
let me = null;  // {name, role, title} once joined
let drafts = "";  // the incidents whose update forms are shown (kept while people type)
function playerHeaders() { const token = localStorage.getItem(tokenKey); return token ? {"X-Player-Token": token} : {}; }
function fail(error) { fill("error", error.message); }
async function whoAmI() {
  if (!localStorage.getItem(tokenKey)) return null;
  try { return await api(`/api/rounds/${roundId}/me`, {headers: playerHeaders()}); }
  catch (_) { localStorage.removeItem(tokenKey); return null; }  // a token of another database
}
async function send(key, answer) {
  try { await post(`/api/rounds/${roundId}/decisions`, {key, answer}, playerHeaders()); fill("error"); await refresh(); }
  catch (error) { fail(error); }
}
async function sendUpdate(kase, form) {
  const body = {case: kase, audience: form.querySelector("select").value,
                text: form.querySelector("textarea").value.trim()};
  if (!body.text) { fill("error", "Write the update first."); return; }
  try { await post(`/api/rounds/${roundId}/updates`, body, playerHeaders()); form.querySelector("textarea").value = "";
        fill("error"); await refresh(); }
  catch (error) { fail(error); }
}
function roleTitle(s, name) {
  const role = s.roles.find(r => r.name === name);
  return role ? role.title : name === "facilitator" ? "the facilitator" : name;
}
function myRole(s) { return me ? s.roles.find(r => r.name === me.role) : null; }
function incidentBox(incident, audiences, writes) {
  const form = el("div", {class: "incident", "data-case": incident.case});
  form.append(el("div", {}, el("b", {}, incident.case), " " + incident.service + " · declared " + incident.declared),
              el("div", {class: "cadence"}));
  if (writes) form.append(
    el("div", {class: "row"}, el("label", {}, "To ", el("select", {}, ...audiences.map(a => el("option", {}, a))))),
    el("textarea", {maxlength: "2000", placeholder: "What is affected, what we are doing, when the next update comes"}),
    el("button", {onclick: () => sendUpdate(incident.case, form)}, "Send stakeholder update"));
  return form;
}
function showIncidents(s) {
  const role = myRole(s);
  const writes = Boolean(role && role.sends_updates);
  const keys = s.major_incidents.map(i => i.case).join("|") + (writes ? "+" : "");
  if (keys !== drafts) {
    drafts = keys;
    fill("incidents", ...(s.major_incidents.length ? s.major_incidents.map(i => incidentBox(i, s.audiences, writes)) :
         [el("span", {class: "muted"}, "None open.")]));
  }
  for (const incident of s.major_incidents) {
    const box = document.querySelector(`[data-case="${CSS.escape(incident.case)}"] .cadence`);
    box.replaceChildren(incident.update_due_now ? el("span", {class: "due"}, "An update is due now") :
        el("span", {}, "Next update due by " + incident.next_update_due),
        incident.last_update ? " · last sent " + incident.last_update : " · none sent yet");
  }
}
function showMe(s) {
  const role = myRole(s);
  render("me", [me, role && role.brief], () => me ? [el("b", {}, me.name), " · " + me.title,
      role && role.brief ? el("p", {class: "muted"}, role.brief) : ""]
    : [el("b", {}, "You are watching."), " To take part, open the join link the facilitator gave your role."]);
  text("team", "team " + s.team + (me ? " · " + me.name + ", " + me.title : " · watching"));
  render("people", [s.people, s.roles], () => s.people.length ? table(["who", "role"],
      s.people.map(p => [p.name, roleTitle(s, p.role)])) : "Nobody has joined yet.");
}
function mine(s) {
  return s.decisions.map(d => ({...d, mine: Boolean(me) && d.role === me.role, owner: roleTitle(s, d.role)}));
}
async function refresh() {
  const s = await api(`/api/rounds/${roundId}/state`);
  text("title", s.title);
  text("clock", s.clock.slice(11, 19));
  text("status", statusText(s));
  text("briefing", s.briefing);
  showMe(s);
  showEnd(s, [el("a", {href: `/rounds/${roundId}/debrief`, target: "_blank"}, "Read the debrief"),
              el("a", {href: `/api/rounds/${roundId}/debrief.md`}, "Download it (Markdown)")]);
  showDecisions("decisions", mine(s), send, s.finished ? "The round is over." : "Nothing to decide.");
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
  render("objectives", s.objectives, objectivesBlock);
  const role = myRole(s);
  document.getElementById("evaluation-card").classList.toggle("hidden", !(role && role.evaluates));
  if (role && role.evaluates) await showEvaluation(s);
}
async function mark(objective, item, verdict) {
  try { await post(`/api/rounds/${roundId}/checklist`, {objective, item, verdict}, playerHeaders()); fill("error");
        await refresh(); } catch (error) { fail(error); }
}
let lastMinute = 0;
async function showEvaluation(s) {
  lastMinute = s.minute;
  const evaluation = await api(`/api/rounds/${roundId}/evaluation`, {headers: playerHeaders()});
  objectiveChoices(evaluation.objectives);
  render("evaluation", evaluation.objectives, objectives => objectivesBlock(objectives, mark));
  render("observations", evaluation.observations, notes => notes.length ? table(["about", "observation", "who", "objective"],
      notes.slice().reverse().map(n => [n.about, n.text + (n.assessment === "note" ? "" : " [" + n.assessment + "]"), n.who, n.objective]), [1])
      : "None yet.");
}
document.getElementById("add-note").onclick = async () => {
  const body = observation(lastMinute);
  if (typeof body === "string") { fill("error", body); return; }
  try { await post(`/api/rounds/${roundId}/notes`, body, playerHeaders()); clearObservation(); fill("error"); await refresh(); }
  catch (error) { fail(error); }
};
whoAmI().then(found => { me = found; return refresh(); }).catch(fail);
setInterval(() => refresh().catch(fail), 1000);
"""

_WALL_JS = r"""
"use strict";
const roundId = location.pathname.split("/").pop();
const history = [];  // the desk's queue, one sample a second (the storm, as it builds)
const SVG = "http://www.w3.org/2000/svg";
function spark(values) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 300 60");
  svg.setAttribute("class", "spark");
  svg.setAttribute("preserveAspectRatio", "none");
  const top = Math.max(1, ...values);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", values.map((v, i) => `${(i * 300 / Math.max(1, values.length - 1)).toFixed(1)},${(58 - v * 56 / top).toFixed(1)}`).join(" "));
  svg.append(line);
  return svg;
}
function queueBars(queue) {
  const top = Math.max(1, ...Object.values(queue));
  return Object.entries(queue).map(([priority, count]) => el("div", {class: "bar-row", "data-priority": priority},
    el("span", {class: "bar-label"}, priority), el("span", {class: "bar"}, ""),
    el("span", {class: "bar-count"}, String(count))));
}
function updateTimer(minutes) {
  if (minutes === null) return el("span", {class: "muted"}, "no major incident open");
  if (minutes <= 0) return el("span", {class: "due"}, "stakeholder update due now");
  return el("span", {}, "next stakeholder update due in " + Math.ceil(minutes) + " min");
}
async function refresh() {
  const s = await api(`/api/rounds/${roundId}/state`);
  text("title", s.title + " — team " + s.team);
  text("clock", s.clock.slice(11, 19));
  text("status", statusText(s));
  const queue = s.wall.desk_queue;
  const total = Object.values(queue).reduce((a, b) => a + b, 0);
  history.push(total);
  if (history.length > 600) history.shift();
  text("desk-total", String(total));
  text("desk-team", s.wall.desk_team);
  render("desk-bars", queue, queueBars);
  const top = Math.max(1, ...Object.values(queue));
  for (const row of document.querySelectorAll("#desk-bars .bar-row")) {  // widths: no inline style attribute
    row.querySelector(".bar").style.width = (queue[row.dataset.priority] * 100 / top) + "%";
  }
  fill("desk-spark", spark(history));
  render("services", s.wall.services, services => services.map(v => el("div", {class: "service " + (v.up ? "up" : "down"),
      "data-service": v.name}, el("b", {}, v.name), " " + (v.up ? "up" : "DOWN since " + v.since))));
  render("update-timer", s.wall.next_update_in_min, updateTimer);
  render("objectives", s.objectives, objectivesBlock);
  render("messages", s.messages.slice(-3), messages => messages.slice().reverse().map(m =>
       el("div", {class: "message"}, el("b", {}, m.clock + " "), m.text)));
  document.getElementById("end-banner").classList.toggle("hidden", !s.end);
  render("end-banner", s.end, end => end ? [el("strong", {}, "Round over at " + end.clock + ". "), end.message] : []);
}
refresh().catch(error => fill("error", error.message));
setInterval(() => refresh().catch(error => fill("error", error.message)), 1000);
"""

_JOIN_JS = r"""
"use strict";
const [, , roundId, role] = location.pathname.split("/");
const key = new URLSearchParams(location.search).get("key") || "";
async function load() {
  const about = await api(`/api/rounds/${roundId}/roles/${encodeURIComponent(role)}?key=${encodeURIComponent(key)}`);
  text("title", "Join team " + about.team);
  text("role", about.title);
  text("brief", about.brief);
  document.getElementById("join").disabled = false;
}
document.getElementById("join").onclick = async () => {
  const name = document.getElementById("name").value.trim();
  if (!name) { fill("error", "Write your name first."); return; }
  try {
    const joined = await post(`/api/rounds/${roundId}/join`, {role, key, name});
    localStorage.setItem("mimsim-player-" + roundId, joined.token);
    location.assign(`/play/${roundId}`);
  } catch (error) { fill("error", error.message); }
};
load().catch(error => { fill("error", error.message); });
"""

_CONSOLE_JS = r"""
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
function consoleId() {  // this browser's console (the one that may hold a round's clock)
  let id = localStorage.getItem("mimsim-console");
  if (!id) {
    id = [...crypto.getRandomValues(new Uint8Array(12))].map(b => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("mimsim-console", id);
  }
  return id;
}
const nameBox = document.getElementById("facilitator-name");
nameBox.value = localStorage.getItem("mimsim-facilitator-name") || "facilitator";
nameBox.onchange = () => { localStorage.setItem("mimsim-facilitator-name", nameBox.value.trim() || "facilitator"); };
const headers = {"X-Facilitator-Token": token, "X-Console": consoleId()};
Object.defineProperty(headers, "X-Facilitator-Name", {enumerable: true,
  get: () => encodeURIComponent(nameBox.value.trim() || "facilitator")});
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
let nowMinute = 0;
document.getElementById("add-note").onclick = async () => {
  const body = observation(nowMinute);
  if (typeof body === "string") { fill("error", body); return; }
  await act(`/api/rounds/${current}/notes`, body);
  clearObservation();
};
const markItem = (objective, item, verdict) => act(`/api/rounds/${current}/checklist`, {objective, item, verdict});
document.getElementById("new-round").onclick = async () => {
  const body = {team: document.getElementById("team").value.trim()};
  const seed = document.getElementById("seed").value.trim();
  if (seed) body.seed = Number(seed);
  try { const made = await post("/api/rounds", body, headers);
        current = made.id; fill("error"); await refresh(); } catch (error) { fail(error); }
};
document.getElementById("take-clock").onclick = () => act(`/api/rounds/${current}/clock-holder`, {});
function showHolder(holder) {
  const mine = holder.console === headers["X-Console"] && holder.name;
  text("holder", !holder.name ? "Nobody holds the clock yet: the first console to act on it takes it." :
       mine ? "This console holds the clock (" + holder.name + ")." : holder.name + "'s console holds the clock.");
  document.getElementById("take-clock").classList.toggle("hidden", !holder.name || Boolean(mine));
}
async function showLinks(id) {
  const links = await api(`/api/rounds/${id}/links`, {headers});
  render("links", [id, links], () => table(["role", "join link (give it to the people of that role)"],
      Object.entries(links).map(([name, l]) => [l.title, el("a", {href: l.link, target: "_blank", "data-role": name},
                                                            location.origin + l.link)]), [1]));
}
function debriefLinks(id) {
  const query = "?token=" + encodeURIComponent(token);
  return [el("a", {href: `/rounds/${id}/debrief${query}`, target: "_blank", "data-link": "open"}, "Open the debrief"),
          el("a", {href: `/api/rounds/${id}/debrief.md${query}`, "data-link": "markdown"}, "Download (Markdown)"),
          el("a", {href: `/api/rounds/${id}/debrief.html${query}`, "data-link": "html"}, "Download (HTML)")];
}
async function refresh() {
  const rounds = await api("/api/rounds");
  if (current === null && rounds.length) current = rounds[rounds.length - 1].id;
  render("rounds", [rounds, current], () => rounds.length ? table(["team", "clock", "", "", ""], rounds.map(r => [
      r.team, r.clock.slice(11, 19) + (r.finished ? " (over)" : ""),
      el("button", {class: r.id === current ? "" : "secondary", onclick: () => { current = r.id; refresh().catch(fail); }},
         r.id === current ? "selected" : "select"),
      el("a", {href: "/play/" + r.id, target: "_blank"}, "players' view"),
      el("a", {href: "/wall/" + r.id, target: "_blank", "data-wall": String(r.id)}, "wall screen")])) : "No round yet.");
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
  showHolder(s.clock_holder);
  if (shown.linksFor !== current) { shown.linksFor = current; await showLinks(current); }
  render("people", s.people, () => s.people.length ? table(["who", "role"], s.people.map(p =>
      [p.name, (s.roles.find(r => r.name === p.role) || {title: p.role}).title])) : "Nobody has joined yet.");
  showEnd(s, debriefLinks(current));
  today = Math.floor(s.minute / 1440) * 1440;
  nowMinute = s.minute;
  objectiveChoices(s.objectives);
  render("objectives", s.objectives, objectives => objectivesBlock(objectives, markItem));
  showDecisions("decisions", s.decisions,
      (key, answer) => act(`/api/rounds/${current}/decisions`, {key, answer}),
      s.finished ? "The round is over." : "None.");
  render("scoreboard", s.scoreboard, scoreboard);
  render("injects", [current, s.injects], () => table(["inject", "kind", "when", ""], s.injects.map(i => [i.name, i.kind,
      i.when ? (i.at === null ? "" : "from " + i.at + ", ") + "when " + i.when : i.at === null ? "on demand" : i.at,
      i.fired ? "fired" :
      el("button", {class: "secondary", onclick: () => act(`/api/rounds/${current}/injects`, {name: i.name})}, "fire")])));
  render("timeline", s.timeline, () => table(["time", "what", "case", "who"], s.timeline.slice().reverse().map(r =>
      [r.clock, r.kind === "event" ? r.what : r.kind + ": " + r.what, r.case,
       r.who + (r.role && r.role !== "facilitator" && r.role !== "policy" ? " (" + r.role + ")" : "")]), [1]));
  render("published", s.published, () => s.published.length ? table(["published event", "published", "this team", "difference (min)"],
      s.published.map(p => [p.event, p.published, p.team ?? "—",
      p.difference_min === null ? "—" : (p.difference_min >= 0 ? "+" : "") + p.difference_min.toFixed(0)])) : "—");
  text("notes", s.facilitator_notes);
  text("drawn", s.drawn.length ? "Seed " + s.seed + " drew: " + s.drawn.map(d => d.draw + ": " + d.piece).join("; ") : "");
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
    <div id="desk-bars"></div><div id="desk-spark"></div></section>
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
  <section><h2>Injects</h2><div id="injects"></div></section>
  <section><h2>Observations</h2>""" + _OBSERVATION_FORM + """</section>
  <section class="double"><h2>Objectives</h2><div id="objectives"></div></section>
  <section class="double"><h2>Join links</h2><div id="links" class="muted">Open a round first.</div></section>
  <section><h2>The team</h2><div id="people" class="muted"></div></section>
  <section class="double"><h2>Teams compared</h2><div id="compare"></div></section>
  <section class="double"><h2>Against the published timeline</h2><div id="published" class="muted">—</div></section>
  <section class="wide"><h2>Timeline</h2><div id="timeline" class="tall"></div></section>
  <section class="wide"><h2>Facilitator notes</h2><p id="drawn"></p><div id="notes" class="muted pre"></div></section>
""")

#: The static files the pages load: name → (content, media type).
ASSETS: dict[str, tuple[str, str]] = {
    "style.css": (_STYLE, "text/css"),
    "common.js": (_COMMON_JS, "text/javascript"),
    "index.js": (_INDEX_JS, "text/javascript"),
    "player.js": (_PLAYER_JS, "text/javascript"),
    "join.js": (_JOIN_JS, "text/javascript"),
    "wall.js": (_WALL_JS, "text/javascript"),
    "console.js": (_CONSOLE_JS, "text/javascript"),
}
