"""Files that are not what a command expects, made on demand: the classes of issue 13, items 1 and 5.

Each :class:`BadInput` writes its files into a directory and returns the ``mimsim``
arguments that read them, the text the one-line refusal must start with (the file or
option it names) and a fragment saying which limit or expectation was broken. The
parametrised test (``tests/unit/test_bad_files.py``) and the benchmark of time and
memory (``benchmarks/bench_bad_inputs.py``) both use this list.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parents[1] / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"

#: A small one-row-per-incident export and its mapping (with a group, so it can be calibrated).
LOG_HEADER = "key,created,resolved,team\n"
LOG_ROWS = "".join(f"A{i},2016-03-{1 + i % 20:02d} 09:00,2016-03-{1 + i % 20:02d} 11:00,net\n"
                   for i in range(40))
MAPPING = "case_id: key\nopened: created\nresolved: resolved\nfirst_group: team\nlast_group: team\n"


@dataclass(frozen=True)
class BadInput:
    """One bad input: how to make it, and what its refusal must say."""

    name: str
    make: Callable[[Path], list[str]]  # writes the files; returns the mimsim arguments
    names: Callable[[Path], str]  # what the line starts with: the file or option at fault
    fragment: str  # part of the message: the limit or expectation that was broken


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"  # 9^10 ≈ 3.5 billion nodes once expanded


def _flow_bomb() -> str:
    """The alias bomb on one line, as a ``--set`` value."""
    items = ['a0: &a0 [x, x, x, x, x, x, x, x, x]']
    items += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "{" + ", ".join(items) + "}"


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _binary(path: Path) -> Path:
    path.write_bytes(bytes(range(256)))
    return path


def _loop(directory: Path) -> Path:
    _text(directory / "b.yaml", "extends: a.yaml\n")
    return _text(directory / "a.yaml", "extends: b.yaml\n")


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:  # 50 MB on the size check, no 50 MB written
        handle.truncate(size)
    return path


def _validate(file: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda directory: ["validate", str(file(directory))]


def _extends(target: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    def make(directory: Path) -> list[str]:
        base = target(directory)
        return ["validate", str(_text(directory / "child.yaml", f"extends: {base}\nname: child\n"))]
    return make


def _chain(directory: Path) -> list[str]:
    for index in range(30):
        _text(directory / f"link{index}.yaml", f"extends: link{index + 1}.yaml\n")
    (directory / "link30.yaml").write_text(BASELINE.read_text())
    return ["validate", str(directory / "link0.yaml")]


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _calibrate(log: Callable[[Path], Path], mapping: str | None = MAPPING,
               *extra: str) -> Callable[[Path], list[str]]:
    def make(directory: Path) -> list[str]:
        arguments = ["calibrate", str(log(directory)), "-o", str(directory / "learned.yaml")]
        if mapping is not None:
            arguments += ["--log-format", "generic", "--mapping",
                          str(_text(directory / "map.yaml", mapping))]
        return [*arguments, *extra]
    return make


def _against(log: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    def make(directory: Path) -> list[str]:
        return ["validate-against", str(log(directory)), str(BASELINE), "--log-format", "generic",
                "--mapping", str(_text(directory / "map.yaml", MAPPING))]
    return make


def _at(name: str) -> Callable[[Path], str]:
    return lambda directory: str(directory / name)


def _csv(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        (directory / name).write_bytes(text.encode(encoding))
        return directory / name
    return make


_GOOD_LOG = _csv("log.csv", LOG_HEADER + LOG_ROWS)

#: Scenario files that are not ordinary text (issue 13, item 1).
SCENARIO_FILES = [
    BadInput("alias bomb", _validate(lambda d: _text(d / "bomb.yaml", _alias_bomb())),
             _at("bomb.yaml"), "expected at most 100,000 YAML nodes once aliases are expanded"),
    BadInput("recursive alias", _validate(lambda d: _text(d / "loop.yaml", "a: &a [1, *a]\n")),
             _at("loop.yaml"), "expected data without recursive aliases"),
    BadInput("lists nested 5,000 deep", _validate(lambda d: _text(d / "deep.yaml", "run: " + "[" * 5000
                                                                  + "]" * 5000 + "\n")),
             _at("deep.yaml"), "expected lists and mappings nested at most 50 levels deep"),
    BadInput("mappings nested 5,000 deep", _validate(lambda d: _text(d / "deep.yaml", "run: " + "{a: " * 5000
                                                                     + "1" + "}" * 5000 + "\n")),
             _at("deep.yaml"), "expected lists and mappings nested at most 50 levels deep"),
    BadInput("block mappings nested 1,000 deep", _validate(lambda d: _text(d / "deep.yaml", "".join(
        f"{' ' * level}k{level}:\n" for level in range(1000)))),
             _at("deep.yaml"), "expected lists and mappings nested at most 50 levels deep"),
    BadInput("a 5,000-digit integer", _validate(lambda d: _text(d / "big.yaml", "run:\n  seed: " + "9" * 5000
                                                                + "\n")),
             _at("big.yaml"), "expected numbers of at most 40 digits; found a number 5,000 characters"),
    BadInput("a 50 MB file", _validate(lambda d: _sparse(d / "huge.yaml", 50_000_000)),
             _at("huge.yaml"), "expected a scenario file of at most 1 MB"),
    BadInput("/dev/zero", lambda d: ["validate", "/dev/zero"], lambda d: "/dev/zero",
             "found a character device, not a regular file"),
    BadInput("/dev/urandom", lambda d: ["validate", "/dev/urandom"], lambda d: "/dev/urandom",
             "found a character device, not a regular file"),
    BadInput("a FIFO", _validate(lambda d: _fifo(d / "pipe.yaml")), _at("pipe.yaml"),
             "found a named pipe (FIFO), not a regular file"),
    BadInput("a directory", _validate(lambda d: _directory(d / "dir.yaml")),
             _at("dir.yaml"), "found a directory, not a regular file"),
    BadInput("binary, not UTF-8", _validate(lambda d: _binary(d / "bin.yaml")),
             _at("bin.yaml"), "which is not UTF-8"),
    BadInput("a date that does not exist", _validate(lambda d: _text(d / "date.yaml",
                                                                     "run:\n  start: 2026-02-30\n")),
             _at("date.yaml"), "day is out of range for month"),
    BadInput("extends: a loop", _validate(_loop),
             _at("b.yaml"), "expected a chain of files that ends; found 'a.yaml' extending itself"),
    BadInput("extends: a chain of 31 files", _chain, _at("link15.yaml"),
             "expected a chain of at most 16 files extending one another"),
    BadInput("extends: /dev/zero", _extends(lambda d: Path("/dev/zero")), _at("child.yaml:1"),
             "expected a scenario file to extend at /dev/zero; found a character device"),
    BadInput("extends: a FIFO", _extends(lambda d: _fifo(d / "pipe.yaml")), _at("child.yaml:1"),
             "found a named pipe (FIFO), not a regular file"),
    BadInput("extends: a 50 MB file", _extends(lambda d: _sparse(d / "huge.yaml", 50_000_000)),
             _at("child.yaml:1"), "of at most 1 MB"),
    BadInput("extends: an alias bomb", _extends(lambda d: _text(d / "bomb.yaml", _alias_bomb())),
             _at("bomb.yaml"), "expected at most 100,000 YAML nodes once aliases are expanded"),
    BadInput("--set: an alias bomb", lambda d: ["validate", str(BASELINE), "--set",
                                                "description=" + _flow_bomb()],
             lambda d: "--set description=", "expected at most 100,000 YAML nodes"),
]

#: Real-log inputs for calibrate and validate-against (issue 13, item 5).
LOG_FILES = [
    BadInput("a .zip that is not a zip", _calibrate(_csv("log.zip", LOG_HEADER + LOG_ROWS), None),
             _at("log.zip"), "expected a zip archive (the name ends in .zip); found a file that is not one"),
    BadInput("a zip without a CSV", _calibrate(lambda d: _zip(d / "log.zip", {"readme.txt": "hello"}), None),
             _at("log.zip"), "expected a zip archive holding one CSV file; found none among its files"),
    BadInput("a zip with two CSVs", _calibrate(lambda d: _zip(d / "log.zip", {"a.csv": LOG_HEADER,
                                                                                "b.csv": LOG_HEADER}), None),
             _at("log.zip"), "expected a zip archive holding one CSV file; found 2: a.csv, b.csv"),
    BadInput("an empty zip", _calibrate(lambda d: _zip(d / "log.zip", {}), None),
             _at("log.zip"), "found an empty archive"),
    BadInput("a CSV without its header row", _calibrate(_csv("log.csv", LOG_ROWS)),
             _at("log.csv"), "expected a header row naming the columns key, created, resolved, team"),
    BadInput("the preset on a CSV without its header row", _calibrate(_csv("log.csv", LOG_ROWS), None),
             _at("log.csv"), "expected a header row naming the columns number, opened_at"),
    BadInput("the wrong encoding", _calibrate(_csv("log.csv", LOG_HEADER + "Ä1,2016-03-01 09:00,"
                                                   "2016-03-01 11:00,Équipe\n", "cp1252")),
             _at("log.csv"), "expected text in utf-8; found byte 0xc4, which is not utf-8"),
    BadInput("an unknown encoding", _calibrate(_GOOD_LOG, MAPPING, "--encoding", "martian"),
             lambda d: "--encoding martian", "expected the name of a text encoding"),
    BadInput("a mapping naming missing columns", _calibrate(_GOOD_LOG, MAPPING.replace("created", "Created")),
             _at("log.csv"), "found none for opened → 'Created'"),
    BadInput("an empty CSV", _calibrate(_csv("log.csv", "")), _at("log.csv"),
             "expected a CSV file with a header row; found an empty file"),
    BadInput("a log that is a FIFO", _calibrate(lambda d: _fifo(d / "log.csv")), _at("log.csv"),
             "found a named pipe (FIFO), not a regular file"),
    BadInput("a log that is /dev/zero", _calibrate(lambda d: Path("/dev/zero")), lambda d: "/dev/zero",
             "expected a log file: a CSV, or a zip holding one; found a character device"),
    BadInput("a log that is a directory", _calibrate(lambda d: _directory(d / "logs")), _at("logs"),
             "found a directory, not a regular file"),
    BadInput("a mapping that is /dev/zero",
             lambda d: ["calibrate", str(_GOOD_LOG(d)), "--log-format", "generic", "--mapping",
                        "/dev/zero", "-o", str(d / "learned.yaml")],
             lambda d: "/dev/zero", "expected a column mapping file (YAML); found a character device"),
    BadInput("a mapping with a bad date format", _calibrate(_GOOD_LOG, MAPPING + "date_format: '%Q'\n"),
             _at("map.yaml:6"), "date_format: expected a time format such as"),
    BadInput("a log without assignment groups",
             _calibrate(_GOOD_LOG, "case_id: key\nopened: created\nresolved: resolved\n"),
             _at("log.csv"), "expected assignment groups to learn the routing from"),
    BadInput("validate-against: a zip without a CSV",
             _against(lambda d: _zip(d / "log.zip", {"notes.md": "x"})),
             _at("log.zip"), "expected a zip archive holding one CSV file"),
    BadInput("validate-against: no header row", _against(_csv("log.csv", LOG_ROWS)), _at("log.csv"),
             "expected a header row naming the columns"),
]

ALL = SCENARIO_FILES + LOG_FILES
