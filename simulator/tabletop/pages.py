"""Tabletop layer: the pages — plain HTML, CSS and JavaScript, with nothing from the network.

The pages only display what the API returns and send what people click or type; the
server checks every input. Text from the scenario or the players is inserted with
``textContent`` (never as HTML).
"""

from __future__ import annotations

__all__ = ["CONSOLE_PAGE", "INDEX_PAGE", "PLAYER_PAGE"]

_STYLE = """
<style>
  :root { --ink: #1d2433; --muted: #5b6475; --line: #d8dde6; --accent: #1f5fbf; --warn: #b3261e;
          --ok: #1e7b34; --bg: #f6f7f9; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
         color: var(--ink); background: var(--bg); }
  header { background: var(--ink); color: #fff; padding: 10px 18px; display: flex; gap: 18px;
           align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header .clock { font: 600 22px/1 ui-monospace, Menlo, Consolas, monospace; }
  header .status { color: #c9d1e0; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 14px;
         padding: 14px 18px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px;
            overflow-x: auto; }
  section h2 { font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
               margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; }
  .decision { border-left: 4px solid var(--warn); padding: 6px 10px; margin-bottom: 10px;
              background: #fdf3f2; }
  .decision p { margin: 0 0 6px; font-weight: 600; }
  button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid var(--accent);
           background: var(--accent); color: #fff; cursor: pointer; margin: 2px 4px 2px 0; }
  button.secondary { background: #fff; color: var(--accent); }
  input, select { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; }
  .muted { color: var(--muted); }
  .message { border-left: 3px solid var(--accent); padding: 4px 8px; margin: 6px 0; }
  .error { color: var(--warn); min-height: 1.2em; }
  .kpi { display: grid; grid-template-columns: 1fr auto; gap: 2px 12px; }
  .kpi span:nth-child(even) { font-variant-numeric: tabular-nums; font-weight: 600; text-align: right; }
  a { color: var(--accent); }
</style>
"""

_COMMON_JS = """
<script>
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "onclick") node.addEventListener("click", value); else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}
function fill(id, ...children) { const node = document.getElementById(id); node.replaceChildren(...children); }
function table(headers, rows) {
  return el("table", {}, el("tr", {}, ...headers.map(h => el("th", {}, h))),
            ...rows.map(r => el("tr", {}, ...r.map(c => el("td", {}, c)))));
}
function scoreboard(board) {
  const labels = {outages: "outages", time_to_detect_min: "time to detect (min)",
    time_to_declare_min: "time to declare (min)", time_to_assemble_min: "time to assemble (min)",
    restore_time_min: "restore time (min)", sla_breaches: "SLA breaches",
    updates_sent: "stakeholder updates sent", updates_due: "updates due (cadence)",
    downtime_cost: "downtime cost so far"};
  const box = el("div", {class: "kpi", id: "scoreboard-values"});
  for (const [key, label] of Object.entries(labels)) {
    const value = board[key];
    box.append(el("span", {}, label),
               el("span", {"data-kpi": key}, value === null ? "—" :
                  key === "downtime_cost" ? Math.round(value).toLocaleString() : value));
  }
  return box;
}
async function api(path, options) {
  const response = await fetch(path, options);
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (_) { body = text; }
  if (!response.ok) throw new Error((body && body.detail) ? JSON.stringify(body.detail) : text);
  return body;
}
function post(path, body, headers) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json", ...(headers || {})},
                    body: JSON.stringify(body)});
}
function decisionBox(decision, who, send) {
  const box = el("div", {class: "decision", "data-key": decision.key});
  box.append(el("p", {}, decision.question));
  if (decision.several) {
    const chosen = new Set(decision.default.split(","));
    for (const option of decision.options) {
      const box2 = el("input", {type: "checkbox", value: option});
      if (chosen.has(option)) box2.checked = true;
      box.append(el("label", {}, box2, " " + option + "  "));
    }
    box.append(el("button", {onclick: () => {
      const picked = [...box.querySelectorAll("input:checked")].map(i => i.value).join(",");
      send(decision.key, picked);
    }}, "Confirm"));
  } else {
    for (const option of decision.options) {
      box.append(el("button", {onclick: () => send(decision.key, option),
                               class: option === decision.default ? "" : "secondary"}, option));
    }
  }
  box.append(el("div", {class: "muted"}, "If nobody answers in time, the policy answers: " + decision.default));
  return box;
}
</script>
"""

