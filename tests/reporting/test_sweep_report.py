"""The sweep report: self-contained, the store's own numbers, surfaces with targets, honest about gaps."""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
import sqlite3
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from simulator.cli.render import format_value
from simulator.experiment import load_sweep
from simulator.experiment.sweep import sweep_summary
from simulator.reporting.report import _cell
from simulator.reporting.sweep_figures import surface_figure, target_verdict
from simulator.scenario.targets import Target
from tests.helpers import run_cli
from tests.reporting.test_report import assert_self_contained, parse

PATHS = ["teams.agents.agents", "flow.desk.handling.mean"]


def _images(report: Path) -> list[dict[str, str]]:
    return [attrs for tag, attrs in parse(report).tags if tag == "img"]


@pytest.mark.slow
def test_sweep_report_is_self_contained_with_a_heat_map_per_kpi(sweep_store: Path) -> None:
    report = sweep_store.with_suffix(".html")  # the default: next to the store
    assert assert_self_contained(report) == 1  # the scenario's one target: mtta_min
    ids = [attrs.get("id") for _, attrs in parse(report).tags if attrs.get("id")]
    assert ids == ["designs", "kpis", "surfaces", "appendix"]
    (image,) = _images(report)
    assert image["alt"] == "sweep surface of mtta_min"
    png = base64.b64decode(image["src"].split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as picture:
        # the stated size (assert_self_contained: the PNG's own) is the figure's: 100 dpi
        assert (picture.width, picture.height) == (int(image["width"]), int(image["height"]))
        assert 450 <= picture.width <= 1100 and 300 <= picture.height <= 800
        pixels = np.asarray(picture.convert("L"), dtype=float)
    assert pixels.std() > 30  # not blank: dark and light cells, text, a colour bar


@pytest.mark.slow
def test_sweep_report_kpi_table_is_the_stores_summary(sweep_store: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chosen.html"
    code, _, err = run_cli(["report", str(sweep_store), "-o", str(out), "--kpi", "mtta_min",
                            "--kpi", "p_wait", "--kpi", "P3.mttr_h"], capsys)
    assert code == 0, err
    assert assert_self_contained(out) == 3
    text = out.read_text(encoding="utf-8")
    summary = sweep_summary(load_sweep(sweep_store))
    assert len(summary["design"].unique()) == 4
    for _, group in summary.groupby("design", sort=False):
        rows = group.set_index("kpi")
        first = rows.iloc[0]
        cells = [str(first[PATHS[0]]), str(first[PATHS[1]]), "2",
                 *[_cell(format_value, kpi.rpartition(".")[2], rows.loc[kpi])
                   for kpi in ("mtta_min", "p_wait", "P3.mttr_h")]]
        assert "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>" in text
    # the verdicts the caption counts are the CIs' against the target
    target = Target(None, "mtta_min", "<=", 5.0)
    mtta = summary[summary["kpi"] == "mtta_min"]
    passed = sum(target_verdict(target, row.mean, row.ci_low, row.ci_high) == "pass"
                 for row in mtta.itertuples(index=False))
    assert f"{passed} of 4 designs meet it with 95 % confidence" in text
    assert "complete: 8 of 8 replications" in text and "incomplete" not in text
    assert (mtta["ci_low"] >= 0).all()  # clipped: no negative minutes


@pytest.mark.slow
def test_an_interrupted_sweep_is_reported_as_incomplete(sweep_store: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "interrupted.sqlite"
    shutil.copy(sweep_store, store)
    with sqlite3.connect(store) as db:  # the last replication never finished: neither row is there
        key, replication = db.execute("SELECT design_key, replication FROM replications "
                                      "ORDER BY rowid DESC LIMIT 1").fetchone()
        db.execute("DELETE FROM replications WHERE design_key = ? AND replication = ?", (key, replication))
        db.execute("DELETE FROM kpis WHERE design_key = ? AND replication = ?", (key, replication))
    code, _, err = run_cli(["report", str(store)], capsys)
    assert code == 0, err
    text = store.with_suffix(".html").read_text(encoding="utf-8")
    assert text.count("incomplete: 7 of 8 replications") >= 2  # under the title and in the appendix
    assert re.search(r"<td>mmc\[[^<]*\]: 1 of 2</td>", text)  # which design lacks one


@pytest.mark.parametrize("content", [b"not a store\n", b"SQLite format 3\x00" + bytes(200)])
def test_a_file_that_is_no_sweep_store_is_one_clear_line(content: bytes, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "results.sqlite"
    bad.write_bytes(content)
    code, _, err = run_cli(["report", str(bad)], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "results.sqlite" in err and "expected a run or comparison directory, or a sweep store" in err
    assert not bad.with_suffix(".html").exists()


@pytest.mark.slow
def test_an_unknown_kpi_is_one_clear_line(sweep_store: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["report", str(sweep_store), "-o", str(tmp_path / "x.html"), "--kpi", "mtta"],
                           capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and "--kpi" in err and "'mtta'" in err and "mtta_min" in err


def _summary(levels: dict[str, list[object]], means: list[float]) -> pd.DataFrame:
    """A sweep summary of one KPI over the full grid of ``levels`` (the first key varies slowest)."""
    grid = pd.MultiIndex.from_product(list(levels.values()), names=list(levels)).to_frame(index=False)
    grid["design"] = [f"d{index}" for index in range(len(grid))]
    grid["kpi"] = "mtta_min"
    grid["mean"] = means
    grid["ci_low"], grid["ci_high"], grid["n"] = grid["mean"] - 1, grid["mean"] + 1, 2
    return grid


def test_one_swept_parameter_is_a_line_with_its_band_and_target() -> None:
    summary = _summary({"teams.agents.agents": [10, 11, 12]}, [12.0, 4.5, 1.9])
    surface = surface_figure(summary, ["teams.agents.agents"], "mtta_min",
                             Target(None, "mtta_min", "<=", 5.0), format_value)
    (axes,) = surface.figure.axes
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert list(lines["mean over replications"].get_xdata()) == [10, 11, 12]
    assert list(lines["mean over replications"].get_ydata()) == [12.0, 4.5, 1.9]
    assert list(lines["target <= 5.00"].get_ydata()) == [5.0, 5.0]
    plt.close(surface.figure)


def test_a_third_parameter_is_facets_and_a_fourth_is_held_at_its_first_value() -> None:
    levels: dict[str, list[object]] = {"a": [1, 2], "b": ["x", "y", "z"], "c": [5, 6, 7], "d": ["1w", "2w"]}
    summary = _summary(levels, [float(index) for index in range(2 * 3 * 3 * 2)])
    surface = surface_figure(summary, list(levels), "mtta_min", Target(None, "mtta_min", ">=", 30.0),
                             format_value)
    panels = [axes for axes in surface.figure.axes if axes.get_images()]
    assert [axes.get_title() for axes in panels] == ["c = 5", "c = 6", "c = 7"]
    assert surface.notes == ("d is held at 1w (the surface shows three swept parameters at most)",)
    # d = 1w are the even designs; panel c = 5 holds a × b with c = 5: means 0, 6, 12 (a = 1) …
    cells = panels[0].get_images()[0].get_array()
    assert cells.shape == (3, 2)
    assert [[float(value) for value in row] for row in cells] == [[0.0, 18.0], [6.0, 24.0], [12.0, 30.0]]
    outlined = [patch for patch in panels[2].patches]  # c = 7: means 4 … 34; ≥ 30 with CI ±1 only at 34
    assert len(outlined) == 1
    plt.close(surface.figure)
