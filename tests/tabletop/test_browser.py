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
        # the players send a stakeholder update to an audience they pick
        players = _page(browser, errors)
        players.goto(f"{url}/play/1")
        expect(players.locator("#team")).to_have_text("team Blue")
        incident = players.locator('#incidents [data-case="OUT0000001"]')
        expect(incident).to_contain_text("An update is due now")
        players.fill("#who", "Cy")
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
        expect(debrief.locator("h1")).to_contain_text("Post-incident review (draft)")
        assert debrief.locator("table").count() == 6
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
        console.fill("#team", "Blue")
        console.click("#new-round")
        _step_to(console, "Declare a major incident")
        players = _page(browser, errors)
        players.goto(f"{url}/play/1")
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
        players.locator("#decisions button", has_text="workaround").click()
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
        return {page: document.documentElement.scrollWidth - window.innerWidth, wide};
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
                assert measured == {"page": 0, "wide": []}, (name, width, measured)
    assert errors == []
