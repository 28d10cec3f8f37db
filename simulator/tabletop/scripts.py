"""Tabletop layer: the pages' scripts — shared helpers, the index, the join page, the players' view, the wall screen.

Plain JavaScript served from ``/assets/`` (the Content-Security-Policy forbids inline
code); text from the scenario or the players is inserted with ``textContent``, never as
HTML. :mod:`~simulator.tabletop.console_script` holds the facilitator console's.
"""

from __future__ import annotations

__all__ = ["COMMON_JS", "INDEX_JS", "JOIN_JS", "PLAYER_JS", "WALL_JS"]


COMMON_JS = r"""
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


INDEX_JS = r"""
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


JOIN_JS = r"""
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


PLAYER_JS = r"""
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


WALL_JS = r"""
"use strict";
const roundId = location.pathname.split("/").pop();
const SVG = "http://www.w3.org/2000/svg";
function spark(points) {  // [[simulated minute, tickets waiting], ...]: the storm, as it built
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 300 60");
  svg.setAttribute("class", "spark");
  svg.setAttribute("preserveAspectRatio", "none");
  const top = Math.max(1, ...points.map(p => p[1]));
  const first = points.length ? points[0][0] : 0, span = Math.max(1, (points.length ? points[points.length - 1][0] : 0) - first);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.map(([m, v]) => `${((m - first) * 300 / span).toFixed(1)},${(58 - v * 56 / top).toFixed(1)}`).join(" "));
  svg.append(line);
  return svg;
}
function sparkCaption(points) {
  if (points.length < 2) return "";
  const minutes = Math.round(points[points.length - 1][0] - points[0][0]);
  return `waiting over the last ${minutes >= 60 ? (minutes / 60).toFixed(1).replace(/\.0$/, "") + " h" : minutes + " min"} (simulated), peak ${Math.max(...points.map(p => p[1]))}`;
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
  text("desk-total", String(total));
  text("desk-team", s.wall.desk_team);
  render("desk-bars", queue, queueBars);
  const top = Math.max(1, ...Object.values(queue));
  for (const row of document.querySelectorAll("#desk-bars .bar-row")) {  // widths: no inline style attribute
    row.querySelector(".bar").style.width = (queue[row.dataset.priority] * 100 / top) + "%";
  }
  fill("desk-spark", spark(s.wall.desk_history));
  text("desk-spark-caption", sparkCaption(s.wall.desk_history));
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
