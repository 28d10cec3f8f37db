"""Where results go, where they run, and how big a request is (issue 13, items 2–4; issue 20, item 3).

Every command that writes is pointed at a place it must not write: an existing plain file, a
directory where a file is expected, a path inside a file, a directory or database that mimsim
did not make. Every command that runs replications is given a Dask address that is empty,
malformed or unreachable, and sizes that cannot finish. Each case must end in exit code 2 and
one line on stderr naming the option and the path or value — no traceback, no "internal
error" — and leave every file and directory under the test's folder exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from simulator.cli.main import main
from simulator.experiment import workload
from simulator.experiment.scheduler import parse_scheduler_address, reach_scheduler
from simulator.experiment.workload import incidents_per_replication
from simulator.scenario.loader import parse_scenario
from tests.helpers import TINY, merge, run_cli

ROOT = Path(__file__).parents[2]
MMC = ROOT / "scenarios" / "mmc.yaml"
EXERCISE = ROOT / "scenarios" / "exercises" / "cloudflare-2019-waf.yaml"
NOTES = "my notes: do not lose them\n"


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: its type, and for a file its SHA-256, size and mtime."""
    entries = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if path.is_symlink():
            entries[relative] = f"link to {os.readlink(path)}"
        elif path.is_dir():
            entries[relative] = "directory"
        else:
            status = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            entries[relative] = f"{digest} {status.st_size} {status.st_mtime_ns}"
    return entries


def prepare(tmp: Path) -> None:
    """The folder every case starts from: a scenario and the kinds of file a user keeps."""
    (tmp / "scenario.yaml").write_text(yaml.safe_dump(TINY))
    (tmp / "notes.txt").write_text(NOTES)
    (tmp / "figure.png").write_text(NOTES)  # a name mimsim might use, content it did not write
    (tmp / "page.html").write_text("<!DOCTYPE html><html><body>mine</html>\n")
    (tmp / "summary.json").write_text('{"mine": true}\n')
    (tmp / "folder").mkdir()
    (tmp / "folder" / "a.txt").write_text(NOTES)
    with sqlite3.connect(tmp / "other.db") as db:  # an SQLite file of another program
        db.execute("CREATE TABLE contacts (name TEXT)")
        db.execute("INSERT INTO contacts VALUES ('Ada')")
    with sqlite3.connect(tmp / "store.sqlite") as db:  # a sweep store, where a tabletop db is due
        db.executescript("CREATE TABLE designs (k TEXT); CREATE TABLE replications (k TEXT); "
                         "CREATE TABLE kpis (k TEXT);")
    # A run directory the user wrote into: a kpis.csv of their own, no manifest.
    (tmp / "analysis").mkdir()
    (tmp / "analysis" / "kpis.csv").write_text("kpi,value\nmine,1\n")


def mimsim(*arguments: str) -> None:
    """Run a ``mimsim`` command that must succeed (a case's set-up)."""
    try:
        main(list(arguments))
    except SystemExit as stopped:
        assert not stopped.code, f"mimsim {' '.join(arguments)} exited with {stopped.code}"


def mimsim_run_with_a_note(tmp: Path) -> None:
    """A run directory mimsim wrote, into which the user then put a note."""
    mimsim("run", str(tmp / "scenario.yaml"), "-r", "1", "-j", "1", "--out", str(tmp / "made"))
    (tmp / "made" / "events" / "notes.txt").write_text(NOTES)


def busy_for_decades(tmp: Path) -> None:
    """1,000 incidents a day for 1,000 weeks: about 7 million in each replication."""
    changes = {"arrivals": {"calls": {"at": None, "volume": "1000/day"}}, "run": {"horizon": "1000w"}}
    (tmp / "busy.yaml").write_text(yaml.safe_dump(merge(TINY, changes)))


S = "scenario.yaml"


def _case(name: str, arguments: list[str], fragments: list[str],
          setup: Callable[[Path], None] | None = None) -> tuple[str, list[str], list[str],
                                                               Callable[[Path], None] | None]:
    return name, arguments, fragments, setup


