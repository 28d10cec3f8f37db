"""The tabletop in a real browser: a facilitator and the players run the Cloudflare exercise.

Headless Chromium from Debian's `chromium` package, driven by Playwright (`.ci/run` installs
the package, so CI never skips this); skipped, with the reason, only where no Chromium is
installed. Each test fails on any error in a page's console — which is also where the
browser reports anything the Content-Security-Policy blocked. Screenshots go to
``$MIMSIM_SCREENSHOTS`` when it is set (to look at them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from simulator.tabletop.app import Exercise, create_app
from tests.tabletop.conftest import CLOUDFLARE, exercise_variant

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Browser sessions are long: left out of the fast subset (`make fast`), run by CI.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt install chromium)")]
WIDTHS = (1024, 1280, 1920)
LONG = 30_000  # ms: what a loaded CI machine may need for a page to catch up


@contextmanager
def _serving(exercise: Exercise, tick_s: float | None) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(exercise, "127.0.0.1", port, tick_s=tick_s), host="127.0.0.1",
                            port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@contextmanager
def _browser() -> Iterator[tuple[Any, list[str]]]:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        yield browser, errors
        browser.close()


def _page(browser: Any, errors: list[str], width: int = 1400) -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=LONG)
    page = browser.new_context(viewport={"width": width, "height": 1000},
                               accept_downloads=True).new_page()
    page.set_default_timeout(LONG)
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfinished", lambda request: _refused(request, errors))
    return page


def _refused(request: Any, errors: list[str]) -> None:
    """A request the server refused, with what was sent (the console only says 'status 422')."""
    response = request.response()
    if response is not None and response.status >= 400:
        errors.append(f"{request.method} {request.url} {request.post_data} -> {response.status} "
                      f"{response.text()}")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MIMSIM_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _join(browser: Any, errors: list[str], console: Any, role: str, name: str) -> Any:
    """``name`` opens ``role``'s join link (as the console shows it) in a browser of their own,
    joins, and lands on the players' view: their page."""
    from playwright.sync_api import expect

    link = console.locator(f'#links a[data-role="{role}"]')
    expect(link).to_have_count(1)
    page = _page(browser, errors)
    page.goto(console.url.split("/console")[0] + link.get_attribute("href"))
    expect(page.locator("#join")).to_be_enabled()
    page.fill("#name", name)
    page.click("#join")
    expect(page.locator("#team")).to_contain_text(name)
    return page


def _step_to(page: Any, question: str) -> None:
    """Step the clock from the console until the players are asked ``question``."""
    from playwright.sync_api import expect

    for _ in range(10):
        if page.locator("#decisions .decision", has_text=question).count():
            break
        page.click("#step")
        page.wait_for_timeout(400)
    expect(page.locator("#decisions")).to_contain_text(question, timeout=LONG)


def test_the_facilitator_and_a_player_play_the_cloudflare_exercise(tmp_path: Path, shots: Path) -> None:
    from playwright.sync_api import expect

    exercise = Exercise(CLOUDFLARE, tmp_path / "exercise.db")
    with _serving(exercise, tick_s=None) as url, _browser() as (browser, errors):
        console = _page(browser, errors)
        console.goto(f"{url}/console?token={exercise.token}")
        console.fill("#team", "Blue")
        console.click("#new-round")
        expect(console.locator("#rounds")).to_contain_text("Blue")
        expect(console.locator("#clock")).to_have_text("13:35:00")
        _step_to(console, "Declare a major incident")
        expect(console.locator("#clock")).to_have_text("13:47:00")
        expect(console.locator("#status")).to_contain_text("waiting for a decision")
        console.locator("#decisions button", has_text="declare").first.click()
        console.click("#step")  # 13:47 → 13:50: declared, and the paging question
        expect(console.locator("#decisions")).to_contain_text("Which resolver groups")
        console.locator("#decisions button", has_text="Confirm").click()
        console.click("#step")  # 13:55: the bridge is assembled
        expect(console.locator('#scoreboard [data-kpi="time_to_declare_min"]')).to_have_text("5")
        expect(console.locator("#timeline")).to_contain_text("declare: declare")
        # the communications lead sends a stakeholder update to an audience they pick
        players = _join(browser, errors, console, "communications", "Cy")
        expect(players.locator("#team")).to_have_text("team Blue · Cy, Communications lead")
        incident = players.locator('#incidents [data-case="OUT0000001"]')
        expect(incident).to_contain_text("An update is due now")
        incident.locator("select").select_option("executives")
        incident.locator("textarea").fill("Every site returns 502s; we are disabling the WAF rules.")
        incident.locator("button", has_text="Send stakeholder update").click()
        expect(players.locator("#error")).to_have_text("")
        expect(players.locator("#updates")).to_contain_text("we are disabling the WAF rules")
        expect(incident).to_contain_text("Next update due by 14:20")
        expect(console.locator("#timeline")).to_contain_text("update: to executives: Every site")
        players.screenshot(path=str(shots / "players-1400.png"), full_page=True)
        console.screenshot(path=str(shots / "console-1400.png"), full_page=True)
        # the debrief: rendered as HTML in the browser, downloaded as files
        with console.expect_popup() as popup:
            console.locator('#debrief-links [data-link="open"]').click()
        debrief = popup.value
        expect(debrief.locator("h1")).to_contain_text("After-action report (draft)")
        assert debrief.locator("table").count() == 11
        expect(debrief.locator("body")).not_to_contain_text("|---|")
        expect(debrief.locator("tr.decision").first).to_contain_text("declare: declare")
        debrief.screenshot(path=str(shots / "debrief.png"), full_page=True)
        for link, name in (("markdown", "debrief-round1-Blue.md"), ("html", "debrief-round1-Blue.html")):
            with console.expect_download() as download:
                console.locator(f'#debrief-links [data-link="{link}"]').click()
            assert download.value.suggested_filename == name
            saved = tmp_path / name
            download.value.save_as(saved)
            assert "Every site returns 502s" in saved.read_text()
    assert errors == []


