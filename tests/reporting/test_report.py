"""The HTML report: self-contained, every section, the run's own numbers, comparisons with CIs."""

from __future__ import annotations

import base64
import html
import json
import struct
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli.render import format_value
from simulator.metrics import SHARE_KPIS
from simulator.reporting.figures import outage_milestones
from tests.helpers import run_cli
from tests.reporting.conftest import SCENARIOS

RUN_SECTIONS = ("targets", "kpis", "backlog", "sla", "resolution", "utilisation", "queues", "outages",
                "changes", "process", "appendix")


class _Page(HTMLParser):
    """Every tag with its attributes, the ids, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {key: value or "" for key, value in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_self_contained(path: Path) -> int:
    """No reference leaves the file; every image is an embedded PNG of the size it states.
    Returns the number of images."""
    page = parse(path)
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "data", "action", "poster"):
            value = attrs.get(name, "")
            assert not value.lower().startswith(("http:", "https:", "//", "file:")), (tag, name, value)
        assert tag not in ("script", "link", "iframe", "object", "embed"), f"<{tag}> in the report"
    style = " ".join(page.styles).lower()
    assert "@import" not in style and "url(" not in style and "@font-face" not in style
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix)
        size = png_size(base64.b64decode(attrs["src"][len(prefix):]))
        assert size == (int(attrs["width"]), int(attrs["height"])), attrs["alt"]
        assert attrs["alt"]
    return len(images)


@pytest.mark.slow
def test_run_report_is_written_by_run_and_is_self_contained(mim_run: Path) -> None:
    report = mim_run / "report.html"
    assert report.is_file()
    # backlog, SLA, resolution, utilisation, queue waits, the timeline and the diagram
    assert assert_self_contained(report) == 7
    ids = [attrs.get("id") for _, attrs in parse(report).tags if attrs.get("id")]
    assert ids == list(RUN_SECTIONS)


@pytest.mark.slow
def test_run_report_shows_the_runs_own_numbers(mim_run: Path) -> None:
    text = (mim_run / "report.html").read_text(encoding="utf-8")
    summary = json.loads((mim_run / "summary.json").read_text())
    mtta = summary["kpis"]["mtta_min"]
    # the targets table: mean, then the CI
    assert (f"<td>{format_value('mtta_min', mtta['mean'])}</td><td>{format_value('mtta_min', mtta['ci_low'])}"
            f" – {format_value('mtta_min', mtta['ci_high'])}</td>") in text
    for kpi in ("outages", "mttr_restore_min", "normal_changes", "emergency_changes"):
        assert f"<td>{kpi}</td>" in text, kpi
    assert "Major-incident timeline" in text
    manifest = json.loads((mim_run / "manifest.json").read_text())
    for item in ("warm-up", "replications", "random", "Python", "wall"):
        assert item.lower() in text.lower(), item
    parameters = manifest["parameters"]
    assert len(parameters) > 50
    for key, value in parameters[:: len(parameters) // 10]:
        assert f"<td>{html.escape(key)}</td><td>{html.escape(value)}</td>" in text, (key, value)


def test_the_timeline_measures_each_milestone_from_the_impact() -> None:
    start = pd.Timestamp("2026-01-05")
    at = [start + pd.Timedelta(minutes=minutes) for minutes in (100, 108, 130, 150, 190, 260, 30)]
    milestones = pd.DataFrame({
        "replication": [1] * 6 + [0],
        "case": ["OUT0000001", "OUT0000001", "OUT0000001", "MI0000001", "CHG0000009", "OUT0000001",
                 "OUT0000002"],
        "activity": ["outage started", "detected", "major incident declared", "assembled",
                     "change approved", "restored", "outage started"],
        "timestamp": at,
        "parent": [None, None, None, "OUT0000001", "OUT0000001", None, None]})
    # OUT0000002 began during the 60-minute warm-up: left out
    rows = outage_milestones(milestones, start, warmup_min=60.0, most=15)
    assert [label for label, _ in rows] == ["OUT0000001 (replication 1, 05 Jan 01:40)"]
    assert rows[0][1] == {"detected": 8.0, "major incident declared": 30.0, "assembled": 50.0,
                          "change approved": 90.0, "restored": 160.0}


@pytest.mark.slow
def test_comparison_report_shows_the_differences_with_their_cis(comparison_dir: Path) -> None:
    report = comparison_dir / "report.html"
    assert assert_self_contained(report) == 4  # differences, backlog, SLA, the first design's diagram
    text = report.read_text(encoding="utf-8")
    for anchor in ("designs", "differences", "backlog", "sla", "process", "appendix"):
        assert f'id="{anchor}"' in text
    assert f"<td>{SCENARIOS / 'baseline.yaml'} — SHA-256" in text  # the appendix names the file
    assert "<td>teams.network.roster[0].headcount</td><td>3</td><td>4</td>" in text
    differences = pd.read_csv(comparison_dir / "differences.csv")
    clear = differences[differences["clear"]]
    assert not clear.empty
    for row in clear.itertuples(index=False):
        name = row.kpi if row.scope == "overall" else f"{row.key}.{row.kpi}"
        if row.kpi in SHARE_KPIS:  # differences of shares in percentage points
            cell = (f"{100 * row.mean:+.1f} pt ({100 * row.ci_low:+.1f}\u00a0–\u00a0"
                    f"{100 * row.ci_high:+.1f})")
        else:
            cell = (f"{format_value(row.kpi, row.mean)} ({format_value(row.kpi, row.ci_low)}"
                    f"\u00a0–\u00a0{format_value(row.kpi, row.ci_high)})")
        assert f"<td>{name}</td><td>{cell}</td>" in text, (name, cell)


def test_report_of_a_missing_directory_is_one_clear_line(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["report", str(tmp_path / "nothing")], capsys)
    assert code == 2
    assert "Traceback" not in err and "nothing" in err


def test_run_report_needs_an_output_directory(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["run", "scenarios/mmc.yaml", "--report"], capsys)
    assert code == 2
    assert "--report" in err and "--out" in err


@pytest.mark.slow
def test_a_run_directory_from_before_the_hourly_measures_still_reports(
        mim_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    old = tmp_path / "old-run"
    shutil.copytree(mim_run, old, ignore=shutil.ignore_patterns("hourly", "report.html"))
    code, _, err = run_cli(["report", str(old)], capsys)
    assert code == 0, err
    page = (old / "report.html").read_text(encoding="utf-8")
    assert "has no <code>hourly/</code> folder" in page and "utilisation heat map" not in page
    assert 'id="backlog"' in page and 'id="sla"' in page  # the rest is all there


@pytest.mark.parametrize("waits", [(0.0, 0.0), (12.0, 3.0)], ids=["nobody waited", "some waited"])
def test_the_queue_wait_figure_says_when_nobody_waited(waits: tuple[float, float]) -> None:
    import warnings

    from simulator.reporting.figures import queue_wait_figure

    hourly = pd.DataFrame({"team": ["desk", "desk"], "hour_of_week": [9, 10],
                           "queue_wait_min": list(waits), "queue_entries": [4, 2]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "cannot be log-scaled" must not come
        axes = queue_wait_figure(hourly).axes[0]
    notes = [text.get_text() for text in axes.texts]
    if max(waits) > 0:
        assert axes.get_yscale() == "log" and notes == []
    else:
        assert axes.get_yscale() == "linear"
        assert notes == ["no ticket waited for work in the measured window"]