# (id, arguments relative to the test's folder, fragments the one line must hold, extra set-up)
CASES = [
    # Item 2 / issue 20 item 3: run, compare and roi directories
    _case("run --out an existing plain file", ["run", S, "--out", "notes.txt"],
          ["--out notes.txt", "a directory", "found a file"]),
    _case("run -o inside a file", ["run", S, "-o", "notes.txt/run"],
          ["--out notes.txt/run", "notes.txt, which is a file"]),
    _case("run --out ''", ["run", S, "--out", ""], ["--out ''", "empty"]),
    _case("run --out a directory of the user's", ["run", S, "--out", "folder"],
          ["--out folder", "a directory mimsim did not write"]),
    _case("run --out a directory with a kpis.csv but no manifest", ["run", S, "--out", "analysis"],
          ["--out analysis", "manifest.json"]),
    _case("run --out a mimsim run directory holding a user's note", ["run", S, "--out", "made"],
          ["--out made", "events/notes.txt", "which mimsim did not write"], mimsim_run_with_a_note),
    _case("compare -o an existing plain file", ["compare", S, S, "-o", "notes.txt"],
          ["--out notes.txt", "found a file"]),
    _case("compare -o a directory of the user's", ["compare", S, S, "-o", "folder"],
          ["--out folder", "did not write"]),
    _case("roi --out inside a file", ["roi", S, S, "--out", "notes.txt/roi"],
          ["--out notes.txt/roi", "which is a file"]),
    # Item 2: files
    _case("warmup --plot a directory", ["warmup", S, "--plot", "folder"],
          ["--plot folder", "found a directory"]),
    _case("warmup --plot over a user's file named .png", ["warmup", S, "--plot", "figure.png"],
          ["--plot figure.png", "a PNG image", "other content"]),
    _case("warmup --plot a text file", ["warmup", S, "--plot", "notes.txt"],
          ["--plot notes.txt", ".png, .svg or .pdf"]),
    _case("sensitivity --plot inside a file",
          ["sensitivity", S, "--range", "teams.desk.agents=1:2", "--plot", "notes.txt/t.png"],
          ["--plot notes.txt/t.png", "which is a file"]),
    _case("diagram -o a directory", ["diagram", S, "-o", "folder"], ["--out folder", "a directory"]),
    _case("diagram -o over a user's file", ["diagram", S, "-o", "figure.png"],
          ["--out figure.png", "other content"]),
    _case("report -o over a user's page", ["report", "made", "-o", "page.html"],
          ["--out page.html", "a mimsim HTML report"], mimsim_run_with_a_note),
    _case("report -o a directory", ["report", "made", "-o", "folder"],
          ["--out folder", "a directory"]),
    _case("calibrate -o over the scenario", ["calibrate", "notes.txt", "-o", S],
          [f"--out {S}", "`mimsim calibrate`", "other content"]),
    _case("calibrate --report over a user's JSON",
          ["calibrate", "notes.txt", "-o", "learned.yaml", "--report", "summary.json"],
          ["--report summary.json", "calibration report"]),
    _case("validate-against --plot inside a file", ["validate-against", "notes.txt", S, "--plot",
                                                    "notes.txt/v.png"],
          ["--plot notes.txt/v.png", "which is a file"]),
    # Item 2: stores and databases
    _case("sweep --store a text file", ["sweep", S, "--grid", "teams.desk.agents=1,2", "--store",
                                        "notes.txt"],
          ["--store notes.txt", "sweep store", "not an SQLite database"]),
    _case("sweep --store another program's SQLite file",
          ["sweep", S, "--grid", "teams.desk.agents=1,2", "--store", "other.db"],
          ["--store other.db", "without the tables designs, kpis, replications"]),
    _case("sweep --store a directory", ["sweep", S, "--grid", "teams.desk.agents=1,2", "--store",
                                        "folder"], ["--store folder", "found a directory"]),
    _case("sweep --store ''", ["sweep", S, "--grid", "teams.desk.agents=1,2", "--store", ""],
          ["--store ''", "empty"]),
    _case("tabletop --db a text file", ["tabletop", str(EXERCISE), "--db", "notes.txt"],
          ["--db notes.txt", "tabletop database", "not an SQLite database"]),
    _case("tabletop --db a sweep store", ["tabletop", str(EXERCISE), "--db", "store.sqlite"],
          ["--db store.sqlite", "without the tables rounds, settings"]),
    _case("tabletop --db a directory", ["tabletop", str(EXERCISE), "--db", "folder"],
          ["--db folder", "found a directory"]),
    # Item 3: Dask addresses
    _case("--dask ''", ["run", S, "--dask", ""], ["--dask ''", "empty address"]),
    _case("--dask without a port", ["run", S, "--dask", "tcp://127.0.0.1"],
          ["--dask 'tcp://127.0.0.1'", "no port"]),
    _case("--dask with another protocol", ["sweep", S, "--grid", "teams.desk.agents=1,2", "--dask",
                                           "udp://127.0.0.1:8786"], ["--dask", "'udp'"]),
    _case("--dask with a port out of range", ["compare", S, S, "--dask", "127.0.0.1:99999"],
          ["--dask '127.0.0.1:99999'", "port number"]),
    _case("--dask where nobody listens", ["run", S, "--dask", "tcp://127.0.0.1:1", "--dask-timeout",
                                          "1"],
          ["--dask 'tcp://127.0.0.1:1'", "(1 s; --dask-timeout)", "127.0.0.1 port 1"]),
    _case("--dask on a host that does not exist",
          ["staff", S, "--target", "mtta_min<=30", "--dask", "tcp://no-such-host.invalid:8786",
           "--dask-timeout", "3"], ["--dask 'tcp://no-such-host.invalid:8786'", "no-such-host.invalid"]),
    # Item 4: sizes that cannot finish
    _case("run -r 100000000", ["run", S, "-r", "100000000"],
          ["-r: expected at most 100,000,000", "100,000,000 replications", "--yes"]),
    _case("compare -r 100000000", ["compare", S, S, "-r", "100000000"],
          ["SCENARIOS and --vary × -r", "--yes"]),
    _case("warmup -r auto with a huge cap", ["warmup", S, "-r", "auto", "--max-replications",
                                             "100000000"], ["--max-replications", "--yes"]),
    _case("roi -r 100000000", ["roi", S, S, "-r", "100000000"], ["-r", "--yes"]),
    _case("sensitivity -r 100000000", ["sensitivity", S, "--range", "teams.desk.agents=1:2", "-r",
                                       "100000000"], ["--range", "-r", "--yes"]),
    _case("staff -r 100000000", ["staff", S, "--target", "mtta_min<=30", "-r", "100000000"],
          ["--max-designs × -r", "--yes"]),
    _case("staff -r until-clear with a huge cap", ["staff", S, "--target", "mtta_min<=30", "-r",
                                                   "until-clear", "--max-replications", "100000000"],
          ["--max-replications, with -r until-clear", "--yes"]),
    _case("a sweep grid of 10,000 designs", ["sweep", str(MMC), "--grid", "teams.agents.agents=1:100",
                                             "--grid", "run.seed=1:100", "-r", "2"],
          ["--grid × -r", "10,000 designs", "--yes"]),
    _case("a sweep grid of a million designs", ["sweep", str(MMC), "--grid", "run.seed=1:1000",
                                                "--grid", "teams.agents.agents=1:1000"],
          ["'--grid'", "at most 20,000 designs", "1,000,000"]),
    _case("a horizon of centuries", ["run", S, "--set", "run.horizon=5200w"],
          ["--set run.horizon=5200w", "run.horizon"]),
    _case("a horizon of decades at a busy desk", ["run", "busy.yaml"],
          ["run.horizon: expected at most 500,000 incidents a replication", "--yes"],
          busy_for_decades),
]


