"""The tabletop in a real browser: the facilitator runs the Cloudflare exercise end to end.

Headless Chromium from Debian's `chromium` package, driven by Playwright (`.ci/run` installs
the package, so CI never skips this); skipped, with the reason, only where no Chromium is
installed.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from simulator.tabletop.app import Exercise, create_app
from tests.tabletop.conftest import CLOUDFLARE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Browser sessions are long: left out of the fast subset (`make fast`), run by CI.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt install chromium)")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Exercise]]:
    exercise = Exercise(CLOUDFLARE, tmp_path / "exercise.db")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(exercise, tick_s=None), host="127.0.0.1", port=port,
                            log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", exercise
    running.should_exit = True
    thread.join(timeout=10)


def test_the_facilitator_plays_the_cloudflare_exercise_in_a_browser(
        server: tuple[str, Exercise], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, exercise = server
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/console?token={exercise.token}")
        page.fill("#team", "Blue")
        page.click("#new-round")
        expect(page.locator("#rounds")).to_contain_text("Blue")
        expect(page.locator("#clock")).to_have_text("13:35")
        declare = page.locator("#decisions button", has_text="declare").first
        for _ in range(5):  # 13:35 → … → 13:47, where the question stops the clock
            if declare.count():
                break
            page.click("#step")
            page.wait_for_timeout(300)
        expect(page.locator("#clock")).to_have_text("13:47")
        expect(page.locator("#status")).to_contain_text("waiting for a decision")
        declare.click()
        page.click("#step")  # 13:47 → 13:50: declared, and the paging question
        expect(page.locator("#decisions")).to_contain_text("Which resolver groups")
        page.locator("#decisions button", has_text="Confirm").click()
        page.click("#step")
        score = page.locator('#scoreboard [data-kpi="time_to_declare_min"]')
        expect(score).to_have_text("5")
        expect(page.locator("#timeline")).to_contain_text("declare: declare")
        page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
        assert (tmp_path / "console.png").stat().st_size > 20_000
        debrief = page.request.get(f"{url}{page.locator('#debrief').get_attribute('href')}")
        assert debrief.ok and "# Post-incident review (draft)" in debrief.text()
        assert "**declare: declare** | OUT0000001 | facilitator |" in debrief.text()
        # the players' view of the same round shows the open major incident
        page.goto(f"{url}/play/1")
        expect(page.locator("#incidents")).to_contain_text("OUT0000001")
        expect(page.locator("#team")).to_have_text("team Blue")
        page.screenshot(path=str(tmp_path / "players.png"), full_page=True)
        browser.close()
    assert errors == []