def test_a_paused_clock_stops_the_decision_timer_and_the_round_ends_with_the_restoration(
        tmp_path: Path, shots: Path) -> None:
    from playwright.sync_api import expect

    variant = exercise_variant(tmp_path, "decision_time_limit_s: 5")
    exercise = Exercise(variant, tmp_path / "exercise.db")
    with _serving(exercise, tick_s=0.2) as url, _browser() as (browser, errors):
        console = _page(browser, errors)
        console.goto(f"{url}/console?token={exercise.token}")
        expect(console.locator("#rounds")).to_contain_text("No round yet.")
        console.click("#start")  # before any round: said, and no request (a 422 would be an error)
        expect(console.locator("#error")).to_have_text("Open a round first: a team name, then Open a round.")
        console.fill("#team", "Blue")
        console.click("#new-round")
        expect(console.locator("#rounds")).to_contain_text("Blue")
        _step_to(console, "Declare a major incident")
        players = _join(browser, errors, console, "incident_manager", "Ann")
        timer = players.locator("#decisions .timer")
        expect(timer).to_have_text("The policy answers (declare) in 0:05 — clock paused: the timer "
                                   "is stopped")
        console.click("#start")
        expect(timer).not_to_contain_text("0:05", timeout=LONG)  # it counts down while running
        console.click("#pause")
        expect(timer).to_contain_text("clock paused: the timer is stopped", timeout=LONG)
        frozen = timer.text_content()
        players.wait_for_timeout(3000)  # three seconds paused: longer than what was left
        expect(timer).to_have_text(frozen)
        expect(players.locator("#decisions .decision")).to_have_count(1)
        players.screenshot(path=str(shots / "players-paused.png"), full_page=True)
        console.click("#start")
        expect(players.locator("#decisions")).to_contain_text("Which resolver groups", timeout=LONG)
        expect(console.locator("#timeline")).to_contain_text("policy (time limit)")
        players.locator("#decisions button", has_text="Confirm").click()
        console.locator("#pace").select_option("60")  # an hour a second: on to the restoration
        expect(players.locator("#decisions")).to_contain_text("how do you restore", timeout=LONG)
        expect(players.locator("#decisions")).to_contain_text("For SRE lead to answer.")
        console.locator("#decisions button", has_text="workaround").click()  # nobody joined as it
        banner = players.locator("#end-banner")
        expect(banner).to_contain_text("Round over at 14:09.", timeout=LONG)
        expect(banner).to_contain_text("Service restored. The round is over")
        expect(players.locator("#status")).to_have_text("round over")
        expect(players.locator("#clock")).to_have_text("14:09:00")
        expect(console.locator("#end-banner")).to_contain_text("Round over at 14:09.", timeout=LONG)
        expect(console.locator("#start")).to_be_disabled()
        players.screenshot(path=str(shots / "players-ended.png"), full_page=True)
        console.screenshot(path=str(shots / "console-ended.png"), full_page=True)
        players.locator("#end-banner a", has_text="Read the debrief").click()
        players.wait_for_timeout(500)
    assert errors == []


