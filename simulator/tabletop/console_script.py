"""Tabletop layer: the facilitator console's script (rounds, clock, injects, join links, observations)."""

from __future__ import annotations

__all__ = ["CONSOLE_JS"]


CONSOLE_JS = r"""
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
function roundAct(what, body) {  // an action on the selected round: none before a round is open
  if (current === null) { fill("error", "Open a round first: a team name, then Open a round."); return; }
  return act(`/api/rounds/${current}/${what}`, body);
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
const clockAction = action => extra => roundAct("clock", {action, ...extra});
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
  roundAct("end", {message: document.getElementById("end-message").value.trim()});
};
let nowMinute = 0;
document.getElementById("add-note").onclick = async () => {
  const body = observation(nowMinute);
  if (typeof body === "string") { fill("error", body); return; }
  await roundAct("notes", body);
  clearObservation();
};
const markItem = (objective, item, verdict) => roundAct("checklist", {objective, item, verdict});
document.getElementById("new-round").onclick = async () => {
  const body = {team: document.getElementById("team").value.trim()};
  const seed = document.getElementById("seed").value.trim();
  if (seed) body.seed = Number(seed);
  try { const made = await post("/api/rounds", body, headers);
        current = made.id; fill("error"); await refresh(); } catch (error) { fail(error); }
};
document.getElementById("take-clock").onclick = () => roundAct("clock-holder", {});
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
  render("rounds", [rounds, current], () => rounds.length ? table(["team", "clock", "", "open"], rounds.map(r => [
      r.team, r.clock.slice(11, 19) + (r.finished ? " (over)" : ""),
      el("button", {class: r.id === current ? "" : "secondary", onclick: () => { current = r.id; refresh().catch(fail); }},
         r.id === current ? "selected" : "select"),
      el("span", {class: "links"}, el("a", {href: "/play/" + r.id, target: "_blank"}, "players' view"), el("br"),
         el("a", {href: "/wall/" + r.id, target: "_blank", "data-wall": String(r.id)}, "wall screen"))])) : "No round yet.");
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
      (key, answer) => roundAct("decisions", {key, answer}),
      s.finished ? "The round is over." : "None.");
  render("scoreboard", s.scoreboard, scoreboard);
  render("injects", [current, s.injects], () => table(["inject", "kind", "when", ""], s.injects.map(i => [i.name, i.kind,
      i.when ? (i.at === null ? "" : "from " + i.at + ", ") + "when " + i.when : i.at === null ? "on demand" : i.at,
      i.fired ? "fired" :
      el("button", {class: "secondary", onclick: () => roundAct("injects", {name: i.name})}, "fire")])));
  render("timeline", s.timeline, () => table(["time", "what", "case", "who"], s.timeline.slice().reverse().map(r =>
      [r.clock, r.kind === "event" ? r.what : r.kind + ": " + r.what, r.case,
       r.who + (r.role && r.role !== "facilitator" && r.role !== "policy"
                ? " (" + (s.roles.find(x => x.name === r.role) || {title: r.role}).title + ")" : "")]), [1]));
  render("published", s.published, () => s.published.length ? table(["published event", "published", "this team", "difference (min)"],
      s.published.map(p => [p.event, p.published, p.team ?? "—",
      p.difference_min === null ? "—" : (p.difference_min >= 0 ? "+" : "") + p.difference_min.toFixed(0)])) : "—");
  text("notes", s.facilitator_notes);
  text("drawn", s.drawn.length ? "Seed " + s.seed + " drew: " + s.drawn.map(d => d.draw + ": " + d.piece).join("; ") : "");
}
refresh().catch(fail); setInterval(() => refresh().catch(fail), 1000);
"""
