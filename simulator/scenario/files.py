"""Scenario layer: opening the files a user names, without hanging or running out of memory.

A path on the command line may name anything: a directory, a named pipe that
blocks whoever opens it, ``/dev/zero`` (endless), a 50 MB file. Before any file
is opened its type is checked (``stat`` does not block), and text is read with
a byte cap, so that every such mistake is one line naming the file and what was
found. Scenario files, column mappings and real logs are read through here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from simulator.scenario.errors import Problem, ScenarioError

__all__ = ["MAX_TEXT_BYTES", "file_kind", "read_capped_text", "require_regular_file"]

#: The largest scenario or mapping file mimsim reads: 1 MB. The shipped scenarios are under
#: 10 kB; a scenario is written by hand or by `mimsim calibrate`, never megabytes long.
MAX_TEXT_BYTES = 1_000_000

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What a ``stat`` mode describes, in words (``"a directory"``, ``"a regular file"``)."""
    return next((kind for test, kind in _KINDS if test(mode)), "a regular file")


def require_regular_file(path: Path, expected: str) -> int:
    """The size of ``path`` in bytes, if it is a regular file (symbolic links followed).

    Raises
    ------
    ScenarioError
        One problem naming the file: ``expected`` (e.g. "a scenario file") and what is there.
    """
    try:
        mode = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError([Problem((), f"expected {expected}; found no file at this path",
                                     str(path))]) from None
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        reason = getattr(error, "strerror", None) or error
        raise ScenarioError([Problem((), f"expected {expected}; found a path that cannot be "
                                         f"read ({reason})", str(path))]) from None
    if not stat.S_ISREG(mode.st_mode):
        raise ScenarioError([Problem((), f"expected {expected}; found {file_kind(mode.st_mode)}, "
                                         f"not a regular file", str(path))])
    return mode.st_size


def read_capped_text(path: Path, expected: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    The size is checked before reading and the read itself stops after ``limit + 1``
    bytes, so a file that grows meanwhile cannot exhaust memory either.

    Raises
    ------
    ScenarioError
        One problem naming the file: not a regular file, too large, unreadable, or not UTF-8.
    """
    size = require_regular_file(path, expected)
    if size > limit:
        raise ScenarioError([_too_large(path, expected, limit, f"{size / 1e6:.1f} MB")])
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise ScenarioError([Problem((), f"expected {expected}; found a file that cannot be read "
                                         f"({error.strerror or error})", str(path))]) from None
    if len(data) > limit:
        raise ScenarioError([_too_large(path, expected, limit, "more (it grew while being read)")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError([Problem((), f"expected {expected} in UTF-8 text; found byte "
                                         f"0x{data[error.start]:02x} at offset {error.start}, which "
                                         f"is not UTF-8 (a binary file, or text saved in another "
                                         f"encoding)", str(path))]) from None


def _too_large(path: Path, expected: str, limit: int, found: str) -> Problem:
    return Problem((), f"expected {expected} of at most {limit / 1e6:g} MB (the limit on files "
                       f"mimsim reads as text); found {found}", str(path))