@pytest.mark.parametrize(("name", "arguments", "fragments", "setup"), CASES,
                         ids=[case[0] for case in CASES])
def test_a_place_or_size_that_cannot_be_used_is_one_line_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        name: str, arguments: list[str], fragments: list[str],
        setup: Callable[[Path], None] | None) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths, and default outputs, land in the test's folder
    prepare(tmp_path)
    if setup is not None:
        setup(tmp_path)
    capsys.readouterr()
    before = snapshot(tmp_path)
    code, out, err = run_cli(arguments, capsys)
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    assert snapshot(tmp_path) == before


def test_yes_lets_a_request_above_the_limits_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    prepare(tmp_path)
    monkeypatch.setattr(workload, "WORK_LIMIT", 3_000)  # two one-incident replications: 3,002
    code, _, err = run_cli(["run", S, "-r", "2", "-j", "1"], capsys)
    assert code == 2 and "-r: expected at most 3,000 simulated incidents' worth" in err
    code, out, err = run_cli(["run", S, "-r", "2", "-j", "1", "--yes"], capsys)
    assert code == 0, err
    assert "2 replications" in out
    monkeypatch.setattr(workload, "REPLICATION_LIMIT", 0.5)
    code, _, err = run_cli(["run", S, "-r", "1", "-j", "1"], capsys)
    assert code == 2 and "expected at most 0.5 incidents a replication" in err
    code, _, err = run_cli(["run", S, "-r", "1", "-j", "1", "--yes"], capsys)
    assert code == 0, err