INDEX_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mimsim tabletop</title>{_STYLE}</head>
<body><header><h1>mimsim tabletop</h1><span class="status" id="title"></span></header>
<main><section><h2>Rounds</h2><div id="rounds" class="muted">Loading…</div>
<p class="muted">Pick your team's round. The facilitator opens rounds from the console.</p></section></main>
{_COMMON_JS}
<script>
async function load() {{
  const about = await api("/api/exercise");
  document.getElementById("title").textContent = about.title;
  const rounds = await api("/api/rounds");
  fill("rounds", rounds.length ? table(["team", "clock", ""], rounds.map(r =>
    [r.team, r.clock, el("a", {{href: "/play/" + r.id}}, "play")])) : "No round yet.");
}}
load();
</script></body></html>
"""

PLAYER_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mimsim tabletop — players</title>{_STYLE}</head>
<body>
<header><h1 id="title">Exercise</h1><span class="clock" id="clock">--:--</span>
<span class="status" id="status"></span><span class="status" id="team"></span></header>
<main>
  <section><h2>Decisions</h2>
    <label>Your name <input id="who" value="player" maxlength="40"></label>
    <div class="error" id="error"></div><div id="decisions" class="muted">Nothing to decide.</div></section>
  <section><h2>Scoreboard</h2><div id="scoreboard"></div></section>
  <section><h2>Major incidents</h2><div id="incidents" class="muted">None open.</div></section>
  <section><h2>Messages</h2><div id="briefing" class="muted"></div><div id="messages"></div></section>
  <section><h2>Tickets about the outage</h2><div id="tickets" class="muted">None.</div></section>
  <section><h2>Queues</h2><div id="queues"></div></section>
</main>
{_COMMON_JS}
<script>
const roundId = location.pathname.split("/").pop();
function who() {{ return document.getElementById("who").value.trim() || "player"; }}
async function send(key, answer) {{
  try {{ await post(`/api/rounds/${{roundId}}/decisions`, {{key, answer, who: who()}});
         fill("error"); refresh(); }}
  catch (error) {{ fill("error", error.message); }}
}}
async function sendUpdate(kase) {{
  try {{ await post(`/api/rounds/${{roundId}}/updates`, {{case: kase, who: who()}}); fill("error"); refresh(); }}
  catch (error) {{ fill("error", error.message); }}
}}
async function refresh() {{
  const s = await api(`/api/rounds/${{roundId}}/state`);
  document.getElementById("title").textContent = s.title;
  document.getElementById("clock").textContent = s.clock.slice(11, 16);
  document.getElementById("status").textContent = s.finished ? "finished" :
      s.decisions.length ? "waiting for your decision" : s.running ? "running" : "paused";
  document.getElementById("team").textContent = "team " + s.team;
  document.getElementById("briefing").textContent = s.briefing;
  fill("decisions", ...(s.decisions.length ? s.decisions.map(d => decisionBox(d, who, send)) :
       [el("span", {{class: "muted"}}, "Nothing to decide.")]));
  fill("scoreboard", scoreboard(s.scoreboard));
  fill("incidents", ...(s.major_incidents.length ? s.major_incidents.map(c =>
       el("div", {{}}, c + " ", el("button", {{onclick: () => sendUpdate(c)}}, "Send stakeholder update"))) :
       [el("span", {{class: "muted"}}, "None open.")]));
  fill("messages", ...s.messages.map(m => el("div", {{class: "message"}}, el("b", {{}}, m.clock + " "), m.text)));
  fill("tickets", s.open_outage_tickets ? table(["case", "priority", "team", "status", "age (min)"],
       s.outage_tickets.map(t => [t.case, t.priority, t.team, t.status, t.age_min])) : "None.");
  fill("queues", table(["team", "waiting"], Object.entries(s.queues)));
}}
refresh(); setInterval(refresh, 1000);
</script></body></html>
"""

CONSOLE_PAGE = rf"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mimsim tabletop — facilitator</title>{_STYLE}</head>
<body>
<header><h1 id="title">Facilitator console</h1><span class="clock" id="clock">--:--</span>
<span class="status" id="status"></span></header>
<main>
  <section><h2>Rounds</h2><div id="rounds"></div>
    <label>New team <input id="team" maxlength="40" placeholder="team name"></label>
    <button id="new-round">Open a round</button><div class="error" id="error"></div></section>
  <section><h2>Clock</h2>
    <button id="start">Start</button><button id="pause" class="secondary">Pause</button>
    <button id="step" class="secondary">Step 5 min</button>
    <label>Pace <select id="pace"><option>0.5</option><option selected>1</option><option>2</option>
      <option>5</option><option>15</option><option>60</option></select> sim min/s</label>
    <p><label>Rewind to <input id="rewind-to" size="6" placeholder="HH:MM"> (today)</label>
    <button id="rewind" class="secondary">Rewind</button></p>
    <p><a id="debrief" href="#">Export the debrief (Markdown)</a></p></section>
  <section><h2>Decisions waiting</h2><div id="decisions" class="muted">None.</div></section>
  <section><h2>Scoreboard</h2><div id="scoreboard"></div></section>
  <section><h2>Injects</h2><div id="injects"></div></section>
  <section><h2>Teams compared</h2><div id="compare"></div></section>
  <section><h2>Timeline</h2><div id="timeline"></div></section>
  <section><h2>Against the published timeline</h2><div id="published" class="muted">—</div></section>
  <section><h2>Facilitator notes</h2><div id="notes" class="muted"></div></section>