def test_the_console_and_the_players_view_fit_1024_1280_and_1920_pixels(tmp_path: Path,
                                                                        shots: Path) -> None:
    exercise = Exercise(CLOUDFLARE, tmp_path / "exercise.db")
    for team in ("Blue", "Red team with a long name"):
        round_id = exercise.new_round(team)
        round_ = exercise.rounds[round_id]
        for _ in range(40):  # to the restoration question, with a long update on the way
            if any(d.kind == "restore" for d in round_.pending()):
                break
            for decision in round_.pending():
                exercise.record(round_id, round_.decide(decision.key, decision.default, "Ann"))
            if round_.minute == 13 * 60 + 56:
                exercise.record(round_id, round_.send_update(
                    "OUT0000001", "customers", "A long update " * 40, "Cy"))  # type: ignore[arg-type]
            round_.advance(1)
        exercise.save(round_id)
    overflow = """() => {
        const wide = [...document.querySelectorAll("section, .scroll")]
          .filter(node => node.scrollWidth > node.clientWidth + 1)
          .map(node => (node.querySelector("h2") || node.parentElement.querySelector("h2")).textContent);
        const hidden = [...document.querySelectorAll("a[data-wall], #injects button")]
          .filter(node => node.getBoundingClientRect().right
                          > node.closest("section").getBoundingClientRect().right)
          .map(node => node.textContent);  // cut off by a card too narrow for its table
        return {page: document.documentElement.scrollWidth - window.innerWidth, wide, hidden};
    }"""
    with _serving(exercise, tick_s=None) as url, _browser() as (browser, errors):
        for width in WIDTHS:
            for name, path in (("console", f"/console?token={exercise.token}"), ("players", "/play/2")):
                page = _page(browser, errors, width)
                page.goto(url + path)
                page.wait_for_selector("#scoreboard-values")
                page.wait_for_timeout(300)
                measured = page.evaluate(overflow)
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
                assert measured == {"page": 0, "wide": [], "hidden": []}, (name, width, measured)
    assert errors == []


def test_two_players_in_their_roles_and_a_facilitator_play_to_the_restoration_with_the_wall_screen(
        tmp_path: Path, shots: Path) -> None:
    """Three browser contexts: the facilitator (console and wall screen), Ann the incident
    commander, Tim the SRE lead."""
    from playwright.sync_api import expect

    exercise = Exercise(CLOUDFLARE, tmp_path / "exercise.db")
    with _serving(exercise, tick_s=None) as url, _browser() as (browser, errors):
        console = _page(browser, errors)
        console.goto(f"{url}/console?token={exercise.token}")
        console.fill("#facilitator-name", "Fay")
        console.locator("#facilitator-name").dispatch_event("change")
        console.fill("#team", "Blue")
        console.click("#new-round")
        ann = _join(browser, errors, console, "incident_manager", "Ann")
        tim = _join(browser, errors, console, "technical_lead", "Tim")
        expect(ann.locator("#team")).to_have_text("team Blue · Ann, Incident commander")
        expect(console.locator("#people")).to_contain_text("Tim")
        wall = console.context.new_page()
        wall.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        wall.on("pageerror", lambda error: errors.append(str(error)))
        wall.goto(f"{url}/wall/1")
        expect(wall.locator("#clock")).to_have_text("13:35:00")
        expect(wall.locator('#services [data-service="waf"]')).to_contain_text("up")
        _step_to(console, "Declare a major incident")
        expect(console.locator("#holder")).to_contain_text("This console holds the clock (Fay)")
        expect(wall.locator("#clock")).to_have_text("13:47:00")  # the wall screen follows
        expect(wall.locator('#services [data-service="waf"]')).to_contain_text("DOWN since 13:42")
        expect(tim.locator("#decisions")).to_contain_text("For Incident commander to answer.")
        expect(tim.locator("#decisions button")).to_have_count(0)
        ann.locator("#decisions button", has_text="declare").first.click()
        console.click("#step")
        expect(ann.locator("#decisions")).to_contain_text("Which resolver groups")
        ann.locator("#decisions button", has_text="Confirm").click()
        expect(wall.locator("#update-timer")).to_contain_text("stakeholder update due now")
        _step_to(console, "how do you restore")
        expect(ann.locator("#decisions")).to_contain_text("For SRE lead to answer.")
        tim.locator("#decisions button", has_text="workaround").click()
        expect(ann.locator("#messages")).to_contain_text("logging in to run the kill switch")  # branching
        for _ in range(10):
            if console.locator("#end-banner").is_visible():
                break
            console.click("#step")
            console.wait_for_timeout(300)
        for page in (ann, tim, wall, console):
            expect(page.locator("#end-banner")).to_contain_text("Round over at 14:09.")
        expect(wall.locator('#services [data-service="waf"]')).to_contain_text("up")
        expect(wall.locator("#objectives")).to_contain_text("Restore traffic within 30 minutes")
        assert wall.locator("#desk-spark polyline").count() == 1
        wall.screenshot(path=str(shots / "wall-ended.png"), full_page=True)
        tim.screenshot(path=str(shots / "tim-ended.png"), full_page=True)
        with console.expect_popup() as popup:
            console.locator('#debrief-links [data-link="open"]').click()
        report = popup.value
        report.on("console", lambda message: errors.append(message.text)
                  if message.type == "error" else None)
        expect(report.locator("h1")).to_contain_text("After-action report (draft)")
        decisions = report.locator("h2", has_text="Decisions by participant").locator(
            "xpath=following-sibling::table[1]")
        expect(decisions).to_contain_text("Tim")
        expect(decisions).to_contain_text("SRE lead")
        expect(decisions).to_contain_text("Incident commander")
        report.screenshot(path=str(shots / "report.png"), full_page=True)
        report.wait_for_timeout(300)
    assert [(a.who, a.role) for a in exercise.store.actions(1) if a.kind_name == "decision"] == [
        ("Ann", "incident_manager"), ("Ann", "incident_manager"), ("Tim", "technical_lead")]
    assert errors == []