def test_the_estimate_counts_arrivals_fixed_times_and_the_backlog() -> None:
    scenario = parse_scenario(merge(TINY, {
        "arrivals": {"calls": {"at": ["1m", "2m"]}, "web": {"volume": "144/day"}},
        "initial_backlog": [{"team": "desk", "priority": "P3", "count": 5, "age": "1h"}]}), "test")
    assert incidents_per_replication(scenario) == pytest.approx(2 + 144 * 7 + 5)
    work = workload.Workload(incidents_per_replication(scenario), replications=3, designs=2)
    per_replication = 2 + 144 * 7 + 5 + workload.REPLICATION_COST
    assert work.total == pytest.approx(2 * (workload.DESIGN_COST + 3 * per_replication))


def test_sweep_and_staff_take_no_precision_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """They give every design the same replications (staff: or each roster until its targets are
    decided, with a cap), so --precision would do nothing."""
    monkeypatch.chdir(tmp_path)
    prepare(tmp_path)
    for command, refused in (
            (["sweep", S, "--grid", "teams.desk.agents=1,2"],
             (["--precision", "0.1"], ["--precision-kpi", "mtta_min"], ["--max-replications", "5"])),
            (["staff", S, "--target", "mtta_min<=30"],
             (["--precision", "0.1"], ["--precision-kpi", "mtta_min"]))):
        for option in refused:
            code, _, err = run_cli([*command, *option], capsys)
            assert code == 2 and f"No such option '{option[0]}'" in err, err
            assert len(err.strip().splitlines()) == 1
        code, out, _ = run_cli([command[0], "--help"], capsys)
        assert code == 0 and "--precision" not in out and "--yes" in out
    code, out, _ = run_cli(["staff", "--help"], capsys)
    assert "--max-replications" in out and "until-clear" in out
    code, out, _ = run_cli(["run", "--help"], capsys)
    assert "--precision" in out and "--max-replications" in out


@pytest.fixture(params=[b"HTTP/1.1 400 Bad Request\r\n\r\n", b""], ids=["talks HTTP", "says nothing"])
def not_a_scheduler(request: pytest.FixtureRequest) -> Iterator[str]:
    """A TCP port where something that is not Dask listens."""
    server = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connections.append(connection)
            connection.sendall(request.param)

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for connection in connections:
        connection.close()


def test_dask_where_something_else_listens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str],
                                           not_a_scheduler: str) -> None:
    monkeypatch.chdir(tmp_path)
    prepare(tmp_path)
    before = snapshot(tmp_path)
    code, _, err = run_cli(["run", S, "--out", "new", "--dask", not_a_scheduler,
                            "--dask-timeout", "2"], capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"--dask {not_a_scheduler!r}: expected a Dask scheduler at this address")
    assert "did not answer as one within 2 s" in lines[0]
    assert snapshot(tmp_path) == before


def test_a_running_scheduler_is_reached() -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = parse_scheduler_address(cluster.scheduler_address)
        assert address is not None
        reach_scheduler(address, 5.0)  # no error


@pytest.mark.slow  # four runs and a report
def test_a_directory_mimsim_wrote_is_emptied_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing of the earlier run (two replications, a report, a comparison) stays beside the new."""
    monkeypatch.chdir(tmp_path)
    prepare(tmp_path)
    mimsim("run", S, "-r", "2", "-j", "1", "--out", "made", "--report")
    assert {p.name for p in (tmp_path / "made" / "events").iterdir()} == {
        "replication-000.parquet", "replication-001.parquet"}
    mimsim("run", S, "-r", "1", "-j", "1", "--out", "made")
    assert sorted(str(p.relative_to(tmp_path / "made")) for p in (tmp_path / "made").rglob("*.*")) == [
        "backlog/replication-000.parquet", "events/replication-000.parquet",
        "hourly/replication-000.parquet", "incidents/replication-000.parquet", "kpis.csv",
        "manifest.json", "summary.json"]
    manifest = json.loads((tmp_path / "made" / "manifest.json").read_text())
    assert (manifest["written_by"], manifest["state"], manifest["replications_finished"]) == (
        "mimsim", "finished", [0])
    mimsim("compare", S, "--vary", "teams.desk.agents=2", "-r", "1", "-j", "1", "-o", "made")
    names = {p.name for p in (tmp_path / "made").iterdir()}
    assert names == {"manifest.json", "comparison.json", "differences.csv", "scenario",
                     "scenario[teams.desk.agents=2]"}
    assert json.loads((tmp_path / "made" / "manifest.json").read_text())["state"] == "finished"
    capsys.readouterr()
