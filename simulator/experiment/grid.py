"""Experiment layer: the values a sweep or a sensitivity study gives a scenario key.

A *grid option* is ``PATH=VALUES``, where VALUES is

* a list ``v1,v2,...`` — each value is read as YAML and validated like ``--set``
  (``4``, ``30m``, ``"08:00"``);
* an inclusive range ``lo:hi`` of whole numbers (``4:8`` → 4, 5, 6, 7, 8), or
  ``lo:hi:step`` (``0.1:0.2:0.05`` → 0.1, 0.15, 0.2); the three may carry the same
  unit (``1w:3w`` → 1w, 2w, 3w; ``30d:90d:30d``).

A single value with no comma and no range is one value. A time of day such as
``08:00`` is not a range (a number with a leading zero never starts one); write
several as a list, ``08:00,09:00``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MAX_DESIGNS", "GridError", "Parameter", "design_count", "design_name", "factorial",
           "parse_grid", "parse_range_pair"]

_NUMBER = r"(?:0|[1-9]\d*)(?:\.\d+)?|0?\.\d+"
_PART = re.compile(rf"^\s*(-?(?:{_NUMBER}))\s*([a-zA-Z]*)\s*$")
_MAX_VALUES = 10_000
#: The most designs one grid may make, even with --yes: each is a validated scenario held in
#: memory while the sweep runs (about 50 KB for the baseline), so 20,000 take about 1 GB.
MAX_DESIGNS = 20_000


class GridError(ValueError):
    """A grid option that cannot be read; the message says what was expected and found."""


@dataclass(frozen=True)
class Parameter:
    """A scenario key and the values it takes (as ``--set`` texts)."""

    path: str
    values: tuple[str, ...]

    def assignments(self) -> list[str]:
        """``PATH=VALUE`` for each value."""
        return [f"{self.path}={value}" for value in self.values]


def _split(option: str) -> tuple[str, str]:
    path, equals, values = option.partition("=")
    if not equals or not path.strip() or not values.strip():
        raise GridError(f"expected PATH=VALUES such as 'teams.network.roster.day.headcount=3:5' or "
                        f"'flow.desk.handling.median=8m,10m,12m'; found {option!r}")
    return path.strip(), values.strip()


def _number_text(value: float) -> str:
    return str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.10g}"


def _range_parts(text: str) -> list[tuple[float, str]] | None:
    """``lo:hi[:step]`` as (number, unit) pairs, or None if the text is not a range."""
    pieces = text.split(":")
    if len(pieces) not in (2, 3):
        return None
    parts = [_PART.match(piece) for piece in pieces]
    if not all(parts):
        return None
    return [(float(match.group(1)), match.group(2)) for match in parts if match]


def _expand(path: str, parts: list[tuple[float, str]]) -> tuple[str, ...]:
    units = {unit for _, unit in parts}
    if len(units) > 1:
        raise GridError(f"{path}: expected the same unit on every part of the range; found "
                        f"{', '.join(repr(unit) for unit in sorted(units))}")
    unit = units.pop()
    low, high = parts[0][0], parts[1][0]
    if len(parts) == 3:
        step = parts[2][0]
    elif low.is_integer() and high.is_integer():
        step = 1.0
    else:
        raise GridError(f"{path}: expected a step for a range of fractional numbers "
                        f"(lo:hi:step); found {_number_text(low)}:{_number_text(high)}")
    if high < low or step <= 0:
        raise GridError(f"{path}: expected lo <= hi and a step above zero; found lo "
                        f"{_number_text(low)}, hi {_number_text(high)}, step {_number_text(step)}")
    count = math.floor((high - low) / step + 1e-9) + 1
    if count > _MAX_VALUES:
        raise GridError(f"{path}: expected at most {_MAX_VALUES:,} values; found {count:,}")
    return tuple(_number_text(low + index * step) + unit for index in range(count))


def parse_grid(option: str) -> Parameter:
    """Read a ``--grid PATH=VALUES`` option (see the module's notes)."""
    path, text = _split(option)
    if "," in text:
        values = tuple(value.strip() for value in text.split(",") if value.strip())
        if not values:
            raise GridError(f"{path}: expected at least one value; found {text!r}")
        return Parameter(path, values)
    parts = _range_parts(text)
    return Parameter(path, (text,) if parts is None else _expand(path, parts))


def parse_range_pair(option: str) -> Parameter:
    """Read a sensitivity ``--range PATH=LOW:HIGH`` (or ``LOW,HIGH``): exactly two values."""
    path, text = _split(option)
    pieces = [piece.strip() for piece in (text.split(",") if "," in text else text.split(":"))]
    if len(pieces) != 2 or not all(pieces):
        raise GridError(f"{path}: expected a low and a high value, LOW:HIGH or LOW,HIGH (e.g. "
                        f"'2300:9000' or '10m,20m'); found {text!r}")
    return Parameter(path, (pieces[0], pieces[1]))


def design_count(parameters: Sequence[Parameter]) -> int:
    """How many designs the grid makes (the product of its value counts), at most MAX_DESIGNS."""
    count = math.prod(len(parameter.values) for parameter in parameters)
    if count > MAX_DESIGNS:
        sizes = " × ".join(f"{len(parameter.values):,}" for parameter in parameters)
        raise GridError(f"expected at most {MAX_DESIGNS:,} designs in a grid; found {count:,} "
                        f"({sizes} values)")
    return count


def factorial(parameters: Sequence[Parameter]) -> list[tuple[str, ...]]:
    """Every combination of the parameters' values, as ``PATH=VALUE`` tuples (last varies fastest)."""
    design_count(parameters)
    paths = [parameter.path for parameter in parameters]
    repeated = sorted({path for path in paths if paths.count(path) > 1})
    if repeated:
        raise GridError(f"expected each key once in the grid; found {', '.join(repeated)} "
                        f"more than once")
    return list(itertools.product(*(parameter.assignments() for parameter in parameters)))


def design_name(stem: str, assignments: Sequence[str]) -> str:
    """``STEM[path=value,path=value]``: a design's name in outputs."""
    return f"{stem}[{','.join(assignments)}]" if assignments else stem
