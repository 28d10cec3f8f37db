"""CLI layer: option types for the paths commands write to, checked when the command line is read.

``--out``, ``-o``, ``--plot``, ``--report``, ``--store`` and ``--db`` are checked before a
scenario is loaded or a replication runs (the rules are in :mod:`simulator.experiment.outputs`):
a path mimsim may not write is one line naming the option, the path, what was expected and
what was found, exit code 2, and nothing is created, changed or truncated. Default paths
(``warmup-<scenario>.png``, ``sweep-<scenario>.sqlite``, ...) go through the same checks with
:func:`checked_default`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from simulator.experiment.outputs import (
    SWEEP_STORE_TABLES,
    TABLETOP_TABLES,
    FileKind,
    check_database,
    check_output_file,
    check_run_directory,
)

__all__ = ["OutputPath", "checked_default", "output_directory", "output_file", "sweep_store",
           "tabletop_database"]

_Check = Callable[[str, str | None], Path]
_STORE = "a mimsim sweep store (an SQLite file from `mimsim sweep`)"
_DATABASE = "a mimsim tabletop database (an SQLite file from `mimsim tabletop`)"


class OutputPath(click.ParamType):  # type: ignore[type-arg]
    """A path the command will write, checked as the command line is read."""

    def __init__(self, check: _Check, name: str) -> None:
        self.check = check
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        # An OutputError passes through click to `mimsim`'s handler: one line, exit code 2.
        return self.check(str(value), _option(param))


def _option(param: click.Parameter | None) -> str | None:
    if param is None:
        return None
    longest = max(param.opts, key=len) if param.opts else None
    return longest if longest and longest.startswith("-") else f"'{(param.name or '').upper()}'"


def output_directory() -> OutputPath:
    """A run or comparison directory: new, empty, or one mimsim wrote."""
    return OutputPath(check_run_directory, "directory")


def output_file(kinds: Sequence[FileKind]) -> OutputPath:
    """A file of one of ``kinds``: new, empty, or one mimsim wrote."""
    return OutputPath(lambda text, option: check_output_file(text, kinds, option), "file")


def sweep_store() -> OutputPath:
    """A sweep's results store: new, empty, or a sweep store."""
    return OutputPath(lambda text, option: check_database(text, SWEEP_STORE_TABLES, _STORE, option),
                      "file")


def tabletop_database() -> OutputPath:
    """A tabletop exercise's database: new, empty, or a tabletop database."""
    return OutputPath(lambda text, option: check_database(text, TABLETOP_TABLES, _DATABASE, option),
                      "file")


def checked_default(kind: OutputPath, path: Path, option: str) -> Path:
    """A default output path (the option was not given), through the option's checks."""
    return kind.check(str(path), f"{option} (default)")
