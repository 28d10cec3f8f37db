"""Scenario layer: problems found in a scenario, reported one line each.

Every problem names where it is (file, line, key path), what was expected and
what was found. The command line prints them and exits with code 2; the Python
API raises :class:`ScenarioError`, which carries the same list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

__all__ = ["Problem", "ScenarioError", "describe", "format_path"]

PathPart = str | int
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def format_path(path: Sequence[PathPart]) -> str:
    """``("teams", "L2", "roster", 0)`` → ``"teams.L2.roster[0]"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def describe(value: object) -> str:
    """A value as a message shows what was found: quoted text, JSON otherwise, cut at 60 characters."""
    try:
        text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    except (TypeError, ValueError):  # keys JSON cannot write (dates, say)
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    path: tuple[PathPart, ...]
    message: str
    source: str = "<scenario>"
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        text = f"{where}: {self.message}" if not self.path else \
            f"{where}: {format_path(self.path)}: {self.message}"
        # One problem, one line: a name or value with a line break in it is shown escaped.
        return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)

    def located(self, source: str, line: int | None) -> Problem:
        """The same problem, placed in a file (and at a line where known)."""
        return replace(self, source=source, line=line if line is not None else self.line)


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(item) for item in self.problems))
