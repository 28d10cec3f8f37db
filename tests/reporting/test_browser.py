"""The HTML report in a real browser, as a reader opens it: no errors, every figure shown, no network.

Headless Chromium from Debian's `chromium` package, driven by Playwright (`.ci/run` installs the
package, so CI never skips this); skipped, with the reason, only where no Chromium is installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Browser sessions are long: left out of the fast subset (`make fast`), run by CI.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt install chromium)")]


def _open(report: Path, shot: Path) -> tuple[list[str], list[str], list[list[object]], list[str], int]:
    """Open ``report`` offline in Chromium and screenshot the whole page: console errors, requests
    that would have left the file, images (alt, complete, natural size), h2 headings, page width."""
    from playwright.sync_api import Route, sync_playwright

    errors: list[str] = []
    outside: list[str] = []

    def only_the_file(route: Route) -> None:
        """Let the file itself through; refuse (and note) any request that would leave it."""
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("**/*", only_the_file)
        page.goto(report.resolve().as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "images => images.map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])")
        headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    return errors, outside, images, headings, width


def test_the_report_opens_offline_with_every_figure_loaded(mim_run: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    errors, outside, images, headings, width = _open(mim_run / "report.html", shot)
    assert errors == []
    assert outside == []
    assert len(images) == 7
    for alt, complete, natural_width, natural_height in images:
        assert complete and natural_width > 300 and natural_height > 100, alt
    assert headings[0] == "KPIs against targets" and headings[-1] == "Appendix: STRESS-DES"
    assert width <= 1280  # nothing wider than the window: no sideways scrolling
    with Image.open(shot) as image:
        assert image.width == 1280 and image.height > 5000  # the whole page, figures and tables
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20


def test_the_sweep_report_opens_offline_with_its_surface(sweep_store: Path, tmp_path: Path) -> None:
    shot = tmp_path / "sweep.png"
    errors, outside, images, headings, width = _open(sweep_store.with_suffix(".html"), shot)
    assert errors == [] and outside == []
    assert [alt for alt, *_ in images] == ["sweep surface of mtta_min"]
    for alt, complete, natural_width, natural_height in images:
        assert complete and natural_width > 300 and natural_height > 200, alt
    assert headings == ["Designs and parameters", "KPIs per design", "Sweep surfaces", "Appendix: provenance"]
    assert width <= 1280
    with Image.open(shot) as image:
        assert image.width == 1280 and image.height > 1500
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 20
