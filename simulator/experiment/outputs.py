"""Experiment layer: where results may be written, checked before anything is.

mimsim replaces only what it wrote itself:

* an output **file** (a plot, a diagram, an HTML report, a learned scenario) may be new, empty,
  or a file of the kind the command writes (a PNG, SVG or PDF image, a mimsim report, ...);
  any other file — a user's notes, a scenario, a log — and any directory, FIFO or device is
  refused;
* an output **directory** (``run``, ``compare`` and ``roi --out``) may be new, empty, or one
  mimsim made — marked by its ``manifest.json`` — that holds nothing but mimsim's files; such a
  directory is emptied before a new run writes into it, so that nothing of an earlier (or a
  killed) run mixes with the new one;
* a **store** (``sweep --store``) or tabletop **database** (``tabletop --db``) may be new,
  empty, or an SQLite file with that store's tables; any other file is never opened for writing.

Every directory above the path must be a directory (not a file) that this user may write in.
A refusal is an :class:`OutputError`, one line: the option, the path, what was expected and
what was found; nothing has been created, changed or truncated.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.experiment.refusal import RefusedError

__all__ = [
    "CALIBRATION_REPORT",
    "DIAGRAMS",
    "HTML_REPORT",
    "LEARNED_SCENARIO",
    "MANIFEST",
    "PLOTS",
    "SWEEP_STORE_TABLES",
    "TABLETOP_TABLES",
    "FileKind",
    "OutputError",
    "check_database",
    "check_output_file",
    "check_run_directory",
    "prepare_run_directory",
    "write_manifest",
]

MANIFEST = "manifest.json"
#: The tables that make an SQLite file a sweep store, or a tabletop exercise's database.
SWEEP_STORE_TABLES = frozenset({"designs", "replications", "kpis"})
TABLETOP_TABLES = frozenset({"settings", "rounds"})

#: Files mimsim writes in a run, comparison or ROI directory (at any depth: a comparison
#: holds one run directory per design, named after the design).
_OWN_FILES = frozenset({MANIFEST, "summary.json", "kpis.csv", "report.html", "comparison.json",
                        "differences.csv", "roi.json", "roi.md", "roi.html", "roi-distribution.png",
                        "roi-tornado.png"})
#: Per-replication files, each in its folder.
_OWN_FOLDERS = frozenset({"events", "incidents", "backlog", "hourly"})
_REPLICATION_FILE = re.compile(r"replication-\d+\.(parquet|csv|xes)")
#: A file being written (renamed into place when complete; left behind by a killed run).
_PARTIAL = ".partial"
_SQLITE_HEADER = b"SQLite format 3\x00"
_HEAD_BYTES = 4096


class OutputError(RefusedError):
    """A path results cannot be written to; ``str(error)`` is one line."""

    def __init__(self, path: str | Path, expected: str, found: str, option: str | None = None) -> None:
        self.path = str(path)
        self.option = option
        where = f"{option} {self.path}" if option else self.path
        super().__init__(f"{where}: expected {expected}; found {found}")


@dataclass(frozen=True)
class FileKind:
    """A kind of file mimsim writes: its name, suffixes, and how to recognise one it wrote."""

    name: str
    suffixes: tuple[str, ...]
    recognise: Callable[[bytes], bool]


def _html_report(head: bytes) -> bool:
    # Reports carry a generator tag; older ones are recognised by mimsim's exact opening.
    return (b'<meta name="generator" content="mimsim">' in head
            or head.startswith(b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
                               b'<meta name="viewport"'))


def _calibration_report(head: bytes) -> bool:
    return head.lstrip().startswith(b"{") and b'"source"' in head and b'"incidents"' in head


PNG = FileKind("a PNG image", (".png",), lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"))
SVG = FileKind("an SVG image", (".svg",), lambda head: b"<svg" in head)
PDF = FileKind("a PDF", (".pdf",), lambda head: head.startswith(b"%PDF-"))
#: Figures (matplotlib picks the format from the suffix) and process diagrams.
PLOTS = (PNG, SVG, PDF)
DIAGRAMS = (PNG, SVG)
HTML_REPORT = FileKind("a mimsim HTML report", (".html", ".htm"), _html_report)
LEARNED_SCENARIO = FileKind("a scenario written by `mimsim calibrate`", (".yaml", ".yml"),
                            lambda head: head.startswith(b"# Learned by `mimsim calibrate"))
CALIBRATION_REPORT = FileKind("a calibration report (JSON)", (".json",), _calibration_report)


def _empty(path: str | Path, option: str | None) -> None:
    if str(path) == "":
        raise OutputError("''", "a path", "an empty one", option)


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _check_parents(path: Path, option: str | None) -> None:
    """The nearest existing directory above ``path`` must be a directory this user may write in."""
    for ancestor in Path(os.path.abspath(path)).parents:
        try:
            mode = ancestor.stat().st_mode
        except FileNotFoundError:
            continue
        except NotADirectoryError:  # a file further up: the next ancestor says which
            continue
        except PermissionError:
            raise OutputError(path, "a place this user may write in", f"no permission to enter "
                                    f"{ancestor}", option) from None
        if not stat.S_ISDIR(mode):
            raise OutputError(path, "a path under a directory", f"{ancestor}, which is "
                              f"{'a file' if stat.S_ISREG(mode) else _file_type(mode)}", option)
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise OutputError(path, "a place this user may write in",
                              f"no permission to write in {ancestor}", option)
        return


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD_BYTES)
    except OSError:
        return b""


def _existing(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _place(path: str | Path, option: str | None) -> tuple[Path, os.stat_result | None]:
    """``path`` as a Path, once it is known to be non-empty with a writable directory above it,
    and what is there now (None: nothing yet)."""
    _empty(path, option)
    target = Path(path)
    _check_parents(target, option)
    return target, _existing(target)


def check_output_file(path: str | Path, kinds: Sequence[FileKind], option: str | None = None) -> Path:
    """Check that a file of one of ``kinds`` may be written at ``path``; return it as a Path.

    RefusedError (``OutputError``): an empty path; a suffix none of the kinds has; a path under a
    file or in a directory this user may not write in; an existing directory, FIFO or device;
    an existing file this user may not write, or one with content mimsim did not write.
    """
    target, status = _place(path, option)
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise OutputError(target, "a file to write", _file_type(status.st_mode), option)
    suffixes = [suffix for kind in kinds for suffix in kind.suffixes]
    if target.suffix.lower() not in suffixes:
        listed = ", ".join(suffixes[:-1]) + (" or " if len(suffixes) > 1 else "") + suffixes[-1]
        raise OutputError(target, f"a file name ending in {listed}", f"{target.name!r}", option)
    if status is None:
        return target
    if not os.access(target, os.W_OK):
        raise OutputError(target, "a file this user may write", "one without write permission",
                          option)
    head = _head(target)
    if status.st_size > 0 and not any(kind.recognise(head) for kind in kinds):
        names = " or ".join(kind.name for kind in kinds)
        raise OutputError(target, f"a new file, or {names} that mimsim wrote",
                          "a file with other content, which mimsim leaves as it is (move it, or "
                          "choose another name)", option)
    return target


def _sqlite_tables(path: Path) -> set[str] | None:
    """The tables of an SQLite file, or None if it is not one."""
    if not _head(path).startswith(_SQLITE_HEADER):
        return None
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return None


def check_database(path: str | Path, tables: Iterable[str], what: str,
                   option: str | None = None) -> Path:
    """Check that ``path`` is a new or empty file, or an SQLite file holding ``tables``.

    ``what`` names the kind in messages, e.g. "a mimsim sweep store (from `mimsim sweep`)".
    A file of any other kind is refused without being opened for writing.
    """
    target, status = _place(path, option)
    if status is None:
        return target
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(target, what, _file_type(status.st_mode), option)
    if not os.access(target, os.R_OK | os.W_OK):
        raise OutputError(target, f"{what} this user may read and write",
                          "one without that permission", option)
    if status.st_size == 0:
        return target
    found = _sqlite_tables(target)
    if found is None:
        raise OutputError(target, what, "a file that is not an SQLite database, which mimsim "
                                        "leaves as it is", option)
    missing = sorted(set(tables) - found)
    if missing:
        raise OutputError(target, what, f"an SQLite database without the tables {', '.join(missing)}"
                                        f", which mimsim leaves as it is", option)
    return target


def _manifest(path: Path) -> dict[str, object] | None:
    try:
        document = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _marked(path: Path) -> bool:
    """Whether mimsim made this directory: its manifest says so (a run's manifest, from before
    the mark existed, by its scenario hash); an older comparison or ROI by its summary file."""
    manifest = _manifest(path)
    if manifest is not None and (manifest.get("written_by") == "mimsim" or "scenario_hash" in manifest):
        return True
    return (path / "comparison.json").is_file() or (path / "roi.json").is_file()


def _own_file(relative: Path) -> bool:
    name = relative.name.removesuffix(_PARTIAL)
    if name in _OWN_FILES:
        return True
    return relative.parent.name in _OWN_FOLDERS and _REPLICATION_FILE.fullmatch(name) is not None


def _stranger(path: Path) -> str | None:
    """The first thing in the directory mimsim would not have written (relative path), if any."""
    for folder, directories, files in os.walk(path):
        here = Path(folder)
        for name in sorted(directories):
            if (here / name).is_symlink():
                return str((here / name).relative_to(path))
        for name in sorted(files):
            entry = here / name
            relative = entry.relative_to(path)
            if entry.is_symlink() or not entry.is_file() or not _own_file(relative):
                return str(relative)
    return None


def check_run_directory(path: str | Path, option: str | None = None) -> Path:
    """Check that a run (or comparison) directory may be written at ``path``; return it.

    Accepted: a path where nothing is yet (under a writable directory), an empty directory,
    or a directory mimsim made — marked by its manifest — holding only mimsim's files.
    """
    target, status = _place(path, option)
    if status is None:
        return target
    if not stat.S_ISDIR(status.st_mode):
        kind = "a file" if stat.S_ISREG(status.st_mode) else _file_type(status.st_mode)
        raise OutputError(target, "a directory to write the run into", f"{kind}, which mimsim "
                                  f"leaves as it is", option)
    if not os.access(target, os.W_OK | os.X_OK):
        raise OutputError(target, "a directory this user may write in",
                          "one without write permission", option)
    if not any(target.iterdir()):
        return target
    if not _marked(target):
        raise OutputError(target, f"a new or empty directory, or one mimsim wrote (with its "
                                  f"{MANIFEST})", "a directory mimsim did not write; nothing in "
                                  "it is changed (choose a new directory)", option)
    stranger = _stranger(target)
    if stranger is not None:
        raise OutputError(target, "a directory holding only what mimsim wrote",
                          f"{stranger!r}, which mimsim did not write; nothing in the directory is "
                          f"changed (move it, or choose a new directory)", option)
    return target


def write_manifest(path: Path, manifest: dict[str, object]) -> None:
    """Write ``path/manifest.json`` whole or not at all (a reader never sees half of one)."""
    partial = path / (MANIFEST + _PARTIAL)
    partial.write_text(json.dumps({"written_by": "mimsim", **manifest}, indent=2) + "\n",
                       encoding="utf-8")
    partial.replace(path / MANIFEST)


def prepare_run_directory(path: str | Path, opening: dict[str, object] | None = None) -> Path:
    """Check ``path`` (see :func:`check_run_directory`), empty it, and mark it as mimsim's.

    The manifest is written first, with ``"state": "running"``, so that a run killed at any
    moment leaves a directory marked as mimsim's — which the next run may empty and reuse —
    and a manifest that says the run did not finish.
    """
    target = check_run_directory(path)
    target.mkdir(parents=True, exist_ok=True)
    write_manifest(target, {**(opening or {}), "state": "running"})
    for entry in target.iterdir():
        if entry.name == MANIFEST:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return target