</main>
{_COMMON_JS}
<script>
const token = new URLSearchParams(location.search).get("token") || "";
const headers = {{"X-Facilitator-Token": token}};
let current = null;
function fail(error) {{ fill("error", error.message); }}
async function act(path, body) {{
  try {{ await post(path, body, headers); fill("error"); await refresh(); }} catch (error) {{ fail(error); }}
}}
const clockAction = action => extra => act(`/api/rounds/${{current}}/clock`, {{action, ...extra}});
document.getElementById("start").onclick = () => clockAction("start")({{}});
document.getElementById("pause").onclick = () => clockAction("pause")({{}});
document.getElementById("step").onclick = () => clockAction("step")({{minutes: 5}});
document.getElementById("pace").onchange = e => clockAction("pace")({{pace: Number(e.target.value)}});
let today = 0;  // the simulated minute at which the current round's day began
document.getElementById("rewind").onclick = () => {{
  const match = /^(\d{{1,2}}):(\d{{2}})$/.exec(document.getElementById("rewind-to").value.trim());
  if (!match) {{ fill("error", "Rewind to a time such as 13:50"); return; }}
  clockAction("rewind")({{to_minute: today + Number(match[1]) * 60 + Number(match[2])}});
}};
document.getElementById("new-round").onclick = async () => {{
  try {{ const made = await post("/api/rounds", {{team: document.getElementById("team").value.trim()}}, headers);
         current = made.id; fill("error"); await refresh(); }} catch (error) {{ fail(error); }}
}};
async function refresh() {{
  const rounds = await api("/api/rounds");
  if (current === null && rounds.length) current = rounds[rounds.length - 1].id;
  fill("rounds", rounds.length ? table(["team", "clock", "", ""], rounds.map(r => [
      r.team, r.clock.slice(11, 16),
      el("button", {{class: r.id === current ? "" : "secondary", onclick: () => {{ current = r.id; refresh(); }}}},
         r.id === current ? "selected" : "select"),
      el("a", {{href: "/play/" + r.id, target: "_blank"}}, "players' view")])) : "No round yet.");
  const comparison = await api("/api/compare", {{headers}});
  fill("compare", comparison.length ? table(["team", "clock", "detect", "declare", "assemble", "restore",
      "breaches", "updates", "cost"], comparison.map(c => [c.team, c.clock, c.time_to_detect_min ?? "—",
      c.time_to_declare_min ?? "—", c.time_to_assemble_min ?? "—", c.restore_time_min ?? "—",
      c.sla_breaches, c.updates_sent + "/" + c.updates_due, Math.round(c.downtime_cost).toLocaleString()])) : "");
  if (current === null) return;
  const s = await api(`/api/rounds/${{current}}/state`, {{headers}});
  document.getElementById("title").textContent = s.title + " — facilitator";
  document.getElementById("clock").textContent = s.clock.slice(11, 16);
  document.getElementById("status").textContent = "team " + s.team + " · " + (s.finished ? "finished" :
      s.decisions.length ? "waiting for a decision" : s.running ? "running" : "paused") +
      " · minute " + s.minute.toFixed(1);
  document.getElementById("debrief").href = `/api/rounds/${{current}}/debrief`;
  today = Math.floor(s.minute / 1440) * 1440;
  fill("decisions", ...(s.decisions.length ? s.decisions.map(d => decisionBox(d, null,
      (key, answer) => act(`/api/rounds/${{current}}/decisions`, {{key, answer, who: "facilitator"}}))) :
      [el("span", {{class: "muted"}}, "None.")]));
  fill("scoreboard", scoreboard(s.scoreboard));
  fill("injects", table(["inject", "kind", "at", ""], s.injects.map(i => [i.name, i.kind,
      i.at === null ? "on demand" : i.at, i.fired ? "fired" :
      el("button", {{class: "secondary", onclick: () => act(`/api/rounds/${{current}}/injects`, {{name: i.name}})}}, "fire")])));
  fill("timeline", table(["time", "what", "case", "who"], s.timeline.slice().reverse().map(r =>
      [r.clock, r.kind === "event" ? r.what : r.kind + ": " + r.what, r.case, r.who])));
  fill("published", s.published.length ? table(["published event", "published", "this team", "difference (min)"],
      s.published.map(p => [p.event, p.published, p.team ?? "—",
      p.difference_min === null ? "—" : (p.difference_min >= 0 ? "+" : "") + p.difference_min.toFixed(0)])) : "—");
  document.getElementById("notes").textContent = s.facilitator_notes;
}}
refresh(); setInterval(() => refresh().catch(fail), 1000);
</script></body></html>
"""
